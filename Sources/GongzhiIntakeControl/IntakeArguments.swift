import ArgumentParser
import GongzhiCalendar
import GongzhiIntakeSchemas

/// Why a value on an intake command line was refused: the usage, with an example, that ArgumentParser shows after
/// the option's name.
struct IntakeArgumentError: Error, Hashable, Sendable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A moment as typed: an ISO-8601 date or time in China Standard Time unless it gives its offset (`2026-11-20`,
/// `2026-11-20T09:30`, `2026-11-20T01:30Z`); a day alone is its first moment.
struct IntakeTime: Hashable, Sendable {
    /// Milliseconds since the epoch.
    var milliseconds: Int64

    init(parsing text: String) throws(IntakeArgumentError) {
        guard let milliseconds = ChinaCalendar.moment(parsing: text) else {
            throw IntakeArgumentError(
                "write a time such as 2026-11-20T09:30 (China Standard Time) or 2026-11-20T09:30+08:00, or a day, "
                    + "2026-11-20"
            )
        }
        self.milliseconds = milliseconds
    }
}

/// A duration as typed for `import --timeout`: whole seconds, minutes or hours, `90s`, `10m`, `1h`.
struct WaitDuration: Hashable, Sendable {
    var seconds: Int64

    init(seconds: Int64) {
        self.seconds = seconds
    }

    init(parsing text: String) throws(IntakeArgumentError) {
        let usage = "write whole seconds, minutes or hours, e.g. 90s, 10m or 1h"
        guard let unit = text.last, "smh".contains(unit) else { throw IntakeArgumentError(usage) }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let count = Int64(digits)
        else { throw IntakeArgumentError(usage) }
        guard count > 0 else { throw IntakeArgumentError("the time must be more than zero; \(usage)") }
        seconds = count * (unit == "h" ? 3600 : unit == "m" ? 60 : 1)
    }
}

/// `items list --state`, and the STATE column.
enum ItemStateArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case waiting
    case inCase = "in-case"
    case open, answered, closed

    var state: Gongzhi_Intake_V1_ItemState {
        switch self {
        case .waiting: .waiting
        case .inCase: .inCase
        case .open: .open
        case .answered: .answered
        case .closed: .closed
        }
    }

    init?(_ state: Gongzhi_Intake_V1_ItemState) {
        guard let found = Self.allCases.first(where: { $0.state == state }) else { return nil }
        self = found
    }
}

/// `items list --type`, and the TYPE column.
enum ItemTypeArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case complaint, report, consultation, help, suggestion

    var type: Gongzhi_Intake_V1_ItemType {
        switch self {
        case .complaint: .complaint
        case .report: .report
        case .consultation: .consultation
        case .help: .help
        case .suggestion: .suggestion
        }
    }

    init?(_ type: Gongzhi_Intake_V1_ItemType) {
        guard let found = Self.allCases.first(where: { $0.type == type }) else { return nil }
        self = found
    }
}

/// `route --type`: the types an item is answered as rather than made a grid report.
enum AnsweredTypeArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case consultation, help, suggestion

    var type: Gongzhi_Intake_V1_ItemType {
        switch self {
        case .consultation: .consultation
        case .help: .help
        case .suggestion: .suggestion
        }
    }
}

/// `dead-letters list --stage`, and the STAGE column.
enum StageArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case decode, validate, locate, classify, route, deliver

    var stage: Gongzhi_Intake_V1_Stage {
        switch self {
        case .decode: .decode
        case .validate: .validate
        case .locate: .locate
        case .classify: .classify
        case .route: .route
        case .deliver: .deliver
        }
    }

    init?(_ stage: Gongzhi_Intake_V1_Stage) {
        guard let found = Self.allCases.first(where: { $0.stage == stage }) else { return nil }
        self = found
    }
}

/// `dead-letters list --state`, and the STATE column.
enum DeadLetterStateArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case open, replaying, replayed, discarded

    var state: Gongzhi_Intake_V1_DeadLetterState {
        switch self {
        case .open: .open
        case .replaying: .replaying
        case .replayed: .replayed
        case .discarded: .discarded
        }
    }

    init?(_ state: Gongzhi_Intake_V1_DeadLetterState) {
        guard let found = Self.allCases.first(where: { $0.state == state }) else { return nil }
        self = found
    }
}

/// `import --format`: how the file's records end.
enum ImportFormatArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case csv
    case jsonl

    /// The format a file's name says: `.jsonl` and `.ndjson` are JSON lines, anything else CSV.
    init(fileName: String) {
        let lower = fileName.lowercased()
        self = lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") ? .jsonl : .csv
    }
}

/// `import --encoding`: the file's character encoding.
enum ImportEncodingArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case utf8 = "utf-8"
    case gb18030
}

/// The common filter `--place`: a grid's, community's or street's code.
enum PlaceCode {
    static func check(_ place: String?) throws {
        if let place, place.isEmpty || !place.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw ValidationError("--place takes a grid's, community's or street's code: digits, e.g. 330106001001")
        }
    }
}
