import GongzhiRPC
import GongzhiSchemas

/// `gongzhi.host.v1.Registration` on host.sock: plugins attach here.
struct RegistrationService: Gongzhi_Host_V1_RegistrationHandler {
    let fleet: PluginFleet
    let credentials: Credentials
    let audit: AuditLog

    func register(
        request: Gongzhi_Host_V1_RegisterRequest,
        responses: RPCResponseWriter<Gongzhi_Host_V1_RegistrationEvent>,
        context: ServerCallContext
    ) async throws {
        let peer = context.peer
        // The dispatcher let only plugin tokens through; which kind decides how the plugin is checked.
        let token = context.requestMetadata[CallerMetadata.token] ?? ""
        let name: String
        let credential: PluginFleet.RegistrationCredential
        if case .success(let (record, grants)) = credentials.tokens.verifyWithGrants(token), record.kind == .plugin {
            name = record.subject
            credential = .issued(tokenID: record.id, grants: grants.patterns)
        } else if let ticket = credentials.ticket(token) {
            name = ticket.plugin
            credential = .ticket(token)
        } else {
            throw RPCError(code: .unauthenticated, message: TokenRejection.unknown.message)
        }
        let registered: PluginFleet.Registered
        do {
            let registration = try PluginRegistration(request)
            registered = try await fleet.register(registration, name: name, peer: peer, credential: credential)
        } catch let error as RPCError {
            audit.record(
                principal: "plugin:\(name)",
                action: "plugin.register",
                target: name,
                outcome: "denied",
                detail: "pid \(peer.pid): \(error.message)"
            )
            throw error
        }
        var accepted = Gongzhi_Host_V1_Accepted()
        accepted.grants = registered.grants.map(\.description)
        accepted.protocolVersion = registered.protocolVersion
        accepted.hostVersion = GongzhiHostVersion.current
        var event = Gongzhi_Host_V1_RegistrationEvent()
        event.accepted = accepted
        try await responses.write(event)
        // Held open for as long as the registration lasts.
        for await _ in registered.lease {}
        if case .issued = credential {
            await fleet.detach(name, pid: peer.pid)
        }
    }
}

extension PluginRegistration {
    /// The registration a plugin sent; refused (INVALID_ARGUMENT) when a method does not say its call shape.
    init(_ request: Gongzhi_Host_V1_RegisterRequest) throws(RPCError) {
        var services: [Service] = []
        for service in request.services {
            var methods: [String: Method] = [:]
            for method in service.methods {
                guard let kind = method.kind.rpcKind else {
                    throw RPCError(
                        code: .invalidArgument,
                        message: "\(service.name)/\(method.name) has no call shape (kind); set it"
                    )
                }
                methods[method.name] = Method(kind: kind)
            }
            services.append(Service(name: service.name, methods: methods))
        }
        if !request.fileDescriptorSet.isEmpty {
            try Service.describe(&services, plugin: request.name, fileDescriptorSet: request.fileDescriptorSet)
        }
        self.init(
            name: request.name,
            version: request.version,
            protocolVersion: request.protocolVersion,
            socketPath: request.socketPath,
            services: services
        )
    }
}
