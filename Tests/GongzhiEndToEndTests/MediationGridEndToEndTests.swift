import Foundation
import GongzhiGridSchemas
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The mediation plugin beside the real grid plugin: a grid case in a dispute category (E0701 邻里纠纷) handed to
/// mediation waits on the dispute — no grid step, no escalation — and closes with the dispute's outcome; a case is
/// handed over once, only from a dispute category and while it is open; a missed obligation of an agreement in a
/// grid opens a grid case. Without the grid module, a hand-over says the module is not deployed and a missed
/// obligation opens nothing.
final class MediationGridEndToEndTests: XCTestCase {
    typealias World = MediationWorld

    func grid(_ world: MediationWorld) -> Gongzhi_Grid_V1_GridServiceClient {
        Gongzhi_Grid_V1_GridServiceClient(channel: world.host.admin)
    }

    /// A case reported in 王芳's grid at a point of its own (far enough from the others not to be a duplicate).
    func report(
        _ world: MediationWorld,
        category: String = "E0701",
        dx: Double,
        description: String = "楼上卫生间漏水，渗到楼下天花板，邻里争吵"
    ) async throws -> Gongzhi_Grid_V1_Case {
        var request = Gongzhi_Grid_V1_ReportRequest()
        request.source = .patrol
        request.categoryCode = category
        request.description_p = description
        request.location = GridEndToEndTests.point(inGrid: 0, dx: dx, dy: dx)
        request.reporter.name = "张桂兰"
        request.reporter.phone = World.applicantPhone
        let reported = try await grid(world).report(request)
        XCTAssertTrue(reported.created)
        return reported.case
    }

    func caseRef(_ id: String) -> Gongzhi_Grid_V1_CaseRef {
        var ref = Gongzhi_Grid_V1_CaseRef()
        ref.caseID = id
        return ref
    }

    func getCase(_ world: MediationWorld, _ id: String) async throws -> Gongzhi_Grid_V1_Case {
        var request = Gongzhi_Grid_V1_GetCaseRequest()
        request.caseID = id
        return try await grid(world).getCase(request)
    }

    func handOff(
        _ caseID: String,
        parties: [Gongzhi_Mediation_V1_Party] = World.parties
    )
        -> Gongzhi_Mediation_V1_HandOffRequest
    {
        var request = Gongzhi_Mediation_V1_HandOffRequest()
        request.caseID = caseID
        request.parties = parties
        request.note = "网格员调处未果，转社区调委会"
        return request
    }

    /// Waits until case `id` satisfies `condition`, and returns it.
    func waitForCase(
        _ world: MediationWorld,
        _ id: String,
        _ what: String,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ condition: @escaping (Gongzhi_Grid_V1_Case) -> Bool
    ) async throws -> Gongzhi_Grid_V1_Case {
        var found = Gongzhi_Grid_V1_Case()
        try await eventually("case \(id) \(what)", file: file, line: line) {
            guard let value = try? await self.getCase(world, id) else { return false }
            found = value
            return condition(value)
        }
        return found
    }

