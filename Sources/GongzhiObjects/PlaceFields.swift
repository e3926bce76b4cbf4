import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a message's place is (the `(gongzhi.core.v1.place)` field option), and which of its message-typed
/// fields hold messages that have a place at some depth: what the host reads to keep a person's answers
/// within their places.
public final class PlaceFields: Sendable {
    /// The message's own place field: number and name.
    public let field: (number: Int32, name: String)?
    /// Message-typed fields whose messages have a place, or hold messages that do: number → their fields.
    /// Set once while the index builds the graph (which may have cycles), before the value is shared.
    public var nested: [Int32: PlaceFields] { nestedStorage }
    nonisolated(unsafe) private var nestedStorage: [Int32: PlaceFields]

    public init(field: (number: Int32, name: String)?, nested: [Int32: PlaceFields]) {
        self.field = field
        self.nestedStorage = nested
    }

    public static let none = PlaceFields(field: nil, nested: [:])

    /// True when neither the message nor anything in it has a place.
    public var isEmpty: Bool { field == nil && nestedStorage.isEmpty }

    fileprivate func setNested(_ nested: [Int32: PlaceFields]) {
        nestedStorage = nested
    }
}

extension DescriptorIndex {
    /// Why a message's place option cannot be used.
    public struct InvalidPlaceField: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The place field of a message: a top-level string field marked `(gongzhi.core.v1.place)`, at most one.
    public func placeField(of messageName: String) throws(InvalidPlaceField) -> (number: Int32, name: String)? {
        guard let message = messages[messageName] else { return nil }
        let marked = message.field.filter { $0.options.Gongzhi_Core_V1_place }
        guard !marked.isEmpty else { return nil }
        guard marked.count == 1 else {
            throw InvalidPlaceField(
                description: "\(messageName) marks \(marked.map(\.name).joined(separator: ", ")) as its place; "
                    + "a message has one place field"
            )
        }
        let field = marked[0]
        guard field.type == .string, field.label != .repeated else {
            throw InvalidPlaceField(
                description: "\(messageName).\(field.name) is marked as the place but is not a single string "
                    + "(a place is a region or grid code)"
            )
        }
        return (field.number, field.name)
    }

    /// The place fields of a message and of the messages inside it, at any depth (the messages whose place
    /// field cannot be used are treated as having none).
    public func placeFields(of messageName: String) -> PlaceFields {
        var reachable: [String: Google_Protobuf_DescriptorProto] = [:]
        var pending = [messageName]
        while let name = pending.popLast() {
            guard reachable[name] == nil, let message = messages[name] else { continue }
            reachable[name] = message
            for field in message.field where field.type == .message {
                pending.append(String(field.typeName.drop { $0 == "." }))
            }
        }
        var own: [String: (number: Int32, name: String)] = [:]
        for name in reachable.keys {
            if let field = try? placeField(of: name) { own[name] = field }
        }
        var holding = Set(own.keys)
        var changed = true
        while changed {
            changed = false
            for (name, message) in reachable where !holding.contains(name) {
                let holds = message.field.contains {
                    $0.type == .message && holding.contains(String($0.typeName.drop { $0 == "." }))
                }
                if holds {
                    holding.insert(name)
                    changed = true
                }
            }
        }
        guard holding.contains(messageName) else { return .none }
        var nodes: [String: PlaceFields] = [:]
        for name in holding { nodes[name] = PlaceFields(field: own[name], nested: [:]) }
        for name in holding {
            var nested: [Int32: PlaceFields] = [:]
            for field in reachable[name]!.field where field.type == .message {
                if let inner = nodes[String(field.typeName.drop { $0 == "." })] { nested[field.number] = inner }
            }
            nodes[name]!.setNested(nested)
        }
        return nodes[messageName]!
    }
}

/// Reads places out of a message's serialized bytes, and removes the messages that lie outside a caller's
/// places, without decoding into a type (as ``WireRedaction`` does for personal data).
public enum WirePlaces {
    /// The value of the top-level string field `number` (the last one, as protobuf reads it); "" when absent.
    public static func place(in bytes: Data, field number: Int32) throws(WireRedaction.MalformedMessage) -> String {
        try place(in: [UInt8](bytes), field: number)
    }

