import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import XCTest

/// Each source from input to case with the real broker, a real HTTP client and real processes (``IntakeWorld``).
final class IntakeSourcesEndToEndTests: XCTestCase {
    func testACriticalReadingBecomesOneSensorCaseInTheDevicesGrid() async throws {
        let world = try await IntakeWorld.start(self)
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try world.publish(device: "WL-1", IntakeWorld.reading(kind: "water_level", value: 8, atMs: now - 3_000))
        try world.publish(device: "WL-1", IntakeWorld.reading(kind: "water_level", value: 42, atMs: now - 2_000))
        try world.publish(device: "WL-1", IntakeWorld.reading(kind: "water_level", value: 45, atMs: now - 1_000))

        var sensorCases: [Gongzhi_Grid_V1_Case] = []
        try await eventually("the critical reading's case exists") {
            sensorCases = try await world.cases().filter { $0.reporter.source == .sensor }
            return !sensorCases.isEmpty
        }
        let counters = try await world.settled("sensors-x")
        XCTAssertEqual(counters.received, 3)
        XCTAssertEqual(counters.accepted, 3)
        XCTAssertEqual(counters.reports, 1, "one report for the alert, however many critical readings")
        sensorCases = try await world.cases().filter { $0.reporter.source == .sensor }
        XCTAssertEqual(sensorCases.count, 1)
        XCTAssertEqual(sensorCases.first?.categoryCode, "E0405")
        XCTAssertEqual(sensorCases.first?.gridCode, IntakeWorld.grid)

        var latest = Gongzhi_Intake_V1_LatestReadingsRequest()
        latest.kind = "water_level"
        let readings = try await world.intake.latestReadings(latest).readings
        XCTAssertEqual(readings.first { $0.deviceID == "WL-1" }?.value, 45, "the newest by the device's own time")
    }

    func testAHotlineTicketBecomesACaseAndItsStatusFollowsTheCase() async throws {
        let world = try await IntakeWorld.start(self)
        let point = GridEndToEndTests.point(inGrid: 0)
        let form =
            "api_key=\(world.apiKey)&service_code=E0405&lat=\(point.latitude)&long=\(point.longitude)"
            + "&description=%E8%B7%AF%E5%8F%A3%E7%A7%AF%E6%B0%B4&attribute%5Bticket_no%5D=GD20261207001"
            + "&first_name=%E6%A1%82%E5%85%B0&last_name=%E5%BC%A0&phone=13900001111"
        let posted = try world.curl("requests.json", form: form)
        XCTAssertEqual(posted.status, 200, posted.body)
        let id = try XCTUnwrap(Self.field("service_request_id", in: posted.body), posted.body)

        let again = try world.curl("requests.json", form: form)
        XCTAssertEqual(again.status, 200, again.body)
        XCTAssertEqual(Self.field("service_request_id", in: again.body), id, "a retried ticket answers the first id")

        var item = Gongzhi_Intake_V1_IntakeItem()
        try await eventually("the ticket's item is in a case") {
            var request = Gongzhi_Intake_V1_ListItemsRequest()
            request.source = "hotline-12345"
            item = try await world.intake.listItems(request).items.first ?? item
            return !item.caseID.isEmpty
        }
        XCTAssertEqual(item.serviceRequestID, id)
        XCTAssertEqual(item.requester.phone, "13900001111")
        XCTAssertEqual(item.gridCode, IntakeWorld.grid)
        let counters = try await world.settled("hotline-12345")
        XCTAssertEqual(counters.received, 2)
        XCTAssertEqual(counters.accepted, 1)
        XCTAssertEqual(counters.duplicates, 1)

        let open = try world.curl("requests/\(id).json")
        XCTAssertEqual(open.status, 200, open.body)
        XCTAssertEqual(Self.field("status", in: open.body), "open")
        XCTAssertFalse(open.body.contains("13900001111"), "no personal data without a key")
        XCTAssertFalse(open.body.contains("路口积水"), "no description without a key")

        var register = Gongzhi_Grid_V1_RegisterCaseRequest()
        register.ref.caseID = item.caseID
        _ = try await world.grid.register(register)
        try await eventually("the ticket shows the case registered") {
            let answer = try world.curl("requests/\(id).json")
            return answer.body.contains("已立案")
        }
    }

    /// A field's value in an Open311 JSON answer (an array of one object), read the simple way.
    static func field(_ name: String, in body: String) -> String? {
        guard let range = body.range(of: "\"\(name)\":\"") else { return nil }
        let rest = body[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
