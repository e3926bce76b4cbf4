import GongzhiRPC
import GongzhiSchemas

/// `gongzhi.host.v1.Registration` on host.sock: plugins attach here.
struct RegistrationService: Gongzhi_Host_V1_RegistrationHandler {
    let fleet: PluginFleet
    let credentials: Credentials

    func register(
        request: Gongzhi_Host_V1_RegisterRequest,
        responses: RPCResponseWriter<Gongzhi_Host_V1_RegistrationEvent>,
        context: ServerCallContext
    ) async throws {
        let peer = context.peer
        let principal = Principal.plugin(name: request.name, pid: peer.pid, uid: peer.uid)
        // The dispatcher identified the caller as this plugin; an administrator's plugin token carries
        // the grants of an external plugin.
        var externalGrants: [GrantPattern]?
        var name = request.name
        if let token = context.requestMetadata[CallerMetadata.token] {
            if case .success(let record) = credentials.tokens.verify(token), record.kind == .plugin {
                externalGrants = record.grants.patterns
                name = record.subject
            } else if let ticket = credentials.ticket(token) {
                name = ticket.plugin
            }
        }
        let caller = Principal.plugin(name: name, pid: principal.pid, uid: peer.uid)
        let registered = try await fleet.register(request, principal: caller, externalGrants: externalGrants)
        var accepted = Gongzhi_Host_V1_Accepted()
        accepted.grants = registered.grants
        accepted.protocolVersion = registered.protocolVersion
        accepted.hostVersion = GongzhiHostVersion.current
        var event = Gongzhi_Host_V1_RegistrationEvent()
        event.accepted = accepted
        try await responses.write(event)
        // Held open for as long as the registration lasts.
        for await _ in registered.lease {}
        if externalGrants != nil {
            await fleet.detach(name, pid: peer.pid)
        }
    }
}

public enum GongzhiHostVersion {
    public static let current = "0.3.0"
}
