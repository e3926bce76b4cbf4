import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Which fields of a message are sensitive, by field number, and which of its message-typed fields
/// hold messages that have sensitive fields of their own (at any depth, including messages that contain
/// themselves, such as a tree of nodes).
public final class SensitiveFields: Sendable {
    /// Sensitive fields: number → name.
    public let fields: [Int32: String]
    /// For a sensitive field in a oneof: the numbers of every member of that oneof.
    public let oneofMembers: [Int32: Set<Int32>]
    /// Message-typed fields whose messages contain sensitive fields: number → (name, their fields). Set once,
    /// while the index builds the graph (which may have cycles), before the value is shared.
    public var nested: [Int32: (name: String, fields: SensitiveFields)] { nestedStorage }
    nonisolated(unsafe) private var nestedStorage: [Int32: (name: String, fields: SensitiveFields)]

    public init(
        fields: [Int32: String],
        nested: [Int32: (name: String, fields: SensitiveFields)],
        oneofMembers: [Int32: Set<Int32>] = [:]
    ) {
        self.fields = fields
        self.nestedStorage = nested
        self.oneofMembers = oneofMembers
    }

    public static let none = SensitiveFields(fields: [:], nested: [:])

    /// True when the message has no sensitive field at any depth.
    public var isEmpty: Bool { fields.isEmpty && nestedStorage.isEmpty }

    /// The dotted paths of every sensitive field, e.g. `workers.phone`; where a message contains itself, the
    /// path ends in `…` (`children.…`: the same fields again, at every depth).
    public var paths: [String] {
        var onPath: Set<ObjectIdentifier> = []
        return paths(onPath: &onPath)
    }

    private func paths(onPath: inout Set<ObjectIdentifier>) -> [String] {
        onPath.insert(ObjectIdentifier(self))
        defer { onPath.remove(ObjectIdentifier(self)) }
        var out = fields.values.sorted()
        for (_, entry) in nestedStorage.sorted(by: { $0.key < $1.key }) {
            if onPath.contains(ObjectIdentifier(entry.fields)) {
                out.append("\(entry.name).…")
            } else {
                out += entry.fields.paths(onPath: &onPath).map { "\(entry.name).\($0)" }
            }
        }
        return out
    }

    fileprivate func setNested(_ nested: [Int32: (name: String, fields: SensitiveFields)]) {
        nestedStorage = nested
    }
}

/// The messages of a FileDescriptorSet, and where their sensitive fields are (the
/// `(gongzhi.core.v1.sensitive)` field option).
public struct DescriptorIndex: Sendable {
    public private(set) var messages: [String: Google_Protobuf_DescriptorProto] = [:]
    /// The services the set defines, by full name (`gongzhi.grid.v1.GridService`).
    public private(set) var services: [String: Google_Protobuf_ServiceDescriptorProto] = [:]

    public struct InvalidDescriptors: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a serialized `google.protobuf.FileDescriptorSet`.
    public init(fileDescriptorSet bytes: Data) throws {
        let set: Google_Protobuf_FileDescriptorSet
        do {
            set = try Google_Protobuf_FileDescriptorSet(
                serializedBytes: bytes,
                extensions: Gongzhi_Core_V1_Options_Extensions
            )
        } catch {
            throw InvalidDescriptors(description: "not a FileDescriptorSet: \(error)")
        }
        for file in set.file {
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for message in file.messageType {
                add(message, prefix: prefix)
            }
            for service in file.service {
                services[prefix + service.name] = service
            }
        }
    }

    private mutating func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
        let name = prefix + message.name
        messages[name] = message
        for nested in message.nestedType {
            add(nested, prefix: name + ".")
        }
    }

    /// The message types that `messageName` uses at any depth (itself included) that the set does not define
    /// by their full name: a set built without one of its imports, or by hand with a relative type name. Their
    /// fields could not be checked for personal data, so a schema that leaves any out cannot be used.
    public func undefinedTypes(reachableFrom messageName: String) -> [String] {
        var seen: Set<String> = []
        var undefined: Set<String> = []
        var pending = [messageName]
        while let name = pending.popLast() {
            guard seen.insert(name).inserted else { continue }
            guard let message = messages[name] else {
                undefined.insert(name)
                continue
            }
            for field in message.field where field.type == .message || field.type == .group {
                guard field.typeName.hasPrefix(".") else {
                    undefined.insert("\(field.typeName) (field \(name).\(field.name), not a full name)")
                    continue
                }
                pending.append(Self.typeName(field))
            }
        }
        return undefined.sorted()
    }

    /// True when the message is marked `(gongzhi.core.v1.confidential)`.
    public func isConfidential(_ messageName: String) -> Bool {
        messages[messageName]?.options.Gongzhi_Core_V1_confidential ?? false
    }

    /// The sensitive fields of a message and of the messages inside it, at any depth.
    public func sensitiveFields(of messageName: String) -> SensitiveFields {
        // The messages reachable from this one, and the message type of each of their message fields.
        var reachable: [String: Google_Protobuf_DescriptorProto] = [:]
        var pending = [messageName]
        while let name = pending.popLast() {
            guard reachable[name] == nil, let message = messages[name] else { continue }
            reachable[name] = message
            for field in message.field where field.type == .message || field.type == .group {
                pending.append(Self.typeName(field))
            }
        }
        // Which of them hold a sensitive field at some depth: a fixed point, since messages may contain
        // themselves.
        var holding = Set(reachable.filter { $0.value.field.contains { $0.options.Gongzhi_Core_V1_sensitive } }.keys)
        var changed = true
        while changed {
            changed = false
            for (name, message) in reachable where !holding.contains(name) {
                if message.field.contains(where: { $0.type == .message && holding.contains(Self.typeName($0)) }) {
                    holding.insert(name)
                    changed = true
                }
            }
        }
        guard holding.contains(messageName) else { return .none }
        var nodes: [String: SensitiveFields] = [:]
        for name in holding {
            let message = reachable[name]!
            var fields: [Int32: String] = [:]
            var oneofMembers: [Int32: Set<Int32>] = [:]
            for field in message.field where field.options.Gongzhi_Core_V1_sensitive {
                fields[field.number] = field.name
                if field.hasOneofIndex {
                    oneofMembers[field.number] = Set(
                        message.field.filter { $0.hasOneofIndex && $0.oneofIndex == field.oneofIndex }.map(\.number)
                    )
                }
            }
            nodes[name] = SensitiveFields(fields: fields, nested: [:], oneofMembers: oneofMembers)
        }
        for name in holding {
            var nested: [Int32: (name: String, fields: SensitiveFields)] = [:]
            for field in reachable[name]!.field
            where field.type == .message && !field.options.Gongzhi_Core_V1_sensitive {
                if let inner = nodes[Self.typeName(field)] { nested[field.number] = (field.name, inner) }
            }
            nodes[name]!.setNested(nested)
        }
        return nodes[messageName]!
    }

    /// A field's message type, without the leading dot of its fully qualified name.
    private static func typeName(_ field: Google_Protobuf_FieldDescriptorProto) -> String {
        String(field.typeName.drop { $0 == "." })
    }
}
