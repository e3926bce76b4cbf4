import GongzhiCalendar
import GongzhiMediationSchemas

/// The procedure of people's mediation as a value-level state machine: application → acceptance with every
/// party's consent → mediators → sessions → an agreement signed and sealed, or failure → judicial
/// confirmation → follow-up and performance. Each function takes a dispute and an event and answers the
/// dispute after it, with the step appended to its history; nothing here stores, sends or reads a clock.
public enum DisputeProcedure {
    /// Reasons, notes and records may have at most this many characters (a session's record 20,000).
    public static let maxNoteLength = 2_000
    /// A session's record (笔录) may have at most this many characters.
    public static let maxRecordLength = 20_000
    /// One extension may add at most this many days.
    public static let maxExtensionDays: UInt32 = 90

    // MARK: - States

    /// The steps a state allows. Some are further held to what the dispute holds: an agreement needs a
    /// session, remediation and failure after agreement need a court's refusal.
    public static func allowedActions(in state: Gongzhi_Mediation_V1_DisputeState) -> [Gongzhi_Mediation_V1_Action] {
        switch state {
        case .applied: [.accept, .decline, .refuse]
        case .accepted: [.assignMediators, .refuse, .fail, .extend]
        case .mediating: [.assignMediators, .recordSession, .draftAgreement, .refuse, .fail, .extend]
        case .agreementDrafted: [.draftAgreement, .sign, .seal, .recordSession, .refuse, .fail, .extend]
        case .agreed:
            [
                .informConfirmation, .applyForConfirmation, .recordCourtDecision, .remediate, .fail,
                .recordFollowUp, .recordPerformance,
            ]
        case .performed: [.informConfirmation, .applyForConfirmation, .recordCourtDecision, .recordFollowUp]
        case .failed, .refused, .declined, .unspecified, .UNRECOGNIZED: []
        }
    }

    /// Open: not performed, failed, refused or declined.
    public static func isOpen(_ state: Gongzhi_Mediation_V1_DisputeState) -> Bool {
        switch state {
        case .performed, .failed, .refused, .declined: false
        default: true
        }
    }

    // MARK: - Opening

    /// A new dispute for an application, a hand-over or a referral: APPLIED, with one APPLY entry in its
    /// history. Parties without an id are numbered `p1`, `p2`, …; the place code (a 15-digit grid or a
    /// 12-digit community) gives the grid, community and street codes; a level not given is the community's.
    ///
    /// Throws `invalidArgument` for a missing type or source, a referral without its reference, a place code
    /// that is neither, fewer than two parties, a party without a name, role or kind, two parties with one
    /// id, or an application without an applicant.
    public static func open(
        _ request: Gongzhi_Mediation_V1_ApplyRequest,
        id: String,
        by actor: MediationActor,
        at nowMs: Int64
    ) throws(MediationRefusal) -> Gongzhi_Mediation_V1_Dispute {
        if id.isEmpty {
            throw .invalidArgument("a new dispute needs an id")
        }
        switch request.type {
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument(
                "the dispute's type is required: family, neighbour, property service, renovation, property rights, labour or other"
            )
        default: break
        }
        switch request.source {
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument(
                "the dispute's source is required: application, initiative, grid case, police or court"
            )
        case .gridCase, .police, .court:
            if request.referralID.isEmpty {
                throw .invalidArgument("a referral needs its reference: the grid case's id, or the police's or court's")
            }
        default: break
        }
        let place = request.placeCode
        guard place.count == 15 || place.count == 12, place.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalidArgument(
                "the place code \"\(place)\" is neither a grid (15 digits) nor a community (12 digits)"
            )
        }
        if request.parties.count < 2 {
            throw .invalidArgument("a dispute needs at least two parties; \(request.parties.count) given")
        }
        var parties: [Gongzhi_Mediation_V1_Party] = []
        var seen: Set<String> = []
        for (index, original) in request.parties.enumerated() {
            var party = original
            if party.id.isEmpty {
                party.id = "p\(index + 1)"
            }
            let label = "party \(index + 1) (\(party.id))"
            if party.name.allSatisfy(\.isWhitespace) {
                throw .invalidArgument("\(label) has no name")
            }
            switch party.role {
            case .unspecified, .UNRECOGNIZED:
                throw .invalidArgument("\(label) has no role: applicant, respondent or other")
            default: break
            }
            switch party.kind {
            case .unspecified, .UNRECOGNIZED:
                throw .invalidArgument("\(label) is neither a resident nor an organisation")
            default: break
            }
            if !seen.insert(party.id).inserted {
                throw .invalidArgument("two parties have the id \(party.id)")
            }
            parties.append(party)
        }
        if request.source == .application, !parties.contains(where: { $0.role == .applicant }) {
            throw .invalidArgument("an application needs an applicant among the parties")
        }
        try checkText(request.title, "the title", limit: 200, required: true)
        try checkText(request.facts, "the facts", limit: maxRecordLength)
        try checkText(request.narrative, "the narrative", limit: maxRecordLength)
        try checkText(request.idempotencyKey, "the idempotency key", limit: 128)

