import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the host knows of a routed service's messages, from the descriptors its plugin registered: each
/// method's input and output types, and where the output holds personal data (the fields the schema marks
/// `(gongzhi.core.v1.sensitive)`, at any depth). The router redacts and audits answers with it.
struct ServiceSchema: Sendable, Equatable {
    struct Method: Sendable {
        var name: String
        var kind: RPCKind
        var inputType: String
        var outputType: String
        /// The sensitive fields of the output message; empty when it holds none.
        var sensitiveOutput: SensitiveFields
        /// Where the output message, and the messages in it, say their place; empty when none does.
        var placeOutput: PlaceFields
    }

    let service: String
    let methods: [String: Method]
    /// The serialized FileDescriptorSet, as the plugin sent it.
    let fileDescriptorSet: Data

    /// Why a registration's descriptors cannot be used.
    struct Problem: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// The schemas of the services a plugin registered, checked against the methods it says it serves: every
    /// service and method must be in the descriptors, with the same streaming shape.
    static func parse(
        fileDescriptorSet bytes: Data,
        services: [String: [String: RPCKind]]
    ) throws(Problem) -> [String: ServiceSchema] {
        let index: DescriptorIndex
        do {
            index = try DescriptorIndex(fileDescriptorSet: bytes)
        } catch {
            throw Problem(description: "file_descriptor_set is \(error)")
        }
        var out: [String: ServiceSchema] = [:]
        for (service, kinds) in services.sorted(by: { $0.key < $1.key }) {
            guard let descriptor = index.services[service] else {
                throw Problem(
                    description: "file_descriptor_set does not define the service \(service); it defines "
                        + (index.services.isEmpty ? "none" : index.services.keys.sorted().joined(separator: ", "))
                )
            }
            var methods: [String: Method] = [:]
            for (name, kind) in kinds {
                guard let method = descriptor.method.first(where: { $0.name == name }) else {
                    throw Problem(description: "\(service) in file_descriptor_set has no method \(name)")
                }
                let described = RPCKind(clientStreams: method.clientStreaming, serverStreams: method.serverStreaming)
                guard described == kind else {
                    throw Problem(
                        description: "\(service)/\(name) is registered as \(kind) but its descriptor says \(described)"
                    )
                }
                let input = typeName(method.inputType)
                let output = typeName(method.outputType)
                for type in [input, output] {
                    let undefined = index.undefinedTypes(reachableFrom: type)
                    guard undefined.isEmpty else {
                        throw Problem(
                            description: "\(service)/\(name) uses \(undefined.joined(separator: ", ")), which "
                                + "file_descriptor_set does not define (build it with protoc --include_imports)"
                        )
                    }
                }
                methods[name] = Method(
                    name: name,
                    kind: kind,
                    inputType: input,
                    outputType: output,
                    sensitiveOutput: index.sensitiveFields(of: output),
                    placeOutput: index.placeFields(of: output)
                )
            }
            out[service] = ServiceSchema(service: service, methods: methods, fileDescriptorSet: bytes)
        }
        return out
    }

    /// Two schemas are the same when they come from the same descriptors for the same service.
    static func == (lhs: ServiceSchema, rhs: ServiceSchema) -> Bool {
        lhs.service == rhs.service && lhs.fileDescriptorSet == rhs.fileDescriptorSet
    }

    private static func typeName(_ name: String) -> String {
        String(name.drop { $0 == "." })
    }
}

extension RPCKind {
    init(clientStreams: Bool, serverStreams: Bool) {
        switch (clientStreams, serverStreams) {
        case (false, false): self = .unary
        case (true, false): self = .clientStreaming
        case (false, true): self = .serverStreaming
        case (true, true): self = .bidirectionalStreaming
        }
    }
}