    func testAHandedOverCaseWaitsOnTheDisputeIsNeverEscalatedAndClosesWhenTheAgreementIsPerformed() async throws {
        let world = try await MediationWorld.start(self, grid: true)
        let cases = grid(world)
        let neighbours = try await report(world, dx: 0.2)
        XCTAssertEqual(neighbours.categoryName, "邻里纠纷")
        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref = caseRef(neighbours.id)
        _ = try await cases.register(register)
        var dispatch = Gongzhi_Grid_V1_DispatchRequest()
        dispatch.ref = caseRef(neighbours.id)
        dispatch.assignee.kind = .gridWorker
        dispatch.assignee.id = World.gridWorker
        dispatch.deadlineMs = World.start + 2 * 3_600_000
        _ = try await cases.dispatch(dispatch)
        // A case beside it, not a dispute, with the same deadline: it shows when the escalation sweep has run.
        let other = try await report(world, category: "E0502", dx: 0.7, description: "商户占道经营")
        register.ref = caseRef(other.id)
        _ = try await cases.register(register)
        dispatch.ref = caseRef(other.id)
        _ = try await cases.dispatch(dispatch)

        // Community staff hand it over, naming the parties.
        let staff = world.mediation(as: World.staff)
        let dispute = try await staff.handOff(handOff(neighbours.id))
        XCTAssertEqual(dispute.source, .gridCase)
        XCTAssertEqual(dispute.referralID, neighbours.id)
        XCTAssertEqual(dispute.placeCode, World.grid)
        XCTAssertEqual(dispute.title, "邻里纠纷")
        XCTAssertEqual(dispute.type, .neighbour)
        XCTAssertEqual(dispute.level, .community)
        XCTAssertEqual(dispute.state, .applied)
        XCTAssertEqual(dispute.parties.map(\.householdID), ["H1", "H2"])
        XCTAssertEqual(dispute.history.first?.actorID, World.staff)
        let summary = try await staff.getSummary(.with { $0.disputeID = dispute.id })
        XCTAssertEqual(summary.referralID, neighbours.id)

        let waiting = try await waitForCase(world, neighbours.id, "waits on the dispute") {
            $0.mediation.disputeID == dispute.id
        }
        XCTAssertEqual(waiting.state, .dispatched, "handing over changes no state")
        XCTAssertGreaterThan(waiting.mediation.handedAtMs, 0)
        XCTAssertEqual(waiting.mediation.concludedAtMs, 0)
        XCTAssertEqual(waiting.history.last?.action, .handToMediation)
        XCTAssertTrue(waiting.history.last?.note.contains(dispute.id) == true, waiting.history.last?.note ?? "")

        // While it waits: no grid step, and a second hand-over names the first dispute.
        var start = Gongzhi_Grid_V1_StartRequest()
        start.ref = caseRef(neighbours.id)
        await assertRPCError(.failedPrecondition, saying: ["waits on dispute \(dispute.id)", "mediation"]) {
            try await cases.start(start)
        }
        var handle = Gongzhi_Grid_V1_HandleRequest()
        handle.ref = caseRef(neighbours.id)
        handle.notes = "已调处"
        await assertRPCError(.failedPrecondition, saying: ["waits on dispute \(dispute.id)"]) {
            try await cases.handle(handle)
        }
        await assertRPCError(.alreadyExists, saying: [neighbours.id, dispute.id]) {
            try await staff.handOff(self.handOff(neighbours.id))
        }

        // Past both deadlines: the other case escalates, the waiting one does not.
        try world.setClock(World.start + 3 * 3_600_000)
        _ = try await waitForCase(world, other.id, "escalates") { $0.history.contains { $0.action == .escalate } }
        let notEscalated = try await getCase(world, neighbours.id)
        XCTAssertFalse(notEscalated.history.contains { $0.action == .escalate }, "\(notEscalated.history)")

        // The dispute, mediated to a performed agreement.
        let id = dispute.id
        _ = try await world.accept(id)
        _ = try await world.assign(id)
        _ = try await world.session(id)
        _ = try await world.draft(
            id,
            World.agreement(repairBy: World.china(2026, 3, 10), payBy: World.china(2026, 3, 20))
        )
        _ = try await world.sign(id, .party, "p1")
        _ = try await world.sign(id, .party, "p2")
        _ = try await world.sign(id, .mediator, World.mediator)
        let agreed = try await world.seal(id)
        XCTAssertEqual(agreed.state, .agreed)
        let stillWaiting = try await getCase(world, neighbours.id)
        XCTAssertEqual(stillWaiting.mediation.concludedAtMs, 0, "an agreement in effect is not the end")
        XCTAssertNotEqual(stillWaiting.state, .closed)
        _ = try await world.perform(id, "o1")
        let performed = try await world.perform(id, "o2")
        XCTAssertEqual(performed.state, .performed)

        let closed = try await waitForCase(world, neighbours.id, "closes with the outcome") { $0.state == .closed }
        XCTAssertGreaterThan(closed.mediation.concludedAtMs, 0)
        XCTAssertEqual(closed.mediation.disputeState, "performed")
        XCTAssertTrue(closed.mediation.outcome.contains("agreement performed"), closed.mediation.outcome)
        XCTAssertEqual(closed.history.last?.action, .mediationConcluded)
        for secret in [World.facts, World.record, World.respondentPhone, "李建国"] {
            XCTAssertFalse(closed.mediation.outcome.contains(secret), "the outcome holds no personal data")
        }
        // Closed as any case: the reporter may evaluate it.
        var evaluate = Gongzhi_Grid_V1_EvaluateRequest()
        evaluate.ref = caseRef(neighbours.id)
        evaluate.satisfaction = .satisfied
        let evaluated = try await cases.evaluate(evaluate)
        XCTAssertEqual(evaluated.state, .evaluated)
    }

