import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The messages, enums and services that a serialized `google.protobuf.FileDescriptorSet` defines, by their
/// full names (`gongzhi.grid.v1.LocateRequest`, nested ones as `gongzhi.grid.v1.Case.Step`), with each
/// message's fields indexed the way the JSON codec looks them up.
struct DescriptorPool: Sendable {
    private(set) var messages: [String: MessageSchema] = [:]
    private(set) var enums: [String: EnumSchema] = [:]
    private(set) var services: [String: Google_Protobuf_ServiceDescriptorProto] = [:]

    /// Bytes that are not a FileDescriptorSet.
    struct InvalidDescriptors: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// Reads a serialized FileDescriptorSet, with the `(gongzhi.core.v1.sensitive)` field option understood.
    init(fileDescriptorSet bytes: Data) throws(InvalidDescriptors) {
        let set: Google_Protobuf_FileDescriptorSet
        do {
            set = try Google_Protobuf_FileDescriptorSet(
                serializedBytes: bytes,
                extensions: Gongzhi_Core_V1_Options_Extensions
            )
        } catch {
            throw InvalidDescriptors(description: "not a FileDescriptorSet: \(error)")
        }
        self.init(files: set.file)
    }

    /// Indexes the files' definitions.
    init(files: [Google_Protobuf_FileDescriptorProto]) {
        for file in files {
            let prefix = file.package.isEmpty ? "" : file.package + "."
            let syntax = MessageSchema.Syntax(file)
            for message in file.messageType { add(message, prefix: prefix, syntax: syntax, file: file) }
            for enumType in file.enumType {
                enums[prefix + enumType.name] = EnumSchema(prefix + enumType.name, enumType)
            }
            for service in file.service { services[prefix + service.name] = service }
        }
    }

    private mutating func add(
        _ message: Google_Protobuf_DescriptorProto,
        prefix: String,
        syntax: MessageSchema.Syntax,
        file: Google_Protobuf_FileDescriptorProto
    ) {
        let name = prefix + message.name
        messages[name] = MessageSchema(name: name, descriptor: message, syntax: syntax, file: file)
        for nested in message.nestedType { add(nested, prefix: name + ".", syntax: syntax, file: file) }
        for enumType in message.enumType {
            enums[name + "." + enumType.name] = EnumSchema(name + "." + enumType.name, enumType)
        }
    }

    /// The entry message of a map field, or nil when the field is not a map.
    func mapEntry(of field: FieldSchema) -> MessageSchema? {
        guard field.isRepeated, field.type == .message, let entry = messages[field.typeName], entry.isMapEntry
        else { return nil }
        return entry
    }

    /// `.gongzhi.core.v1.Point` → `gongzhi.core.v1.Point`.
    static func qualified(_ typeName: String) -> String {
        typeName.hasPrefix(".") ? String(typeName.dropFirst()) : typeName
    }
}

/// A message's fields, indexed by number and by both of the names JSON may give them.
struct MessageSchema: Sendable {
    /// How the file that defines a message says fields behave where the field does not say.
    enum Syntax: Sendable {
        case proto2
        case proto3
        /// Editions: presence and packing come from the file's and the field's features.
        case editions(defaultPresence: Bool, defaultPacked: Bool)

        init(_ file: Google_Protobuf_FileDescriptorProto) {
            switch file.syntax {
            case "proto3": self = .proto3
            case "editions":
                self = .editions(
                    defaultPresence: file.options.features.fieldPresence != .implicit,
                    defaultPacked: file.options.features.repeatedFieldEncoding != .expanded
                )
            default: self = .proto2
            }
        }
    }

    /// The full name, `gongzhi.grid.v1.LocateRequest`.
    let name: String
    let descriptor: Google_Protobuf_DescriptorProto
    /// In field-number order, the order in which they are written and printed.
    let fields: [FieldSchema]
    /// The names of the real oneofs (not the ones proto3 `optional` makes), by index.
    let oneofNames: [Int32: String]
    private let byNumber: [Int32: Int]
    private let byName: [String: Int]

    init(
        name: String,
        descriptor: Google_Protobuf_DescriptorProto,
        syntax: Syntax,
        file: Google_Protobuf_FileDescriptorProto
    ) {
        self.name = name
        self.descriptor = descriptor
        var oneofNames: [Int32: String] = [:]
        for (index, oneof) in descriptor.oneofDecl.enumerated() {
            let synthetic = descriptor.field.contains {
                $0.hasOneofIndex && $0.oneofIndex == Int32(index) && $0.proto3Optional
            }
            if !synthetic { oneofNames[Int32(index)] = oneof.name }
        }
        self.oneofNames = oneofNames
        let fields = descriptor.field.map { FieldSchema($0, syntax: syntax, realOneofs: oneofNames) }
            .sorted { $0.number < $1.number }
        self.fields = fields
        var byNumber: [Int32: Int] = [:]
        var byName: [String: Int] = [:]
        for (index, field) in fields.enumerated() {
            byNumber[field.number] = index
            byName[field.jsonName] = index
        }
        // A proto name wins over another field's JSON name, as protoc's JSON parsers have it.
        for (index, field) in fields.enumerated() { byName[field.name] = index }
        self.byNumber = byNumber
        self.byName = byName
    }

