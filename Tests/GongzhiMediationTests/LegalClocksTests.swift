import GongzhiCalendar
import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

/// Deadlines are the first millisecond past the last day, in China; each expected value is written out.
final class LegalClocksTests: XCTestCase {
    static let jan8: Int64 = 1_799_337_600_000  // 2027-01-08 00:00
    static let jan7: Int64 = 1_799_251_200_000  // 2027-01-07 00:00

    func testMediationEndsOneMonthAfterAcceptance() {
        XCTAssertEqual(LegalClocks.mediationDeadline(acceptedAtMs: F.t0, extensions: []), Self.jan8)
        // Accepted at the first and the last millisecond of 2026-12-07 in China: the same last day.
        XCTAssertEqual(LegalClocks.mediationDeadline(acceptedAtMs: F.t0Midnight, extensions: []), Self.jan8)
        XCTAssertEqual(LegalClocks.mediationDeadline(acceptedAtMs: F.t0Midnight + F.day - 1, extensions: []), Self.jan8)
        XCTAssertEqual(
            LegalClocks.mediationDeadline(acceptedAtMs: F.t0Midnight + F.day, extensions: []),
            Self.jan8 + F.day
        )
    }

    func testAMonthWithoutTheCorrespondingDayEndsOnItsLastDay() {
        // 2027-01-31 09:00 → the end of 2027-02-28; 2028-01-31 09:00 → the end of 2028-02-29 (a leap year).
        XCTAssertEqual(
            LegalClocks.mediationDeadline(acceptedAtMs: 1_801_357_200_000, extensions: []),
            1_803_830_400_000
        )
        XCTAssertEqual(
            LegalClocks.mediationDeadline(acceptedAtMs: 1_832_893_200_000, extensions: []),
            1_835_452_800_000
        )
    }

    func testExtensionsAddTheirDays() {
        let extensions: [Gongzhi_Mediation_V1_Extension] = [.with { $0.days = 10 }, .with { $0.days = 5 }]
        XCTAssertEqual(
            LegalClocks.mediationDeadline(acceptedAtMs: F.t0, extensions: extensions),
            Self.jan8 + 15 * F.day
        )
    }

    func testTheCourtAndConfirmationPeriods() {
        XCTAssertEqual(LegalClocks.confirmationWindowEnd(effectiveAtMs: F.t0), Self.jan7)
        // Effective at 23:30 on 2026-12-31 in China: thirty days from 2027-01-01, to the end of 2027-01-30.
        XCTAssertEqual(LegalClocks.confirmationWindowEnd(effectiveAtMs: 1_798_731_000_000), 1_801_324_800_000)
        XCTAssertEqual(LegalClocks.courtAcceptanceDeadline(appliedAtMs: F.t0), 1_796_918_400_000)  // 2026-12-11
        XCTAssertEqual(LegalClocks.courtDecisionDeadline(acceptedAtMs: F.t0, extended: false), 1_797_955_200_000)
        XCTAssertEqual(LegalClocks.courtDecisionDeadline(acceptedAtMs: F.t0, extended: true), 1_798_819_200_000)
    }

    func testTheClocksOfEachState() throws {
        XCTAssertEqual(LegalClocks(try F.applied()).clocks, [])
        let mediating = LegalClocks(try F.mediating())
        XCTAssertEqual(mediating.disputeID, "D1")
        XCTAssertEqual(mediating.clocks.map(\.kind), [.mediation])
        XCTAssertEqual(mediating.clocks[0].deadlineMs, Self.jan8)
        XCTAssertEqual(mediating.clocks[0].description, "mediation to finish by 2027-01-07")

        let agreed = LegalClocks(try F.agreed())
        XCTAssertEqual(agreed.clocks.map(\.kind), [.obligation, .obligation, .confirmationWindow])
        XCTAssertEqual(agreed.clocks.map(\.obligationID), ["o1", "o2", ""])
        XCTAssertEqual(agreed.clocks.map(\.deadlineMs), [F.o1Deadline, F.o2Deadline, Self.jan7 + 2 * F.day])
        XCTAssertEqual(agreed.clocks[0].description, "obligation o1 due by 2026-12-20: follow up")

        var performed = LegalClocks(try F.performed())
        XCTAssertEqual(performed.clocks.map(\.kind), [.confirmationWindow])
        for final in [try F.failed(), try F.refused(), try F.declined()] {
            performed = LegalClocks(final)
            XCTAssertEqual(performed.clocks, [])
        }
    }

