/// The error of a failed call: a status code a program can switch on and a message a person can act on.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    /// Response metadata the server sent with the failure, if any.
    public var metadata: Metadata
    /// The underlying error, where there is one. Not sent on the wire and not compared.
    public var cause: (any Error)?

    public init(code: StatusCode, message: String, metadata: Metadata = [:], cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: RPCError, rhs: RPCError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.metadata == rhs.metadata
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(metadata)
    }
}

extension RPCError {
    /// Wraps any error thrown by a handler or a transport into an `RPCError`, keeping one that already is.
    public init(wrapping error: any Error, code: StatusCode = .unknown) {
        if let rpc = error as? RPCError {
            self = rpc
        } else if let convertible = error as? any RPCErrorConvertible {
            self = convertible.rpcError
        } else if error is CancellationError {
            self = RPCError(code: .cancelled, message: "the call was cancelled", cause: error)
        } else {
            self = RPCError(code: code, message: String(describing: error), cause: error)
        }
    }
}

/// An error type that knows which status it should travel as.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}
