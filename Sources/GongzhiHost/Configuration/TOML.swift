/// A value read from a TOML document, with the line it was written on (for error messages).
package struct TOMLValue: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table([String: TOMLValue])
    }

    package var kind: Kind
    package var line: Int

    package var typeName: String {
        switch kind {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A syntax error in a TOML document.
package struct TOMLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    package var line: Int
    package var message: String
    package var description: String { "line \(line): \(message)" }
}

/// Reads the part of TOML (v1.0) that configuration files and manifests use: comments, bare, quoted
/// and dotted keys, `[table]` headers, basic and literal strings, integers, floats, booleans, arrays
/// (across lines) and inline tables. Multi-line strings, dates and arrays of tables are refused with a
/// message saying so, never misread.
package struct TOMLDocument: Sendable {
    package private(set) var root: [String: TOMLValue] = [:]

    package init(parsing text: String) throws(TOMLSyntaxError) {
        var parser = Parser(bytes: Array(text.utf8))
        root = try parser.document()
    }
}

private struct Parser {
    let bytes: [UInt8]
    var index = 0
    var line = 1

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func fail(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line, message: message)
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func advance() {
        if current == UInt8(ascii: "\n") { line += 1 }
        index += 1
    }

    mutating func skipSpaces() {
        while let byte = current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    /// Skips spaces, newlines and comments (inside arrays).
    mutating func skipBlank() {
        while let byte = current {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                advance()
            } else if byte == UInt8(ascii: "#") {
                skipComment()
            } else {
                return
            }
        }
    }

    mutating func skipComment() {
        while let byte = current, byte != UInt8(ascii: "\n") { advance() }
    }

    /// After a value or header: only spaces and a comment may follow on the line.
    mutating func endOfLine() throws(TOMLSyntaxError) {
        skipSpaces()
        if current == UInt8(ascii: "#") { skipComment() }
        if current == UInt8(ascii: "\r") { advance() }
        guard let byte = current else { return }
        guard byte == UInt8(ascii: "\n") else {
            throw fail("unexpected \(describe(byte)) after the value; put one key = value per line")
        }
        advance()
    }

    mutating func document() throws(TOMLSyntaxError) -> [String: TOMLValue] {
        var root: [String: TOMLValue] = [:]
        var tablePath: [String] = []
        var definedTables: Set<[String]> = []
        while true {
            skipBlank()
            guard let byte = current else { break }
            if byte == UInt8(ascii: "[") {
                advance()
                if current == UInt8(ascii: "[") {
                    throw fail("arrays of tables ([[...]]) are not supported here; use [table.name] headers")
                }
                let tableLine = line
                skipSpaces()
                let path = try keyPath()
                skipSpaces()
                guard current == UInt8(ascii: "]") else { throw fail("expected ] to close the table header") }
                advance()
                try endOfLine()
                guard definedTables.insert(path).inserted else {
                    throw TOMLSyntaxError(
                        line: tableLine,
                        message: "table [\(path.joined(separator: "."))] is defined twice"
                    )
                }
                try ensureTable(&root, path: path, line: tableLine)
                tablePath = path
                continue
            }
            let headerLine = line
            let path = try keyPath()
            skipSpaces()
            guard current == UInt8(ascii: "=") else {
                throw fail("expected = after the key \(path.joined(separator: "."))")
            }
            advance()
            skipSpaces()
            let value = try self.value()
            try endOfLine()
            try insert(&root, path: tablePath + path, value: value, line: headerLine)
        }
        return root
    }

    func ensureTable(_ table: inout [String: TOMLValue], path: [String], line: Int) throws(TOMLSyntaxError) {
        guard let first = path.first else { return }
        var child: [String: TOMLValue] = [:]
        if let existing = table[first] {
            guard case .table(let found) = existing.kind else {
                throw TOMLSyntaxError(line: line, message: "\(first) is already \(existing.typeName), not a table")
            }
            child = found
        }
        try ensureTable(&child, path: Array(path.dropFirst()), line: line)
        table[first] = TOMLValue(kind: .table(child), line: table[first]?.line ?? line)
    }

    func insert(
        _ table: inout [String: TOMLValue],
        path: [String],
        value: TOMLValue,
        line: Int
    ) throws(TOMLSyntaxError) {
        let key = path[0]
        if path.count == 1 {
            guard table[key] == nil else {
                throw TOMLSyntaxError(line: line, message: "the key \(key) is set twice")
            }
            table[key] = value
            return
        }
        var child: [String: TOMLValue] = [:]
        if let existing = table[key] {
            guard case .table(let found) = existing.kind else {
                throw TOMLSyntaxError(line: line, message: "\(key) is already \(existing.typeName), not a table")
            }
            child = found
        }
        try insert(&child, path: Array(path.dropFirst()), value: value, line: line)
        table[key] = TOMLValue(kind: .table(child), line: table[key]?.line ?? line)
    }

    mutating func keyPath() throws(TOMLSyntaxError) -> [String] {
        var path = [try key()]
        while true {
            skipSpaces()
            guard current == UInt8(ascii: ".") else { return path }
            advance()
            skipSpaces()
            path.append(try key())
        }
    }

    mutating func key() throws(TOMLSyntaxError) -> String {
        guard let byte = current else { throw fail("expected a key, found the end of the file") }
        if byte == UInt8(ascii: "\"") { return try basicString() }
        if byte == UInt8(ascii: "'") { return try literalString() }
        var name: [UInt8] = []
        while let byte = current, isBareKey(byte) {
            name.append(byte)
            advance()
        }
        guard !name.isEmpty else { throw fail("expected a key, found \(describe(byte))") }
        return String(decoding: name, as: UTF8.self)
    }

    func isBareKey(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-")
    }

    func describe(_ byte: UInt8) -> String {
        if byte == UInt8(ascii: "\n") { return "the end of the line" }
        if byte >= 0x20 && byte < 0x7f { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    mutating func value() throws(TOMLSyntaxError) -> TOMLValue {
        let startLine = line
        guard let byte = current else { throw fail("expected a value, found the end of the file") }
        switch byte {
        case UInt8(ascii: "\""):
            return TOMLValue(kind: .string(try basicString()), line: startLine)
        case UInt8(ascii: "'"):
            return TOMLValue(kind: .string(try literalString()), line: startLine)
        case UInt8(ascii: "["):
            advance()
            var items: [TOMLValue] = []
            while true {
                skipBlank()
                if current == UInt8(ascii: "]") {
                    advance()
                    break
                }
                items.append(try value())
                skipBlank()
                if current == UInt8(ascii: ",") {
                    advance()
                } else if current == UInt8(ascii: "]") {
                    advance()
                    break
                } else {
                    throw fail("expected , or ] in the array that starts on line \(startLine)")
                }
            }
            return TOMLValue(kind: .array(items), line: startLine)
        case UInt8(ascii: "{"):
            advance()
            var table: [String: TOMLValue] = [:]
            skipSpaces()
            if current == UInt8(ascii: "}") {
                advance()
                return TOMLValue(kind: .table(table), line: startLine)
            }
            while true {
                skipSpaces()
                let path = try keyPath()
                skipSpaces()
                guard current == UInt8(ascii: "=") else { throw fail("expected = in the inline table") }
                advance()
                skipSpaces()
                let item = try value()
                try insert(&table, path: path, value: item, line: line)
                skipSpaces()
                if current == UInt8(ascii: ",") {
                    advance()
                } else if current == UInt8(ascii: "}") {
                    advance()
                    break
                } else {
                    throw fail("expected , or } in the inline table (inline tables stay on one line)")
                }
            }
            return TOMLValue(kind: .table(table), line: startLine)
        default:
            var word: [UInt8] = []
            while let next = current,
                isBareKey(next) || next == UInt8(ascii: "+") || next == UInt8(ascii: ".") || next == UInt8(ascii: ":")
            {
                word.append(next)
                advance()
            }
            let text = String(decoding: word, as: UTF8.self)
            if text == "true" { return TOMLValue(kind: .boolean(true), line: startLine) }
            if text == "false" { return TOMLValue(kind: .boolean(false), line: startLine) }
            let digits = String(text.filter { $0 != "_" })
            if let integer = Int64(digits) { return TOMLValue(kind: .integer(integer), line: startLine) }
            if digits.contains("."), let number = Double(digits) {
                return TOMLValue(kind: .float(number), line: startLine)
            }
            if text.isEmpty { throw fail("expected a value, found \(describe(byte))") }
            throw fail("\(text) is not a value; strings need quotes, e.g. \"\(text)\"")
        }
    }

    mutating func basicString() throws(TOMLSyntaxError) -> String {
        advance()
        if current == UInt8(ascii: "\""), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
            throw fail("multi-line strings (\"\"\") are not supported here")
        }
        var out: [UInt8] = []
        while true {
            guard let byte = current, byte != UInt8(ascii: "\n") else { throw fail("unterminated string") }
            advance()
            if byte == UInt8(ascii: "\"") { break }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                continue
            }
            guard let escape = current else { throw fail("unterminated string") }
            advance()
            switch escape {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = escape == UInt8(ascii: "u") ? 4 : 8
                var hex: [UInt8] = []
                for _ in 0..<count {
                    guard let digit = current else { throw fail("unterminated string") }
                    hex.append(digit)
                    advance()
                }
                guard let code = UInt32(String(decoding: hex, as: UTF8.self), radix: 16),
                    let scalar = Unicode.Scalar(code)
                else { throw fail("\\\(Character(Unicode.Scalar(escape))) escape is not a valid code point") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw fail("unknown escape \\\(Character(Unicode.Scalar(escape))) in a string")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func literalString() throws(TOMLSyntaxError) -> String {
        advance()
        if current == UInt8(ascii: "'"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
            throw fail("multi-line strings (''') are not supported here")
        }
        var out: [UInt8] = []
        while true {
            guard let byte = current, byte != UInt8(ascii: "\n") else { throw fail("unterminated string") }
            advance()
            if byte == UInt8(ascii: "'") { break }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
