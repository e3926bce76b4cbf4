import GongzhiIntake
import GongzhiOpen311
import XCTest

final class Open311QueryTests: XCTestCase {
    let now = RFC3339.unixMilliseconds("2026-12-07T10:00:00+08:00")!
    let day: Int64 = 86_400_000

    func query(_ text: String) throws -> Open311Query {
        try Open311Query(parameters: Open311Form.parameters(text), nowMs: now)
    }

    func refusal(_ text: String) -> Open311Refusal? {
        do {
            _ = try query(text)
            return nil
        } catch let refusal as Open311Refusal {
            return refusal
        } catch {
            XCTFail("\(error)")
            return nil
        }
    }

    func testTheDefaultsAreTheLastNinetyDaysBothStatusesAndAThousandRequests() throws {
        let all = try query("")
        XCTAssertEqual(all, Open311Query(startMs: now - 90 * day, endMs: now))
        XCTAssertEqual(all.offset, 0)
        XCTAssertEqual(try query("status=&service_code=&page="), all)
    }

    func testOneDateGivesNinetyDaysFromOrUpToIt() throws {
        let start = RFC3339.unixMilliseconds("2026-01-01T00:00:00+08:00")!
        let from = try query("start_date=2026-01-01T00:00:00%2B08:00")
        XCTAssertEqual([from.startMs, from.endMs], [start, start + 90 * day])
        let upTo = try query("end_date=2026-01-01T00:00:00%2B08:00")
        XCTAssertEqual([upTo.startMs, upTo.endMs], [start - 90 * day, start])
        let exactly = try query("start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z")
        XCTAssertEqual(exactly.endMs - exactly.startMs, 90 * day)
    }

    func testListsAndPages() throws {
        let listed = try query("service_code=E0405,+P0103,&status=closed,open,closed&page=3&page_size=20")
        XCTAssertEqual(listed.serviceCodes, ["E0405", "P0103"])
        XCTAssertEqual(listed.statuses, [.closed, .open])
        XCTAssertEqual(listed.offset, 40)
    }

    func testIdsOverrideTheOtherFilters() throws {
        let ids = try query("service_request_id=7,8&status=bogus&start_date=nonsense&service_code=E0405")
        XCTAssertEqual(ids.serviceRequestIDs, ["7", "8"])
        XCTAssertEqual(ids.serviceCodes, [])
        XCTAssertEqual(ids.statuses, [])
        let many = (1...1_001).map(String.init).joined(separator: ",")
        XCTAssertEqual(refusal("service_request_id=\(many)")?.status, 400)
    }

    func testRefusalsNameTheParameter() {
        let cases = [
            "start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:01Z": "more than 90 days",
            "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z": "\"end_date\" is before",
            "end_date=2026-01-01": "\"end_date\" must be a date and time with its zone",
            "status=open,pending": "not \"pending\"",
            "page=-1": "\"page\" must be a whole number",
            "page_size=0": "\"page_size\" must be a whole number from 1 to 1000",
            "status=open&status=closed": "\"status\" is given twice",
        ]
        for (text, message) in cases {
            let refused = refusal(text)
            XCTAssertEqual(refused?.status, 400, text)
            XCTAssertEqual(refused?.code, 400, text)
            XCTAssertTrue(refused?.description.contains(message) == true, "\(text): \(refused?.description ?? "")")
        }
    }
}
