import GongzhiIntakeSchemas

/// A step on a dead letter.
public enum DeadLetterStep: Equatable, Sendable {
    /// A person starts a replay: OPEN → REPLAYING. A second replay meanwhile is refused.
    case beginReplay
    /// The pipeline took the input this time: REPLAYING → REPLAYED, with what it made ("case C…", "item T…").
    case replaySucceeded(outcome: String)
    /// A stage refused it again: back to OPEN with the new stage and reason, one more replay counted.
    case replayFailed(stage: Gongzhi_Intake_V1_Stage, reasonCode: String, reason: String)
    /// A person discards it with a reason: OPEN → DISCARDED. It stays counted as dead-lettered.
    case discard(reason: String)

    var action: String {
        switch self {
        case .beginReplay: return "replay started"
        case .replaySucceeded: return "replayed"
        case .replayFailed: return "dead again"
        case .discard: return "discarded"
        }
    }

    /// What the step does, as a refusal says it cannot.
    var refusedVerb: String {
        switch self {
        case .beginReplay: return "be replayed"
        case .replaySucceeded, .replayFailed: return "finish a replay"
        case .discard: return "be discarded"
        }
    }
}

/// The life of a dead letter, as a value: replayed exactly once (the plugin moves it to REPLAYING with its
/// expected revision before re-running the pipeline with the original input's keys, so a concurrent replay is
/// refused and a crash midway finishes the same replay), or discarded by a person with a reason.
///
/// | state | steps it allows |
/// |---|---|
/// | open | begin replay, discard |
/// | replaying | replay succeeded, replay failed |
/// | replayed, discarded | none |
public enum DeadLetterWorkflow {
    /// The dead letter after `step`, with an event in its history.
    public static func apply(
        _ step: DeadLetterStep,
        to current: Gongzhi_Intake_V1_DeadLetter,
        by actor: ItemActor,
        atMs: Int64
    ) throws(IntakeWorkflowError) -> Gongzhi_Intake_V1_DeadLetter {
        var letter = current
        var note = ""
        switch (step, current.state) {
        case (.beginReplay, .open):
            letter.state = .replaying
        case (.beginReplay, .replaying):
            let by = current.history.last(where: { $0.action == DeadLetterStep.beginReplay.action })
            throw IntakeWorkflowError(
                code: .failedPrecondition,
                message: "dead letter \(current.id) is already being replayed"
                    + (by.map { " by \($0.actor) since \(RFC3339.format(unixMilliseconds: $0.atMs))" } ?? "")
            )
        case (.replaySucceeded(let outcome), .replaying):
            letter.state = .replayed
            letter.outcome = outcome
            letter.resolvedBy = actor.id
            letter.resolvedAtMs = atMs
            note = outcome
        case (.replayFailed(let stage, let reasonCode, let reason), .replaying):
            letter.state = .open
            letter.replays += 1
            letter.stage = stage
            letter.reasonCode = reasonCode
            letter.reason = reason
            letter.outcome = "dead again: \(reason)"
            note = reason
        case (.discard(let reason), .open):
            let trimmed = reason.trimmingSpaces()
            guard !trimmed.isEmpty else {
                throw IntakeWorkflowError(
                    code: .invalidArgument,
                    message: "a dead letter is discarded with a reason; say why it will not be replayed"
                )
            }
            letter.state = .discarded
            letter.discardReason = trimmed
            letter.resolvedBy = actor.id
            letter.resolvedAtMs = atMs
            note = trimmed
        default:
            throw IntakeWorkflowError(
                code: .failedPrecondition,
                message: "dead letter \(current.id) is \(stateName(current.state)): it cannot \(step.refusedVerb); "
                    + "the steps it allows: \(allowedSteps(current.state))"
            )
        }
        var event = Gongzhi_Intake_V1_ItemEvent()
        event.action = step.action
        event.actor = actor.name
        event.actorID = actor.id
        event.principal = actor.principal
        event.atMs = atMs
        event.note = note
        letter.history.append(event)
        return letter
    }

    static func stateName(_ state: Gongzhi_Intake_V1_DeadLetterState) -> String {
        switch state {
        case .open: return "open"
        case .replaying: return "being replayed"
        case .replayed: return "replayed"
        case .discarded: return "discarded"
        case .unspecified, .UNRECOGNIZED: return "in no known state"
        }
    }

    static func allowedSteps(_ state: Gongzhi_Intake_V1_DeadLetterState) -> String {
        switch state {
        case .open: return "replay, discard"
        case .replaying: return "finish the replay"
        case .replayed, .discarded, .unspecified, .UNRECOGNIZED: return "none"
        }
    }
}
