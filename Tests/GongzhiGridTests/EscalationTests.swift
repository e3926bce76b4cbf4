import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

final class EscalationTests: XCTestCase {
    typealias F = GridFixtures

    /// A case of 占道经营 (E0502: grid tier, 24 h, not auto-dispatched), dispatched at t0.
    func dispatchedGridCase() throws -> Gongzhi_Grid_V1_Case {
        var c = try F.open(F.report(category: "E0502", description: "占道摆摊"))
        c = try F.step(.register(note: "", tier: nil), c, at: F.t0)
        c = try F.step(.dispatch(assignee: F.worker, deadlineMs: nil, note: ""), c, at: F.t0)
        XCTAssertEqual(c.tier, .grid)
        XCTAssertEqual(c.deadlineMs, F.t0 + F.day)
        return c
    }

    func testACaseGoesUpTierByTierAsDeadlinesPass() throws {
        var c = try dispatchedGridCase()

        // Nothing before the deadline, nor at it.
        XCTAssertNil(CaseWorkflow.escalateIfOverdue(c, at: F.t0 + F.hour, catalogue: F.catalogue))
        XCTAssertNil(CaseWorkflow.escalateIfOverdue(c, at: F.t0 + F.day, catalogue: F.catalogue))

        // Grid → community, 48 h.
        var now = F.t0 + F.day + 1
        c = try XCTUnwrap(CaseWorkflow.escalateIfOverdue(c, at: now, catalogue: F.catalogue))
        XCTAssertEqual(c.tier, .community)
        XCTAssertEqual(c.state, .dispatched)
        XCTAssertEqual(c.deadlineMs, now + 48 * F.hour)
        XCTAssertEqual(c.escalations.count, 1)
        XCTAssertEqual(c.escalations[0].from, .grid)
        XCTAssertEqual(c.escalations[0].to, .community)
        XCTAssertEqual(c.escalations[0].deadlineMs, F.t0 + F.day)
        XCTAssertEqual(c.escalations[0].atMs, now)
        let transition = c.history.last!
        XCTAssertEqual(transition.action, .escalate)
        XCTAssertEqual(transition.from, .dispatched)
        XCTAssertEqual(transition.to, .dispatched)
        XCTAssertEqual(transition.actor, "gongzhi-grid")
        XCTAssertEqual(transition.actorID, "gongzhi-grid")
        XCTAssertEqual(transition.atMs, now)
        XCTAssertEqual(
            transition.note,
            "deadline passed at the grid tier; escalated to the community tier with 2 days to handle it"
        )
        XCTAssertNil(CaseWorkflow.escalateIfOverdue(c, at: now + 47 * F.hour, catalogue: F.catalogue))

        // Work starts; community → street, 5 days.
        c = try F.step(.start(note: ""), c, by: F.handlerActor, at: now + F.hour)
        now += 48 * F.hour + 1
        c = try XCTUnwrap(CaseWorkflow.escalateIfOverdue(c, at: now, catalogue: F.catalogue))
        XCTAssertEqual(c.tier, .street)
        XCTAssertEqual(c.state, .inProgress)
        XCTAssertEqual(c.deadlineMs, now + 5 * F.day)
        XCTAssertEqual(c.escalations.last?.from, .community)
        XCTAssertEqual(c.escalations.last?.to, .street)

        // Street → joint, 10 days.
        now += 5 * F.day + 1
        c = try XCTUnwrap(CaseWorkflow.escalateIfOverdue(c, at: now, catalogue: F.catalogue))
        XCTAssertEqual(c.tier, .joint)
        XCTAssertEqual(c.deadlineMs, now + 10 * F.day)
        let jointDeadline = c.deadlineMs

        // Joint is the top: recorded once as overdue, its deadline kept, and not again.
        XCTAssertNil(CaseWorkflow.escalateIfOverdue(c, at: jointDeadline, catalogue: F.catalogue))
        now = jointDeadline + 1
        c = try XCTUnwrap(CaseWorkflow.escalateIfOverdue(c, at: now, catalogue: F.catalogue))
        XCTAssertEqual(c.tier, .joint)
        XCTAssertEqual(c.deadlineMs, jointDeadline)
        XCTAssertEqual(c.escalations.count, 4)
        XCTAssertEqual(c.escalations.last?.from, .joint)
        XCTAssertEqual(c.escalations.last?.to, .joint)
        XCTAssertEqual(c.escalations.last?.deadlineMs, jointDeadline)
        XCTAssertEqual(c.history.last?.note, "overdue at the joint tier, the highest; recorded once")
        XCTAssertNil(CaseWorkflow.escalateIfOverdue(c, at: now + F.day, catalogue: F.catalogue))
        XCTAssertNil(CaseWorkflow.escalateIfOverdue(c, at: now + 100 * F.day, catalogue: F.catalogue))
        XCTAssertEqual(c.history.filter { $0.action == .escalate }.count, 4)

        // Handled late, and the stats count it as escalated and late.
        c = try F.step(.handle(notes: "", media: []), c, by: F.handlerActor, at: now + F.day)
        XCTAssertTrue(c.handledLate)
    }

    func testOnlyCasesWaitingForHandlingEscalate() throws {
        let late = F.t0 + 365 * F.day
        for state in F.states where state != .dispatched && state != .inProgress {
            XCTAssertNil(
                CaseWorkflow.escalateIfOverdue(try F.caseIn(state), at: late, catalogue: F.catalogue),
                "\(state)"
            )
        }
        XCTAssertNotNil(CaseWorkflow.escalateIfOverdue(try F.caseIn(.dispatched), at: late, catalogue: F.catalogue))
        XCTAssertNotNil(CaseWorkflow.escalateIfOverdue(try F.caseIn(.inProgress), at: late, catalogue: F.catalogue))
    }

    func testTheCatalogueSetsTheEscalationDeadlines() throws {
        var catalogue = F.catalogue
        catalogue.escalationDeadlineMinutes[.community] = 90
        let now = F.t0 + 2 * F.day
        let c = try XCTUnwrap(CaseWorkflow.escalateIfOverdue(try dispatchedGridCase(), at: now, catalogue: catalogue))
        XCTAssertEqual(c.deadlineMs, now + 90 * F.minute)
        XCTAssertEqual(c.history.last?.note.hasSuffix("with 90 min to handle it"), true)
    }

    func testAJointCaseIsRecordedOnceForEachDeadline() throws {
        // E0704 老旧小区改造纠纷 starts at the joint tier.
        var c = try F.open(F.report(category: "E0704", description: "加装电梯意见不一"))
        c = try F.step(.register(note: "", tier: nil), c, at: F.t0)
        c = try F.step(.dispatch(assignee: F.assignee(.department, "住建委"), deadlineMs: nil, note: ""), c, at: F.t0)
        XCTAssertEqual(c.deadlineMs, F.t0 + 15 * F.day)
        c = try XCTUnwrap(CaseWorkflow.escalateIfOverdue(c, at: F.t0 + 16 * F.day, catalogue: F.catalogue))
        XCTAssertNil(CaseWorkflow.escalateIfOverdue(c, at: F.t0 + 17 * F.day, catalogue: F.catalogue))
        XCTAssertEqual(c.escalations.count, 1)
    }
}
