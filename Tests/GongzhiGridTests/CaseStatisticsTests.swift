import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

final class CaseStatisticsTests: XCTestCase {
    typealias F = GridFixtures

    static let gridA1 = "110101001001001"
    static let gridA2 = "110101001001002"
    static let gridB1 = "110101001002001"
    static let elsewhere = "110102001001001"

    static func make(
        _ id: String,
        grid: String,
        state: Gongzhi_Grid_V1_CaseState,
        created: Int64 = F.t0,
        handledAfter: Int64? = nil,
        late: Bool = false,
        closedTier: Gongzhi_Grid_V1_Tier = .unspecified,
        satisfaction: Gongzhi_Grid_V1_Satisfaction = .unspecified,
        escalations: Int = 0,
        deadline: Int64 = 0
    ) -> Gongzhi_Grid_V1_Case {
        var c = CaseQueryTests.make(id, created: created, state: state, grid: grid, deadline: deadline)
        if let handledAfter {
            c.handledAtMs = created + handledAfter
            c.handledLate = late
        }
        c.closedTier = closedTier
        c.satisfaction = satisfaction
        c.escalations = Array(repeating: Gongzhi_Grid_V1_Escalation(), count: escalations)
        return c
    }

    /// Community A (two grids), community B, and a case in another street.
    let cases: [Gongzhi_Grid_V1_Case] = [
        make(
            "1",
            grid: gridA1,
            state: .evaluated,
            handledAfter: 2 * F.hour,
            closedTier: .grid,
            satisfaction: .satisfied
        ),
        make(
            "2",
            grid: gridA1,
            state: .closed,
            handledAfter: 10 * F.hour,
            late: true,
            closedTier: .community,
            escalations: 1
        ),
        make("3", grid: gridA2, state: .dispatched, escalations: 2, deadline: F.t0 + F.hour),
        make("4", grid: gridA2, state: .reported),
        make(
            "5",
            grid: gridA2,
            state: .evaluated,
            handledAfter: 4 * F.hour,
            closedTier: .grid,
            satisfaction: .unsatisfied
        ),
        make("6", grid: gridB1, state: .rejected),
        make("7", grid: gridB1, state: .handled, handledAfter: 6 * F.hour, deadline: F.t0 + F.hour),
        make("8", grid: gridB1, state: .inProgress, deadline: F.t0 + 3 * F.day),
        make("9", grid: elsewhere, state: .reported, created: F.t0 - 10 * F.day),
    ]

    let now = F.t0 + F.day

    func stats(_ configure: (inout Gongzhi_Grid_V1_StatsRequest) -> Void) -> Gongzhi_Grid_V1_StatsResponse {
        var request = Gongzhi_Grid_V1_StatsRequest()
        configure(&request)
        return CaseStatistics.stats(cases, request, at: now)
    }

    func row(
        _ code: String,
        total: UInt32,
        open: UInt32,
        overdue: UInt32,
        closed: UInt32,
        closedInGrid: Double,
        onTime: Double,
        median: Int64,
        satisfaction: Double,
        evaluated: UInt32,
        escalated: UInt32
    ) -> Gongzhi_Grid_V1_StatsRow {
        var row = Gongzhi_Grid_V1_StatsRow()
        row.regionCode = code
        row.total = total
        row.open = open
        row.overdue = overdue
        row.closed = closed
        row.closedInGrid = closedInGrid
        row.onTime = onTime
        row.medianHandlingMs = median
        row.satisfaction = satisfaction
        row.evaluated = evaluated
        row.escalated = escalated
        return row
    }

