import GongzhiCalendar
import GongzhiControl
import GongzhiMediation
import GongzhiMediationSchemas

/// What the mediation commands print for people. Pure: the time comes in as a `TimeStyle` (its now); dates and
/// times are shown in China Standard Time, the calendar the law's periods are counted in.
enum MediationOutput {
    // MARK: Opening and steps

    /// A dispute just opened (apply, hand-off), or answered again for a retried application.
    static func opened(_ d: Gongzhi_Mediation_V1_Dispute, time: TimeStyle) -> String {
        let what = "\(text(d.title)) (\(type(d.type)))"
        let outcome: String
        if d.history.count > 1 || d.state != .applied {
            outcome = "Dispute \(d.id) was opened earlier with this key: \(what), now \(d.state.wording)."
        } else if d.source == .gridCase {
            outcome =
                "Handed grid case \(d.referralID) to mediation: dispute \(d.id), \(what), applied in \(d.placeCode)."
        } else {
            outcome = "Opened dispute \(d.id): \(what), applied in \(d.placeCode)."
        }
        var fields: [(key: String, values: [String])] = [
            ("parties", [d.parties.map(partyLabel).joined(separator: ", ")])
        ]
        if d.state == .applied {
            let consents = d.parties.map { "--consent \($0.id)" }.joined(separator: " ")
            fields.append(
                ("next", ["accept it with every party's answer: gongzhictl mediation accept \(d.id) \(consents)"])
            )
        } else if let clock = nextClock(d, time: time) {
            fields.append(("next", [clock]))
        }
        return TextLayout.oneLine(outcome) + "\n" + TextLayout.fields(fields)
    }

    /// The dispute after a step, from its last history entry:
    /// `MD-1: accept, applied → accepted (by 李强)` and the next deadline.
    static func stepped(_ d: Gongzhi_Mediation_V1_Dispute, time: TimeStyle) -> String {
        guard let last = d.history.last else { return "\(d.id): \(d.state.wording)\n" }
        let states = last.from == last.to ? last.to.wording : "\(last.from.wording) → \(last.to.wording)"
        var line = "\(d.id): \(last.action.wording), \(states) (by \(text(last.actor)))"
        if !last.note.isEmpty { line += ": \(last.note)" }
        var out = TextLayout.oneLine(line) + "\n"
        if let clock = nextClock(d, time: time) { out += "next: \(clock)\n" }
        return out
    }

    /// The earliest running clock, `mediation to finish by 2025-12-21 (in 29d 1h)`; nil when none runs.
    static func nextClock(_ d: Gongzhi_Mediation_V1_Dispute, time: TimeStyle) -> String? {
        guard let clock = LegalClocks(d).clocks.first else { return nil }
        return "\(clock.description) (\(remaining(clock.deadlineMs, time: time)))"
    }

    // MARK: Check and documents

    static func checked(_ response: Gongzhi_Mediation_V1_CheckAgreementResponse) -> String {
        let problems = response.problems
        guard !problems.isEmpty else { return "the checker found no problems: the agreement may be signed\n" }
        return "the checker found \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n"
            + problems.map { "  - \(TextLayout.oneLine($0))\n" }.joined()
    }

    /// What `package` says once it wrote the file: where, the last day to apply, and the parties.
    static func packaged(
        _ package: Gongzhi_Mediation_V1_ConfirmationPackageResponse,
        disputeID: String,
        file: String,
        court: String,
        time: TimeStyle
    ) -> String {
        var out =
            "wrote the confirmation package of \(disputeID) to \(file): the joint application to \(court) "
            + "(司法确认申请书) and the agreement; it holds personal data\n"
        if package.applyByMs != 0 {
            out += "apply by \(ChinaTime.lastDay(package.applyByMs)) (\(remaining(package.applyByMs, time: time)))\n"
        }
        guard !package.parties.isEmpty else { return out }
        return out + "\n"
            + TextLayout.table(
                header: ["PARTY", "ROLE", "NAME", "ID NUMBER", "ADDRESS", "PHONE", "REPRESENTATIVE"],
                rows: package.parties.map { p in
                    [
                        p.id, role(p.role), text(p.name), text(p.idNumber), text(p.address), text(p.phone),
                        text(p.representative),
                    ]
                }
            )
    }

    // MARK: Lists

