import GongzhiCalendar
import GongzhiMediationSchemas

extension DisputeProcedure {
    static func accept(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        consents: [Gongzhi_Mediation_V1_Consent],
        note: String,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        var answered: Set<String> = []
        for consent in consents {
            let party = try d.party(consent.partyID)
            if !answered.insert(party.id).inserted {
                throw .invalidArgument("two answers from \(label(party)): give each party's answer once")
            }
        }
        let missing = d.parties.filter { !answered.contains($0.id) }
        if !missing.isEmpty {
            throw .invalidArgument(
                "acceptance records every party's consent; no answer from \(missing.map(label).joined(separator: ", "))"
            )
        }
        try checkText(note, "the note", limit: maxNoteLength)
        let from = d.state
        var recorded: [Gongzhi_Mediation_V1_Consent] = []
        for consent in consents {
            var c = consent
            c.atMs = try pastTime(c.atMs, "the consent of \(c.partyID)", now: nowMs)
            recorded.append(c)
        }
        d.consents = recorded
        if let refusing = recorded.first(where: { !$0.consents }) {
            let party = try d.party(refusing.partyID)
            d.refusal = .with {
                $0.partyID = party.id
                $0.reason = refusing.note
                $0.atMs = refusing.atMs
            }
            d.finish(.refused, at: nowMs)
            d.record(
                .accept,
                from: from,
                by: actor,
                at: nowMs,
                note: "\(label(party)) refused mediation; it may not be mediated (Art 17)"
            )
            return
        }
        d.state = .accepted
        d.acceptedAtMs = nowMs
        d.record(.accept, from: from, by: actor, at: nowMs, note: note)
    }

    static func assign(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        mediators: [Gongzhi_Mediation_V1_Mediator],
        profiles: [MediatorProfile],
        note: String,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        if mediators.isEmpty {
            throw .invalidArgument("name at least one mediator")
        }
        var added: [Gongzhi_Mediation_V1_Mediator] = []
        for original in mediators {
            var mediator = original
            let who = mediator.name.isEmpty ? mediator.personID : "\(mediator.name) (\(mediator.personID))"
            if mediator.personID.isEmpty {
                throw .invalidArgument("a mediator needs their Person id")
            }
            if d.mediators.contains(where: { $0.personID == mediator.personID })
                || added.contains(where: { $0.personID == mediator.personID })
            {
                throw .invalidArgument("mediator \(who) is named twice")
            }
            switch mediator.appointment {
            case .chosen:
                if mediator.chosenByPartyIds.isEmpty {
                    throw .invalidArgument("mediator \(who) is chosen by the parties: name who chose them")
                }
                for id in mediator.chosenByPartyIds {
                    _ = try d.party(id)
                }
            case .assigned:
                break
            case .unspecified, .UNRECOGNIZED:
                throw .invalidArgument(
                    "say whether mediator \(who) is assigned by the committee or chosen by the parties"
                )
            }
            guard let profile = profiles.first(where: { $0.personID == mediator.personID }) else {
                throw .invalidArgument(
                    "no profile for mediator \(who): their household and organisations are needed to rule out a conflict"
                )
            }
            for party in d.parties {
                if let conflict = profile.conflict(with: party) {
                    throw .failedPrecondition(
                        "mediator \(who) \(conflict): a party or a party's relation may not mediate; choose another"
                    )
                }
            }
            mediator.assignedAtMs = nowMs
            added.append(mediator)
        }
        try checkText(note, "the note", limit: maxNoteLength)
        let from = d.state
        d.mediators += added
        d.state = from == .accepted ? .mediating : from
        let names = added.map { $0.name.isEmpty ? $0.personID : $0.name }.joined(separator: ", ")
        d.record(.assignMediators, from: from, by: actor, at: nowMs, note: note.isEmpty ? names : "\(names). \(note)")
    }

    static func recordSession(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        _ original: Gongzhi_Mediation_V1_Session,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        var session = original
        let assigned = Set(d.mediators.map(\.personID))
        if !session.mediatorIds.contains(where: assigned.contains) {
            throw .failedPrecondition(
                "a session is held by an assigned mediator; dispute \(d.id)'s mediators: "
                    + d.mediators.map(\.personID).joined(separator: ", ")
            )
        }
        for id in session.partyIds {
            _ = try d.party(id)
        }
        try checkText(session.record, "the session's record", limit: maxRecordLength, required: true)
        session.heldAtMs = try pastTime(session.heldAtMs, "the session's time", now: nowMs)
        if session.heldAtMs < d.acceptedAtMs {
            throw .invalidArgument("the session's time is before dispute \(d.id) was accepted")
        }
        session.number = UInt32(d.sessions.count + 1)
        d.sessions.append(session)
        d.record(.recordSession, from: d.state, by: actor, at: nowMs, note: "session \(session.number)")
    }

    static func draft(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        _ original: Gongzhi_Mediation_V1_Agreement,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        if d.sessions.isEmpty {
            throw .failedPrecondition("dispute \(d.id) has had no session: record one before drafting an agreement")
        }
        let problems = AgreementChecker.problems(in: original, for: d)
        if !problems.isEmpty {
            throw .failedPrecondition("the agreement cannot be signed: " + problems.joined(separator: "; "))
        }
        var agreement = original
        agreement.signatures = []
        agreement.sealedAtMs = 0
        agreement.sealedByID = ""
        agreement.effectiveAtMs = 0
        agreement.draftedAtMs = nowMs
        let from = d.state
        let redraft = from == .agreementDrafted
        d.agreement = agreement
        d.state = .agreementDrafted
        d.record(
            .draftAgreement,
            from: from,
            by: actor,
            at: nowMs,
            note: redraft ? "a new draft: the signatures and the seal are cleared" : ""
        )
    }