    var isMapEntry: Bool { descriptor.options.mapEntry }

    func field(number: Int32) -> FieldSchema? { byNumber[number].map { fields[$0] } }

    /// The field a JSON key names: its proto name (`posted_by`) or its JSON name (`postedBy`).
    func field(named key: String) -> FieldSchema? { byName[key].map { fields[$0] } }
}

/// One field of a message, with what the codec needs to know about it worked out once.
struct FieldSchema: Sendable {
    let descriptor: Google_Protobuf_FieldDescriptorProto
    /// The proto's name, `posted_by`.
    let name: String
    /// The lowerCamelCase name of protobuf's JSON mapping, `postedBy` (or the `json_name` the proto gives).
    let jsonName: String
    let number: Int32
    let type: Google_Protobuf_FieldDescriptorProto.TypeEnum
    /// The message or enum type's full name without the leading dot; empty for scalars.
    let typeName: String
    let isRepeated: Bool
    /// Whether the field has explicit presence: set or not, even to its default (messages, oneof members,
    /// proto3 `optional`, proto2 fields). Fields without it are left out when they hold their default.
    let hasPresence: Bool
    /// The index of the real oneof the field belongs to.
    let oneof: Int32?
    /// Whether a repeated number is written packed.
    let isPacked: Bool
    /// Marked `(gongzhi.core.v1.sensitive)`: personal data that the host redacts for callers without the grant.
    let isSensitive: Bool

    init(
        _ descriptor: Google_Protobuf_FieldDescriptorProto,
        syntax: MessageSchema.Syntax,
        realOneofs: [Int32: String]
    ) {
        self.descriptor = descriptor
        name = descriptor.name
        jsonName = descriptor.hasJsonName ? descriptor.jsonName : Self.lowerCamelCase(descriptor.name)
        number = descriptor.number
        type = descriptor.type
        typeName = DescriptorPool.qualified(descriptor.typeName)
        isRepeated = descriptor.label == .repeated
        oneof = descriptor.hasOneofIndex && realOneofs[descriptor.oneofIndex] != nil ? descriptor.oneofIndex : nil
        let packable = ![.string, .bytes, .message, .group].contains(descriptor.type)
        switch syntax {
        case .proto2:
            hasPresence = !isRepeated
            isPacked = packable && isRepeated && descriptor.options.packed
        case .proto3:
            hasPresence = !isRepeated && (descriptor.type == .message || descriptor.hasOneofIndex)
            isPacked = packable && isRepeated && (!descriptor.options.hasPacked || descriptor.options.packed)
        case .editions(let defaultPresence, let defaultPacked):
            let features = descriptor.options.features
            let explicit =
                features.hasFieldPresence ? features.fieldPresence != .implicit : defaultPresence
            hasPresence = !isRepeated && (descriptor.type == .message || descriptor.hasOneofIndex || explicit)
            let packed =
                features.hasRepeatedFieldEncoding ? features.repeatedFieldEncoding != .expanded : defaultPacked
            isPacked = packable && isRepeated && packed
        }
        isSensitive = descriptor.options.Gongzhi_Core_V1_sensitive
    }

    /// protoc's JSON name for a field without `json_name`: `posted_by` → `postedBy`.
    static func lowerCamelCase(_ name: String) -> String {
        var out = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else {
                out += upperNext ? character.uppercased() : String(character)
                upperNext = false
            }
        }
        return out
    }

    /// The field's type as the proto writes it, without `repeated`: `string`, `gongzhi.core.v1.Point`.
    var typeDescription: String {
        switch type {
        case .double: return "double"
        case .float: return "float"
        case .int64: return "int64"
        case .uint64: return "uint64"
        case .int32: return "int32"
        case .fixed64: return "fixed64"
        case .fixed32: return "fixed32"
        case .bool: return "bool"
        case .string: return "string"
        case .group, .message, .enum: return typeName
        case .bytes: return "bytes"
        case .uint32: return "uint32"
        case .sfixed32: return "sfixed32"
        case .sfixed64: return "sfixed64"
        case .sint32: return "sint32"
        case .sint64: return "sint64"
        }
    }
}

/// An enum's values, by name and by number.
struct EnumSchema: Sendable {
    /// The full name, `gongzhi.grid.v1.Source`.
    let name: String
    /// The values in the order the proto lists them.
    let values: [(name: String, number: Int32)]
    private let numbers: [String: Int32]
    private let names: [Int32: String]

    init(_ name: String, _ descriptor: Google_Protobuf_EnumDescriptorProto) {
        self.name = name
        values = descriptor.value.map { ($0.name, $0.number) }
        var numbers: [String: Int32] = [:]
        var names: [Int32: String] = [:]
        for value in descriptor.value {
            numbers[value.name] = value.number
            // With allow_alias, the first name of a number is the one printed.
            if names[value.number] == nil { names[value.number] = value.name }
        }
        self.numbers = numbers
        self.names = names
    }

    func number(named name: String) -> Int32? { numbers[name] }
    func name(of number: Int32) -> String? { names[number] }
}
