import GongzhiControl
import GongzhiControlTestSupport
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas
import Synchronization

@testable import GongzhiGridControl

/// Cases, stats and categories of the grid plugin, built by hand, for the grid commands' tests.
enum GridFixtures {
    static let now = Fixtures.nowMs
    static let hour: Int64 = 3_600_000

    /// A case dispatched to 王芳 an hour ago, due in 23 hours, reported by 张伟 and once more by a sensor.
    static let dispatched = Gongzhi_Grid_V1_Case.with {
        $0.id = "C7f3a9"
        $0.state = .dispatched
        $0.source = .hotline
        $0.categoryCode = "E0101"
        $0.categoryName = "暴露垃圾"
        $0.categoryType = .event
        $0.description_p = "路边堆放生活垃圾"
        $0.media = ["oss://cases/C7f3a9/before.jpg"]
        $0.location = .with {
            $0.longitude = 120.1551
            $0.latitude = 30.2741
        }
        $0.gridCode = "330106001001003"
        $0.communityCode = "330106001001"
        $0.streetCode = "330106001"
        $0.tier = .grid
        $0.reporter = .with {
            $0.name = "张伟"
            $0.phone = "13800000000"
            $0.principal = "client:hotline-12345"
            $0.reportedAtMs = now - 2 * hour
            $0.source = .hotline
            $0.idempotencyKey = "hotline-20251121-0042"
        }
        $0.alsoReportedBy = [
            .with {
                $0.principal = "plugin:sensors"
                $0.reportedAtMs = now - 90 * 60_000
                $0.source = .sensor
            }
        ]
        $0.assignee = .with {
            $0.kind = .gridWorker
            $0.id = "王芳"
            $0.name = "王芳"
        }
        $0.deadlineMs = now + 23 * hour
        $0.createdAtMs = now - 2 * hour
        $0.dispatchedAtMs = now - hour
        $0.history = [
            .with {
                $0.action = .report
                $0.to = .reported
                $0.actor = "client:hotline-12345"
                $0.principal = "client:hotline-12345"
                $0.atMs = now - 2 * hour
            },
            .with {
                $0.action = .register
                $0.from = .reported
                $0.to = .registered
                $0.actor = "李强"
                $0.principal = "admin:uid=1000"
                $0.atMs = now - 90 * 60_000
                $0.note = "属实"
            },
            .with {
                $0.action = .dispatch
                $0.from = .registered
                $0.to = .dispatched
                $0.actor = "李强"
                $0.principal = "admin:uid=1000"
                $0.atMs = now - hour
            },
        ]
    }

    /// An older case to a partner team whose deadline passed two hours ago, escalated once.
    static let overdue = Gongzhi_Grid_V1_Case.with {
        $0.id = "C19b2e"
        $0.state = .inProgress
        $0.source = .patrol
        $0.categoryCode = "P0203"
        $0.categoryName = "井盖破损"
        $0.categoryType = .part
        $0.gridCode = "330106001001001"
        $0.communityCode = "330106001001"
        $0.streetCode = "330106001"
        $0.tier = .community
        $0.reporter = .with { $0.reportedAtMs = now - 50 * hour }
        $0.assignee = .with {
            $0.kind = .partnerTeam
            $0.id = "P-0007"
            $0.name = "绿城物业"
        }
        $0.deadlineMs = now - 2 * hour - 5 * 60_000
        $0.escalations = [
            .with {
                $0.from = .grid
                $0.to = .community
                $0.deadlineMs = now - 26 * hour
                $0.atMs = now - 26 * hour
            }
        ]
    }

    static let stats = Gongzhi_Grid_V1_StatsResponse.with {
        $0.rows = [
            .with {
                $0.regionCode = "330106001001"
                $0.total = 120
                $0.open = 14
                $0.overdue = 3
                $0.closed = 98
                $0.closedInGrid = 0.8163
                $0.onTime = 0.9
                $0.medianHandlingMs = (5 * 3600 + 20 * 60) * 1000
                $0.satisfaction = 0.955
                $0.evaluated = 44
                $0.escalated = 4
            },
            .with {
                $0.regionCode = "330106001002"
                $0.total = 2
                $0.open = 2
            },
        ]
        $0.all = .with {
            $0.total = 122
            $0.open = 16
            $0.overdue = 3
            $0.closed = 98
            $0.closedInGrid = 0.8163
            $0.onTime = 0.9
            $0.medianHandlingMs = (5 * 3600 + 20 * 60) * 1000
            $0.satisfaction = 0.955
            $0.evaluated = 44
            $0.escalated = 4
        }
    }

    static let categories = Gongzhi_Grid_V1_ListCategoriesResponse.with {
        $0.categories = [
            .with {
                $0.code = "E0101"
                $0.name = "暴露垃圾"
                $0.type = .event
                $0.tier = .grid
                $0.deadlineMinutes = 120
                $0.autoDispatch = true
            },
            .with {
                $0.code = "P0203"
                $0.name = "井盖破损"
                $0.type = .part
                $0.tier = .community
                $0.deadlineMinutes = 2880
            },
        ]
        $0.duplicateRadiusM = 50
        $0.duplicateWindowMinutes = 30
    }
}

