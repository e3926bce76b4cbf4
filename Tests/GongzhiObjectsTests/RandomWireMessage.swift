import GongzhiObjects
import GongzhiTestSeeds
import GongzhiTestSupport
import SwiftProtobuf

/// One field as it sits on the wire: its tag, and either its value's bytes as they are (with any length prefix)
/// or, for a length-delimited message, the fields inside it.
struct WireRecord {
    enum Value {
        /// The bytes after the tag, as written: a varint, 4 or 8 bytes, or a length prefix and its bytes.
        case raw([UInt8])
        /// A message: the length prefix (written with `lengthPadding` extra bytes) and the fields inside.
        case message([WireRecord], lengthPadding: Int)
    }

    var number: Int32
    var wireType: UInt8
    var value: Value

    /// The record's bytes.
    var bytes: [UInt8] {
        var out = WireBytes.varint(UInt64(number) << 3 | UInt64(wireType))
        switch value {
        case .raw(let raw):
            out += raw
        case .message(let inner, let padding):
            let content = inner.flatMap(\.bytes)
            out += WireBytes.varint(UInt64(content.count), padding: padding) + content
        }
        return out
    }

    /// What redaction must leave of these records: every record kept byte for byte, except that sensitive
    /// fields go and a message holding sensitive fields is rewritten without them (under a length recomputed in
    /// the shortest form); `found` collects the paths of the sensitive fields present.
    static func redacted(
        _ records: [WireRecord],
        fields: SensitiveFields,
        path: String = "",
        found: inout Set<String>
    ) -> [UInt8] {
        var out: [UInt8] = []
        for record in records {
            if let name = fields.fields[record.number] {
                found.insert(path + name)
                continue
            }
            if case .message(let inner, _) = record.value, let nested = fields.nested[record.number] {
                let content = redacted(inner, fields: nested.fields, path: path + nested.name + ".", found: &found)
                out += WireBytes.varint(UInt64(record.number) << 3 | 2)
                out += WireBytes.varint(UInt64(content.count)) + content
                continue
            }
            out += record.bytes
        }
        return out
    }
}

