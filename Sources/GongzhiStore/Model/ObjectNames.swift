/// The rules for kinds, ids, parents and owners.
enum ObjectNames {
    /// The longest kind, id, parent or owner, in UTF-8 bytes.
    static let maximumLength = 253

    static func validateKind(_ kind: String) throws(StoreError) {
        if kind.isEmpty {
            throw .invalidArgument("the kind is empty; name a kind such as \"grid\"")
        }
        if kind.utf8.count > maximumLength {
            throw .invalidArgument("the kind \"\(kind.prefix(40))…\" is longer than \(maximumLength) bytes")
        }
        for byte in kind.utf8 where !isKindByte(byte) {
            throw .invalidArgument(
                "the kind \"\(kind)\" contains \(describe(byte)); use letters, digits, '.', '_', '-' and '/'"
            )
        }
    }

    static func validateID(_ id: String, kind: String) throws(StoreError) {
        try validateName(id, what: "the id of a \(kind)")
    }

    /// Names (ids, parents, owners): not empty, at most ``maximumLength`` bytes, no whitespace or control characters.
    static func validateName(_ name: String, what: String) throws(StoreError) {
        if name.isEmpty {
            throw .invalidArgument("\(what) is empty")
        }
        if name.utf8.count > maximumLength {
            throw .invalidArgument("\(what) \"\(name.prefix(40))…\" is longer than \(maximumLength) bytes")
        }
        // Printable ASCII needs no Unicode lookup.
        if name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return
        }
        for scalar in name.unicodeScalars
        where scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
            throw .invalidArgument("\(what) \"\(name)\" contains whitespace or a control character")
        }
    }

    private static func isKindByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"),
            UInt8(ascii: "/"):
            true
        default:
            false
        }
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        return "a byte 0x\(String(byte, radix: 16))"
    }
}
