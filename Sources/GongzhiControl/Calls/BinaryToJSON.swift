import GongzhiDocuments
import SwiftProtobuf

/// Reads a message in protobuf's binary form and writes it as JSON in protobuf's JSON mapping (proto3 JSON),
/// reading the message's shape from descriptors alone, as `gongzhictl call` does for a service it has no code
/// for.
///
/// Fields come in field-number order, named by their proto names (`posted_by`) or, with `jsonNames`, their
/// JSON names (`postedBy`). Fields without presence that hold their default are left out; 64-bit integers
/// are strings; enums are their value names (numbers when the descriptors do not name them); bytes are
/// base64; the well-known types take their JSON forms (`WellKnownType`). Fields the descriptors do not
/// define (a newer plugin's) are left out with a note, never a failure.
struct BinaryToJSON: Sendable {
    let pool: DescriptorPool
    /// lowerCamelCase JSON names (protobuf's canonical JSON) instead of the proto's field names.
    var jsonNames = false

    /// The JSON of a message, and notes for people on what it could not show.
    struct Decoded: Sendable {
        var json: JSONValue
        var notes: [String]
    }

    /// The JSON of the message `messageName` (a full name) in `bytes`.
    func decode(_ bytes: [UInt8], messageName: String) throws(CodecProblem) -> Decoded {
        var decoding = Decoding(pool: pool, jsonNames: jsonNames)
        let json = try decoding.message(bytes[...], typeName: messageName, path: "", depth: 0)
        return Decoded(json: json, notes: decoding.notes)
    }
}

private struct Decoding {
    let pool: DescriptorPool
    let jsonNames: Bool
    var notes: [String] = []
    private var noted: Set<String> = []

    init(pool: DescriptorPool, jsonNames: Bool) {
        self.pool = pool
        self.jsonNames = jsonNames
    }

    private mutating func note(_ text: String) {
        if noted.insert(text).inserted { notes.append(text) }
    }

    // MARK: Messages

    mutating func message(
        _ bytes: ArraySlice<UInt8>,
        typeName: String,
        path: String,
        depth: Int
    ) throws(CodecProblem) -> JSONValue {
        guard depth < JSONToBinary.maximumDepth else {
            throw CodecProblem(path: path, problem: "messages are nested too deeply")
        }
        if let wellKnown = WellKnownType(rawValue: typeName) {
            return try self.wellKnown(bytes, type: wellKnown, path: path, depth: depth)
        }
        guard let schema = pool.messages[typeName] else {
            throw CodecProblem(path: path, problem: "the service's descriptors do not define \(typeName)")
        }
        var values: [Int32: [WireValue]] = [:]
        var chosenInOneof: [Int32: Int32] = [:]
        for (number, value) in try fields(of: bytes, typeName: typeName, path: path) {
            guard let field = schema.field(number: number) else {
                note(
                    "the answer holds field \(number) of \(schema.name), which the service's descriptors do not "
                        + "define (is the plugin newer?); it is left out"
                )
                continue
            }
            guard accepts(value.wireType, field: field) else {
                note(
                    "field \(field.name) of \(schema.name) came as wire type \(value.wireType.rawValue), which "
                        + "is not its type's; it is left out"
                )
                continue
            }
            if let oneof = field.oneof { chosenInOneof[oneof] = number }
            values[number, default: []].append(value)
        }
        var members: [(key: String, value: JSONValue)] = []
        for field in schema.fields {
            guard let found = values[field.number] else { continue }
            if let oneof = field.oneof, chosenInOneof[oneof] != field.number { continue }
            let key = jsonNames ? field.jsonName : field.name
            if let value = try json(found, field: field, path: FieldPath.member(path, key), depth: depth) {
                members.append((key, value))
            }
        }
        return .object(members)
    }

    /// Every field in the bytes, in order.
    private func fields(
        of bytes: ArraySlice<UInt8>,
        typeName: String,
        path: String
    ) throws(CodecProblem) -> [(number: Int32, value: WireValue)] {
        var reader = WireReader(bytes)
        var fields: [(Int32, WireValue)] = []
        do {
            while let field = try reader.next() { fields.append(field) }
        } catch {
            throw CodecProblem(path: path, problem: "the bytes are not a valid \(typeName): \(error.problem)")
        }
        return fields
    }

