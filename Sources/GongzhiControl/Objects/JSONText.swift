/// Reading and writing JSON: a reader that keeps the line of every value (so that a problem in one of
/// 30,000 documents can be named by its line) and objects' key order, and a writer for documents.
enum JSONText {
    /// Where JSON text stops being JSON, and why.
    struct SyntaxError: Error, Equatable, Sendable {
        /// 1-based.
        var line: Int
        /// 1-based, in characters.
        var column: Int
        var problem: String
    }

    /// Every top-level value in `bytes`, in order: one for a JSON file, one a line for JSON lines (any
    /// white space may separate them).
    static func values(in bytes: [UInt8]) throws(SyntaxError) -> [SourceValue] {
        var reader = Reader(bytes: bytes)
        var values: [SourceValue] = []
        reader.skipWhitespace()
        while !reader.atEnd {
            values.append(try reader.value(depth: 0))
            reader.skipWhitespace()
        }
        return values
    }

    /// One value, which must be all of `text`.
    static func value(_ text: String) throws(SyntaxError) -> SourceValue {
        var reader = Reader(bytes: Array(text.utf8))
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.atEnd else { throw reader.error("unexpected text after the value") }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0

        /// Deeper than this is not a document a person wrote (and would exhaust the stack).
        static let maximumDepth = 200

        init(bytes: [UInt8]) {
            self.bytes = bytes
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
            guard depth < Self.maximumDepth else { throw error("values are nested too deeply") }
            let startLine = line
            switch bytes[index] {
            case UInt8(ascii: "{"): return SourceValue(.object(try object(depth: depth)), line: startLine)
            case UInt8(ascii: "["): return SourceValue(.array(try array(depth: depth)), line: startLine)
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

        mutating func literal(_ word: String) throws(SyntaxError) {
            let utf8 = Array(word.utf8)
            guard bytes.count - index >= utf8.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
                throw error("expected a value (an object, list, string, number, true, false or null)")
            }
            index += utf8.count
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
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var start = index
            var scalars: [UInt8] = []
            while true {
                guard index < bytes.count else { throw error("the text ends inside a string") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    scalars += bytes[start..<index]
                    index += 1
                    break
                }
                if byte < 0x20 {
                    throw error(
                        byte == UInt8(ascii: "\n")
                            ? "a string runs past the end of the line (a missing '\"'?)"
                            : "a control character in a string must be escaped"
                    )
                }
                if byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                scalars += bytes[start..<index]
                index += 1
                guard index < bytes.count else { throw error("the text ends inside a string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): scalars.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): scalars.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hexQuad()
                    if (0xD800...0xDBFF).contains(code) {
                        guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw error("a \\u escape of a high surrogate must be followed by a low one") }
                        index += 2
                        let low = try hexQuad()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw error("a \\u escape of a high surrogate must be followed by a low one")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw error("a \\u escape of a low surrogate must follow a high one")
                    }
                    // Surrogates are handled above, so every code left is a scalar.
                    scalars += Array(String(Character(Unicode.Scalar(code)!)).utf8)
                default:
                    throw error("unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string", at: index - 2)
                }
                start = index
            }
            guard let text = String(validating: scalars, as: UTF8.self) else {
                throw error("a string is not valid UTF-8")
            }
            return text
        }

        mutating func hexQuad() throws(SyntaxError) -> UInt32 {
            guard bytes.count - index >= 4 else { throw error("expected four hex digits after \\u") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw error("expected four hex digits after \\u")
                }
                code = code << 4 | digit
                index += 1
            }
            return code
        }
    }

    // MARK: Writing

    /// Indented by two spaces a level, `"key": value`, empty objects and lists as `{}` and `[]`; no
    /// newline at the end.
    static func pretty(_ value: JSONValue) -> String {
        var out = ""
        writePretty(value, indent: "", into: &out)
        return out
    }

    /// On one line, without spaces.
    static func compact(_ value: JSONValue) -> String {
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

    /// A JSON string: quotes, backslashes and control characters escaped, everything else as it is.
    static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if YAMLText.needsEscape(scalar) {
                    out += "\\u" + hex4(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
