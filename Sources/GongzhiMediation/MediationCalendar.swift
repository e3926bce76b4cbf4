/// Legal periods in China Standard Time (UTC+8, no daylight saving), from milliseconds since the epoch, as the
/// Civil Code counts them (Art 201–203): the day of the event does not count, a period in months ends on the
/// corresponding day of the last month (its last day when it has none), and the last day ends at 24:00.
/// Public holidays that move a last day (Art 203) are not known here.
public enum MediationCalendar {
    /// UTC+8 in milliseconds.
    public static let offsetMs: Int64 = 8 * 3_600_000
    /// A day in milliseconds.
    public static let dayMs: Int64 = 86_400_000

    /// The day number (days since 1970-01-01) in China at `ms`.
    public static func dayNumber(at ms: Int64) -> Int64 {
        floorDiv(ms + offsetMs, dayMs)
    }

    /// Midnight in China at the start of day number `day`.
    public static func startOfDay(_ day: Int64) -> Int64 {
        day * dayMs - offsetMs
    }

    /// The end (24:00 in China) of a period of `days` days counted from the day after the one holding `ms`.
    public static func endOfDays(_ days: Int64, after ms: Int64) -> Int64 {
        startOfDay(dayNumber(at: ms) + days + 1)
    }

    /// The end (24:00 in China) of a period of `months` months from the day holding `ms`, lengthened by
    /// `extraDays` whole days.
    public static func endOfMonths(_ months: Int64, after ms: Int64, plusDays extraDays: Int64 = 0) -> Int64 {
        let (year, month, day) = civil(fromDays: dayNumber(at: ms))
        let index = year * 12 + (month - 1) + months
        let targetYear = floorDiv(index, 12)
        let targetMonth = floorMod(index, 12) + 1
        let lastDay = days(fromYear: targetYear + (targetMonth == 12 ? 1 : 0), month: targetMonth % 12 + 1, day: 1) - 1
        let target = min(days(fromYear: targetYear, month: targetMonth, day: day), lastDay)
        return startOfDay(target + 1 + extraDays)
    }

    /// `2026-12-07` for the day in China holding `ms`.
    public static func dateText(at ms: Int64) -> String {
        let (year, month, day) = civil(fromDays: dayNumber(at: ms))
        func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(pad(month))-\(pad(day))"
    }

    // Howard Hinnant's days-from-civil and civil-from-days.
    static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDiv(a, b) * b
    }
}
