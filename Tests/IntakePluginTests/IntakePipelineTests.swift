import GongzhiIntake
import GongzhiIntakeStore
import XCTest

@testable import gongzhi_intake

/// The pipeline's own rules, without a host: which topic holds which payload, where a file's record came
/// from, how long a description a grid report takes, Open311 tokens.
final class IntakePipelineTests: XCTestCase {
    private func row(_ topic: String, _ payload: String) -> InboxRow {
        InboxRow(
            seq: 7,
            source: "sensors-x",
            origin: topic,
            externalID: "",
            contentType: IntakeContentType.json,
            payload: Array(payload.utf8),
            receivedAtMs: 0,
            attempts: 0,
            importID: ""
        )
    }

    private func refusal(_ topic: String, _ payload: String, maximumBytes: Int = 1_024) -> Refusal? {
        do {
            _ = try IntakePipeline.readings(of: row(topic, payload), maximumBytes: maximumBytes)
            return nil
        } catch {
            return error
        }
    }

    func testEachTopicHoldsItsPayload() throws {
        let device = try IntakePipeline.readings(
            of: row("gz/v1/readings/WL-1", #"{"kind":"water_level","value":32.5,"time_unix_ms":1000}"#),
            maximumBytes: 1_024
        )
        XCTAssertEqual(device.map(\.reading.deviceID), ["WL-1"])
        XCTAssertEqual(device.first?.reading.value, 32.5)
        let gateway = try IntakePipeline.readings(
            of: row(
                "gz/v1/gateways/x-c1/readings",
                #"[{"device_id":"WL-1","kind":"water_level","value":1,"time_unix_ms":1},{"device_id":"SM-2","kind":"smoke","value":0.1,"time_unix_ms":2}]"#
            ),
            maximumBytes: 1_024
        )
        XCTAssertEqual(gateway.map(\.reading.deviceID), ["WL-1", "SM-2"])
    }

    func testRefusalsCarryTheirStageAndCode() {
        XCTAssertEqual(refusal("gz/v1/readings/WL-1", "{not json")?.stage, .decode)
        XCTAssertEqual(refusal("gz/v1/readings/WL-1", "{not json")?.code, "json.syntax")
        let wrongType = refusal("gz/v1/readings/WL-1", #"{"kind":"water_level","value":"high","time_unix_ms":1}"#)
        XCTAssertEqual(wrongType?.stage, .validate)
        XCTAssertEqual(wrongType?.code, "field.type")
        XCTAssertEqual(refusal("sensors/WL-1", "{}")?.code, "topic.unknown")
        let large = refusal("gz/v1/readings/WL-1", String(repeating: " ", count: 2_000))
        XCTAssertEqual(large?.code, "payload.too_large")
        XCTAssertEqual(large?.stage, .decode)
    }

    func testAFileRecordNamesItsLine() {
        XCTAssertEqual(IntakePipeline.line(ofOrigin: "tickets.csv:1234"), 1234)
        XCTAssertEqual(IntakePipeline.line(ofOrigin: "a:b:17"), 17)
        XCTAssertEqual(IntakePipeline.line(ofOrigin: "gz/v1/readings/WL-1"), 0)
    }

    func testALongDescriptionIsCutWithAPointerToTheItem() {
        XCTAssertEqual(IntakePipeline.reportDescription("积水", itemID: "T1"), "积水")
        let cut = IntakePipeline.reportDescription(String(repeating: "水", count: 3_000), itemID: "T0123")
        XCTAssertEqual(cut.count, 2_000)
        XCTAssertTrue(cut.hasSuffix("（全文见受理件 T0123）"))
    }

    func testTokensNameTheirInputAndCannotBeForged() {
        let token = Open311Tickets.token(source: "hotline-12345", seq: 123_456)
        XCTAssertEqual(Open311Tickets.seq(ofToken: token, source: "hotline-12345"), 123_456)
        XCTAssertNil(Open311Tickets.seq(ofToken: token, source: "wechat-mini"), "another source's")
        let forged = Open311Tickets.token(source: "hotline-12345", seq: 123_457)
        XCTAssertNotEqual(forged, token)
        XCTAssertNil(Open311Tickets.seq(ofToken: "K2n9c-0000000000", source: "hotline-12345"))
        XCTAssertNil(Open311Tickets.seq(ofToken: "garbage", source: "hotline-12345"))
    }
}
