import GongzhiControl
import GongzhiMediation
import GongzhiMediationSchemas

/// `mediation show`: a dispute with its parties, mediators, sessions and their records, the agreement, the
/// confirmation, the clocks and the whole history, one step a line. Fields the host withheld read `withheld`,
/// and the block at the top names them.
struct DisputeDetail {
    let dispute: Gongzhi_Mediation_V1_Dispute
    /// The paths of the fields the host removed (`facts`, `parties.phone`, …).
    let withheld: Set<String>

    init(_ dispute: Gongzhi_Mediation_V1_Dispute, withheld: [String]) {
        self.dispute = dispute
        self.withheld = Set(withheld)
    }

    func text(time: TimeStyle) -> String {
        let d = dispute
        var fields: [(key: String, values: [String])] = [
            ("id", [d.id]),
            ("title", [MediationOutput.text(d.title)]),
            ("state", [MediationOutput.stateInWords(d.state)]),
            ("type", [MediationOutput.typeInWords(d.type)]),
            ("source", [MediationOutput.source(d.source)]),
            ("referral", [MediationOutput.text(d.referralID)]),
            ("place", [MediationOutput.text(d.placeCode)]),
            ("grid", [MediationOutput.text(d.gridCode)]),
            ("community", [MediationOutput.text(d.communityCode)]),
            ("street", [MediationOutput.text(d.streetCode)]),
            ("building", [MediationOutput.text(d.buildingID)]),
            ("compound", [MediationOutput.text(d.compound)]),
            ("level", [MediationOutput.level(d.level)]),
            ("applied", [ChinaTime.minute(d.appliedAtMs)]),
            ("accepted", [ChinaTime.minute(d.acceptedAtMs)]),
            ("closed", [ChinaTime.minute(d.closedAtMs)]),
            ("idempotency key", [MediationOutput.text(d.idempotencyKey)]),
            ("facts", lines(d.facts, "facts")),
            ("narrative", lines(d.narrative, "narrative")),
        ]
        if !withheld.isEmpty {
            fields.append(
                (
                    "withheld",
                    [
                        withheld.sorted().joined(separator: ", "),
                        "(the host withheld this personal data: reading it needs a role that shows personal data "
                            + "where the dispute lies, such as mediator, or the personal-data grant)",
                    ]
                )
            )
        }
        var out = TextLayout.fields(fields)
        out += section("Parties", parties)
        out += section("Mediators", mediators)
        out += section("Sessions", sessions)
        out += section("Agreement", d.hasAgreement ? agreement(d.agreement, path: "agreement") : "")
        for (index, old) in d.supersededAgreements.enumerated() {
            out += section(
                "Superseded agreement \(index + 1) (the court refused to confirm it)",
                agreement(old, path: "superseded_agreements")
            )
        }
        if d.hasConfirmation && d.confirmation != Gongzhi_Mediation_V1_Confirmation() {
            out += section("Judicial confirmation", confirmation)
        }
        if d.hasFailure { out += section("Failure", failure) }
        if d.hasRefusal { out += section(d.state == .declined ? "Declined" : "Refusal", refusal) }
        if !d.extensions.isEmpty { out += section("Extensions", extensions) }
        if !d.followUps.isEmpty { out += section("Follow-up visits", followUps) }
        if !d.performances.isEmpty { out += section("Performance", performances) }
        out += section("Clocks", clocks(time: time))
        if !d.alerts.isEmpty { out += section("Alerts", alerts) }
        out += section("History", history)
        return out
    }

    // MARK: Sections

    private func section(_ title: String, _ body: String) -> String {
        "\n\(title):\n" + (body.isEmpty ? "  none\n" : body)
    }

    private var parties: String {
        let d = dispute
        guard !d.parties.isEmpty else { return "" }
        let answers = Dictionary(d.consents.map { ($0.partyID, $0) }, uniquingKeysWith: { first, _ in first })
        return TextLayout.table(
            header: [
                "PARTY", "ROLE", "KIND", "NAME", "RESIDENT/ORG", "HOUSEHOLD", "PHONE", "ADDRESS", "ID NUMBER",
                "CONSENT",
            ],
            rows: d.parties.map { p in
                [
                    p.id, MediationOutput.role(p.role), kind(p.kind),
                    MediationOutput.text(p.name) + (p.representative.isEmpty ? "" : " (by \(p.representative))"),
                    MediationOutput.text(p.kind == .organization ? p.organizationID : p.residentID),
                    MediationOutput.text(p.householdID), value(p.phone, "parties.phone"),
                    value(p.address, "parties.address"), value(p.idNumber, "parties.id_number"),
                    answers[p.id].map(consent) ?? "-",
                ]
            }
        )
    }

    private func consent(_ c: Gongzhi_Mediation_V1_Consent) -> String {
        var text = (c.consents ? "consents " : "refuses ") + ChinaTime.minute(c.atMs)
        if !c.note.isEmpty {
            text += ": \(c.note)"
        } else if withheld.contains("consents.note") {
            text += ": (note withheld)"
        }
        return text
    }

