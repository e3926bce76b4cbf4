import Foundation
import GRDB

/// How objects map to rows of the `objects` and `history` tables.
enum SQLiteRecords {
    /// The object columns, in the order that ``object(from:)`` reads them.
    static let objectColumns = "kind, id, revision, parent, owner, labels, created_at, updated_at, data"

    /// The object in the first nine columns of `row` (``objectColumns``).
    static func object(from row: Row) throws(StoreError) -> StoredObject {
        let kind: String = row[0]
        let id: String = row[1]
        let data: Data? = row[8]
        return StoredObject(
            kind: kind,
            id: id,
            revision: row[2],
            labels: try decodeLabels(row[5], of: ObjectKey(kind: kind, id: id)),
            parent: row[3],
            owner: row[4],
            createdAt: row[6],
            updatedAt: row[7],
            data: data.map { Array($0) } ?? []
        )
    }

    /// The arguments for ``objectColumns``, in order.
    static func arguments(of object: StoredObject) -> StatementArguments {
        [
            object.kind, object.id, object.revision, object.parent, object.owner, encodeLabels(object.labels),
            object.createdAt, object.updatedAt, Data(object.data),
        ]
    }

    /// Labels as a JSON object with sorted keys (deterministic, and readable with SQLite's JSON functions).
    static func encodeLabels(_ labels: [String: String]) -> String {
        if labels.isEmpty {
            return "{}"
        }
        var json = "{"
        for (index, key) in labels.keys.sorted().enumerated() {
            if index > 0 {
                json += ","
            }
            appendJSONString(key, to: &json)
            json += ":"
            appendJSONString(labels[key]!, to: &json)
        }
        json += "}"
        return json
    }

    static func decodeLabels(_ json: String, of key: ObjectKey) throws(StoreError) -> [String: String] {
        if json == "{}" {
            return [:]
        }
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw .unavailable("the stored labels of \(key) are not a JSON object of strings", cause: error)
        }
    }

    private static func appendJSONString(_ string: String, to json: inout String) {
        json += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    json.unicodeScalars.append(scalar)
                }
            }
        }
        json += "\""
    }
}
