import ArgumentParser
import GongzhiCalendar
import GongzhiControl
import GongzhiPointsSchemas

/// Why a value on a points command line was refused: the usage, with an example, that ArgumentParser shows
/// after the option's name.
struct PointsArgumentError: Error, Hashable, Sendable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A length of time as typed: a whole number and a unit, `45s`, `90m`, `12h`, `30d`.
struct PointsDuration: Hashable, Sendable {
    var seconds: Int64

    init(seconds: Int64) {
        self.seconds = seconds
    }

    /// Parses `45s`, `90m`, `12h` or `30d`, more than zero; refuses anything else.
    init(parsing text: String) throws(PointsArgumentError) {
        let usage = "write a whole number and a unit, e.g. 30d, 12h or 90m"
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last, let size = units[unit] else { throw PointsArgumentError(usage) }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let count = Int64(digits)
        else { throw PointsArgumentError(usage) }
        guard count > 0 else { throw PointsArgumentError("a duration must be more than zero; \(usage)") }
        self.seconds = count * size
    }
}

/// A day or a whole month as typed, `2026-11-20` or `2026-11`, in China Standard Time: the calendar the
/// points ledger's periods follow, wherever the command runs.
struct PointsDate: Hashable, Sendable {
    var year: Int64
    var month: Int64
    /// Nil for the whole month.
    var day: Int64?

