import GongzhiIntakeSchemas
import GongzhiSensorsSchemas
import SwiftProtobuf

/// A reading as it came from a device, with the key that dedupes it.
public struct DecodedReading: Equatable, Sendable {
    public var reading: Gongzhi_Sensors_V1_Reading
    /// The device's own sequence number, when it sends one.
    public var sequence: Int64?

    public init(reading: Gongzhi_Sensors_V1_Reading, sequence: Int64?) {
        self.reading = reading
        self.sequence = sequence
    }

    /// `device_id/kind/time_unix_ms[/seq]`: two readings with the same key are one.
    public var externalID: String {
        var key = "\(reading.deviceID)/\(reading.kind)/\(reading.timeUnixMs)"
        if let sequence { key += "/\(sequence)" }
        return key
    }
}

/// The payloads devices and gateways publish over MQTT (documented in Docs/intake.md):
/// - `gz/v1/readings/{device_id}`: a JSON reading `{"kind":"water_level","value":32.5,"time":"…"}` or an
///   array of them; the device is the topic's, and a `device_id` member must match it;
/// - `gz/v1/gateways/{gateway_id}/readings`: a JSON array of readings, each with its `device_id`;
/// - `gz/v1/gateways/{gateway_id}/readings.pb`: a `gongzhi.intake.v1.ReadingBatch`.
public enum ReadingPayload {
    /// The most readings one payload may carry.
    public static let maximumReadings = 10_000

    /// A device's JSON payload, from the topic `gz/v1/readings/{device_id}`.
    public static func decodeDevice(_ text: String, deviceID: String) throws(InputError) -> [DecodedReading] {
        let root = try JSONDocument.parse(text)
        return try elements(of: root).map { (node) throws(InputError) in
            try reading(node, topicDevice: deviceID)
        }
    }

    /// A gateway's JSON payload: an array of readings that each name their device.
    public static func decodeGateway(_ text: String) throws(InputError) -> [DecodedReading] {
        let root = try JSONDocument.parse(text)
        guard case .array = root.value else {
            throw root.error("json.type", "a gateway's payload must be an array of readings, not \(root.typeName)")
        }
        return try elements(of: root).map { (node) throws(InputError) in
            try reading(node, topicDevice: nil)
        }
    }

    /// A gateway's protobuf payload (`ReadingBatch`); its gateway id, when set, must be the topic's.
    public static func decodeBatch(_ bytes: [UInt8], gatewayID: String) throws(InputError) -> [DecodedReading] {
        let batch: Gongzhi_Intake_V1_ReadingBatch
        do {
            batch = try Gongzhi_Intake_V1_ReadingBatch(serializedBytes: bytes)
        } catch {
            throw InputError(code: "protobuf.syntax", message: "the payload is not a gongzhi.intake.v1.ReadingBatch")
        }
        if !batch.gatewayID.isEmpty, batch.gatewayID != gatewayID {
            throw InputError(
                code: "device.mismatch",
                message: "the batch names gateway \"\(batch.gatewayID)\" but was published on gateway "
                    + "\"\(gatewayID)\"'s topic"
            )
        }
        if batch.readings.count > maximumReadings {
            throw InputError(
                code: "payload.too_large",
                message: "the batch holds \(batch.readings.count) readings, more than \(maximumReadings)"
            )
        }
        var decoded: [DecodedReading] = []
        for (index, reading) in batch.readings.enumerated() {
            let place = "reading \(index + 1)"
            if reading.deviceID.isEmpty {
                throw InputError(code: "field.missing", message: "\(place) has no device_id")
            }
            if reading.kind.isEmpty { throw InputError(code: "field.missing", message: "\(place) has no kind") }
            if reading.timeUnixMs <= 0 {
                throw InputError(code: "field.missing", message: "\(place) has no time_unix_ms")
            }
            if !reading.value.isFinite {
                throw InputError(code: "value.implausible", message: "\(place)'s value is not a finite number")
            }
            decoded.append(DecodedReading(reading: reading, sequence: nil))
        }
        return decoded
    }

