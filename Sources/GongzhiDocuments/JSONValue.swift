/// A JSON value to print, objects keeping the order of their keys.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// A number as it is to be written (e.g. `42`, `116.39`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// A whole number, as JSON writes it: for counts and 32-bit integers.
    public static func integer(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// A 64-bit integer as protobuf's JSON mapping writes it, a string (`"4812"`): a JSON number loses digits
    /// above 2^53 in JavaScript and in many JSON readers, so every `-o json` of gongzhictl writes them so.
    public static func int64(_ value: Int64) -> JSONValue { .string(String(value)) }

    /// The member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}
