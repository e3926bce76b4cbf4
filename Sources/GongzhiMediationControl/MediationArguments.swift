import ArgumentParser
import GongzhiCalendar
import GongzhiMediationSchemas

/// Why a value on a mediation command line was refused: the usage, with an example, that ArgumentParser shows
/// after the option's name.
struct MediationArgumentError: Error, Hashable, Sendable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A party as typed with `--party`: `ROLE:KIND:NAME[:ID[:PHONE]]`, e.g. `applicant:resident:张伟:R0001:13800000000`.
struct PartyArgument: Hashable, Sendable {
    static let usage =
        "write ROLE:KIND:NAME[:ID[:PHONE]], e.g. applicant:resident:张伟:R0001 or respondent:organization:绿城物业:O-7, "
        + "with ROLE applicant, respondent or other and KIND resident or organization"

    var party: Gongzhi_Mediation_V1_Party

    init(parsing text: String) throws(MediationArgumentError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map {
            String($0).trimmedSpaces
        }
        guard parts.count >= 3 else { throw MediationArgumentError(Self.usage) }
        guard parts.count <= 5 else {
            throw MediationArgumentError(
                "\(text) has \(parts.count) parts; a name or id with ':' in it, an address or an ID number goes "
                    + "in --parties-file (\(Self.usage))"
            )
        }
        guard let role = PartyRoleArgument(rawValue: parts[0].lowercased()) else {
            throw MediationArgumentError("\(parts[0]) is not a role: applicant, respondent or other (\(Self.usage))")
        }
        guard let kind = PartyKindArgument(rawValue: parts[1].lowercased()) else {
            throw MediationArgumentError("\(parts[1]) is not a kind: resident or organization (\(Self.usage))")
        }
        guard !parts[2].isEmpty else { throw MediationArgumentError("the party's name is empty (\(Self.usage))") }
        let id = parts.count > 3 ? parts[3] : ""
        let phone = parts.count > 4 ? parts[4] : ""
        if !phone.isEmpty {
            let allowed = phone.allSatisfy { $0.isASCII && ($0.isNumber || "+- ".contains($0)) }
            guard allowed, phone.filter(\.isNumber).count >= 3, phone.count <= 20 else {
                throw MediationArgumentError("\(phone) is not a phone number: digits, with + - and spaces")
            }
        }
        party = Gongzhi_Mediation_V1_Party.with {
            $0.role = role.role
            $0.kind = kind.kind
            $0.name = parts[2]
            if kind.kind == .resident { $0.residentID = id } else { $0.organizationID = id }
            $0.phone = phone
        }
    }
}

/// A moment as typed: an ISO-8601 date or time in China Standard Time unless it gives its offset
/// (`2026-11-20`, `2026-11-20T09:30`, `2026-11-20 09:30:15`, `2026-11-20T01:30Z`, `2026-11-20T09:30+08:00`). A
/// day alone is its first moment.
struct MediationTime: Hashable, Sendable {
    /// Milliseconds since the epoch.
    var milliseconds: Int64

    init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    init(parsing text: String) throws(MediationArgumentError) {
        guard let milliseconds = ChinaCalendar.moment(parsing: text) else {
            throw MediationArgumentError(
                "write a time such as 2026-11-20T09:30 (China Standard Time) or 2026-11-20T09:30+08:00, or a day, "
                    + "2026-11-20"
            )
        }
        self.milliseconds = milliseconds
    }
}

/// A day or a whole month as typed, `2026-11-20` or `2026-11`, in China Standard Time.
struct MediationDay: Hashable, Sendable {
    var year: Int64
    var month: Int64
    /// Nil for the whole month.
    var day: Int64?

    init(parsing text: String) throws(MediationArgumentError) {
        do {
            (year, month, day) = try ChinaCalendar.dayOrMonth(parsing: text)
        } catch {
            throw MediationArgumentError(error.description)
        }
    }

    /// The day, or nil for a month.
    var date: ChinaCalendar.Date? {
        day.map { ChinaCalendar.Date(year: year, month: month, day: $0) }
    }

    /// The first moment of the day or month.
    var startMs: Int64 {
        ChinaCalendar.start(of: .init(year: year, month: month, day: day ?? 1))
    }

    /// The first moment after the day or month.
    var endMs: Int64 {
        day == nil ? ChinaCalendar.startOfMonth(at: startMs, adding: 1) : startMs + ChinaCalendar.dayMs
    }
}

/// `due --within`: whole hours, typed `72h` or `3d`.
struct DueWindow: Hashable, Sendable {
    var hours: UInt32

    init(hours: UInt32) {
        self.hours = hours
    }

