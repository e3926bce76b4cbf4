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
        let (kept, removed) = try walk(bytes, fields: fields, keepingTheRest: true)
        return (Data(kept), removed.sorted())
    }

    /// The paths of the sensitive fields present in the bytes: what ``redact(_:fields:)`` would remove, found
    /// without writing the redacted copy (for a caller who may see them, whose read is audited when any are
    /// present).
    public static func sensitivePaths(in bytes: Data, fields: SensitiveFields) throws(MalformedMessage) -> [String] {
        if fields.isEmpty { return [] }
        return try walk(bytes, fields: fields, keepingTheRest: false).found.sorted()
    }

    /// Reads the whole message: the sensitive fields found, and (when `keepingTheRest`) the bytes without them.
    private static func walk(
        _ bytes: Data,
        fields: SensitiveFields,
        keepingTheRest: Bool
    ) throws(MalformedMessage) -> (kept: [UInt8], found: Set<String>) {
        var found: Set<String> = []
        let kept = try redact(
            Array(bytes),
            from: 0,
            to: bytes.count,
            fields: fields,
            path: "",
            depth: 0,
            keepingTheRest: keepingTheRest,
            removed: &found
        )
        return (kept, found)
    }

    /// The deepest nesting read (as deep as the host lets data be written).
    static let maximumDepth = 64

    private static func redact(
        _ bytes: [UInt8],
        from start: Int,
        to end: Int,
        fields: SensitiveFields,
        path: String,
        depth: Int,
        keepingTheRest: Bool,
        removed: inout Set<String>
    ) throws(MalformedMessage) -> [UInt8] {
        guard depth < maximumDepth else {
            throw MalformedMessage(offset: start, reason: "messages nested more than \(maximumDepth) deep")
        }
        var out: [UInt8] = []
        if keepingTheRest { out.reserveCapacity(end - start) }
        var index = start
        while index < end {
            let fieldStart = index
            let tag = try readVarint(bytes, &index, end: end)
            let number = try fieldNumber(tag, at: fieldStart)
            let wireType = tag & 7
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
                    depth: depth + 1,
                    keepingTheRest: keepingTheRest,
                    removed: &removed
                )
                if keepingTheRest {
                    appendVarint(&out, tag)
                    appendVarint(&out, UInt64(rewritten.count))
                    out.append(contentsOf: rewritten)
                }
                continue
            }
            if keepingTheRest { out.append(contentsOf: bytes[fieldStart..<index]) }
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

    /// The field number of a tag: 1 to 2^29 - 1, as protobuf allows.
    static func fieldNumber(_ tag: UInt64, at offset: Int) throws(MalformedMessage) -> Int32 {
        let number = tag >> 3
        guard number >= 1 && number <= 536_870_911 else {
            throw MalformedMessage(offset: offset, reason: "field number \(number) is outside 1...536870911")
        }
        return Int32(number)
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
    static func read<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ index: inout Int, end: Int) -> UInt64?
    where Bytes.Index == Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < end {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            // The tenth byte may only carry the top bit of a 64-bit value.
            if shift == 63 && byte > 1 { return nil }
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift >= 70 { return nil }
        }
        return nil
    }
}

extension WireRedaction {
    /// What a caller that may not see personal data writes over `stored`: `incoming`, plus every top-level
    /// sensitive field of `stored` that `incoming` does not set, so that an update made from a redacted read
    /// never erases personal data. (The caller can still set a sensitive field; it cannot see it.)
    ///
    /// Sensitive fields inside nested messages cannot be carried over this way; their paths, where `stored`
    /// has any, are returned in `nestedPresent` for the caller to refuse the write.
    public static func keepingSensitiveFields(
        of stored: Data,
        in incoming: Data,
        fields: SensitiveFields
    ) throws(MalformedMessage) -> (data: Data, nestedPresent: [String]) {
        if fields.isEmpty { return (incoming, []) }
        let storedBytes = Array(stored)
        var kept: [UInt8] = []
        var index = 0
        while index < storedBytes.count {
            let start = index
            let number = try skipField(storedBytes, &index)
            if fields.fields[number] != nil {
                kept += storedBytes[start..<index]
            }
        }
        var nestedPresent: [String] = []
        if !fields.nested.isEmpty {
            let nestedOnly = SensitiveFields(fields: [:], nested: fields.nested)
            nestedPresent = try redact(stored, fields: nestedOnly).removed
        }
        if kept.isEmpty { return (incoming, nestedPresent) }
        let incomingBytes = Array(incoming)
        var setByIncoming: Set<Int32> = []
        index = 0
        while index < incomingBytes.count {
            setByIncoming.insert(try skipField(incomingBytes, &index))
        }
        var out = incomingBytes
        index = 0
        while index < kept.count {
            let start = index
            let number = try skipField(kept, &index)
            // A field the caller set wins, and so does any other member of the same oneof that it set.
            let rivals = fields.oneofMembers[number] ?? [number]
            if rivals.isDisjoint(with: setByIncoming) { out += kept[start..<index] }
        }
        return (Data(out), nestedPresent)
    }

    /// Moves past one field, returning its number.
    private static func skipField(_ bytes: [UInt8], _ index: inout Int) throws(MalformedMessage) -> Int32 {
        let start = index
        let tag = try readVarint(bytes, &index, end: bytes.count)
        let number = try fieldNumber(tag, at: start)
        switch tag & 7 {
        case 0: _ = try readVarint(bytes, &index, end: bytes.count)
        case 1: index += 8
        case 5: index += 4
        case 2:
            let length = try readVarint(bytes, &index, end: bytes.count)
            guard length <= UInt64(bytes.count - index) else {
                throw MalformedMessage(offset: start, reason: "a length of \(length) runs past the end")
            }
            index += Int(length)
        default:
            throw MalformedMessage(offset: start, reason: "wire type \(tag & 7) is not supported")
        }
        guard index <= bytes.count else { throw MalformedMessage(offset: start, reason: "a field runs past the end") }
        return number
    }
}
