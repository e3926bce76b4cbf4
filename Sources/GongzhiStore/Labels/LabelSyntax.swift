/// Kubernetes' rules for label keys and values, which keep selectors unambiguous.
///
/// A key is a name with an optional DNS-subdomain prefix (`gongzhi.org/zone`); a name is 1 to 63 letters, digits,
/// `-`, `_` or `.`, beginning and ending with a letter or digit. A value is empty or a name.
enum LabelSyntax {
    static let maximumNameLength = 63
    static let maximumPrefixLength = 253

    static func validateKey(_ key: String, context: String) throws(StoreError) {
        if let problem = keyProblem(key) {
            throw .invalidArgument("\(context): the key \"\(key)\" \(problem)")
        }
    }

    static func validateValue(_ value: String, key: String, context: String) throws(StoreError) {
        if let problem = valueProblem(value) {
            throw .invalidArgument("\(context): the value \"\(value)\" of \"\(key)\" \(problem)")
        }
    }

    /// Why `key` is not a label key, or nil when it is one.
    static func keyProblem(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        if bytes.isEmpty {
            return "is empty"
        }
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else {
            return nameProblem(bytes[...])
        }
        let prefix = bytes[..<slash]
        let name = bytes[(slash + 1)...]
        if prefix.isEmpty {
            return "has an empty prefix before '/'"
        }
        if prefix.count > maximumPrefixLength {
            return "has a prefix longer than \(maximumPrefixLength) characters"
        }
        for byte in prefix where !isPrefixByte(byte) {
            return "has \(ObjectNames.describe(byte)) in its prefix; a prefix is a DNS subdomain such as gongzhi.org"
        }
        if !isAlphanumeric(prefix.first!) || !isAlphanumeric(prefix.last!) {
            return "has a prefix that does not begin and end with a letter or digit"
        }
        if name.isEmpty {
            return "has no name after its prefix"
        }
        return nameProblem(name)
    }

    /// Why `value` is not a label value, or nil when it is one.
    static func valueProblem(_ value: String) -> String? {
        value.isEmpty ? nil : nameProblem(Array(value.utf8)[...])
    }

    private static func nameProblem(_ name: ArraySlice<UInt8>) -> String? {
        if name.count > maximumNameLength {
            return "is longer than \(maximumNameLength) characters"
        }
        for byte in name where !isNameByte(byte) {
            return "has \(ObjectNames.describe(byte)); use letters, digits, '-', '_' and '.'"
        }
        if !isAlphanumeric(name.first!) || !isAlphanumeric(name.last!) {
            return "does not begin and end with a letter or digit"
        }
        return nil
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            false
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }

    private static func isPrefixByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"),
            UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}
