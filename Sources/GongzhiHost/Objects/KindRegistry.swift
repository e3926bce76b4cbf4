import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A kind the host knows, with what it needs to check and redact the kind's data.
struct KnownKind: Sendable {
    var schema: KindSchema
    var validation: WireValidation
    /// The revision of the registration; 0 for core kinds.
    var revision: Int64

    var name: String { schema.name }
    var owner: String { schema.owner }

    var message: Gongzhi_Host_V1_Kind {
        var kind = Gongzhi_Host_V1_Kind()
        kind.name = schema.name
        kind.messageName = schema.messageName
        kind.owner = schema.owner
        kind.sensitiveFields = schema.sensitive.paths
        kind.revision = revision
        kind.placeField = schema.place?.name ?? ""
        kind.confidential = schema.confidential
        return kind
    }
}

/// Every kind of object: the core kinds, owned by the host, and the kinds plugins registered at run time
/// (kept in the store as objects of the reserved kind ``KindRegistry/registrationKind``).
final class KindRegistry: Sendable {
    /// The store's kind for registrations: written only through RegisterKind.
    static let registrationKind = "Kind"

    private let kinds: Mutex<[String: KnownKind]>

    init() {
        var kinds: [String: KnownKind] = [:]
        let validation = WireValidation(index: CoreKinds.descriptors)
        for (name, schema) in CoreKinds.all {
            kinds[name] = KnownKind(schema: schema, validation: validation, revision: 0)
        }
        kinds[Self.registrationKind] = KnownKind(
            schema: KindSchema(
                name: Self.registrationKind,
                messageName: "gongzhi.host.v1.RegisterKindRequest",
                owner: "host",
                sensitive: .none
            ),
            validation: validation,
            revision: 0
        )
        self.kinds = Mutex(kinds)
    }

    func kind(_ name: String) -> KnownKind? {
        kinds.withLock { $0[name] }
    }

    var all: [KnownKind] {
        kinds.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }

    /// The kind `name`, or NOT_FOUND naming the kinds there are.
    func require(_ name: String) throws(RPCError) -> KnownKind {
        if let kind = kind(name) { return kind }
        if name.isEmpty {
            throw RPCError(code: .invalidArgument, message: "the request names no kind")
        }
        let names = all.map(\.name).filter { $0 != Self.registrationKind }
        throw RPCError(
            code: .invalidArgument,
            message: "there is no kind \"\(name)\" (kinds: \(names.joined(separator: ", "))); "
                + "kinds are case-sensitive, and a plugin's kinds exist once it registered them"
        )
    }

    /// Checks a registration and turns it into a kind (not yet added).
    static func parse(
        _ request: Gongzhi_Host_V1_RegisterKindRequest,
        owner: String,
        revision: Int64
    ) throws(RPCError) -> KnownKind {
        let name = request.name
        let valid =
            (1...63).contains(name.utf8.count) && name.first.map { $0.isASCII && $0.isUppercase } == true
            && name.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
            }
        guard valid else {
            throw RPCError(
                code: .invalidArgument,
                message: "\"\(name)\" is not a kind name: an upper-case letter, then letters and digits, "
                    + "at most 63 (e.g. \"Case\")"
            )
        }
        let index: DescriptorIndex
        do {
            index = try DescriptorIndex(fileDescriptorSet: request.fileDescriptorSet)
        } catch {
            throw RPCError(
                code: .invalidArgument,
                message: "kind \(name): file_descriptor_set is \(error); "
                    + "write it with protoc --include_imports --descriptor_set_out"
            )
        }
        guard let message = index.messages[request.messageName] else {
            throw RPCError(
                code: .invalidArgument,
                message: "kind \(name): the descriptor set has no message \"\(request.messageName)\" "
                    + "(give the full name, e.g. \"acme.cases.v1.Case\"; it has: "
                    + index.messages.keys.sorted().prefix(20).joined(separator: ", ") + ")"
            )
        }
        // Every message type a field uses must be in the set, or its data could not be checked.
        var missing: [String] = []
        var seen: Set<String> = []
        var pending = [request.messageName]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted,
                let descriptor = next == request.messageName ? message : index.messages[next]
            else { continue }
            if let group = descriptor.field.first(where: { $0.type == .group }) {
                throw RPCError(
                    code: .invalidArgument,
                    message: "kind \(name): \(next).\(group.name) is a group, which the host does not take; "
                        + "use a message field"
                )
            }
            for field in descriptor.field where field.type == .message {
                let typeName = String(field.typeName.drop { $0 == "." })
                if index.messages[typeName] == nil {
                    missing.append(typeName)
                } else {
                    pending.append(typeName)
                }
            }
        }
        guard missing.isEmpty else {
            throw RPCError(
                code: .invalidArgument,
                message: "kind \(name): the descriptor set lacks \(Set(missing).sorted().joined(separator: ", ")), "
                    + "which \(request.messageName) uses; build it with protoc --include_imports"
            )
        }
        let place: (number: Int32, name: String)?
        do {
            place = try index.placeField(of: request.messageName)
        } catch {
            throw RPCError(code: .invalidArgument, message: "kind \(name): \(error.description)")
        }
        return KnownKind(
            schema: KindSchema(
                name: name,
                messageName: request.messageName,
                owner: owner,
                sensitive: index.sensitiveFields(of: request.messageName),
                place: place,
                confidential: index.isConfidential(request.messageName)
            ),
            validation: WireValidation(index: index),
            revision: revision
        )
    }

    /// Adds or replaces a registered kind.
    /// Adds a registered kind, or replaces an older registration of it (registrations that finish out of
    /// order keep the newest).
    func register(_ kind: KnownKind) {
        kinds.withLock { kinds in
            if let held = kinds[kind.name], held.revision == 0 || held.revision > kind.revision { return }
            kinds[kind.name] = kind
        }
    }
}