    private var mediators: String {
        guard !dispute.mediators.isEmpty else { return "" }
        return TextLayout.table(
            header: ["PERSON", "NAME", "APPOINTMENT", "CHOSEN BY", "ASSIGNED"],
            rows: dispute.mediators.map { m in
                [
                    m.personID, MediationOutput.text(m.name), appointment(m.appointment),
                    MediationOutput.list(m.chosenByPartyIds), ChinaTime.minute(m.assignedAtMs),
                ]
            }
        )
    }

    private var sessions: String {
        var out = ""
        for s in dispute.sessions {
            if !out.isEmpty { out += "\n" }
            out += indented(
                TextLayout.fields([
                    (
                        "session",
                        ["\(s.number), \(ChinaTime.minute(s.heldAtMs)) at \(MediationOutput.text(s.location))"]
                    ),
                    ("mediators", [MediationOutput.list(s.mediatorIds)]),
                    ("parties present", [MediationOutput.list(s.partyIds)]),
                    ("recorder", [MediationOutput.text(s.recorderID)]),
                    ("record", lines(s.record, "sessions.record")),
                ]),
                by: "  "
            )
        }
        return out
    }

    private func agreement(_ a: Gongzhi_Mediation_V1_Agreement, path: String) -> String {
        var out = indented(
            TextLayout.fields([
                ("number", [MediationOutput.text(a.number)]),
                ("parties", [MediationOutput.list(a.partyIds)]),
                ("drafted", [ChinaTime.minute(a.draftedAtMs)]),
                ("sealed", [a.sealedAtMs == 0 ? "-" : "\(ChinaTime.minute(a.sealedAtMs)) by \(a.sealedByID)"]),
                ("in effect", [a.effectiveAtMs == 0 ? "not yet" : ChinaTime.minute(a.effectiveAtMs)]),
                ("facts", lines(a.facts, "\(path).facts")),
                ("responsibilities", lines(a.responsibilities, "\(path).responsibilities")),
                ("terms", lines(a.terms, "\(path).terms")),
            ]),
            by: "  "
        )
        out += "  Matters:\n"
        out +=
            a.matters.isEmpty
            ? "    none\n"
            : a.matters.map {
                "    - \(TextLayout.oneLine(value($0.summary, "\(path).matters.summary"))) (\(matter($0.kind)))\n"
            }
            .joined()
        out += "  Obligations:\n"
        out +=
            a.obligations.isEmpty
            ? "    none\n"
            : indented(
                TextLayout.table(
                    header: ["ID", "PARTY", "WHAT", "HOW", "BY"],
                    rows: a.obligations.map { o in
                        [
                            o.id, o.partyID, value(o.content, "\(path).obligations.content"),
                            MediationOutput.text(o.method), o.deadlineMs == 0 ? "-" : ChinaTime.lastDay(o.deadlineMs),
                        ]
                    }
                ),
                by: "    "
            )
        out += "  Signatures:\n"
        out +=
            a.signatures.isEmpty
            ? "    none\n"
            : a.signatures.map { s in
                "    - \(s.role == .mediator ? "mediator" : "party") \(s.signerID), \(ChinaTime.minute(s.atMs))\n"
            }
            .joined()
        return out
    }

    private var confirmation: String {
        let c = dispute.confirmation
        let decision: String =
            switch c.decision {
            case .confirmed:
                "confirmed (确认有效) \(ChinaTime.minute(c.decidedAtMs)), \(MediationOutput.text(c.decisionNumber))"
            case .refused:
                "refused (不予确认) \(ChinaTime.minute(c.decidedAtMs)): \(value(c.refusalReason, "confirmation.refusal_reason"))"
            default: c.appliedAtMs == 0 ? "-" : "pending"
            }
        return indented(
            TextLayout.fields([
                ("parties told", [MediationOutput.list(c.informedPartyIds)]),
                (
                    "applied",
                    [
                        c.appliedAtMs == 0
                            ? "-" : "\(ChinaTime.minute(c.appliedAtMs)) to \(MediationOutput.text(c.court))"
                    ]
                ),
                ("court accepted", [ChinaTime.minute(c.courtAcceptedAtMs)]),
                ("court extended", [c.courtExtended ? "yes, by 10 days" : "no"]),
                ("decision", [decision]),
            ]),
            by: "  "
        )
    }

    private var failure: String {
        let f = dispute.failure
        return indented(
            TextLayout.fields([
                ("failed", [ChinaTime.minute(f.atMs)]),
                ("reason", lines(f.reason, "failure.reason")),
                ("routes told", [MediationOutput.list(f.routes.map(route))]),
                ("parties told", [MediationOutput.list(f.toldPartyIds)]),
            ]),
            by: "  "
        )
    }

    private var refusal: String {
        let r = dispute.refusal
        return indented(
            TextLayout.fields([
                ("by", [r.partyID.isEmpty ? "the committee" : "party \(r.partyID)"]),
                ("when", [ChinaTime.minute(r.atMs)]),
                ("reason", lines(r.reason, "refusal.reason")),
            ]),
            by: "  "
        )
    }