    func testRowsPerCommunityInAStreet() {
        let response = stats { $0.regionCode = "110101001" }  // the default level: community
        XCTAssertEqual(response.rows.map(\.regionCode), ["110101001001", "110101001002"])
        XCTAssertEqual(
            response.rows[0],
            row(
                "110101001001",
                total: 5,
                open: 2,
                overdue: 1,
                closed: 3,
                closedInGrid: 2.0 / 3,
                onTime: 2.0 / 3,
                median: 4 * F.hour,
                satisfaction: 0.5,
                evaluated: 2,
                escalated: 2
            )
        )
        XCTAssertEqual(
            response.rows[1],
            row(
                "110101001002",
                total: 3,
                open: 2,
                overdue: 0,
                closed: 0,
                closedInGrid: 0,
                onTime: 1,
                median: 6 * F.hour,
                satisfaction: 0,
                evaluated: 0,
                escalated: 0
            )
        )
        XCTAssertEqual(
            response.all,
            row(
                "110101001",
                total: 8,
                open: 4,
                overdue: 1,
                closed: 3,
                closedInGrid: 2.0 / 3,
                onTime: 3.0 / 4,
                median: 5 * F.hour,  // the mean of 4 h and 6 h, the middle of 2, 4, 6 and 10 h
                satisfaction: 0.5,
                evaluated: 2,
                escalated: 2
            )
        )
    }

    func testRowsPerGridAndPerStreet() {
        let grids = stats {
            $0.level = .grid
            $0.regionCode = "110101001001"
        }
        XCTAssertEqual(grids.rows.map(\.regionCode), [Self.gridA1, Self.gridA2])
        XCTAssertEqual(grids.rows.map(\.total), [2, 3])
        XCTAssertEqual(grids.rows.map(\.open), [0, 2])
        XCTAssertEqual(grids.rows.map(\.closedInGrid), [0.5, 1])
        XCTAssertEqual(grids.rows.map(\.medianHandlingMs), [6 * F.hour, 4 * F.hour])
        XCTAssertEqual(grids.rows.map(\.onTime), [0.5, 1])
        XCTAssertEqual(grids.rows.map(\.satisfaction), [1, 0])
        XCTAssertEqual(grids.all.total, 5)

        let streets = stats { $0.level = .street }
        XCTAssertEqual(streets.rows.map(\.regionCode), ["110101001", "110102001"])
        XCTAssertEqual(streets.rows.map(\.total), [8, 1])
        XCTAssertEqual(streets.all.total, 9)
        XCTAssertEqual(streets.all.open, 5)
    }

    func testATimeWindow() {
        let recent = stats {
            $0.level = .street
            $0.sinceMs = F.t0 - F.day
        }
        XCTAssertEqual(recent.rows.map(\.regionCode), ["110101001"])
        let old = stats {
            $0.level = .street
            $0.untilMs = F.t0
        }
        XCTAssertEqual(old.rows.map(\.regionCode), ["110102001"])
        XCTAssertEqual(old.all.total, 1)
        let none = stats {
            $0.sinceMs = F.t0 + 1
            $0.untilMs = F.t0 + 2
        }
        XCTAssertEqual(none.rows, [])
        XCTAssertEqual(none.all.total, 0)
        XCTAssertEqual(none.all.medianHandlingMs, 0)
        XCTAssertEqual(none.all.onTime, 0)
    }

    func testStatsOfCasesThroughTheWorkflow() throws {
        // A reopened case counts as open and unhandled until it is handled again.
        let reopened = try F.step(
            .evaluate(satisfaction: .notFixed, comment: ""),
            try F.caseIn(.closed),
            by: F.reporterActor,
            at: F.t0 + F.day
        )
        let evaluated = try F.caseIn(.evaluated)
        let response = CaseStatistics.stats([reopened, evaluated], Gongzhi_Grid_V1_StatsRequest(), at: F.t0 + F.day)
        XCTAssertEqual(response.all.total, 2)
        XCTAssertEqual(response.all.open, 1)
        XCTAssertEqual(response.all.closed, 1)
        XCTAssertEqual(response.all.evaluated, 1)
        XCTAssertEqual(response.all.satisfaction, 1)
        XCTAssertEqual(response.all.closedInGrid, 0)  // P0115 is closed at the community tier
        XCTAssertEqual(response.all.medianHandlingMs, 4 * F.hour)  // handled 4 h after the report
        XCTAssertEqual(response.all.onTime, 1)
    }
}
