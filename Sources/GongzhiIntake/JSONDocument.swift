/// A JSON value with the line and column where it starts, so that whatever reads it can say where a field is
/// wrong. Objects keep their members in the order written.
public struct JSONNode: Equatable, Sendable {
    /// What a JSON value holds.
    public indirect enum Value: Equatable, Sendable {
        case null
        case bool(Bool)
        /// The number, and its text as written (to tell `12` from `12.0` when an integer is required).
        case number(Double, text: String)
        case string(String)
        case array([JSONNode])
        case object([Member])
    }

    /// One member of an object, with the position of its key.
    public struct Member: Equatable, Sendable {
        public var key: String
        public var keyLine: Int
        public var keyColumn: Int
        public var node: JSONNode
    }

    public var value: Value
    /// 1-based line of the value's first character.
    public var line: Int
    /// 1-based column (in Unicode scalars) of the value's first character.
    public var column: Int

    /// The member named `key` of an object; nil for a missing member or when this is not an object.
    public subscript(key: String) -> JSONNode? {
        guard case .object(let members) = value else { return nil }
        return members.first { $0.key == key }?.node
    }

    /// The JSON type's name as a person reads it in an error: "a string", "a number", ….
    public var typeName: String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// An error placed at this value.
    public func error(_ code: String, _ message: String) -> InputError {
        InputError(code: code, message: message, line: line, column: column)
    }
}

/// A strict JSON parser (RFC 8259) that records where each value starts and reports the line and column of a
/// syntax error (code `json.syntax`), a duplicate key (`json.duplicate_key`) or nesting deeper than a limit.
public struct JSONDocument {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 64

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line: Int
    private var column = 1

    private init(_ text: Substring, firstLine: Int) {
        self.scalars = Array(text.unicodeScalars)
        self.line = firstLine
    }

    /// Parses one JSON text. `firstLine` numbers its first line (a JSON lines file's line).
    public static func parse(_ text: Substring, firstLine: Int = 1) throws(InputError) -> JSONNode {
        var parser = JSONDocument(text, firstLine: firstLine)
        parser.skipWhitespace()
        let node = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index < parser.scalars.count {
            throw parser.syntax("unexpected \(parser.describeCurrent()) after the end of the JSON value")
        }
        return node
    }

    /// Parses one JSON text.
    public static func parse(_ text: String, firstLine: Int = 1) throws(InputError) -> JSONNode {
        try parse(text[...], firstLine: firstLine)
    }

    private func syntax(_ message: String) -> InputError {
        InputError(code: "json.syntax", message: message, line: line, column: column)
    }

