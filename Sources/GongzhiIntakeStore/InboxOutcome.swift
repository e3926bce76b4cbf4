import GongzhiIntake

/// How an inbox row ended: each input ends in exactly one of these, once.
public enum InboxOutcome: Equatable, Sendable {
    /// Went through the pipeline.
    case accepted(AcceptedOutcome)
    /// A duplicate of the input at inbox sequence `of`.
    case duplicate(of: UInt64)
    /// Refused by a stage: kept as the dead letter `deadLetterID`.
    case dead(deadLetterID: String)
}
