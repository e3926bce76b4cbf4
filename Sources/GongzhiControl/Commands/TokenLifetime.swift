/// How long a token lives, as given to `tokens issue --ttl`: a whole number and a unit, `30d`, `12h`,
/// `90m` or `3600s`.
public struct TokenLifetime: Hashable, Sendable {
    public var seconds: UInt64

    public init(seconds: UInt64) {
        self.seconds = seconds
    }

    /// Why a `--ttl` value was refused.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `30d`, `12h`, `90m` or `3600s`; refuses zero, other units, signs and overflow.
    public init(parsing text: String) throws(ParseError) {
        let units: [Character: UInt64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let usage = "write a whole number and a unit: 30d, 12h, 90m or 3600s"
        guard let unit = text.last, let size = units[unit] else {
            throw ParseError(description: usage)
        }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = UInt64(digits) else {
            throw ParseError(description: usage)
        }
        guard count > 0 else {
            throw ParseError(description: "a token must live longer than 0; leave out --ttl for the host's default")
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, seconds <= UInt64(Int64.max / 1000) else {
            throw ParseError(description: "too long; the longest lifetime is about 292 million years")
        }
        self.seconds = seconds
    }
}
