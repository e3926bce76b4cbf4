import GongzhiDocuments
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a document was read from, to name it in messages: `residents.jsonl:7` for JSON and JSON lines,
/// `district.yaml, document 3 (line 41)` or `district.yaml, document 2, item 5 (line 41)` for YAML.
struct DocumentPlace: Sendable, Equatable {
    var file: String
    /// For YAML: the document's 1-based number in the stream; nil for JSON.
    var yamlDocument: Int?
    /// For a YAML document that is a list of documents: the 1-based number of the item.
    var item: Int?

    /// The place, with the line of what is being talked about.
    func at(line: Int) -> String {
        guard let yamlDocument else { return "\(file):\(line)" }
        return "\(file), document \(yamlDocument)\(item.map { ", item \($0)" } ?? "") (line \(line))"
    }
}

/// A document as read from a file, before the host says which kinds there are.
struct InputDocument: Sendable {
    enum Payload: Sendable {
        case none
        /// `data`: the message in proto3 JSON, to check against the kind's schema.
        case json(SourceValue)
        /// `dataBase64`: the message's bytes.
        case bytes(Data)
    }

    var kind: String
    var id: String
    var parent: String
    var labels: [String: String]
    var data: Payload
    /// 0 when the document has none.
    var revision: Int64
    var place: DocumentPlace
    /// The line the document starts on.
    var line: Int
    var kindLine: Int

    /// The keys a document may have: the first six are what is written, the rest are what `get` prints
    /// and `apply` ignores (`redactedFields` must be empty).
    static let keys = [
        "kind", "id", "parent", "labels", "data", "dataBase64", "revision", "owner", "createdAt", "updatedAt",
        "redactedFields",
    ]

    /// Checks a document's shape: an object with the known keys, a kind and an id, string labels, a
    /// revision that is a whole number, and no redacted fields.
    init(_ value: SourceValue, place: DocumentPlace) throws(DocumentProblem) {
        guard case .object(let members) = value.content else {
            throw DocumentProblem(
                line: value.line,
                problem: "a document must be an object with kind, id and data, not \(value.typeDescription)"
            )
        }
        self.place = place
        self.line = value.line
        var kind: String?
        var id: String?
        parent = ""
        labels = [:]
        data = .none
        revision = 0
        kindLine = value.line
        var redacted: (fields: [String], line: Int) = ([], value.line)
        for member in members {
            let value = member.value
            switch member.key {
            case "kind":
                kind = try Self.text(value, key: "kind")
                kindLine = value.line
            case "id":
                id = try Self.text(value, key: "id")
            case "parent":
                parent = value.isNull ? "" : try Self.text(value, key: "parent")
            case "labels":
                labels = try Self.labels(value)
            case "data":
                guard case .none = data else {
                    throw DocumentProblem(line: member.keyLine, problem: "give either data or dataBase64, not both")
                }
                data = .json(value)
            case "dataBase64":
                guard case .none = data else {
                    throw DocumentProblem(line: member.keyLine, problem: "give either data or dataBase64, not both")
                }
                let text = try Self.text(value, key: "dataBase64")
                guard let bytes = Data(base64Encoded: text) else {
                    throw DocumentProblem(line: value.line, problem: "dataBase64 is not base64")
                }
                data = .bytes(bytes)
            case "revision":
                revision = try Self.revision(value)
            case "owner", "createdAt", "updatedAt":
                // Printed by get; the host sets them.
                break
            case "redactedFields":
                redacted = (try Self.strings(value, key: "redactedFields"), value.line)
            default:
                var problem = "unknown key \"\(member.key)\""
                if let nearest = Suggestion.nearest(to: member.key, among: Self.keys) {
                    problem += " (did you mean \(nearest)?)"
                } else {
                    problem += " (a document has kind, id, parent, labels, data or dataBase64, and revision)"
                }
                throw DocumentProblem(line: member.keyLine, problem: problem)
            }
        }
        guard let kind, !kind.isEmpty else {
            throw DocumentProblem(line: value.line, problem: "the document has no kind (such as Resident)")
        }
        guard let id, !id.isEmpty else {
            throw DocumentProblem(line: value.line, problem: "the \(kind) has no id")
        }
        self.kind = kind
        self.id = id
        if !redacted.fields.isEmpty {
            throw DocumentProblem(
                line: redacted.line,
                problem: "\(kind)/\(id) was read with personal data withheld (redactedFields: "
                    + "\(redacted.fields.joined(separator: ", "))), and applying it would erase that data; apply "
                    + "a copy read with access to personal data, or fill in those fields and remove redactedFields"
            )
        }
    }

    private static func text(_ value: SourceValue, key: String) throws(DocumentProblem) -> String {
        guard let text = value.text else {
            throw DocumentProblem(line: value.line, problem: "\(key) must be a string, not \(value.typeDescription)")
        }
        return text
    }

