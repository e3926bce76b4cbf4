import GongzhiCalendar
import GongzhiMediationSchemas

extension DisputeProcedure {
    /// Judicial confirmation (法释〔2011〕5号): parties told of their right, the joint application within 30
    /// days of the agreement's effect, and the court's steps in their order.
    static func confirm(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        _ command: DisputeCommand,
        by actor: MediationActor,
        at nowMs: Int64,
        restDays: RestDays
    ) throws(MediationRefusal) {
        var c = d.confirmation
        let note: String
        switch command {
        case .informConfirmation(let partyIDs):
            if partyIDs.isEmpty {
                throw .invalidArgument("name the parties told of their right to judicial confirmation")
            }
            var told: [String] = []
            for id in partyIDs {
                told.append(label(try d.party(id)))
                if !c.informedPartyIds.contains(id) {
                    c.informedPartyIds.append(id)
                }
            }
            note = "told of the right to judicial confirmation: \(told.joined(separator: ", "))"
        case .applyForConfirmation(let court, let appliedAtMs):
            if c.appliedAtMs != 0 {
                throw .failedPrecondition(
                    "the parties of dispute \(d.id) already applied to \(c.court) for judicial confirmation"
                )
            }
            try checkText(court, "the court", limit: 200, required: true)
            let at = try pastTime(appliedAtMs, "the application's time", now: nowMs)
            let windowEnd = restDays.moved(LegalClocks.confirmationWindowEnd(effectiveAtMs: d.agreement.effectiveAtMs))
            if at >= windowEnd {
                throw .failedPrecondition(
                    "the 30 days to apply for judicial confirmation ended with "
                        + "\(ChinaCalendar.dateText(at: windowEnd - 1)) (Art 33): the parties may sue instead"
                )
            }
            c.appliedAtMs = at
            c.court = court
            note = "applied jointly to \(court)"
        case .recordCourtDecision(let step):
            if c.appliedAtMs == 0 {
                throw .failedPrecondition("the parties of dispute \(d.id) have not applied for judicial confirmation")
            }
            if c.decision != .unspecified {
                throw .failedPrecondition("the court has already decided on dispute \(d.id)'s agreement")
            }
            switch step {
            case .accepted(let atMs):
                if c.courtAcceptedAtMs != 0 {
                    throw .failedPrecondition("the court has already accepted the application")
                }
                c.courtAcceptedAtMs = try courtTime(atMs, after: c.appliedAtMs, now: nowMs)
                note = "the court accepted the application"
            case .extended(let atMs):
                if c.courtAcceptedAtMs == 0 {
                    throw .failedPrecondition(
                        "the court extends its time to decide only after accepting the application"
                    )
                }
                if c.courtExtended {
                    throw .failedPrecondition("the court's time to decide was already extended by 10 days")
                }
                _ = try courtTime(atMs, after: c.courtAcceptedAtMs, now: nowMs)
                c.courtExtended = true
                note = "the court extended its time to decide by 10 days"
            case .confirmed(let number, let atMs):
                if c.courtAcceptedAtMs == 0 {
                    throw .failedPrecondition("the court confirms an agreement only after accepting the application")
                }
                try checkText(number, "the decision's number (调确字)", limit: 100, required: true)
                c.decidedAtMs = try courtTime(atMs, after: c.courtAcceptedAtMs, now: nowMs)
                c.decision = .confirmed
                c.decisionNumber = number
                note = "confirmed: \(number)"
            case .refused(let reason, let atMs):
                try checkText(reason, "the court's reason", limit: maxNoteLength, required: true)
                c.decidedAtMs = try courtTime(atMs, after: c.appliedAtMs, now: nowMs)
                c.decision = .refused
                c.refusalReason = reason
                note = "the court refused to confirm: the parties may mediate again or sue"
            }
        default:
            return
        }
        d.confirmation = c
        d.record(command.action, from: d.state, by: actor, at: nowMs, note: note)
    }

    private static func courtTime(
        _ atMs: Int64,
        after earlier: Int64,
        now nowMs: Int64
    ) throws(MediationRefusal)
        -> Int64
    {
        let at = try pastTime(atMs, "the court's step", now: nowMs)
        if at < earlier {
            throw .invalidArgument("the court's step is dated before the step it follows")
        }
        return at
    }

    static func recordFollowUp(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        _ original: Gongzhi_Mediation_V1_FollowUp,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        var visit = original
        if !visit.obligationID.isEmpty {
            _ = try obligation(visit.obligationID, of: d)
        }
        try checkText(visit.finding, "the finding", limit: maxNoteLength, required: true)
        visit.atMs = try pastTime(visit.atMs, "the visit's time", now: nowMs)
        if visit.visitorID.isEmpty {
            visit.visitorID = actor.id
        }
        d.followUps.append(visit)
        let about = visit.obligationID.isEmpty ? "the agreement" : "obligation \(visit.obligationID)"
        d.record(.recordFollowUp, from: d.state, by: actor, at: nowMs, note: "follow-up visit on \(about)")
    }

    static func recordPerformance(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        _ original: Gongzhi_Mediation_V1_Performance,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        var record = original
        let owed = try obligation(record.obligationID, of: d)
        switch record.outcome {
        case .performed, .partly, .missed: break
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument("say whether obligation \(owed.id) was performed, partly performed or missed")
        }
        if d.performances.contains(where: { $0.obligationID == owed.id && $0.outcome == .performed }) {
            throw .failedPrecondition("obligation \(owed.id) is already recorded as performed")
        }
        if record.outcome == .missed, nowMs < owed.deadlineMs {
            throw .failedPrecondition(
                "obligation \(owed.id) is due by the end of \(ChinaCalendar.dateText(at: owed.deadlineMs - 1)): "
                    + "it cannot be missed before then"
            )
        }
        try checkText(record.note, "the note", limit: maxNoteLength)
        record.atMs = try pastTime(record.atMs, "the performance's time", now: nowMs)
        d.performances.append(record)
        let from = d.state
        let performed = Set(d.performances.filter { $0.outcome == .performed }.map(\.obligationID))
        var note: String
        switch record.outcome {
        case .performed: note = "obligation \(owed.id) performed"
        case .partly: note = "obligation \(owed.id) partly performed"
        default: note = "obligation \(owed.id) missed"
        }
        if record.outcome == .performed, record.atMs > owed.deadlineMs {
            note += ", late"
        }
        if d.agreement.obligations.allSatisfy({ performed.contains($0.id) }) {
            d.finish(.performed, at: nowMs)
            note += "; every obligation is performed"
        }
        d.record(.recordPerformance, from: from, by: actor, at: nowMs, note: note)
    }

    private static func obligation(
        _ id: String,
        of d: Gongzhi_Mediation_V1_Dispute
    ) throws(MediationRefusal)
        -> Gongzhi_Mediation_V1_Obligation
    {
        if let found = d.agreement.obligations.first(where: { $0.id == id }) {
            return found
        }
        throw .invalidArgument(
            "the agreement has no obligation \"\(id)\"; its obligations: "
                + d.agreement.obligations.map(\.id).joined(separator: ", ")
        )
    }
}
