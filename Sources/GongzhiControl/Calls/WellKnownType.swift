import GongzhiDocuments
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The google.protobuf messages that protobuf's JSON mapping writes in a form of their own: a time as an
/// RFC 3339 string, a duration as `"1.5s"`, a wrapper as its bare value, a Struct as any JSON object, an Any
/// with `"@type"`. The codec knows them by name, so it needs no descriptors for them.
enum WellKnownType: String, CaseIterable, Sendable {
    case any = "google.protobuf.Any"
    case duration = "google.protobuf.Duration"
    case empty = "google.protobuf.Empty"
    case fieldMask = "google.protobuf.FieldMask"
    case timestamp = "google.protobuf.Timestamp"
    case structure = "google.protobuf.Struct"
    case value = "google.protobuf.Value"
    case listValue = "google.protobuf.ListValue"
    case doubleValue = "google.protobuf.DoubleValue"
    case floatValue = "google.protobuf.FloatValue"
    case int64Value = "google.protobuf.Int64Value"
    case uint64Value = "google.protobuf.UInt64Value"
    case int32Value = "google.protobuf.Int32Value"
    case uint32Value = "google.protobuf.UInt32Value"
    case boolValue = "google.protobuf.BoolValue"
    case stringValue = "google.protobuf.StringValue"
    case bytesValue = "google.protobuf.BytesValue"

    /// The enum of Value's `null_value`, written as JSON null.
    static let nullValue = "google.protobuf.NullValue"

    /// The `value` field of a wrapper, which JSON shows bare; nil for the other types.
    var wrappedField: FieldSchema? { Self.wrappedFields[self] }

    private static let wrappedFields: [WellKnownType: FieldSchema] = {
        let types: [(WellKnownType, Google_Protobuf_FieldDescriptorProto.TypeEnum)] = [
            (.doubleValue, .double), (.floatValue, .float), (.int64Value, .int64), (.uint64Value, .uint64),
            (.int32Value, .int32), (.uint32Value, .uint32), (.boolValue, .bool), (.stringValue, .string),
            (.bytesValue, .bytes),
        ]
        var fields: [WellKnownType: FieldSchema] = [:]
        for (wrapper, type) in types {
            var descriptor = Google_Protobuf_FieldDescriptorProto()
            descriptor.name = "value"
            descriptor.number = 1
            descriptor.type = type
            descriptor.label = .optional
            fields[wrapper] = FieldSchema(descriptor, syntax: .proto3, realOneofs: [:])
        }
        return fields
    }()

    /// How a person writes one in JSON, for messages: `a time in RFC 3339 form such as …`.
    var jsonForm: String {
        switch self {
        case .any: return "an object with \"@type\" and the fields of the message it names"
        case .duration: return "a duration in seconds such as \"90s\" or \"0.250s\""
        case .empty: return "an empty object, {}"
        case .fieldMask: return "field paths separated by commas, such as \"title,postedBy\""
        case .timestamp:
            return "a time in RFC 3339 form such as \"2025-11-21T15:00:00Z\" or \"2025-11-21T23:00:00+08:00\""
        case .structure: return "an object"
        case .value: return "any JSON value"
        case .listValue: return "a list"
        case .doubleValue, .floatValue: return "a number"
        case .int64Value, .uint64Value, .int32Value, .uint32Value: return "a whole number"
        case .boolValue: return "true or false"
        case .stringValue: return "a string"
        case .bytesValue: return "base64 text"
        }
    }

    // MARK: The types swift-protobuf converts

    /// The binary form of a Timestamp, Duration or FieldMask from its JSON string, by swift-protobuf's own
    /// conversion; nil when the text is not one.
    func binary(fromJSONString text: String) -> [UInt8]? {
        var quoted = ""
        JSONText.writeString(text, into: &quoted)
        do {
            switch self {
            case .timestamp: return try Google_Protobuf_Timestamp(jsonString: quoted).serializedBytes()
            case .duration: return try Google_Protobuf_Duration(jsonString: quoted).serializedBytes()
            case .fieldMask: return try Google_Protobuf_FieldMask(jsonString: quoted).serializedBytes()
            default: return nil
            }
        } catch {
            return nil
        }
    }

    /// The JSON string of a Timestamp, Duration or FieldMask from its binary form; nil when the bytes are not
    /// one, or one JSON cannot show (a time before year 1 or after 9999, nanoseconds out of range).
    func jsonString(fromBinary bytes: ArraySlice<UInt8>) -> String? {
        let text: String
        do {
            switch self {
            case .timestamp: text = try Google_Protobuf_Timestamp(serializedBytes: Array(bytes)).jsonString()
            case .duration: text = try Google_Protobuf_Duration(serializedBytes: Array(bytes)).jsonString()
            case .fieldMask: text = try Google_Protobuf_FieldMask(serializedBytes: Array(bytes)).jsonString()
            default: return nil
            }
        } catch {
            return nil
        }
        guard let value = try? JSONText.value(text), case .string(let string) = value.content else { return nil }
        return string
    }
}

/// Base64 as protobuf's JSON mapping has it for bytes: written in the standard alphabet with padding, read in
/// the standard or the URL-safe one, with or without padding.
enum Base64 {
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Nil when the text is not base64.
    static func decode(_ text: String) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        switch standard.utf8.count % 4 {
        case 2: standard += "=="
        case 3: standard += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }
}
