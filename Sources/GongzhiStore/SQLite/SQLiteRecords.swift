import Foundation
import GRDB
import GongzhiDocuments

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
            JSONString.write(key, into: &json)
            json += ":"
            JSONString.write(labels[key]!, into: &json)
        }
        json += "}"
        return json
    }

    static func decodeLabels(_ json: String, of key: ObjectKey) throws(StoreError) -> [String: String] {
        if json == "{}" {
            return [:]
        }
        if let labels = parseLabels(json) {
            return labels
        }
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw .unavailable("the stored labels of \(key) are not a JSON object of strings", cause: error)
        }
    }

    /// Labels as ``encodeLabels(_:)`` writes them, read without Foundation's decoder (which costs microseconds per
    /// object in a list of thousands); nil for anything else, which the decoder then reads.
    static func parseLabels(_ json: String) -> [String: String]? {
        var json = json
        return json.withUTF8 { bytes -> [String: String]? in
            var reader = LabelReader(bytes: bytes)
            return reader.object()
        }
    }
}

/// Reads a flat JSON object of strings: `{"key":"value",…}` without white space, with JSON's escapes
/// (``JSONString``).
private struct LabelReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func object() -> [String: String]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var labels: [String: String] = [:]
        if take(UInt8(ascii: "}")) { return index == bytes.count ? labels : nil }
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")), let value = string() else { return nil }
            labels[key] = value
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), index == bytes.count else { return nil }
        return labels
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        return try? JSONString.decode(bytes, from: &index)
    }
}
