import GongzhiIntake

/// An answer other than 200, with the Open311 error array that explains it: the HTTP status, the code written
/// in the body (the status, or a finer one), and a description a person can act on. Thrown by the server's own
/// checks and by an `Open311Backend`.
public struct Open311Refusal: Error, Sendable, CustomStringConvertible {
    /// The HTTP status: 400, 403, 404, 413, 429, 503, …
    public var status: Int
    /// The code written in the error array.
    public var code: Int
    public var description: String
    /// Sent as `Retry-After` with a 429 or a 503 (1 second when nil).
    public var retryAfterSeconds: Int?
    /// Further problems with the same request, each written as its own error (400 with several mistakes).
    public var otherErrors: [(code: Int, description: String)]

    public init(
        status: Int,
        code: Int? = nil,
        description: String,
        retryAfterSeconds: Int? = nil,
        otherErrors: [(code: Int, description: String)] = []
    ) {
        self.status = status
        self.code = code ?? status
        self.description = description
        self.retryAfterSeconds = retryAfterSeconds
        self.otherErrors = otherErrors
    }

    /// Every error of the answer, in order.
    public var errors: [(code: Int, description: String)] { [(code, description)] + otherErrors }

    /// 400: the request is wrong in a way the description names.
    public static func invalid(_ description: String) -> Open311Refusal {
        Open311Refusal(status: 400, description: description)
    }

    /// 404: no such source, service, request, token or jurisdiction.
    public static func notFound(_ description: String) -> Open311Refusal {
        Open311Refusal(status: 404, description: description)
    }

    /// 400 for input that could not be read: the problem's code and place.
    static func invalid(_ error: InputError, what: String) -> Open311Refusal {
        invalid("\(what) could not be read (\(error.code)): \(error.description)")
    }
}