    func testOnlyOpenCasesInADisputeCategoryAreHandedOverOnceAndAFailedRefusedOrDeclinedDisputeClosesItsCase()
        async throws
    {
        let world = try await MediationWorld.start(self, grid: true)
        let cases = grid(world)
        let hu = world.mediation(as: World.mediator)
        await assertRPCError(.notFound, saying: ["there is no grid case C-none"]) {
            try await hu.handOff(self.handOff("C-none"))
        }
        let street = try await report(world, category: "E0502", dx: 0.1, description: "商户占道经营")
        await assertRPCError(.failedPrecondition, saying: ["E0502", "not a dispute", "E0701"]) {
            try await hu.handOff(self.handOff(street.id))
        }
        let unnamed = try await report(world, dx: 0.3)
        await assertRPCError(.invalidArgument, saying: ["at least two"]) {
            try await hu.handOff(self.handOff(unnamed.id, parties: [World.parties[0]]))
        }
        let rejected = try await report(world, dx: 0.5)
        var reject = Gongzhi_Grid_V1_RejectRequest()
        reject.ref = caseRef(rejected.id)
        reject.reason = "重复上报"
        _ = try await cases.reject(reject)
        await assertRPCError(.failedPrecondition, saying: [rejected.id, "rejected"]) {
            try await hu.handOff(self.handOff(rejected.id))
        }

        // Handed over three times at once, as a double-clicked button would: one dispute, the others refused.
        let clicked = try await report(world, dx: 0.9)
        let doubleClick = handOff(clicked.id)
        let answers = await withTaskGroup(of: Result<String, RPCError>.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        return .success(try await hu.handOff(doubleClick).id)
                    } catch let error as RPCError {
                        return .failure(error)
                    } catch {
                        return .failure(RPCError(code: .unknown, message: "\(error)"))
                    }
                }
            }
            return await group.reduce(into: [Result<String, RPCError>]()) { $0.append($1) }
        }
        let opened = answers.compactMap { try? $0.get() }
        XCTAssertEqual(opened.count, 1, "\(answers)")
        let refusals = answers.compactMap { answer -> RPCError? in
            if case .failure(let error) = answer { return error }
            return nil
        }
        XCTAssertEqual(refusals.map(\.code), [.alreadyExists, .alreadyExists], "\(refusals)")
        XCTAssertTrue(refusals.allSatisfy { $0.message.contains(opened.first ?? "-") }, "\(refusals)")
        let handedOnce = try await waitForCase(world, clicked.id, "waits") { !$0.mediation.disputeID.isEmpty }
        XCTAssertEqual(handedOnce.mediation.disputeID, opened.first)
        XCTAssertEqual(handedOnce.history.filter { $0.action == .handToMediation }.count, 1)

        // A mediator of another community may not hand over a case of this one.
        let sun = world.mediation(as: World.otherMediator)
        await assertRPCError(.permissionDenied, saying: [unnamed.id, World.grid]) {
            try await sun.handOff(self.handOff(unnamed.id))
        }

        // Mediation fails: the case closes, telling that the parties were told of the other routes.
        let failing = try await hu.handOff(handOff(unnamed.id))
        _ = try await world.accept(failing.id)
        _ = try await world.fail(failing.id)
        let failedCase = try await waitForCase(world, unnamed.id, "closes") { $0.state == .closed }
        XCTAssertEqual(failedCase.mediation.disputeID, failing.id)
        XCTAssertEqual(failedCase.mediation.disputeState, "failed")
        XCTAssertTrue(failedCase.mediation.outcome.contains("mediation failed"), failedCase.mediation.outcome)
        XCTAssertFalse(failedCase.mediation.outcome.contains("双方对赔偿金额分歧过大"), "the reason is personal data")
        // A closed case handed over before still names its dispute.
        await assertRPCError(.alreadyExists, saying: [failing.id]) { try await hu.handOff(self.handOff(unnamed.id)) }

        // A party refuses at acceptance: the case closes too.
        let refusing = try await report(world, dx: 0.8)
        let refusedDispute = try await hu.handOff(handOff(refusing.id))
        _ = try await world.accept(refusedDispute.id, refusing: "p2")
        let refusedCase = try await waitForCase(world, refusing.id, "closes") { $0.state == .closed }
        XCTAssertEqual(refusedCase.mediation.disputeState, "refused")
        XCTAssertTrue(refusedCase.mediation.outcome.contains("refused"), refusedCase.mediation.outcome)

        // The committee declines one: its case closes as well.
        let declining = try await report(world, dx: 0.65)
        let declinedDispute = try await hu.handOff(handOff(declining.id))
        var decline = Gongzhi_Mediation_V1_DeclineRequest()
        decline.disputeID = declinedDispute.id
        decline.reason = "已由法院立案受理"
        _ = try await hu.decline(decline)
        let declinedCase = try await waitForCase(world, declining.id, "closes") { $0.state == .closed }
        XCTAssertEqual(declinedCase.mediation.disputeState, "declined")
        XCTAssertTrue(declinedCase.mediation.outcome.contains("declined"), declinedCase.mediation.outcome)
        XCTAssertFalse(declinedCase.mediation.outcome.contains("已由法院立案受理"), "the reason is personal data")
    }

    func testAMissedObligationOfADisputeInAGridOpensAGridCase() async throws {
        let world = try await MediationWorld.start(self, grid: true)
        let id = try await world.dispute(in: .agreed).id
        await assertRPCError(.failedPrecondition, saying: ["o1", "cannot be missed before then"]) {
            try await world.perform(id, "o1", .missed)
        }
        // o1 was due by the end of 2026-03-09.
        try world.setClock(World.china(2026, 3, 11, 9))
        let missed = try await world.perform(id, "o1", .missed)
        XCTAssertEqual(missed.state, .agreed)
        let caseID = "\(id)-o1"
        XCTAssertEqual(missed.performances.last?.gridCaseID, caseID)
        XCTAssertTrue(missed.history.last?.note.contains(caseID) == true, missed.history.last?.note ?? "")

        let opened = try await waitForCase(world, caseID, "is opened") { _ in true }
        XCTAssertEqual(opened.state, .reported)
        XCTAssertEqual(opened.source, .mediation)
        XCTAssertEqual(opened.fromDisputeID, id)
        XCTAssertEqual(opened.categoryCode, "E0701")
        XCTAssertEqual(opened.gridCode, World.grid)
        for text in [id, "o1", "楼上漏水"] {
            XCTAssertTrue(opened.description_p.contains(text), "\(opened.description_p) names \(text)")
        }
        XCTAssertFalse(opened.description_p.contains(World.facts), "no personal data in the case")
        // Recorded once: the other obligation performed later opens nothing more.
        _ = try await world.perform(id, "o2")
        var list = Gongzhi_Grid_V1_ListCasesRequest()
        list.source = .mediation
        let all = try await grid(world).listCases(list).cases
        XCTAssertEqual(all.filter { $0.fromDisputeID == id }.map(\.id), [caseID])
    }

    func testWithoutTheGridModuleAHandOffSaysItIsNotDeployedAndAMissedObligationOpensNoCase() async throws {
        let world = try await MediationWorld.start(self)
        let staff = world.mediation(as: World.staff)
        await assertRPCError(
            .failedPrecondition,
            saying: ["the grid module is not deployed on this host", "gongzhictl mediation apply"]
        ) { try await staff.handOff(self.handOff("C-1")) }

        let id = try await world.dispute(in: .agreed).id
        try world.setClock(World.china(2026, 3, 11, 9))
        let missed = try await world.perform(id, "o1", .missed)
        XCTAssertEqual(missed.performances.last?.outcome, .missed)
        XCTAssertEqual(missed.performances.last?.gridCaseID, "")
        XCTAssertTrue(
            missed.history.last?.note.contains("no grid case: the grid module is not deployed") == true,
            missed.history.last?.note ?? ""
        )
    }

    func testTheGridPluginCatchesUpWithDisputesThatEndedWhileItWasStoppedAndDoesNothingTwice() async throws {
        let world = try await MediationWorld.start(self, grid: true)
        let hu = world.mediation(as: World.mediator)
        let waiting = try await report(world, dx: 0.3)
        let handed = try await hu.handOff(handOff(waiting.id))
        _ = try await waitForCase(world, waiting.id, "waits") { $0.mediation.disputeID == handed.id }
        let agreed = try await world.dispute(in: .agreed).id

        // The grid module is taken off the host for a while.
        let mediation = world.host.plugins[0]
        let gridPlugin = world.host.plugins[1]
        let running = try await world.host.status("grid")
        try world.host.reconfigure([mediation])
        let gone = await waitUntilGone(running.pid)
        XCTAssertTrue(gone, "the grid plugin stopped")
        // Meanwhile the handed-over dispute fails and an obligation of the other is missed.
        _ = try await world.accept(handed.id)
        _ = try await world.fail(handed.id)
        try world.setClock(World.china(2026, 3, 11, 9))
        let missed = try await world.perform(agreed, "o1", .missed)
        let caseID = "\(agreed)-o1"
        XCTAssertEqual(missed.performances.last?.gridCaseID, caseID, "the host still knows the kind Case")

        // Back on the host, it reads the disputes again: the case closes and the missed obligation's opens.
        try world.host.reconfigure([mediation, gridPlugin])
        let back = try await world.host.waitUntil("grid")
        XCTAssertNotEqual(back.pid, running.pid)
        let closed = try await waitForCase(world, waiting.id, "closes") { $0.state == .closed }
        XCTAssertEqual(closed.mediation.disputeState, "failed")
        let opened = try await waitForCase(world, caseID, "is opened") { _ in true }
        XCTAssertEqual(opened.fromDisputeID, agreed)

        // Killed and restarted, it reads them all once more and writes nothing twice: once it has closed a case
        // whose dispute ended after the restart, the earlier ones are as they were.
        let later = try await report(world, dx: 0.7)
        let laterDispute = try await hu.handOff(handOff(later.id))
        _ = try await waitForCase(world, later.id, "waits") { $0.mediation.disputeID == laterDispute.id }
        kill(back.pid, SIGKILL)
        _ = try await world.host.waitUntilRestarted("grid", from: back.pid)
        _ = try await world.accept(laterDispute.id, refusing: "p1")
        _ = try await waitForCase(world, later.id, "closes") { $0.state == .closed }
        let closedOnce = try await getCase(world, waiting.id)
        XCTAssertEqual(closedOnce.history, closed.history)
        XCTAssertEqual(closedOnce.history.filter { $0.action == .mediationConcluded }.count, 1)
        var list = Gongzhi_Grid_V1_ListCasesRequest()
        list.source = .mediation
        let fromMediation = try await grid(world).listCases(list).cases.map(\.id)
        XCTAssertEqual(fromMediation, [caseID])
    }
}
