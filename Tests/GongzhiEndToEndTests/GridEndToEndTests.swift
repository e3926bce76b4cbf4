import Foundation
import GongzhiGridSchemas
import GongzhiHost
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The grid plugin (`gongzhi-grid`) under the real host: cases from report to evaluation, refusals,
/// escalation on a moved clock, duplicates and retries, a restart in the middle of a case, locating,
/// bad input, and reporters' phones.
///
/// The world: street 330199001 with communities 330199001001 (grids …001001, …001002, side by side,
/// sharing the border at longitude 120.01) and 330199001002 (grid …002001 further east).
final class GridEndToEndTests: XCTestCase {
    static let grids: [(code: String, community: String, west: Double, worker: String)] = [
        ("330199001001001", "330199001001", 120.00, "王芳"),
        ("330199001001002", "330199001001", 120.01, "李强"),
        ("330199001002001", "330199001002", 120.02, "张敏"),
    ]

    /// A point inside grid `index`, `dx` of the way across.
    static func point(inGrid index: Int, dx: Double = 0.5, dy: Double = 0.5) -> Gongzhi_Core_V1_Point {
        var point = Gongzhi_Core_V1_Point()
        point.longitude = grids[index].west + 0.01 * dx
        point.latitude = 30.00 + 0.01 * dy
        return point
    }

    struct World {
        var host: HostUnderTest
        /// The grid service as an administrator calls it.
        var grid: Gongzhi_Grid_V1_GridServiceClient
        /// The grid service as a grid worker's app calls it: an API client with a token of its own, so that
        /// the host verifies it as someone other than the administrator.
        var app: Gongzhi_Grid_V1_GridServiceClient
        /// The app's principal, as the history records it.
        var appPrincipal: String
        var objects: Gongzhi_Host_V1_ObjectsClient
        var clockFile: String
    }

    static let gridGrants = [
        "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
        "gongzhi.host.v1.Objects/Create", "gongzhi.host.v1.Objects/Update",
        "gongzhi.host.v1.Objects/RegisterKind", "gongzhi.host.v1.PersonalData/Read",
    ]

    static func gridPlugin(environment: [String: String]) throws -> TestPlugin {
        TestPlugin(
            name: "grid",
            executable: try BuiltExecutables.path("gongzhi-grid"),
            services: ["gongzhi.grid.v1.GridService"],
            requestedGrants: gridGrants,
            environment: environment
        )
    }

