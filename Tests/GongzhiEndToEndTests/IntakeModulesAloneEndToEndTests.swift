import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import XCTest

/// Intake deployed without the grid module or without the sensor adapter: it takes everything in, keeps it, and
/// says plainly what it cannot do (``IntakeWorld``; a short module grace so that the absence shows quickly).
final class IntakeModulesAloneEndToEndTests: XCTestCase {
    static let quickGrace = ["INTAKE_MODULE_GRACE_MS": "300"]

    func testWithoutTheGridTicketsWaitUnlocatedAndTheSourcesSaySo() async throws {
        let world = try await IntakeWorld.start(self, grid: false, environment: Self.quickGrace)
        let point = GridEndToEndTests.point(inGrid: 0)
        let posted = try world.curl(
            "requests.json",
            form: world.ticketForm(service: "E0405", latitude: point.latitude, longitude: point.longitude)
                + "&phone=13900002222"
        )
        XCTAssertEqual(posted.status, 200, posted.body)
        let consultation = try world.curl(
            "requests.json",
            form: world.ticketForm(service: "Q01", latitude: point.latitude, longitude: point.longitude)
        )
        XCTAssertEqual(consultation.status, 200, consultation.body)

        let counters = try await world.settled("hotline-12345")
        XCTAssertEqual(counters.received, 2)
        XCTAssertEqual(counters.accepted, 2)
        XCTAssertEqual(counters.waitingForPerson, 1)
        XCTAssertEqual(counters.items, 1, "a consultation needs no grid")
        XCTAssertEqual(counters.deadLettered, 0)
        let items = try await world.items("hotline-12345")
        let complaint = try XCTUnwrap(items.first { $0.serviceCode == "E0405" })
        XCTAssertEqual(complaint.state, .waiting)
        XCTAssertEqual(complaint.gridCode, "", "unlocated")
        XCTAssertEqual(complaint.caseID, "")
        XCTAssertEqual(complaint.location.latitude, point.latitude, "the point is kept for later")
        XCTAssertEqual(complaint.requester.phone, "13900002222")
        XCTAssertEqual(items.first { $0.serviceCode == "Q01" }?.state, .open)

        let sources = try await world.intake.listSources(Gongzhi_Intake_V1_ListSourcesRequest())
        let hotline = try XCTUnwrap(sources.sources.first { $0.name == "hotline-12345" })
        XCTAssertTrue(hotline.detail.contains("the grid module is not deployed"), hotline.detail)
        XCTAssertEqual(hotline.state, .connected)

        var route = Gongzhi_Intake_V1_RouteItemRequest()
        route.id = complaint.id
        route.categoryCode = "E0405"
        let refusal = await assertRPCError(.failedPrecondition) { try await world.intake.routeItem(route) }
        XCTAssertTrue(refusal?.message.contains("grid module is not deployed") == true, refusal?.message ?? "")
    }

    func testWithoutTheSensorAdapterReadingsAreStoredWithoutAlertsAndTheSourcesSaySo() async throws {
        let world = try await IntakeWorld.start(self, sensors: false, environment: Self.quickGrace)
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        for (index, value) in [8.0, 42, 45].enumerated() {
            try world.publish(
                device: "WL-1",
                IntakeWorld.reading(kind: "water_level", value: value, atMs: now - 3_000 + Int64(index) * 1_000)
            )
        }
        let counters = try await world.settled("sensors-x")
        XCTAssertEqual(counters.received, 3)
        XCTAssertEqual(counters.accepted, 3)
        XCTAssertEqual(counters.readingsStored, 3)
        XCTAssertEqual(counters.alerts, 0)
        XCTAssertEqual(counters.reports, 0)
        XCTAssertEqual(counters.deadLettered, 0)

        var latest = Gongzhi_Intake_V1_LatestReadingsRequest()
        latest.kind = "water_level"
        let readings = try await world.intake.latestReadings(latest).readings
        XCTAssertEqual(readings.first { $0.deviceID == "WL-1" }?.value, 45)
        let caseCount = try await world.cases().count
        XCTAssertEqual(caseCount, 0, "no alert, so no case")

        let sources = try await world.intake.listSources(Gongzhi_Intake_V1_ListSourcesRequest())
        let sensors = try XCTUnwrap(sources.sources.first { $0.name == "sensors-x" })
        XCTAssertTrue(sensors.detail.contains("the sensor adapter is not deployed"), sensors.detail)
        XCTAssertTrue(sensors.detail.contains("readings are stored without alerts"), sensors.detail)
        XCTAssertEqual(sensors.state, .connected)
    }
}