    private var extensions: String {
        TextLayout.table(
            header: ["WHEN", "DAYS", "CONSENTING", "REASON"],
            rows: dispute.extensions.map { e in
                [
                    ChinaTime.minute(e.atMs), "\(e.days)", MediationOutput.list(e.consentingPartyIds),
                    value(e.reason, "extensions.reason"),
                ]
            }
        )
    }

    private var followUps: String {
        TextLayout.table(
            header: ["WHEN", "ABOUT", "VISITOR", "FINDING"],
            rows: dispute.followUps.map { f in
                [
                    ChinaTime.minute(f.atMs), f.obligationID.isEmpty ? "the agreement" : "obligation \(f.obligationID)",
                    MediationOutput.text(f.visitorID), value(f.finding, "follow_ups.finding"),
                ]
            }
        )
    }

    private var performances: String {
        TextLayout.table(
            header: ["WHEN", "OBLIGATION", "OUTCOME", "GRID CASE", "NOTE"],
            rows: dispute.performances.map { p in
                [
                    ChinaTime.minute(p.atMs), p.obligationID, outcome(p.outcome), MediationOutput.text(p.gridCaseID),
                    value(p.note, "performances.note"),
                ]
            }
        )
    }

    private func clocks(time: TimeStyle) -> String {
        let running = LegalClocks(dispute).clocks
        guard !running.isEmpty else { return "" }
        return TextLayout.table(
            header: ["CLOCK", "DEADLINE", "WHAT"],
            rows: running.map { c in
                [
                    MediationOutput.clockKind(c.kind, obligation: c.obligationID),
                    MediationOutput.deadline(c.deadlineMs, overdue: time.nowMs >= c.deadlineMs, time: time),
                    c.description,
                ]
            }
        )
    }

    private var alerts: String {
        TextLayout.table(
            header: ["FOUND", "CLOCK", "DEADLINE", "WHAT"],
            rows: dispute.alerts.map { a in
                [
                    ChinaTime.minute(a.atMs), MediationOutput.clockKind(a.kind, obligation: a.obligationID),
                    ChinaTime.lastDay(a.deadlineMs), MediationOutput.text(a.description_p),
                ]
            }
        )
    }

    private var history: String {
        guard !dispute.history.isEmpty else { return "" }
        return TextLayout.table(
            header: ["WHEN", "ACTION", "FROM → TO", "BY", "NOTE"],
            rows: dispute.history.map { step in
                [
                    ChinaTime.minute(step.atMs), step.action.wording,
                    "\(step.from == .unspecified ? "-" : MediationOutput.state(step.from)) → \(MediationOutput.state(step.to))",
                    by(step), MediationOutput.text(step.note),
                ]
            }
        )
    }

    // MARK: Pieces

    /// The value, or `withheld` when it is empty because the host removed it, or `-`.
    private func value(_ text: String, _ path: String) -> String {
        if !text.isEmpty { return text }
        return withheld.contains(path) ? "withheld" : "-"
    }

    /// A text of several lines as the lines of a field.
    private func lines(_ text: String, _ path: String) -> [String] {
        guard !text.isEmpty else { return [value(text, path)] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.last == "\r" ? String(line.dropLast()) : String(line)
        }
    }

    /// Every line of `text` after `prefix`.
    private func indented(_ text: String, by prefix: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.map { "\(prefix)\($0)\n" }.joined()
    }

    /// `李强 (li-qiang)`, or the one that is set.
    private func by(_ step: Gongzhi_Mediation_V1_Transition) -> String {
        switch (step.actor.isEmpty, step.actorID.isEmpty) {
        case (true, true): "-"
        case (false, true): step.actor
        case (true, false): step.actorID
        case (false, false): step.actor == step.actorID ? step.actor : "\(step.actor) (\(step.actorID))"
        }
    }

    private func kind(_ kind: Gongzhi_Mediation_V1_PartyKind) -> String {
        switch kind {
        case .resident: "resident"
        case .organization: "organization"
        case .unspecified, .UNRECOGNIZED: "-"
        }
    }

    private func appointment(_ appointment: Gongzhi_Mediation_V1_Mediator.Appointment) -> String {
        switch appointment {
        case .assigned: "assigned (指定)"
        case .chosen: "chosen (选择)"
        case .unspecified, .UNRECOGNIZED: "-"
        }
    }

    private func matter(_ kind: Gongzhi_Mediation_V1_MatterKind) -> String {
        switch kind {
        case .civil: "civil"
        case .identity: "identity"
        case .adoption: "adoption"
        case .marriage: "marriage"
        case .unspecified, .UNRECOGNIZED: "kind not given"
        }
    }

    private func route(_ route: Gongzhi_Mediation_V1_Route) -> String {
        RouteArgument.allCases.first { $0.route == route }?.rawValue ?? "-"
    }

    private func outcome(_ outcome: Gongzhi_Mediation_V1_Performance.Outcome) -> String {
        switch outcome {
        case .performed: "performed"
        case .partly: "partly performed"
        case .missed: "missed"
        case .unspecified, .UNRECOGNIZED: "-"
        }
    }
}
