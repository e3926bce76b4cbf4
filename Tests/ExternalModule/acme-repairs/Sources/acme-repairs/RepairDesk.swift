import AcmeRepairsSchemas
import GongzhiRPC
import Synchronization

/// The `acme.repairs.v1.Repairs` service: residents' repair requests, numbered, kept while the plugin runs.
final class RepairDesk: Acme_Repairs_V1_RepairsHandler {
    private let repairs = Mutex<[Acme_Repairs_V1_Repair]>([])

    func report(
        request: Acme_Repairs_V1_ReportRequest,
        context: ServerCallContext
    ) async throws -> Acme_Repairs_V1_Repair {
        if request.building.isEmpty {
            throw RPCError(code: .invalidArgument, message: "the building is empty; name one, e.g. B-0001")
        }
        if request.problem.allSatisfy(\.isWhitespace) {
            throw RPCError(code: .invalidArgument, message: "the problem is empty; say what is broken")
        }
        var repair = Acme_Repairs_V1_Repair()
        repair.building = request.building
        repair.problem = request.problem
        repair.reporterName = request.reporterName
        repair.reporterPhone = request.reporterPhone
        // Who called, as the host verified it: never a name from the request.
        repair.reportedBy = context.requestMetadata["gongzhi-caller"] ?? "unknown"
        let filed = repairs.withLock { repairs in
            repair.number = UInt64(repairs.count + 1)
            repairs.append(repair)
            return repair
        }
        // No phone in the log: it is personal data.
        context.logger.info(
            "repair reported",
            metadata: ["number": "\(filed.number)", "building": "\(filed.building)"]
        )
        return filed
    }

    func listOpen(
        request: Acme_Repairs_V1_ListOpenRequest,
        responses: RPCResponseWriter<Acme_Repairs_V1_Repair>,
        context: ServerCallContext
    ) async throws {
        let open = repairs.withLock { repairs in repairs.filter { $0.building == request.building } }
        for repair in open {
            try await responses.write(repair)
        }
    }
}
