/// What happened to a receiver's connection, for health and counters.
public enum MQTTEvent: Sendable, Hashable {
    /// The broker accepted a connection. `sessionPresent` false after the first connect means that the broker
    /// lost the session and whatever it had queued for it.
    case connected(sessionPresent: Bool)
    /// A connection ended, or could not be made; the receiver connects again with backoff.
    case disconnected(reason: String)
    /// `admits()` said no: the receiver stopped reading and the broker holds the messages.
    case paused
    /// Reading again after a pause.
    case resumed
}
