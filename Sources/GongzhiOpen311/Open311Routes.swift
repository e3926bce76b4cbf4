import GongzhiIntake
import GongzhiIntakeSchemas
import Hummingbird
import Logging
import NIOCore

/// GeoReport v2's calls on a Hummingbird router: discovery at `/open311/discovery.{json,xml}`, and each
/// source's endpoint under `/open311/{source}/v2/`. Every route answers in the format its suffix names;
/// failures are thrown as `Open311Refusal`s, which `Open311ErrorMiddleware` writes as error arrays.
struct Open311Routes: Sendable {
    let backend: any Open311Backend
    let jurisdictionID: String
    let discovery: Open311Server.Discovery
    let limits: Open311Server.Limits
    /// The changeset service discovery announces: when the server started.
    let startedAtMs: Int64
    /// Where the server listens, for discovery's URLs when a request names no host.
    let listening: ListeningAddress
    /// The time in milliseconds since the epoch, for GET requests' default range.
    let now: @Sendable () -> Int64

    /// The media type of a POST body.
    static let formMediaType = "application/x-www-form-urlencoded"
    /// (`HTTPFields.Element` is swift-http-types' `HTTPField`, which Hummingbird does not re-export.)
    static let idempotencyKey = HTTPFields.Element.Name("Idempotency-Key")!
    /// The longest `Idempotency-Key` taken, in characters.
    static let maximumIdempotencyKeyLength = 256

    func register(on router: Router<BasicRequestContext>) {
        for format in [Open311Document.Format.json, .xml] {
            let suffix = format.rawValue
            router.get("/open311/discovery.\(suffix)") { request, _ in
                try await discoveryDocument(request, format: format)
            }
            router.get("/open311/{source}/v2/services.\(suffix)") { request, context in
                let (_, services) = try await sourceServices(request, context)
                return answer(Open311Document.services(services, format: format), format: format)
            }
            router.get("/open311/{source}/v2/services/{code}.\(suffix)") { request, context in
                let (source, services) = try await sourceServices(request, context)
                let code = try parameter("code", context)
                guard let service = services.first(where: { $0.code == code }) else {
                    throw unknownService(code, source: source)
                }
                return answer(Open311Document.serviceDefinition(service, format: format), format: format)
            }
            router.post("/open311/{source}/v2/requests.\(suffix)") { request, context in
                try await create(request, context, format: format)
            }
            router.get("/open311/{source}/v2/requests.\(suffix)") { request, context in
                try await list(request, context, format: format)
            }
            router.get("/open311/{source}/v2/requests/{id}.\(suffix)") { request, context in
                let (source, _) = try await sourceServices(request, context)
                let id = try parameter("id", context)
                guard let found = await backend.request(source: source, id: id) else {
                    throw Open311Refusal.notFound("there is no service request \"\(id)\" at \(source)")
                }
                return answer(Open311Document.serviceRequests([found], format: format), format: format)
            }
            router.get("/open311/{source}/v2/tokens/{token}.\(suffix)") { request, context in
                let (source, _) = try await sourceServices(request, context)
                let token = try parameter("token", context)
                guard let found = await backend.token(source: source, token: token) else {
                    throw Open311Refusal.notFound("there is no token \"\(token)\" at \(source)")
                }
                let document = Open311Document.token(
                    serviceRequestID: found.serviceRequestID,
                    token: found.token,
                    format: format
                )
                return answer(document, format: format)
            }
        }
    }

    // MARK: - The calls

    func discoveryDocument(_ request: Request, format: Open311Document.Format) async throws -> Response {
        let host = request.head.authority ?? listening.current.description
        let endpoints = await backend.sources().map { source in
            Open311Document.DiscoveryEndpoint(
                url: "http://\(host)/open311/\(source)/v2",
                changedAtMs: startedAtMs
            )
        }
        let document = Open311Document.discovery(
            changedAtMs: startedAtMs,
            contact: discovery.contact,
            keyService: discovery.keyService,
            endpoints: endpoints,
            format: format
        )
        return answer(document, format: format)
    }

