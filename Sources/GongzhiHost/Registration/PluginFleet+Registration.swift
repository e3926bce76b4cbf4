import GongzhiRPC
import GongzhiRPCPosix

/// Registration: a plugin's registration is checked here, in one place (``register(_:name:peer:credential:)``),
/// and once accepted its services become routes — for a started plugin when its supervisor reports it
/// ready, for an external one at once.
extension PluginFleet {
    /// What a registering plugin presented.
    enum RegistrationCredential: Sendable {
        /// The token the host gave the process it started.
        case ticket(String)
        /// A token an administrator issued for an external plugin, with its scopes.
        case issued(tokenID: String, grants: [GrantPattern])
    }

    /// An accepted registration.
    struct Registered: Sendable {
        /// The grants the plugin holds.
        var grants: [GrantPattern]
        /// The protocol version the host chose.
        var protocolVersion: String
        /// Ends when the registration does.
        var lease: AsyncStream<Void>
    }

    /// Accepts a plugin's registration, or says why not. `name` is the plugin the credential belongs
    /// to; `peer` is the registering process, as the kernel reports it.
    func register(
        _ registration: PluginRegistration,
        name: String,
        peer: PeerCredentials,
        credential: RegistrationCredential
    ) async throws -> Registered {
        guard !shuttingDown else {
            throw RPCError(code: .unavailable, message: "the host is shutting down")
        }
        guard registration.name == name else {
            throw RPCError(
                code: .permissionDenied,
                message: "the token belongs to plugin \(name), but the registration names \(registration.name)"
            )
        }
        try registration.checkServices()
        switch credential {
        case .ticket(let token):
            // Checked here, on the fleet's executor, where the ticket is bound to its process before
            // any registration can be handled.
            guard let plugin = managed[name], plugin.token == token, let ticket = credentials.ticket(token) else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "the token of plugin \(name) is no longer valid (the process it was given to has ended)"
                )
            }
            try ticket.check(presentedBy: peer.pid)
            return try await registerManaged(plugin, registration)
        case .issued(let tokenID, let grants):
            if managed[name] != nil {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "plugin \(name) is started by the host from its configuration; "
                        + "an external plugin needs another name"
                )
            }
            return try await registerExternal(registration, pid: peer.pid, grants: grants, tokenID: tokenID)
        }
    }

    /// A plugin the host started: its registration must match its manifest, and the plugin must pass
    /// a health check; its supervisor then publishes its routes.
    private func registerManaged(
        _ plugin: ManagedPlugin,
        _ registration: PluginRegistration
    ) async throws -> Registered {
        let name = registration.name
        guard let manifest = plugin.manifest else {
            throw RPCError(code: .failedPrecondition, message: "plugin \(name) has no manifest loaded")
        }
        guard plugin.supervisor.state == .starting, plugin.lease == nil else {
            throw RPCError(
                code: .failedPrecondition,
                message:
                    "plugin \(name) is \(plugin.supervisor.state.rawValue), not starting; it registers once per start"
            )
        }
        try registration.check(against: manifest, socketPath: configuration.pluginSocketPath(name))

        let process = plugin.process.map(ObjectIdentifier.init)
        let client = PluginConnections(
            socketPath: registration.socketPath,
            group: eventLoopGroup,
            control: control.eventLoop
        )
        let health = await self.health(of: name, client)
        guard managed[name] === plugin, plugin.process.map(ObjectIdentifier.init) == process,
            plugin.supervisor.state == .starting
        else {
            await client.close()
            throw RPCError(code: .unavailable, message: "plugin \(name) stopped while it registered")
        }
        if case .healthFailed(let reason) = health {
            await client.close()
            throw RPCError(
                code: .failedPrecondition,
                message: "plugin \(name) registered, but its health check failed: \(reason)"
            )
        }
        plugin.client = client
        plugin.registration = registration
        let (lease, continuation) = AsyncStream<Void>.makeStream()
        plugin.lease = continuation
        send(.ready, to: plugin, name: name)
        switch health {
        case .healthDegraded, .healthInconclusive:
            send(health, to: plugin, name: name)
        default:
            break
        }
        audit.record(
            principal: "plugin:\(name)",
            action: "plugin.register",
            target: name,
            outcome: "ok",
            detail: "pid \(plugin.supervisor.pid ?? 0), version \(registration.version)"
                + registration.descriptorsNote
        )
        let grants = credentials.grants(plugin: name).patterns
        return Registered(grants: grants, protocolVersion: registration.protocolVersion, lease: lease)
    }

    /// Refuses a registration whose services another plugin serves.
    private func checkServicesFree(_ registration: PluginRegistration) throws(RPCError) {
        for service in registration.serviceNames.sorted() {
            if let owner = routes.owner(of: service), owner != registration.name {
                throw RPCError(code: .alreadyExists, message: "\(service) is already served by plugin \(owner)")
            }
        }
    }

    /// An external plugin: its services must be free and its socket outside the host's runtime folder,
    /// and it must pass a health check; its routes are published at once.
    private func registerExternal(
        _ registration: PluginRegistration,
        pid: Int32,
        grants: [GrantPattern],
        tokenID: String
    ) async throws -> Registered {
        let name = registration.name
        if let existing = attached[name], !existing.detached {
            throw RPCError(
                code: .alreadyExists,
                message: "plugin \(name) is already attached (pid \(existing.pid)); stop it first"
            )
        }
        guard PluginProtocol.supported.contains(registration.protocolVersion) else {
            throw RPCError(
                code: .failedPrecondition,
                message:
                    "protocol \(registration.protocolVersion) is not spoken here (\(PluginProtocol.supported.joined(separator: ", ")))"
            )
        }
        try checkServicesFree(registration)
        guard registration.socketPath.hasPrefix("/") else {
            throw RPCError(
                code: .invalidArgument,
                message: "socket_path must be absolute, not \(registration.socketPath)"
            )
        }
        let socketPath = normalize(registration.socketPath)
        guard !socketPath.hasPrefix(configuration.runtimeDirectory + "/") else {
            throw RPCError(
                code: .invalidArgument,
                message: "socket_path \(socketPath) is in the host's runtime folder; serve the plugin elsewhere"
            )
        }
        let client = PluginConnections(
            socketPath: registration.socketPath,
            group: eventLoopGroup,
            control: control.eventLoop
        )
        let health = await self.health(of: name, client)
        if case .healthFailed(let reason) = health {
            await client.close()
            throw RPCError(
                code: .failedPrecondition,
                message: "plugin \(name) registered, but its health check failed: \(reason)"
            )
        }
        if let existing = attached[name], !existing.detached {
            await client.close()
            throw RPCError(code: .alreadyExists, message: "plugin \(name) attached twice at once")
        }
        // Another plugin may have claimed one of the services while this one was asked for its health.
        do {
            try checkServicesFree(registration)
        } catch {
            await client.close()
            throw error
        }
        let plugin = AttachedPlugin(
            name: name,
            version: registration.version,
            pid: pid,
            socketPath: registration.socketPath,
            client: client,
            services: registration.serviceNames.sorted(),
            grants: grants,
            tokenID: tokenID
        )
        let (lease, continuation) = AsyncStream<Void>.makeStream()
        plugin.lease = continuation
        attached[name] = plugin
        credentials.setExternalPID(pid, plugin: name)
        credentials.setGrants(GrantSet(grants), plugin: name)
        routes.publish(plugin: name, services: registration.services, client: client)
        logger.info("external plugin attached", metadata: ["plugin": "\(name)", "pid": "\(pid)"])
        audit.record(
            principal: "plugin:\(name)",
            action: "plugin.attach",
            target: name,
            outcome: "ok",
            detail: "pid \(pid), version \(registration.version)" + registration.descriptorsNote
        )
        return Registered(grants: grants, protocolVersion: registration.protocolVersion, lease: lease)
    }

    /// An external plugin's registration ended: it is detached until it registers again.
    func detach(_ name: String, pid: Int32) async {
        guard let plugin = attached[name], plugin.pid == pid, !plugin.detached else { return }
        plugin.detached = true
        plugin.reason = "its registration ended"
        plugin.since = wallClockMilliseconds()
        plugin.lease?.finish()
        credentials.setExternalPID(nil, plugin: name)
        credentials.setGrants(nil, plugin: name)
        routes.remove(plugin: name)
        logger.info("external plugin detached", metadata: ["plugin": "\(name)"])
        audit.record(principal: "plugin:\(name)", action: "plugin.detach", target: name, outcome: "ok")
        await plugin.client.close()
    }

    /// An administrator revoked a token: an external plugin attached with it is let go.
    func tokenRevoked(_ id: String) async {
        for plugin in attached.values where plugin.tokenID == id && !plugin.detached {
            await detach(plugin.name, pid: plugin.pid)
        }
    }
}