    /// Whether a value that came as `type` can be the field's (a repeated number may come packed).
    private func accepts(_ type: WireType, field: FieldSchema) -> Bool {
        let expected = Self.wireType(of: field.type)
        return type == expected || (field.isRepeated && type == .lengthDelimited && expected != .lengthDelimited)
    }

    private static func wireType(of type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> WireType {
        switch type {
        case .double, .fixed64, .sfixed64: return .fixed64
        case .float, .fixed32, .sfixed32: return .fixed32
        case .string, .bytes, .message: return .lengthDelimited
        case .group: return .startGroup
        case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .bool, .enum: return .varint
        }
    }

    // MARK: Fields

    /// The JSON of a field from every value it came with; nil when it is left out (a default without presence).
    private mutating func json(
        _ values: [WireValue],
        field: FieldSchema,
        path: String,
        depth: Int
    ) throws(CodecProblem) -> JSONValue? {
        if let entry = pool.mapEntry(of: field) {
            var entries: [(key: String, value: JSONValue)] = []
            var positions: [String: Int] = [:]
            for value in values {
                guard case .lengthDelimited(let bytes) = value else { continue }
                let (key, json) = try mapEntry(bytes, entry: entry, path: path, depth: depth)
                if let position = positions[key] {
                    entries[position].value = json
                } else {
                    positions[key] = entries.count
                    entries.append((key, json))
                }
            }
            return entries.isEmpty ? nil : .object(entries)
        }
        if field.isRepeated {
            var items: [JSONValue] = []
            for value in values {
                if case .lengthDelimited(let bytes) = value, Self.wireType(of: field.type) != .lengthDelimited {
                    let packed: [WireValue]
                    do {
                        packed = try WireReader.packed(bytes, as: Self.wireType(of: field.type))
                    } catch {
                        throw CodecProblem(path: path, problem: "a packed list is malformed: \(error.problem)")
                    }
                    for item in packed { items.append(try single(item, field: field, path: path, depth: depth)) }
                } else {
                    items.append(
                        try single(value, field: field, path: FieldPath.item(path, items.count), depth: depth)
                    )
                }
            }
            return items.isEmpty ? nil : .array(items)
        }
        if field.type == .message || field.type == .group {
            // The parts of a message that comes more than once are merged, which is what concatenating does.
            var merged: [UInt8] = []
            for value in values {
                if case .lengthDelimited(let bytes) = value { merged += bytes }
                if case .group(let bytes) = value { merged += bytes }
            }
            return try message(merged[...], typeName: field.typeName, path: path, depth: depth + 1)
        }
        guard let last = values.last else { return nil }
        if !field.hasPresence && Self.isDefault(last) { return nil }
        return try single(last, field: field, path: path, depth: depth)
    }

    private static func isDefault(_ value: WireValue) -> Bool {
        switch value {
        case .varint(let number), .fixed64(let number): return number == 0
        case .fixed32(let number): return number == 0
        case .lengthDelimited(let bytes), .group(let bytes): return bytes.isEmpty
        }
    }

    /// One value of a field.
    private mutating func single(
        _ value: WireValue,
        field: FieldSchema,
        path: String,
        depth: Int
    ) throws(CodecProblem) -> JSONValue {
        switch value {
        case .lengthDelimited(let bytes) where field.type == .message:
            return try message(bytes, typeName: field.typeName, path: path, depth: depth + 1)
        case .group(let bytes):
            return try message(bytes, typeName: field.typeName, path: path, depth: depth + 1)
        default:
            return scalar(value, field: field, path: path)
        }
    }

    /// A map entry's key, as JSON writes it, and value; missing ones are their defaults.
    private mutating func mapEntry(
        _ bytes: ArraySlice<UInt8>,
        entry: MessageSchema,
        path: String,
        depth: Int
    ) throws(CodecProblem) -> (key: String, value: JSONValue) {
        guard let keyField = entry.field(number: 1), let valueField = entry.field(number: 2) else {
            throw CodecProblem(path: path, problem: "the descriptors' map entry \(entry.name) lacks its key or value")
        }
        var key: WireValue?
        var values: [WireValue] = []
        for (number, value) in try fields(of: bytes, typeName: entry.name, path: path) {
            if number == 1 && accepts(value.wireType, field: keyField) { key = value }
            if number == 2 && accepts(value.wireType, field: valueField) { values.append(value) }
        }
        let keyText: String
        switch scalar(key ?? Self.defaultValue(of: keyField), field: keyField, path: path) {
        case .string(let text), .number(let text): keyText = text
        case .bool(let flag): keyText = flag ? "true" : "false"
        default: keyText = ""
        }
        let entryPath = FieldPath.entry(path, keyText)
        if valueField.type == .message {
            return (keyText, try json(values, field: valueField, path: entryPath, depth: depth) ?? .object([]))
        }
        return (keyText, scalar(values.last ?? Self.defaultValue(of: valueField), field: valueField, path: entryPath))
    }

    private static func defaultValue(of field: FieldSchema) -> WireValue {
        switch wireType(of: field.type) {
        case .fixed64: return .fixed64(0)
        case .fixed32: return .fixed32(0)
        case .lengthDelimited: return .lengthDelimited([])
        case .startGroup, .endGroup: return .group([])
        case .varint: return .varint(0)
        }
    }

    // MARK: Scalars

    /// A scalar or enum value, as protobuf's JSON mapping writes it.
    private mutating func scalar(_ value: WireValue, field: FieldSchema, path: String) -> JSONValue {
        switch (field.type, value) {
        case (.int32, .varint(let bits)): return .integer(Int32(truncatingIfNeeded: bits))
        case (.int64, .varint(let bits)): return .string(String(Int64(bitPattern: bits)))
        case (.uint32, .varint(let bits)): return .integer(UInt32(truncatingIfNeeded: bits))
        case (.uint64, .varint(let bits)): return .string(String(bits))
        case (.sint32, .varint(let bits)):
            let zigZag = UInt32(truncatingIfNeeded: bits)
            return .integer(Int32(bitPattern: (zigZag >> 1) ^ (0 &- (zigZag & 1))))
        case (.sint64, .varint(let bits)): return .string(String(Int64(bitPattern: (bits >> 1) ^ (0 &- (bits & 1)))))
        case (.bool, .varint(let bits)): return .bool(bits != 0)
        case (.enum, .varint(let bits)):
            let number = Int32(truncatingIfNeeded: bits)
            if field.typeName == WellKnownType.nullValue { return .null }
            if let name = pool.enums[field.typeName]?.name(of: number) { return .string(name) }
            return .integer(number)
        case (.fixed64, .fixed64(let bits)): return .string(String(bits))
        case (.sfixed64, .fixed64(let bits)): return .string(String(Int64(bitPattern: bits)))
        case (.double, .fixed64(let bits)): return Self.number(Double(bitPattern: bits))
        case (.fixed32, .fixed32(let bits)): return .integer(bits)
        case (.sfixed32, .fixed32(let bits)): return .integer(Int32(bitPattern: bits))
        case (.float, .fixed32(let bits)):
            let number = Float(bitPattern: bits)
            return number.isFinite ? .number(number.debugDescription) : Self.number(Double(number))
        case (.string, .lengthDelimited(let bytes)):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                note("\(path.isEmpty ? "a string" : path) is not valid UTF-8; shown with replacement characters")
                return .string(String(decoding: bytes, as: UTF8.self))
            }
            return .string(text)
        case (.bytes, .lengthDelimited(let bytes)): return .string(Base64.encode(bytes))
        default:
            // `accepts` let only matching wire types through.
            return .null
        }
    }