    /// POST requests: the checks that need no key, in the order of the design (size, source, content type,
    /// form, key, jurisdiction, service, attributes), then the backend.
    func create(
        _ request: Request,
        _ context: BasicRequestContext,
        format: Open311Document.Format
    ) async throws
        -> Response
    {
        var request = request
        if let length = request.headers[.contentLength], let bytes = Int(length), bytes > limits.maximumBodyBytes {
            throw tooLarge(bytes: bytes)
        }
        let source = try parameter("source", context)
        guard let services = await backend.services(source: source) else { throw unknownSource(source) }
        try checkContentType(request.headers[.contentType])
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limits.maximumBodyBytes)
        } catch is NIOTooManyBytesError {
            throw tooLarge(bytes: nil)
        }
        guard let body = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw Open311Refusal.invalid("the body is not UTF-8; Open311 bodies are UTF-8, percent-escaped")
        }
        let form: Open311Form
        do throws(InputError) {
            form = try Open311Form.decode(body)
        } catch {
            throw Open311Refusal.invalid(error, what: "the form")
        }
        guard !form.apiKey.isEmpty else {
            throw Open311Refusal(
                status: 403,
                description: "no api_key was sent, so the request cannot be created; send the key issued to "
                    + "your system as the api_key parameter (discovery.json says where keys come from)"
            )
        }
        try checkJurisdiction(form.request.jurisdictionID)
        guard let service = services.first(where: { $0.code == form.request.serviceCode }) else {
            throw unknownService(form.request.serviceCode, source: source)
        }
        let problems = service.problems(with: form.request.attributes)
        if let first = problems.first {
            throw Open311Refusal(
                status: 400,
                description: first,
                otherErrors: problems.dropFirst().map { (code: 400, description: $0) }
            )
        }
        var ticket = form.request
        ticket.source = source
        if let key = request.headers[Self.idempotencyKey] {
            let key = key.trimmingSpaces()
            guard key.count <= Self.maximumIdempotencyKeyLength else {
                throw Open311Refusal.invalid(
                    "the Idempotency-Key header has \(key.count) characters; at most "
                        + "\(Self.maximumIdempotencyKeyLength) are taken"
                )
            }
            ticket.idempotencyKey = key
        }
        let created = try await backend.submit(source: source, apiKey: form.apiKey, request: ticket)
        return answer(Open311Document.created(created, format: format), format: format)
    }

    /// GET requests: the query read and checked, its service codes among the source's.
    func list(
        _ request: Request,
        _ context: BasicRequestContext,
        format: Open311Document.Format
    ) async throws
        -> Response
    {
        let (source, services) = try await sourceServices(request, context)
        let query = try Open311Query(parameters: queryParameters(request), nowMs: now())
        for code in query.serviceCodes where !services.contains(where: { $0.code == code }) {
            throw unknownService(code, source: source)
        }
        let found = try await backend.requests(source: source, query: query)
        return answer(Open311Document.serviceRequests(found, format: format), format: format)
    }

    // MARK: - Checks

    /// The source named in the path and its services, after the query's jurisdiction is checked.
    func sourceServices(_ request: Request, _ context: BasicRequestContext) async throws -> (String, [Open311Service]) {
        let source = try parameter("source", context)
        let jurisdiction = try queryParameters(request).last { $0.name == "jurisdiction_id" }?.value ?? ""
        try checkJurisdiction(jurisdiction)
        guard let services = await backend.services(source: source) else { throw unknownSource(source) }
        return (source, services)
    }

    /// An empty jurisdiction is an absent one; any other must be the configured one.
    func checkJurisdiction(_ jurisdiction: String) throws(Open311Refusal) {
        let jurisdiction = jurisdiction.trimmingSpaces()
        guard jurisdiction.isEmpty || jurisdiction == jurisdictionID else {
            throw .notFound(
                "jurisdiction_id \"\(jurisdiction)\" is not served here; this server serves \(jurisdictionID) "
                    + "(or leave jurisdiction_id out)"
            )
        }
    }

    func checkContentType(_ contentType: String?) throws(Open311Refusal) {
        let parts = (contentType ?? "").split(separator: ";").map { String($0).trimmingSpaces().lowercased() }
        guard parts.first == Self.formMediaType else {
            let sent = contentType.map { "Content-Type \"\($0)\"" } ?? "no Content-Type"
            throw .invalid("a request is sent as \(Self.formMediaType) (UTF-8); \(sent) was sent")
        }
        for parameter in parts.dropFirst() where parameter.hasPrefix("charset=") {
            let charset = parameter.dropFirst("charset=".count).filter { $0 != "\"" }
            guard charset == "utf-8" || charset == "utf8" else {
                throw .invalid("the body must be UTF-8; charset \"\(charset)\" was sent")
            }
        }
    }

    func queryParameters(_ request: Request) throws(Open311Refusal) -> [(name: String, value: String)] {
        do throws(InputError) {
            return try Open311Form.parameters(request.uri.query ?? "")
        } catch {
            throw .invalid(error, what: "the query string")
        }
    }

    /// A path parameter, percent-decoded.
    func parameter(_ name: String, _ context: BasicRequestContext) throws(Open311Refusal) -> String {
        guard let raw = context.parameters.get(name), let decoded = Self.percentDecoded(raw), !decoded.isEmpty else {
            throw .invalid("the path's \(name) is empty or not percent-escaped UTF-8")
        }
        return decoded
    }

    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    func unknownSource(_ source: String) -> Open311Refusal {
        .notFound("there is no Open311 endpoint \"\(source)\"; /open311/discovery.json lists the endpoints")
    }

    func unknownService(_ code: String, source: String) -> Open311Refusal {
        .notFound("there is no service \"\(code)\" at \(source); GET services.json lists the services")
    }

    func tooLarge(bytes: Int?) -> Open311Refusal {
        let size = bytes.map { "\($0) bytes" } ?? "more than \(limits.maximumBodyBytes) bytes"
        return Open311Refusal(
            status: 413,
            description: "the body has \(size); a request takes at most \(limits.maximumBodyBytes) bytes "
                + "(link media with media_url)"
        )
    }

    // MARK: - Answers

    func answer(_ document: String, format: Open311Document.Format) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: format.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: document))
        )
    }
}
