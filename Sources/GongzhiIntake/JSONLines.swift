/// JSON lines (one JSON object per line), as departments' systems export tickets: each line read into the
/// fields a source mapping names, with its line number.
public enum JSONLines {
    /// One line's fields and its line number.
    public struct Record: Equatable, Sendable {
        public var fields: [String: String]
        public var line: Int
    }

    /// Every non-blank line of `text` as fields: strings as they are, numbers as written, booleans as
    /// `true`/`false`, nulls left out. A line that is not a JSON object, or a member holding an object or an
    /// array, is an error with its line and column; `firstLine` numbers the text's first line.
    public static func records(_ text: String, firstLine: Int = 1) throws(InputError) -> [Record] {
        var records: [Record] = []
        var lineNumber = firstLine
        // By Unicode scalars: a String's Characters join "\r\n" into one, which is not "\n".
        for rawLine in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { lineNumber += 1 }
            var line = rawLine
            if line.last == "\r" { line = line.dropLast() }
            if lineNumber == firstLine, line.first == "\u{FEFF}" { line = line.dropFirst() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let node = try JSONDocument.parse(Substring(line), firstLine: lineNumber)
            guard case .object(let members) = node.value else {
                throw node.error("json.type", "each line must hold a JSON object, not \(node.typeName)")
            }
            var fields: [String: String] = [:]
            for member in members {
                switch member.node.value {
                case .null: continue
                case .bool(let flag): fields[member.key] = flag ? "true" : "false"
                case .number(_, let text): fields[member.key] = text
                case .string(let text): fields[member.key] = text
                case .array, .object:
                    throw member.node.error(
                        "field.type",
                        "\"\(member.key)\" must be a string or a number, not \(member.node.typeName)"
                    )
                }
            }
            records.append(Record(fields: fields, line: lineNumber))
        }
        return records
    }
}
