import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import XCTest

/// The Open311 front end's answers to clients that get it wrong, a batch service's token, and the 429 of a
/// source over its budget, with curl against the real plugin (``IntakeWorld``).
final class IntakeOpen311EndToEndTests: XCTestCase {
    func testRefusalsCarryTheirStatusAndABatchTokenGivesTheIdOnceRouted() async throws {
        let world = try await IntakeWorld.start(self)
        let point = GridEndToEndTests.point(inGrid: 0)

        let badKey = try world.curl(
            "requests.json",
            form: world.ticketForm(
                service: "E0405",
                latitude: point.latitude,
                longitude: point.longitude,
                key: "gzt_0_nope"
            )
        )
        XCTAssertEqual(badKey.status, 403, badKey.body)
        let gridOnly = try await world.host.issueClientToken(scopes: ["gongzhi.grid.v1.GridService/Locate"])
        let noScope = try world.curl(
            "requests.json",
            form: world.ticketForm(
                service: "E0405",
                latitude: point.latitude,
                longitude: point.longitude,
                key: gridOnly.token
            )
        )
        XCTAssertEqual(noScope.status, 403, noScope.body)
        XCTAssertTrue(noScope.body.contains("scope"), noScope.body)

        let unknown = try world.curl(
            "requests.json",
            form: world.ticketForm(service: "Z99", latitude: point.latitude, longitude: point.longitude)
        )
        XCTAssertEqual(unknown.status, 404, unknown.body)
        XCTAssertTrue(unknown.body.contains("Z99"), unknown.body)

        let noService = try world.curl(
            "requests.json",
            form: "api_key=\(world.apiKey)&lat=\(point.latitude)&long=\(point.longitude)&description=x"
        )
        XCTAssertEqual(noService.status, 400, noService.body)
        XCTAssertTrue(noService.body.contains("service_code"), noService.body)
        let halfPoint = try world.curl(
            "requests.json",
            form: world.ticketForm(service: "E0405", latitude: point.latitude, longitude: nil)
        )
        XCTAssertEqual(halfPoint.status, 400, halfPoint.body)
        XCTAssertTrue(halfPoint.body.contains("long"), halfPoint.body)

        let tooLarge = try world.curl(
            "requests.json",
            form: world.ticketForm(
                service: "E0405",
                latitude: point.latitude,
                longitude: point.longitude,
                description: String(repeating: "a", count: 70 * 1024)
            )
        )
        XCTAssertEqual(tooLarge.status, 413, tooLarge.body)

        // Nothing refused reached the inbox.
        var counters = try await world.settled("hotline-12345")
        XCTAssertEqual(counters.received, 0)
        XCTAssertEqual(counters.refusedByReason["api_key"], 2, "\(counters.refusedByReason)")

        // A batch service answers a token at once; the token gives the id when the request is routed.
        let batch = try world.curl(
            "requests.json",
            form: world.ticketForm(
                service: "B01",
                latitude: point.latitude,
                longitude: point.longitude,
                description: "%E5%A4%9C%E9%97%B4%E6%96%BD%E5%B7%A5%E5%99%AA%E5%A3%B0"
            )
        )
        XCTAssertEqual(batch.status, 200, batch.body)
        let token = try XCTUnwrap(IntakeSourcesEndToEndTests.field("token", in: batch.body), batch.body)
        XCTAssertEqual(IntakeSourcesEndToEndTests.field("service_request_id", in: batch.body) ?? "", "", batch.body)
        var id = ""
        try await eventually("the token gives the request's id") {
            let answer = try world.curl("tokens/\(token).json")
            id = IntakeSourcesEndToEndTests.field("service_request_id", in: answer.body) ?? ""
            return answer.status == 200 && !id.isEmpty
        }
        XCTAssertEqual(id, "1", "the first input the source took")
        let unknownToken = try world.curl("tokens/no-such-token.json")
        XCTAssertEqual(unknownToken.status, 404, unknownToken.body)
        counters = try await world.settled("hotline-12345")
        XCTAssertEqual(counters.received, 1)
        XCTAssertEqual(counters.accepted, 1)
        XCTAssertEqual(counters.reports, 1)
        let cases = try await world.cases()
        XCTAssertEqual(cases.map(\.categoryCode), ["E0303"], "B01 噪声扰民 maps to E0303")
    }

    func testASourceOverItsBudgetAnswers429WithRetryAfter() async throws {
        // No grid module, and a grace longer than the test: the first ticket's locate is tried again and again,
        // so it stays in flight and fills the hotline's budget of one.
        let world = try await IntakeWorld.start(
            self,
            grid: false,
            budgets: ["hotline-12345": 1],
            environment: ["INTAKE_MODULE_GRACE_MS": "600000", "INTAKE_REALTIME_WAIT_MS": "0"]
        )
        let point = GridEndToEndTests.point(inGrid: 0)
        let first = try world.curl(
            "requests.json",
            form: world.ticketForm(service: "E0405", latitude: point.latitude, longitude: point.longitude)
        )
        XCTAssertEqual(first.status, 200, first.body)
        XCTAssertEqual(IntakeSourcesEndToEndTests.field("service_request_id", in: first.body), "1", first.body)
        var counters = try await world.balanced("hotline-12345")
        XCTAssertEqual(counters.inFlight, 1)

        let second = try world.curlWithHeaders(
            "requests.json",
            form: world.ticketForm(service: "Q01", latitude: point.latitude, longitude: point.longitude)
        )
        XCTAssertEqual(second.status, 429, second.body)
        XCTAssertEqual(second.headers["retry-after"], "1", "\(second.headers)")
        XCTAssertTrue(second.body.contains("retry after"), second.body)

        // Still in flight a moment later; the refusal is counted beside the equation, not in it.
        try await Task.sleep(for: .milliseconds(500))
        counters = try await world.balanced("hotline-12345")
        XCTAssertEqual(counters.received, 1)
        XCTAssertEqual(counters.inFlight, 1)
        XCTAssertEqual(counters.accepted, 0)
        XCTAssertEqual(counters.refusedByReason["busy"], 1, "\(counters.refusedByReason)")
        let itemCount = try await world.items("hotline-12345").count
        XCTAssertEqual(itemCount, 0)
    }
}
