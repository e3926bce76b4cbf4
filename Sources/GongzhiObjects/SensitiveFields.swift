import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Which fields of a message are sensitive, by field number, and which of its message-typed fields
/// hold messages that have sensitive fields of their own.
public final class SensitiveFields: Sendable {
    /// Sensitive fields: number → name.
    public let fields: [Int32: String]
    /// Message-typed fields whose messages contain sensitive fields: number → (name, their fields).
    public let nested: [Int32: (name: String, fields: SensitiveFields)]

    public init(fields: [Int32: String], nested: [Int32: (name: String, fields: SensitiveFields)]) {
        self.fields = fields
        self.nested = nested
    }

    public static let none = SensitiveFields(fields: [:], nested: [:])

    /// True when the message has no sensitive field at any depth.
    public var isEmpty: Bool { fields.isEmpty && nested.isEmpty }

    /// The dotted paths of every sensitive field, e.g. `workers.phone`.
    public var paths: [String] {
        var out = fields.values.sorted()
        for (_, entry) in nested.sorted(by: { $0.key < $1.key }) {
            out += entry.fields.paths.map { "\(entry.name).\($0)" }
        }
        return out
    }
}

/// The messages of a FileDescriptorSet, and where their sensitive fields are (the
/// `(gongzhi.core.v1.sensitive)` field option).
public struct DescriptorIndex: Sendable {
    public private(set) var messages: [String: Google_Protobuf_DescriptorProto] = [:]

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
        }
    }

    private mutating func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
        let name = prefix + message.name
        messages[name] = message
        for nested in message.nestedType {
            add(nested, prefix: name + ".")
        }
    }

    /// The sensitive fields of a message and of the messages inside it.
    public func sensitiveFields(of messageName: String) -> SensitiveFields {
        var visiting: Set<String> = []
        return sensitiveFields(of: messageName, visiting: &visiting)
    }

    private func sensitiveFields(of messageName: String, visiting: inout Set<String>) -> SensitiveFields {
        guard let message = messages[messageName], visiting.insert(messageName).inserted else { return .none }
        defer { visiting.remove(messageName) }
        var fields: [Int32: String] = [:]
        var nested: [Int32: (name: String, fields: SensitiveFields)] = [:]
        for field in message.field {
            if field.options.Gongzhi_Core_V1_sensitive {
                fields[field.number] = field.name
            } else if field.type == .message {
                // Type names are fully qualified with a leading dot.
                let inner = sensitiveFields(of: String(field.typeName.drop { $0 == "." }), visiting: &visiting)
                if !inner.isEmpty { nested[field.number] = (field.name, inner) }
            }
        }
        return SensitiveFields(fields: fields, nested: nested)
    }
}
