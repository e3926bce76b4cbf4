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

/// Reads a flat JSON object of strings: `{"key":"value",…}` without white space, with JSON's escapes.
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
        let start = index
        // The common case: no escapes, the bytes between the quotes are the string.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            index += 1
        }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }
        // With escapes: the string's UTF-8 bytes, gathered and decoded once.
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                if byte == UInt8(ascii: "\"") { return String(decoding: utf8, as: UTF8.self) }
                utf8.append(byte)
                continue
            }
            guard index < bytes.count else { return nil }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "u"):
                // Only escapes of single scalars (encodeLabels escapes control characters only); surrogate
                // pairs are left to the decoder.
                guard index + 4 <= bytes.count,
                    let value = UInt32(
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<index + 4]), as: UTF8.self),
                        radix: 16
                    ),
                    let scalar = Unicode.Scalar(value)
                else { return nil }
                index += 4
                utf8.append(contentsOf: String(scalar).utf8)
            default:
                return nil
            }
        }
        return nil
    }
}