    static func sign(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        role: Gongzhi_Mediation_V1_Signature.Role,
        signerID: String,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        let who: String
        switch role {
        case .party:
            guard d.agreement.partyIds.contains(signerID) else {
                throw .failedPrecondition(
                    "\(signerID) is not a party to the agreement; its parties: "
                        + d.agreement.partyIds.joined(separator: ", ")
                )
            }
            who = label(try d.party(signerID))
        case .mediator:
            guard let mediator = d.mediators.first(where: { $0.personID == signerID }) else {
                throw .failedPrecondition(
                    "\(signerID) is not a mediator of dispute \(d.id); its mediators: "
                        + d.mediators.map(\.personID).joined(separator: ", ")
                )
            }
            who = "mediator " + (mediator.name.isEmpty ? signerID : mediator.name)
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument("say whether a party or a mediator signs")
        }
        if d.agreement.signatures.contains(where: { $0.role == role && $0.signerID == signerID }) {
            throw .failedPrecondition("\(who) has already signed the agreement")
        }
        d.agreement.signatures.append(
            .with {
                $0.role = role
                $0.signerID = signerID
                $0.atMs = nowMs
            }
        )
        takeEffectIfComplete(&d, action: .sign, note: "\(who) signed", by: actor, at: nowMs)
    }

    static func seal(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        number: String,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        if d.agreement.sealedAtMs != 0 {
            throw .failedPrecondition("the agreement of dispute \(d.id) is already sealed")
        }
        try checkText(number, "the agreement's number", limit: 100)
        d.agreement.sealedAtMs = nowMs
        d.agreement.sealedByID = actor.id
        d.agreement.number = number
        takeEffectIfComplete(&d, action: .seal, note: "sealed by the committee", by: actor, at: nowMs)
    }

    /// Records the step; when every party and a mediator have signed and the committee has sealed, the
    /// agreement takes effect now (Art 29) and the dispute is AGREED.
    private static func takeEffectIfComplete(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        action: Gongzhi_Mediation_V1_Action,
        note: String,
        by actor: MediationActor,
        at nowMs: Int64
    ) {
        let from = d.state
        var text = note
        if AgreementChecker.missingForEffect(d.agreement, for: d).isEmpty {
            d.agreement.effectiveAtMs = nowMs
            d.state = .agreed
            text += "; the agreement takes effect"
        }
        d.record(action, from: from, by: actor, at: nowMs, note: text)
    }

    static func fail(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        reason: String,
        routes: [Gongzhi_Mediation_V1_Route],
        told: [String],
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) {
        if d.state == .agreed, d.confirmation.decision != .refused {
            throw .failedPrecondition(
                "dispute \(d.id)'s agreement is in effect: it fails only after a court refused to confirm it"
            )
        }
        try checkText(reason, "the reason mediation failed", limit: maxNoteLength, required: true)
        let known = routes.filter { $0 == .arbitration || $0 == .administrative || $0 == .judicial }
        if known.isEmpty || known.count != routes.count {
            throw .invalidArgument(
                "record the routes the parties were told of (Art 26): arbitration, administrative, judicial"
            )
        }
        for id in told {
            _ = try d.party(id)
        }
        let notTold = d.parties.filter { !told.contains($0.id) }
        if !notTold.isEmpty {
            throw .invalidArgument(
                "every party is told of the other routes (Art 26); not told: \(notTold.map(label).joined(separator: ", "))"
            )
        }
        let from = d.state
        d.failure = .with {
            $0.reason = reason
            $0.routes = routes
            $0.toldPartyIds = told
            $0.atMs = nowMs
        }
        d.finish(.failed, at: nowMs)
        let words = routes.map { route -> String in
            switch route {
            case .arbitration: "arbitration"
            case .administrative: "administrative"
            default: "judicial"
            }
        }
        d.record(.fail, from: from, by: actor, at: nowMs, note: "routes told: \(words.joined(separator: ", "))")
    }

    static func extend(
        _ d: inout Gongzhi_Mediation_V1_Dispute,
        days: UInt32,
        consenting: [String],
        reason: String,
        by actor: MediationActor,
        at nowMs: Int64,
        restDays: RestDays
    ) throws(MediationRefusal) {
        guard (1...maxExtensionDays).contains(days) else {
            throw .invalidArgument("an extension adds 1 to \(maxExtensionDays) days; \(days) given")
        }
        for id in consenting {
            _ = try d.party(id)
        }
        let missing = d.parties.filter { !consenting.contains($0.id) }
        if !missing.isEmpty {
            throw .failedPrecondition(
                "an extension needs every party's consent; not consenting: \(missing.map(label).joined(separator: ", "))"
            )
        }
        try checkText(reason, "the reason", limit: maxNoteLength)
        d.extensions.append(
            .with {
                $0.days = days
                $0.consentingPartyIds = consenting
                $0.reason = reason
                $0.atMs = nowMs
            }
        )
        // The day the mediation clock now runs to: from acceptance or the last remediation, moved past rest days.
        let deadline =
            LegalClocks(d, restDays: restDays).clocks.first { $0.kind == .mediation }?.deadlineMs
            ?? LegalClocks.mediationDeadline(acceptedAtMs: d.acceptedAtMs, extensions: d.extensions)
        d.record(
            .extend,
            from: d.state,
            by: actor,
            at: nowMs,
            note: "extended by \(days) days to the end of \(ChinaCalendar.dateText(at: deadline - 1))"
        )
    }

    static func label(_ party: Gongzhi_Mediation_V1_Party) -> String {
        party.name.isEmpty ? party.id : "\(party.name) (\(party.id))"
    }
}
