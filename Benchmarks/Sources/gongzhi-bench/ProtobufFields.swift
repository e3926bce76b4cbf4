/// Protobuf's wire format, as much of it as the overload benchmark's raw clients need: varints and
/// length-delimited fields, written by field number. The runner links no protobuf library, so that its load
/// generators talk to the host the way any independent client would.
struct ProtobufMessageWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        self.bytes.append(UInt8(value))
    }

    /// A varint field (wire type 0); zero is written too, which proto3 readers accept.
    mutating func varint(_ field: Int, _ value: UInt64) {
        self.varint(UInt64(field << 3))
        self.varint(value)
    }

    /// A length-delimited field (wire type 2): bytes, a string or an embedded message.
    mutating func bytes(_ field: Int, _ content: [UInt8]) {
        self.varint(UInt64(field << 3 | 2))
        self.varint(UInt64(content.count))
        self.bytes += content
    }

    mutating func string(_ field: Int, _ value: String) { self.bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufMessageWriter) { self.bytes(field, value.bytes) }
}

/// One field of a protobuf message: its number, and its value as a varint or as the range of its bytes.
struct ProtobufField {
    var number: Int
    var wireType: Int
    /// The value of a varint field (wire type 0); 0 otherwise.
    var varint: UInt64
    /// Where a length-delimited field's bytes are (wire type 2); empty otherwise.
    var range: Range<Int>
}

/// Reads the top-level fields of a message held in `bytes[range]`, one after another; fixed-width fields are
/// skipped over. Throws on bytes that are not a message.
struct ProtobufFieldReader {
    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    init(_ bytes: [UInt8]) {
        self.init(bytes, range: bytes.indices)
    }

    private mutating func readVarint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while self.index < self.end, shift < 64 {
            let byte = self.bytes[self.index]
            self.index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw BenchFailure("malformed protobuf: a varint runs past the message")
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> ProtobufField? {
        guard self.index < self.end else { return nil }
        let key = try self.readVarint()
        let number = Int(key >> 3)
        let wireType = Int(key & 7)
        switch wireType {
        case 0:
            return ProtobufField(
                number: number,
                wireType: 0,
                varint: try self.readVarint(),
                range: self.index..<self.index
            )
        case 1, 5:
            let width = wireType == 1 ? 8 : 4
            guard self.end - self.index >= width else { throw BenchFailure("malformed protobuf: a fixed field is cut") }
            self.index += width
            return ProtobufField(number: number, wireType: wireType, varint: 0, range: self.index..<self.index)
        case 2:
            let length = try self.readVarint()
            guard length <= UInt64(self.end - self.index) else {
                throw BenchFailure("malformed protobuf: field \(number) is longer than the message")
            }
            let start = self.index
            self.index += Int(length)
            return ProtobufField(number: number, wireType: 2, varint: 0, range: start..<self.index)
        default:
            throw BenchFailure("malformed protobuf: wire type \(wireType) of field \(number)")
        }
    }
}
