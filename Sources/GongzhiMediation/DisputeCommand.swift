import GongzhiMediationSchemas

/// A step of the procedure on a dispute that exists, with what the step needs. The plugin builds one from
/// each request; ``DisputeProcedure/apply(_:to:by:at:)`` checks and applies it.
public enum DisputeCommand: Sendable {
    /// 受理, with one answer for every party; a party who does not consent ends the dispute (Art 17).
    case accept(consents: [Gongzhi_Mediation_V1_Consent], note: String)
    /// 不予受理, by the committee, with a reason.
    case decline(reason: String)
    /// A party refuses mediation or asks to end it (Art 23).
    case refuse(partyID: String, reason: String)
    /// Mediators chosen by the parties or assigned by the committee (Art 19), with the profiles that show
    /// whether one is a party or related to one (every mediator named must have one).
    case assignMediators([Gongzhi_Mediation_V1_Mediator], profiles: [MediatorProfile], note: String)
    /// A session and its record (笔录).
    case recordSession(Gongzhi_Mediation_V1_Session)
    /// The agreement, checked by ``AgreementChecker``; a new draft clears signatures and the seal.
    case draftAgreement(Gongzhi_Mediation_V1_Agreement)
    /// A party (by party id) or an assigned mediator (by Person id) signs.
    case sign(role: Gongzhi_Mediation_V1_Signature.Role, signerID: String)
    /// The committee seals, numbering the document.
    case seal(number: String)
    /// 调解不成: the reason, and the routes every party was told of (Art 26).
    case fail(reason: String, routes: [Gongzhi_Mediation_V1_Route], toldPartyIDs: [String])
    /// The one-month deadline extended by `days` with every party's consent.
    case extend(days: UInt32, consentingPartyIDs: [String], reason: String)
    /// Parties told of their right to judicial confirmation (Art 33).
    case informConfirmation(partyIDs: [String])
    /// The parties' joint application to a court, at a time (0: now).
    case applyForConfirmation(court: String, appliedAtMs: Int64)
    /// The court's step.
    case recordCourtDecision(CourtStep)
    /// After a court's refusal: back to mediation for a new agreement.
    case remediate(note: String)
    /// A follow-up visit (回访).
    case recordFollowUp(Gongzhi_Mediation_V1_FollowUp)
    /// An obligation performed, partly performed or missed (Art 31).
    case recordPerformance(Gongzhi_Mediation_V1_Performance)

    /// What a court did with the parties' application (法释〔2011〕5号), each at a time (0: now).
    public enum CourtStep: Sendable, Hashable {
        /// 受理: within 3 days of the application.
        case accepted(atMs: Int64)
        /// The president approved 10 more days to decide.
        case extended(atMs: Int64)
        /// 确认有效, with its 调确字 number.
        case confirmed(number: String, atMs: Int64)
        /// 不予受理 or 驳回申请: the parties may mediate again or sue.
        case refused(reason: String, atMs: Int64)
    }

    /// The history's verb for this step.
    public var action: Gongzhi_Mediation_V1_Action {
        switch self {
        case .accept: .accept
        case .decline: .decline
        case .refuse: .refuse
        case .assignMediators: .assignMediators
        case .recordSession: .recordSession
        case .draftAgreement: .draftAgreement
        case .sign: .sign
        case .seal: .seal
        case .fail: .fail
        case .extend: .extend
        case .informConfirmation: .informConfirmation
        case .applyForConfirmation: .applyForConfirmation
        case .recordCourtDecision: .recordCourtDecision
        case .remediate: .remediate
        case .recordFollowUp: .recordFollowUp
        case .recordPerformance: .recordPerformance
        }
    }
}
