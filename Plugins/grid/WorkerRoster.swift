import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas

/// The people a case may be dispatched to as its grid worker: `Person` objects that are not suspended and hold
/// a `RoleBinding` whose place covers the case's grid. Read from the host at each dispatch, so that a person
/// suspended or unbound a moment ago is refused at once.
struct WorkerRoster: Sendable {
    let objects: HostObjects

    /// The grid worker `requested` names (by Person id), with the Person's name, for a case in `gridCode`.
    ///
    /// NOT_FOUND when there is no such Person; FAILED_PRECONDITION, naming the worker and the grid, when they
    /// are suspended or hold no binding within a place that covers the grid.
    func assignee(
        _ requested: Gongzhi_Grid_V1_Assignee,
        forCase caseID: String,
        inGrid gridCode: String
    ) async throws -> Gongzhi_Grid_V1_Assignee {
        let id = requested.id
        guard let person = try await person(id) else {
            throw RPCError(
                code: .notFound,
                message: "there is no person \"\(id)\" to dispatch case \(caseID) to: a grid worker is named by the "
                    + "id of their Person object"
            )
        }
        let worker = person.name.isEmpty || person.name == id ? id : "\(person.name) (\(id))"
        if person.state == .suspended {
            let reason = person.suspendedReason.isEmpty ? "" : " (\(person.suspendedReason))"
            throw RPCError(
                code: .failedPrecondition,
                message: "grid worker \(worker) is suspended\(reason); dispatch case \(caseID) in grid \(gridCode) "
                    + "to someone else"
            )
        }
        let places = try await places(of: id)
        guard places.covers(gridCode) else {
            let held = places.isEmpty ? "they hold no role anywhere" : "their places: \(places)"
            throw RPCError(
                code: .failedPrecondition,
                message: "grid worker \(worker) holds no role in grid \(gridCode) (\(held)); dispatch case \(caseID) "
                    + "to a worker of that grid, or bind them to it first"
            )
        }
        var assignee = requested
        assignee.name = person.name.isEmpty ? id : person.name
        return assignee
    }

    /// The Person with this id, or nil.
    private func person(_ id: String) async throws -> Gongzhi_Core_V1_Person? {
        try await objects.get(Gongzhi_Core_V1_Person.self, id: id)?.message
    }

    /// The places of every binding the person holds.
    private func places(of personID: String) async throws -> PlaceScope {
        let bindings = try await objects.list(Gongzhi_Core_V1_RoleBinding.self).objects.map(\.message)
        return PlaceScope(bindings.filter { $0.personID == personID && !$0.placeCode.isEmpty }.map(\.placeCode))
    }
}