    static func list(_ response: Gongzhi_Mediation_V1_ListDisputesResponse, time: TimeStyle) -> String {
        var out = ""
        if !response.disputes.isEmpty {
            out = TextLayout.table(
                header: ["ID", "STATE", "TYPE", "TITLE", "PLACE", "PARTIES", "MEDIATORS", "APPLIED", "NEXT DEADLINE"],
                rows: response.disputes.map { d in
                    [
                        d.id, state(d.state), type(d.type), text(d.title), text(d.placeCode),
                        list(d.parties.map { text($0.name) }), list(d.mediators.map(mediatorName)),
                        ChinaTime.minute(d.appliedAtMs), nextDeadline(d, time: time),
                    ]
                }
            )
        }
        return out + (out.isEmpty ? "" : "\n")
            + footer(response.disputes.count, noun: "dispute", next: response.nextPageToken)
    }

    static func summaries(_ response: Gongzhi_Mediation_V1_ListSummariesResponse, time: TimeStyle) -> String {
        var out = ""
        if !response.summaries.isEmpty {
            out = TextLayout.table(
                header: ["ID", "STATE", "TYPE", "TITLE", "PLACE", "LEVEL", "MEDIATORS", "APPLIED", "NEXT DEADLINE"],
                rows: response.summaries.map { s in
                    [
                        s.id, state(s.state), type(s.type), text(s.title), text(s.placeCode), level(s.level),
                        list(s.mediatorNames), ChinaTime.minute(s.appliedAtMs), summaryDeadline(s, time: time),
                    ]
                }
            )
        }
        return out + (out.isEmpty ? "" : "\n")
            + footer(response.summaries.count, noun: "dispute", next: response.nextPageToken)
    }

    static func summary(_ s: Gongzhi_Mediation_V1_DisputeSummary, time: TimeStyle) -> String {
        TextLayout.fields([
            ("id", [s.id]),
            ("title", [text(s.title)]),
            ("state", [stateInWords(s.state)]),
            ("type", [typeInWords(s.type)]),
            ("source", [source(s.source)]),
            ("referral", [text(s.referralID)]),
            ("place", [text(s.placeCode)]),
            ("grid", [text(s.gridCode)]),
            ("community", [text(s.communityCode)]),
            ("street", [text(s.streetCode)]),
            ("building", [text(s.buildingID)]),
            ("compound", [text(s.compound)]),
            ("level", [level(s.level)]),
            ("mediators", s.mediatorNames),
            ("applied", [ChinaTime.minute(s.appliedAtMs)]),
            ("accepted", [ChinaTime.minute(s.acceptedAtMs)]),
            ("closed", [ChinaTime.minute(s.closedAtMs)]),
            ("next deadline", [summaryDeadline(s, time: time)]),
        ])
    }

    static func due(_ response: Gongzhi_Mediation_V1_DueResponse, withinHours: UInt32, time: TimeStyle) -> String {
        let window = TimeStyle.duration(seconds: Int64(withinHours) * 3600)
        guard !response.clocks.isEmpty else { return "nothing is overdue or due within \(window)\n" }
        let overdue = response.clocks.filter(\.overdue).count
        return TextLayout.table(
            header: ["DISPUTE", "TITLE", "PLACE", "CLOCK", "DEADLINE", "WHAT"],
            rows: response.clocks.map { c in
                [
                    c.disputeID, text(c.title), text(c.placeCode), clockKind(c.kind, obligation: c.obligationID),
                    deadline(c.deadlineMs, overdue: c.overdue, time: time), text(c.description_p),
                ]
            }
        )
            + "\n\(grouped(response.clocks.count)) clock\(response.clocks.count == 1 ? "" : "s") overdue or due "
            + "within \(window) (\(grouped(overdue)) overdue)\n"
    }

