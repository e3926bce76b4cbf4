import GongzhiSchemas

/// Why the grid's logic refused a report, a step or a query: a stable code that a program can switch on (and
/// map to an RPC status) and a message that tells a person what to change.
public struct WorkflowError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal this is; each maps to the RPC status of the same name.
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The request itself is wrong, whatever the state of the case: a missing reason, an unknown category.
        case invalidArgument
        /// The case's state does not allow the step, or the actor may not take it.
        case failedPrecondition
        /// Something the request names does not exist.
        case notFound

        public var description: String {
            switch self {
            case .invalidArgument: "invalid argument"
            case .failedPrecondition: "failed precondition"
            case .notFound: "not found"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// A request that is wrong in itself.
    public static func invalidArgument(_ message: String) -> WorkflowError {
        WorkflowError(code: .invalidArgument, message: message)
    }

    /// A step the case's state or the actor does not allow.
    public static func failedPrecondition(_ message: String) -> WorkflowError {
        WorkflowError(code: .failedPrecondition, message: message)
    }

    /// Something named that does not exist.
    public static func notFound(_ message: String) -> WorkflowError {
        WorkflowError(code: .notFound, message: message)
    }

    public var description: String { "\(code): \(message)" }
}
