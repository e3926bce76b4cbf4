import GongzhiObjects
import GongzhiRPC
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The host's personal-data rule, for a plugin's own uses of its messages: what it writes to its logs, exports
/// or hands to another system. The host already applies the rule to the plugin's answers; this applies the same
/// rule, from the same schema, wherever else the plugin needs it, so a plugin never restates which fields are
/// personal data by hand.
///
/// ```swift
/// let redactor = try PersonalDataRedactor(service: gridService)   // the descriptors its stubs carry
/// logger.info("case updated", metadata: ["case": "\(try redactor.redact(updated))"])
/// ```
public struct PersonalDataRedactor: Sendable {
    private let index: DescriptorIndex

    /// Why a message cannot be redacted.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A redactor for the messages a descriptor set defines.
    public init(descriptors: RPCFileDescriptorSet) throws(Failure) {
        do {
            index = try DescriptorIndex(fileDescriptorSet: descriptors.bytes)
        } catch {
            throw Failure(description: "the descriptors are not a FileDescriptorSet: \(error)")
        }
    }

    /// A redactor for the messages a service uses, from the descriptors its generated stubs carry.
    public init(service: any RPCService) throws(Failure) {
        guard let descriptors = service.fileDescriptorSet else {
            throw Failure(
                description: "\(service.serviceName) carries no descriptors (it was not generated from a .proto)"
            )
        }
        try self.init(descriptors: descriptors)
    }

    /// The paths of the fields that hold personal data in messages of this type, e.g. `reporter.phone`.
    public func sensitivePaths<M: SwiftProtobuf.Message>(of type: M.Type) throws(Failure) -> [String] {
        try fields(of: type).paths
    }

    /// The message without the fields its schema marks sensitive, at any depth; everything else unchanged.
    public func redact<M: SwiftProtobuf.Message>(_ message: M) throws(Failure) -> M {
        let fields = try fields(of: M.self)
        if fields.isEmpty { return message }
        do {
            let bytes: Data = try message.serializedBytes()
            return try M(serializedBytes: try WireRedaction.redact(bytes, fields: fields).data)
        } catch {
            throw Failure(description: "\(M.protoMessageName) could not be redacted: \(error)")
        }
    }

    private func fields<M: SwiftProtobuf.Message>(of type: M.Type) throws(Failure) -> SensitiveFields {
        let name = M.protoMessageName
        guard index.messages[name] != nil else {
            throw Failure(description: "the descriptors do not define \(name)")
        }
        let undefined = index.undefinedTypes(reachableFrom: name)
        guard undefined.isEmpty else {
            throw Failure(
                description: "the descriptors do not define \(undefined.joined(separator: ", ")), which \(name) uses"
            )
        }
        return index.sensitiveFields(of: name)
    }
}