    static func stats(_ r: Gongzhi_Mediation_V1_StatsResponse) -> String {
        let median =
            r.medianDaysToAgreement > 0 || r.resolved > 0
            ? "\(decimal(r.medianDaysToAgreement)) days" : "-"
        var out = TextLayout.fields([
            ("disputes", [grouped(Int(r.disputes))]),
            ("concluded", [grouped(Int(r.concluded))]),
            ("resolved", [grouped(Int(r.resolved))]),
            ("resolution rate", [r.concluded == 0 ? "-" : percent(r.resolutionRate)]),
            (
                "settled at community or below",
                [r.resolved == 0 ? "-" : percent(r.shareSettledAtCommunityOrBelow)]
            ),
            (
                "median days to agreement",
                [median + " (national court mediation platform: \(decimal(r.nationalAverageDays)) days)"]
            ),
            (
                "performed on time",
                [
                    r.agreementsDue == 0
                        ? "-"
                        : "\(grouped(Int(r.agreementsPerformedOnTime))) of \(grouped(Int(r.agreementsDue))) "
                            + "agreements due (\(percent(r.performedOnTimeRate)))"
                ]
            ),
        ])
        for (title, counts, key) in [
            ("Repeat disputes by building", r.repeatsByBuilding, "BUILDING"),
            ("Repeat disputes by compound", r.repeatsByCompound, "COMPOUND"),
            ("By type", r.byType, "TYPE"),
        ] {
            out += "\n\(title):\n"
            out +=
                counts.isEmpty
                ? "  none\n"
                : TextLayout.table(
                    header: [key, "DISPUTES"],
                    rows: counts.map { [text($0.key), grouped(Int($0.disputes))] }
                )
        }
        return out
    }

    /// The note for an answer from which the host removed personal data.
    static func withheldNote(_ fields: [String]) -> String {
        "the host withheld personal data from the answer: \(fields.joined(separator: ", ")) (reading it needs a "
            + "role that shows personal data where the dispute lies, such as mediator, or the personal-data grant)"
    }

    // MARK: Pieces

    /// `N disputes` (or `no disputes match`), and the next page's token.
    private static func footer(_ count: Int, noun: String, next: String) -> String {
        var footer = count == 0 ? "no \(noun)s match" : "\(grouped(count)) \(noun)\(count == 1 ? "" : "s")"
        if !next.isEmpty { footer += "; the next page: --page \(next)" }
        return footer + "\n"
    }

    /// The NEXT DEADLINE column: `by 2025-12-21 (in 29d)`, `by 2025-12-21 (overdue 2d)`; `-` without a clock.
    static func nextDeadline(_ d: Gongzhi_Mediation_V1_Dispute, time: TimeStyle) -> String {
        guard let clock = LegalClocks(d).clocks.first else { return "-" }
        return deadline(clock.deadlineMs, overdue: time.nowMs >= clock.deadlineMs, time: time)
    }

    private static func summaryDeadline(_ s: Gongzhi_Mediation_V1_DisputeSummary, time: TimeStyle) -> String {
        guard s.nextDeadlineMs != 0 else { return s.overdue ? "overdue" : "-" }
        return deadline(s.nextDeadlineMs, overdue: s.overdue || time.nowMs >= s.nextDeadlineMs, time: time)
    }

    /// `by 2025-12-21 (in 29d)` or `by 2025-12-21 (overdue 2d)`.
    static func deadline(_ ms: Int64, overdue: Bool, time: TimeStyle) -> String {
        let seconds = (ms - time.nowMs) / 1000
        let when = overdue || seconds <= 0 ? "overdue \(largestUnit(max(0, -seconds)))" : "in \(largestUnit(seconds))"
        return "by \(ChinaTime.lastDay(ms)) (\(when))"
    }

    /// `in 29d 1h` or `overdue 2d 3h`.
    static func remaining(_ ms: Int64, time: TimeStyle) -> String {
        let seconds = (ms - time.nowMs) / 1000
        return seconds > 0
            ? "in \(TimeStyle.duration(seconds: seconds))" : "overdue \(TimeStyle.duration(seconds: -seconds))"
    }

    /// `2d` for 2d 5h: one unit, for narrow columns.
    private static func largestUnit(_ seconds: Int64) -> String {
        String(TimeStyle.duration(seconds: seconds).prefix { $0 != " " })
    }

    /// `mediation`, `confirmation window`, `obligation o1`.
    static func clockKind(_ kind: Gongzhi_Mediation_V1_ClockKind, obligation: String = "") -> String {
        switch kind {
        case .mediation: "mediation"
        case .confirmationWindow: "confirmation window"
        case .courtAcceptance: "court acceptance"
        case .courtDecision: "court decision"
        case .obligation: obligation.isEmpty ? "obligation" : "obligation \(obligation)"
        case .unspecified, .UNRECOGNIZED: "-"
        }
    }

    /// `agreement-drafted`, as `--state` takes it.
    static func state(_ state: Gongzhi_Mediation_V1_DisputeState) -> String {
        DisputeStateArgument(state)?.rawValue ?? "-"
    }

