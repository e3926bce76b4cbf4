import Foundation
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Credits from the grid module's cases: the points plugin beside the real grid plugin (`gongzhi-grid`) credits
/// the grid worker a case was dispatched to once it is evaluated satisfied — once, across a restart — and takes it
/// back when the case is found not fixed; without the grid module, its rules say they are idle.
final class PointsGridCreditsEndToEndTests: XCTestCase {
    let worker = "volunteer:person:wang-fang"

    static func gridCaseRule() -> Gongzhi_Points_V1_EarningRule {
        var rule = Gongzhi_Points_V1_EarningRule()
        rule.code = "grid-case"
        rule.name = "网格事件办结"
        rule.ledger = "volunteer"
        rule.source = .gridCase
        rule.points = 8
        rule.active = true
        return rule
    }

    func status(_ world: PointsWorld) async throws -> [String] {
        try await world.points.status(Gongzhi_Points_V1_StatusRequest()).integrations
    }

    /// The balance of an account, 0 while it is not open.
    func balance(_ world: PointsWorld, _ id: String) async throws -> Int64 {
        do {
            return try await world.balance(id)
        } catch let error as RPCError where error.code == .notFound {
            return 0
        }
    }

    func testACaseEvaluatedSatisfiedCreditsItsWorkerOnceAndNotFixedTakesItBack() async throws {
        let world = try await PointsWorld.start(self, grid: true)
        _ = try await world.points.putRule(Self.gridCaseRule())
        try await pollUntil("the points plugin follows the grid's cases") {
            try await self.status(world).first?.hasPrefix("grid cases: live") == true
        }
        var rules = try await world.points.listRules(Gongzhi_Points_V1_ListRulesRequest()).rules
        XCTAssertEqual(rules.first { $0.rule.code == "grid-case" }?.status, "active")

        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: world.host.admin)
        let app = try await world.host.issueClientToken(scopes: ["gongzhi.grid.v1.GridService/*"])
        let appChannel = world.host.channel(token: app.token)
        addTeardownBlock { await appChannel.close() }
        let handler = Gongzhi_Grid_V1_GridServiceClient(channel: appChannel)
        try await pollUntil("the grid plugin sees the grids") {
            var request = Gongzhi_Grid_V1_LocateRequest()
            request.point = GridEndToEndTests.point(inGrid: 0)
            return (try? await grid.locate(request))?.gridCode == GridEndToEndTests.grids[0].code
        }
        let categories = try await grid.listCategories(Gongzhi_Grid_V1_ListCategoriesRequest()).categories
        let category = try XCTUnwrap(categories.first { !$0.autoDispatch && $0.tier == .grid })
        var report = Gongzhi_Grid_V1_ReportRequest()
        report.source = .patrol
        report.categoryCode = category.code
        report.description_p = "井盖缺失，位于小区东门"
        report.location = GridEndToEndTests.point(inGrid: 0)
        report.reporter.name = "刘阿姨"
        let id = try await grid.report(report).case.id

        /// From registered to evaluated: dispatched to 王芳, handled by the app, verified and closed by staff.
        func walk(to satisfaction: Gongzhi_Grid_V1_Satisfaction) async throws -> Gongzhi_Grid_V1_Case {
            var dispatch = Gongzhi_Grid_V1_DispatchRequest()
            dispatch.ref.caseID = id
            dispatch.assignee.kind = .gridWorker
            dispatch.assignee.id = "wang-fang"
            _ = try await grid.dispatch(dispatch)
            var handle = Gongzhi_Grid_V1_HandleRequest()
            handle.ref.caseID = id
            handle.notes = "已更换井盖"
            _ = try await handler.handle(handle)
            var verify = Gongzhi_Grid_V1_VerifyRequest()
            verify.ref.caseID = id
            _ = try await grid.verify(verify)
            var close = Gongzhi_Grid_V1_CloseRequest()
            close.ref.caseID = id
            _ = try await grid.close(close)
            return try await evaluate(satisfaction)
        }
        func evaluate(_ satisfaction: Gongzhi_Grid_V1_Satisfaction) async throws -> Gongzhi_Grid_V1_Case {
            var evaluate = Gongzhi_Grid_V1_EvaluateRequest()
            evaluate.ref.caseID = id
            evaluate.satisfaction = satisfaction
            return try await grid.evaluate(evaluate)
        }
        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref.caseID = id
        _ = try await grid.register(register)
        let evaluated = try await walk(to: .satisfied)
        XCTAssertEqual(evaluated.state, .evaluated)
        XCTAssertEqual(evaluated.assignee.id, "wang-fang")

