/// A JSON or YAML value as it was read, with the line it starts on, so that a problem in a document can
/// be named by where it stands.
struct SourceValue: Sendable {
    enum Content: Sendable {
        case null
        case bool(Bool)
        /// A JSON number, as written.
        case number(String)
        /// A JSON string or a quoted YAML scalar.
        case string(String)
        /// A plain (unquoted) YAML scalar: a string, a number, a boolean or null depending on where it stands.
        case plain(String)
        case array([SourceValue])
        case object([SourceMember])
    }

    var content: Content
    /// 1-based.
    var line: Int

    init(_ content: Content, line: Int) {
        self.content = content
        self.line = line
    }

    /// What a person would call this value's type, for messages: `a string`, `a number`, `an object` …
    var typeDescription: String {
        switch content {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .plain(let text): return "`\(text)`"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The text of a string, or of a YAML plain scalar (in YAML, `id: 1101` is the string "1101" where a
    /// string is expected).
    var text: String? {
        switch content {
        case .string(let text), .plain(let text): return text
        default: return nil
        }
    }

    /// True for JSON null and for the YAML plain scalars that mean null (`null`, `~`, nothing).
    var isNull: Bool {
        switch content {
        case .null: return true
        case .plain(let text): return YAMLText.isNull(text)
        default: return false
        }
    }

    /// The value without its positions; YAML plain scalars become what YAML makes of them.
    var json: JSONValue {
        switch content {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let text): return .number(text)
        case .string(let text): return .string(text)
        case .plain(let text): return YAMLText.plainScalar(text)
        case .array(let items): return .array(items.map(\.json))
        case .object(let members): return .object(members.map { ($0.key, $0.value.json) })
        }
    }
}

/// One key and value of an object, with the line of the key.
struct SourceMember: Sendable {
    var key: String
    var keyLine: Int
    var value: SourceValue
}

/// A JSON value to print, objects keeping the order of their keys.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// A number as it is to be written (e.g. `42`, `116.39`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    static func integer(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// The member `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}
