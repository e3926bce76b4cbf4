/// JSON's strings: writing a string with JSON's escapes, and reading one back from the bytes of a JSON text.
///
/// One place for the escape rules, shared by the document reader (`JSONText`), the document writers and the
/// object store's labels.
public enum JSONString {
    /// Where the bytes of a string stop being a JSON string, and why.
    public struct DecodingError: Error, Hashable, Sendable {
        /// The offset in the buffer of the byte at fault (for an escape, its backslash).
        public var offset: Int
        /// What is wrong, for a person: `unknown escape '\x' in a string`.
        public var problem: String

        public init(offset: Int, problem: String) {
            self.offset = offset
            self.problem = problem
        }
    }

    // MARK: Writing

    /// Appends `text` as a JSON string to `out`: quotes, backslashes and the characters of ``needsEscape(_:)``
    /// escaped (the short forms `\n`, `\r`, `\t`, `\b`, `\f` where JSON has them), everything else as it is.
    public static func write(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if needsEscape(scalar) {
                    out += "\\u" + hex4(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `text` as a JSON string, quotes included.
    public static func quoted(_ text: String) -> String {
        var out = ""
        write(text, into: &out)
        return out
    }

    /// Characters that are written as `\uXXXX`: control characters (which JSON requires escaped, and which a
    /// terminal would act on), and the Unicode line and paragraph separators and byte order mark (which YAML
    /// and JavaScript read as something else).
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || value == 0xFEFF
    }

    /// Four upper-case hexadecimal digits: `00E9`.
    public static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    // MARK: Reading

    /// Reads the string whose opening quote is just before `index` in `bytes`, and moves `index` past its
    /// closing quote.
    ///
    /// Every escape of RFC 8259 is read, `\u` escapes of surrogate pairs included; a raw control character,
    /// an unknown or unpaired escape, a string that does not end, or bytes that are not UTF-8 are refused. A
    /// string without escapes is taken from the bytes at once.
    public static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from index: inout Int
    ) throws(DecodingError) -> String {
        let start = index
        // The common case: no escapes, the bytes between the quotes are the string.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"),
            bytes[index] >= 0x20
        {
            index += 1
        }
        guard index < bytes.count else { throw DecodingError(offset: index, problem: "the text ends inside a string") }
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            return try validated(UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), end: index)
        }
        // With escapes: the string's UTF-8 bytes, gathered and decoded once.
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard index < bytes.count else {
                throw DecodingError(offset: index, problem: "the text ends inside a string")
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return try utf8.withUnsafeBufferPointer { buffer throws(DecodingError) in
                    try validated(buffer, end: index)
                }
            }
            if byte < 0x20 {
                throw DecodingError(
                    offset: index,
                    problem: byte == UInt8(ascii: "\n")
                        ? "a string runs past the end of the line (a missing '\"'?)"
                        : "a control character in a string must be escaped"
                )
            }
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                continue
            }
            guard index < bytes.count else {
                throw DecodingError(offset: index, problem: "the text ends inside a string")
            }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                utf8 += String(Character(try unicodeEscape(bytes, from: &index))).utf8
            default:
                throw DecodingError(
                    offset: index - 2,
                    problem: "unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string"
                )
            }
        }
    }

    /// The scalar of a `\u` escape whose four digits start at `index` (with the low half that must follow a
    /// high surrogate).
    private static func unicodeEscape(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from index: inout Int
    ) throws(DecodingError) -> Unicode.Scalar {
        let unpaired = "a \\u escape of a high surrogate must be followed by a low one"
        var code = try hexQuad(bytes, from: &index)
        if (0xD800...0xDBFF).contains(code) {
            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw DecodingError(offset: index, problem: unpaired) }
            index += 2
            let low = try hexQuad(bytes, from: &index)
            guard (0xDC00...0xDFFF).contains(low) else { throw DecodingError(offset: index, problem: unpaired) }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw DecodingError(offset: index, problem: "a \\u escape of a low surrogate must follow a high one")
        }
        // Surrogates are handled above, so every code left is a scalar.
        return Unicode.Scalar(code)!
    }

    private static func hexQuad(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from index: inout Int
    ) throws(DecodingError) -> UInt32 {
        let problem = "expected four hex digits after \\u"
        guard bytes.count - index >= 4 else { throw DecodingError(offset: index, problem: problem) }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw DecodingError(offset: index, problem: problem)
            }
            code = code << 4 | digit
            index += 1
        }
        return code
    }

    /// The string of UTF-8 bytes; `end` is where the string ends, for the error.
    private static func validated(_ utf8: UnsafeBufferPointer<UInt8>, end: Int) throws(DecodingError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw DecodingError(offset: end, problem: "a string is not valid UTF-8")
        }
        return text
    }
}
