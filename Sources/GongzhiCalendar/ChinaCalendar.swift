/// Calendar periods in China Standard Time (UTC+8, no daylight saving), computed from milliseconds since the
/// epoch with integer arithmetic: the days, weeks, months and years that the points module's caps and lots count
/// in, and the legal periods of the mediation module as the Civil Code counts them (Art 201–203).
public enum ChinaCalendar {
    /// UTC+8 in milliseconds.
    public static let offsetMs: Int64 = 8 * 3_600_000
    /// A day in milliseconds.
    public static let dayMs: Int64 = 86_400_000

    /// A calendar date.
    public struct Date: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var year: Int64
        public var month: Int64
        public var day: Int64

        public init(year: Int64, month: Int64, day: Int64) {
            self.year = year
            self.month = month
            self.day = day
        }

        public static func < (a: Date, b: Date) -> Bool {
            (a.year, a.month, a.day) < (b.year, b.month, b.day)
        }

        /// `2026-12-07`.
        public var description: String {
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        }

        /// `2026年12月7日`, as documents in Chinese write a date: no leading zeros.
        public var chineseText: String {
            "\(year)年\(month)月\(day)日"
        }

        private func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
    }

    /// The date at `ms` in China.
    public static func date(at ms: Int64) -> Date {
        civil(fromDays: floorDiv(ms + offsetMs, dayMs))
    }

    /// Midnight in China at the start of `date`, in ms since the epoch.
    public static func start(of date: Date) -> Int64 {
        days(from: date) * dayMs - offsetMs
    }

    /// The start of the month `months` after the month of `ms` (0: the month of `ms` itself).
    public static func startOfMonth(at ms: Int64, adding months: Int64 = 0) -> Int64 {
        let today = date(at: ms)
        let index = today.year * 12 + (today.month - 1) + months
        return start(of: Date(year: floorDiv(index, 12), month: floorMod(index, 12) + 1, day: 1))
    }

    /// The start of the period of `period` that holds `ms`, and the start of the next one.
    public static func periodBounds(_ period: Period, at ms: Int64) -> (start: Int64, end: Int64) {
        switch period {
        case .day:
            let start = start(of: date(at: ms))
            return (start, start + dayMs)
        case .week:
            let days = floorDiv(ms + offsetMs, dayMs)
            // 1970-01-01 was a Thursday: Monday is three days later in the cycle.
            let monday = days - floorMod(days - 4, 7)
            return (monday * dayMs - offsetMs, (monday + 7) * dayMs - offsetMs)
        case .month:
            return (startOfMonth(at: ms), startOfMonth(at: ms, adding: 1))
        case .year:
            let year = date(at: ms).year
            return (
                start(of: Date(year: year, month: 1, day: 1)), start(of: Date(year: year + 1, month: 1, day: 1))
            )
        }
    }

    /// A cap's period.
    public enum Period: Sendable, Hashable {
        case day, week, month, year
    }

    // MARK: - Legal periods (Civil Code Art 201–203)

    /// The day number (days since 1970-01-01) in China at `ms`.
    public static func dayNumber(at ms: Int64) -> Int64 {
        floorDiv(ms + offsetMs, dayMs)
    }

    /// Midnight in China at the start of day number `day`.
    public static func startOfDay(_ day: Int64) -> Int64 {
        day * dayMs - offsetMs
    }

    /// The end (24:00 in China) of a period of `days` days counted from the day after the one holding `ms`: the
    /// day of the event does not count. A last day that is a rest day (Art 203) is moved by ``RestDays/moved(_:)``.
    public static func endOfDays(_ days: Int64, after ms: Int64) -> Int64 {
        startOfDay(dayNumber(at: ms) + days + 1)
    }

    /// The end (24:00 in China) of a period of `months` months from the day holding `ms` — on the corresponding
    /// day of the last month, or its last day when it has none — lengthened by `extraDays` whole days.
    public static func endOfMonths(_ months: Int64, after ms: Int64, plusDays extraDays: Int64 = 0) -> Int64 {
        let today = date(at: ms)
        let index = today.year * 12 + (today.month - 1) + months
        let targetYear = floorDiv(index, 12)
        let targetMonth = floorMod(index, 12) + 1
        let lastDay =
            days(from: Date(year: targetYear + (targetMonth == 12 ? 1 : 0), month: targetMonth % 12 + 1, day: 1)) - 1
        let target = min(days(from: Date(year: targetYear, month: targetMonth, day: today.day)), lastDay)
        return startOfDay(target + 1 + extraDays)
    }

    /// `2026-12-07` for the day in China holding `ms`.
    public static func dateText(at ms: Int64) -> String {
        date(at: ms).description
    }

    /// `2026年12月7日` for the day in China holding `ms`: 2026-12-31T16:30Z is `2027年1月1日`.
    public static func chineseDateText(at ms: Int64) -> String {
        date(at: ms).chineseText
    }

    // Howard Hinnant's days-from-civil and civil-from-days.
    static func days(from date: Date) -> Int64 {
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (date.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + date.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> Date {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return Date(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    public static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDiv(a, b) * b
    }
}
