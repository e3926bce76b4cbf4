import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

/// Alerts are the clocks overdue at a moment that the dispute does not hold yet, each recorded once.
final class DisputeAlertsTests: XCTestCase {
    static let jan8: Int64 = 1_799_337_600_000  // 2027-01-08 00:00, the end of the month from 2026-12-07

    func testNothingIsNewBeforeADeadline() throws {
        let d = try F.mediating()
        XCTAssertEqual(DisputeAlerts.new(for: d, at: Self.jan8 - 1), [])
        XCTAssertNil(DisputeAlerts.recording(in: d, at: Self.jan8 - 1))
    }

    func testTheMediationClockRunsOutOnceAtItsDeadline() throws {
        let d = try F.mediating()
        let alerts = DisputeAlerts.new(for: d, at: Self.jan8)
        XCTAssertEqual(alerts.count, 1)
        XCTAssertEqual(alerts.first?.kind, .mediation)
        XCTAssertEqual(alerts.first?.deadlineMs, Self.jan8)
        XCTAssertEqual(alerts.first?.atMs, Self.jan8)
        XCTAssertEqual(alerts.first?.obligationID, "")
        XCTAssertEqual(alerts.first?.description_p, "mediation to finish by 2027-01-07")

        let recorded = try XCTUnwrap(DisputeAlerts.recording(in: d, at: Self.jan8))
        XCTAssertEqual(recorded.alerts, alerts)
        // Nothing else changes: the history, the state, the rest.
        var withoutAlerts = recorded
        withoutAlerts.alerts = []
        XCTAssertEqual(withoutAlerts, d)
        // Found again later, it is not new.
        XCTAssertEqual(DisputeAlerts.new(for: recorded, at: Self.jan8 + F.day), [])
    }

    func testAnExtendedDeadlineThatRunsOutAgainIsANewAlert() throws {
        let d = try F.mediating()
        let alerted = try XCTUnwrap(DisputeAlerts.recording(in: d, at: Self.jan8))
        let extended = try F.step(
            .extend(days: 10, consentingPartyIDs: ["p1", "p2"], reason: "the plumber's report is due"),
            alerted,
            at: Self.jan8 + 1
        )
        // Ten more days end on Sunday 2027-01-17: the period runs to the end of Monday.
        XCTAssertEqual(DisputeAlerts.new(for: extended, at: Self.jan8 + 11 * F.day - 1), [])
        let again = DisputeAlerts.new(for: extended, at: Self.jan8 + 11 * F.day)
        XCTAssertEqual(again.map(\.deadlineMs), [Self.jan8 + 11 * F.day])
        XCTAssertEqual(again.map(\.kind), [.mediation])
    }

    func testEachOverdueObligationIsItsOwnAlert() throws {
        let d = try F.agreed()
        // Past o1's deadline only; the confirmation window (30 days from 2026-12-09) runs until 2027-01-09.
        let afterO1 = DisputeAlerts.new(for: d, at: F.o1Deadline)
        XCTAssertEqual(afterO1.map(\.kind), [.obligation])
        XCTAssertEqual(afterO1.map(\.obligationID), ["o1"])
        let withO1 = try XCTUnwrap(DisputeAlerts.recording(in: d, at: F.o1Deadline))
        let afterO2 = DisputeAlerts.new(for: withO1, at: F.o2Deadline)
        XCTAssertEqual(afterO2.map(\.obligationID), ["o2"])
        XCTAssertEqual(afterO2.first?.description_p, "obligation o2 due by 2026-12-31: follow up")
    }

    func testAFinalDisputeHasNoClocksToRunOut() throws {
        XCTAssertEqual(DisputeAlerts.new(for: try F.failed(), at: Self.jan8 + 100 * F.day), [])
        XCTAssertEqual(DisputeAlerts.new(for: try F.refused(), at: Self.jan8 + 100 * F.day), [])
    }
}
