import GongzhiDocuments
import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A kind of object as the host lists it, with what gongzhictl knows of its message: for the core kinds
/// the Swift type and descriptor (so that data reads and writes as JSON); for kinds that plugins
/// registered, nothing (their data reads and writes as base64 bytes, `dataBase64`).
struct ObjectKind: Sendable {
    let info: Gongzhi_Host_V1_Kind
    let messageType: (any SwiftProtobuf.Message.Type)?
    let descriptor: Google_Protobuf_DescriptorProto?

    init(_ info: Gongzhi_Host_V1_Kind) {
        self.info = info
        self.messageType = LocalSchemas.types[info.messageName]
        self.descriptor = messageType == nil ? nil : CoreKinds.descriptors.messages[info.messageName]
    }

    var name: String { info.name }

    /// The number of the message's `name` field, a string, if it has one.
    var nameField: Int32? {
        descriptor?.field.first { $0.name == "name" && $0.type == .string && $0.label != .repeated }?.number
    }

    /// `Resident` → `residents`, `Policy` → `policies`, `Address` → `addresses`: for messages.
    var plural: String { KindCatalog.plural(of: name).lowercased() }

    // MARK: Data

    /// The data as proto3 JSON, or nil when gongzhictl has no type for the kind, the bytes do not decode,
    /// or they hold fields the local schema does not know (which JSON would lose).
    func json(of data: Data) -> JSONValue? {
        guard let messageType,
            let message = try? messageType.init(serializedBytes: data),
            message.unknownFields.data.isEmpty,
            let text = try? message.jsonString(),
            let value = try? JSONText.value(text)
        else { return nil }
        return value.json
    }

    /// The value of the message's `name` field, read straight from the bytes.
    func displayName(of data: Data) -> String? {
        guard let number = nameField else { return nil }
        return WireScan.lastString(field: number, in: data)
    }

    /// True when the two serializations hold the same message (field order and encoding aside), apart from
    /// the fields the host sets itself when it stores the object (``HostSetFields``).
    func sameData(_ first: Data, _ second: Data) -> Bool {
        if first == second { return true }
        guard let messageType,
            let a = try? messageType.init(serializedBytes: first),
            let b = try? messageType.init(serializedBytes: second)
        else { return false }
        return HostSetFields.cleared(a).isEqualTo(message: HostSetFields.cleared(b))
    }

    /// The serialized message that a document's `data` describes, checked against the schema so that a
    /// mistake is named by its field and line.
    func encode(data value: SourceValue) throws(DocumentProblem) -> Data {
        guard let messageType else {
            throw DocumentProblem(
                line: value.line,
                problem: "gongzhictl has no schema for kind \(name) (\(info.messageName), registered by "
                    + "\(info.owner.isEmpty ? "a plugin" : info.owner)): give its data as dataBase64, the message's "
                    + "bytes in base64, as gongzhictl get -o json prints them"
            )
        }
        let json: JSONValue
        if descriptor != nil {
            json = try DataSchema().convert(value, messageName: info.messageName, path: "data")
        } else {
            json = value.json
        }
        do {
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = false
            let message = try messageType.init(jsonString: JSONText.compact(json), options: options)
            return try message.serializedBytes()
        } catch {
            throw DocumentProblem(line: value.line, problem: "data is not a valid \(name): \(error)")
        }
    }
}

/// The core kinds' Swift types, by message name.
enum LocalSchemas {
    static let types: [String: any SwiftProtobuf.Message.Type] = {
        let types: [any SwiftProtobuf.Message.Type] = [
            Gongzhi_Core_V1_Region.self, Gongzhi_Core_V1_Grid.self, Gongzhi_Core_V1_Building.self,
            Gongzhi_Core_V1_Household.self, Gongzhi_Core_V1_Resident.self, Gongzhi_Core_V1_Organization.self,
            Gongzhi_Core_V1_Partner.self, Gongzhi_Core_V1_Department.self, Gongzhi_Core_V1_Person.self,
            Gongzhi_Core_V1_Role.self, Gongzhi_Core_V1_RoleBinding.self,
        ]
        return Dictionary(uniqueKeysWithValues: types.map { ($0.protoMessageName, $0) })
    }()

