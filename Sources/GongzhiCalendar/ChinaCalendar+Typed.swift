extension ChinaCalendar {
    /// Why a day or month as typed is not one.
    public struct TypedDateError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// A day or a whole month as a person types it, `2026-11-20` or `2026-11`: its year, month and day (nil for a
    /// month). The error says what to type.
    public static func dayOrMonth(
        parsing text: String
    ) throws(TypedDateError) -> (year: Int64, month: Int64, day: Int64?) {
        let usage = "write a day as YYYY-MM-DD or a month as YYYY-MM, e.g. 2026-11-20 or 2026-11"
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0].count == 4,
            parts.dropFirst().allSatisfy({ $0.count == 2 }),
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int64(parts[0]), let month = Int64(parts[1])
        else { throw TypedDateError(description: usage) }
        guard (1...12).contains(month) else {
            throw TypedDateError(description: "\(text) has no month \(month); \(usage)")
        }
        guard parts.count == 3 else { return (year, month, nil) }
        let first = start(of: Date(year: year, month: month, day: 1))
        let daysInMonth = (startOfMonth(at: first, adding: 1) - first) / dayMs
        guard let day = Int64(parts[2]), day >= 1, day <= daysInMonth else {
            throw TypedDateError(description: "\(text) is not a day of the calendar; \(usage)")
        }
        return (year, month, day)
    }

    /// A moment as a person types it, in milliseconds since the epoch: an ISO-8601 day or time in China Standard
    /// Time unless it gives its offset (`2026-11-20`, `2026-11-20T09:30`, `2026-11-20 09:30:15`, `2026-11-20T01:30Z`,
    /// `2026-11-20T09:30+08:00`); a day alone is its first moment. Nil for anything else.
    public static func moment(parsing text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10,
            let parsed = try? dayOrMonth(parsing: String(decoding: bytes[0..<10], as: UTF8.self)),
            let day = parsed.day
        else { return nil }
        var rest = bytes[10...]
        var seconds: Int64 = 0
        var offset = offsetMs
        if let separator = rest.first {
            guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: " ") else { return nil }
            rest = rest.dropFirst()
            guard let hour = number(&rest, digits: 2), take(&rest, ":"), let minute = number(&rest, digits: 2),
                hour <= 23, minute <= 59
            else { return nil }
            seconds = hour * 3600 + minute * 60
            if take(&rest, ":") {
                guard let second = number(&rest, digits: 2), second <= 59 else { return nil }
                seconds += second
            }
            if take(&rest, "Z") {
                offset = 0
            } else if let sign: Int64 = take(&rest, "+") ? 1 : take(&rest, "-") ? -1 : nil {
                guard let hours = number(&rest, digits: 2), hours <= 18 else { return nil }
                _ = take(&rest, ":")
                let minutes = rest.isEmpty ? 0 : number(&rest, digits: 2)
                guard let minutes, minutes <= 59 else { return nil }
                offset = sign * (hours * 3600 + minutes * 60) * 1000
            }
            guard rest.isEmpty else { return nil }
        }
        // Midnight of the day in China, moved to the offset given, plus the time of day.
        return start(of: Date(year: parsed.year, month: parsed.month, day: day)) + offsetMs - offset + seconds * 1000
    }

    private static func number(_ bytes: inout ArraySlice<UInt8>, digits: Int) -> Int64? {
        guard bytes.count >= digits else { return nil }
        var value: Int64 = 0
        for byte in bytes.prefix(digits) {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        bytes = bytes.dropFirst(digits)
        return value
    }

    private static func take(_ bytes: inout ArraySlice<UInt8>, _ character: Unicode.Scalar) -> Bool {
        guard bytes.first == UInt8(ascii: character) else { return false }
        bytes = bytes.dropFirst()
        return true
    }
}
