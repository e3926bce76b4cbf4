/// The days on which no legal period may end in China (法定休假日): Saturdays and Sundays, the public holidays the
/// State Council announces each year, less the weekend days it makes working days (调休上班). A period whose last
/// day is a rest day ends at the end of the first working day after it (Civil Code Art 203; Civil Procedure
/// Law Art 85).
///
/// The State Council announces a year's holidays late in the year before, so the built-in table holds the years
/// announced when this version was made (``standard``) and a district adds later ones from a file
/// (``parse(_:)``): for a year not in it, only weekends move a last day, and ``knows(year:)`` says so.
public struct RestDays: Sendable, Hashable {
    /// Public holidays, by day number (days since 1970-01-01 in China).
    public private(set) var holidays: Set<Int64>
    /// Weekend days that are working days.
    public private(set) var workingWeekendDays: Set<Int64>
    /// The years whose announcement the table holds.
    public private(set) var years: Set<Int64>

    /// A table of the given days (dates in China).
    public init(
        holidays: [ChinaCalendar.Date] = [],
        workingDays: [ChinaCalendar.Date] = [],
        years: Set<Int64> = []
    ) {
        self.holidays = Set(holidays.map(ChinaCalendar.days(from:)))
        self.workingWeekendDays = Set(workingDays.map(ChinaCalendar.days(from:)))
        self.years = years
    }

    /// Weekends only: no public holidays known.
    public static let weekendsOnly = RestDays()

    /// The years announced when this version was made.
    public static let standard: RestDays = {
        func d(_ month: Int64, _ day: Int64) -> ChinaCalendar.Date {
            ChinaCalendar.Date(year: 2026, month: month, day: day)
        }
        func span(_ month: Int64, _ from: Int64, _ to: Int64) -> [ChinaCalendar.Date] {
            (from...to).map { d(month, $0) }
        }
        // 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
        let holidays2026 =
            span(1, 1, 3) + span(2, 15, 23) + span(4, 4, 6) + span(5, 1, 5) + span(6, 19, 21) + span(9, 25, 27)
            + span(10, 1, 7)
        let working2026 = [d(1, 4), d(2, 14), d(2, 28), d(5, 9), d(9, 20), d(10, 10)]
        return RestDays(holidays: holidays2026, workingDays: working2026, years: [2026])
    }()

    /// True when the table holds the State Council's announcement for `year`.
    public func knows(year: Int64) -> Bool {
        years.contains(year)
    }

    /// True when day number `day` is a rest day: a public holiday, or a weekend day that is not made a working day.
    public func isRestDay(_ day: Int64) -> Bool {
        if holidays.contains(day) { return true }
        if workingWeekendDays.contains(day) { return false }
        // 1970-01-01 was a Thursday: Saturday is 2 and Sunday 3 in the cycle counted from it.
        let weekday = ChinaCalendar.floorMod(day, 7)
        return weekday == 2 || weekday == 3
    }

    /// A deadline (the first millisecond past a period's last day) moved past rest days: when the last day is one,
    /// the period ends at the end of the first working day after it.
    public func moved(_ deadlineMs: Int64) -> Int64 {
        var last = ChinaCalendar.dayNumber(at: deadlineMs - 1)
        while isRestDay(last) { last += 1 }
        return ChinaCalendar.startOfDay(last + 1)
    }

    /// This table with another's days and years added (a district's file over the built-in table).
    public func adding(_ other: RestDays) -> RestDays {
        var merged = self
        merged.holidays.formUnion(other.holidays)
        merged.workingWeekendDays.formUnion(other.workingWeekendDays)
        merged.years.formUnion(other.years)
        return merged
    }

    /// Why a table of rest days cannot be read: the line and what is wrong with it.
    public struct FormatError: Error, Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Reads a table as the State Council's notice gives it, a line each (`#` starts a comment):
    ///
    ///     year 2027
    ///     holiday 2027-01-01 2027-01-03
    ///     working 2027-02-06
    ///
    /// `holiday` takes a day or a first and last day; `working` names weekend days that are working days;
    /// `year` says that the year's announcement is complete. Every day must lie in a year the table names.
    public static func parse(_ text: String) throws(FormatError) -> RestDays {
        var holidays: [ChinaCalendar.Date] = []
        var working: [ChinaCalendar.Date] = []
        var years: Set<Int64> = []
        var dated: [(line: Int, date: ChinaCalendar.Date)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let words = raw.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let verb = words.first else { continue }
            let arguments = words.dropFirst().map(String.init)
            switch verb {
            case "year":
                guard arguments.count == 1, let year = Int64(arguments[0]), (1949...9999).contains(year) else {
                    throw FormatError(line: line, message: "\"year\" takes one year, e.g. year 2027")
                }
                years.insert(year)
            case "holiday":
                guard (1...2).contains(arguments.count) else {
                    throw FormatError(
                        line: line,
                        message: "\"holiday\" takes a day or a first and last day, e.g. holiday 2027-01-01 2027-01-03"
                    )
                }
                let first = try date(arguments[0], line: line)
                let last = try arguments.count == 2 ? date(arguments[1], line: line) : first
                let (from, to) = (ChinaCalendar.days(from: first), ChinaCalendar.days(from: last))
                guard from <= to, to - from < 31 else {
                    throw FormatError(line: line, message: "\(first) to \(last) is not a holiday of at most 31 days")
                }
                for day in from...to {
                    let date = ChinaCalendar.civil(fromDays: day)
                    holidays.append(date)
                    dated.append((line, date))
                }
            case "working":
                guard arguments.count == 1 else {
                    throw FormatError(line: line, message: "\"working\" takes one day, e.g. working 2027-02-06")
                }
                let day = try date(arguments[0], line: line)
                working.append(day)
                dated.append((line, day))
            default:
                throw FormatError(
                    line: line,
                    message: "\"\(verb)\" is not year, holiday or working (a line each; # starts a comment)"
                )
            }
        }
        if let stray = dated.first(where: { !years.contains($0.date.year) }) {
            throw FormatError(
                line: stray.line,
                message: "\(stray.date) lies in \(stray.date.year), which no \"year\" line names"
            )
        }
        return RestDays(holidays: holidays, workingDays: working, years: years)
    }

    private static func date(_ text: String, line: Int) throws(FormatError) -> ChinaCalendar.Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int64($0) }
        guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
            (1...12).contains(month), day >= 1
        else {
            throw FormatError(line: line, message: "\"\(text)\" is not a date like 2027-01-01")
        }
        let date = ChinaCalendar.Date(year: year, month: month, day: day)
        guard ChinaCalendar.civil(fromDays: ChinaCalendar.days(from: date)) == date else {
            throw FormatError(line: line, message: "\(text) is not a day of the calendar")
        }
        return date
    }
}