    /// The core kinds as the host lists them, for when there is no host to ask (tests, documentation).
    static var coreKinds: [Gongzhi_Host_V1_Kind] {
        CoreKinds.all.values.sorted { $0.name < $1.name }.map { schema in
            Gongzhi_Host_V1_Kind.with {
                $0.name = schema.name
                $0.messageName = schema.messageName
                $0.owner = schema.owner
                $0.sensitiveFields = schema.sensitive.paths
            }
        }
    }
}

/// Fields the host fills in when it stores an object, whatever the document said: a role binding's
/// `granted_by` and `granted_at_ms`. A document that leaves them out describes the object as stored, so that
/// applying it again is no change (the host refuses any update of a binding).
enum HostSetFields {
    /// The message without the fields the host sets.
    static func cleared(_ message: any SwiftProtobuf.Message) -> any SwiftProtobuf.Message {
        guard var binding = message as? Gongzhi_Core_V1_RoleBinding else { return message }
        binding.grantedBy = ""
        binding.grantedAtMs = 0
        return binding
    }
}

/// The kinds the host knows, and how a name typed on the command line finds one.
struct KindCatalog: Sendable {
    let kinds: [ObjectKind]

    init(_ kinds: [Gongzhi_Host_V1_Kind]) {
        self.kinds = kinds.sorted { $0.name < $1.name }.map(ObjectKind.init)
    }

    /// The kinds the host serves.
    static func load(from objects: Gongzhi_Host_V1_ObjectsClient, options: CallOptions) async throws -> KindCatalog {
        KindCatalog(try await objects.listKinds(Gongzhi_Host_V1_ListKindsRequest(), options: options).kinds)
    }

    /// The kind with exactly this name, as documents name it.
    func kind(named name: String) -> ObjectKind? {
        kinds.first { $0.name == name }
    }

    /// The kind a person means: its name in any case, singular or plural (`resident`, `Residents`), or its
    /// message's full name.
    func resolve(_ typed: String) throws(ControlError) -> ObjectKind {
        let lowered = typed.lowercased()
        if let kind = kinds.first(where: { kind in
            let name = kind.name.lowercased()
            return lowered == name || lowered == kind.plural || lowered == kind.info.messageName.lowercased()
        }) {
            return kind
        }
        throw ControlError(unknownKind: typed, known: kinds.map(\.name))
    }

    /// `Resident` → `Residents`, `Policy` → `Policies`, `Address` → `Addresses`.
    static func plural(of name: String) -> String {
        let lowered = name.lowercased()
        if lowered.hasSuffix("y"), let before = lowered.dropLast().last, !"aeiou".contains(before) {
            return name.dropLast() + "ies"
        }
        if ["s", "x", "z", "ch", "sh"].contains(where: { lowered.hasSuffix($0) }) { return name + "es" }
        return name + "s"
    }
}

extension ControlError {
    /// A kind the host does not know, with the nearest known name and the list of them.
    init(unknownKind typed: String, known: [String]) {
        var message = "there is no kind \"\(typed)\""
        if let nearest = Suggestion.nearest(to: typed, among: known) { message += " (did you mean \(nearest)?)" }
        message +=
            known.isEmpty
            ? "; the host lists no kinds" : "; the kinds are \(known.joined(separator: ", ")) (gongzhictl get kinds)"
        self.init(message, exitCode: ControlExitCode.notFound)
    }
}

/// The known word nearest to a mistyped one, for "did you mean" hints.
enum Suggestion {
    /// The candidate within two edits of `typed` (case aside), or containing it as a plural or singular.
    static func nearest(to typed: String, among candidates: [String]) -> String? {
        let lowered = Array(typed.lowercased())
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased()))
            if distance <= min(2, max(1, lowered.count / 3)), distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// Edits (insert, delete, replace, swap two neighbours) that turn one word into the other.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}

/// Reads one field from serialized protobuf bytes without a type.
enum WireScan {
    /// The last value of a length-delimited field with this number, as UTF-8 text (the last one wins in
    /// protobuf); nil when absent or the bytes are malformed.
    static func lastString(field number: Int32, in data: Data) -> String? {
        let bytes = [UInt8](data)
        var index = 0
        var found: String?
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count && shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while index < bytes.count {
            guard let tag = varint() else { return found }
            switch tag & 7 {
            case 0: guard varint() != nil else { return found }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - index) else { return found }
                let end = index + Int(length)
                if tag >> 3 == UInt64(number) {
                    found = String(decoding: bytes[index..<end], as: UTF8.self)
                }
                index = end
            default: return found
            }
        }
        return found
    }
}
