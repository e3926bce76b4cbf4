import GongzhiMediationSchemas

/// The words people read for states and actions in messages.
extension Gongzhi_Mediation_V1_DisputeState {
    /// `mediating`, `agreement drafted`.
    public var wording: String {
        switch self {
        case .unspecified: "unspecified"
        case .applied: "applied"
        case .accepted: "accepted"
        case .mediating: "mediating"
        case .agreementDrafted: "agreement drafted"
        case .agreed: "agreed"
        case .performed: "performed"
        case .failed: "failed"
        case .refused: "refused"
        case .declined: "declined"
        case .UNRECOGNIZED(let value): "unknown state \(value)"
        }
    }
}

extension Gongzhi_Mediation_V1_Action {
    /// `assign mediators`, `record court decision`.
    public var wording: String {
        switch self {
        case .unspecified: "unspecified"
        case .apply: "apply"
        case .accept: "accept"
        case .decline: "decline"
        case .refuse: "refuse"
        case .assignMediators: "assign mediators"
        case .recordSession: "record session"
        case .draftAgreement: "draft agreement"
        case .sign: "sign"
        case .seal: "seal"
        case .fail: "fail"
        case .extend: "extend"
        case .informConfirmation: "inform confirmation"
        case .applyForConfirmation: "apply for confirmation"
        case .recordCourtDecision: "record court decision"
        case .remediate: "remediate"
        case .recordFollowUp: "record follow-up"
        case .recordPerformance: "record performance"
        case .UNRECOGNIZED(let value): "unknown action \(value)"
        }
    }
}
