import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiOpen311
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiRPCPosix

/// The Open311 front end's backend. A POST goes through the host's socket with the client's api_key as its
/// token (`Intake/SubmitTicket`): the host checks the token and its scope, audits the call and hands it back to
/// this plugin with the verified client, so intake keeps no keys of its own. Reads without a key are answered
/// here from the items, without personal data.
struct Open311Desk: Open311Backend {
    let desk: IntakeDesk
    /// A connection to the host's socket of its own, whose calls carry each client's key.
    let host: RPCClient

    func sources() async -> [String] {
        desk.settings.sources.sources.compactMap {
            if case .open311 = $0.kind { return $0.name }
            return nil
        }
    }

    func services(source: String) async -> [Open311Service]? {
        guard case .open311(let services, _)? = desk.settings.sources.source(named: source)?.kind else { return nil }
        return services
    }

    func submit(
        source: String,
        apiKey: String,
        request: Gongzhi_Intake_V1_SubmitTicketRequest
    ) async throws -> Gongzhi_Intake_V1_SubmitTicketResponse {
        guard let configured = desk.settings.sources.source(named: source) else {
            throw Open311Refusal(status: 404, code: 404, description: "there is no Open311 endpoint \(source)")
        }
        // Refused before the host is asked: the client keeps the request and retries.
        guard desk.admits(configured) else {
            try? desk.store.refused(source: source, reason: "busy")
            let seconds = desk.retryAfterSeconds(configured)
            throw Open311Refusal(
                status: 429,
                code: 429,
                description: "too many requests are being processed; retry after \(seconds) seconds",
                retryAfterSeconds: seconds
            )
        }
        if apiKey.isEmpty {
            try? desk.store.refused(source: source, reason: "api_key")
            throw Open311Refusal(status: 403, code: 403, description: "no api_key was given; a request needs one")
        }
        let client = Gongzhi_Intake_V1_IntakeClient(channel: HostChannel(client: host, token: apiKey))
        do {
            return try await client.submitTicket(request)
        } catch let error as RPCError {
            switch error.code {
            case .unauthenticated, .permissionDenied:
                try? desk.store.refused(source: source, reason: "api_key")
                throw Open311Refusal(
                    status: 403,
                    code: 403,
                    description:
                        "the api_key is not valid for submitting requests (unknown, expired or without the intake scope)"
                )
            case .notFound:
                throw Open311Refusal(status: 404, code: 404, description: error.message)
            case .invalidArgument:
                try? desk.store.refused(source: source, reason: "invalid")
                throw Open311Refusal(status: 400, code: 400, description: error.message)
            case .resourceExhausted:
                throw Open311Refusal(
                    status: 429,
                    code: 429,
                    description: error.message,
                    retryAfterSeconds: desk.retryAfterSeconds(configured)
                )
            default:
                try? desk.store.refused(source: source, reason: "unavailable")
                throw Open311Refusal(
                    status: 503,
                    code: 503,
                    description: "the service cannot take requests now; retry shortly",
                    retryAfterSeconds: 5
                )
            }
        }
    }

    func request(source: String, id: String) async -> Open311ServiceRequest? {
        guard let seq = UInt64(id),
            let item = desk.books.items[IntakeIdentity.itemID(source: source, inboxSequence: seq)]?.message
        else { return nil }
        return Open311Tickets.publicView(item, serviceName: serviceName(source: source, code: item.serviceCode))
    }

    func requests(source: String, query: Open311Query) async throws -> [Open311ServiceRequest] {
        let ids = Set(query.serviceRequestIDs)
        let codes = Set(query.serviceCodes)
        let statuses = Set(query.statuses.map(\.rawValue))
        let items = desk.books.items.all().values.map(\.message).filter { item in
            guard item.source == source else { return false }
            // Named ids override the other parameters, as GeoReport v2 says.
            if !ids.isEmpty { return ids.contains(item.serviceRequestID) }
            return (codes.isEmpty || codes.contains(item.serviceCode))
                && item.receivedAtMs >= query.startMs && item.receivedAtMs <= query.endMs
                && (statuses.isEmpty || statuses.contains(Open311Status.of(item: item).status))
        }.sorted { $0.inboxSequence < $1.inboxSequence }
        return items.dropFirst(query.offset).prefix(query.pageSize).map {
            Open311Tickets.publicView($0, serviceName: serviceName(source: source, code: $0.serviceCode))
        }
    }

    func token(source: String, token: String) async -> (serviceRequestID: String, token: String)? {
        guard let seq = Open311Tickets.seq(ofToken: token, source: source) else { return nil }
        let routed = desk.books.items[IntakeIdentity.itemID(source: source, inboxSequence: seq)] != nil
        return (routed ? String(seq) : "", token)
    }

    private func serviceName(source: String, code: String) -> String {
        guard case .open311(let services, _)? = desk.settings.sources.source(named: source)?.kind else { return code }
        return services.first { $0.code == code }?.name ?? code
    }
}