    private static func labels(_ value: SourceValue) throws(DocumentProblem) -> [String: String] {
        if value.isNull { return [:] }
        guard case .object(let members) = value.content else {
            throw DocumentProblem(
                line: value.line,
                problem: "labels must be an object of names and string values, not \(value.typeDescription)"
            )
        }
        var labels: [String: String] = [:]
        for member in members {
            switch member.value.content {
            case .string(let text), .plain(let text), .number(let text):
                labels[member.key] = text
            case .bool(let flag):
                labels[member.key] = flag ? "true" : "false"
            default:
                throw DocumentProblem(
                    line: member.value.line,
                    problem: "label \"\(member.key)\" must be a string, not \(member.value.typeDescription)"
                )
            }
        }
        return labels
    }

    private static func revision(_ value: SourceValue) throws(DocumentProblem) -> Int64 {
        if value.isNull { return 0 }
        switch value.content {
        case .number(let text), .string(let text), .plain(let text):
            if let revision = Int64(text), revision >= 0 { return revision }
        default: break
        }
        throw DocumentProblem(
            line: value.line,
            problem: "revision must be a whole number, 0 or more, not \(value.typeDescription)"
        )
    }

    private static func strings(_ value: SourceValue, key: String) throws(DocumentProblem) -> [String] {
        if value.isNull { return [] }
        guard case .array(let items) = value.content else {
            throw DocumentProblem(line: value.line, problem: "\(key) must be a list, not \(value.typeDescription)")
        }
        var strings: [String] = []
        for item in items { strings.append(try text(item, key: key)) }
        return strings
    }

    /// The object to write, once the host has said which kinds there are.
    func object(in catalog: KindCatalog) throws(DocumentProblem) -> (Gongzhi_Host_V1_Object, ObjectKind) {
        guard let objectKind = catalog.kind(named: kind) else {
            var problem = "there is no kind \"\(kind)\""
            if let match = catalog.kinds.first(where: { $0.name.lowercased() == kind.lowercased() }) {
                problem += " (kinds are case-sensitive in documents: \(match.name))"
            } else if let nearest = Suggestion.nearest(to: kind, among: catalog.kinds.map(\.name)) {
                problem += " (did you mean \(nearest)?)"
            } else {
                problem += "; the kinds are \(catalog.kinds.map(\.name).joined(separator: ", "))"
            }
            throw DocumentProblem(line: kindLine, problem: problem)
        }
        var object = Gongzhi_Host_V1_Object()
        object.kind = kind
        object.id = id
        object.parent = parent
        object.labels = labels
        switch data {
        case .none: break
        case .json(let value): object.data = try objectKind.encode(data: value)
        case .bytes(let bytes): object.data = bytes
        }
        return (object, objectKind)
    }
}

/// Objects as the documents that `get -o json|yaml` prints and `apply` reads.
enum ObjectDocument {
    /// `kind`, `id`, `parent` and `labels` when set, `revision`, `owner`, `createdAt` and `updatedAt`
    /// when known, `redactedFields` when any, then `data` (proto3 JSON) or, for a kind gongzhictl has no
    /// schema for, `dataBase64`.
    static func json(_ object: Gongzhi_Host_V1_Object, kind: ObjectKind?) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("kind", .string(object.kind)), ("id", .string(object.id))]
        if !object.parent.isEmpty { members.append(("parent", .string(object.parent))) }
        if !object.labels.isEmpty {
            members.append(
                ("labels", .object(object.labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
            )
        }
        members.append(("revision", .int64(object.revision)))
        if !object.owner.isEmpty { members.append(("owner", .string(object.owner))) }
        if object.createdAtMs != 0 { members.append(("createdAt", .string(rfc3339(object.createdAtMs)))) }
        if object.updatedAtMs != 0 { members.append(("updatedAt", .string(rfc3339(object.updatedAtMs)))) }
        if !object.redactedFields.isEmpty {
            members.append(("redactedFields", .array(object.redactedFields.map(JSONValue.string))))
        }
        if let data = kind?.json(of: object.data) {
            members.append(("data", data))
        } else {
            members.append(("dataBase64", .string(object.data.base64EncodedString())))
        }
        return .object(members)
    }

    /// `2025-11-21T15:00:00Z`, with milliseconds when there are any (`…:00.250Z`).
    static func rfc3339(_ ms: Int64) -> String {
        let (seconds, milliseconds) = ms.floorDivision(by: 1000)
        return rfc3339(seconds: seconds, fraction: milliseconds == 0 ? "" : "." + TimeStyle.pad(milliseconds, 3))
    }

    /// `2025-11-21T15:00:00Z`, with milliseconds when the time has some (`…:00.250Z`), or microseconds when it has
    /// some of those (`…:00.250125Z`).
    static func rfc3339(microseconds: Int64) -> String {
        let (seconds, fraction) = microseconds.floorDivision(by: 1_000_000)
        let digits: String
        if fraction % 1000 != 0 {
            digits = "." + TimeStyle.pad(fraction, 6)
        } else {
            digits = fraction == 0 ? "" : "." + TimeStyle.pad(fraction / 1000, 3)
        }
        return rfc3339(seconds: seconds, fraction: digits)
    }

    private static func rfc3339(seconds: Int64, fraction: String) -> String {
        let (days, secondOfDay) = seconds.floorDivision(by: 86_400)
        let (year, month, day) = TimeStyle.civilDate(daysSinceEpoch: days)
        let pad = TimeStyle.pad
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))\(fraction)Z"
    }
}
