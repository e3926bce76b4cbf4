/// A request the book refuses as a whole (not a transfer's result): what kind of refusal, for the status code,
/// and a message a person can act on.
public struct PointsRefusal: Error, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        case invalidArgument
        case notFound
        case failedPrecondition
        case alreadyExists
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