    /// A double as JSON writes it: `NaN`, `Infinity` and `-Infinity` as strings, the rest as the shortest
    /// text that reads back the same.
    static func number(_ number: Double) -> JSONValue {
        if number.isNaN { return .string("NaN") }
        if number.isInfinite { return .string(number < 0 ? "-Infinity" : "Infinity") }
        return .number(number.debugDescription)
    }

    // MARK: Well-known types

    private mutating func wellKnown(
        _ bytes: ArraySlice<UInt8>,
        type: WellKnownType,
        path: String,
        depth: Int
    ) throws(CodecProblem) -> JSONValue {
        let fields = try fields(of: bytes, typeName: type.rawValue, path: path)
        if let wrapped = type.wrappedField {
            let value = fields.last { $0.number == 1 && accepts($0.value.wireType, field: wrapped) }?.value
            return scalar(value ?? Self.defaultValue(of: wrapped), field: wrapped, path: path)
        }
        switch type {
        case .timestamp, .duration, .fieldMask:
            if let text = type.jsonString(fromBinary: bytes) { return .string(text) }
            note(
                "\(path.isEmpty ? "the answer" : path) is a \(type.rawValue) that JSON cannot show; shown as its fields"
            )
            return rawFields(fields, names: type == .fieldMask ? [1: "paths"] : [1: "seconds", 2: "nanos"])
        case .empty:
            return .object([])
        case .structure:
            var members: [(key: String, value: JSONValue)] = []
            var positions: [String: Int] = [:]
            for case (1, .lengthDelimited(let entry)) in fields {
                var key = ""
                var value: JSONValue = .null
                for (number, part) in try self.fields(of: entry, typeName: "google.protobuf.Struct", path: path) {
                    if number == 1, case .lengthDelimited(let text) = part {
                        key = String(decoding: text, as: UTF8.self)
                    }
                    if number == 2, case .lengthDelimited(let inner) = part {
                        value = try wellKnown(inner, type: .value, path: FieldPath.entry(path, key), depth: depth + 1)
                    }
                }
                if let position = positions[key] {
                    members[position].value = value
                } else {
                    positions[key] = members.count
                    members.append((key, value))
                }
            }
            return .object(members)
        case .listValue:
            var items: [JSONValue] = []
            for case (1, .lengthDelimited(let inner)) in fields {
                items.append(
                    try wellKnown(inner, type: .value, path: FieldPath.item(path, items.count), depth: depth + 1)
                )
            }
            return .array(items)
        case .value:
            guard depth < JSONToBinary.maximumDepth else {
                throw CodecProblem(path: path, problem: "values are nested too deeply")
            }
            switch fields.last(where: { (1...6).contains($0.number) }) {
            case (2, .fixed64(let bits))?: return Self.number(Double(bitPattern: bits))
            case (3, .lengthDelimited(let text))?: return .string(String(decoding: text, as: UTF8.self))
            case (4, .varint(let flag))?: return .bool(flag != 0)
            case (5, .lengthDelimited(let inner))?:
                return try wellKnown(inner, type: .structure, path: path, depth: depth + 1)
            case (6, .lengthDelimited(let inner))?:
                return try wellKnown(inner, type: .listValue, path: path, depth: depth + 1)
            default: return .null
            }
        case .any:
            return try any(fields, path: path, depth: depth)
        default:
            return .null
        }
    }