    /// A host with the grid plugin on a clock the test moves, and the world's regions and grids.
    func startWorld(clockMs: Int64 = 1_763_800_000_000, directory: TemporaryDirectory? = nil) async throws -> World {
        let files = try TemporaryDirectory(prefix: "gzgridclock")
        let clockFile = files.file("now")
        try String(clockMs).write(toFile: clockFile, atomically: true, encoding: .utf8)
        let host = try await HostUnderTest(
            plugins: [
                try Self.gridPlugin(environment: [
                    "GRID_CLOCK_FILE": clockFile, "GRID_ESCALATION_INTERVAL_MS": "100",
                ])
            ],
            directory: directory
        )
        addTeardownBlock {
            await host.stop()
            _ = files
        }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        try await Self.createWorld(objects)
        try await host.waitUntil("grid")
        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: host.admin)
        // The plugin follows the grids through a watch: wait until it sees them.
        try await eventually("the plugin sees the grids") {
            var request = Gongzhi_Grid_V1_LocateRequest()
            request.point = Self.point(inGrid: 2)
            return (try? await grid.locate(request))?.gridCode == Self.grids[2].code
        }
        let app = try await host.issueClientToken(scopes: ["gongzhi.grid.v1.GridService/*"])
        let appChannel = host.channel(token: app.token)
        addTeardownBlock { await appChannel.close() }
        return World(
            host: host,
            grid: grid,
            app: Gongzhi_Grid_V1_GridServiceClient(channel: appChannel),
            appPrincipal: "client:\(app.info.id)",
            objects: objects,
            clockFile: clockFile
        )
    }

    static func createWorld(_ objects: Gongzhi_Host_V1_ObjectsClient) async throws {
        func create(_ kind: String, _ id: String, parent: String, _ message: some SwiftProtobuf.Message) async throws {
            var request = Gongzhi_Host_V1_CreateRequest()
            request.object.kind = kind
            request.object.id = id
            request.object.parent = parent
            request.object.data = try message.serializedBytes()
            do {
                _ = try await objects.create(request)
            } catch let error as RPCError where error.code == .alreadyExists {}
        }
        let regions: [(String, Gongzhi_Core_V1_Region.Level, String)] = [
            ("330199", .district, ""), ("330199001", .street, "330199"),
            ("330199001001", .community, "330199001"), ("330199001002", .community, "330199001"),
        ]
        for (code, level, parent) in regions {
            var region = Gongzhi_Core_V1_Region()
            region.code = code
            region.name = "区域 \(code)"
            region.level = level
            region.parentCode = parent
            try await create("Region", code, parent: parent, region)
        }
        for (code, community, west, worker) in grids {
            var grid = Gongzhi_Core_V1_Grid()
            grid.code = code
            grid.name = "网格 \(code.suffix(3))"
            grid.communityCode = community
            grid.polygon.outer.points = [(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)].map {
                var point = Gongzhi_Core_V1_Point()
                point.longitude = west + $0.0
                point.latitude = 30.00 + $0.1
                return point
            }
            var person = Gongzhi_Core_V1_GridWorker()
            person.name = worker
            person.phone = "13800000000"
            grid.workers = [person]
            try await create("Grid", code, parent: community, grid)
        }
        // The grids' workers as people, each bound to their grid: cases are dispatched to them by Person id.
        var role = Gongzhi_Core_V1_Role()
        role.name = "grid-patrol"
        role.title = "网格巡查"
        try await create("Role", role.name, parent: "", role)
        for (code, _, _, worker) in grids {
            var person = Gongzhi_Core_V1_Person()
            person.id = personID(worker)
            person.name = worker
            try await create("Person", person.id, parent: "", person)
            var binding = Gongzhi_Core_V1_RoleBinding()
            binding.id = "\(person.id).\(role.name).\(code)"
            binding.personID = person.id
            binding.role = role.name
            binding.placeCode = code
            try await create("RoleBinding", binding.id, parent: "", binding)
        }
    }

    /// The Person id of a grid's worker.
    static func personID(_ worker: String) -> String {
        ["王芳": "wang-fang", "李强": "li-qiang", "张敏": "zhang-min"][worker] ?? worker
    }

    func setClock(_ world: World, _ ms: Int64) throws {
        try String(ms).write(toFile: world.clockFile, atomically: true, encoding: .utf8)
    }

    func report(
        _ grid: Gongzhi_Grid_V1_GridServiceClient,
        category: String = "E0502",
        at point: Gongzhi_Core_V1_Point = GridEndToEndTests.point(inGrid: 0),
        reporter: String = "刘阿姨",
        phone: String = "13912345678",
        key: String = ""
    ) async throws -> Gongzhi_Grid_V1_ReportResponse {
        var request = Gongzhi_Grid_V1_ReportRequest()
        request.source = .patrol
        request.categoryCode = category
        request.description_p = "井盖缺失，位于小区东门"
        request.location = point
        request.reporter.name = reporter
        request.reporter.phone = phone
        request.idempotencyKey = key
        return try await grid.report(request)
    }

    func ref(_ id: String) -> Gongzhi_Grid_V1_CaseRef {
        var ref = Gongzhi_Grid_V1_CaseRef()
        ref.caseID = id
        return ref
    }

    /// A category from the catalogue that is not auto-dispatched, for walking the loop by hand.
    func manualCategory(
        _ grid: Gongzhi_Grid_V1_GridServiceClient,
        tier: Gongzhi_Grid_V1_Tier = .grid
    ) async throws
        -> Gongzhi_Grid_V1_Category
    {
        let categories = try await grid.listCategories(Gongzhi_Grid_V1_ListCategoriesRequest()).categories
        return try XCTUnwrap(categories.first { !$0.autoDispatch && $0.tier == tier }, "\(categories)")
    }

    func dispatchRequest(
        _ id: String,
        to worker: String = "王芳",
        deadlineMs: Int64 = 0
    ) -> Gongzhi_Grid_V1_DispatchRequest {
        var request = Gongzhi_Grid_V1_DispatchRequest()
        request.ref = ref(id)
        request.assignee.kind = .gridWorker
        request.assignee.id = Self.personID(worker)
        request.deadlineMs = deadlineMs
        return request
    }

    // MARK: The loop

    func testACaseGoesFromReportToEvaluationAndEveryStepIsRecorded() async throws {
        let world = try await startWorld()
        let grid = world.grid
        let category = try await manualCategory(grid)
        let reported = try await report(grid, category: category.code)
        XCTAssertTrue(reported.created)
        let id = reported.case.id
        XCTAssertEqual(reported.case.state, .reported)
        XCTAssertEqual(reported.case.gridCode, Self.grids[0].code)
        XCTAssertEqual(reported.case.communityCode, "330199001001")
        XCTAssertEqual(reported.case.streetCode, "330199001")

        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref = ref(id)
        let registeredState = try await grid.register(register).state
        XCTAssertEqual(registeredState, .registered)
        let dispatched = try await grid.dispatch(dispatchRequest(id))
        XCTAssertEqual(dispatched.state, .dispatched)
        XCTAssertEqual(dispatched.assignee.id, "wang-fang")
        XCTAssertEqual(dispatched.assignee.name, "王芳", "the Person's name")
        XCTAssertEqual(dispatched.deadlineMs, 1_763_800_000_000 + Int64(category.deadlineMinutes) * 60_000)
        var start = Gongzhi_Grid_V1_StartRequest()
        start.ref = ref(id)
        let startedState = try await world.app.start(start).state
        XCTAssertEqual(startedState, .inProgress)
        try setClock(world, 1_763_800_000_000 + 3_600_000)
        var handle = Gongzhi_Grid_V1_HandleRequest()
        handle.ref = ref(id)
        handle.notes = "已更换井盖"
        let handled = try await world.app.handle(handle)
        XCTAssertEqual(handled.state, .handled)
        XCTAssertEqual(handled.handler, world.appPrincipal)
        XCTAssertEqual(handled.handlerID, world.appPrincipal)
        XCTAssertFalse(handled.handledLate)
        var verify = Gongzhi_Grid_V1_VerifyRequest()
        verify.ref = ref(id)
        let verifiedState = try await grid.verify(verify).state
        XCTAssertEqual(verifiedState, .verified)
        var close = Gongzhi_Grid_V1_CloseRequest()
        close.ref = ref(id)
        let closedState = try await grid.close(close).state
        XCTAssertEqual(closedState, .closed)
        var evaluate = Gongzhi_Grid_V1_EvaluateRequest()
        evaluate.ref = ref(id)
        evaluate.satisfaction = .satisfied
        let evaluated = try await grid.evaluate(evaluate)
        XCTAssertEqual(evaluated.state, .evaluated)

        var get = Gongzhi_Grid_V1_GetCaseRequest()
        get.caseID = id
        let shown = try await grid.getCase(get)
        XCTAssertEqual(
            shown.history.map(\.action),
            [.report, .register, .dispatch, .start, .handle, .verify, .close, .evaluate]
        )
        // Each step under the caller the host verified: the administrator, or the app for starting and handling.
        let admin = try XCTUnwrap(shown.history.first?.principal)
        XCTAssertTrue(admin.hasPrefix("admin:uid="), admin)
        let app = world.appPrincipal
        XCTAssertEqual(shown.history.map(\.principal), [admin, admin, admin, app, app, admin, admin, admin])
        XCTAssertEqual(shown.history.map(\.actor), shown.history.map(\.principal))
        XCTAssertEqual(shown.history.map(\.actorID), shown.history.map(\.principal))
        XCTAssertEqual(shown.history[4].atMs, 1_763_800_000_000 + 3_600_000)
        XCTAssertEqual(shown.closedTier, .grid)

        // The object store holds the case as an object of the plugin's kind, labelled for selection.
        var listObjects = Gongzhi_Host_V1_ListRequest()
        listObjects.kind = "Case"
        listObjects.labelSelector = "state=evaluated,grid=\(Self.grids[0].code)"
        let stored = try await world.objects.list(listObjects)
        XCTAssertEqual(stored.objects.map(\.id), [id])
        XCTAssertEqual(stored.objects.first?.owner, "grid")

        var stats = Gongzhi_Grid_V1_StatsRequest()
        stats.level = .grid
        let figures = try await grid.stats(stats)
        XCTAssertEqual(figures.all.total, 1)
        XCTAssertEqual(figures.all.closed, 1)
        XCTAssertEqual(figures.all.closedInGrid, 1)
        XCTAssertEqual(figures.all.onTime, 1)
        XCTAssertEqual(figures.all.medianHandlingMs, 3_600_000)
        XCTAssertEqual(figures.all.satisfaction, 1)
        XCTAssertEqual(figures.rows.map(\.regionCode), [Self.grids[0].code])
    }

    func testEveryStepTheStateDoesNotAllowIsRefusedNamingTheStateAndTheAllowedSteps() async throws {
        let world = try await startWorld()
        let grid = world.grid
        let category = try await manualCategory(grid)
        let id = try await report(grid, category: category.code).case.id

        var start = Gongzhi_Grid_V1_StartRequest()
        start.ref = ref(id)
        let early = await assertRPCError(.failedPrecondition) { try await grid.start(start) }
        XCTAssertTrue(early?.message.contains("reported") == true, early?.message ?? "")
        XCTAssertTrue(early?.message.contains("register") == true, early?.message ?? "")
        var close = Gongzhi_Grid_V1_CloseRequest()
        close.ref = ref(id)
        await assertRPCError(.failedPrecondition) { try await grid.close(close) }
        await assertRPCError(.failedPrecondition) { try await grid.dispatch(self.dispatchRequest(id)) }

        var reject = Gongzhi_Grid_V1_RejectRequest()
        reject.ref = ref(id)
        let noReason = await assertRPCError(.invalidArgument) { try await grid.reject(reject) }
        XCTAssertTrue(noReason?.message.contains("reason") == true, noReason?.message ?? "")

        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref = ref(id)
        _ = try await grid.register(register)
        await assertRPCError(.failedPrecondition) { try await grid.register(register) }
        var noAssignee = dispatchRequest(id)
        noAssignee.clearAssignee()
        await assertRPCError(.invalidArgument) { try await grid.dispatch(noAssignee) }
        _ = try await grid.dispatch(dispatchRequest(id))
        var handle = Gongzhi_Grid_V1_HandleRequest()
        handle.ref = ref(id)
        handle.notes = "处理完毕"
        _ = try await world.app.handle(handle)

        // The handler cannot verify their own work, and cannot pass for someone else by naming them.
        var verify = Gongzhi_Grid_V1_VerifyRequest()
        verify.ref = ref(id)
        let own = await assertRPCError(.failedPrecondition) { try await world.app.verify(verify) }
        XCTAssertTrue(own?.message.contains(world.appPrincipal) == true, own?.message ?? "")
        XCTAssertTrue(own?.message.contains("may not verify their own handling") == true, own?.message ?? "")
        verify.ref.actor = "李社工"
        let labelled = await assertRPCError(.invalidArgument) { try await world.app.verify(verify) }
        XCTAssertTrue(labelled?.message.contains("gongzhi-act-as") == true, labelled?.message ?? "")
        verify.ref.actor = ""

        // Sent back, it is in progress again; handled and verified by another, closed; "not fixed" reopens it.
        var sendBack = Gongzhi_Grid_V1_SendBackRequest()
        sendBack.ref = ref(id)
        sendBack.reason = "井盖仍松动"
        let sentBackState = try await grid.sendBack(sendBack).state
        XCTAssertEqual(sentBackState, .inProgress)
        _ = try await world.app.handle(handle)
        _ = try await grid.verify(verify)
        close.ref = ref(id)
        _ = try await grid.close(close)
        var evaluate = Gongzhi_Grid_V1_EvaluateRequest()
        evaluate.ref = ref(id)
        evaluate.satisfaction = .notFixed
        let reopened = try await grid.evaluate(evaluate)
        XCTAssertEqual(reopened.state, .registered)
        XCTAssertEqual(reopened.reopened, 1)
        XCTAssertEqual(reopened.history.last?.action, .reopen)

        // A step at a stale revision is refused.
        var stale = Gongzhi_Grid_V1_DispatchRequest()
        stale = dispatchRequest(id)
        stale.ref.expectedRevision = 1
        await assertRPCError(.aborted) { try await grid.dispatch(stale) }

        // An unknown case.
        var missing = Gongzhi_Grid_V1_GetCaseRequest()
        missing.caseID = "C-none"
        await assertRPCError(.notFound) { try await grid.getCase(missing) }
    }

    /// Every verb in every state that does not allow it, through the host: FAILED_PRECONDITION naming the state.
    func testEveryIllegalStepInEveryStateIsRefusedThroughTheHost() async throws {
        let world = try await startWorld()
        let grid = world.grid
        let app = world.app
        let category = try await manualCategory(grid)
        typealias Step = (name: String, call: (String) async throws -> Gongzhi_Grid_V1_Case)
        let register: Step = (
            "register",
            { id in
                var request = Gongzhi_Grid_V1_RegisterCaseRequest()
                request.ref = self.ref(id)
                return try await grid.register(request)
            }
        )
        let reject: Step = (
            "reject",
            { id in
                var request = Gongzhi_Grid_V1_RejectRequest()
                request.ref = self.ref(id)
                request.reason = "不属于受理范围"
                return try await grid.reject(request)
            }
        )
        let dispatch: Step = ("dispatch", { id in try await grid.dispatch(self.dispatchRequest(id)) })
        let start: Step = (
            "start",
            { id in
                var request = Gongzhi_Grid_V1_StartRequest()
                request.ref = self.ref(id)
                return try await app.start(request)
            }
        )
        let handle: Step = (
            "handle",
            { id in
                var request = Gongzhi_Grid_V1_HandleRequest()
                request.ref = self.ref(id)
                request.notes = "处理完毕"
                return try await app.handle(request)
            }
        )
        let verify: Step = (
            "verify",
            { id in
                var request = Gongzhi_Grid_V1_VerifyRequest()
                request.ref = self.ref(id)
                return try await grid.verify(request)
            }
        )
        let sendBack: Step = (
            "send back",
            { id in
                var request = Gongzhi_Grid_V1_SendBackRequest()
                request.ref = self.ref(id)
                request.reason = "未处理到位"
                return try await grid.sendBack(request)
            }
        )
        let close: Step = (
            "close",
            { id in
                var request = Gongzhi_Grid_V1_CloseRequest()
                request.ref = self.ref(id)
                return try await grid.close(request)
            }
        )
        let evaluate: Step = (
            "evaluate",
            { id in
                var request = Gongzhi_Grid_V1_EvaluateRequest()
                request.ref = self.ref(id)
                request.satisfaction = .satisfied
                return try await grid.evaluate(request)
            }
        )
        let all = [register, reject, dispatch, start, handle, verify, sendBack, close, evaluate]
        // How to reach each state from a new report, and what it allows.
        let states: [(state: Gongzhi_Grid_V1_CaseState, word: String, path: [Step], allowed: Set<String>)] = [
            (.reported, "reported", [], ["register", "reject"]),
            (.registered, "registered", [register], ["dispatch"]),
            (.rejected, "rejected", [reject], []),
            (.dispatched, "dispatched", [register, dispatch], ["start", "handle"]),
            (.inProgress, "in progress", [register, dispatch, start], ["handle"]),
            (.handled, "handled", [register, dispatch, start, handle], ["verify", "send back"]),
            (.verified, "verified", [register, dispatch, start, handle, verify], ["close"]),
            (.closed, "closed", [register, dispatch, start, handle, verify, close], ["evaluate"]),
            (.evaluated, "evaluated", [register, dispatch, start, handle, verify, close, evaluate], []),
        ]
        var refused = 0
        for (index, entry) in states.enumerated() {
            // Each state's case in the first grid (whose worker the cases are dispatched to), far enough from the
            // others (about 100 m) that none is a duplicate of another.
            let point = Self.point(inGrid: 0, dx: 0.1 + 0.1 * Double(index), dy: 0.2)
            var value = try await report(grid, category: category.code, at: point).case
            for step in entry.path { value = try await step.call(value.id) }
            XCTAssertEqual(value.state, entry.state)
            for step in all where !entry.allowed.contains(step.name) {
                let error = await assertRPCError(.failedPrecondition) { try await step.call(value.id) }
                XCTAssertTrue(
                    error?.message.contains("is \(entry.word)") == true,
                    "\(step.name) in \(entry.word): \(error?.message ?? "")"
                )
                refused += 1
            }
            // Nothing changed the case.
            var get = Gongzhi_Grid_V1_GetCaseRequest()
            get.caseID = value.id
            let after = try await grid.getCase(get)
            XCTAssertEqual(after.history.count, value.history.count, "\(entry.word)")
        }
        XCTAssertEqual(refused, 71, "every illegal pair of the nine states and nine verbs")
    }

    // MARK: Deadlines

    func testAnOverdueCaseEscalatesOneTierWhenTheClockPassesItsDeadlineAndWatchersSeeIt() async throws {
        let world = try await startWorld()
        let grid = world.grid
        let category = try await manualCategory(grid)
        let id = try await report(grid, category: category.code).case.id
        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref = ref(id)
        _ = try await grid.register(register)
        let deadline: Int64 = 1_763_800_000_000 + 7_200_000
        _ = try await grid.dispatch(dispatchRequest(id, deadlineMs: deadline))

        // A watcher of cases, as the community's own system would be.
        var watch = Gongzhi_Host_V1_WatchRequest()
        watch.kind = "Case"
        watch.fromNow = true
        let seen = Task {
            try await world.objects.watch(watch) { events in
                for try await event in events {
                    let value = try Gongzhi_Grid_V1_Case(serializedBytes: event.object.data)
                    if value.id == id && value.tier == .community { return value }
                }
                return Gongzhi_Grid_V1_Case()
            }
        }
        addTeardownBlock { seen.cancel() }

        // Before the deadline nothing happens.
        try setClock(world, deadline - 1)
        try await Task.sleep(for: .milliseconds(400))
        var get = Gongzhi_Grid_V1_GetCaseRequest()
        get.caseID = id
        let tierBefore = try await grid.getCase(get).tier
        XCTAssertEqual(tierBefore, .grid)

        try setClock(world, deadline + 1)
        try await eventually("the case escalates") { try await grid.getCase(get).tier == .community }
        let escalated = try await grid.getCase(get)
        XCTAssertEqual(escalated.escalations.count, 1)
        XCTAssertEqual(escalated.escalations.first?.from, .grid)
        XCTAssertEqual(escalated.escalations.first?.to, .community)
        XCTAssertEqual(escalated.escalations.first?.deadlineMs, deadline)
        XCTAssertGreaterThan(escalated.deadlineMs, deadline + 1, "a new deadline for the new owner")
        XCTAssertEqual(escalated.history.last?.action, .escalate)
        let watched = try await seen.value
        XCTAssertEqual(watched.tier, .community, "the new owner hears of it through the object's change")

        // And again at the next deadline, up to the street.
        try setClock(world, escalated.deadlineMs + 1)
        try await eventually("the case escalates again") { try await grid.getCase(get).tier == .street }
        var overdue = Gongzhi_Grid_V1_ListCasesRequest()
        overdue.overdueOnly = true
        let overdueIDs = try await grid.listCases(overdue).cases.map(\.id)
        XCTAssertEqual(overdueIDs, [], "escalated with a new deadline")
    }

    // MARK: Duplicates and retries

    func testAReportOfAnOpenMatterJoinsItsCaseAndRetriesNeverMakeTwoCases() async throws {
        let world = try await startWorld()
        let grid = world.grid
        let category = try await manualCategory(grid)
        let first = try await report(grid, category: category.code, key: "patrol-1")
        XCTAssertTrue(first.created)

        // Retried: the same case, nothing new.
        let retry = try await report(grid, category: category.code, key: "patrol-1")
        XCTAssertFalse(retry.created)
        XCTAssertFalse(retry.duplicate)
        XCTAssertEqual(retry.case.id, first.case.id)

        // Another resident reports the same matter a few metres away: linked, not a second case.
        let near = try await report(
            grid,
            category: category.code,
            at: Self.point(inGrid: 0, dx: 0.52, dy: 0.5),
            reporter: "陈先生",
            key: "hotline-7"
        )
        XCTAssertFalse(near.created)
        XCTAssertTrue(near.duplicate)
        XCTAssertEqual(near.case.id, first.case.id)
        XCTAssertEqual(near.case.alsoReportedBy.map(\.name), ["陈先生"])
        // Its retry too.
        let nearRetry = try await report(
            grid,
            category: category.code,
            at: Self.point(inGrid: 0, dx: 0.52, dy: 0.5),
            reporter: "陈先生",
            key: "hotline-7"
        )
        XCTAssertTrue(nearRetry.duplicate)
        XCTAssertEqual(nearRetry.case.alsoReportedBy.count, 1, "a retry is not linked twice")

        // Far away, or another category: cases of their own.
        let far = try await report(grid, category: category.code, at: Self.point(inGrid: 2))
        XCTAssertTrue(far.created)
        let other = try await grid.listCategories(Gongzhi_Grid_V1_ListCategoriesRequest()).categories.first {
            $0.code != category.code && !$0.autoDispatch
        }
        let otherCategory = try await report(grid, category: try XCTUnwrap(other).code)
        XCTAssertTrue(otherCategory.created)

        var all = Gongzhi_Grid_V1_ListCasesRequest()
        all.limit = 100
        let caseCount = try await grid.listCases(all).total
        XCTAssertEqual(caseCount, 3)

        // Many retries at once still make one case.
        var burst = Gongzhi_Grid_V1_ReportRequest()
        burst.source = .online
        burst.description_p = "路灯不亮"
        burst.categoryCode = category.code
        burst.location = Self.point(inGrid: 1)
        burst.idempotencyKey = "burst"
        let results = try await withThrowingTaskGroup(of: String.self) { [burst] group in
            for _ in 0..<16 {
                group.addTask { try await grid.report(burst).case.id }
            }
            var ids: Set<String> = []
            for try await id in group { ids.insert(id) }
            return ids
        }
        XCTAssertEqual(results.count, 1)
        let caseCountAfterBurst = try await grid.listCases(all).total
        XCTAssertEqual(caseCountAfterBurst, 4)

        // Many people reporting the same matter at once, a few metres apart: one case, the rest linked.
        let crowd = try await withThrowingTaskGroup(of: Gongzhi_Grid_V1_ReportResponse.self) { group in
            for person in 0..<12 {
                var request = burst
                request.idempotencyKey = "crowd-\(person)"
                request.location = Self.point(inGrid: 2, dx: 0.3 + 0.0001 * Double(person), dy: 0.7)
                group.addTask { try await grid.report(request) }
            }
            var answers: [Gongzhi_Grid_V1_ReportResponse] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        XCTAssertEqual(crowd.filter(\.created).count, 1)
        XCTAssertEqual(crowd.filter(\.duplicate).count, 11)
        XCTAssertEqual(Set(crowd.map(\.case.id)).count, 1)
        let caseCountAfterCrowd = try await grid.listCases(all).total
        XCTAssertEqual(caseCountAfterCrowd, 5)
    }

    // MARK: Restarts

    func testAGridPluginKilledInTheMiddleOfACaseLosesNothing() async throws {
        let world = try await startWorld()
        let grid = world.grid
        let category = try await manualCategory(grid)
        let id = try await report(grid, category: category.code, key: "before-kill").case.id
        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref = ref(id)
        _ = try await grid.register(register)
        let dispatched = try await grid.dispatch(dispatchRequest(id))

        let before = try await world.host.status("grid")
        kill(before.pid, SIGKILL)
        try await world.host.waitUntilRestarted("grid", from: before.pid)

        var get = Gongzhi_Grid_V1_GetCaseRequest()
        get.caseID = id
        let after = try await grid.getCase(get)
        XCTAssertEqual(after, dispatched, "the case as it was before the kill, history and all")
        let retry = try await report(grid, category: category.code, key: "before-kill")
        XCTAssertEqual(retry.case.id, id)
        XCTAssertFalse(retry.created)

        var handle = Gongzhi_Grid_V1_HandleRequest()
        handle.ref = ref(id)
        handle.notes = "完成"
        let handledState = try await grid.handle(handle).state
        XCTAssertEqual(handledState, .handled)
    }

    // MARK: Locating and bad input

    func testLocatingAnswersTheGridAndAPointOnABorderAlwaysTheSameOne() async throws {
        let world = try await startWorld()
        var locate = Gongzhi_Grid_V1_LocateRequest()
        locate.point = Self.point(inGrid: 1)
        let inside = try await world.grid.locate(locate)
        XCTAssertEqual(inside.gridCode, Self.grids[1].code)
        XCTAssertEqual(inside.communityCode, "330199001001")
        XCTAssertEqual(inside.streetCode, "330199001")
        // On the border of …001 and …002: the smaller code.
        locate.point = Self.point(inGrid: 1, dx: 0, dy: 0.3)
        let borderGrid = try await world.grid.locate(locate).gridCode
        XCTAssertEqual(borderGrid, Self.grids[0].code)

        locate.point.longitude = 121.5
        let outside = await assertRPCError(.notFound) { try await world.grid.locate(locate) }
        XCTAssertTrue(outside?.message.contains("no grid contains") == true, outside?.message ?? "")
        XCTAssertTrue(outside?.message.contains("the nearest is 330199001002001") == true, outside?.message ?? "")
        locate.point.longitude = 400
        await assertRPCError(.invalidArgument) { try await world.grid.locate(locate) }
    }

    func testBadReportsAreRefusedWithAReasonAndNothingIsWritten() async throws {
        let world = try await startWorld()
        let grid = world.grid
        let unknown = await assertRPCError(.invalidArgument) { try await self.report(grid, category: "9999") }
        XCTAssertTrue(unknown?.message.contains("9999") == true, unknown?.message ?? "")

        var far = Self.point(inGrid: 0)
        far.latitude = 31
        let known = try await manualCategory(grid).code
        let outside = await assertRPCError(.invalidArgument) { try await self.report(grid, category: known, at: far) }
        XCTAssertTrue(outside?.message.contains("no grid contains") == true, outside?.message ?? "")

        var nowhere = Gongzhi_Grid_V1_ReportRequest()
        nowhere.source = .patrol
        nowhere.description_p = "路灯不亮"
        nowhere.categoryCode = try await manualCategory(grid).code
        let missing = await assertRPCError(.invalidArgument) { try await grid.report(nowhere) }
        XCTAssertTrue(missing?.message.contains("location or a grid code") == true, missing?.message ?? "")
        nowhere.gridCode = "330199001009009"
        await assertRPCError(.invalidArgument) { try await grid.report(nowhere) }

        // A report that would join an open case is checked in full too: no source, no joining.
        let open = try await report(grid, category: nowhere.categoryCode)
        var incomplete = nowhere
        incomplete.source = .unspecified
        incomplete.location = Self.point(inGrid: 0)
        incomplete.gridCode = ""
        let unchecked = await assertRPCError(.invalidArgument) { try await grid.report(incomplete) }
        XCTAssertTrue(unchecked?.message.contains("source") == true, unchecked?.message ?? "")
        var get = Gongzhi_Grid_V1_GetCaseRequest()
        get.caseID = open.case.id
        let stillAlone = try await grid.getCase(get)
        XCTAssertEqual(stillAlone.alsoReportedBy.count, 0)

        let casesWritten = try await grid.listCases(Gongzhi_Grid_V1_ListCasesRequest()).total
        XCTAssertEqual(casesWritten, 1, "only the good report's case")
        // The plugin kept running.
        let status = try await world.host.status("grid")
        XCTAssertEqual(status.restarts, 0)
    }

    // MARK: Personal data

    func testReportersPhonesReachOnlyCallersWithThePersonalDataGrant() async throws {
        let world = try await startWorld()
        let category = try await manualCategory(world.grid)
        let reported = try await report(world.grid, category: category.code, phone: "13912345678")
        XCTAssertEqual(reported.case.reporter.phone, "13912345678", "the administrator holds the grant")

        let plain = try await world.host.issueClientToken(scopes: ["gongzhi.grid.v1.GridService/*"])
        let channel = world.host.channel(token: plain.token)
        addTeardownBlock { await channel.close() }
        let client = Gongzhi_Grid_V1_GridServiceClient(channel: channel)
        var get = Gongzhi_Grid_V1_GetCaseRequest()
        get.caseID = reported.case.id
        let seen = try await client.getCase(get)
        XCTAssertEqual(seen.reporter.name, "刘阿姨")
        XCTAssertEqual(seen.reporter.phone, "", "no grant, no phone")
        let listed = try await client.listCases(Gongzhi_Grid_V1_ListCasesRequest())
        let listedBytes: [UInt8] = try listed.serializedBytes()
        XCTAssertFalse(listedBytes.contains(subsequence: Array("13912345678".utf8)))
        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref = ref(reported.case.id)
        let registered = try await client.register(register)
        XCTAssertEqual(registered.reporter.phone, "")
        // The phone is still stored.
        let storedPhone = try await world.grid.getCase(get).reporter.phone
        XCTAssertEqual(storedPhone, "13912345678")

        // The host, not the plugin, keeps the phone back, and audits each answer that shows it: one entry per
        // GetCase or ListCases answer to a token with the grant, none for the answers without it.
        func audited() async throws -> [Gongzhi_Host_V1_AuditEntry] {
            var request = Gongzhi_Host_V1_ListAuditRequest()
            request.limit = 1000
            return try await world.host.adminClient.listAudit(request).entries.filter {
                $0.outcome == "personal-data" && $0.principal.hasPrefix("client:")
            }
        }
        let auditedBefore = try await audited()
        XCTAssertEqual(auditedBefore.count, 0, "the token without the grant saw no phone: \(auditedBefore)")
        let trusted = try await world.host.issueClientToken(scopes: [
            "gongzhi.grid.v1.GridService/*", "gongzhi.host.v1.PersonalData/Read",
        ])
        let trustedChannel = world.host.channel(token: trusted.token)
        addTeardownBlock { await trustedChannel.close() }
        let trustedClient = Gongzhi_Grid_V1_GridServiceClient(channel: trustedChannel)
        let shown = try await trustedClient.getCase(get)
        XCTAssertEqual(shown.reporter.phone, "13912345678")
        let shownList = try await trustedClient.listCases(Gongzhi_Grid_V1_ListCasesRequest())
        XCTAssertEqual(shownList.cases.first?.reporter.phone, "13912345678")
        let entries = try await audited()
        XCTAssertEqual(
            entries.map(\.action),
            ["gongzhi.grid.v1.GridService/GetCase", "gongzhi.grid.v1.GridService/ListCases"]
        )
        XCTAssertEqual(Set(entries.map(\.principal)), ["client:\(trusted.info.id)"])
        XCTAssertEqual(entries.first?.detail, "shown reporter.phone in a gongzhi.grid.v1.Case")
        XCTAssertEqual(entries.last?.detail, "shown cases.reporter.phone in a gongzhi.grid.v1.ListCasesResponse")
    }

    // MARK: gongzhictl grid

    func testGongzhictlImportsGridsAndWalksACaseFromReportToEvaluation() async throws {
        let world = try await startWorld()
        let socket = world.host.adminSocket
        func ctl(_ arguments: [String]) async throws -> ControlEndToEndTests.Outcome {
            try await ControlEndToEndTests.ctl(["grid"] + arguments, socket: socket)
        }
        let files = try TemporaryDirectory(prefix: "gzgridcli")

        // A file with a bowtie polygon and a code that is not its community's: nothing is written.
        let bad = files.file("bad.geojson")
        try """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"code": "330199001002002", "name": "二号网格"},
           "geometry": {"type": "Polygon", "coordinates": [[[120.03, 30.0], [120.04, 30.01], [120.04, 30.0],
             [120.03, 30.01], [120.03, 30.0]]]}},
          {"type": "Feature", "properties": {"code": "330199001002003", "name": "三号网格",
           "community_code": "330199001001"},
           "geometry": {"type": "Polygon", "coordinates": [[[120.04, 30.0], [120.05, 30.0], [120.05, 30.01],
             [120.04, 30.01], [120.04, 30.0]]]}}
        ]}
        """.write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await ctl(["import", bad])
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(
            refused.errors.contains("\(bad):3: feature 0 (code 330199001002002): outer ring intersects itself"),
            refused.errors
        )
        XCTAssertTrue(
            refused.errors.contains("\(bad):6: feature 1 (code 330199001002003): community code"),
            refused.errors
        )
        XCTAssertTrue(refused.errors.contains("330199001002003"), refused.errors)
        let malformed = files.file("malformed.geojson")
        try "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\",,}\n]}\n".write(
            toFile: malformed,
            atomically: true,
            encoding: .utf8
        )
        let broken = try await ctl(["import", malformed])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.errors.contains("\(malformed):3:"), broken.errors)

        // A good file: one new grid east of the others.
        let good = files.file("good.geojson")
        try """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"code": "330199001002002", "name": "二号网格"},
           "geometry": {"type": "Polygon", "coordinates": [[[120.03, 30.0], [120.04, 30.0], [120.04, 30.01],
             [120.03, 30.01], [120.03, 30.0]]]}}
        ]}
        """.write(toFile: good, atomically: true, encoding: .utf8)
        let imported = try await ctl(["import", good])
        XCTAssertEqual(imported.status, 0, imported.errors)
        XCTAssertTrue(imported.output.contains("1 created"), imported.output)
        try await eventually("the plugin sees the imported grid") {
            let located = try await ctl(["locate", "120.035", "30.005"])
            return located.status == 0 && located.output.contains("330199001002002")
        }

        // One case, the whole loop, through the CLI.
        let category = try await manualCategory(world.grid)
        let reported = try await ctl([
            "report", "--category", category.code, "--at", "120.035,30.005", "--source", "hotline",
            "--description", "商户占道经营", "--reporter", "赵女士", "--key", "hotline-42", "-o", "json",
        ])
        XCTAssertEqual(reported.status, 0, reported.errors)
        let answer = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(reported.output.utf8)) as? [String: Any],
            reported.output
        )
        let id = try XCTUnwrap((answer["case"] as? [String: Any])?["id"] as? String, reported.output)
        // The people who do the work, bound to their roles where the new grid is; each step is taken as one of
        // them (the administrator acting for them), by name.
        let community = "330199001002"
        for people in [
            ["people", "add", "sun-li", "--name", "孙丽", "--title", "受理员"],
            ["people", "bind", "sun-li", "--role", "call-taker", "--place", community],
            ["people", "bind", "sun-li", "--role", "dispatcher", "--place", community],
            ["people", "add", "zhou-jie", "--name", "周杰", "--title", "调度员"],
            ["people", "bind", "zhou-jie", "--role", "dispatcher", "--place", community],
            ["people", "bind", "zhang-min", "--role", "grid-worker", "--place", "330199001002002"],
            // Also staff of their grid, who may verify: but not their own handling.
            ["people", "bind", "zhang-min", "--role", "community-staff", "--place", "330199001002002"],
            ["people", "add", "li-shegong", "--name", "李社工", "--title", "社区工作者"],
            ["people", "bind", "li-shegong", "--role", "community-staff", "--place", community],
        ] {
            let done = try await ControlEndToEndTests.ctl(people, socket: socket)
            XCTAssertEqual(done.status, 0, "\(people): \(done.errors)")
        }
        for step in [
            ["register", id, "--as", "孙丽"],
            ["dispatch", id, "--to", "worker:张敏", "--deadline", "2h", "--as", "周杰"],
            ["start", id, "--as", "张敏"],
            ["handle", id, "--notes", "已劝离", "--as", "zhang-min"],
        ] {
            let done = try await ctl(step)
            XCTAssertEqual(done.status, 0, "\(step): \(done.errors)")
        }
        let selfCheck = try await ctl(["verify", id, "--as", "张敏"])
        XCTAssertEqual(selfCheck.status, 1)
        XCTAssertTrue(selfCheck.errors.contains("张敏"), selfCheck.errors)
        let early = try await ctl(["evaluate", id, "--satisfaction", "satisfied"])
        XCTAssertEqual(early.status, 1)
        XCTAssertTrue(early.errors.contains("handled"), early.errors)
        // A grid worker of another grid may not act on it at all.
        let stranger = try await ctl(["verify", id, "--as", "王芳"])
        XCTAssertEqual(stranger.status, 5, "permission denied: \(stranger.errors)")
        for step in [
            ["verify", id, "--as", "李社工"],
            ["close", id, "--as", "孙丽"],
            ["evaluate", id, "--satisfaction", "satisfied", "--comment", "很快", "--as", "sun-li"],
        ] {
            let done = try await ctl(step)
            XCTAssertEqual(done.status, 0, "\(step): \(done.errors)")
        }
        let shown = try await ctl(["show", id])
        XCTAssertEqual(shown.status, 0, shown.errors)
        for word in ["evaluated", "孙丽", "周杰", "张敏", "李社工", "已劝离"] {
            XCTAssertTrue(shown.output.contains(word), "\(word) missing from:\n\(shown.output)")
        }
        let listed = try await ctl(["list", "--state", "evaluated"])
        XCTAssertTrue(listed.output.contains(id), listed.output)
        let stats = try await ctl(["stats", "--level", "grid"])
        XCTAssertEqual(stats.status, 0, stats.errors)
        XCTAssertTrue(stats.output.contains("330199001002002"), stats.output)
        let missing = try await ctl(["show", "Cdoesnotexist"])
        XCTAssertEqual(missing.status, 4)
        let outside = try await ctl(["locate", "121.5", "31.5"])
        XCTAssertEqual(outside.status, 4)
        XCTAssertTrue(outside.errors.contains("no grid contains"), outside.errors)
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        for start in 0...(count - subsequence.count)
        where self[start..<(start + subsequence.count)].elementsEqual(subsequence) {
            return true
        }
        return false
    }
}
