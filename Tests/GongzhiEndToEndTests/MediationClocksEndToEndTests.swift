import Foundation
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// The legal clocks of disputes through the real mediation plugin on a clock file the test moves: the month to
/// mediate and its extension, the 30 days to apply for judicial confirmation, the court's 3 days to accept and 15
/// (+10) to decide, and an obligation's deadline. Each is listed by Due when it comes near and once it ran out, a
/// dispute with one overdue is found by ListDisputes{overdue_only}, and the plugin's sweep records an Alert on the
/// dispute once — a later sweep that records another alert leaves it as it was.
///
/// Deadlines are the first moment after the last day in China time; a legal period whose last day is a rest day
/// ends with the next working day (2026-04-12 is a Sunday).
final class MediationClocksEndToEndTests: XCTestCase {
    typealias World = MediationWorld

    /// Waits until dispute `id` holds `count` alerts, and returns them.
    func alerts(
        _ world: MediationWorld,
        _ id: String,
        count: Int,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> [Gongzhi_Mediation_V1_Alert] {
        var alerts: [Gongzhi_Mediation_V1_Alert] = []
        try await eventually("dispute \(id) holds \(count) alerts", file: file, line: line) {
            alerts = try await world.get(id).alerts
            return alerts.count >= count
        }
        XCTAssertEqual(alerts.count, count, "\(alerts)", file: file, line: line)
        return alerts
    }

    /// How many times the plugin's log (in the host's) says that `what` of dispute `id` ran out.
    func ranOut(_ world: MediationWorld, _ id: String, _ what: String) -> Int {
        world.host.log.components(separatedBy: "dispute \(id): \(what) ran out").count - 1
    }

    func testTheMonthToMediateRunsOutIsExtendedWithEveryPartysConsentAndEachRunningOutIsAlertedOnce() async throws {
        let world = try await MediationWorld.start(self)
        let early = try await world.dispute(in: .accepted).id
        try world.setClock(World.china(2026, 3, 7, 10))
        let late = try await world.dispute(in: .accepted, World.application(title: "楼上噪音")).id

        // Three days before the first one's month ends (2026-04-02, a Thursday): due soon, not overdue.
        try world.setClock(World.china(2026, 3, 31, 12))
        let soon = try await world.due()
        XCTAssertEqual(soon.map(\.disputeID), [early])
        XCTAssertEqual(soon.first?.kind, .mediation)
        XCTAssertEqual(soon.first?.deadlineMs, World.china(2026, 4, 3))
        XCTAssertEqual(soon.first?.overdue, false)
        XCTAssertEqual(soon.first?.placeCode, World.grid)
        XCTAssertEqual(soon.first?.title, "楼上漏水")
        XCTAssertTrue(soon.first?.description_p.contains("2026-04-02") == true, soon.first?.description_p ?? "")
        let noneOverdue = try await world.overdue()
        XCTAssertEqual(noneOverdue, [])

        // Extended by ten days with both parties' consent: its month now ends with 2026-04-12, a Sunday, so with
        // Monday 2026-04-13.
        var extend = Gongzhi_Mediation_V1_ExtendRequest()
        extend.disputeID = early
        extend.days = 10
        extend.consentingPartyIds = ["p1"]
        extend.reason = "李建国出差，双方同意延长"
        let hu = world.mediation(as: World.mediator)
        await assertRPCError(.failedPrecondition, saying: ["every party's consent", "李建国 (p2)"]) {
            try await hu.extend(extend)
        }
        extend.consentingPartyIds = ["p1", "p2"]
        let extended = try await hu.extend(extend)
        XCTAssertEqual(extended.extensions.map(\.days), [10])
        // The history tells the committee the day the month now ends: the one its clock counts to.
        XCTAssertTrue(
            extended.history.last?.note.contains("2026-04-13") == true,
            "the extension's note names the last day, Monday 2026-04-13: \(extended.history.last?.note ?? "")"
        )
        let afterExtension = try await world.due()
        XCTAssertEqual(afterExtension, [], "neither month ends within three days")
        let further = try await world.due(within: 24 * 30)
        XCTAssertEqual(further.map(\.disputeID), [late, early])
        XCTAssertEqual(further.map(\.deadlineMs), [World.china(2026, 4, 8), World.china(2026, 4, 14)])

        // The second one's month (to 2026-04-07) runs out first.
        try world.setClock(World.china(2026, 4, 8, 0, 1))
        let lateDue = try await world.due()
        XCTAssertEqual(lateDue.map(\.disputeID), [late])
        XCTAssertEqual(lateDue.first?.overdue, true)
        let lateOverdue = try await world.overdue()
        XCTAssertEqual(lateOverdue, [late])
        let lateAlerts = try await alerts(world, late, count: 1)
        XCTAssertEqual(lateAlerts.first?.kind, .mediation)
        XCTAssertEqual(lateAlerts.first?.deadlineMs, World.china(2026, 4, 8))
        XCTAssertEqual(lateAlerts.first?.atMs, World.china(2026, 4, 8, 0, 1))
        XCTAssertEqual(lateAlerts.first?.description_p, "mediation to finish by 2026-04-07")
        let extendedAlerts = try await world.get(early).alerts
        XCTAssertEqual(extendedAlerts, [], "the extended month has not run out")
        // Those who follow it see that it is overdue, without its personal data.
        let summary = try await world.mediation(as: World.gridWorker).getSummary(.with { $0.disputeID = late })
        XCTAssertTrue(summary.overdue)
        XCTAssertEqual(summary.nextDeadlineMs, World.china(2026, 4, 8))

        // Then the extended one's.
        try world.setClock(World.china(2026, 4, 14, 0, 1))
        let bothOverdue = try await world.overdue()
        XCTAssertEqual(Set(bothOverdue), [early, late])
        let earlyAlerts = try await alerts(world, early, count: 1)
        XCTAssertEqual(earlyAlerts.first?.deadlineMs, World.china(2026, 4, 14))
        XCTAssertEqual(earlyAlerts.first?.description_p, "mediation to finish by 2026-04-13")
        // The sweep that recorded it looked at the other dispute too, and recorded nothing again.
        let lateAfter = try await world.get(late).alerts
        XCTAssertEqual(lateAfter, lateAlerts)
        try await pollUntil("the plugin logs the extended month running out") {
            self.ranOut(world, early, "mediation to finish by 2026-04-13") == 1
        }
        XCTAssertEqual(ranOut(world, late, "mediation to finish by 2026-04-07"), 1)
        // An alert changes nothing else.
        let untouched = try await world.get(late)
        XCTAssertEqual(untouched.state, .accepted)
        XCTAssertEqual(untouched.history.map(\.action), [.apply, .accept])
    }

    func testTheConfirmationWindowAndAnObligationsDeadlineRunOutAndAreAlertedOnce() async throws {
        let world = try await MediationWorld.start(self)
        // In effect on 2026-03-02: 30 days to apply jointly, to the end of 2026-04-01; o1 due by the end of
        // 2026-03-10, o2 by the end of 2026-04-29.
        let id = try await world.dispute(
            in: .agreed,
            repairBy: World.china(2026, 3, 11),
            payBy: World.china(2026, 4, 30)
        ).id

        try world.setClock(World.china(2026, 3, 9, 12))
        let soon = try await world.due()
        XCTAssertEqual(soon.map(\.kind), [.obligation])
        XCTAssertEqual(soon.first?.obligationID, "o1")
        XCTAssertEqual(soon.first?.deadlineMs, World.china(2026, 3, 11))
        XCTAssertEqual(soon.first?.overdue, false)
        let noneYet = try await world.overdue()
        XCTAssertEqual(noneYet, [])

        try world.setClock(World.china(2026, 3, 11, 0, 1))
        let missedDue = try await world.due()
        XCTAssertEqual(missedDue.map(\.obligationID), ["o1"])
        XCTAssertEqual(missedDue.first?.overdue, true)
        let obligationOverdue = try await world.overdue()
        XCTAssertEqual(obligationOverdue, [id])
        let first = try await alerts(world, id, count: 1)
        XCTAssertEqual(first.first?.kind, .obligation)
        XCTAssertEqual(first.first?.obligationID, "o1")
        XCTAssertEqual(first.first?.deadlineMs, World.china(2026, 3, 11))
        // Performed late: the obligation's clock stops.
        let performed = try await world.perform(id, "o1")
        XCTAssertTrue(performed.history.last?.note.contains("late") == true, performed.history.last?.note ?? "")
        let afterPerformance = try await world.overdue()
        XCTAssertEqual(afterPerformance, [])

        // The window: due soon three days before, then run out.
        try world.setClock(World.china(2026, 3, 30, 12))
        let window = try await world.due()
        XCTAssertEqual(window.map(\.kind), [.confirmationWindow])
        XCTAssertEqual(window.first?.deadlineMs, World.china(2026, 4, 2))
        try world.setClock(World.china(2026, 4, 2, 0, 1))
        let windowOverdue = try await world.overdue()
        XCTAssertEqual(windowOverdue, [id])
        let second = try await alerts(world, id, count: 2)
        XCTAssertEqual(second.first, first.first, "the first alert stays as it was")
        XCTAssertEqual(second.last?.kind, .confirmationWindow)
        XCTAssertEqual(second.last?.deadlineMs, World.china(2026, 4, 2))
        XCTAssertEqual(second.last?.atMs, World.china(2026, 4, 2, 0, 1))
        // Too late for the package, and for the joint application.
        await assertRPCError(.failedPrecondition, saying: ["30 days", "2026-04-01"]) {
            try await world.admin.confirmationPackage(.with { $0.disputeID = id })
        }
        await assertRPCError(.failedPrecondition, saying: ["30 days", "2026-04-01"]) {
            try await world.admin.applyForConfirmation(
                .with {
                    $0.disputeID = id
                    $0.court = "某区人民法院"
                }
            )
        }

        // o2 runs out on 2026-04-30: the sweep that records it records neither earlier clock again.
        try world.setClock(World.china(2026, 4, 30, 0, 1))
        let third = try await alerts(world, id, count: 3)
        XCTAssertEqual(Array(third.prefix(2)), second)
        XCTAssertEqual(third.last?.obligationID, "o2")
        XCTAssertEqual(third.last?.kind, .obligation)
        let stillAgreed = try await world.get(id)
        XCTAssertEqual(stillAgreed.state, .agreed)
    }

    func testTheCourtsDaysToAcceptAndToDecideRunOutAndItsExtensionIsANewDeadline() async throws {
        let world = try await MediationWorld.start(self)
        let hu = world.mediation(as: World.mediator)
        let id = try await world.dispute(
            in: .agreed,
            repairBy: World.china(2026, 6, 1),
            payBy: World.china(2026, 6, 1)
        ).id
        try world.setClock(World.china(2026, 3, 3, 10))
        var inform = Gongzhi_Mediation_V1_InformConfirmationRequest()
        inform.disputeID = id
        inform.partyIds = ["p1", "p2"]
        _ = try await hu.informConfirmation(inform)
        let package = try await hu.confirmationPackage(.with { $0.disputeID = id })
        XCTAssertEqual(package.applyByMs, World.china(2026, 4, 2))
        XCTAssertEqual(package.parties.map(\.name), ["张桂兰", "李建国"])
        var apply = Gongzhi_Mediation_V1_ApplyForConfirmationRequest()
        apply.disputeID = id
        apply.court = "杭州市某区人民法院"
        let applied = try await hu.applyForConfirmation(apply)
        XCTAssertEqual(applied.confirmation.appliedAtMs, World.china(2026, 3, 3, 10))

        // Three days to accept: to the end of Friday 2026-03-06.
        let accepting = try await world.due(within: 24 * 7)
        XCTAssertEqual(accepting.map(\.kind), [.courtAcceptance])
        XCTAssertEqual(accepting.first?.deadlineMs, World.china(2026, 3, 7))
        XCTAssertTrue(accepting.first?.description_p.contains("杭州市某区人民法院") == true)
        try world.setClock(World.china(2026, 3, 7, 0, 1))
        let acceptanceOverdue = try await world.overdue()
        XCTAssertEqual(acceptanceOverdue, [id])
        let first = try await alerts(world, id, count: 1)
        XCTAssertEqual(first.last?.kind, .courtAcceptance)
        XCTAssertEqual(first.last?.deadlineMs, World.china(2026, 3, 7))

        // Accepted on Monday 2026-03-09: fifteen days to decide, to the end of 2026-03-24.
        try world.setClock(World.china(2026, 3, 9, 10))
        func court(
            _ step: Gongzhi_Mediation_V1_RecordCourtDecisionRequest.Step
        ) async throws
            -> Gongzhi_Mediation_V1_Dispute
        {
            var request = Gongzhi_Mediation_V1_RecordCourtDecisionRequest()
            request.disputeID = id
            request.step = step
            request.decisionNumber = "（2026）浙0106民特123号"
            return try await hu.recordCourtDecision(request)
        }
        _ = try await court(.accepted)
        let deciding = try await world.due(within: 24 * 30)
        XCTAssertEqual(deciding.map(\.kind), [.courtDecision])
        XCTAssertEqual(deciding.first?.deadlineMs, World.china(2026, 3, 25))
        let nothingOverdue = try await world.overdue()
        XCTAssertEqual(nothingOverdue, [])
        try world.setClock(World.china(2026, 3, 25, 0, 1))
        let decisionOverdue = try await world.overdue()
        XCTAssertEqual(decisionOverdue, [id])
        let second = try await alerts(world, id, count: 2)
        XCTAssertEqual(second.last?.kind, .courtDecision)
        XCTAssertEqual(second.last?.deadlineMs, World.china(2026, 3, 25))

        // Extended by ten days (25 in all, to the end of 2026-04-03): a new deadline, not overdue yet.
        let extended = try await court(.extended)
        XCTAssertTrue(extended.confirmation.courtExtended)
        let afterExtension = try await world.overdue()
        XCTAssertEqual(afterExtension, [])
        let newDeadline = try await world.due(within: 24 * 30)
        XCTAssertEqual(newDeadline.map(\.deadlineMs), [World.china(2026, 4, 4)])
        try world.setClock(World.china(2026, 4, 4, 0, 1))
        let third = try await alerts(world, id, count: 3)
        XCTAssertEqual(Array(third.prefix(2)), second, "the earlier alerts are recorded once")
        XCTAssertEqual(third.last?.kind, .courtDecision)
        XCTAssertEqual(third.last?.deadlineMs, World.china(2026, 4, 4))

        // Confirmed: no court clock runs any more.
        let confirmed = try await court(.confirmed)
        XCTAssertEqual(confirmed.confirmation.decision, .confirmed)
        XCTAssertEqual(confirmed.confirmation.decisionNumber, "（2026）浙0106民特123号")
        let afterDecision = try await world.overdue()
        XCTAssertEqual(afterDecision, [])
    }

    func testADistrictsRestDaysFileMovesTheLastDayOfTheMonthToMediatePastItsHolidays() async throws {
        let files = try TemporaryDirectory(prefix: "gzrestdays")
        addTeardownBlock { _ = files }
        let restDays = files.file("rest-days.txt")
        try """
        # 国务院办公厅关于2027年部分节假日安排的通知
        year 2027
        holiday 2027-10-01 2027-10-07
        working 2027-09-26

        """.write(toFile: restDays, atomically: true, encoding: .utf8)
        let world = try await MediationWorld.start(
            self,
            clockMs: World.china(2027, 9, 1, 10),
            environment: ["MEDIATION_REST_DAYS_FILE": restDays]
        )
        // Accepted on 2027-09-01: the month's last day is Friday 2027-10-01, a holiday to 2027-10-07 in the file,
        // so it ends with Friday 2027-10-08 (without the file: with 2027-10-01).
        let id = try await world.dispute(in: .accepted).id
        let clocks = try await world.due(within: 24 * 60)
        XCTAssertEqual(clocks.map(\.deadlineMs), [World.china(2027, 10, 9)])
        XCTAssertTrue(clocks.first?.description_p.contains("2027-10-08") == true, clocks.first?.description_p ?? "")
        try world.setClock(World.china(2027, 10, 2, 0, 1))
        let inTheHolidays = try await world.overdue()
        XCTAssertEqual(inTheHolidays, [], "the month has not run out during the holidays")
        try world.setClock(World.china(2027, 10, 9, 0, 1))
        let after = try await world.overdue()
        XCTAssertEqual(after, [id])
        let recorded = try await alerts(world, id, count: 1)
        XCTAssertEqual(recorded.first?.deadlineMs, World.china(2027, 10, 9))
    }

    func testAfterTheCourtRefusesToConfirmTheDisputeIsMediatedAgainWithANewMonth() async throws {
        let world = try await MediationWorld.start(self)
        let hu = world.mediation(as: World.mediator)
        let id = try await world.dispute(
            in: .agreed,
            repairBy: World.china(2026, 6, 1),
            payBy: World.china(2026, 6, 1)
        ).id
        try world.setClock(World.china(2026, 3, 3, 10))
        var apply = Gongzhi_Mediation_V1_ApplyForConfirmationRequest()
        apply.disputeID = id
        apply.court = "杭州市某区人民法院"
        _ = try await hu.applyForConfirmation(apply)
        var remediate = Gongzhi_Mediation_V1_RemediateRequest()
        remediate.disputeID = id
        remediate.note = "双方同意重新调解"
        await assertRPCError(.failedPrecondition, saying: ["stands", "court refused"]) {
            try await hu.remediate(remediate)
        }

        try world.setClock(World.china(2026, 3, 5, 10))
        var refusal = Gongzhi_Mediation_V1_RecordCourtDecisionRequest()
        refusal.disputeID = id
        refusal.step = .refused
        refusal.reason = "协议内容超出当事人处分范围"
        let refused = try await hu.recordCourtDecision(refusal)
        XCTAssertEqual(refused.confirmation.decision, .refused)
        XCTAssertEqual(refused.state, .agreed)

        // Mediated again from 2026-03-06: a new month, whose last day, Monday 2026-04-06, is a holiday (清明), so it
        // ends with Tuesday 2026-04-07. The refused agreement is kept.
        try world.setClock(World.china(2026, 3, 6, 10))
        let again = try await hu.remediate(remediate)
        XCTAssertEqual(again.state, .mediating)
        XCTAssertFalse(again.hasAgreement)
        XCTAssertEqual(again.supersededAgreements.map(\.number), ["（2026）幸调字第7号"])
        XCTAssertEqual(again.confirmation, Gongzhi_Mediation_V1_Confirmation())
        let clocks = try await world.due(within: 24 * 40)
        XCTAssertEqual(clocks.map(\.kind), [.mediation])
        XCTAssertEqual(clocks.first?.deadlineMs, World.china(2026, 4, 8))

        // Extended by five days: from the remediation, to Saturday 2026-04-11, so to Monday 2026-04-13. The
        // extension's note names that day, as the clock counts it.
        var extend = Gongzhi_Mediation_V1_ExtendRequest()
        extend.disputeID = id
        extend.days = 5
        extend.consentingPartyIds = ["p1", "p2"]
        let extended = try await hu.extend(extend)
        let extendedClocks = try await world.due(within: 24 * 40)
        XCTAssertEqual(extendedClocks.map(\.deadlineMs), [World.china(2026, 4, 14)])
        XCTAssertTrue(
            extended.history.last?.note.contains("2026-04-13") == true,
            "the extension's note names the last day, 2026-04-13: \(extended.history.last?.note ?? "")"
        )

        // A new session and a new agreement, in effect again.
        _ = try await world.session(id)
        _ = try await world.draft(
            id,
            World.agreement(repairBy: World.china(2026, 6, 1), payBy: World.china(2026, 6, 1))
        )
        _ = try await world.sign(id, .party, "p1")
        _ = try await world.sign(id, .party, "p2")
        _ = try await world.sign(id, .mediator, World.mediator)
        let agreedAgain = try await world.seal(id)
        XCTAssertEqual(agreedAgain.state, .agreed)
        XCTAssertEqual(agreedAgain.agreement.effectiveAtMs, World.china(2026, 3, 6, 10))
        XCTAssertEqual(agreedAgain.sessions.count, 2)
        XCTAssertEqual(agreedAgain.supersededAgreements.count, 1)
        let window = try await world.due(within: 24 * 40).map(\.kind)
        XCTAssertEqual(window, [.confirmationWindow], "30 days from the new agreement's effect")
    }
}
