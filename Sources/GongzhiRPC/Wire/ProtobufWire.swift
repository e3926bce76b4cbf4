import NIOCore

/// The few pieces of the protobuf binary format that the envelope needs by hand: varints, field keys, and a scan
/// of a message's top-level fields. Envelopes are written and split by hand so that a payload goes from the
/// frame to the handler, and from the handler into the frame, with no copy in between.
enum ProtobufWire {
    /// Wire type 0: a varint.
    static let varint: UInt8 = 0
    /// Wire type 2: a length, then that many bytes.
    static let lengthDelimited: UInt8 = 2

    /// How many bytes `value` takes as a varint.
    static func varintSize(_ value: UInt64) -> Int {
        // One byte per started group of seven bits; zero still takes a byte.
        (64 - value.leadingZeroBitCount + 6) / 7 + (value == 0 ? 1 : 0)
    }

    /// How many bytes a length-delimited field of `count` bytes takes with its key (field numbers below 16).
    static func lengthDelimitedFieldSize(_ count: Int) -> Int {
        1 + varintSize(UInt64(count)) + count
    }

    /// Where one length-delimited field lies in a serialized message.
    struct FieldLocation: Hashable {
        /// The whole field: its key, its length and its bytes.
        var field: Range<Int>
        /// Its bytes only.
        var value: Range<Int>
    }

    /// The last occurrence of field `number` at the top level of `bytes`, when it is length-delimited.
    ///
    /// Nil when the field is absent, and also when the message is anything but a plain run of well-formed
    /// fields of wire types 0, 1, 2 and 5 (a group, a bad key, a length past the end) or holds `number` with
    /// another wire type: the caller then decodes the whole message the ordinary way, which reports what is
    /// wrong. The last occurrence is the one a decoder keeps for a singular field.
    static func lastLengthDelimitedField(_ number: Int, in bytes: UnsafeRawBufferPointer) -> FieldLocation? {
        var offset = 0
        var found: FieldLocation?
        while offset < bytes.count {
            let start = offset
            guard let key = readVarint(bytes, &offset), key >> 3 != 0, key >> 3 <= UInt64(UInt32.max) else {
                return nil
            }
            let fieldNumber = Int(key >> 3)
            switch UInt8(key & 7) {
            case 0:
                guard fieldNumber != number, readVarint(bytes, &offset) != nil else { return nil }
            case 1:
                guard fieldNumber != number, bytes.count - offset >= 8 else { return nil }
                offset += 8
            case 2:
                guard let length = readVarint(bytes, &offset), length <= UInt64(bytes.count - offset) else {
                    return nil
                }
                let valueStart = offset
                offset += Int(length)
                if fieldNumber == number {
                    found = FieldLocation(field: start..<offset, value: valueStart..<offset)
                }
            case 5:
                guard fieldNumber != number, bytes.count - offset >= 4 else { return nil }
                offset += 4
            default:
                return nil
            }
        }
        return found
    }

    /// Reads a varint of at most ten bytes, advancing `offset`; nil when it runs past the end or is too long.
    private static func readVarint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        while index < bytes.count && shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                offset = index
                return value
            }
            shift += 7
        }
        return nil
    }
}

extension ByteBuffer {
    /// Writes `value` as a protobuf varint.
    mutating func writeProtobufVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        self.writeInteger(UInt8(value))
    }

    /// Writes a field key: the field number and the wire type.
    mutating func writeProtobufKey(_ field: Int, _ wireType: UInt8) {
        self.writeProtobufVarint(UInt64(field) << 3 | UInt64(wireType))
    }

    /// Writes a length-delimited field holding `bytes`.
    mutating func writeProtobufField(_ field: Int, bytes: some Collection<UInt8>) {
        self.writeProtobufKey(field, ProtobufWire.lengthDelimited)
        self.writeProtobufVarint(UInt64(bytes.count))
        self.writeBytes(bytes)
    }

    /// Writes a string field, unless it is empty (proto3 leaves default values out).
    mutating func writeProtobufField(_ field: Int, string: String) {
        guard !string.isEmpty else { return }
        self.writeProtobufKey(field, ProtobufWire.lengthDelimited)
        self.writeProtobufVarint(UInt64(string.utf8.count))
        self.writeString(string)
    }
}
