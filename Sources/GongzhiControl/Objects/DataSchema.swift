import GongzhiDocuments
import GongzhiObjects
import GongzhiSchemas
import SwiftProtobuf

/// A problem in one document, with the line it is on.
struct DocumentProblem: Error, Equatable, Sendable {
    var line: Int
    var problem: String
}

/// Checks a document's `data` against the kind's message descriptor and writes it as the proto3 JSON
/// that swift-protobuf reads: unknown fields and values of the wrong type are named by their path
/// (`data.workers[1].phone`) and line, and YAML's plain scalars take the type of their field (so that
/// `phone: 13800000000` is a string and `floors: 18` a number).
struct DataSchema {
    /// The core schemas' messages, by full name.
    static let messages = CoreKinds.descriptors.messages

    /// Each message's fields by their names and JSON names (`household_id` and `householdId`).
    static let fields: [String: [String: Google_Protobuf_FieldDescriptorProto]] = messages.mapValues { message in
        var fields: [String: Google_Protobuf_FieldDescriptorProto] = [:]
        for field in message.field {
            fields[jsonName(field)] = field
            fields[field.name] = field
        }
        return fields
    }

    private var messages: [String: Google_Protobuf_DescriptorProto] { Self.messages }

    /// The JSON of the message `messageName` (a full name) that `value` describes.
    func convert(_ value: SourceValue, messageName: String, path: String) throws(DocumentProblem) -> JSONValue {
        if value.isNull { return .null }
        guard let message = messages[messageName], let fields = Self.fields[messageName] else { return value.json }
        guard case .object(let members) = value.content else {
            throw DocumentProblem(
                line: value.line,
                problem: "\(path) must be an object with the fields of \(message.name), not \(value.typeDescription)"
            )
        }
        var out: [(key: String, value: JSONValue)] = []
        for member in members {
            guard let field = fields[member.key] else {
                let names = message.field.map(Self.jsonName)
                var problem = "\(path): \(message.name) has no field \"\(member.key)\""
                if let nearest = Suggestion.nearest(to: member.key, among: names) {
                    problem += " (did you mean \(nearest)?)"
                } else {
                    problem += " (its fields: \(names.joined(separator: ", ")))"
                }
                throw DocumentProblem(line: member.keyLine, problem: problem)
            }
            out.append((member.key, try convertField(member.value, field: field, path: path + "." + member.key)))
        }
        return .object(out)
    }

    private func convertField(
        _ value: SourceValue,
        field: Google_Protobuf_FieldDescriptorProto,
        path: String
    ) throws(DocumentProblem) -> JSONValue {
        if value.isNull { return .null }
        guard field.label == .repeated else { return try convertSingle(value, field: field, path: path) }
        if let entry = mapEntry(field), let valueField = entry.field.first(where: { $0.number == 2 }) {
            guard case .object(let members) = value.content else {
                throw DocumentProblem(
                    line: value.line,
                    problem: "\(path) must be an object (a map), not \(value.typeDescription)"
                )
            }
            var out: [(key: String, value: JSONValue)] = []
            for member in members {
                out.append(
                    (member.key, try convertSingle(member.value, field: valueField, path: "\(path).\(member.key)"))
                )
            }
            return .object(out)
        }
        guard case .array(let items) = value.content else {
            throw DocumentProblem(line: value.line, problem: "\(path) must be a list, not \(value.typeDescription)")
        }
        var out: [JSONValue] = []
        for (index, item) in items.enumerated() {
            out.append(try convertSingle(item, field: field, path: "\(path)[\(index)]"))
        }
        return .array(out)
    }

