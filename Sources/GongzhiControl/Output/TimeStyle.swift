#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the human output shows moments and durations: absolute times as local ISO-8601 without
/// fractional seconds (`2025-11-21T22:59:03+08:00`), ages and uptimes relative to one fixed "now".
///
/// A value, so that the renderers are pure: tests pass a fixed now and UTC offset.
public struct TimeStyle: Sendable {
    /// Milliseconds since the Unix epoch that relative times are measured from.
    public var nowMs: Int64
    /// The local UTC offset in seconds at a moment given in milliseconds since the epoch.
    public var utcOffsetSeconds: @Sendable (Int64) -> Int

    public init(nowMs: Int64, utcOffsetSeconds: @escaping @Sendable (Int64) -> Int) {
        self.nowMs = nowMs
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// A fixed now and a fixed UTC offset, for tests and for output that must not depend on the machine.
    public static func fixed(nowMs: Int64, utcOffsetSeconds: Int) -> TimeStyle {
        TimeStyle(nowMs: nowMs, utcOffsetSeconds: { _ in utcOffsetSeconds })
    }

    /// The machine's clock and time zone (from `TZ` or /etc/localtime, as the C library reads them).
    public static func local() -> TimeStyle {
        tzset()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowMs = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
        return TimeStyle(nowMs: nowMs, utcOffsetSeconds: Self.localOffset)
    }

    @Sendable private static func localOffset(atMs ms: Int64) -> Int {
        var seconds = time_t(ms.floorDivided(by: 1000))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return 0 }
        return Int(parts.tm_gmtoff)
    }

    /// `2025-11-21T22:59:03+08:00` in local time; `-` for 0, which the host sends for "never" or "unknown".
    public func timestamp(_ ms: Int64) -> String {
        guard ms != 0 else { return "-" }
        let offset = utcOffsetSeconds(ms)
        let local = ms.floorDivided(by: 1000) + Int64(offset)
        let days = local.floorDivided(by: 86_400)
        let secondOfDay = local - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        let sign = offset < 0 ? "-" : "+"
        let offsetMinutes = abs(offset) / 60
        return "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))"
            + "T\(Self.pad(secondOfDay / 3600, 2)):\(Self.pad(secondOfDay % 3600 / 60, 2)):\(Self.pad(secondOfDay % 60, 2))"
            + "\(sign)\(Self.pad(offsetMinutes / 60, 2)):\(Self.pad(offsetMinutes % 60, 2))"
    }

    /// How long ago a moment was, `3m ago`, or how far ahead, `in 12s`; `-` for 0.
    public func relative(_ ms: Int64) -> String {
        guard ms != 0 else { return "-" }
        let seconds = (nowMs - ms) / 1000
        if seconds < 0 { return "in \(Self.duration(seconds: -seconds))" }
        if seconds == 0 { return "just now" }
        return "\(Self.duration(seconds: seconds)) ago"
    }

    /// A moment with its relative time: `2025-11-21T22:59:03+08:00 (3m ago)`; `-` for 0.
    public func timestampAndRelative(_ ms: Int64) -> String {
        guard ms != 0 else { return "-" }
        return "\(timestamp(ms)) (\(relative(ms)))"
    }

    /// A duration in its two largest units: `45s`, `3m 20s`, `2h 5m`, `3d 4h`.
    public static func duration(seconds: Int64) -> String {
        let seconds = max(0, seconds)
        let units: [(Int64, String)] = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")]
        guard let first = units.firstIndex(where: { seconds >= $0.0 }) else { return "0s" }
        let (size, name) = units[first]
        var text = "\(seconds / size)\(name)"
        if first + 1 < units.count {
            let (nextSize, nextName) = units[first + 1]
            let rest = seconds % size / nextSize
            if rest > 0 { text += " \(rest)\(nextName)" }
        }
        return text
    }

    /// Year, month (1–12) and day (1–31) of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// `value` in decimal with leading zeros up to `width` digits.
    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func pad(_ value: Int, _ width: Int) -> String { pad(Int64(value), width) }
}

extension Int64 {
    /// The quotient rounded toward minus infinity, and the remainder from 0 up to the (positive) divisor, without
    /// overflow for any value: times before 1970 fall in the right second and day.
    func floorDivision(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        floorDivision(by: divisor).quotient
    }
}
