import GongzhiControl
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas

/// What the grid commands print for people. Pure: the time comes in as a `TimeStyle`.
enum GridOutput {
    // MARK: Locate and report

    static func located(_ response: Gongzhi_Grid_V1_LocateResponse) -> String {
        TextLayout.fields([
            ("grid", [text(response.gridCode)]),
            ("name", [text(response.gridName)]),
            ("community", [text(response.communityCode)]),
            ("street", [text(response.streetCode)]),
        ])
    }

    static func reported(_ response: Gongzhi_Grid_V1_ReportResponse, time: TimeStyle) -> String {
        let c = response.case
        let outcome =
            if response.created {
                "Opened case \(c.id)."
            } else if response.duplicate {
                "Joined open case \(c.id) as a duplicate report (the same matter, reported nearby and recently)."
            } else {
                "Case \(c.id) was opened by an earlier report with this idempotency key; nothing new was recorded."
            }
        return outcome + "\n"
            + TextLayout.fields([
                ("case", [c.id]),
                ("state", [state(c.state)]),
                ("category", [category(c)]),
                ("grid", [text(c.gridCode)]),
                ("tier", [tier(c.tier)]),
                ("assignee", [assignee(c)]),
                ("deadline", [deadline(c, time: time)]),
            ])
    }

    // MARK: The verbs

    /// The case after a step, in one line: `C1 dispatched to worker 王芳, due 2026-11-23 10:00 (in 1d)`.
    static func stepped(_ c: Gongzhi_Grid_V1_Case, time: TimeStyle) -> String {
        let line: String
        switch c.state {
        case .reported:
            line = "\(c.id) reported in grid \(text(c.gridCode))"
        case .registered where c.history.last?.action == .reopen:
            line =
                "\(c.id) reopened (the reporter says it is not fixed): registered at the \(tier(c.tier)) tier, "
                + "to be dispatched again"
        case .registered:
            line = "\(c.id) registered at the \(tier(c.tier)) tier"
        case .rejected:
            line = "\(c.id) rejected: \(text(c.rejectionReason))"
        case .dispatched:
            line = "\(c.id) dispatched to \(assignee(c)), \(due(c, time: time))"
        case .inProgress:
            line = "\(c.id) in progress with \(assignee(c)), \(due(c, time: time))"
        case .handled:
            line = "\(c.id) handled by \(text(c.handler))" + (c.handledLate ? ", after the deadline" : ", in time")
        case .verified:
            line = "\(c.id) verified"
        case .closed where c.history.last?.action == .mediationConcluded:
            line = "\(c.id) closed by mediation (dispute \(text(c.mediation.disputeID))): \(text(c.mediation.outcome))"
        case .closed:
            line = "\(c.id) closed at the \(tier(c.closedTier)) tier"
        case .evaluated:
            line = "\(c.id) evaluated: \(satisfaction(c.satisfaction))"
        default:
            line = "\(c.id) \(state(c.state))"
        }
        return TextLayout.oneLine(line) + "\n"
    }

    // MARK: List and show

    static func list(_ response: Gongzhi_Grid_V1_ListCasesResponse, time: TimeStyle) -> String {
        var text = ""
        if !response.cases.isEmpty {
            text += TextLayout.table(
                header: ["ID", "STATE", "CATEGORY", "GRID", "TIER", "ASSIGNEE", "DEADLINE", "REPORTED"],
                rows: response.cases.map { c in
                    [
                        c.id, state(c.state), category(c), self.text(c.gridCode), tier(c.tier), assignee(c),
                        deadline(c, time: time), time.relative(c.reporter.reportedAtMs),
                    ]
                }
            )
        }
        let count = response.cases.count
        var footer =
            count == 0 && response.total == 0
            ? "no cases match"
            : "\(grouped(count)) of \(grouped(Int(response.total))) " + (response.total == 1 ? "case" : "cases")
        if !response.nextPageToken.isEmpty {
            footer += "; the next page: --page \(response.nextPageToken)"
        }
        return text + (text.isEmpty ? "" : "\n") + footer + "\n"
    }

