import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

final class DisputeStatsTests: XCTestCase {
    /// D1 performed on time (community, 2 days to agreement); D2 agreed, its obligations unperformed (street,
    /// 10 days); D3 failed; D4 refused (family, another building); D5 just applied (labour, another compound).
    func disputes() throws -> [Dispute] {
        let d1 = try F.performed()
        var d2 = try F.agreed()
        d2.id = "D2"
        d2.level = .street
        d2.acceptedAtMs = F.t0 - 8 * F.day
        var d3 = try F.failed()
        d3.id = "D3"
        var d4 = try F.refused()
        d4.id = "D4"
        d4.type = .family
        d4.buildingID = "B0005"
        var d5 = try F.applied()
        d5.id = "D5"
        d5.type = .labour
        d5.buildingID = "B0007"
        d5.compound = "Peach Court"
        return [d1, d2, d3, d4, d5]
    }

    func testTheFiguresOnceEveryObligationIsDue() throws {
        let stats = DisputeStats(try disputes(), at: F.o2Deadline + F.day)
        XCTAssertEqual(stats.disputes, 5)
        XCTAssertEqual(stats.concluded, 4)
        XCTAssertEqual(stats.resolved, 2)
        XCTAssertEqual(stats.resolutionRate, 0.5)
        XCTAssertEqual(stats.resolvedAtCommunityOrBelow, 1)
        XCTAssertEqual(stats.shareSettledAtCommunityOrBelow, 0.5)
        XCTAssertEqual(stats.daysToAgreement, [2, 10])
        XCTAssertEqual(stats.medianDaysToAgreement, 6)
        XCTAssertEqual(DisputeStats.nationalAverageDays, 23.33)
        XCTAssertEqual(stats.agreementsDue, 2)
        XCTAssertEqual(stats.agreementsPerformedOnTime, 1)
        XCTAssertEqual(stats.performedOnTimeRate, 0.5)
        XCTAssertEqual(stats.repeatsByBuilding, [DisputeStats.Count(key: "B0003", disputes: 3)])
        XCTAssertEqual(stats.repeatsByCompound, [DisputeStats.Count(key: "Lily Garden", disputes: 4)])
        XCTAssertEqual(
            stats.byType,
            [
                DisputeStats.Count(key: "neighbour", disputes: 3), DisputeStats.Count(key: "family", disputes: 1),
                DisputeStats.Count(key: "labour", disputes: 1),
            ]
        )
    }

    func testAnAgreementCountsForPerformanceOnlyOnceDue() throws {
        let stats = DisputeStats(try disputes(), at: F.t0 + 7 * F.day)
        XCTAssertEqual(stats.agreementsDue, 1)
        XCTAssertEqual(stats.agreementsPerformedOnTime, 1)
        XCTAssertEqual(stats.performedOnTimeRate, 1)
    }

    func testALatePerformanceIsNotOnTime() throws {
        var d = try F.agreed()
        d = try F.step(.recordPerformance(F.performance("o1", .performed)), d, at: F.o1Deadline)
        d = try F.step(.recordPerformance(F.performance("o2", .performed)), d, at: F.o2Deadline + F.day)
        let stats = DisputeStats([d], at: F.o2Deadline + F.day)
        XCTAssertEqual(stats.agreementsDue, 1)
        XCTAssertEqual(stats.agreementsPerformedOnTime, 0)
    }

    func testTheMedianOfAnOddCountAndOfNone() throws {
        var three = try disputes()
        var d6 = try F.agreed()
        d6.id = "D6"
        d6.acceptedAtMs = F.t0 - 3 * F.day
        three.append(d6)
        XCTAssertEqual(DisputeStats(three, at: F.t0).daysToAgreement, [2, 5, 10])
        XCTAssertEqual(DisputeStats(three, at: F.t0).medianDaysToAgreement, 5)
        let none = DisputeStats([], at: F.t0)
        XCTAssertNil(none.medianDaysToAgreement)
        XCTAssertEqual(none.resolutionRate, 0)
        XCTAssertEqual(none.shareSettledAtCommunityOrBelow, 0)
        XCTAssertEqual(none.performedOnTimeRate, 0)
        XCTAssertEqual(none.byType, [])
    }
}
