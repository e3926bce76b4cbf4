/// A JSON or YAML value as it was read, with the line it starts on, so that a problem in a document can
/// be named by where it stands.
public struct SourceValue: Sendable {
    public enum Content: Sendable {
        case null
        case bool(Bool)
        /// A JSON number, as written (so that no digit of a 64-bit integer is lost).
        case number(String)
        /// A JSON string or a quoted YAML scalar.
        case string(String)
        /// A plain (unquoted) YAML scalar: a string, a number, a boolean or null depending on where it stands
        /// (``PlainScalar``).
        case plain(String)
        case array([SourceValue])
        /// Members in the order written; a key appears once (the JSON reader refuses a repeated one).
        case object([SourceMember])
    }

    public var content: Content
    /// 1-based.
    public var line: Int

    public init(_ content: Content, line: Int) {
        self.content = content
        self.line = line
    }

    /// What a person would call this value's type, for messages: `a string`, `a number`, `an object`, `a list`…
    public var typeDescription: String {
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

    /// The type in JSON's own words, for messages about JSON that programs read (GeoJSON, configuration files):
    /// `an array` where ``typeDescription`` says `a list`.
    public var jsonTypeDescription: String { array != nil ? "an array" : typeDescription }

    /// The text of a string, or of a YAML plain scalar (in YAML, `id: 1101` is the string "1101" where a
    /// string is expected).
    public var text: String? {
        switch content {
        case .string(let text), .plain(let text): return text
        default: return nil
        }
    }

    /// True for JSON null and for the YAML plain scalars that mean null (`null`, `~`, nothing).
    public var isNull: Bool {
        switch content {
        case .null: return true
        case .plain(let text): return PlainScalar.isNull(text)
        default: return false
        }
    }

    /// The value without its positions; YAML plain scalars become what YAML makes of them.
    public var json: JSONValue {
        switch content {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let text): return .number(text)
        case .string(let text): return .string(text)
        case .plain(let text): return PlainScalar.json(text)
        case .array(let items): return .array(items.map(\.json))
        case .object(let members): return .object(members.map { ($0.key, $0.value.json) })
        }
    }

    // MARK: Reading a JSON document

    /// The member named `key` of an object, or nil.
    public subscript(key: String) -> SourceValue? {
        guard case .object(let members) = content else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The items of a list, or nil.
    public var array: [SourceValue]? {
        if case .array(let items) = content { return items }
        return nil
    }

    /// The text of a JSON string, or nil.
    public var string: String? {
        if case .string(let text) = content { return text }
        return nil
    }

    /// A JSON number as a `Double`, or nil.
    public var number: Double? {
        if case .number(let text) = content { return Double(text) }
        return nil
    }

    /// True for an object.
    public var isObject: Bool {
        if case .object = content { return true }
        return false
    }
}

/// One key and value of an object, with the line of the key.
public struct SourceMember: Sendable {
    public var key: String
    /// 1-based.
    public var keyLine: Int
    public var value: SourceValue

    public init(key: String, keyLine: Int, value: SourceValue) {
        self.key = key
        self.keyLine = keyLine
        self.value = value
    }
}