    static func detail(_ c: Gongzhi_Grid_V1_Case, time: TimeStyle) -> String {
        let r = c.reporter
        var fields: [(key: String, values: [String])] = [
            ("id", [c.id]),
            ("state", [state(c.state)]),
            ("category", [category(c) + (c.categoryType == .unspecified ? "" : " (\(categoryType(c.categoryType)))")]),
            ("source", [source(c.source)]),
            ("description", [self.text(c.description_p)]),
            ("location", [c.hasLocation ? "\(c.location.longitude),\(c.location.latitude)" : "-"]),
            ("grid", [self.text(c.gridCode)]),
            ("community", [self.text(c.communityCode)]),
            ("street", [self.text(c.streetCode)]),
            ("tier", [tier(c.tier)]),
            ("reporter", [reporter(r)]),
            ("reported", [time.timestampAndRelative(r.reportedAtMs)]),
            ("reported by", [self.text(r.principal)]),
            ("idempotency key", [self.text(r.idempotencyKey)]),
            ("media", c.media),
            ("assignee", [assignee(c)]),
            ("deadline", [c.deadlineMs == 0 ? "-" : "\(short(c.deadlineMs, time: time)) (\(deadline(c, time: time)))"]),
            ("dispatched", [time.timestampAndRelative(c.dispatchedAtMs)]),
            ("handler", [self.text(c.handler)]),
            ("handling notes", [self.text(c.handlingNotes)]),
            (
                "handled",
                [
                    c.handledAtMs == 0
                        ? "-" : time.timestamp(c.handledAtMs) + (c.handledLate ? " (after the deadline)" : " (in time)")
                ]
            ),
            ("rejection reason", [self.text(c.rejectionReason)]),
            ("closed", [time.timestampAndRelative(c.closedAtMs)]),
            ("closed at tier", [c.closedTier == .unspecified ? "-" : tier(c.closedTier)]),
            ("satisfaction", [c.satisfaction == .unspecified ? "-" : satisfaction(c.satisfaction)]),
            ("evaluation comment", [self.text(c.evaluationComment)]),
            ("reopened", [c.reopened == 0 ? "never" : c.reopened == 1 ? "once" : "\(c.reopened) times"]),
            ("created", [time.timestampAndRelative(c.createdAtMs)]),
        ]
        if c.hasMediation {
            let m = c.mediation
            fields.append(
                (
                    "mediation",
                    m.concludedAtMs == 0
                        ? [
                            "waits on dispute \(self.text(m.disputeID)) since \(time.timestampAndRelative(m.handedAtMs)) "
                                + "(gongzhictl mediation summary \(m.disputeID))"
                        ]
                        : [
                            "dispute \(self.text(m.disputeID)) ended \(self.text(m.disputeState)) "
                                + "\(time.timestampAndRelative(m.concludedAtMs)): \(self.text(m.outcome))"
                        ]
                )
            )
        }
        if !c.fromDisputeID.isEmpty {
            fields.append(("from dispute", ["\(c.fromDisputeID) (a mediation agreement's missed obligation)"]))
        }
        var text = TextLayout.fields(fields)
        text += "\nHistory:\n"
        text +=
            c.history.isEmpty
            ? "  none\n"
            : TextLayout.table(
                header: ["WHEN", "ACTION", "FROM → TO", "ACTOR", "NOTE"],
                rows: c.history.map { step in
                    [
                        time.timestamp(step.atMs), action(step.action),
                        "\(step.from == .unspecified ? "-" : state(step.from)) → \(state(step.to))",
                        self.text(step.actor), self.text(step.note),
                    ]
                }
            )
        text += "\nEscalations:\n"
        text +=
            c.escalations.isEmpty
            ? "  none\n"
            : TextLayout.table(
                header: ["WHEN", "FROM → TO", "MISSED DEADLINE"],
                rows: c.escalations.map { escalation in
                    [
                        time.timestamp(escalation.atMs), "\(tier(escalation.from)) → \(tier(escalation.to))",
                        time.timestamp(escalation.deadlineMs),
                    ]
                }
            )
        text += "\nAlso reported by:\n"
        text +=
            c.alsoReportedBy.isEmpty
            ? "  none\n"
            : TextLayout.table(
                header: ["REPORTED", "REPORTER", "SOURCE", "BY"],
                rows: c.alsoReportedBy.map { other in
                    [
                        time.timestamp(other.reportedAtMs), reporter(other), source(other.source),
                        self.text(other.principal),
                    ]
                }
            )
        return text
    }

    // MARK: Stats and categories

    static func stats(_ response: Gongzhi_Grid_V1_StatsResponse) -> String {
        let rows = response.rows + [response.all]
        return TextLayout.table(
            header: [
                "REGION", "TOTAL", "OPEN", "OVERDUE", "CLOSED", "IN GRID %", "ON TIME %", "MEDIAN HANDLING",
                "SATISFACTION %", "ESCALATED",
            ],
            rows: rows.enumerated().map { index, row in
                let handled = row.medianHandlingMs > 0
                return [
                    index == rows.count - 1 ? "ALL" : text(row.regionCode),
                    grouped(Int(row.total)), grouped(Int(row.open)), grouped(Int(row.overdue)),
                    grouped(Int(row.closed)),
                    row.closed == 0 ? "-" : percent(row.closedInGrid),
                    handled ? percent(row.onTime) : "-",
                    handled ? TimeStyle.duration(seconds: row.medianHandlingMs / 1000) : "-",
                    row.evaluated == 0 ? "-" : "\(percent(row.satisfaction)) of \(grouped(Int(row.evaluated)))",
                    grouped(Int(row.escalated)),
                ]
            }
        )
    }

    static func categories(_ response: Gongzhi_Grid_V1_ListCategoriesResponse) -> String {
        TextLayout.table(
            header: ["CODE", "NAME", "TYPE", "TIER", "DEADLINE", "AUTO"],
            rows: response.categories.map { category in
                [
                    category.code, text(category.name), categoryType(category.type), tier(category.tier),
                    category.deadlineMinutes == 0
                        ? "-" : TimeStyle.duration(seconds: Int64(category.deadlineMinutes) * 60),
                    category.autoDispatch ? "yes" : "no",
                ]
            }
        )
            + "\nA report of the same category within \(number(response.duplicateRadiusM)) m and "
            + "\(TimeStyle.duration(seconds: Int64(response.duplicateWindowMinutes) * 60)) of an open case "
            + "joins that case as a duplicate.\n"
    }