        try await pollUntil("the worker is credited") { try await self.balance(world, self.worker) == 8 }
        let history = try await world.history(worker)
        let credit = try XCTUnwrap(history.first)
        XCTAssertEqual(credit.id, "grid-case:\(id):0:grid-case")
        XCTAssertEqual(credit.amount, 8)
        XCTAssertEqual(credit.code, "grid-case")
        XCTAssertEqual(credit.debitAccountID, PointsWorld.issuer, "from the case's community")
        XCTAssertEqual(credit.reference, id)
        XCTAssertEqual(credit.recordedBy, "gongzhi-points")
        let account = try await world.account(worker)
        XCTAssertEqual(account.account.holderName, "王芳")
        XCTAssertEqual(account.account.communityCode, PointsWorld.community)
        // The count follows the credit's write; the status says it a moment later.
        try await pollUntil("the status counts the credit") {
            try await self.status(world).first == "grid cases: live (1 credits, 0 reversals since start)"
        }

        // A restarted plugin reads every case again, and credits nothing twice.
        let running = try await world.host.status("points")
        kill(running.pid, SIGKILL)
        try await world.host.waitUntilRestarted("points", from: running.pid)
        try await pollUntil("the restarted plugin follows the grid's cases") {
            try await self.status(world).first?.hasPrefix("grid cases: live") == true
        }

        // A follow-up visit finds it not fixed: the case is reopened and the credit taken back.
        let reopened = try await evaluate(.notFixed)
        XCTAssertEqual(reopened.state, .registered)
        XCTAssertEqual(reopened.reopened, 1)
        try await pollUntil("the credit is taken back") { try await self.balance(world, self.worker) == 0 }
        let afterReversal = try await world.history(worker)
        XCTAssertEqual(afterReversal.map(\.id), ["grid-case:\(id):0:grid-case:reversal", credit.id])
        XCTAssertEqual(afterReversal.first?.reversesID, credit.id)
        XCTAssertEqual(afterReversal.first?.code, "correction")
        // The restarted plugin counts from its start: it credited nothing again.
        try await pollUntil("the status counts the reversal and no credit") {
            try await self.status(world).first == "grid cases: live (0 credits, 1 reversals since start)"
        }

        // Handled again and evaluated satisfied: the second round earns its own credit.
        let second = try await walk(to: .satisfied)
        XCTAssertEqual(second.state, .evaluated)
        try await pollUntil("the second round is credited") { try await self.balance(world, self.worker) == 8 }
        let rounds = try await world.history(worker).map(\.id)
        XCTAssertEqual(rounds.first, "grid-case:\(id):1:grid-case")
        XCTAssertEqual(rounds.count, 3)
        rules = try await world.points.listRules(Gongzhi_Points_V1_ListRulesRequest()).rules
        XCTAssertEqual(rules.first { $0.rule.code == "grid-case" }?.status, "active")
        try await world.checkBalancesAgainstTransfers()
    }

    func testWithoutTheGridModuleAGridCaseRuleIsIdleAndSaysWhy() async throws {
        let world = try await PointsWorld.start(self)
        _ = try await world.points.putRule(Self.gridCaseRule())
        try await pollUntil("the rule says the grid module is not deployed") {
            let rules = try await world.points.listRules(Gongzhi_Points_V1_ListRulesRequest()).rules
            let status = rules.first { $0.rule.code == "grid-case" }?.status ?? ""
            return status.hasPrefix("idle: the grid module is not deployed")
        }
        let rules = try await world.points.listRules(Gongzhi_Points_V1_ListRulesRequest()).rules
        XCTAssertEqual(rules.first { $0.rule.code == "deliberation" }?.status, "active", "the other rules are not")
        let integrations = try await status(world)
        XCTAssertTrue(
            integrations.first?.hasPrefix("grid cases: idle, the grid module is not deployed") == true,
            "\(integrations)"
        )
    }
}