    /// The value of the top-level string field `number` in `bytes`; "" when absent.
    public static func place(in bytes: [UInt8], field number: Int32) throws(WireRedaction.MalformedMessage) -> String {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireRedaction.MalformedMessage) -> String in
            try place(in: buffer, from: 0, to: buffer.count, field: number)
        }
    }

    private static func place(
        in bytes: UnsafeBufferPointer<UInt8>,
        from start: Int,
        to end: Int,
        field number: Int32
    ) throws(WireRedaction.MalformedMessage) -> String {
        var found = ""
        var index = start
        while index < end {
            let fieldStart = index
            guard let tag = WireVarint.read(bytes, &index, end: end) else {
                throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "a varint runs past the end")
            }
            let fieldNumber = try WireRedaction.fieldNumber(tag, at: fieldStart)
            switch tag & 7 {
            case 0:
                guard WireVarint.read(bytes, &index, end: end) != nil else {
                    throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "a varint runs past the end")
                }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = WireVarint.read(bytes, &index, end: end), length <= UInt64(end - index) else {
                    throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "a length runs past the end")
                }
                if fieldNumber == number {
                    found = String(
                        decoding: UnsafeBufferPointer(rebasing: bytes[index..<index + Int(length)]),
                        as: UTF8.self
                    )
                }
                index += Int(length)
            default:
                throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "wire type \(tag & 7) is not used")
            }
            guard index <= end else {
                throw WireRedaction.MalformedMessage(
                    offset: fieldStart,
                    reason: "field \(fieldNumber) runs past the end"
                )
            }
        }
        return found
    }

    /// What ``filter(_:fields:within:)`` did.
    public struct Filtered: Sendable {
        /// The bytes without the messages outside the places.
        public var data: Data
        /// The place of the message itself, when it has a place field.
        public var place: String?
        /// How many messages inside it were removed for lying outside.
        public var removed: Int
        /// The places of every message kept (the message's own included).
        public var kept: Set<String>
    }

    /// The message without the messages inside it (at any depth) that lie outside `scope`: a repeated element
    /// is dropped, a singular field cleared. The message's own place is returned, not judged: the caller
    /// decides what to do with an answer that itself lies outside.
    public static func filter(
        _ bytes: Data,
        fields: PlaceFields,
        within scope: PlaceScope
    ) throws(WireRedaction.MalformedMessage) -> Filtered {
        var result = Filtered(data: bytes, place: nil, removed: 0, kept: [])
        if fields.isEmpty { return result }
        let array = Array(bytes)
        var removed = 0
        var kept: Set<String> = []
        var own: String?
        let out = try array.withUnsafeBufferPointer { (buffer) throws(WireRedaction.MalformedMessage) -> [UInt8]? in
            try filter(
                buffer,
                from: 0,
                to: buffer.count,
                fields: fields,
                scope: scope,
                depth: 0,
                ownPlace: &own,
                removed: &removed,
                kept: &kept
            )
        }
        result.place = own
        result.removed = removed
        result.kept = kept
        if let out { result.data = Data(out) }
        return result
    }

    /// The rewritten bytes, or nil when nothing inside was removed (the bytes stand as they are).
    private static func filter(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int,
        to end: Int,
        fields: PlaceFields,
        scope: PlaceScope,
        depth: Int,
        ownPlace: inout String?,
        removed: inout Int,
        kept: inout Set<String>
    ) throws(WireRedaction.MalformedMessage) -> [UInt8]? {
        guard depth < WireRedaction.maximumDepth else {
            throw WireRedaction.MalformedMessage(offset: start, reason: "messages nested more than 64 deep")
        }
        if let field = fields.field {
            let place = try place(in: bytes, from: start, to: end, field: field.number)
            ownPlace = place
            kept.insert(place)
        }
        guard !fields.nested.isEmpty else { return nil }
        var out: [UInt8]?
        var index = start
        while index < end {
            let fieldStart = index
            guard let tag = WireVarint.read(bytes, &index, end: end) else {
                throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "a varint runs past the end")
            }
            let number = try WireRedaction.fieldNumber(tag, at: fieldStart)
            var valueStart = index
            switch tag & 7 {
            case 0:
                guard WireVarint.read(bytes, &index, end: end) != nil else {
                    throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "a varint runs past the end")
                }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = WireVarint.read(bytes, &index, end: end), length <= UInt64(end - index) else {
                    throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "a length runs past the end")
                }
                valueStart = index
                index += Int(length)
            default:
                throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "wire type \(tag & 7) is not used")
            }
            guard index <= end else {
                throw WireRedaction.MalformedMessage(offset: fieldStart, reason: "field \(number) runs past the end")
            }
            if tag & 7 == 2, let inner = fields.nested[number] {
                var innerPlace: String?
                var innerKept: Set<String> = []
                let removedBefore = removed
                let rewritten = try filter(
                    bytes,
                    from: valueStart,
                    to: index,
                    fields: inner,
                    scope: scope,
                    depth: depth + 1,
                    ownPlace: &innerPlace,
                    removed: &removed,
                    kept: &innerKept
                )
                if let innerPlace, !scope.covers(innerPlace) {
                    // The message goes whole: what it held that lay outside is not counted again.
                    removed = removedBefore + 1
                    if out == nil { out = Array(bytes[start..<fieldStart]) }
                    continue
                }
                kept.formUnion(innerKept)
                if let rewritten {
                    if out == nil { out = Array(bytes[start..<fieldStart]) }
                    appendVarint(&out!, tag)
                    appendVarint(&out!, UInt64(rewritten.count))
                    out!.append(contentsOf: rewritten)
                    continue
                }
            }
            out?.append(contentsOf: bytes[fieldStart..<index])
        }
        return out
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
