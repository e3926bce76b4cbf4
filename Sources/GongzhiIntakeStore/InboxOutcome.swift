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

/// What dedupe remembers of an input when it is finished: its external id (in `seen`, for as long as it is kept)
/// and its content fingerprint (in `recent`, for the source's window). Either may be empty.
public struct DedupeRecord: Equatable, Sendable {
    public var externalID: String
    public var fingerprint: String
    /// The time the fingerprint's window counts from, in milliseconds since the Unix epoch.
    public var atMs: Int64

    public init(externalID: String, fingerprint: String, atMs: Int64) {
        self.externalID = externalID
        self.fingerprint = fingerprint
        self.atMs = atMs
    }
}

/// What happened to a source outside its inbox rows: counted beside the equation.
public enum SourceEvent: Equatable, Sendable {
    /// The source stopped reading (its in-flight budget is spent): `paused` set, `pauses` + 1.
    case paused
    /// The source reads again: `paused` cleared.
    case resumed
    /// The source's connection was made again: `reconnects` + 1.
    case reconnected
    /// The broker had lost the source's session (CONNACK session-present 0): `sessions_lost` + 1.
    case sessionLost
    /// An accepted input could not be located and waits unlocated: `unlocated` + 1.
    case unlocated
}