    init(parsing text: String) throws(MediationArgumentError) {
        let usage = "write whole hours or days, e.g. 72h or 3d"
        guard let unit = text.last, unit == "h" || unit == "d" else { throw MediationArgumentError(usage) }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let count = UInt32(digits)
        else { throw MediationArgumentError(usage) }
        guard count > 0 else { throw MediationArgumentError("the window must be more than zero; \(usage)") }
        hours = unit == "d" ? count * 24 : count
    }
}

// MARK: Words for the enums

/// `--type`, and the TYPE column.
enum DisputeTypeArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case family, neighbour
    case propertyService = "property-service"
    case renovation
    case propertyRights = "property-rights"
    case labour, other

    var type: Gongzhi_Mediation_V1_DisputeType {
        switch self {
        case .family: .family
        case .neighbour: .neighbour
        case .propertyService: .propertyService
        case .renovation: .renovation
        case .propertyRights: .propertyRights
        case .labour: .labour
        case .other: .other
        }
    }

    init?(_ type: Gongzhi_Mediation_V1_DisputeType) {
        guard let found = Self.allCases.first(where: { $0.type == type }) else { return nil }
        self = found
    }
}

/// `apply --source`: how the dispute came to the committee (a grid case comes by `hand-off`).
enum DisputeSourceArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case application, initiative
    case gridCase = "grid-case"
    case police, court

    var source: Gongzhi_Mediation_V1_DisputeSource {
        switch self {
        case .application: .application
        case .initiative: .initiative
        case .gridCase: .gridCase
        case .police: .police
        case .court: .court
        }
    }

    init?(_ source: Gongzhi_Mediation_V1_DisputeSource) {
        guard let found = Self.allCases.first(where: { $0.source == source }) else { return nil }
        self = found
    }
}

/// `--level`: the committee that mediates.
enum MediationLevelArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case grid, community, street, above

    var level: Gongzhi_Mediation_V1_MediationLevel {
        switch self {
        case .grid: .grid
        case .community: .community
        case .street: .street
        case .above: .above
        }
    }

    init?(_ level: Gongzhi_Mediation_V1_MediationLevel) {
        guard let found = Self.allCases.first(where: { $0.level == level }) else { return nil }
        self = found
    }
}

/// `list --state`, and the STATE column: `agreement-drafted`.
enum DisputeStateArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case applied, accepted, mediating
    case agreementDrafted = "agreement-drafted"
    case agreed, performed, failed, refused, declined

    var state: Gongzhi_Mediation_V1_DisputeState {
        switch self {
        case .applied: .applied
        case .accepted: .accepted
        case .mediating: .mediating
        case .agreementDrafted: .agreementDrafted
        case .agreed: .agreed
        case .performed: .performed
        case .failed: .failed
        case .refused: .refused
        case .declined: .declined
        }
    }

    init?(_ state: Gongzhi_Mediation_V1_DisputeState) {
        guard let found = Self.allCases.first(where: { $0.state == state }) else { return nil }
        self = found
    }
}

/// A party's role in `--party`.
enum PartyRoleArgument: String, CaseIterable, Sendable {
    case applicant, respondent, other

    var role: Gongzhi_Mediation_V1_PartyRole {
        switch self {
        case .applicant: .applicant
        case .respondent: .respondent
        case .other: .other
        }
    }
}

/// A party's kind in `--party` (`organisation` is taken as well).
enum PartyKindArgument: String, CaseIterable, Sendable {
    case resident, organization
    case organisation

    var kind: Gongzhi_Mediation_V1_PartyKind {
        self == .resident ? .resident : .organization
    }
}

/// `fail --route`: the routes the parties were told of (Art 26).
enum RouteArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case arbitration, administrative, judicial

    var route: Gongzhi_Mediation_V1_Route {
        switch self {
        case .arbitration: .arbitration
        case .administrative: .administrative
        case .judicial: .judicial
        }
    }
}

/// `performance … performed|partly|missed`.
enum PerformanceOutcomeArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case performed, partly, missed

    var outcome: Gongzhi_Mediation_V1_Performance.Outcome {
        switch self {
        case .performed: .performed
        case .partly: .partly
        case .missed: .missed
        }
    }
}

/// `court … accepted|extended|confirmed|refused`.
enum CourtStepArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case accepted, extended, confirmed, refused

    var step: Gongzhi_Mediation_V1_RecordCourtDecisionRequest.Step {
        switch self {
        case .accepted: .accepted
        case .extended: .extended
        case .confirmed: .confirmed
        case .refused: .refused
        }
    }
}

extension String {
    /// Without spaces at either end.
    var trimmedSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
