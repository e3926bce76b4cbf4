import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiSensorsSchemas
import SwiftProtobuf
import XCTest

final class ReadingPayloadTests: XCTestCase {
    private func refusal(_ body: () throws -> [DecodedReading]) -> InputError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? InputError
        }
    }

    func testADevicesReadingTakesItsDeviceFromTheTopic() throws {
        let readings = try ReadingPayload.decodeDevice(
            #"{"kind":"water_level","value":32.5,"time":"2026-12-07T10:00:00+08:00","seq":7,"attributes":{"fw":"1.2"}}"#,
            deviceID: "WL-330199-0042"
        )
        XCTAssertEqual(readings.count, 1)
        let reading = readings[0]
        XCTAssertEqual(reading.reading.deviceID, "WL-330199-0042")
        XCTAssertEqual(reading.reading.kind, "water_level")
        XCTAssertEqual(reading.reading.value, 32.5)
        XCTAssertEqual(reading.reading.timeUnixMs, 1_796_608_800_000)
        XCTAssertEqual(reading.reading.attributes, ["fw": "1.2"])
        XCTAssertEqual(reading.externalID, "WL-330199-0042/water_level/1796608800000/7")
    }

    func testAnArrayOfReadingsAndTimeInMilliseconds() throws {
        let readings = try ReadingPayload.decodeDevice(
            """
            [{"kind":"smoke","value":0,"time_unix_ms":1765072800000},
             {"kind":"smoke","value":1.5e1,"time_unix_ms":1765072810000,"device_id":"SM-1"}]
            """,
            deviceID: "SM-1"
        )
        XCTAssertEqual(readings.map(\.reading.value), [0, 15])
        XCTAssertEqual(readings.map(\.externalID), ["SM-1/smoke/1765072800000", "SM-1/smoke/1765072810000"])
    }

    func testWrongTypesAndMissingFieldsSayWhere() {
        let wrongType = refusal {
            try ReadingPayload.decodeDevice(#"{"kind":"water_level","value":"abc","time_unix_ms":1}"#, deviceID: "d")
        }
        XCTAssertEqual(wrongType?.description, "line 1, column 31: \"value\" must be a number, not a string")
        XCTAssertEqual(wrongType?.code, "field.type")
        let missing = refusal {
            try ReadingPayload.decodeDevice("[\n  {\"kind\":\"smoke\",\"value\":1}\n]", deviceID: "d")
        }
        XCTAssertEqual(missing?.code, "field.missing")
        XCTAssertEqual(missing?.line, 2)
        XCTAssertEqual(missing?.column, 3)
        let fraction = refusal {
            try ReadingPayload.decodeDevice(#"{"kind":"smoke","value":1,"time_unix_ms":1.5}"#, deviceID: "d")
        }
        XCTAssertEqual(fraction?.code, "field.type")
        let unknown = refusal {
            try ReadingPayload.decodeDevice(#"{"kind":"smoke","vaule":1,"time_unix_ms":1}"#, deviceID: "d")
        }
        XCTAssertEqual(unknown?.code, "field.unknown")
        XCTAssertEqual(unknown?.column, 17)
        let badTime = refusal {
            try ReadingPayload.decodeDevice(#"{"kind":"smoke","value":1,"time":"2026-12-07 10:00"}"#, deviceID: "d")
        }
        XCTAssertEqual(badTime?.code, "field.type")
        let both = refusal {
            try ReadingPayload.decodeDevice(
                #"{"kind":"smoke","value":1,"time":"2026-12-07T10:00:00Z","time_unix_ms":1}"#,
                deviceID: "d"
            )
        }
        XCTAssertEqual(both?.code, "field.repeated")
    }

    func testMalformedJSONIsASyntaxErrorWithItsPlace() {
        let error = refusal { try ReadingPayload.decodeDevice("{\"kind\":\"smoke\",\n\"value\":1,,}", deviceID: "d") }
        XCTAssertEqual(error?.code, "json.syntax")
        XCTAssertEqual(error?.line, 2)
        XCTAssertEqual(error?.column, 11)
    }

    func testADeviceIdThatIsNotTheTopicsIsRefused() {
        let error = refusal {
            try ReadingPayload.decodeDevice(
                #"{"device_id":"WL-2","kind":"water_level","value":1,"time_unix_ms":1}"#,
                deviceID: "WL-1"
            )
        }
        XCTAssertEqual(error?.code, "device.mismatch")
        XCTAssertEqual(error?.message, "\"device_id\" is \"WL-2\" but the topic is device \"WL-1\"'s")
    }

    func testAGatewaysReadingsNameTheirDevices() throws {
        let readings = try ReadingPayload.decodeGateway(
            #"[{"device_id":"A","kind":"smoke","value":1,"time_unix_ms":5},{"device_id":"B","kind":"smoke","value":2,"time_unix_ms":5}]"#
        )
        XCTAssertEqual(readings.map(\.reading.deviceID), ["A", "B"])
        XCTAssertEqual(
            refusal { try ReadingPayload.decodeGateway(#"[{"kind":"smoke","value":1,"time_unix_ms":5}]"#) }?.code,
            "field.missing"
        )
        XCTAssertEqual(
            refusal {
                try ReadingPayload.decodeGateway(#"{"device_id":"A","kind":"smoke","value":1,"time_unix_ms":5}"#)
            }?
            .code,
            "json.type"
        )
    }

    func testAProtobufBatch() throws {
        var batch = Gongzhi_Intake_V1_ReadingBatch()
        batch.gatewayID = "GW-1"
        var reading = Gongzhi_Sensors_V1_Reading()
        reading.deviceID = "MT-9"
        reading.kind = "manhole_tilt"
        reading.value = 12
        reading.timeUnixMs = 1_765_072_800_000
        batch.readings = [reading]
        let bytes: [UInt8] = try batch.serializedBytes()
        let decoded = try ReadingPayload.decodeBatch(bytes, gatewayID: "GW-1")
        XCTAssertEqual(decoded.map(\.reading), [reading])
        XCTAssertEqual(refusal { try ReadingPayload.decodeBatch(bytes, gatewayID: "GW-2") }?.code, "device.mismatch")
        XCTAssertEqual(
            refusal { try ReadingPayload.decodeBatch([0xFF, 0xFF, 0xFF], gatewayID: "GW-1") }?.code,
            "protobuf.syntax"
        )
        batch.readings[0].kind = ""
        let noKind: [UInt8] = try batch.serializedBytes()
        XCTAssertEqual(
            refusal { try ReadingPayload.decodeBatch(noKind, gatewayID: "GW-1") }?.message,
            "reading 1 has no kind"
        )
    }

    func testRFC3339Times() {
        XCTAssertEqual(RFC3339.unixMilliseconds("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(RFC3339.unixMilliseconds("2026-12-07T02:00:00.5Z"), 1_796_608_800_500)
        XCTAssertEqual(RFC3339.unixMilliseconds("2026-12-07T10:00:00.123456+08:00"), 1_796_608_800_123)
        XCTAssertEqual(RFC3339.unixMilliseconds("2010-04-14T06:37:38-08:00"), 1_271_255_858_000)
        XCTAssertEqual(RFC3339.unixMilliseconds("2024-02-29T00:00:00Z"), 1_709_164_800_000)
        XCTAssertNil(RFC3339.unixMilliseconds("2026-02-29T00:00:00Z"))
        XCTAssertNil(RFC3339.unixMilliseconds("2026-12-07T10:00:00"))
        XCTAssertNil(RFC3339.unixMilliseconds("2026-12-07T24:00:00Z"))
        XCTAssertEqual(RFC3339.format(unixMilliseconds: 1_796_608_800_999), "2026-12-07T10:00:00+08:00")
        XCTAssertEqual(
            RFC3339.format(unixMilliseconds: 1_271_255_858_000, offsetMinutes: -480),
            "2010-04-14T06:37:38-08:00"
        )
        XCTAssertEqual(RFC3339.format(unixMilliseconds: -1), "1970-01-01T07:59:59+08:00")
    }
}