        var d = Gongzhi_Mediation_V1_Dispute()
        d.id = id
        d.state = .applied
        d.type = request.type
        d.source = request.source
        d.referralID = request.referralID
        d.placeCode = place
        d.gridCode = place.count == 15 ? place : ""
        d.communityCode = String(place.prefix(12))
        d.streetCode = String(place.prefix(9))
        d.buildingID = request.buildingID
        d.compound = request.compound
        d.level = request.level == .unspecified ? .community : request.level
        d.title = request.title
        d.facts = request.facts
        d.narrative = request.narrative
        d.parties = parties
        d.appliedAtMs = nowMs
        d.idempotencyKey = request.idempotencyKey
        let note = request.referralID.isEmpty ? "" : "referred: \(request.referralID)"
        d.record(.apply, from: .unspecified, by: actor, at: nowMs, note: note)
        return d
    }

    // MARK: - Steps

    /// The dispute after a step, with a transition {action, from, to, actor id, actor, at, note} appended to
    /// its history.
    ///
    /// Throws `failedPrecondition` for a step the state does not allow (naming the state and the steps it
    /// allows) or the dispute does not allow (a mediator related to a party, an agreement before any session,
    /// an agreement the checker refuses, a signer who is not a party or an assigned mediator), and
    /// `invalidArgument` for a request wrong in itself (a party's answer missing, a blank reason, no routes).
    public static func apply(
        _ command: DisputeCommand,
        to current: Gongzhi_Mediation_V1_Dispute,
        by actor: MediationActor,
        at nowMs: Int64,
        restDays: RestDays = .standard
    ) throws(MediationRefusal) -> Gongzhi_Mediation_V1_Dispute {
        let action = command.action
        let from = current.state
        let allowed = allowedActions(in: from)
        guard allowed.contains(action) else {
            let steps = allowed.isEmpty ? "none: it is final" : allowed.map(\.wording).joined(separator: ", ")
            throw .failedPrecondition(
                "dispute \(current.id) is \(from.wording): it cannot \(action.wording); the steps it allows: \(steps)"
            )
        }
        var d = current
        switch command {
        case .accept(let consents, let note):
            try accept(&d, consents: consents, note: note, by: actor, at: nowMs)
        case .decline(let reason):
            try checkText(reason, "the reason for declining", limit: maxNoteLength, required: true)
            d.refusal = .with {
                $0.reason = reason
                $0.atMs = nowMs
            }
            d.finish(.declined, at: nowMs)
            d.record(action, from: from, by: actor, at: nowMs, note: reason)
        case .refuse(let partyID, let reason):
            let party = try d.party(partyID)
            try checkText(reason, "the reason", limit: maxNoteLength)
            d.refusal = .with {
                $0.partyID = party.id
                $0.reason = reason
                $0.atMs = nowMs
            }
            d.finish(.refused, at: nowMs)
            d.record(action, from: from, by: actor, at: nowMs, note: "\(party.name) refused mediation. \(reason)")
        case .assignMediators(let mediators, let profiles, let note):
            try assign(&d, mediators: mediators, profiles: profiles, note: note, by: actor, at: nowMs)
        case .recordSession(let session):
            try recordSession(&d, session, by: actor, at: nowMs)
        case .draftAgreement(let agreement):
            try draft(&d, agreement, by: actor, at: nowMs)
        case .sign(let role, let signerID):
            try sign(&d, role: role, signerID: signerID, by: actor, at: nowMs)
        case .seal(let number):
            try seal(&d, number: number, by: actor, at: nowMs)
        case .fail(let reason, let routes, let told):
            try fail(&d, reason: reason, routes: routes, told: told, by: actor, at: nowMs)
        case .extend(let days, let consenting, let reason):
            try extend(&d, days: days, consenting: consenting, reason: reason, by: actor, at: nowMs)
        case .informConfirmation, .applyForConfirmation, .recordCourtDecision:
            try confirm(&d, command, by: actor, at: nowMs, restDays: restDays)
        case .remediate(let note):
            guard d.confirmation.decision == .refused else {
                throw .failedPrecondition(
                    "dispute \(d.id)'s agreement stands: it is mediated again only after a court refused to confirm it"
                )
            }
            try checkText(note, "the note", limit: maxNoteLength)
            d.supersededAgreements.append(d.agreement)
            d.clearAgreement()
            d.confirmation = Gongzhi_Mediation_V1_Confirmation()
            d.state = .mediating
            d.record(action, from: from, by: actor, at: nowMs, note: note)
        case .recordFollowUp(let followUp):
            try recordFollowUp(&d, followUp, by: actor, at: nowMs)
        case .recordPerformance(let performance):
            try recordPerformance(&d, performance, by: actor, at: nowMs)
        }
        return d
    }

    // MARK: - Checks shared by the steps

    static func checkText(
        _ text: String,
        _ what: String,
        limit: Int,
        required: Bool = false
    ) throws(MediationRefusal) {
        if required, text.allSatisfy(\.isWhitespace) {
            throw .invalidArgument("\(what) is required")
        }
        if text.count > limit {
            throw .invalidArgument("\(what) has \(text.count) characters; at most \(limit) are allowed")
        }
    }

    /// `time` when it is set and not in the future; `nowMs` when it is 0.
    static func pastTime(_ time: Int64, _ what: String, now nowMs: Int64) throws(MediationRefusal) -> Int64 {
        if time == 0 { return nowMs }
        if time > nowMs {
            throw .invalidArgument(
                "\(what) (\(ChinaCalendar.dateText(at: time))) is in the future; record what has happened"
            )
        }
        return time
    }
}

extension Gongzhi_Mediation_V1_Dispute {
    mutating func record(
        _ action: Gongzhi_Mediation_V1_Action,
        from: Gongzhi_Mediation_V1_DisputeState,
        by actor: MediationActor,
        at nowMs: Int64,
        note: String
    ) {
        history.append(
            .with {
                $0.action = action
                $0.from = from
                $0.to = state
                $0.actorID = actor.id
                $0.actor = actor.name
                $0.atMs = nowMs
                $0.note = note
            }
        )
    }

    mutating func finish(_ final: Gongzhi_Mediation_V1_DisputeState, at nowMs: Int64) {
        state = final
        closedAtMs = nowMs
    }

    /// The party with this id, or `invalidArgument` naming the parties there are.
    func party(_ id: String) throws(MediationRefusal) -> Gongzhi_Mediation_V1_Party {
        if let party = parties.first(where: { $0.id == id }) {
            return party
        }
        throw .invalidArgument(
            "dispute \(self.id) has no party \"\(id)\"; its parties: \(parties.map(\.id).joined(separator: ", "))"
        )
    }
}
