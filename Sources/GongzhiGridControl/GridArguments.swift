import ArgumentParser
import GongzhiControl
import GongzhiGridSchemas
import GongzhiSchemas

/// Why a value on a grid command line was refused: the usage, with an example, that ArgumentParser shows
/// after the option's name.
struct GridArgumentError: Error, Hashable, Sendable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A point given as `LON,LAT` in WGS-84 degrees (`--at 120.1551,30.2741`).
struct GridPoint: Hashable, Sendable {
    var longitude: Double
    var latitude: Double

    init(longitude: Double, latitude: Double) {
        self.longitude = longitude
        self.latitude = latitude
    }

    /// Parses `LON,LAT`; refuses anything else, and coordinates off the earth.
    init(parsing text: String) throws(GridArgumentError) {
        let usage = "write LON,LAT in degrees, longitude first, e.g. 120.1551,30.2741"
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw GridArgumentError(usage) }
        let longitude = try Self.degrees(parts[0], usage: usage)
        let latitude = try Self.degrees(parts[1], usage: usage)
        try self.init(checking: longitude, latitude)
    }

    /// A point from two numbers given apart (`grid locate LON LAT`).
    init(longitude: String, latitude: String) throws(GridArgumentError) {
        let usage = "write the longitude and the latitude in degrees, e.g. 120.1551 30.2741"
        try self.init(
            checking: try Self.degrees(Substring(longitude), usage: usage),
            try Self.degrees(Substring(latitude), usage: usage)
        )
    }

    private init(checking longitude: Double, _ latitude: Double) throws(GridArgumentError) {
        guard abs(longitude) <= 180 else {
            throw GridArgumentError("longitude \(longitude) is not between -180 and 180 (longitude comes first)")
        }
        guard abs(latitude) <= 90 else {
            throw GridArgumentError("latitude \(latitude) is not between -90 and 90 (longitude comes first)")
        }
        self.longitude = longitude
        self.latitude = latitude
    }

    private static func degrees(_ text: Substring, usage: String) throws(GridArgumentError) -> Double {
        let text = text.trimmingSpaces
        // Plain decimals only: no exponents, hexadecimal, nan or inf, which Double(_:) would take.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.".contains($0)) }),
            let value = Double(text), value.isFinite
        else { throw GridArgumentError(usage) }
        return value
    }

    var message: Gongzhi_Core_V1_Point {
        Gongzhi_Core_V1_Point.with {
            $0.longitude = longitude
            $0.latitude = latitude
        }
    }
}

/// Whom `grid dispatch --to` names: `worker:NAME`, `team:PARTNER_ID` or `department:DEPT_ID`.
struct GridAssignee: Hashable, Sendable {
    var kind: Gongzhi_Grid_V1_Assignee.Kind
    var id: String

    init(kind: Gongzhi_Grid_V1_Assignee.Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    init(parsing text: String) throws(GridArgumentError) {
        let usage = "write worker:NAME (a grid worker), team:PARTNER_ID (a partner team) or department:DEPT_ID"
        guard let colon = text.firstIndex(of: ":") else { throw GridArgumentError(usage) }
        let kinds: [String: Gongzhi_Grid_V1_Assignee.Kind] = [
            "worker": .gridWorker, "team": .partnerTeam, "department": .department,
        ]
        guard let kind = kinds[String(text[..<colon])] else { throw GridArgumentError(usage) }
        let id = text[text.index(after: colon)...].trimmingSpaces
        guard !id.isEmpty else {
            throw GridArgumentError("say who after \(text[..<colon]): (\(usage))")
        }
        self.init(kind: kind, id: String(id))
    }
}

/// A length of time as typed: a whole number and a unit, `90m`, `2h`, `3d`.
struct GridDuration: Hashable, Sendable {
    var seconds: Int64

    init(seconds: Int64) {
        self.seconds = seconds
    }

    /// Parses `45s`, `90m`, `2h` or `3d`; nil when the text is not such a duration.
    init?(parsing text: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last, let size = units[unit] else { return nil }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let count = Int64(digits)
        else { return nil }
        self.seconds = count * size
    }
}

/// A moment as typed: an ISO-8601 date or time, in local time unless it gives its offset
/// (`2026-11-23`, `2026-11-23T10:00`, `2026-11-23 10:00:30+08:00`, `2026-11-23T02:00Z`).
struct GridCivilTime: Hashable, Sendable {
    var year: Int64
    var month: Int64
    var day: Int64
    var hour: Int64 = 0
    var minute: Int64 = 0
    var second: Int64 = 0
    /// False for a date alone.
    var hasTime = false
    /// The UTC offset it gives, in seconds; nil for local time.
    var offsetSeconds: Int64?

