#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Removes sensitive fields from a message's serialized bytes without decoding it into a type: the
/// host redacts objects of any kind, its own or a plugin's, from the kind's descriptor alone.
///
/// Every other field keeps its bytes as they were. A message-typed field whose message has sensitive
/// fields is rewritten with those removed (and its length prefix recomputed).
public enum WireRedaction {
    public struct MalformedMessage: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "malformed protobuf at byte \(offset): \(reason)" }
    }

    /// The bytes without the sensitive fields, and the paths of the fields that were present and removed.
    public static func redact(
        _ bytes: Data,
        fields: SensitiveFields
    ) throws(MalformedMessage) -> (
        data: Data, removed: [String]
    ) {
        if fields.isEmpty { return (bytes, []) }
        var removed: Set<String> = []
        let out = try redact(Array(bytes), from: 0, to: bytes.count, fields: fields, path: "", removed: &removed)
        return (Data(out), removed.sorted())
    }

    private static func redact(
        _ bytes: [UInt8],
        from start: Int,
        to end: Int,
        fields: SensitiveFields,
        path: String,
        removed: inout Set<String>
    ) throws(MalformedMessage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var index = start
        while index < end {
            let fieldStart = index
            let tag = try readVarint(bytes, &index, end: end)
            let number = Int32(truncatingIfNeeded: tag >> 3)
            let wireType = tag & 7
            guard number > 0 else { throw MalformedMessage(offset: fieldStart, reason: "field number 0") }
            var valueStart = index
            switch wireType {
            case 0:
                _ = try readVarint(bytes, &index, end: end)
            case 1:
                index += 8
            case 5:
                index += 4
            case 2:
                let length = try readVarint(bytes, &index, end: end)
                guard length <= UInt64(end - index) else {
                    throw MalformedMessage(offset: fieldStart, reason: "a length of \(length) runs past the end")
                }
                valueStart = index
                index += Int(length)
            default:
                throw MalformedMessage(offset: fieldStart, reason: "wire type \(wireType) is not used by proto3")
            }
            guard index <= end else {
                throw MalformedMessage(offset: fieldStart, reason: "field \(number) runs past the end")
            }
            if let name = fields.fields[number] {
                removed.insert(path + name)
                continue
            }
            if wireType == 2, let inner = fields.nested[number] {
                let rewritten = try redact(
                    bytes,
                    from: valueStart,
                    to: index,
                    fields: inner.fields,
                    path: path + inner.name + ".",
                    removed: &removed
                )
                appendVarint(&out, tag)
                appendVarint(&out, UInt64(rewritten.count))
                out.append(contentsOf: rewritten)
                continue
            }
            out.append(contentsOf: bytes[fieldStart..<index])
        }
        return out
    }

    private static func readVarint(_ bytes: [UInt8], _ index: inout Int, end: Int) throws(MalformedMessage) -> UInt64 {
        let start = index
        guard let value = WireVarint.read(bytes, &index, end: end) else {
            throw MalformedMessage(offset: start, reason: "a varint runs past the end or is longer than 10 bytes")
        }
        return value
    }

    private static func appendVarint(_ out: inout [UInt8], _ value: UInt64) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}

/// Reading protobuf varints from bytes.
enum WireVarint {
    /// The varint at `index`, advancing past it; nil when it runs past `end` or is longer than 10 bytes.
    static func read(_ bytes: [UInt8], _ index: inout Int, end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < end {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift >= 70 { return nil }
        }
        return nil
    }
}
