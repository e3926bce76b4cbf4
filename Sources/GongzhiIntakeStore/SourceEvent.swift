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