    init(year: Int64, month: Int64, day: Int64?) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM`.
    init(parsing text: String) throws(PointsArgumentError) {
        do {
            let parsed = try ChinaCalendar.dayOrMonth(parsing: text)
            self.init(year: parsed.year, month: parsed.month, day: parsed.day)
        } catch {
            throw PointsArgumentError(error.description)
        }
    }

    /// Parses a month alone, `YYYY-MM`.
    init(parsingMonth text: String) throws(PointsArgumentError) {
        let date = try PointsDate(parsing: text)
        guard date.day == nil else {
            throw PointsArgumentError("write a month as YYYY-MM, e.g. 2026-11 (--from and --to take days)")
        }
        self = date
    }

    /// The first moment of the day or month, in milliseconds since the epoch.
    var startMs: Int64 {
        ChinaStandardTime.milliseconds(year: year, month: month, day: day ?? 1)
    }

    /// The first moment after the day or month.
    var endMs: Int64 {
        if day != nil { return startMs + 86_400_000 }
        return month == 12
            ? ChinaStandardTime.milliseconds(year: year + 1, month: 1, day: 1)
            : ChinaStandardTime.milliseconds(year: year, month: month + 1, day: 1)
    }
}

/// A moment as typed: an ISO-8601 date or time, in China Standard Time unless it gives its offset
/// (`2026-11-20`, `2026-11-20T09:30`, `2026-11-20 09:30:15`, `2026-11-20T01:30Z`, `2026-11-20T09:30+08:00`).
struct PointsMoment: Hashable, Sendable {
    /// Milliseconds since the epoch.
    var milliseconds: Int64

    init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    init(parsing text: String) throws(PointsArgumentError) {
        guard let milliseconds = ChinaCalendar.moment(parsing: text) else {
            throw PointsArgumentError(
                "write an ISO-8601 time such as 2026-11-20T09:30 (China Standard Time) or 2026-11-20T09:30+08:00, "
                    + "or a day, 2026-11-20"
            )
        }
        self.milliseconds = milliseconds
    }
}

/// How long a service took, `--hours 1.5`: whole minutes.
struct ServiceHours: Hashable, Sendable {
    var minutes: Int64

    init(minutes: Int64) {
        self.minutes = minutes
    }

    /// Parses hours with at most two decimals that come to whole minutes: `2`, `1.5`, `0.25`.
    init(parsing text: String) throws(PointsArgumentError) {
        let usage = "write hours as a number that comes to whole minutes, e.g. 2, 1.5 or 0.25"
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts[0].count <= 5,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let whole = Int64(parts[0])
        else { throw PointsArgumentError(usage) }
        var hundredths: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 2, let value = Int64(fraction) else {
                throw PointsArgumentError(usage)
            }
            hundredths = fraction.count == 1 ? value * 10 : value
        }
        // 1/100 of an hour is 36 s: whole minutes need a multiple of 5/3, i.e. hundredths·60 divisible by 100.
        guard (hundredths * 60) % 100 == 0 else {
            throw PointsArgumentError("\(text) hours is not a whole number of minutes; give --minutes instead")
        }
        let minutes = whole * 60 + hundredths * 60 / 100
        guard minutes > 0 else { throw PointsArgumentError("a service takes more than zero hours; \(usage)") }
        self.minutes = minutes
    }
}

/// An account's id as typed: `<ledger>:<holder kind>:<holder id>`, or `<ledger>:expiry`.
struct PointsAccountID: Hashable, Sendable {
    var ledger: String
    var kind: Gongzhi_Points_V1_HolderKind
    var holderID: String

    /// Parses the forms above, with the holder kind as a word (resident, partner, person, issuer, venue,
    /// expiry).
    init(parsing text: String) throws(PointsArgumentError) {
        let usage =
            "write LEDGER:KIND:HOLDER, e.g. volunteer:resident:R0001, with KIND one of resident, partner, "
            + "person, issuer, venue (or LEDGER:expiry)"
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts[0].isEmpty, let kind = HolderKindArgument(rawValue: parts[1]) else {
            throw PointsArgumentError(usage)
        }
        if kind == .expiry {
            guard parts.count == 2 else { throw PointsArgumentError("an expiry account is LEDGER:expiry; \(usage)") }
        } else {
            guard parts.count == 3, !parts[2].isEmpty else {
                throw PointsArgumentError("say whose account after \(parts[0]):\(parts[1]): (\(usage))")
            }
        }
        self.ledger = parts[0]
        self.kind = kind.kind
        self.holderID = parts.count == 3 ? parts[2] : ""
    }

    /// `volunteer:resident:R0001`.
    var text: String {
        kind == .expiry ? "\(ledger):expiry" : "\(ledger):\(HolderKindArgument(kind).rawValue):\(holderID)"
    }
}

/// The ids a client chooses for transfers, redemptions and service records: letters, digits and `.:_-`,
/// at most 128.
enum PointsIdentifier {
    /// Nil when `id` is a good id; else why not, naming `option`.
    static func problem(_ id: String, option: String) -> String? {
        if id.isEmpty { return "\(option) is empty; leave it out to have an id made for you" }
        if id.utf8.count > 128 { return "\(option) has \(id.utf8.count) characters; at most 128 are allowed" }
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || [UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "-")].contains(byte)
        }
        if !allowed { return "\(option) \(id) may hold only letters, digits and . : _ -" }
        return nil
    }

    /// A new id: `credit-20251121T230000-3f9a1c2e`, the prefix, the time in China Standard Time and 32
    /// random bits.
    static func make(_ prefix: String, nowMs: Int64) -> String {
        let stamp = ChinaStandardTime.compactStamp(nowMs)
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(prefix)-\(stamp)-\(String(repeating: "0", count: 8 - random.count) + random)"
    }
}

/// The calendar of the points ledger: China Standard Time (UTC+8, no daylight saving), in which its
/// periods, lots' expiry and the dates typed on the command line are read and shown.
enum ChinaStandardTime {
    static let offsetSeconds: Int64 = 8 * 3600

    /// The first moment of a day, in milliseconds since the epoch.
    static func milliseconds(year: Int64, month: Int64, day: Int64) -> Int64 {
        (daysSinceEpoch(year: year, month: month, day: day) * 86_400 - offsetSeconds) * 1000
    }

    /// `2025-11-21`.
    static func date(_ ms: Int64) -> String {
        let (year, month, day, _) = parts(ms)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// `2025-11-21 23:00`; `-` for 0.
    static func minute(_ ms: Int64) -> String {
        guard ms != 0 else { return "-" }
        let (_, _, _, second) = parts(ms)
        return "\(date(ms)) \(pad(second / 3600, 2)):\(pad(second % 3600 / 60, 2))"
    }

    /// `2025-11`.
    static func month(_ ms: Int64) -> String {
        let (year, month, _, _) = parts(ms)
        return "\(pad(year, 4))-\(pad(month, 2))"
    }

    /// `20251121T230000`.
    static func compactStamp(_ ms: Int64) -> String {
        let (year, month, day, second) = parts(ms)
        return "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))T"
            + "\(pad(second / 3600, 2))\(pad(second % 3600 / 60, 2))\(pad(second % 60, 2))"
    }

    /// The period `[fromMs, toMs)` as people read it: `2025-11` for a calendar month, `2025-11-01 – 2025-11-15`
    /// for whole days, else the two moments.
    static func period(fromMs: Int64, toMs: Int64) -> String {
        guard fromMs != 0 || toMs != 0 else { return "-" }
        let dayMs: Int64 = 86_400_000
        let startsADay = (fromMs + offsetSeconds * 1000).isMultiple(of: dayMs)
        let endsADay = (toMs + offsetSeconds * 1000).isMultiple(of: dayMs)
        if startsADay && endsADay {
            let from = parts(fromMs)
            if from.day == 1, let next = try? PointsDate(parsingMonth: month(fromMs)), next.endMs == toMs {
                return month(fromMs)
            }
            if toMs - fromMs == dayMs { return date(fromMs) }
            return "\(date(fromMs)) – \(date(toMs - dayMs))"
        }
        return "\(minute(fromMs)) – \(minute(toMs))"
    }

    /// Year, month, day, and the second of the day, in China Standard Time.
    static func parts(_ ms: Int64) -> (year: Int64, month: Int64, day: Int64, second: Int64) {
        let local = floorDivide(ms, 1000) + offsetSeconds
        let days = floorDivide(local, 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return (year, month, day, local - days * 86_400)
    }

    /// Days from 1970-01-01 to a date (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

// MARK: Words for the enums

/// `--holder-kind`, and account ids' middle part.
enum HolderKindArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case resident, partner, person, issuer, venue, expiry

    init(_ kind: Gongzhi_Points_V1_HolderKind) {
        switch kind {
        case .partner: self = .partner
        case .person: self = .person
        case .issuer: self = .issuer
        case .venue: self = .venue
        case .expiry: self = .expiry
        default: self = .resident
        }
    }

    var kind: Gongzhi_Points_V1_HolderKind {
        switch self {
        case .resident: .resident
        case .partner: .partner
        case .person: .person
        case .issuer: .issuer
        case .venue: .venue
        case .expiry: .expiry
        }
    }
}

/// `rules put --source`.
enum RuleSourceArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case manual
    case serviceRecord = "service-record"
    case gridCase = "grid-case"

    var source: Gongzhi_Points_V1_RuleSource {
        switch self {
        case .manual: .manual
        case .serviceRecord: .serviceRecord
        case .gridCase: .gridCase
        }
    }
}

/// `rules put --per`: how often a cap starts again.
enum CapPeriodArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case day, week, month, year

    var period: Gongzhi_Points_V1_Period {
        switch self {
        case .day: .day
        case .week: .week
        case .month: .month
        case .year: .year
        }
    }
}

/// `records --state`.
enum RecordStateArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case recorded, confirmed, rejected, credited
    case notCredited = "not-credited"

    var state: Gongzhi_Points_V1_ServiceRecord.State {
        switch self {
        case .recorded: .recorded
        case .confirmed: .confirmed
        case .rejected: .rejected
        case .credited: .credited
        case .notCredited: .notCredited
        }
    }
}

/// `redemptions --state`.
enum RedemptionStateArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case held, confirmed, cancelled, expired

    var state: Gongzhi_Points_V1_Redemption.State {
        switch self {
        case .held: .held
        case .confirmed: .confirmed
        case .cancelled: .cancelled
        case .expired: .expired
        }
    }
}
