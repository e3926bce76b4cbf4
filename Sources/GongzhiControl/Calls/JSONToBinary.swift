import GongzhiDocuments
import SwiftProtobuf

/// Writes a message in protobuf's binary form from its JSON in protobuf's JSON mapping (proto3 JSON), reading
/// the message's shape from descriptors alone, as `gongzhictl call` does for a service it has no code for.
///
/// Fields are named by their JSON name (`postedBy`) or their proto name (`posted_by`); 64-bit integers are
/// numbers or strings; enums are value names or numbers; bytes are base64; null leaves a field unset. The
/// well-known types take their JSON forms (`WellKnownType`). Fields are written in field-number order,
/// repeated numbers packed unless the proto says otherwise, map entries in key order, and fields without
/// presence left out when they hold their default, as swift-protobuf writes them with deterministic
/// ordering. A value that does not fit its field is refused naming the field's path.
struct JSONToBinary: Sendable {
    let pool: DescriptorPool

    /// Deeper than this is not a message anyone wrote.
    static let maximumDepth = 100

    /// The binary form of the message `messageName` (a full name) that `value` describes.
    func encode(_ value: SourceValue, messageName: String) throws(CodecProblem) -> [UInt8] {
        try message(value, typeName: messageName, path: "", depth: 0)
    }

    // MARK: Messages

