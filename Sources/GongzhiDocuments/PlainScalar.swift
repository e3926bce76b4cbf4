/// YAML's plain (unquoted) scalars, which mean a null, a boolean, a number or a string depending on their text
/// and, in a document with a schema, on where they stand.
public enum PlainScalar {
    /// `null`, `Null`, `NULL`, `~` and nothing.
    public static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// The booleans of YAML 1.1 (which Yams and many other readers follow): true/false, yes/no, on/off.
    public static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N": return false
        default: return nil
        }
    }

    /// True when the text is a JSON number (YAML's `1_000` and `0x1F` are not).
    public static func isNumber(_ text: String) -> Bool {
        guard let value = try? JSONText.value(text), case .number = value.content else { return false }
        return true
    }

    /// What a plain scalar is where no schema says: null, a boolean, a number, or else a string.
    public static func json(_ text: String) -> JSONValue {
        if isNull(text) { return .null }
        if let flag = bool(text) { return .bool(flag) }
        if isNumber(text) { return .number(text) }
        return .string(text)
    }
}