enum WireBytes {
    /// A varint, with `padding` extra continuation bytes of zero bits (a longer form decoders accept).
    static func varint(_ value: UInt64, padding: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        if padding == 0 {
            out.append(UInt8(value))
            return out
        }
        out.append(UInt8(value) | 0x80)
        out += [UInt8](repeating: 0x80, count: padding - 1)
        out.append(0)
        return out
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// Random messages of a kind, written on the wire the way any valid writer may: fields in any order, a
/// non-repeated field more than once (the last one wins; a message is merged), repeated numbers packed,
/// unpacked or both, fields the schema does not know, lengths in long forms, and values long enough for
/// lengths of two and three bytes.
struct RandomWireMessage {
    let descriptors: DescriptorIndex
    var random: SplitMix64

    struct UnsupportedField: Error, CustomStringConvertible {
        var description: String
    }

    /// The fields of one random message of `messageName`.
    mutating func records(of messageName: String, depth: Int = 0) throws -> [WireRecord] {
        guard let message = descriptors.messages[messageName] else {
            throw UnsupportedField(description: "no message \(messageName) in the descriptors")
        }
        var records: [WireRecord] = []
        for field in message.field where chance(0.75) {
            records += try occurrences(of: field, depth: depth)
        }
        // Fields a newer schema might have added.
        let known = Set(message.field.map(\.number))
        for _ in 0..<(chance(0.3) ? Int.random(in: 1...3, using: &random) : 0) {
            var number: Int32
            repeat {
                number =
                    chance(0.5)
                    ? Int32.random(in: 1...40, using: &random) : Int32.random(in: 1...536_870_911, using: &random)
            } while known.contains(number) || (19_000...19_999).contains(number)
            records.append(unknownField(number))
        }
        records.shuffle(using: &random)
        return records
    }

    private mutating func occurrences(
        of field: Google_Protobuf_FieldDescriptorProto,
        depth: Int
    ) throws -> [WireRecord] {
        let number = field.number
        let repeated = field.label == .repeated
        if field.type == .message {
            let typeName = String(field.typeName.drop { $0 == "." })
            guard depth < 8 else { return [] }
            // A repeated message: its elements; a singular one: once, or in parts that a reader merges.
            let count = repeated ? Int.random(in: 0...4, using: &random) : (chance(0.15) ? 2 : 1)
            var records: [WireRecord] = []
            for _ in 0..<count {
                let inner = try self.records(of: typeName, depth: depth + 1)
                records.append(
                    WireRecord(number: number, wireType: 2, value: .message(inner, lengthPadding: padding()))
                )
            }
            return records
        }
        let kind = try ScalarKind(field)
        if repeated {
            var values: [[UInt8]] = []
            for _ in 0..<Int.random(in: 0...6, using: &random) { values.append(value(kind)) }
            guard kind.wireType != 2, !values.isEmpty else {
                return values.map { WireRecord(number: number, wireType: kind.wireType, value: .raw($0)) }
            }
            // Numbers: packed, unpacked, or some of each, in as many packed runs as it likes.
            var records: [WireRecord] = []
            var pending = values[...]
            while let first = pending.first {
                if chance(0.5) {
                    records.append(WireRecord(number: number, wireType: kind.wireType, value: .raw(first)))
                    pending = pending.dropFirst()
                } else {
                    let run = pending.prefix(Int.random(in: 1...pending.count, using: &random))
                    pending = pending.dropFirst(run.count)
                    let content = run.flatMap { $0 }
                    records.append(
                        WireRecord(
                            number: number,
                            wireType: 2,
                            value: .raw(WireBytes.varint(UInt64(content.count), padding: padding()) + content)
                        )
                    )
                }
            }
            return records
        }
        // A non-repeated field, sometimes written more than once: readers keep the last value.
        let count = chance(0.2) ? Int.random(in: 2...3, using: &random) : 1
        var records: [WireRecord] = []
        for _ in 0..<count {
            records.append(
                WireRecord(number: number, wireType: kind.wireType, value: .raw(value(kind, padding: padding())))
            )
        }
        return records
    }

    private mutating func unknownField(_ number: Int32) -> WireRecord {
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            let value = random.next() >> UInt64.random(in: 0...63, using: &random)
            return WireRecord(number: number, wireType: 0, value: .raw(WireBytes.varint(value)))
        case 1:
            return WireRecord(number: number, wireType: 1, value: .raw(WireBytes.littleEndian(random.next())))
        case 2:
            let value = UInt32.random(in: 0...UInt32.max, using: &random)
            return WireRecord(number: number, wireType: 5, value: .raw(WireBytes.littleEndian(value)))
        default:
            let bytes = (0..<length()).map { _ in UInt8.random(in: 0...255, using: &random) }
            return WireRecord(number: number, wireType: 2, value: .raw(WireBytes.varint(UInt64(bytes.count)) + bytes))
        }
    }

    private mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &random) < probability
    }

    /// Extra bytes in a length's varint: mostly none.
    private mutating func padding() -> Int {
        chance(0.05) ? Int.random(in: 1...3, using: &random) : 0
    }

    /// A length: mostly short, sometimes over 127 (two-byte lengths), rarely over 16,383 (three bytes).
    private mutating func length() -> Int {
        switch Double.random(in: 0..<1, using: &random) {
        case ..<0.88: Int.random(in: 0...24, using: &random)
        case ..<0.995: Int.random(in: 100...400, using: &random)
        default: Int.random(in: 16_300...17_000, using: &random)
        }
    }

    /// How a scalar field's values are written.
    private enum ScalarKind {
        case varint(bits: Int, signed: Bool)
        case zigzag
        case bool
        case fixed32
        case fixed64
        case float
        case double
        case string
        case bytes

        init(_ field: Google_Protobuf_FieldDescriptorProto) throws {
            switch field.type {
            case .int32, .enum: self = .varint(bits: 32, signed: true)
            case .int64: self = .varint(bits: 64, signed: true)
            case .uint32: self = .varint(bits: 32, signed: false)
            case .uint64: self = .varint(bits: 64, signed: false)
            case .sint32, .sint64: self = .zigzag
            case .bool: self = .bool
            case .fixed32, .sfixed32: self = .fixed32
            case .fixed64, .sfixed64: self = .fixed64
            case .float: self = .float
            case .double: self = .double
            case .string: self = .string
            case .bytes: self = .bytes
            default:
                throw UnsupportedField(
                    description: "field \(field.name) has type \(field.type), which the generator does not write yet"
                )
            }
        }

        var wireType: UInt8 {
            switch self {
            case .varint, .zigzag, .bool: 0
            case .fixed32, .float: 5
            case .fixed64, .double: 1
            case .string, .bytes: 2
            }
        }
    }

    /// One value's bytes after the tag (for strings and bytes, with a length prefix `padding` bytes longer than
    /// it needs to be).
    private mutating func value(_ kind: ScalarKind, padding: Int = 0) -> [UInt8] {
        switch kind {
        case .varint(let bits, let signed):
            // Small numbers mostly, and now and then the largest or a negative one (ten bytes on the wire).
            let value: UInt64
            if chance(0.7) {
                value = UInt64.random(in: 0...300, using: &random)
            } else if signed {
                let number =
                    bits == 32
                    ? Int64(Int32.random(in: .min ... .max, using: &random)) : Int64(bitPattern: random.next())
                value = UInt64(bitPattern: number)
            } else {
                value = bits == 32 ? UInt64(UInt32.random(in: 0...UInt32.max, using: &random)) : random.next()
            }
            return WireBytes.varint(value)
        case .zigzag:
            return WireBytes.varint(random.next() >> UInt64.random(in: 0...63, using: &random))
        case .bool:
            return [chance(0.5) ? 1 : 0]
        case .fixed32:
            return WireBytes.littleEndian(UInt32.random(in: 0...UInt32.max, using: &random))
        case .fixed64:
            return WireBytes.littleEndian(random.next())
        case .float:
            return WireBytes.littleEndian(Float.random(in: -1e6...1e6, using: &random).bitPattern)
        case .double:
            return WireBytes.littleEndian(Double.random(in: -180...180, using: &random).bitPattern)
        case .string:
            let bytes = Array(text(bytes: length()).utf8)
            return WireBytes.varint(UInt64(bytes.count), padding: padding) + bytes
        case .bytes:
            let bytes = (0..<length()).map { _ in UInt8.random(in: 0...255, using: &random) }
            return WireBytes.varint(UInt64(bytes.count), padding: padding) + bytes
        }
    }

    /// Text of at least `bytes` bytes of UTF-8 (digits, letters, Chinese, now and then a character of four
    /// bytes): a random piece of up to 40 characters, repeated as often as it takes.
    private mutating func text(bytes: Int) -> String {
        let alphabet = Array("0123456789abcXYZ -张王李赵社区网格员电话住址😀")
        var piece = ""
        for _ in 0..<Int.random(in: 1...40, using: &random) {
            piece.append(alphabet[Int.random(in: 0..<alphabet.count, using: &random)])
        }
        if piece.utf8.count >= bytes { return String(piece.prefix(bytes)) }
        return String(repeating: piece, count: bytes / piece.utf8.count + 1)
    }
}
