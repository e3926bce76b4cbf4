import GongzhiIntake
import GongzhiIntakeSchemas

/// What the Open311 server needs from intake: its sources and their services, the submission of a request
/// (which the host authenticates by the client's key), and the public reads. The server does the HTTP, the
/// formats and the checks that need nothing but the request and the service definitions.
public protocol Open311Backend: Sendable {
    /// The names of the configured Open311 sources, each served at `/open311/{name}/v2/` and listed by service
    /// discovery.
    func sources() async -> [String]

    /// The services of a source, in the order GET services lists them; nil when there is no such source (404).
    func services(source: String) async -> [Open311Service]?

    /// A POST that passed the server's checks: `apiKey` is the client's host token, `request.source` is set and
    /// `request.idempotencyKey` carries the `Idempotency-Key` header when one was sent. Throws `Open311Refusal`
    /// for an answer other than 200 (403 bad key, 429 over budget, 503 host unavailable, …); any other error
    /// is answered 500 and logged.
    func submit(
        source: String,
        apiKey: String,
        request: Gongzhi_Intake_V1_SubmitTicketRequest
    ) async throws -> Gongzhi_Intake_V1_SubmitTicketResponse

    /// A public read of one request (no key): no description, address or media, the point rounded to 3
    /// decimals; nil when the source has no such request (404).
    func request(source: String, id: String) async -> Open311ServiceRequest?

    /// The requests matching a query, at most `query.pageSize` of them from `query.offset`, in the order they
    /// were received; read as `request(source:id:)` reads one.
    func requests(source: String, query: Open311Query) async throws -> [Open311ServiceRequest]

    /// The id a token stands for: `serviceRequestID` is empty while none is assigned; nil when the token is
    /// unknown (404).
    func token(source: String, token: String) async -> (serviceRequestID: String, token: String)?
}
