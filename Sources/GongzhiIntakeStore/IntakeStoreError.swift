/// Why the intake store refused or failed a call: a stable ``Code`` for programs, and a message a person can act on.
public struct IntakeStoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, stable so that callers can switch on it (and map it to an RPC status).
    public enum Code: Equatable, Sendable, CustomStringConvertible {
        /// No such inbox row (never appended, or pruned).
        case notFound
        /// The row was finished before, with this outcome: a second finisher learns it and does nothing.
        case alreadyFinished(InboxOutcome)
        /// The row is not in the state the call needs (a replay of a discarded dead letter, a discard of a row
        /// that is not dead).
        case failedPrecondition
        /// The call itself is malformed: an empty source, a limit or page out of range, a row of another source.
        case invalidArgument
        /// The database could not do its work (disk, I/O, a file of a newer version); retrying later may help.
        case unavailable

        public var description: String {
            switch self {
            case .notFound: "not found"
            case .alreadyFinished(let outcome): "already finished (\(outcome))"
            case .failedPrecondition: "failed precondition"
            case .invalidArgument: "invalid argument"
            case .unavailable: "unavailable"
            }
        }
    }

    /// The stable reason.
    public var code: Code
    /// What happened and what to do about it, for a person.
    public var message: String
    /// The underlying error (a database error), when there is one.
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return "\(code): \(message)" }
        return "\(code): \(message) (\(cause))"
    }
}
