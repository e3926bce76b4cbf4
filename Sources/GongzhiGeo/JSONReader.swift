/// A JSON value with the place it starts in its file, so that errors about the value can name its line.
public struct JSONValue: Sendable {
    /// The value itself.
    public enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONValue])
        /// Members in the order written; a repeated key keeps every occurrence (lookups answer the last).
        case object([(key: String, value: JSONValue)])
    }

    public var kind: Kind
    /// The line (from 1) where the value starts.
    public var line: Int
    /// The offset of the value's first byte in the file.
    public var byteOffset: Int

    public init(kind: Kind, line: Int, byteOffset: Int) {
        self.kind = kind
        self.line = line
        self.byteOffset = byteOffset
    }

    /// The member named `key` of an object (the last one, if repeated), or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The elements of an array, or nil.
    public var array: [JSONValue]? {
        if case .array(let elements) = kind { return elements }
        return nil
    }

    /// The string, or nil.
    public var string: String? {
        if case .string(let text) = kind { return text }
        return nil
    }

    /// The number, or nil.
    public var number: Double? {
        if case .number(let value) = kind { return value }
        return nil
    }

    /// True for an object.
    public var isObject: Bool {
        if case .object = kind { return true }
        return false
    }

    /// What the value is, for messages: "an object", "an array", "a string", "a number", "a boolean" or "null".
    public var kindDescription: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A place where a JSON text is malformed, and what is wrong there.
public struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The line, from 1.
    public var line: Int
    /// The column, from 1, counted in Unicode scalars.
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(line):\(column): \(message)" }
}

/// Reads JSON text (RFC 8259, UTF-8) into ``JSONValue``s that remember their lines.
public enum JSONReader {
    /// Parses `bytes`, one JSON value with optional surrounding white space (and an optional byte-order mark).
    /// Numbers become Doubles; nesting deeper than `maximumDepth` is refused rather than risking the stack.
    public static func parse(_ bytes: [UInt8], maximumDepth: Int = 512) throws(JSONSyntaxError) -> JSONValue {
        var parser = Parser(bytes: bytes, maximumDepth: maximumDepth)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3 }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw parser.error("unexpected \(parser.describeCurrent()) after the JSON value")
        }
        return value
    }
}

private struct Parser {
    let bytes: [UInt8]
    let maximumDepth: Int
    var position = 0
    var line = 1
    var lineStart = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = offset ?? position
        // Columns count scalars: every byte but UTF-8 continuation bytes starts one.
        let column = bytes[lineStart..<min(offset, bytes.count)].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return JSONSyntaxError(line: line, column: column, message: message)
    }

    func describeCurrent() -> String {
        guard position < bytes.count else { return "end of file" }
        let byte = bytes[position]
        if byte >= 0x21 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "\n"):
                position += 1
                line += 1
                lineStart = position
            default:
                return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard position < bytes.count else { throw error("expected a value, found the end of the file") }
        let startLine = line
        let start = position
        let kind: JSONValue.Kind
        switch bytes[position] {
        case UInt8(ascii: "{"):
            guard depth < maximumDepth else { throw error("nesting deeper than \(maximumDepth) levels") }
            kind = .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["):
            guard depth < maximumDepth else { throw error("nesting deeper than \(maximumDepth) levels") }
            kind = .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""):
            kind = .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            kind = .number(try parseNumber())
        case UInt8(ascii: "t"):
            try expectWord("true")
            kind = .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false")
            kind = .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null")
            kind = .null
        default:
            throw error("expected a value, found \(describeCurrent())")
        }
        return JSONValue(kind: kind, line: startLine, byteOffset: start)
    }

    mutating func expectWord(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { expected in
            position + count <= bytes.count && bytes[position..<(position + count)].elementsEqual(expected)
        }
        guard matches else { throw error("expected a value, found \(describeCurrent())") }
        position += count
    }

    mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> [(key: String, value: JSONValue)] {
        position += 1
        var members = [(key: String, value: JSONValue)]()
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
            return members
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a member name in double quotes, found \(describeCurrent())")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after the member name \"\(key)\", found \(describeCurrent())")
            }
            position += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            guard position < bytes.count else { throw error("expected ',' or '}' in an object, found end of file") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return members
            }
            throw error("expected ',' or '}' after an object member, found \(describeCurrent())")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> [JSONValue] {
        position += 1
        var elements = [JSONValue]()
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw error("expected ',' or ']' in an array, found end of file") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return elements
            }
            throw error("expected ',' or ']' after an array element, found \(describeCurrent())")
        }
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        let opening = position
        position += 1
        var runStart = position
        var decoded = [UInt8]()
        while true {
            guard position < bytes.count else { throw error("unterminated string", at: opening) }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                decoded.append(contentsOf: bytes[runStart..<position])
                position += 1
                break
            }
            if byte < 0x20 { throw error("control character (byte 0x\(String(byte, radix: 16))) in a string") }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            decoded.append(contentsOf: bytes[runStart..<position])
            position += 1
            guard position < bytes.count else { throw error("unterminated string", at: opening) }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("unpaired UTF-16 surrogate in a \\u escape") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw error("unpaired UTF-16 surrogate in a \\u escape")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("unpaired UTF-16 surrogate in a \\u escape")
                }
                decoded.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))' in a string", at: position - 2)
            }
            runStart = position
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw error("invalid UTF-8 in a string", at: opening)
        }
        return text
    }

    mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count else { throw error("expected four hexadecimal digits after \\u") }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("expected four hexadecimal digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = position
        func isDigit(_ index: Int) -> Bool {
            index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard isDigit(position) else { throw error("invalid number: expected a digit", at: position) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if isDigit(position) { throw error("invalid number: leading zero", at: start) }
        } else {
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard isDigit(position) else { throw error("invalid number: expected a digit after '.'") }
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
            {
                position += 1
            }
            guard isDigit(position) else { throw error("invalid number: expected a digit in the exponent") }
            while isDigit(position) { position += 1 }
        }
        // The grammar above is a subset of what Double's parser accepts, so this cannot fail.
        return Double(String(decoding: bytes[start..<position], as: UTF8.self)) ?? .nan
    }
}
