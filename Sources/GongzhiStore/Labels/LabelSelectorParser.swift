/// Reads the Kubernetes selector syntax into ``LabelRequirement``s, with errors that name the column at fault.
///
///     selector    = [requirement *("," requirement)]
///     requirement = "!" key | key | key ("=" | "==" | "!=") value | key ("in" | "notin") "(" value *("," value) ")"
struct LabelSelectorParser {
    private let text: String
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    mutating func parse() throws(StoreError) -> [LabelRequirement] {
        var requirements: [LabelRequirement] = []
        skipSpaces()
        if atEnd {
            return requirements
        }
        while true {
            requirements.append(try requirement())
            skipSpaces()
            if atEnd {
                return requirements
            }
            guard bytes[index] == UInt8(ascii: ",") else {
                throw error("expected ',' before the next requirement, found \(found)")
            }
            index += 1
        }
    }

    private mutating func requirement() throws(StoreError) -> LabelRequirement {
        skipSpaces()
        if peek(UInt8(ascii: "!")) {
            index += 1
            skipSpaces()
            let key = try key()
            skipSpaces()
            if !atEnd && !peek(UInt8(ascii: ",")) {
                throw error("'!\(key)' selects objects without the key and takes no operator or value; found \(found)")
            }
            return .notExists(key)
        }
        let key = try key()
        skipSpaces()
        if atEnd || peek(UInt8(ascii: ",")) {
            return .exists(key)
        }
        if peek(UInt8(ascii: "=")) {
            index += 1
            if peek(UInt8(ascii: "=")) {
                index += 1
            }
            return .equals(key, try value(of: key))
        }
        if peek(UInt8(ascii: "!")) {
            index += 1
            guard peek(UInt8(ascii: "=")) else {
                throw error("expected '=' after '!' in \"\(key)!=…\", found \(found)")
            }
            index += 1
            return .notEquals(key, try value(of: key))
        }
        let operatorStart = index
        let word = self.word()
        switch word {
        case "in":
            return .in(key, try valueList(of: key, after: word))
        case "notin":
            return .notIn(key, try valueList(of: key, after: word))
        default:
            index = operatorStart
            throw error("expected an operator after \"\(key)\" (=, ==, !=, in, notin) or ',', found \(found)")
        }
    }

    private mutating func key() throws(StoreError) -> String {
        let start = index
        let key = word()
        if key.isEmpty {
            throw error("expected a label key, found \(found)")
        }
        if let problem = LabelSyntax.keyProblem(key) {
            index = start
            throw error("the key \"\(key)\" \(problem)")
        }
        return key
    }

    private mutating func value(of key: String) throws(StoreError) -> String {
        skipSpaces()
        let start = index
        let value = word()
        if let problem = LabelSyntax.valueProblem(value) {
            index = start
            throw error("the value \"\(value)\" of \"\(key)\" \(problem)")
        }
        return value
    }

    private mutating func valueList(of key: String, after operatorWord: String) throws(StoreError) -> [String] {
        skipSpaces()
        guard peek(UInt8(ascii: "(")) else {
            throw error("expected '(' after \"\(key) \(operatorWord)\", found \(found)")
        }
        index += 1
        skipSpaces()
        if peek(UInt8(ascii: ")")) {
            throw error("\"\(key) \(operatorWord) ()\" needs at least one value between the parentheses")
        }
        var values: [String] = []
        while true {
            values.append(try value(of: key))
            skipSpaces()
            if peek(UInt8(ascii: ")")) {
                index += 1
                return values
            }
            guard peek(UInt8(ascii: ",")) else {
                throw error("expected ',' or ')' in the values of \"\(key) \(operatorWord)\", found \(found)")
            }
            index += 1
        }
    }

    /// The longest run of bytes that are not spaces or selector punctuation.
    private mutating func word() -> String {
        let start = index
        while index < bytes.count && !Self.isDelimiter(bytes[index]) {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"):
            true
        default:
            isSpace(byte)
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    private var atEnd: Bool { index >= bytes.count }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private mutating func skipSpaces() {
        while index < bytes.count && Self.isSpace(bytes[index]) {
            index += 1
        }
    }

    /// What is at the current position, for messages.
    private var found: String {
        if atEnd {
            return "the end of the selector"
        }
        let rest = String(decoding: bytes[index...].prefix(12), as: UTF8.self)
        return "\"\(rest)\""
    }

    private func error(_ message: String) -> StoreError {
        .invalidArgument("label selector \"\(text)\", column \(index + 1): \(message)")
    }
}