    private func message(
        _ value: SourceValue,
        typeName: String,
        path: String,
        depth: Int
    ) throws(CodecProblem) -> [UInt8] {
        guard depth < Self.maximumDepth else {
            throw CodecProblem(path: path, line: value.line, problem: "messages are nested too deeply")
        }
        if let wellKnown = WellKnownType(rawValue: typeName) {
            return try self.wellKnown(value, type: wellKnown, path: path, depth: depth)
        }
        guard let schema = pool.messages[typeName] else {
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: "the service's descriptors do not define \(typeName)"
            )
        }
        guard case .object(let members) = value.content else {
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: "expected an object (a \(schema.name)), not \(value.quoted)"
            )
        }
        var chosen: [(field: FieldSchema, path: String, value: SourceValue)] = []
        var keyOfField: [Int32: String] = [:]
        var memberOfOneof: [Int32: String] = [:]
        for member in members {
            guard let field = schema.field(named: member.key) else {
                throw CodecProblem(path: path, line: member.keyLine, problem: unknownField(member.key, in: schema))
            }
            let fieldPath = FieldPath.member(path, member.key)
            if let other = keyOfField.updateValue(member.key, forKey: field.number) {
                throw CodecProblem(
                    path: fieldPath,
                    line: member.keyLine,
                    problem: "the same field as \"\(other)\"; give it once"
                )
            }
            if member.value.isNull && !(acceptsNull(field) && !field.isRepeated) { continue }
            if let oneof = field.oneof {
                if let other = memberOfOneof.updateValue(member.key, forKey: oneof) {
                    throw CodecProblem(
                        path: path,
                        line: member.keyLine,
                        problem: "\"\(other)\" and \"\(member.key)\" are both in the oneof "
                            + "\(schema.oneofNames[oneof] ?? "") of \(schema.name); set one of them"
                    )
                }
            }
            chosen.append((field, fieldPath, member.value))
        }
        chosen.sort { $0.field.number < $1.field.number }
        var writer = WireWriter()
        for (field, fieldPath, value) in chosen {
            try write(value, field: field, path: fieldPath, into: &writer, depth: depth)
        }
        return writer.bytes
    }

    /// `unknown field "lat" in gongzhi.core.v1.Point (did you mean latitude?)`, or the fields there are.
    private func unknownField(_ key: String, in schema: MessageSchema) -> String {
        // Suggest the name in the style the caller used.
        let names = schema.fields.map { key.contains("_") ? $0.name : $0.jsonName }
        var problem = "unknown field \"\(key)\" in \(schema.name)"
        if let nearest = Suggestion.nearest(to: key, among: names) ?? Self.completion(of: key, among: names) {
            problem += " (did you mean \(nearest)?)"
        } else if names.isEmpty {
            problem += " (it has no fields)"
        } else {
            problem += " (its fields: \(names.joined(separator: ", ")))"
        }
        return problem
    }

    /// The one name that starts with what was typed (`lat` → `latitude`), if only one does.
    static func completion(of typed: String, among names: [String]) -> String? {
        let typed = typed.lowercased()
        guard typed.count >= 2 else { return nil }
        let matches = names.filter { $0.lowercased().hasPrefix(typed) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// Whether JSON null sets the field instead of leaving it unset: a Value (null_value) and NullValue.
    private func acceptsNull(_ field: FieldSchema) -> Bool {
        field.typeName == WellKnownType.value.rawValue || field.typeName == WellKnownType.nullValue
    }

    // MARK: Fields

    private func write(
        _ value: SourceValue,
        field: FieldSchema,
        path: String,
        into writer: inout WireWriter,
        depth: Int
    ) throws(CodecProblem) {
        if let entry = pool.mapEntry(of: field) {
            try writeMap(value, field: field, entry: entry, path: path, into: &writer, depth: depth)
            return
        }
        guard field.isRepeated else {
            try writeSingle(value, field: field, path: path, into: &writer, depth: depth, always: field.hasPresence)
            return
        }
        guard case .array(let items) = value.content else {
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: "expected a list, not \(value.quoted)"
            )
        }
        for (index, item) in items.enumerated() where item.isNull && !acceptsNull(field) {
            throw CodecProblem(
                path: FieldPath.item(path, index),
                line: item.line,
                problem: "expected \(describe(field)), not null"
            )
        }
        if field.isPacked {
            guard !items.isEmpty else { return }
            var packed = WireWriter()
            for (index, item) in items.enumerated() {
                switch try scalar(item, field: field, path: FieldPath.item(path, index)) {
                case .varint(let number): packed.varint(number)
                case .fixed32(let number): packed.fixed32(number)
                case .fixed64(let number): packed.fixed64(number)
                case .lengthDelimited, .group: break
                }
            }
            writer.tag(field.number, .lengthDelimited)
            writer.lengthDelimited(packed.bytes)
            return
        }
        for (index, item) in items.enumerated() {
            try writeSingle(
                item,
                field: field,
                path: FieldPath.item(path, index),
                into: &writer,
                depth: depth,
                always: true
            )
        }
    }

    private func writeMap(
        _ value: SourceValue,
        field: FieldSchema,
        entry: MessageSchema,
        path: String,
        into writer: inout WireWriter,
        depth: Int
    ) throws(CodecProblem) {
        guard let keyField = entry.field(number: 1), let valueField = entry.field(number: 2) else {
            throw CodecProblem(path: path, problem: "the descriptors' map entry \(entry.name) lacks its key or value")
        }
        guard case .object(let members) = value.content else {
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: "expected an object (a map from \(keyField.typeDescription) keys), not \(value.quoted)"
            )
        }
        var entries: [(key: MapKey, bytes: [UInt8])] = []
        for member in members {
            let entryPath = FieldPath.entry(path, member.key)
            let key = try mapKey(member.key, field: keyField, path: entryPath, line: member.keyLine)
            if member.value.isNull && !acceptsNull(valueField) {
                throw CodecProblem(
                    path: entryPath,
                    line: member.value.line,
                    problem: "expected \(describe(valueField)), not null"
                )
            }
            var entryWriter = WireWriter()
            entryWriter.field(1, key.wire)
            try writeSingle(
                member.value,
                field: valueField,
                path: entryPath,
                into: &entryWriter,
                depth: depth,
                always: true
            )
            entries.append((key.order, entryWriter.bytes))
        }
        for entry in entries.sorted(by: { $0.key < $1.key }) {
            writer.tag(field.number, .lengthDelimited)
            writer.lengthDelimited(entry.bytes)
        }
    }

    /// How map entries are ordered: by key, as swift-protobuf's deterministic ordering has it.
    private enum MapKey: Comparable {
        case signed(Int64)
        case unsigned(UInt64)
        case text(String)
    }

    private func mapKey(
        _ key: String,
        field: FieldSchema,
        path: String,
        line: Int
    ) throws(CodecProblem) -> (wire: WireValue, order: MapKey) {
        let asValue = SourceValue(.string(key), line: line)
        switch field.type {
        case .string:
            return (.lengthDelimited(ArraySlice(key.utf8)), .text(key))
        case .bool:
            guard key == "true" || key == "false" else {
                throw CodecProblem(path: path, line: line, problem: "a key of this map must be \"true\" or \"false\"")
            }
            return (.varint(key == "true" ? 1 : 0), .unsigned(key == "true" ? 1 : 0))
        case .uint32, .uint64, .fixed32, .fixed64:
            return (
                try scalar(asValue, field: field, path: path),
                .unsigned(try unsigned(asValue, field: field, path: path))
            )
        default:
            return (
                try scalar(asValue, field: field, path: path), .signed(try signed(asValue, field: field, path: path))
            )
        }
    }

    /// One value of a singular, repeated (unpacked) or map-value field; `always` writes a default too.
    private func writeSingle(
        _ value: SourceValue,
        field: FieldSchema,
        path: String,
        into writer: inout WireWriter,
        depth: Int,
        always: Bool
    ) throws(CodecProblem) {
        switch field.type {
        case .message:
            let bytes = try message(value, typeName: field.typeName, path: path, depth: depth + 1)
            writer.tag(field.number, .lengthDelimited)
            writer.lengthDelimited(bytes)
        case .group:
            let bytes = try message(value, typeName: field.typeName, path: path, depth: depth + 1)
            writer.field(field.number, .group(ArraySlice(bytes)))
        default:
            let wire = try scalar(value, field: field, path: path)
            if !always && Self.isDefault(wire) { return }
            writer.field(field.number, wire)
        }
    }

    private static func isDefault(_ wire: WireValue) -> Bool {
        switch wire {
        case .varint(let number), .fixed64(let number): return number == 0
        case .fixed32(let number): return number == 0
        case .lengthDelimited(let bytes), .group(let bytes): return bytes.isEmpty
        }
    }

    // MARK: Scalars

    /// A value of a scalar or enum field, as it goes on the wire.
    private func scalar(_ value: SourceValue, field: FieldSchema, path: String) throws(CodecProblem) -> WireValue {
        switch field.type {
        case .double: return .fixed64(try double(value, path: path).bitPattern)
        case .float: return .fixed32(try float(value, path: path).bitPattern)
        case .int32, .int64, .enum: return .varint(UInt64(bitPattern: try signed(value, field: field, path: path)))
        case .sint32, .sint64: return .varint(WireWriter.zigZag(try signed(value, field: field, path: path)))
        case .sfixed32: return .fixed32(UInt32(truncatingIfNeeded: try signed(value, field: field, path: path)))
        case .sfixed64: return .fixed64(UInt64(bitPattern: try signed(value, field: field, path: path)))
        case .uint32, .uint64: return .varint(try unsigned(value, field: field, path: path))
        case .fixed32: return .fixed32(UInt32(truncatingIfNeeded: try unsigned(value, field: field, path: path)))
        case .fixed64: return .fixed64(try unsigned(value, field: field, path: path))
        case .bool:
            guard case .bool(let flag) = value.content else {
                throw CodecProblem(path: path, line: value.line, problem: "expected true or false, not \(value.quoted)")
            }
            return .varint(flag ? 1 : 0)
        case .string:
            guard let text = value.text else {
                throw CodecProblem(path: path, line: value.line, problem: "expected a string, not \(value.quoted)")
            }
            return .lengthDelimited(ArraySlice(text.utf8))
        case .bytes:
            guard let text = value.text, let bytes = Base64.decode(text) else {
                throw CodecProblem(
                    path: path,
                    line: value.line,
                    problem: "expected bytes in base64 text, not \(value.quoted)"
                )
            }
            return .lengthDelimited(ArraySlice(bytes))
        case .message, .group:
            throw CodecProblem(path: path, line: value.line, problem: "\(field.typeName) is a message, not a scalar")
        }
    }

    /// A signed integer or an enum's number, checked against the field's range.
    private func signed(_ value: SourceValue, field: FieldSchema, path: String) throws(CodecProblem) -> Int64 {
        if field.type == .enum { return Int64(try enumNumber(value, field: field, path: path)) }
        let is32 = [.int32, .sint32, .sfixed32].contains(field.type)
        let range = is32 ? Int64(Int32.min)...Int64(Int32.max) : Int64.min...Int64.max
        guard let text = Self.numberText(value) else {
            throw CodecProblem(path: path, line: value.line, problem: "expected a whole number, not \(value.quoted)")
        }
        let number = Int64(text) ?? Double(text).flatMap { Int64(exactly: $0) }
        guard let number, range.contains(number) else {
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: Self.isWhole(text)
                    ? "expected a whole number from \(range.lowerBound) to \(range.upperBound) "
                        + "(\(field.typeDescription)), not \(value.quoted)"
                    : "expected a whole number, not \(value.quoted)"
            )
        }
        return number
    }

    private func unsigned(_ value: SourceValue, field: FieldSchema, path: String) throws(CodecProblem) -> UInt64 {
        let is32 = field.type == .uint32 || field.type == .fixed32
        let maximum: UInt64 = is32 ? UInt64(UInt32.max) : UInt64.max
        guard let text = Self.numberText(value) else {
            throw CodecProblem(path: path, line: value.line, problem: "expected a whole number, not \(value.quoted)")
        }
        let number = UInt64(text) ?? Double(text).flatMap { UInt64(exactly: $0) }
        guard let number, number <= maximum, !(text.hasPrefix("-") && number != 0) else {
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: Self.isWhole(text)
                    ? "expected a whole number from 0 to \(maximum) (\(field.typeDescription)), not \(value.quoted)"
                    : "expected a whole number, not \(value.quoted)"
            )
        }
        return number
    }

    /// The text of a JSON number, or of a string holding one (`"12"`, as JSON writes 64-bit integers).
    private static func numberText(_ value: SourceValue) -> String? {
        switch value.content {
        case .number(let text): return text
        case .string(let text), .plain(let text):
            guard let parsed = try? JSONText.value(text), case .number = parsed.content else { return nil }
            return text
        default: return nil
        }
    }

    /// Whether a JSON number's text is a whole number however written (`12`, `1.2e1`, `12.0`).
    private static func isWhole(_ text: String) -> Bool {
        guard let number = Double(text) else { return false }
        return number.isFinite && number == number.rounded(.towardZero)
    }

    private func double(_ value: SourceValue, path: String) throws(CodecProblem) -> Double {
        if let text = value.text {
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: break
            }
        }
        guard let text = Self.numberText(value), let number = Double(text) else {
            throw CodecProblem(path: path, line: value.line, problem: "expected a number, not \(value.quoted)")
        }
        guard number.isFinite else {
            throw CodecProblem(path: path, line: value.line, problem: "\(value.quoted) is too large for a double")
        }
        return number
    }

    private func float(_ value: SourceValue, path: String) throws(CodecProblem) -> Float {
        let number = try double(value, path: path)
        guard !number.isFinite || Float(number).isFinite else {
            throw CodecProblem(path: path, line: value.line, problem: "\(value.quoted) is too large for a float")
        }
        return Float(number)
    }

    private func enumNumber(_ value: SourceValue, field: FieldSchema, path: String) throws(CodecProblem) -> Int32 {
        if field.typeName == WellKnownType.nullValue {
            if value.isNull || value.text == "NULL_VALUE" { return 0 }
        }
        let schema = pool.enums[field.typeName]
        switch value.content {
        case .number(let text):
            guard let number = Int32(text) ?? Double(text).flatMap({ Int32(exactly: $0) }) else {
                throw CodecProblem(
                    path: path,
                    line: value.line,
                    problem: "expected one of \(field.typeName)'s value names or numbers, not \(value.quoted)"
                )
            }
            return number
        case .string(let name), .plain(let name):
            guard let schema else {
                throw CodecProblem(
                    path: path,
                    line: value.line,
                    problem: "the service's descriptors do not define the enum \(field.typeName)"
                )
            }
            if let number = schema.number(named: name) { return number }
            let names = schema.values.map(\.name)
            var problem = "\(value.quoted) is not a value of \(schema.name)"
            if let nearest = Suggestion.nearest(to: name, among: names) ?? Self.completion(of: name, among: names) {
                problem += " (did you mean \(nearest)?)"
            } else {
                problem += " (its values: \(names.joined(separator: ", ")))"
            }
            throw CodecProblem(path: path, line: value.line, problem: problem)
        default:
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: "expected one of \(field.typeName)'s value names, not \(value.quoted)"
            )
        }
    }

    /// What one value of a field is, for messages: `a number`, `a gongzhi.core.v1.Point object`.
    private func describe(_ field: FieldSchema) -> String {
        switch field.type {
        case .double, .float: return "a number"
        case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .fixed32, .fixed64, .sfixed32, .sfixed64:
            return "a whole number"
        case .bool: return "true or false"
        case .string: return "a string"
        case .bytes: return "base64 text"
        case .enum: return "a value of \(field.typeName)"
        case .message, .group:
            return WellKnownType(rawValue: field.typeName)?.jsonForm ?? "an object (a \(field.typeName))"
        }
    }

    // MARK: Well-known types

    private func wellKnown(
        _ value: SourceValue,
        type: WellKnownType,
        path: String,
        depth: Int
    ) throws(CodecProblem) -> [UInt8] {
        func refuse() -> CodecProblem {
            CodecProblem(path: path, line: value.line, problem: "expected \(type.jsonForm), not \(value.quoted)")
        }
        if let wrapped = type.wrappedField {
            var writer = WireWriter()
            try writeSingle(value, field: wrapped, path: path, into: &writer, depth: depth, always: false)
            return writer.bytes
        }
        switch type {
        case .timestamp, .duration, .fieldMask:
            guard let text = value.text, let bytes = type.binary(fromJSONString: text) else { throw refuse() }
            return bytes
        case .empty:
            guard case .object(let members) = value.content else { throw refuse() }
            if let member = members.first {
                throw CodecProblem(
                    path: path,
                    line: member.keyLine,
                    problem: "unknown field \"\(member.key)\" in google.protobuf.Empty (it has no fields)"
                )
            }
            return []
        case .structure:
            guard case .object(let members) = value.content else { throw refuse() }
            var entries: [(key: String, bytes: [UInt8])] = []
            for member in members {
                var entry = WireWriter()
                entry.field(1, .lengthDelimited(ArraySlice(member.key.utf8)))
                let inner = try jsonValue(member.value, path: FieldPath.entry(path, member.key), depth: depth + 1)
                entry.field(2, .lengthDelimited(ArraySlice(inner)))
                entries.append((member.key, entry.bytes))
            }
            var writer = WireWriter()
            for entry in entries.sorted(by: { $0.key < $1.key }) {
                writer.field(1, .lengthDelimited(ArraySlice(entry.bytes)))
            }
            return writer.bytes
        case .listValue:
            guard case .array(let items) = value.content else { throw refuse() }
            var writer = WireWriter()
            for (index, item) in items.enumerated() {
                let inner = try jsonValue(item, path: FieldPath.item(path, index), depth: depth + 1)
                writer.field(1, .lengthDelimited(ArraySlice(inner)))
            }
            return writer.bytes
        case .value:
            return try jsonValue(value, path: path, depth: depth)
        case .any:
            return try any(value, path: path, depth: depth)
        default:
            throw refuse()
        }
    }

    /// A google.protobuf.Value: any JSON.
    private func jsonValue(_ value: SourceValue, path: String, depth: Int) throws(CodecProblem) -> [UInt8] {
        guard depth < Self.maximumDepth else {
            throw CodecProblem(path: path, line: value.line, problem: "values are nested too deeply")
        }
        var writer = WireWriter()
        switch value.content {
        case .null:
            writer.field(1, .varint(0))
        case .number(let text):
            guard let number = Double(text), number.isFinite else {
                throw CodecProblem(path: path, line: value.line, problem: "\(text) is too large for a double")
            }
            writer.field(2, .fixed64(number.bitPattern))
        case .string(let text), .plain(let text):
            writer.field(3, .lengthDelimited(ArraySlice(text.utf8)))
        case .bool(let flag):
            writer.field(4, .varint(flag ? 1 : 0))
        case .object:
            let inner = try wellKnown(value, type: .structure, path: path, depth: depth + 1)
            writer.field(5, .lengthDelimited(ArraySlice(inner)))
        case .array:
            let inner = try wellKnown(value, type: .listValue, path: path, depth: depth + 1)
            writer.field(6, .lengthDelimited(ArraySlice(inner)))
        }
        return writer.bytes
    }

    /// A google.protobuf.Any: `{"@type": "type.googleapis.com/NAME", …the fields of NAME}`, or for a well-known
    /// type `{"@type": …, "value": …its JSON form}`. The type must be one the descriptors define.
    private func any(_ value: SourceValue, path: String, depth: Int) throws(CodecProblem) -> [UInt8] {
        guard case .object(let members) = value.content else {
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: "expected \(WellKnownType.any.jsonForm), not \(value.quoted)"
            )
        }
        guard let typeMember = members.first(where: { $0.key == "@type" }) else {
            if members.isEmpty { return [] }
            throw CodecProblem(
                path: path,
                line: value.line,
                problem: "a google.protobuf.Any needs \"@type\", the type URL of its message "
                    + "(such as \"type.googleapis.com/gongzhi.core.v1.Point\")"
            )
        }
        let typePath = FieldPath.member(path, "@type")
        guard let url = typeMember.value.text, let slash = url.lastIndex(of: "/"),
            slash != url.index(before: url.endIndex)
        else {
            throw CodecProblem(
                path: typePath,
                line: typeMember.value.line,
                problem: "expected a type URL such as \"type.googleapis.com/gongzhi.core.v1.Point\", "
                    + "not \(typeMember.value.quoted)"
            )
        }
        let typeName = String(url[url.index(after: slash)...])
        let rest = members.filter { $0.key != "@type" }
        let inner: [UInt8]
        if WellKnownType(rawValue: typeName) != nil {
            guard rest.count <= 1, let content = rest.first, content.key == "value" else {
                throw CodecProblem(
                    path: path,
                    line: value.line,
                    problem: "an Any holding a \(typeName) has its JSON form in \"value\" and nothing else"
                )
            }
            inner = try message(
                content.value,
                typeName: typeName,
                path: FieldPath.member(path, "value"),
                depth: depth + 1
            )
        } else {
            guard pool.messages[typeName] != nil else {
                throw CodecProblem(
                    path: typePath,
                    line: typeMember.value.line,
                    problem:
                        "the service's descriptors do not define \(typeName), which \(typeMember.value.quoted) names"
                )
            }
            inner = try message(
                SourceValue(.object(rest), line: value.line),
                typeName: typeName,
                path: path,
                depth: depth + 1
            )
        }
        var writer = WireWriter()
        writer.field(1, .lengthDelimited(ArraySlice(url.utf8)))
        if !inner.isEmpty { writer.field(2, .lengthDelimited(ArraySlice(inner))) }
        return writer.bytes
    }
}