    /// `mediating (调解中)`.
    static func stateInWords(_ state: Gongzhi_Mediation_V1_DisputeState) -> String {
        let chinese: String =
            switch state {
            case .applied: "申请"
            case .accepted: "受理"
            case .mediating: "调解中"
            case .agreementDrafted: "协议拟定"
            case .agreed: "协议生效"
            case .performed: "履行完毕"
            case .failed: "调解不成"
            case .refused: "当事人拒绝调解"
            case .declined: "不予受理"
            case .unspecified, .UNRECOGNIZED: ""
            }
        return chinese.isEmpty ? "-" : "\(state.wording) (\(chinese))"
    }

    /// `property-service`, as `--type` takes it.
    static func type(_ type: Gongzhi_Mediation_V1_DisputeType) -> String {
        DisputeTypeArgument(type)?.rawValue ?? "-"
    }

    /// `neighbour (邻里)`.
    static func typeInWords(_ type: Gongzhi_Mediation_V1_DisputeType) -> String {
        let chinese: String =
            switch type {
            case .family: "婚姻家庭"
            case .neighbour: "邻里"
            case .propertyService: "物业"
            case .renovation: "装修"
            case .propertyRights: "房屋产权、土地、相邻权"
            case .labour: "劳动、劳务"
            case .other: "其他"
            case .unspecified, .UNRECOGNIZED: ""
            }
        return chinese.isEmpty ? "-" : "\(Self.type(type)) (\(chinese))"
    }

    static func source(_ source: Gongzhi_Mediation_V1_DisputeSource) -> String {
        switch source {
        case .application: "application (当事人申请)"
        case .initiative: "initiative (主动调解)"
        case .gridCase: "grid case (网格案件移交)"
        case .police: "police (公安机关移送)"
        case .court: "court (法院委派)"
        case .unspecified, .UNRECOGNIZED: "-"
        }
    }

    static func level(_ level: Gongzhi_Mediation_V1_MediationLevel) -> String {
        MediationLevelArgument(level)?.rawValue ?? "-"
    }

    static func role(_ role: Gongzhi_Mediation_V1_PartyRole) -> String {
        switch role {
        case .applicant: "applicant"
        case .respondent: "respondent"
        case .other: "other"
        case .unspecified, .UNRECOGNIZED: "-"
        }
    }

    /// `p1 张伟 (applicant)`.
    static func partyLabel(_ party: Gongzhi_Mediation_V1_Party) -> String {
        "\(party.id) \(text(party.name)) (\(role(party.role)))"
    }

    static func mediatorName(_ mediator: Gongzhi_Mediation_V1_Mediator) -> String {
        mediator.name.isEmpty ? mediator.personID : mediator.name
    }

    /// `a, b`; `-` for none.
    static func list(_ items: [String]) -> String { items.isEmpty ? "-" : items.joined(separator: ", ") }

    /// A share 0…1 as a whole percentage, or with one decimal below 10%: `87%`, `4.5%`.
    static func percent(_ share: Double) -> String {
        guard share.isFinite else { return "-" }
        let tenths = (share * 1000).rounded()
        if tenths >= 100 || tenths == 0 { return "\(Int64((share * 100).rounded()))%" }
        return "\(Int64(tenths) / 10).\(Int64(tenths) % 10)%"
    }

    /// A number with at most two decimals, without trailing zeros: `12.5`, `23.33`, `9`.
    static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let hundredths = Int64((value * 100).rounded())
        let whole = "\(hundredths / 100)"
        let fraction = hundredths % 100
        if fraction == 0 { return whole }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `-` for an empty value.
    static func text(_ value: String) -> String { value.isEmpty ? "-" : value }

    static func grouped(_ number: Int) -> String { TextLayout.grouped(number) }
}

/// Moments as a committee reads them: in China Standard Time, whatever the machine's time zone.
enum ChinaTime {
    /// `2025-11-21 23:00`; `-` for 0.
    static func minute(_ ms: Int64) -> String {
        guard ms != 0 else { return "-" }
        let secondOfDay = ChinaCalendar.floorMod(ms + ChinaCalendar.offsetMs, ChinaCalendar.dayMs) / 1000
        return "\(ChinaCalendar.dateText(at: ms)) \(pad(secondOfDay / 3600)):\(pad(secondOfDay % 3600 / 60))"
    }

    /// The last day of a deadline given as the first moment past it: `2025-12-21`.
    static func lastDay(_ deadlineMs: Int64) -> String {
        ChinaCalendar.dateText(at: deadlineMs - 1)
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