    private static func elements(of root: JSONNode) throws(InputError) -> [JSONNode] {
        switch root.value {
        case .array(let elements):
            if elements.isEmpty { throw root.error("field.missing", "the array holds no reading") }
            if elements.count > maximumReadings {
                throw root.error(
                    "payload.too_large",
                    "the array holds \(elements.count) readings, more than \(maximumReadings)"
                )
            }
            return elements
        default:
            return [root]
        }
    }

    static let readingMembers: Set<String> = [
        "device_id", "kind", "value", "time", "time_unix_ms", "seq", "attributes",
    ]

    private static func reading(_ node: JSONNode, topicDevice: String?) throws(InputError) -> DecodedReading {
        guard case .object(let members) = node.value else {
            throw node.error("json.type", "a reading must be an object, not \(node.typeName)")
        }
        for member in members where !readingMembers.contains(member.key) {
            throw InputError(
                code: "field.unknown",
                message: "a reading has no member \"\(member.key)\"; it takes "
                    + readingMembers.sorted().joined(separator: ", "),
                line: member.keyLine,
                column: member.keyColumn
            )
        }
        var reading = Gongzhi_Sensors_V1_Reading()
        if let device = node["device_id"] {
            reading.deviceID = try string(device, name: "device_id")
            if let topicDevice, reading.deviceID != topicDevice {
                throw device.error(
                    "device.mismatch",
                    "\"device_id\" is \"\(reading.deviceID)\" but the topic is device \"\(topicDevice)\"'s"
                )
            }
        } else if let topicDevice {
            reading.deviceID = topicDevice
        } else {
            throw node.error("field.missing", "a gateway's reading needs \"device_id\"")
        }
        guard let kind = node["kind"] else { throw node.error("field.missing", "a reading needs \"kind\"") }
        reading.kind = try string(kind, name: "kind")
        guard let value = node["value"] else { throw node.error("field.missing", "a reading needs \"value\"") }
        guard case .number(let number, _) = value.value else {
            throw value.error("field.type", "\"value\" must be a number, not \(value.typeName)")
        }
        reading.value = number
        switch (node["time"], node["time_unix_ms"]) {
        case (nil, nil):
            throw node.error("field.missing", "a reading needs \"time\" (RFC 3339) or \"time_unix_ms\"")
        case (.some, .some(let both)):
            throw both.error("field.repeated", "give \"time\" or \"time_unix_ms\", not both")
        case (let time?, nil):
            let text = try string(time, name: "time")
            guard let ms = RFC3339.unixMilliseconds(text) else {
                throw time.error(
                    "field.type",
                    "\"time\" must be an RFC 3339 time with its offset, like 2026-12-07T10:00:00+08:00"
                )
            }
            reading.timeUnixMs = ms
        case (nil, let ms?):
            reading.timeUnixMs = try integer(ms, name: "time_unix_ms")
            if reading.timeUnixMs <= 0 { throw ms.error("value.implausible", "\"time_unix_ms\" must be positive") }
        }
        var sequence: Int64?
        if let seq = node["seq"] { sequence = try integer(seq, name: "seq") }
        if let attributes = node["attributes"] {
            guard case .object(let pairs) = attributes.value else {
                throw attributes.error(
                    "field.type",
                    "\"attributes\" must be an object of strings, not \(attributes.typeName)"
                )
            }
            for pair in pairs {
                reading.attributes[pair.key] = try string(pair.node, name: "attributes.\(pair.key)")
            }
        }
        return DecodedReading(reading: reading, sequence: sequence)
    }

    private static func string(_ node: JSONNode, name: String) throws(InputError) -> String {
        guard case .string(let text) = node.value else {
            throw node.error("field.type", "\"\(name)\" must be a string, not \(node.typeName)")
        }
        if text.isEmpty { throw node.error("field.missing", "\"\(name)\" must not be empty") }
        return text
    }

    private static func integer(_ node: JSONNode, name: String) throws(InputError) -> Int64 {
        guard case .number(_, let text) = node.value, let number = Int64(text) else {
            throw node.error("field.type", "\"\(name)\" must be a whole number, not \(node.typeName)")
        }
        return number
    }
}