    func testTheCourtsClocksFollowItsSteps() throws {
        func court(_ d: Dispute) -> [LegalClocks.Clock] {
            LegalClocks(d).clocks.filter { $0.kind != .obligation }
        }
        let applyAt = F.t0 + 3 * F.day
        var d = try F.step(.applyForConfirmation(court: "Hushu court", appliedAtMs: 0), try F.agreed(), at: applyAt)
        XCTAssertEqual(court(d).map(\.kind), [.courtAcceptance])
        // Three days end on Sunday 2026-12-13: the court has until the end of Monday.
        XCTAssertEqual(court(d).first?.deadlineMs, LegalClocks.courtAcceptanceDeadline(appliedAtMs: applyAt) + F.day)
        XCTAssertEqual(court(d).first?.description, "Hushu court to accept the application by 2026-12-14")
        XCTAssertEqual(
            LegalClocks(d, restDays: RestDays(holidays: [], workingDays: [.init(year: 2026, month: 12, day: 13)]))
                .clocks.first { $0.kind == .courtAcceptance }?.description,
            "Hushu court to accept the application by 2026-12-13",
            "a Sunday made a working day ends the period"
        )
        d = try F.step(.recordCourtDecision(.accepted(atMs: 0)), d, at: applyAt)
        XCTAssertEqual(court(d).map(\.kind), [.courtDecision])
        XCTAssertEqual(court(d).first?.description, "Hushu court to decide by 2026-12-25")
        d = try F.step(.recordCourtDecision(.extended(atMs: 0)), d, at: applyAt)
        XCTAssertEqual(court(d).first?.description, "Hushu court to decide by 2027-01-04")
        d = try F.step(.recordCourtDecision(.confirmed(number: "12", atMs: 0)), d, at: applyAt)
        XCTAssertEqual(court(d), [])
        XCTAssertEqual(LegalClocks(d).clocks.map(\.kind), [.obligation, .obligation])
    }

    /// Mediated again after a court's refusal, the dispute has a new month from the remediation, and only the
    /// extensions consented to since count.
    func testRemediationStartsANewMonth() throws {
        // Ten days consented to while the first agreement was mediated.
        var d = try F.agreed()
        d.extensions.append(
            .with {
                $0.days = 10
                $0.atMs = F.t0 + F.day
            }
        )
        let refusedAt = F.t0 + 20 * F.day
        d = try F.step(.applyForConfirmation(court: "Hushu court", appliedAtMs: 0), d, at: F.t0 + 2 * F.day)
        d = try F.step(.recordCourtDecision(.refused(reason: "协议内容不明确", atMs: 0)), d, at: refusedAt)
        d = try F.step(.remediate(note: "重新调解"), d, at: refusedAt)
        XCTAssertEqual(LegalClocks.mediationStart(d), refusedAt)
        let clocks = LegalClocks(d).clocks
        XCTAssertEqual(clocks.map(\.kind), [.mediation])
        // 2026-12-27 → the end of 2027-01-27, without the 10 days consented to before the refusal.
        XCTAssertEqual(clocks.first?.deadlineMs, LegalClocks.mediationDeadline(acceptedAtMs: refusedAt, extensions: []))
        XCTAssertEqual(clocks.first?.description, "mediation to finish by 2027-01-27")
        d = try F.step(.extend(days: 5, consentingPartyIDs: ["p1", "p2"], reason: "补充材料"), d, at: refusedAt + F.day)
        XCTAssertEqual(
            LegalClocks(d).clocks.first?.deadlineMs,
            LegalClocks.mediationDeadline(acceptedAtMs: refusedAt, extensions: []) + 5 * F.day
        )
    }

    func testAnObligationsClockStopsWhenPerformedOrMissed() throws {
        var d = try F.agreed()
        d = try F.step(.recordPerformance(F.performance("o1", .partly)), d, at: F.t0 + 3 * F.day)
        XCTAssertEqual(LegalClocks(d).clocks.map(\.obligationID), ["o1", "o2", ""])
        d = try F.step(.recordPerformance(F.performance("o1", .missed)), d, at: F.o1Deadline)
        XCTAssertEqual(LegalClocks(d).clocks.map(\.obligationID), ["o2", ""])
    }

    func testWhatIsDueAndWhatIsOverdue() throws {
        let clocks = LegalClocks(try F.mediating())
        // Due soon from three days before the deadline (inclusive), overdue from the deadline on.
        XCTAssertEqual(clocks.due(at: Self.jan8 - 3 * F.day - 1), [])
        XCTAssertEqual(clocks.due(at: Self.jan8 - 3 * F.day).map(\.overdue), [false])
        XCTAssertEqual(clocks.due(at: Self.jan8 - 1).map(\.overdue), [false])
        XCTAssertEqual(clocks.due(at: Self.jan8).map(\.overdue), [true])
        XCTAssertEqual(clocks.due(at: Self.jan8, within: 0).map(\.overdue), [true])
        XCTAssertEqual(clocks.due(at: Self.jan8 - 10 * F.day, within: 10 * F.day).map(\.overdue), [false])

        let agreed = LegalClocks(try F.agreed())
        XCTAssertEqual(agreed.due(at: F.o2Deadline).map(\.clock.obligationID), ["o1", "o2"])
        let due = agreed.due(at: F.o2Deadline, within: 10 * F.day)
        XCTAssertEqual(due.map(\.clock.obligationID), ["o1", "o2", ""])
        XCTAssertEqual(due.map(\.overdue), [true, true, false])
    }

    func testTheCalendarCountsInChinaTime() {
        XCTAssertEqual(ChinaCalendar.dateText(at: F.t0), "2026-12-07")
        XCTAssertEqual(ChinaCalendar.dateText(at: F.t0Midnight - 1), "2026-12-06")
        XCTAssertEqual(ChinaCalendar.endOfDays(0, after: F.t0), F.t0Midnight + F.day)
        XCTAssertEqual(ChinaCalendar.dateText(at: -1), "1970-01-01")
        XCTAssertEqual(ChinaCalendar.dateText(at: -8 * F.hour - 1), "1969-12-31")
    }
}
