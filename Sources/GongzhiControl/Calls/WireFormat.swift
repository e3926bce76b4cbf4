/// Protobuf's binary wire format, as far as a message read from its descriptors needs it: tags, varints,
/// zigzag, fixed-width and length-delimited values, groups.

/// How a field's value is laid out on the wire (the low three bits of its tag).
enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// One field's value as it was on the wire, before its descriptor says what it means.
enum WireValue: Sendable {
    case varint(UInt64)
    case fixed64(UInt64)
    case fixed32(UInt32)
    case lengthDelimited(ArraySlice<UInt8>)
    /// The fields between a start-group and its end-group tag.
    case group(ArraySlice<UInt8>)

    var wireType: WireType {
        switch self {
        case .varint: return .varint
        case .fixed64: return .fixed64
        case .fixed32: return .fixed32
        case .lengthDelimited: return .lengthDelimited
        case .group: return .startGroup
        }
    }
}

/// Why bytes are not a protobuf message.
struct MalformedWire: Error, Equatable, Sendable {
    var problem: String
}

/// Appends protobuf's binary encoding to a byte array.
struct WireWriter: Sendable {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func tag(_ number: Int32, _ type: WireType) {
        varint(UInt64(UInt32(bitPattern: number) << 3 | UInt32(type.rawValue)))
    }

    mutating func fixed32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func fixed64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    /// A length, then the bytes.
    mutating func lengthDelimited(_ content: [UInt8]) {
        varint(UInt64(content.count))
        bytes += content
    }

    /// A field: its tag and its value.
    mutating func field(_ number: Int32, _ value: WireValue) {
        switch value {
        case .varint(let value):
            tag(number, .varint)
            varint(value)
        case .fixed64(let value):
            tag(number, .fixed64)
            fixed64(value)
        case .fixed32(let value):
            tag(number, .fixed32)
            fixed32(value)
        case .lengthDelimited(let content):
            tag(number, .lengthDelimited)
            lengthDelimited(Array(content))
        case .group(let content):
            tag(number, .startGroup)
            bytes += content
            tag(number, .endGroup)
        }
    }

    /// ZigZag, for sint32 and sint64: small negative numbers stay small.
    static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }
}

/// Reads the fields of a message's bytes one at a time.
struct WireReader: Sendable {
    /// Deeper than this is not a message anyone wrote (and would exhaust the stack).
    static let maximumDepth = 100

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var atEnd: Bool { index >= bytes.endIndex }

    /// The next field, or nil at the end of the bytes.
    mutating func next() throws(MalformedWire) -> (number: Int32, value: WireValue)? {
        guard !atEnd else { return nil }
        let (number, type) = try tag()
        switch type {
        case .varint: return (number, .varint(try varint()))
        case .fixed64: return (number, .fixed64(try fixed(8)))
        case .fixed32: return (number, .fixed32(UInt32(truncatingIfNeeded: try fixed(4))))
        case .lengthDelimited: return (number, .lengthDelimited(try lengthDelimited()))
        case .startGroup: return (number, .group(try group(number, depth: 0)))
        case .endGroup: throw MalformedWire(problem: "an end-group tag (field \(number)) without its start")
        }
    }

    /// The values of a packed repeated field, each read as `type` lays it out.
    static func packed(_ content: ArraySlice<UInt8>, as type: WireType) throws(MalformedWire) -> [WireValue] {
        var reader = WireReader(content)
        var values: [WireValue] = []
        while !reader.atEnd {
            switch type {
            case .varint: values.append(.varint(try reader.varint()))
            case .fixed64: values.append(.fixed64(try reader.fixed(8)))
            case .fixed32: values.append(.fixed32(UInt32(truncatingIfNeeded: try reader.fixed(4))))
            default: throw MalformedWire(problem: "a packed list of values that cannot be packed")
            }
        }
        return values
    }

    private mutating func tag() throws(MalformedWire) -> (Int32, WireType) {
        let tag = try varint()
        guard let type = WireType(rawValue: UInt8(tag & 7)) else {
            throw MalformedWire(problem: "wire type \(tag & 7) does not exist")
        }
        let number = tag >> 3
        guard number > 0, number <= 536_870_911 else {
            throw MalformedWire(problem: "field number \(number) is out of range")
        }
        return (Int32(number), type)
    }

    private mutating func varint() throws(MalformedWire) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw MalformedWire(problem: "a varint is longer than 10 bytes") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw MalformedWire(problem: "the bytes end inside a varint")
    }

    private mutating func fixed(_ width: Int) throws(MalformedWire) -> UInt64 {
        guard bytes.endIndex - index >= width else {
            throw MalformedWire(problem: "the bytes end inside a \(width * 8)-bit value")
        }
        var value: UInt64 = 0
        for offset in 0..<width { value |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
        index += width
        return value
    }

    private mutating func lengthDelimited() throws(MalformedWire) -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.endIndex - index) else {
            throw MalformedWire(problem: "a length of \(length) bytes runs past the end of the message")
        }
        let start = index
        index += Int(length)
        return bytes[start..<index]
    }

    /// The bytes up to the end-group tag of `number`, past nested groups.
    private mutating func group(_ number: Int32, depth: Int) throws(MalformedWire) -> ArraySlice<UInt8> {
        guard depth < WireReader.maximumDepth else { throw MalformedWire(problem: "groups are nested too deeply") }
        let start = index
        while true {
            guard !atEnd else { throw MalformedWire(problem: "the bytes end inside group \(number)") }
            let fieldStart = index
            let (inner, type) = try tag()
            switch type {
            case .endGroup:
                guard inner == number else {
                    throw MalformedWire(problem: "group \(number) ends with the end tag of \(inner)")
                }
                return bytes[start..<fieldStart]
            case .varint: _ = try varint()
            case .fixed64: _ = try fixed(8)
            case .fixed32: _ = try fixed(4)
            case .lengthDelimited: _ = try lengthDelimited()
            case .startGroup: _ = try group(inner, depth: depth + 1)
            }
        }
    }
}
