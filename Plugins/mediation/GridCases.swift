import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiRPC

extension Gongzhi_Grid_V1_Case: ObjectKind {
    public static var kindName: String { "Case" }
}

/// The grid module's cases, read through the host when a case is handed over or a missed obligation may open
/// one. The grid module may not be deployed: then the host knows no kind Case, and that is an answer too. The
/// mediation plugin never writes a case: the grid plugin follows the disputes and does.
struct GridCases: Sendable {
    /// What the host answered for a case.
    enum Lookup: Sendable {
        /// The host knows no kind Case: the grid module is not deployed.
        case notDeployed
        case missing
        case found(Gongzhi_Grid_V1_Case)
    }

    let objects: HostObjects

    func lookup(_ id: String) async throws -> Lookup {
        do {
            guard let object = try await objects.get(Gongzhi_Grid_V1_Case.self, id: id) else { return .missing }
            return .found(object.message)
        } catch let error as RPCError where Self.saysKindUnknown(error) {
            return .notDeployed
        }
    }

    /// True when the host knows the kind Case (the grid module is deployed).
    func deployed() async throws -> Bool {
        // Any id answers: the host names an unknown kind before it looks for the object.
        if case .notDeployed = try await lookup("mediation-probe") { return false }
        return true
    }

    /// The host's answer to a read of a kind it does not know.
    static func saysKindUnknown(_ error: RPCError) -> Bool {
        (error.code == .invalidArgument || error.code == .notFound)
            && error.message.contains("no kind \"\(Gongzhi_Grid_V1_Case.kindName)\"")
    }

    /// Whether a case may still be handed over: nil when it may, else why not.
    static func closedReason(_ value: Gongzhi_Grid_V1_Case) -> String? {
        switch value.state {
        case .closed: "it is closed"
        case .rejected: "it was rejected"
        case .evaluated: "it is closed and evaluated"
        default: nil
        }
    }
}
