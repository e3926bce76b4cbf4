import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

/// A summary carries what those who follow a dispute may see, and nothing of its personal data.
final class DisputeSummaryTests: XCTestCase {
    func testASummaryHasThePlaceStateMediatorsAndNextDeadlineButNoParties() throws {
        let d = try F.afterSession()
        let deadline = LegalClocks.mediationDeadline(acceptedAtMs: d.acceptedAtMs, extensions: [])
        let summary = Gongzhi_Mediation_V1_DisputeSummary(d, at: F.t0 + F.day)
        XCTAssertEqual(summary.id, "D1")
        XCTAssertEqual(summary.state, .mediating)
        XCTAssertEqual(summary.type, .neighbour)
        XCTAssertEqual(summary.source, .application)
        XCTAssertEqual(summary.placeCode, F.grid)
        XCTAssertEqual(summary.gridCode, F.grid)
        XCTAssertEqual(summary.communityCode, F.community)
        XCTAssertEqual(summary.streetCode, "330106001")
        XCTAssertEqual(summary.buildingID, "B0003")
        XCTAssertEqual(summary.compound, "Lily Garden")
        XCTAssertEqual(summary.level, .community)
        XCTAssertEqual(summary.title, "Water leaking through the ceiling")
        XCTAssertEqual(summary.mediatorNames, ["Chen Li"])
        XCTAssertEqual(summary.appliedAtMs, F.t0)
        XCTAssertEqual(summary.acceptedAtMs, F.t0)
        XCTAssertEqual(summary.closedAtMs, 0)
        XCTAssertEqual(summary.nextDeadlineMs, deadline)
        XCTAssertFalse(summary.overdue)
        XCTAssertTrue(Gongzhi_Mediation_V1_DisputeSummary(d, at: deadline).overdue)
        XCTAssertFalse(Gongzhi_Mediation_V1_DisputeSummary(d, at: deadline - 1).overdue)

        // No field of the summary holds a party's name, phone or address, the facts or the record.
        let text = try summary.jsonString()
        for secret in ["Wang Jun", "Li Fang", "13800000000", "3-2-501", "shower drain", "Since November"] {
            XCTAssertFalse(text.contains(secret), "the summary shows \(secret): \(text)")
        }
    }

    func testTheNextDeadlineIsTheEarliestOpenClock() throws {
        let d = try F.agreed()
        let summary = Gongzhi_Mediation_V1_DisputeSummary(d, at: F.t0 + 3 * F.day)
        XCTAssertEqual(summary.nextDeadlineMs, F.o1Deadline)
        XCTAssertFalse(summary.overdue)
        XCTAssertTrue(Gongzhi_Mediation_V1_DisputeSummary(d, at: F.o1Deadline).overdue)
    }

    func testAFinalDisputeHasNoDeadline() throws {
        let summary = Gongzhi_Mediation_V1_DisputeSummary(try F.failed(), at: F.t0 + 100 * F.day)
        XCTAssertEqual(summary.state, .failed)
        XCTAssertEqual(summary.nextDeadlineMs, 0)
        XCTAssertFalse(summary.overdue)
        XCTAssertEqual(summary.closedAtMs, F.t0 + 3 * F.day)
    }
}
