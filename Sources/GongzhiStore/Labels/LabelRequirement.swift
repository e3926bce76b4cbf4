/// One condition on an object's labels; a list selects the objects that meet all of its requirements.
///
/// The meanings are Kubernetes': `notEquals` and `notIn` also match objects that lack the key.
public enum LabelRequirement: Sendable, Hashable, CustomStringConvertible {
    /// The key is present with this value (`key=value`).
    case equals(String, String)
    /// The key is absent, or present with another value (`key!=value`).
    case notEquals(String, String)
    /// The key is present, with any value (`key`).
    case exists(String)
    /// The key is absent (`!key`).
    case notExists(String)
    /// The key is present with one of these values (`key in (a,b)`).
    case `in`(String, [String])
    /// The key is absent, or present with none of these values (`key notin (a,b)`).
    case notIn(String, [String])

    /// The label key that the requirement is about.
    public var key: String {
        switch self {
        case .equals(let key, _), .notEquals(let key, _), .exists(let key), .notExists(let key), .in(let key, _),
            .notIn(let key, _):
            key
        }
    }

    /// Whether an object with these labels meets the requirement (the same test the storage runs in its query).
    public func matches(_ labels: [String: String]) -> Bool {
        switch self {
        case .equals(let key, let value): labels[key] == value
        case .notEquals(let key, let value): labels[key] != value
        case .exists(let key): labels[key] != nil
        case .notExists(let key): labels[key] == nil
        case .in(let key, let values): labels[key].map(values.contains) ?? false
        case .notIn(let key, let values): labels[key].map { !values.contains($0) } ?? true
        }
    }

    /// The requirement in selector syntax, which ``parseSelector(_:)`` reads back.
    public var description: String {
        switch self {
        case .equals(let key, let value): "\(key)=\(value)"
        case .notEquals(let key, let value): "\(key)!=\(value)"
        case .exists(let key): key
        case .notExists(let key): "!\(key)"
        case .in(let key, let values): "\(key) in (\(values.joined(separator: ",")))"
        case .notIn(let key, let values): "\(key) notin (\(values.joined(separator: ",")))"
        }
    }

    /// Reads a Kubernetes-style label selector such as `zone=east,tier!=gold,audited,!archived,level in (1,2)`.
    ///
    /// Requirements are separated by commas; `=` and `==` mean the same; `in` and `notin` take a parenthesized,
    /// comma-separated list of values. The empty selector (or one of spaces only) selects everything.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/invalidArgument`` and a message naming the column at
    ///   fault.
    public static func parseSelector(_ selector: String) throws(StoreError) -> [LabelRequirement] {
        var parser = LabelSelectorParser(selector)
        return try parser.parse()
    }

    /// Throws ``StoreError/Code/invalidArgument`` when a key or value breaks the label syntax.
    func validate() throws(StoreError) {
        let context = "label selector requirement \"\(self)\""
        try LabelSyntax.validateKey(key, context: context)
        switch self {
        case .equals(_, let value), .notEquals(_, let value):
            try LabelSyntax.validateValue(value, key: key, context: context)
        case .in(_, let values), .notIn(_, let values):
            if values.isEmpty {
                throw .invalidArgument("\(context): give at least one value between the parentheses")
            }
            for value in values {
                try LabelSyntax.validateValue(value, key: key, context: context)
            }
        case .exists, .notExists:
            break
        }
    }
}