    private func convertSingle(
        _ value: SourceValue,
        field: Google_Protobuf_FieldDescriptorProto,
        path: String
    ) throws(DocumentProblem) -> JSONValue {
        if value.isNull { return .null }
        func wrong(_ expected: String) -> DocumentProblem {
            DocumentProblem(line: value.line, problem: "\(path) must be \(expected), not \(value.typeDescription)")
        }
        switch field.type {
        case .string, .bytes:
            guard let text = value.text else { throw wrong("a string") }
            return .string(text)
        case .bool:
            switch value.content {
            case .bool(let flag): return .bool(flag)
            case .plain(let text): if let flag = PlainScalar.bool(text) { return .bool(flag) }
            default: break
            }
            throw wrong("true or false")
        case .int32, .sint32, .sfixed32:
            return try integer(value, path: path, range: Int64(Int32.min)...Int64(Int32.max))
        case .uint32, .fixed32:
            return try integer(value, path: path, range: 0...Int64(UInt32.max))
        case .int64, .sint64, .sfixed64:
            return try integer(value, path: path, range: Int64.min...Int64.max)
        case .uint64, .fixed64:
            // Checked as far as Int64 reaches; swift-protobuf checks the rest.
            return try integer(value, path: path, range: 0...Int64.max, unsigned64: true)
        case .double, .float:
            switch value.content {
            case .number(let text): return .number(text)
            case .string(let text), .plain(let text):
                switch text {
                case "NaN", ".nan", ".NaN", ".NAN": return .string("NaN")
                case "Infinity", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .string("Infinity")
                case "-Infinity", "-.inf", "-.Inf", "-.INF": return .string("-Infinity")
                default:
                    if PlainScalar.isNumber(text) { return .number(text) }
                }
            default: break
            }
            throw wrong("a number")
        case .enum:
            return try enumValue(value, field: field, path: path)
        case .message, .group:
            // A message the core schemas do not define (a well-known type such as Timestamp) passes as it is,
            // for swift-protobuf to check.
            return try convert(value, messageName: Self.qualified(field.typeName), path: path)
        }
    }

    private func integer(
        _ value: SourceValue,
        path: String,
        range: ClosedRange<Int64>,
        unsigned64: Bool = false
    ) throws(DocumentProblem) -> JSONValue {
        let text: String
        switch value.content {
        case .number(let number), .string(let number), .plain(let number): text = number
        default:
            throw DocumentProblem(
                line: value.line,
                problem: "\(path) must be a whole number, not \(value.typeDescription)"
            )
        }
        let fits = Int64(text).map(range.contains) ?? (unsigned64 && UInt64(text) != nil)
        guard fits else {
            throw DocumentProblem(
                line: value.line,
                problem: "\(path) must be a whole number from \(range.lowerBound) to "
                    + "\(unsigned64 ? String(UInt64.max) : String(range.upperBound)), not \(text)"
            )
        }
        return .number(text)
    }

    private func enumValue(
        _ value: SourceValue,
        field: Google_Protobuf_FieldDescriptorProto,
        path: String
    ) throws(DocumentProblem) -> JSONValue {
        let descriptor = enumDescriptor(field.typeName)
        switch value.content {
        case .number(let text):
            guard Int32(text) != nil else {
                throw DocumentProblem(line: value.line, problem: "\(path) must be a value's name, not \(text)")
            }
            return .number(text)
        case .string(let text), .plain(let text):
            if case .plain = value.content, Int32(text) != nil { return .number(text) }
            if let descriptor, !descriptor.value.contains(where: { $0.name == text }) {
                let names = descriptor.value.map(\.name)
                var problem = "\(path): \"\(text)\" is not a value of \(descriptor.name)"
                if let nearest = Suggestion.nearest(to: text, among: names) {
                    problem += " (did you mean \(nearest)?)"
                } else {
                    problem += " (\(names.joined(separator: ", ")))"
                }
                throw DocumentProblem(line: value.line, problem: problem)
            }
            return .string(text)
        default:
            throw DocumentProblem(
                line: value.line,
                problem: "\(path) must be one of \(descriptor?.name ?? "the enum")'s value names, not "
                    + value.typeDescription
            )
        }
    }

    // MARK: Descriptors

    /// `.gongzhi.core.v1.Point` → `gongzhi.core.v1.Point`.
    private static func qualified(_ typeName: String) -> String {
        typeName.hasPrefix(".") ? String(typeName.dropFirst()) : typeName
    }

    /// The entry message of a map field.
    private func mapEntry(_ field: Google_Protobuf_FieldDescriptorProto) -> Google_Protobuf_DescriptorProto? {
        guard field.type == .message, let entry = messages[Self.qualified(field.typeName)],
            entry.options.mapEntry
        else { return nil }
        return entry
    }

    /// An enum nested in a message (the core kinds' enums all are).
    private func enumDescriptor(_ typeName: String) -> Google_Protobuf_EnumDescriptorProto? {
        let name = Self.qualified(typeName)
        guard let dot = name.lastIndex(of: ".") else { return nil }
        let enumName = String(name[name.index(after: dot)...])
        return messages[String(name[..<dot])]?.enumType.first { $0.name == enumName }
    }

    /// The field's JSON name: the descriptor's, else protoc's lowerCamelCase of its name.
    static func jsonName(_ field: Google_Protobuf_FieldDescriptorProto) -> String {
        if field.hasJsonName { return field.jsonName }
        var out = ""
        var upperNext = false
        for character in field.name {
            if character == "_" {
                upperNext = true
            } else {
                out += upperNext ? character.uppercased() : String(character)
                upperNext = false
            }
        }
        return out
    }
}
