/// Why the object store refused or failed a call: a stable ``Code`` for programs, and a message a person can act on.
///
/// Every throwing call of ``ObjectStorage`` throws this type and nothing else.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, stable across versions so that callers can switch on it (and map it to an RPC status).
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The object does not exist.
        case notFound
        /// A create named an object that already exists.
        case alreadyExists
        /// An update or delete expected another revision of the object than the one stored.
        case revisionConflict(current: Int64)
        /// The transaction's compare at `index` (in ``Transaction/compares``) did not hold.
        case compareFailed(index: Int)
        /// The history older than `oldest` was compacted away; list again, then read changes from the list's
        /// revision.
        case compacted(oldest: Int64)
        /// The request itself is malformed: a name, a label, a selector, a page size, a revision.
        case invalidArgument
        /// The storage could not do its work (disk, database, or the store was closed); retrying later may help.
        case unavailable

        public var description: String {
            switch self {
            case .notFound: "not found"
            case .alreadyExists: "already exists"
            case .revisionConflict(let current): "revision conflict (current revision \(current))"
            case .compareFailed(let index): "compare \(index) failed"
            case .compacted(let oldest): "compacted (oldest retained revision \(oldest))"
            case .invalidArgument: "invalid argument"
            case .unavailable: "unavailable"
            }
        }
    }

    /// The stable reason.
    public var code: Code
    /// What happened and what to do about it, for a person.
    public var message: String
    /// The underlying error (for example a database error), when there is one.
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

extension StoreError {
    static func invalidArgument(_ message: String) -> StoreError {
        StoreError(.invalidArgument, message)
    }

    static func unavailable(_ message: String, cause: (any Error)? = nil) -> StoreError {
        StoreError(.unavailable, message, cause: cause)
    }
}
