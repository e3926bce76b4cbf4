import GongzhiGridSchemas
import GongzhiSchemas

// The words the grid's messages use for states, verbs, tiers and the like.

extension Gongzhi_Grid_V1_CaseState {
    /// The state as a label value and a command-line word: "in-progress".
    public var label: String { String(wording.map { $0 == " " ? "-" : $0 }) }

    /// The state as a message says it: "in progress".
    public var wording: String {
        switch self {
        case .unspecified: "unspecified"
        case .reported: "reported"
        case .registered: "registered"
        case .rejected: "rejected"
        case .dispatched: "dispatched"
        case .inProgress: "in progress"
        case .handled: "handled"
        case .verified: "verified"
        case .closed: "closed"
        case .evaluated: "evaluated"
        case .UNRECOGNIZED(let value): "unknown (\(value))"
        }
    }
}

extension Gongzhi_Grid_V1_Action {
    /// The verb as a command names it: "send-back".
    public var label: String { String(wording.map { $0 == " " ? "-" : $0 }) }

    /// The verb as a person types it: "send back".
    public var wording: String {
        switch self {
        case .unspecified: "unspecified"
        case .report: "report"
        case .register: "register"
        case .reject: "reject"
        case .dispatch: "dispatch"
        case .start: "start"
        case .handle: "handle"
        case .verify: "verify"
        case .sendBack: "send back"
        case .close: "close"
        case .evaluate: "evaluate"
        case .escalate: "escalate"
        case .reopen: "reopen"
        case .handToMediation: "hand to mediation"
        case .mediationConcluded: "conclude mediation"
        case .UNRECOGNIZED(let value): "unknown (\(value))"
        }
    }

    /// The verb's past participle, for "it can be … ": "sent back".
    var pastParticiple: String {
        switch self {
        case .report: "reported"
        case .register: "registered"
        case .reject: "rejected"
        case .dispatch: "dispatched"
        case .start: "started"
        case .handle: "handled"
        case .verify: "verified"
        case .sendBack: "sent back"
        case .close: "closed"
        case .evaluate: "evaluated"
        case .escalate: "escalated"
        case .reopen: "reopened"
        case .handToMediation: "handed to mediation"
        case .mediationConcluded: "concluded by mediation"
        case .unspecified, .UNRECOGNIZED: wording
        }
    }
}

extension Gongzhi_Grid_V1_Tier {
    /// The tier as the catalogue's JSON and messages name it: "community".
    public var wording: String {
        switch self {
        case .unspecified: "unspecified"
        case .grid: "grid"
        case .community: "community"
        case .street: "street"
        case .joint: "joint"
        case .UNRECOGNIZED(let value): "unknown (\(value))"
        }
    }

    /// The tier above this one; nil at the joint tier, the highest. A tier not set counts as the grid.
    var next: Gongzhi_Grid_V1_Tier? {
        switch self {
        case .unspecified, .grid: .community
        case .community: .street
        case .street: .joint
        case .joint, .UNRECOGNIZED: nil
        }
    }

    static let known: [Gongzhi_Grid_V1_Tier] = [.grid, .community, .street, .joint]
}

extension Gongzhi_Grid_V1_Source {
    /// The source as a command-line word: "patrol", "hotline".
    public var wording: String {
        switch self {
        case .unspecified: "unspecified"
        case .patrol: "patrol"
        case .visit: "visit"
        case .online: "online"
        case .hotline: "hotline"
        case .sensor: "sensor"
        case .assigned: "assigned"
        case .mediation: "mediation"
        case .UNRECOGNIZED(let value): "unknown (\(value))"
        }
    }
}

extension Gongzhi_Grid_V1_Satisfaction {
    /// The satisfaction as a command-line word: "not-fixed".
    public var label: String { String(wording.map { $0 == " " ? "-" : $0 }) }

    /// The satisfaction as a message says it: "not fixed".
    public var wording: String {
        switch self {
        case .unspecified: "unspecified"
        case .satisfied: "satisfied"
        case .acceptable: "acceptable"
        case .unsatisfied: "unsatisfied"
        case .notFixed: "not fixed"
        case .UNRECOGNIZED(let value): "unknown (\(value))"
        }
    }
}

extension Gongzhi_Grid_V1_CategoryType {
    /// The type as the catalogue's JSON names it: "part" or "event".
    public var wording: String {
        switch self {
        case .part: "part"
        case .event: "event"
        case .unspecified: "unspecified"
        case .UNRECOGNIZED(let value): "unknown (\(value))"
        }
    }
}

/// "a", "a or b", "a, b or c".
func listedWithOr(_ words: [String]) -> String {
    switch words.count {
    case 0: ""
    case 1: words[0]
    default: words.dropLast().joined(separator: ", ") + " or " + words[words.count - 1]
    }
}

/// Checks a free-text field: at most `limit` characters and, when `required`, not blank.
func checkText(
    _ text: String,
    _ field: String,
    limit: Int,
    required: Bool = false
) throws(WorkflowError) {
    if required && text.allSatisfy(\.isWhitespace) {
        throw .invalidArgument("\(field) is required")
    }
    let count = text.count
    if count > limit {
        throw .invalidArgument("\(field) has \(count) characters; at most \(limit) are allowed")
    }
}
