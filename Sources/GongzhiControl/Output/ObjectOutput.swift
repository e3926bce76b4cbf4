import GongzhiDocuments
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the object commands print: tables and a detail view for people, documents (JSON or YAML) for
/// scripts and for `apply`. Every string ends with a newline.
enum ObjectOutput {
    // MARK: get

    /// `get KIND`: ID, NAME (when the kind's message has a `name` field), PARENT, REVISION, AGE (since
    /// created) and UPDATED.
    static func table(_ objects: [Gongzhi_Host_V1_Object], kind: ObjectKind, time: TimeStyle) -> String {
        guard !objects.isEmpty else { return "no \(kind.plural)\n" }
        let hasName = kind.nameField != nil
        return TextLayout.table(
            header: ["ID"] + (hasName ? ["NAME"] : []) + ["PARENT", "REVISION", "AGE", "UPDATED"],
            rows: objects.map { object in
                [object.id] + (hasName ? [orDash(kind.displayName(of: object.data) ?? "")] : []) + [
                    orDash(object.parent),
                    String(object.revision),
                    object.createdAtMs == 0
                        ? "-" : TimeStyle.duration(seconds: (time.nowMs - object.createdAtMs) / 1000),
                    time.relative(object.updatedAtMs),
                ]
            }
        )
    }

    /// `get kinds`: each kind with its owner, message and sensitive fields.
    static func kindTable(_ kinds: [Gongzhi_Host_V1_Kind]) -> String {
        guard !kinds.isEmpty else { return "no kinds\n" }
        return TextLayout.table(
            header: ["NAME", "OWNER", "MESSAGE", "SENSITIVE FIELDS"],
            rows: kinds.map { kind in
                [
                    kind.name, orDash(kind.owner), orDash(kind.messageName),
                    (kind.sensitiveFields.isEmpty ? "-" : kind.sensitiveFields.joined(separator: ", "))
                        + (kind.confidential ? " (confidential: shown only by roles that name the kind)" : ""),
                ]
            }
        )
    }

    /// `get kinds -o json|yaml`: the kinds as the host lists them.
    static func kindsDocument(_ kinds: [Gongzhi_Host_V1_Kind]) -> JSONValue {
        .array(
            kinds.map { kind in
                .object(
                    [
                        ("name", .string(kind.name)),
                        ("messageName", .string(kind.messageName)),
                        ("owner", .string(kind.owner)),
                        ("sensitiveFields", .array(kind.sensitiveFields.map(JSONValue.string))),
                        ("revision", .int64(kind.revision)),
                    ] + (kind.confidential ? [("confidential", .bool(true))] : [])
                )
            }
        )
    }

    // MARK: describe

