import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks serialized data against a message's descriptor at the wire level, without a generated type:
/// every field number must be declared, with the wire type its declared type uses, strings must be
/// UTF-8, and nested messages must fit their own descriptors. The host checks objects of kinds that
/// plugins register at run time this way before it stores them.
public struct WireValidation: Sendable {
    public let index: DescriptorIndex

    public init(index: DescriptorIndex) {
        self.index = index
    }

    /// Why data does not fit its message.
    public struct Mismatch: Error, Sendable, Equatable, CustomStringConvertible {
        /// The dotted path of the field at fault, e.g. `workers.phone`, or "" for the message itself.
        public var path: String
        public var offset: Int
        public var reason: String
        public var description: String {
            (path.isEmpty ? "" : "\(path): ") + "\(reason) (at byte \(offset))"
        }
    }

    /// Throws the first mismatch between `data` and the message named `messageName`.
    public func validate(_ data: Data, as messageName: String) throws(Mismatch) {
        let bytes = Array(data)
        try validate(bytes, from: 0, to: bytes.count, as: messageName, path: "", depth: 0)
    }

    private func validate(
        _ bytes: [UInt8],
        from start: Int,
        to end: Int,
        as messageName: String,
        path: String,
        depth: Int
    ) throws(Mismatch) {
        guard depth < 64 else { throw Mismatch(path: path, offset: start, reason: "messages nested more than 64 deep") }
        guard let message = index.messages[messageName] else {
            throw Mismatch(path: path, offset: start, reason: "no descriptor for \(messageName)")
        }
        var fieldsByNumber: [Int32: Google_Protobuf_FieldDescriptorProto] = [:]
        for field in message.field { fieldsByNumber[field.number] = field }
        var position = start
        while position < end {
            let fieldStart = position
            let tag = try varint(bytes, &position, end: end, path: path)
            guard tag >> 3 >= 1 && tag >> 3 <= 536_870_911 else {
                throw Mismatch(
                    path: path,
                    offset: fieldStart,
                    reason: "field number \(tag >> 3) is outside 1...536870911"
                )
            }
            let number = Int32(tag >> 3)
            let wireType = Int(tag & 7)
            guard let field = fieldsByNumber[number] else {
                throw Mismatch(path: path, offset: fieldStart, reason: "field \(number) is not in \(messageName)")
            }
            let fieldPath = path.isEmpty ? field.name : "\(path).\(field.name)"
            let expected = Self.wireType(of: field.type)
            let packed = field.label == .repeated && expected != 2 && wireType == 2
            guard wireType == expected || packed else {
                throw Mismatch(
                    path: fieldPath,
                    offset: fieldStart,
                    reason: "wire type \(wireType) where \(field.type) needs \(expected)"
                )
            }
            switch wireType {
            case 0:
                _ = try varint(bytes, &position, end: end, path: fieldPath)
            case 1, 5:
                let size = wireType == 1 ? 8 : 4
                guard end - position >= size else {
                    throw Mismatch(path: fieldPath, offset: fieldStart, reason: "runs past the end")
                }
                position += size
            case 2:
                let length = try varint(bytes, &position, end: end, path: fieldPath)
                guard length <= UInt64(end - position) else {
                    throw Mismatch(
                        path: fieldPath,
                        offset: fieldStart,
                        reason: "a length of \(length) runs past the end"
                    )
                }
                let valueEnd = position + Int(length)
                switch field.type {
                case .message:
                    try validate(
                        bytes,
                        from: position,
                        to: valueEnd,
                        as: String(field.typeName.drop { $0 == "." }),
                        path: fieldPath,
                        depth: depth + 1
                    )
                case .string:
                    guard String(validating: bytes[position..<valueEnd], as: UTF8.self) != nil else {
                        throw Mismatch(path: fieldPath, offset: position, reason: "a string that is not UTF-8")
                    }
                default:
                    if packed {
                        try validatePacked(bytes, from: position, to: valueEnd, wireType: expected, path: fieldPath)
                    }
                }
                position = valueEnd
            default:
                throw Mismatch(
                    path: fieldPath,
                    offset: fieldStart,
                    reason: "wire type \(wireType) is not used by proto3"
                )
            }
        }
    }

    private func validatePacked(
        _ bytes: [UInt8],
        from start: Int,
        to end: Int,
        wireType: Int,
        path: String
    ) throws(Mismatch) {
        var position = start
        while position < end {
            switch wireType {
            case 0: _ = try varint(bytes, &position, end: end, path: path)
            case 1: position += 8
            default: position += 4
            }
        }
        guard position == end else {
            throw Mismatch(path: path, offset: start, reason: "packed values do not fill their length")
        }
    }

    private func varint(_ bytes: [UInt8], _ position: inout Int, end: Int, path: String) throws(Mismatch) -> UInt64 {
        let start = position
        guard let value = WireVarint.read(bytes, &position, end: end) else {
            throw Mismatch(path: path, offset: start, reason: "a malformed varint")
        }
        return value
    }

    /// The wire type a field of this type is written with (unpacked).
    static func wireType(of type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> Int {
        switch type {
        case .double, .fixed64, .sfixed64: 1
        case .float, .fixed32, .sfixed32: 5
        case .string, .bytes, .message: 2
        case .group: 3
        default: 0
        }
    }
}