    private func describeCurrent() -> String {
        guard index < scalars.count else { return "end of input" }
        let scalar = scalars[index]
        if scalar.value < 0x20 { return "control character U+\(String(scalar.value, radix: 16, uppercase: true))" }
        return "'\(Character(scalar))'"
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func skipWhitespace() {
        while index < scalars.count {
            switch scalars[index] {
            case " ", "\t", "\n", "\r": advance()
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(InputError) -> JSONNode {
        guard index < scalars.count else { throw syntax("expected a value, found the end of input") }
        let (startLine, startColumn) = (line, column)
        let value: JSONNode.Value
        switch scalars[index] {
        case "{":
            value = try parseObject(depth: depth + 1)
        case "[":
            value = try parseArray(depth: depth + 1)
        case "\"":
            value = .string(try parseString())
        case "t":
            try expectWord("true")
            value = .bool(true)
        case "f":
            try expectWord("false")
            value = .bool(false)
        case "n":
            try expectWord("null")
            value = .null
        case "-", "0"..."9":
            value = try parseNumber()
        default:
            throw syntax("expected a value, found \(describeCurrent())")
        }
        return JSONNode(value: value, line: startLine, column: startColumn)
    }

    private mutating func expectWord(_ word: String) throws(InputError) {
        for expected in word.unicodeScalars {
            guard index < scalars.count, scalars[index] == expected else {
                throw syntax("expected \(word), found \(describeCurrent())")
            }
            advance()
        }
    }

    private mutating func parseObject(depth: Int) throws(InputError) -> JSONNode.Value {
        if depth > Self.maximumDepth { throw syntax("nested deeper than \(Self.maximumDepth) levels") }
        advance()
        var members: [JSONNode.Member] = []
        skipWhitespace()
        if index < scalars.count, scalars[index] == "}" {
            advance()
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < scalars.count, scalars[index] == "\"" else {
                throw syntax("expected a member name in double quotes, found \(describeCurrent())")
            }
            let (keyLine, keyColumn) = (line, column)
            let key = try parseString()
            if members.contains(where: { $0.key == key }) {
                throw InputError(
                    code: "json.duplicate_key",
                    message: "the member \"\(key)\" appears twice",
                    line: keyLine,
                    column: keyColumn
                )
            }
            skipWhitespace()
            guard index < scalars.count, scalars[index] == ":" else {
                throw syntax("expected ':' after the member name, found \(describeCurrent())")
            }
            advance()
            skipWhitespace()
            let node = try parseValue(depth: depth)
            members.append(JSONNode.Member(key: key, keyLine: keyLine, keyColumn: keyColumn, node: node))
            skipWhitespace()
            guard index < scalars.count else { throw syntax("expected ',' or '}', found the end of input") }
            switch scalars[index] {
            case ",": advance()
            case "}":
                advance()
                return .object(members)
            default: throw syntax("expected ',' or '}', found \(describeCurrent())")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(InputError) -> JSONNode.Value {
        if depth > Self.maximumDepth { throw syntax("nested deeper than \(Self.maximumDepth) levels") }
        advance()
        var elements: [JSONNode] = []
        skipWhitespace()
        if index < scalars.count, scalars[index] == "]" {
            advance()
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < scalars.count else { throw syntax("expected ',' or ']', found the end of input") }
            switch scalars[index] {
            case ",": advance()
            case "]":
                advance()
                return .array(elements)
            default: throw syntax("expected ',' or ']', found \(describeCurrent())")
            }
        }
    }

    private mutating func parseString() throws(InputError) -> String {
        advance()
        var result = String.UnicodeScalarView()
        while true {
            guard index < scalars.count else { throw syntax("a string is not closed before the end of input") }
            let scalar = scalars[index]
            switch scalar {
            case "\"":
                advance()
                return String(result)
            case "\\":
                advance()
                guard index < scalars.count else { throw syntax("an escape is cut off by the end of input") }
                let escaped = scalars[index]
                switch escaped {
                case "\"", "\\", "/": result.append(escaped)
                case "b": result.append("\u{8}")
                case "f": result.append("\u{C}")
                case "n": result.append("\n")
                case "r": result.append("\r")
                case "t": result.append("\t")
                case "u":
                    advance()
                    let unit = try parseHex4()
                    if (0xD800...0xDBFF).contains(unit) {
                        guard index + 1 < scalars.count, scalars[index] == "\\", scalars[index + 1] == "u" else {
                            throw syntax("a high surrogate \\u\(String(unit, radix: 16)) is not followed by a low one")
                        }
                        advance()
                        advance()
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw syntax("a high surrogate is followed by \\u\(String(low, radix: 16)), not a low one")
                        }
                        let combined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        result.append(Unicode.Scalar(combined)!)
                    } else if let single = Unicode.Scalar(unit) {
                        result.append(single)
                    } else {
                        throw syntax("a lone low surrogate \\u\(String(unit, radix: 16))")
                    }
                    continue
                default:
                    throw syntax("unknown escape \\\(Character(escaped))")
                }
                advance()
            default:
                if scalar.value < 0x20 {
                    throw syntax("\(describeCurrent()) inside a string must be escaped")
                }
                result.append(scalar)
                advance()
            }
        }
    }

    private mutating func parseHex4() throws(InputError) -> UInt32 {
        var unit: UInt32 = 0
        for _ in 0..<4 {
            guard index < scalars.count, let digit = Self.hexDigit(scalars[index]) else {
                throw syntax("expected 4 hexadecimal digits after \\u, found \(describeCurrent())")
            }
            unit = unit * 16 + digit
            advance()
        }
        return unit
    }

    static func hexDigit(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": return scalar.value - 48
        case "a"..."f": return scalar.value - 87
        case "A"..."F": return scalar.value - 55
        default: return nil
        }
    }

    private mutating func parseNumber() throws(InputError) -> JSONNode.Value {
        let start = index
        if scalars[index] == "-" { advance() }
        guard index < scalars.count, ("0"..."9").contains(scalars[index]) else {
            throw syntax("expected a digit, found \(describeCurrent())")
        }
        if scalars[index] == "0" {
            advance()
            if index < scalars.count, ("0"..."9").contains(scalars[index]) {
                throw syntax("a number must not start with 0")
            }
        } else {
            skipDigits()
        }
        if index < scalars.count, scalars[index] == "." {
            advance()
            guard index < scalars.count, ("0"..."9").contains(scalars[index]) else {
                throw syntax("expected a digit after the decimal point, found \(describeCurrent())")
            }
            skipDigits()
        }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            advance()
            if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" { advance() }
            guard index < scalars.count, ("0"..."9").contains(scalars[index]) else {
                throw syntax("expected a digit in the exponent, found \(describeCurrent())")
            }
            skipDigits()
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[start..<index])
        let string = String(text)
        guard let number = Double(string), number.isFinite else { throw syntax("the number \(string) is out of range") }
        return .number(number, text: string)
    }

    private mutating func skipDigits() {
        while index < scalars.count, ("0"..."9").contains(scalars[index]) { advance() }
    }
}
