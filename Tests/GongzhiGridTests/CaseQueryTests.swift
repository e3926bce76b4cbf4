import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

final class CaseQueryTests: XCTestCase {
    typealias F = GridFixtures

    static func make(
        _ id: String,
        created: Int64,
        state: Gongzhi_Grid_V1_CaseState = .reported,
        grid: String = "110101001001001",
        category: String = "P0115",
        source: Gongzhi_Grid_V1_Source = .hotline,
        deadline: Int64 = 0
    ) -> Gongzhi_Grid_V1_Case {
        var c = Gongzhi_Grid_V1_Case()
        c.id = id
        c.createdAtMs = created
        c.state = state
        c.gridCode = grid
        c.communityCode = String(grid.prefix(12))
        c.streetCode = String(grid.prefix(9))
        c.categoryCode = category
        c.source = source
        c.deadlineMs = deadline
        return c
    }

    func list(
        _ cases: [Gongzhi_Grid_V1_Case],
        at nowMs: Int64 = F.t0,
        _ configure: (inout Gongzhi_Grid_V1_ListCasesRequest) -> Void = { _ in }
    ) throws -> Gongzhi_Grid_V1_ListCasesResponse {
        var request = Gongzhi_Grid_V1_ListCasesRequest()
        configure(&request)
        return try CaseQuery.list(cases, request, at: nowMs)
    }

    let sample: [Gongzhi_Grid_V1_Case] = [
        make("A", created: F.t0 - 5 * F.hour, state: .reported),
        make("B", created: F.t0 - 4 * F.hour, state: .dispatched, deadline: F.t0 - F.hour),  // overdue
        make("C", created: F.t0 - 3 * F.hour, state: .inProgress, grid: "110101001002001", deadline: F.t0 + F.hour),
        make("D", created: F.t0 - 2 * F.hour, state: .closed, grid: "110102001001001", category: "E0101"),
        make("E", created: F.t0 - 1 * F.hour, state: .handled, category: "E0101", source: .sensor, deadline: F.t0 - 1),
        make("F", created: F.t0 - 1 * F.hour, state: .rejected, source: .patrol),
    ]

    func ids(_ response: Gongzhi_Grid_V1_ListCasesResponse) -> [String] {
        response.cases.map(\.id)
    }

    func testNewestFirstThenByID() throws {
        let response = try list(sample)
        XCTAssertEqual(ids(response), ["F", "E", "D", "C", "B", "A"])
        XCTAssertEqual(response.total, 6)
        XCTAssertEqual(response.nextPageToken, "")
    }

    func testFilters() throws {
        XCTAssertEqual(ids(try list(sample) { $0.states = [.reported, .closed] }), ["D", "A"])
        XCTAssertEqual(ids(try list(sample) { $0.regionCode = "110101001001001" }), ["F", "E", "B", "A"])  // a grid
        XCTAssertEqual(ids(try list(sample) { $0.regionCode = "110101001002" }), ["C"])  // a community
        XCTAssertEqual(ids(try list(sample) { $0.regionCode = "110101001" }), ["F", "E", "C", "B", "A"])  // a street
        XCTAssertEqual(ids(try list(sample) { $0.regionCode = "1101" }).count, 6)  // a prefix: the district
        XCTAssertEqual(ids(try list(sample) { $0.regionCode = "110103" }), [])
        XCTAssertEqual(ids(try list(sample) { $0.categoryCode = "E0101" }), ["E", "D"])
        XCTAssertEqual(ids(try list(sample) { $0.source = .sensor }), ["E"])
        XCTAssertEqual(ids(try list(sample) { $0.openOnly = true }), ["E", "C", "B", "A"])
        XCTAssertEqual(ids(try list(sample) { $0.overdueOnly = true }), ["B"])  // E is handled, C not yet due
        XCTAssertEqual(ids(try list(sample, at: F.t0 + 2 * F.hour) { $0.overdueOnly = true }), ["C", "B"])
        let combined = try list(sample) {
            $0.regionCode = "110101001001"
            $0.openOnly = true
            $0.categoryCode = "P0115"
        }
        XCTAssertEqual(ids(combined), ["B", "A"])
        XCTAssertEqual(combined.total, 2)
    }

    func testOverdue() {
        XCTAssertTrue(CaseQuery.isOverdue(sample[1], at: F.t0))
        XCTAssertFalse(CaseQuery.isOverdue(sample[1], at: F.t0 - F.hour))  // at the deadline, not past it
        XCTAssertFalse(CaseQuery.isOverdue(sample[0], at: F.t0 + 1_000 * F.day))  // no deadline yet
        XCTAssertFalse(CaseQuery.isOverdue(sample[4], at: F.t0))  // handled
    }

    func testPagesCoverEveryCaseOnceInOrder() throws {
        // 250 cases, some sharing a creation time.
        let cases = (0..<250).map { CaseQueryTests.make("C\(1_000 + $0)", created: F.t0 - Int64($0 / 3) * F.minute) }
        var seen: [String] = []
        var token = ""
        var pages = 0
        repeat {
            let response = try list(cases) { $0.pageToken = token }
            XCTAssertEqual(response.total, 250)
            XCTAssertLessThanOrEqual(response.cases.count, 100)
            seen += ids(response)
            token = response.nextPageToken
            pages += 1
        } while !token.isEmpty
        XCTAssertEqual(pages, 3)
        XCTAssertEqual(seen, ids(try list(cases) { $0.limit = 1_000 }))
        XCTAssertEqual(Set(seen).count, 250)

        let small = try list(cases) { $0.limit = 7 }
        XCTAssertEqual(small.cases.count, 7)
        let next = try list(cases) {
            $0.limit = 7
            $0.pageToken = small.nextPageToken
        }
        XCTAssertEqual(ids(next), Array(seen[7..<14]))
    }

    func testAPageTokenSurvivesNewCases() throws {
        var cases = sample
        let first = try list(cases) { $0.limit = 2 }
        XCTAssertEqual(ids(first), ["F", "E"])
        cases.append(CaseQueryTests.make("G", created: F.t0))  // newer than everything
        let second = try list(cases) {
            $0.limit = 2
            $0.pageToken = first.nextPageToken
        }
        XCTAssertEqual(ids(second), ["D", "C"])
    }

    func testBadLimitsAndTokensAreInvalidArguments() {
        var error = workflowError { () throws(WorkflowError) in
            var request = Gongzhi_Grid_V1_ListCasesRequest()
            request.limit = 1_001
            return try CaseQuery.list(self.sample, request, at: F.t0)
        }
        XCTAssertEqual(error?.code, .invalidArgument)
        XCTAssertEqual(error?.message, "limit 1001 is more than 1000; ask for smaller pages")

        for token in ["nonsense", "abc", "7031", "zz"] {
            error = workflowError { () throws(WorkflowError) in
                var request = Gongzhi_Grid_V1_ListCasesRequest()
                request.pageToken = token
                return try CaseQuery.list(self.sample, request, at: F.t0)
            }
            XCTAssertEqual(error?.code, .invalidArgument, token)
            XCTAssertEqual(
                error?.message,
                "page_token \"\(token)\" is not one ListCases gave; start again without a page token"
            )
        }
    }
}