    /// `describe KIND ID`: every metadata field, the labels, which fields the host withheld, and the data
    /// as YAML.
    static func detail(_ object: Gongzhi_Host_V1_Object, kind: ObjectKind?, time: TimeStyle) -> String {
        var fields: [(key: String, values: [String])] = [
            ("kind", [object.kind]),
            ("id", [object.id]),
            ("parent", [orDash(object.parent)]),
            ("revision", [String(object.revision)]),
            ("owner", [orDash(object.owner)]),
            ("created", [time.timestampAndRelative(object.createdAtMs)]),
            ("updated", [time.timestampAndRelative(object.updatedAtMs)]),
            ("labels", object.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }),
        ]
        if !object.redactedFields.isEmpty {
            fields.append(
                (
                    "redacted",
                    [
                        object.redactedFields.joined(separator: ", ")
                            + " (withheld by the host: reading them needs a grant for personal data)"
                    ]
                )
            )
        }
        guard let data = kind?.json(of: object.data) else {
            let why =
                kind?.messageType == nil
                ? "gongzhictl has no schema for \(kind?.info.messageName ?? object.kind)"
                : "they do not read as \(kind?.info.messageName ?? object.kind)"
            fields.append(("data", ["\(object.data.count) bytes, in base64 below (\(why))"]))
            return TextLayout.fields(fields) + indented(object.data.base64EncodedString() + "\n")
        }
        return TextLayout.fields(fields) + "data:\n" + indented(YAMLText.document(data))
    }

    private static func indented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "  \($0)\n" }.joined()
    }

    // MARK: watch

    /// `watch KIND`: `ADDED Resident/r-0001 revision 5 at 2026-11-22T10:13:05.123456Z`, the time being when the
    /// change was committed (left out when the host did not say).
    static func watchLine(_ event: Gongzhi_Host_V1_WatchEvent) -> String {
        var line = "\(eventType(event.type)) \(event.object.kind)/\(event.object.id) revision \(eventRevision(event))"
        if event.committedAtUs != 0 {
            line += " at \(ObjectDocument.rfc3339(microseconds: event.committedAtUs))"
        }
        return line + "\n"
    }

    /// `watch KIND -o json|yaml`: the event's type, revision and commit time, and the object's document.
    static func watchDocument(_ event: Gongzhi_Host_V1_WatchEvent, kind: ObjectKind?) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string(eventType(event.type))),
            ("revision", .int64(eventRevision(event))),
        ]
        if event.committedAtUs != 0 {
            members.append(("committedAt", .string(ObjectDocument.rfc3339(microseconds: event.committedAtUs))))
        }
        members.append(("object", ObjectDocument.json(event.object, kind: kind)))
        return .object(members)
    }

    static func eventType(_ type: Gongzhi_Host_V1_WatchEvent.TypeEnum) -> String {
        switch type {
        case .added: return "ADDED"
        case .modified: return "MODIFIED"
        case .deleted: return "DELETED"
        case .unspecified, .UNRECOGNIZED: return "UNKNOWN"
        }
    }

    private static func eventRevision(_ event: Gongzhi_Host_V1_WatchEvent) -> Int64 {
        event.revision != 0 ? event.revision : event.object.revision
    }

    // MARK: delete and apply

    /// `delete KIND ID`.
    static func deleted(kind: String, id: String, revision: Int64) -> String {
        "deleted \(kind)/\(id) (revision \(revision))\n"
    }

    static func deletedDocument(kind: String, id: String, revision: Int64) -> JSONValue {
        .object([("kind", .string(kind)), ("id", .string(id)), ("revision", .int64(revision))])
    }

    /// `apply`: `created 30,000, updated 0, unchanged 0 (30,000 objects in 12.3 s)`.
    static func applySummary(_ counts: ApplyCounts, seconds: Double) -> String {
        "created \(TextLayout.grouped(counts.created)), updated \(TextLayout.grouped(counts.updated)), "
            + "unchanged \(TextLayout.grouped(counts.unchanged)) (\(TextLayout.grouped(counts.total)) "
            + (counts.total == 1 ? "object" : "objects") + " in \(tenths(seconds)) s)\n"
    }

    static func applySummaryDocument(_ counts: ApplyCounts, seconds: Double) -> JSONValue {
        .object([
            ("created", .integer(counts.created)),
            ("updated", .integer(counts.updated)),
            ("unchanged", .integer(counts.unchanged)),
            ("objects", .integer(counts.total)),
            ("seconds", .number(tenths(seconds))),
        ])
    }

    /// `applying: 12,000/30,000 (40%)`, without a line end.
    static func progress(done: Int, total: Int) -> String {
        "applying: \(TextLayout.grouped(done))/\(TextLayout.grouped(total)) (\(total == 0 ? 100 : done * 100 / total)%)"
    }

    // MARK: Pieces

    /// Seconds with one decimal: `12.3`.
    static func tenths(_ seconds: Double) -> String {
        let tenths = Int((max(0, seconds) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func orDash(_ text: String) -> String { text.isEmpty ? "-" : text }
}
