/// Why the mediation logic refused an application, a step or an agreement: a stable code that a program can
/// switch on (and map to the RPC status of the same name) and a message that tells a person what to change.
public struct MediationRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal this is.
    public enum Code: Sendable, Hashable {
        /// The request is wrong whatever the dispute's state: a missing reason, a party not named.
        case invalidArgument
        /// The dispute's state, its parties or its mediators do not allow the step.
        case failedPrecondition
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A request that is wrong in itself.
    public static func invalidArgument(_ message: String) -> MediationRefusal {
        MediationRefusal(.invalidArgument, message)
    }

    /// A step the dispute does not allow.
    public static func failedPrecondition(_ message: String) -> MediationRefusal {
        MediationRefusal(.failedPrecondition, message)
    }

    public var description: String { message }
}