/// The grid plugin's service as the host routes it, answering from the fixtures and recording what it was
/// asked; or, as `failure`, the errors the host answers when the plugin is missing or not taking calls.
final class FakeGridService: Gongzhi_Grid_V1_GridServiceHandler {
    let failure: RPCError?
    let requests = Mutex<[String]>([])
    /// Who made each request, as its metadata says (``FakeCaller``).
    let callers = Mutex<[String]>([])

    init(failure: RPCError? = nil) {
        self.failure = failure
    }

    private func record(_ request: String, _ context: ServerCallContext) throws {
        requests.withLock { $0.append(request) }
        callers.withLock { $0.append(FakeCaller.describe(context)) }
        if let failure { throw failure }
    }

    private func stepped(
        _ ref: Gongzhi_Grid_V1_CaseRef,
        _ state: Gongzhi_Grid_V1_CaseState
    ) throws
        -> Gongzhi_Grid_V1_Case
    {
        guard ref.caseID == GridFixtures.dispatched.id else {
            throw RPCError(code: .notFound, message: "there is no case \(ref.caseID)")
        }
        guard state != .closed else {
            throw RPCError(
                code: .failedPrecondition,
                message: "case \(ref.caseID) is dispatched; it can be started or handled (allowed: start, handle)"
            )
        }
        var c = GridFixtures.dispatched
        c.state = state
        return c
    }

    func locate(
        request: Gongzhi_Grid_V1_LocateRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_LocateResponse {
        try record("Locate \(request.point.longitude),\(request.point.latitude)", context)
        guard request.point.longitude > 100 else {
            throw RPCError(code: .notFound, message: "no grid holds the point (-73.98, 40.75)")
        }
        return .with {
            $0.gridCode = "330106001001003"
            $0.gridName = "西溪社区第三网格"
            $0.communityCode = "330106001001"
            $0.streetCode = "330106001"
        }
    }

    func report(
        request: Gongzhi_Grid_V1_ReportRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_ReportResponse {
        try record("Report \(request.categoryCode)", context)
        guard request.categoryCode != "9999" else {
            throw RPCError(
                code: .invalidArgument,
                message: "unknown category \"9999\"; known codes include E0101 (暴露垃圾)"
            )
        }
        return .with {
            $0.case = GridFixtures.dispatched
            $0.created = true
        }
    }

    func register(
        request: Gongzhi_Grid_V1_RegisterCaseRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try record("Register \(request.ref.caseID)", context)
        return try stepped(request.ref, .registered)
    }

    func reject(request: Gongzhi_Grid_V1_RejectRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case
    {
        try record("Reject \(request.ref.caseID)", context)
        return try stepped(request.ref, .rejected)
    }

    func dispatch(
        request: Gongzhi_Grid_V1_DispatchRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try record("Dispatch \(request.ref.caseID) \(request.assignee.id) deadline=\(request.deadlineMs)", context)
        return try stepped(request.ref, .dispatched)
    }

    func start(request: Gongzhi_Grid_V1_StartRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case {
        try record("Start \(request.ref.caseID)", context)
        return try stepped(request.ref, .inProgress)
    }

    func handle(request: Gongzhi_Grid_V1_HandleRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case
    {
        try record("Handle \(request.ref.caseID)", context)
        return try stepped(request.ref, .handled)
    }

    func verify(request: Gongzhi_Grid_V1_VerifyRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case
    {
        try record("Verify \(request.ref.caseID)", context)
        return try stepped(request.ref, .verified)
    }

    func sendBack(
        request: Gongzhi_Grid_V1_SendBackRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try record("SendBack \(request.ref.caseID)", context)
        return try stepped(request.ref, .inProgress)
    }

    func close(request: Gongzhi_Grid_V1_CloseRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case {
        try record("Close \(request.ref.caseID)", context)
        return try stepped(request.ref, .closed)
    }

    func evaluate(
        request: Gongzhi_Grid_V1_EvaluateRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try record("Evaluate \(request.ref.caseID)", context)
        return try stepped(request.ref, .evaluated)
    }

    func getCase(
        request: Gongzhi_Grid_V1_GetCaseRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try record("GetCase \(request.caseID)", context)
        guard request.caseID == GridFixtures.dispatched.id else {
            throw RPCError(code: .notFound, message: "there is no case \(request.caseID)")
        }
        return GridFixtures.dispatched
    }

    func listCases(
        request: Gongzhi_Grid_V1_ListCasesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_ListCasesResponse {
        try record("ListCases open=\(request.openOnly) limit=\(request.limit)", context)
        return .with {
            $0.cases = [GridFixtures.dispatched, GridFixtures.overdue]
            $0.total = 37
            $0.nextPageToken = "b2Zmc2V0PTI"
        }
    }

    func stats(
        request: Gongzhi_Grid_V1_StatsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_StatsResponse {
        try record("Stats level=\(request.level.rawValue)", context)
        return GridFixtures.stats
    }

    func listCategories(
        request: Gongzhi_Grid_V1_ListCategoriesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_ListCategoriesResponse {
        try record("ListCategories", context)
        return GridFixtures.categories
    }
}
