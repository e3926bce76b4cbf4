/// Times as RFC 3339 writes them (the W3C subset of ISO 8601 Open311 uses): `2026-12-07T10:00:00+08:00`,
/// with optional fractions of a second, `Z` or an offset required.
public enum RFC3339 {
    /// Milliseconds since the Unix epoch, nil when `text` is not such a time.
    public static func unixMilliseconds(_ text: String) -> Int64? {
        let s = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= s.count else { return nil }
            var value: Int64 = 0
            for byte in s[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard s.count >= 20, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
            s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t"), s[13] == UInt8(ascii: ":"),
            s[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60,
            second < 60
        else { return nil }
        var index = 19
        var millis: Int64 = 0
        if s[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < s.count, s[index] >= 48, s[index] <= 57 {
                if digits < 3 { millis = millis * 10 + Int64(s[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        guard index < s.count else { return nil }
        var offsetMinutes: Int64 = 0
        if s[index] == UInt8(ascii: "Z") || s[index] == UInt8(ascii: "z") {
            index += 1
        } else if s[index] == UInt8(ascii: "+") || s[index] == UInt8(ascii: "-") {
            let sign: Int64 = s[index] == UInt8(ascii: "+") ? 1 : -1
            guard index + 6 == s.count, s[index + 3] == UInt8(ascii: ":"),
                let offsetHours = number(index + 1..<index + 3), let offsetMins = number(index + 4..<index + 6),
                offsetHours < 24, offsetMins < 60
            else { return nil }
            offsetMinutes = sign * (offsetHours * 60 + offsetMins)
            index += 6
        } else {
            return nil
        }
        guard index == s.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetMinutes * 60
        return seconds * 1_000 + millis
    }

    /// `2026-12-07T10:00:00+08:00` for a time in milliseconds at an offset (whole minutes), as Open311 writes
    /// times; fractions of a second are dropped.
    public static func format(unixMilliseconds: Int64, offsetMinutes: Int = 8 * 60) -> String {
        let local = unixMilliseconds.dividedRoundingDown(by: 1_000) + Int64(offsetMinutes) * 60
        let days = local.dividedRoundingDown(by: 86_400)
        let secondOfDay = local - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let sign = offsetMinutes < 0 ? "-" : "+"
        let offset = Int64(abs(offsetMinutes))
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3_600)):\(two(secondOfDay / 60 % 60)):"
            + "\(two(secondOfDay % 60))\(sign)\(two(offset / 60)):\(two(offset % 60))"
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.dividedRoundingDown(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z.dividedRoundingDown(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