    /// A well-known message JSON cannot show in its own form, as its fields (the 64-bit ones as strings).
    private func rawFields(_ fields: [(number: Int32, value: WireValue)], names: [Int32: String]) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        for (number, value) in fields {
            guard let name = names[number] else { continue }
            switch value {
            case .varint(let bits):
                members.removeAll { $0.key == name }
                members.append(
                    (
                        name,
                        number == 1
                            ? .string(String(Int64(bitPattern: bits))) : .integer(Int32(truncatingIfNeeded: bits))
                    )
                )
            case .lengthDelimited(let text):
                members.append((name, .string(String(decoding: text, as: UTF8.self))))
            default: break
            }
        }
        return .object(members)
    }

    /// `{"@type": URL, …the fields of the message it holds}`, or `"value"` for a well-known type. A type the
    /// descriptors do not define is shown as `"@value"` in base64, with a note.
    private mutating func any(
        _ fields: [(number: Int32, value: WireValue)],
        path: String,
        depth: Int
    ) throws(CodecProblem) -> JSONValue {
        var url = ""
        var content: ArraySlice<UInt8> = []
        for field in fields {
            if field.number == 1, case .lengthDelimited(let text) = field.value {
                url = String(decoding: text, as: UTF8.self)
            }
            if field.number == 2, case .lengthDelimited(let bytes) = field.value { content = bytes }
        }
        if url.isEmpty && content.isEmpty { return .object([]) }
        let typeName = url.split(separator: "/").last.map(String.init) ?? url
        if let wellKnown = WellKnownType(rawValue: typeName) {
            let value = try self.wellKnown(
                content,
                type: wellKnown,
                path: FieldPath.member(path, "value"),
                depth: depth + 1
            )
            return .object([("@type", .string(url)), ("value", value)])
        }
        guard pool.messages[typeName] != nil else {
            note(
                "\(path.isEmpty ? "the answer" : path) is an Any of \(typeName), which the service's descriptors do "
                    + "not define; shown as \"@value\" in base64"
            )
            return .object([("@type", .string(url)), ("@value", .string(Base64.encode(content)))])
        }
        guard case .object(let members) = try message(content, typeName: typeName, path: path, depth: depth + 1) else {
            return .object([("@type", .string(url))])
        }
        return .object([("@type", .string(url))] + members)
    }
}