    /// Parses the forms above; nil when the text is not one of them.
    init?(parsing text: String) {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"), let month = scanner.number(digits: 2),
            scanner.take("-"), let day = scanner.number(digits: 2)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
        if scanner.take("T") || scanner.take("t") || scanner.take(" ") {
            guard let hour = scanner.number(digits: 2), scanner.take(":"), let minute = scanner.number(digits: 2)
            else { return nil }
            self.hour = hour
            self.minute = minute
            hasTime = true
            if scanner.take(":") {
                guard let second = scanner.number(digits: 2) else { return nil }
                self.second = second
            }
            if scanner.take("Z") || scanner.take("z") {
                offsetSeconds = 0
            } else if let sign = scanner.sign() {
                guard let hours = scanner.number(digits: 2) else { return nil }
                _ = scanner.take(":")
                let minutes = scanner.atEnd ? 0 : scanner.number(digits: 2)
                guard let minutes, hours <= 18, minutes <= 59 else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard scanner.atEnd, (1...12).contains(month), day >= 1, day <= Self.days(inMonth: month, of: year),
            hour <= 23, minute <= 59, second <= 59
        else { return nil }
    }

    /// Milliseconds since the epoch: at the offset it gives, else in local time as `time` has it.
    func milliseconds(in time: TimeStyle) -> Int64 {
        let local =
            Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        if let offsetSeconds { return (local - offsetSeconds) * 1000 }
        // The offset in force at that local time: guess with the offset at the local time read as UTC,
        // then take the offset at the moment that guess gives (right but for the hour a clock change repeats).
        let guess = Int64(time.utcOffsetSeconds(local * 1000))
        let offset = Int64(time.utcOffsetSeconds((local - guess) * 1000))
        return (local - offset) * 1000
    }

    private static func days(inMonth month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
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

    /// Reads fixed-width numbers and single characters from ASCII bytes.
    private struct DigitScanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var atEnd: Bool { position == bytes.count }

        mutating func number(digits: Int) -> Int64? {
            guard position + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[position..<position + digits] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            position += digits
            return value
        }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        mutating func sign() -> Int64? {
            if take("+") { return 1 }
            if take("-") { return -1 }
            return nil
        }
    }
}

/// `grid dispatch --deadline`: how long from now (`2h`, `3d`), or a time (`2026-11-23T10:00`).
enum GridDeadline: Hashable, Sendable {
    case after(GridDuration)
    case at(GridCivilTime)

    init(parsing text: String) throws(GridArgumentError) {
        let usage =
            "write how long from now, e.g. 2h, 3d or 90m, or a time, e.g. 2026-11-23T10:00 "
            + "(local) or 2026-11-23T10:00+08:00"
        if let duration = GridDuration(parsing: text) {
            guard duration.seconds > 0 else { throw GridArgumentError("a deadline must be later than now; \(usage)") }
            self = .after(duration)
        } else if let time = GridCivilTime(parsing: text), time.hasTime {
            self = .at(time)
        } else {
            throw GridArgumentError(usage)
        }
    }

    /// Milliseconds since the epoch, measured from `time`'s now.
    func milliseconds(in time: TimeStyle) -> Int64 {
        switch self {
        case .after(let duration): time.nowMs + duration.seconds * 1000
        case .at(let civil): civil.milliseconds(in: time)
        }
    }
}

/// `grid stats --since` and `--until`: a date or time (`2026-11-01`, `2026-11-01T08:00`), or how long ago
/// (`7d`, `12h`).
enum GridMoment: Hashable, Sendable {
    case ago(GridDuration)
    case at(GridCivilTime)

    init(parsing text: String) throws(GridArgumentError) {
        if let duration = GridDuration(parsing: text) {
            self = .ago(duration)
        } else if let time = GridCivilTime(parsing: text) {
            self = .at(time)
        } else {
            throw GridArgumentError(
                "write a date or time, e.g. 2026-11-01 or 2026-11-01T08:00 (local) or 2026-11-01T08:00+08:00, "
                    + "or how long ago, e.g. 7d or 12h"
            )
        }
    }

    /// Milliseconds since the epoch, measured from `time`'s now; a date alone is its first moment.
    func milliseconds(in time: TimeStyle) -> Int64 {
        switch self {
        case .ago(let duration): time.nowMs - duration.seconds * 1000
        case .at(let civil): civil.milliseconds(in: time)
        }
    }
}

// MARK: Words for the enums

/// `--state`, and the STATE column: `in-progress`.
enum GridStateArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case reported, registered, rejected, dispatched
    case inProgress = "in-progress"
    case handled, verified, closed, evaluated

    var state: Gongzhi_Grid_V1_CaseState {
        switch self {
        case .reported: .reported
        case .registered: .registered
        case .rejected: .rejected
        case .dispatched: .dispatched
        case .inProgress: .inProgress
        case .handled: .handled
        case .verified: .verified
        case .closed: .closed
        case .evaluated: .evaluated
        }
    }
}

/// `--source`: where a report came from.
enum GridSourceArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case patrol, visit, online, hotline, sensor, assigned
    /// Cases the grid plugin opened for a mediation agreement's missed obligation (for listing; not reported).
    case mediation

    var source: Gongzhi_Grid_V1_Source {
        switch self {
        case .mediation: .mediation
        case .patrol: .patrol
        case .visit: .visit
        case .online: .online
        case .hotline: .hotline
        case .sensor: .sensor
        case .assigned: .assigned
        }
    }
}

/// `grid register --tier`.
enum GridTierArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case grid, community, street, joint

    var tier: Gongzhi_Grid_V1_Tier {
        switch self {
        case .grid: .grid
        case .community: .community
        case .street: .street
        case .joint: .joint
        }
    }
}

/// `grid stats --level`.
enum GridLevelArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case grid, community, street

    var level: Gongzhi_Grid_V1_StatsRequest.Level {
        switch self {
        case .grid: .grid
        case .community: .community
        case .street: .street
        }
    }
}

/// `grid evaluate --satisfaction`.
enum GridSatisfactionArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case satisfied, acceptable, unsatisfied
    case notFixed = "not-fixed"

    var satisfaction: Gongzhi_Grid_V1_Satisfaction {
        switch self {
        case .satisfied: .satisfied
        case .acceptable: .acceptable
        case .unsatisfied: .unsatisfied
        case .notFixed: .notFixed
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces.
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