    // MARK: Pieces

    // The words are the workflow's own (GongzhiGrid); "-" where a value is not set.

    /// `in-progress`, as `--state` takes it.
    static func state(_ state: Gongzhi_Grid_V1_CaseState) -> String { state == .unspecified ? "-" : state.label }

    static func tier(_ tier: Gongzhi_Grid_V1_Tier) -> String { tier == .unspecified ? "-" : tier.wording }

    static func source(_ source: Gongzhi_Grid_V1_Source) -> String { source == .unspecified ? "-" : source.wording }

    static func satisfaction(_ satisfaction: Gongzhi_Grid_V1_Satisfaction) -> String {
        satisfaction == .unspecified ? "-" : satisfaction.wording
    }

    /// The verb as the command is named: `send-back`.
    static func action(_ action: Gongzhi_Grid_V1_Action) -> String { action == .unspecified ? "-" : action.label }

    static func categoryType(_ type: Gongzhi_Grid_V1_CategoryType) -> String {
        type == .unspecified ? "-" : type.wording
    }

    /// `E0101 暴露垃圾`.
    static func category(_ c: Gongzhi_Grid_V1_Case) -> String {
        if c.categoryName.isEmpty { return text(c.categoryCode) }
        return "\(c.categoryCode) \(c.categoryName)"
    }

    /// `worker 王芳`, `team 绿城物业 (P-0007)`; `-` before the case is dispatched.
    static func assignee(_ c: Gongzhi_Grid_V1_Case) -> String {
        guard c.hasAssignee, c.assignee.kind != .unspecified || !c.assignee.id.isEmpty else { return "-" }
        let kind =
            switch c.assignee.kind {
            case .gridWorker: "worker"
            case .partnerTeam: "team"
            case .department: "department"
            default: "assignee"
            }
        let name = c.assignee.name.isEmpty ? c.assignee.id : c.assignee.name
        return name == c.assignee.id || c.assignee.id.isEmpty ? "\(kind) \(name)" : "\(kind) \(name) (\(c.assignee.id))"
    }

    /// The DEADLINE column: `in 3h`, `overdue 2h`; once handled, whether it was in time; `-` without one.
    static func deadline(_ c: Gongzhi_Grid_V1_Case, time: TimeStyle) -> String {
        guard c.deadlineMs != 0 else { return "-" }
        if c.handledAtMs != 0 { return c.handledLate ? "handled late" : "handled in time" }
        let seconds = (c.deadlineMs - time.nowMs) / 1000
        if seconds > 0 { return "in \(largestUnit(seconds))" }
        return "overdue \(largestUnit(-seconds))"
    }

    /// `due 2026-11-23 10:00 (in 1d)`, `due 2026-11-21 13:00 (overdue 2h)`.
    static func due(_ c: Gongzhi_Grid_V1_Case, time: TimeStyle) -> String {
        guard c.deadlineMs != 0 else { return "no deadline" }
        return "due \(short(c.deadlineMs, time: time)) (\(deadline(c, time: time)))"
    }

    /// `2026-11-23 10:00` in local time.
    static func short(_ ms: Int64, time: TimeStyle) -> String {
        let stamp = Array(time.timestamp(ms))
        guard stamp.count >= 16 else { return String(stamp) }
        return String(stamp[0..<10]) + " " + String(stamp[11..<16])
    }

    /// `王芳 13800000000 (resident R-1)`; `-` when nobody is named.
    static func reporter(_ reporter: Gongzhi_Grid_V1_Reporter) -> String {
        var parts: [String] = []
        if !reporter.name.isEmpty { parts.append(reporter.name) }
        if !reporter.phone.isEmpty { parts.append(reporter.phone) }
        if !reporter.residentID.isEmpty { parts.append("(resident \(reporter.residentID))") }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }

    /// A share 0…1 as a whole percentage, or with one decimal below 10%: `87%`, `4.5%`.
    static func percent(_ share: Double) -> String {
        guard share.isFinite else { return "-" }
        let tenths = (share * 1000).rounded()
        if tenths >= 100 || tenths == 0 { return "\(Int64((share * 100).rounded()))%" }
        return "\(Int64(tenths) / 10).\(Int64(tenths) % 10)%"
    }

    /// `2h` for 2h 5m: one unit, for narrow columns.
    static func largestUnit(_ seconds: Int64) -> String {
        let full = TimeStyle.duration(seconds: seconds)
        return String(full.prefix { $0 != " " })
    }

    /// `-` for an empty value.
    static func text(_ value: String) -> String { value.isEmpty ? "-" : value }

    static func grouped(_ number: Int) -> String { TextLayout.grouped(number) }

    /// A number without a trailing ".0" when it is whole.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
