/// Reading and writing JSON: a reader that keeps the line of every value (so that a problem in one of
/// 30,000 documents can be named by its line), objects' key order and numbers as written, and a writer for
/// documents.
public enum JSONText {
    /// Where JSON text stops being JSON, and why.
    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        /// 1-based.
        public var line: Int
        /// 1-based, in characters.
        public var column: Int
        public var problem: String

        public init(line: Int, column: Int, problem: String) {
            self.line = line
            self.column = column
            self.problem = problem
        }

        /// `3:19: expected a key in double quotes`.
        public var description: String { "\(line):\(column): \(problem)" }
    }

    /// How deeply lists and objects may nest unless a reader says otherwise: deeper is not a document a person
    /// wrote (and would exhaust the stack).
    public static let defaultMaximumDepth = 200

    /// Every top-level value in `bytes`, in order: one for a JSON file, one a line for JSON lines (any
    /// white space may separate them).
    public static func values(
        in bytes: [UInt8],
        maximumDepth: Int = defaultMaximumDepth
    ) throws(SyntaxError) -> [SourceValue] {
        try bytes.withUnsafeBufferPointer { buffer throws(SyntaxError) in
            var reader = Reader(bytes: buffer, maximumDepth: maximumDepth)
            var values: [SourceValue] = []
            reader.skipWhitespace()
            while !reader.atEnd {
                values.append(try reader.value(depth: 0))
                reader.skipWhitespace()
            }
            return values
        }
    }

    /// The one value that is all of `bytes` (white space around it and a byte order mark aside).
    public static func value(
        in bytes: [UInt8],
        maximumDepth: Int = defaultMaximumDepth
    ) throws(SyntaxError) -> SourceValue {
        try bytes.withUnsafeBufferPointer { buffer throws(SyntaxError) in
            var reader = Reader(bytes: buffer, maximumDepth: maximumDepth)
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.atEnd else { throw reader.error("unexpected text after the value") }
            return value
        }
    }

    /// One value, which must be all of `text`.
    public static func value(_ text: String) throws(SyntaxError) -> SourceValue {
        try value(in: Array(text.utf8))
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let maximumDepth: Int
        var index = 0
        var line = 1
        var lineStart = 0

        init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
            // A UTF-8 byte order mark is not part of the text.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                index = 3
                lineStart = 3
            }
        }

        var atEnd: Bool { index >= bytes.count }

        func error(_ problem: String, at position: Int? = nil) -> SyntaxError {
            let position = min(position ?? index, bytes.count)
            // Columns count characters: every byte but UTF-8 continuation bytes starts one.
            let column = bytes[lineStart..<max(lineStart, position)].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
            return SyntaxError(line: line, column: column, problem: problem)
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    index += 1
                case UInt8(ascii: "\n"):
                    index += 1
                    line += 1
                    lineStart = index
                default:
                    return
                }
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> SourceValue {
            guard index < bytes.count else { throw error("the text ends where a value should be") }
            let startLine = line
            switch bytes[index] {
            case UInt8(ascii: "{"):
                try checkDepth(depth)
                return SourceValue(.object(try object(depth: depth)), line: startLine)
            case UInt8(ascii: "["):
                try checkDepth(depth)
                return SourceValue(.array(try array(depth: depth)), line: startLine)
            case UInt8(ascii: "\""): return SourceValue(.string(try string()), line: startLine)
            case UInt8(ascii: "t"):
                try literal("true")
                return SourceValue(.bool(true), line: startLine)
            case UInt8(ascii: "f"):
                try literal("false")
                return SourceValue(.bool(false), line: startLine)
            case UInt8(ascii: "n"):
                try literal("null")
                return SourceValue(.null, line: startLine)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return SourceValue(.number(try number()), line: startLine)
            default:
                throw error("expected a value (an object, list, string, number, true, false or null)")
            }
        }

        /// A list or object at `depth` (0 for the top) is refused deeper than the maximum.
        func checkDepth(_ depth: Int) throws(SyntaxError) {
            guard depth < maximumDepth else { throw error("values are nested deeper than \(maximumDepth) levels") }
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let count = word.utf8CodeUnitCount
            let matches = word.withUTF8Buffer { expected in
                bytes.count - index >= count && bytes[index..<index + count].elementsEqual(expected)
            }
            guard matches else {
                throw error("expected a value (an object, list, string, number, true, false or null)")
            }
            index += count
        }

        mutating func object(depth: Int) throws(SyntaxError) -> [SourceMember] {
            index += 1
            var members: [SourceMember] = []
            var keys: Set<String> = []
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
                index += 1
                return members
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw error(atEnd ? "the text ends inside an object" : "expected a key in double quotes")
                }
                let keyStart = index
                let keyLine = line
                let key = try string()
                guard keys.insert(key).inserted else { throw error("the key \"\(key)\" appears twice", at: keyStart) }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw error("expected ':' after the key \"\(key)\"")
                }
                index += 1
                skipWhitespace()
                members.append(SourceMember(key: key, keyLine: keyLine, value: try value(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw error("the text ends inside an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return members
                }
                throw error("expected ',' or '}' after the value of \"\(key)\"")
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> [SourceValue] {
            index += 1
            var items: [SourceValue] = []
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                index += 1
                return items
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("the text ends inside a list") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return items
                }
                throw error("expected ',' or ']' after a list item")
            }
        }

        mutating func number() throws(SyntaxError) -> String {
            let start = index
            func digits() -> Int {
                let first = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - first
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            let integerDigits = digits()
            guard integerDigits > 0 else { throw error("expected digits after '-'") }
            if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") {
                throw error("a number cannot start with 0", at: integerStart)
            }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw error("expected digits after the decimal point") }
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                    index += 1
                }
                guard digits() > 0 else { throw error("expected digits in the exponent") }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        /// A string; a raw line break in it is an error, so the line does not change.
        mutating func string() throws(SyntaxError) -> String {
            index += 1
            do {
                return try JSONString.decode(bytes, from: &index)
            } catch {
                throw self.error(error.problem, at: error.offset)
            }
        }
    }

    // MARK: Writing

    /// Indented by two spaces a level, `"key": value`, empty objects and lists as `{}` and `[]`; no
    /// newline at the end.
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        writePretty(value, indent: "", into: &out)
        return out
    }

    /// On one line, without spaces.
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        writeCompact(value, into: &out)
        return out
    }

    private static func writePretty(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .array(let items) where !items.isEmpty:
            let inner = indent + "  "
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                writePretty(item, indent: inner, into: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            let inner = indent + "  "
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += inner
                writeString(member.key, into: &out)
                out += ": "
                writePretty(member.value, indent: inner, into: &out)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            writeCompact(value, into: &out)
        }
    }

    private static func writeCompact(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                writeCompact(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                writeString(member.key, into: &out)
                out += ":"
                writeCompact(member.value, into: &out)
            }
            out += "}"
        }
    }

    /// A JSON string (``JSONString/write(_:into:)``).
    public static func writeString(_ text: String, into out: inout String) {
        JSONString.write(text, into: &out)
    }
}
