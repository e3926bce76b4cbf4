import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Every plugin the host knows: the ones it starts and supervises from the configuration, and the
/// external ones that attached themselves with an administrator's token.
actor PluginFleet {
    /// A plugin the host starts.
    private final class Managed {
        var configuration: PluginConfiguration
        var manifest: PluginManifest?
        /// Why the host will not start it (bad manifest, tampered executable), if it will not.
        var refusal: String?
        var disabled: Bool
        var supervisor: PluginSupervisor
        var process: PluginProcess?
        var token: String?
        var client: PluginConnections?
        var timers: [PluginSupervisor.Timer: Task<Void, Never>] = [:]
        var healthChecks: Task<Void, Never>?
        var registration: AsyncStream<Void>.Continuation?
        var registeredServicesWithMethods: [(name: String, methods: [String: RPCKind])] = []
        let logs: PluginLogBuffer
        var since = wallClockMilliseconds()

        init(
            configuration: PluginConfiguration,
            policy: PluginSupervisor.Policy,
            logLines: Int,
            logs: PluginLogBuffer? = nil
        ) {
            self.configuration = configuration
            self.disabled = !configuration.enabled
            self.supervisor = PluginSupervisor(policy: policy)
            self.logs = logs ?? PluginLogBuffer(capacity: logLines)
        }

        /// Stops every timer and the health checks: the plugin is being replaced or forgotten.
        func cancelTasks() {
            for timer in timers.values { timer.cancel() }
            timers.removeAll()
            healthChecks?.cancel()
            healthChecks = nil
        }
    }

    /// An external plugin that registered itself.
    private final class Attached {
        let name: String
        let version: String
        let pid: Int32
        let socketPath: String
        let client: PluginConnections
        let services: [String]
        let grants: [GrantPattern]
        /// The administrator's token it registered with.
        let tokenID: String
        var detached = false
        var reason = ""
        var since = wallClockMilliseconds()
        var registration: AsyncStream<Void>.Continuation?

        init(
            name: String,
            version: String,
            pid: Int32,
            socketPath: String,
            client: PluginConnections,
            services: [String],
            grants: [GrantPattern],
            tokenID: String
        ) {
            self.tokenID = tokenID
            self.name = name
            self.version = version
            self.pid = pid
            self.socketPath = socketPath
            self.client = client
            self.services = services
            self.grants = grants
        }
    }

    private var configuration: HostConfiguration
    private var managed: [String: Managed] = [:]
    private var attached: [String: Attached] = [:]
    private let routes: RoutingTable
    private let credentials: Credentials
    private let audit: AuditLog
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private var shuttingDown = false
    /// Operations that wait for plugins to stop (apply, enable, disable, restart, stopAll) run one at
    /// a time, so that one never starts a plugin another is waiting to see stopped.
    private var operationRunning = false
    private var operationWaiters: [CheckedContinuation<Void, Never>] = []

    private func beginOperation() async {
        if operationRunning {
            await withCheckedContinuation { operationWaiters.append($0) }
        }
        operationRunning = true
    }

    private func endOperation() {
        if operationWaiters.isEmpty {
            operationRunning = false
        } else {
            operationWaiters.removeFirst().resume()
        }
    }

    init(
        configuration: HostConfiguration,
        routes: RoutingTable,
        credentials: Credentials,
        audit: AuditLog,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.configuration = configuration
        self.routes = routes
        self.credentials = credentials
        self.audit = audit
        self.logger = logger
    }

    // MARK: Configuration

    /// Brings the plugins in line with a configuration: new ones start, removed ones stop, changed ones
    /// restart, unchanged ones keep running.
    func apply(_ next: HostConfiguration) async {
        await beginOperation()
        defer { endOperation() }
        guard !shuttingDown else { return }
        let previous = configuration
        configuration = next
        credentials.setAdminUIDs(next.adminUIDs)
        let wanted = Dictionary(uniqueKeysWithValues: next.plugins.map { ($0.name, $0) })

        for (name, plugin) in managed where wanted[name] == nil {
            logger.info("plugin removed from the configuration; stopping it", metadata: ["plugin": "\(name)"])
            send(.stop(reason: "removed from the configuration"), to: plugin, name: name)
            routes.remove(plugin: name)
            credentials.setGrants(nil, plugin: name)
            await waitUntilStopped(plugin)
            plugin.cancelTasks()
            managed[name] = nil
        }
        for (name, entry) in wanted.sorted(by: { $0.key < $1.key }) {
            let manifestChanged = manifestDiffers(name)
            if let existing = managed[name] {
                let changed =
                    existing.configuration != entry || manifestChanged
                    || previous.supervision != next.supervision
                existing.configuration = entry
                if !changed { continue }
                logger.info("plugin configuration changed; restarting it", metadata: ["plugin": "\(name)"])
                existing.disabled = !entry.enabled
                if existing.supervisor.hasProcess {
                    send(.stop(reason: "configuration changed"), to: existing, name: name)
                    await waitUntilStopped(existing)
                }
                existing.cancelTasks()
                let fresh = Managed(
                    configuration: entry,
                    policy: PluginSupervisor.Policy(next.supervision, restart: entry.restart),
                    logLines: next.supervision.logLines,
                    logs: existing.logs
                )
                managed[name] = fresh
                load(fresh, name: name)
                if !fresh.disabled && !shuttingDown { start(fresh, name: name) }
            } else {
                let plugin = Managed(
                    configuration: entry,
                    policy: PluginSupervisor.Policy(next.supervision, restart: entry.restart),
                    logLines: next.supervision.logLines
                )
                managed[name] = plugin
                load(plugin, name: name)
                if !plugin.disabled { start(plugin, name: name) }
            }
        }
    }

    private func manifestDiffers(_ name: String) -> Bool {
        guard let plugin = managed[name], let path = configuration.manifestPath(name) else { return false }
        let current = try? PluginManifest.load(path: path)
        return current != plugin.manifest
    }

    /// Reads the manifest and claims its services.
    private func load(_ plugin: Managed, name: String) {
        plugin.refusal = nil
        guard let path = configuration.manifestPath(name) else {
            plugin.refusal = "plugin_dir is not set in \(configuration.path)"
            return
        }
        do throws(ConfigurationError) {
            let manifest = try PluginManifest.load(path: path)
            guard manifest.name == name else {
                throw ConfigurationError(
                    file: path,
                    key: "name",
                    message: "the manifest names \(manifest.name), but the configuration enables \(name)"
                )
            }
            if let external = attached[name], !external.detached {
                throw ConfigurationError(
                    file: path,
                    key: "name",
                    message: "an external plugin named \(name) is attached (pid \(external.pid)); stop it first"
                )
            }
            for service in manifest.services {
                if let reserved = PluginProtocol.reservedPrefix(of: service) {
                    throw ConfigurationError(
                        file: path,
                        key: "services",
                        message: "\(service) is in \(reserved), which belongs to the host"
                    )
                }
                if let owner = routes.owner(of: service), owner != name {
                    throw ConfigurationError(
                        file: path,
                        key: "services",
                        message: "\(service) is already served by plugin \(owner)"
                    )
                }
            }
            plugin.manifest = manifest
            let effective = GrantSet.effective(
                requested: manifest.requestedGrants,
                approved: plugin.configuration.approvedGrants
            )
            let pending = manifest.requestedGrants.filter { !effective.contains($0) }
            if !pending.isEmpty {
                logger.warning(
                    "plugin asks for grants that the configuration does not approve; it runs without them",
                    metadata: ["plugin": "\(name)", "grants": "\(pending.map(\.description).joined(separator: ","))"]
                )
            }
            credentials.setGrants(GrantSet(effective), plugin: name)
            routes.claim(plugin: name, services: manifest.services, reason: "it is stopped", dropOthers: true)
        } catch {
            plugin.refusal = error.description
            logger.error("plugin refused: \(error.description)", metadata: ["plugin": "\(name)"])
            audit.record(
                principal: "host",
                action: "plugin.load",
                target: name,
                outcome: "failed",
                detail: error.description
            )
        }
    }

    /// Starts a plugin after checking its manifest and executable.
    private func start(_ plugin: Managed, name: String) {
        guard !shuttingDown, plugin.refusal == nil, let manifest = plugin.manifest else { return }
        guard verify(manifest, of: plugin, name: name) else { return }
        send(.start, to: plugin, name: name)
    }

    /// Checks the manifest's protocol versions and the executable's hash; on failure the plugin is
    /// refused, with the reason logged and audited.
    private func verify(_ manifest: PluginManifest, of plugin: Managed, name: String) -> Bool {
        do {
            try manifest.verify()
            return true
        } catch {
            plugin.refusal = error.description
            logger.error("plugin refused: \(error.description)", metadata: ["plugin": "\(name)"])
            audit.record(
                principal: "host",
                action: "plugin.start",
                target: name,
                outcome: "failed",
                detail: error.description
            )
            return false
        }
    }

    // MARK: Operators

    enum OperatorError: Error {
        case notFound(String)
        case notManaged(String)
        case refused(String)
    }

    func enable(_ name: String) async throws(OperatorError) -> Gongzhi_Host_V1_PluginStatus {
        await beginOperation()
        defer { endOperation() }
        guard let plugin = managed[name] else { throw missing(name) }
        plugin.disabled = false
        load(plugin, name: name)
        if let refusal = plugin.refusal { throw .refused(refusal) }
        start(plugin, name: name)
        if let refusal = plugin.refusal { throw .refused(refusal) }
        return status(name, plugin)
    }

    func disable(_ name: String) async throws(OperatorError) -> Gongzhi_Host_V1_PluginStatus {
        await beginOperation()
        defer { endOperation() }
        guard let plugin = managed[name] else { throw missing(name) }
        plugin.disabled = true
        send(.stop(reason: "disabled by an administrator"), to: plugin, name: name)
        await waitUntilStopped(plugin)
        return status(name, plugin)
    }

    func restart(_ name: String) async throws(OperatorError) -> Gongzhi_Host_V1_PluginStatus {
        await beginOperation()
        defer { endOperation() }
        guard let plugin = managed[name] else { throw missing(name) }
        plugin.disabled = false
        load(plugin, name: name)
        if let refusal = plugin.refusal { throw .refused(refusal) }
        if plugin.supervisor.hasProcess {
            send(.restart, to: plugin, name: name)
        } else {
            start(plugin, name: name)
            if let refusal = plugin.refusal { throw .refused(refusal) }
        }
        return status(name, plugin)
    }

    private func missing(_ name: String) -> OperatorError {
        if attached[name] != nil { return .notManaged(name) }
        return .notFound(name)
    }

    func logs(_ name: String) -> PluginLogBuffer? {
        managed[name]?.logs
    }

    // MARK: Supervision

    private func send(_ event: PluginSupervisor.Event, to plugin: Managed, name: String) {
        let before = plugin.supervisor.state
        let actions = plugin.supervisor.handle(event, now: .now)
        if plugin.supervisor.state != before {
            plugin.since = wallClockMilliseconds()
            var metadata: Logger.Metadata = ["plugin": "\(name)", "state": "\(plugin.supervisor.state.rawValue)"]
            if !plugin.supervisor.reason.isEmpty { metadata["reason"] = "\(plugin.supervisor.reason)" }
            let level: Logger.Level =
                switch plugin.supervisor.state {
                case .crashed, .quarantined, .backingOff, .degraded: .warning
                default: .info
                }
            logger.log(level: level, "plugin \(plugin.supervisor.state.rawValue)", metadata: metadata)
            if plugin.supervisor.state == .quarantined {
                audit.record(
                    principal: "host",
                    action: "plugin.quarantine",
                    target: name,
                    outcome: "ok",
                    detail: plugin.supervisor.reason
                )
            }
        }
        for action in actions {
            perform(action, plugin: plugin, name: name)
        }
        if !plugin.supervisor.hasProcess {
            release(plugin, name: name)
        }
        let runs = plugin.supervisor.state == .ready || plugin.supervisor.state == .degraded
        if runs && plugin.healthChecks == nil {
            plugin.healthChecks = Task { [weak self] in await self?.checkHealth(name) }
        } else if !runs, let checks = plugin.healthChecks {
            checks.cancel()
            plugin.healthChecks = nil
        }
    }

    private func perform(_ action: PluginSupervisor.Action, plugin: Managed, name: String) {
        switch action {
        case .spawn:
            spawn(plugin, name: name)
        case .publishRoutes:
            guard let client = plugin.client else { return }
            var methods: [String: [String: RPCKind]] = [:]
            for service in plugin.registeredServicesWithMethods { methods[service.name] = service.methods }
            routes.publish(plugin: name, methods: methods, client: client)
        case .withdrawRoutes:
            routes.withdraw(plugin: name, reason: "it is \(plugin.supervisor.state.rawValue)")
        case .requestShutdown(let grace):
            guard let client = plugin.client else { return }
            let milliseconds = UInt32(clamping: grace.saturatingNanoseconds / 1_000_000)
            Task {
                var request = Gongzhi_Plugin_V1_ShutdownRequest()
                request.reason = "the host is stopping the plugin"
                request.gracePeriodMs = milliseconds
                _ = try? await Gongzhi_Plugin_V1_PluginClient(channel: client.first).shutdown(
                    request,
                    options: CallOptions(timeout: .seconds(2))
                )
            }
        case .signal(let signal):
            plugin.process?.send(signal == .kill ? SIGKILL : SIGTERM)
        case .schedule(let timer, let delay):
            plugin.timers[timer]?.cancel()
            let owner = ObjectIdentifier(plugin)
            plugin.timers[timer] = Task { [weak self] in
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled else { return }
                await self?.timerFired(timer, name: name, owner: owner)
            }
        case .cancel(let timer):
            plugin.timers[timer]?.cancel()
            plugin.timers[timer] = nil
        }
    }

    private func timerFired(_ timer: PluginSupervisor.Timer, name: String, owner: ObjectIdentifier) {
        // A timer of a plugin that was replaced since (reloaded configuration) is ignored.
        guard let plugin = managed[name], ObjectIdentifier(plugin) == owner else { return }
        plugin.timers[timer] = nil
        send(.timerFired(timer), to: plugin, name: name)
    }

    private func spawn(_ plugin: Managed, name: String) {
        // What belonged to a previous process (a restart goes from stopping straight to starting).
        release(plugin, name: name)
        guard !shuttingDown, let manifest = plugin.manifest else {
            send(.spawnFailed(reason: "the host is stopping"), to: plugin, name: name)
            return
        }
        // Checked before every start, restarts included.
        guard verify(manifest, of: plugin, name: name) else {
            send(.spawnFailed(reason: plugin.refusal ?? "refused"), to: plugin, name: name)
            return
        }
        let token = credentials.issueTicket(plugin: name)
        plugin.token = token
        let socketPath = configuration.pluginSocketPath(name)
        let dataDirectory = configuration.pluginDataDirectory(name)
        do {
            try makeDirectory(dataDirectory, mode: 0o700)
        } catch {
            send(.spawnFailed(reason: error.description), to: plugin, name: name)
            return
        }
        unlink(socketPath)
        var environment = plugin.configuration.environment
        environment["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        environment["LANG"] = "C.UTF-8"
        environment["GONGZHI_PLUGIN_NAME"] = name
        environment["GONGZHI_PLUGIN_SOCKET"] = socketPath
        environment["GONGZHI_HOST_SOCKET"] = configuration.hostSocketPath
        environment["GONGZHI_PLUGIN_TOKEN"] = token
        environment["GONGZHI_DATA_DIR"] = dataDirectory
        environment["GONGZHI_HOST_PID"] = String(getpid())
        environment["GONGZHI_LOG_LEVEL"] = (plugin.configuration.logLevel ?? configuration.logLevel).rawValue

        let logs = plugin.logs
        var pluginLogger = logger
        pluginLogger[metadataKey: "plugin"] = "\(name)"
        let lineLogger = pluginLogger
        let process: PluginProcess
        do {
            // Set by the exit callback below once the process is known.
            let box = ProcessIdentity()
            process = try PluginProcess.spawn(
                PluginProcess.Launch(
                    executable: manifest.executable,
                    environment: environment
                ),
                onLine: { stream, raw in
                    let line = PluginLogLine(stream: stream, raw: raw, timeMilliseconds: wallClockMilliseconds())
                    logs.append(line)
                    lineLogger.log(level: line.level, "\(line.text)")
                },
                onExit: { [weak self] reason in
                    Task { await self?.processExited(name: name, identity: box, reason: reason) }
                }
            )
            box.set(ObjectIdentifier(process))
        } catch {
            credentials.revoke(ticket: token)
            plugin.token = nil
            send(.spawnFailed(reason: error.description), to: plugin, name: name)
            return
        }
        plugin.process = process
        credentials.bind(ticket: token, pid: process.pid)
        credentials.addPluginProcessGroup(process.pid)
        writePIDFile(name: name, process: process)
        routes.withdraw(plugin: name, reason: "it is starting")
        send(.spawned(pid: process.pid), to: plugin, name: name)
    }

    private func processExited(name: String, identity: ProcessIdentity, reason: String) async {
        guard let plugin = managed[name], let process = plugin.process,
            identity.value == ObjectIdentifier(process)
        else { return }
        plugin.process = nil
        credentials.removePluginProcessGroup(process.pid)
        removePIDFile(name: name)
        release(plugin, name: name)
        send(.exited(reason: reason), to: plugin, name: name)
    }

    /// Lets go of what belonged to a process that is gone.
    private func release(_ plugin: Managed, name: String) {
        if let token = plugin.token {
            credentials.revoke(ticket: token)
            plugin.token = nil
        }
        plugin.registration?.finish()
        plugin.registration = nil
        if let client = plugin.client {
            plugin.client = nil
            Task { await client.close() }
        }
    }

    private func checkHealth(_ name: String) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.supervision.healthInterval)
            guard !Task.isCancelled, let plugin = managed[name], let client = plugin.client else { return }
            let event = await Self.health(client.first, timeout: configuration.supervision.healthTimeout)
            guard !Task.isCancelled, managed[name] === plugin else { return }
            send(event, to: plugin, name: name)
        }
    }

    private static func health(_ client: RPCClient, timeout: Duration) async -> PluginSupervisor.Event {
        do {
            let answer = try await Gongzhi_Plugin_V1_PluginClient(channel: client).health(
                Gongzhi_Plugin_V1_HealthRequest(),
                options: CallOptions(timeout: timeout)
            )
            switch answer.status {
            case .serving: return .healthPassed
            case .degraded: return .healthDegraded(reason: answer.message.isEmpty ? "degraded" : answer.message)
            default:
                return .healthFailed(
                    reason: "it answered \(answer.status)" + (answer.message.isEmpty ? "" : ": \(answer.message)")
                )
            }
        } catch let error as RPCError {
            return .healthFailed(reason: "\(error.code): \(error.message)")
        } catch {
            return .healthFailed(reason: "\(error)")
        }
    }

    private func waitUntilStopped(_ plugin: Managed) async {
        while plugin.supervisor.hasProcess {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops every plugin gracefully (Shutdown, then SIGTERM, then SIGKILL) and waits for them.
    func stopAll() async {
        shuttingDown = true
        await beginOperation()
        defer { endOperation() }
        for (name, plugin) in managed {
            send(.stop(reason: "the host is stopping"), to: plugin, name: name)
        }
        for plugin in managed.values {
            await waitUntilStopped(plugin)
            plugin.cancelTasks()
        }
        for (_, plugin) in attached {
            plugin.registration?.finish()
        }
    }

    // MARK: Registration

    struct Registered: Sendable {
        var grants: [String]
        var protocolVersion: String
        /// Ends when the registration does.
        var lease: AsyncStream<Void>
    }

    /// Accepts a plugin's registration, or says why not.
    /// What a registering plugin presented.
    enum RegistrationCredential: Sendable {
        /// The token the host gave the process it started.
        case ticket(String)
        /// A token an administrator issued for an external plugin, with its scopes.
        case issued(tokenID: String, grants: [GrantPattern])
    }

    /// Accepts a plugin's registration, or says why not.
    func register(
        _ request: Gongzhi_Host_V1_RegisterRequest,
        name: String,
        peer: PeerCredentials,
        credential: RegistrationCredential
    ) async throws -> Registered {
        guard !shuttingDown else {
            throw RPCError(code: .unavailable, message: "the host is shutting down")
        }
        guard request.name == name else {
            throw RPCError(
                code: .permissionDenied,
                message: "the token belongs to plugin \(name), but the registration names \(request.name)"
            )
        }
        let methods = try Self.methods(of: request)
        for service in methods.keys {
            if let reserved = PluginProtocol.reservedPrefix(of: service) {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\(service) is in \(reserved), which belongs to the host; a plugin cannot serve it"
                )
            }
        }
        routes.describe(
            plugin: name,
            services: Array(methods.keys),
            schemas: try Self.schemas(of: request, methods: methods)
        )
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
            guard ticket.pid != 0, ticket.pid == peer.pid else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "the token of plugin \(name) was presented by pid \(peer.pid), "
                        + "but the host gave it to pid \(ticket.pid)"
                )
            }
            return try await registerManaged(plugin, name: name, request: request, methods: methods)
        case .issued(let tokenID, let grants):
            if managed[name] != nil {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "plugin \(name) is started by the host from its configuration; "
                        + "an external plugin needs another name"
                )
            }
            return try await registerExternal(
                name: name,
                pid: peer.pid,
                request: request,
                methods: methods,
                grants: grants,
                tokenID: tokenID
            )
        }
    }

    /// The services' schemas from the registration's descriptors; none when it sent none.
    private static func schemas(
        of request: Gongzhi_Host_V1_RegisterRequest,
        methods: [String: [String: RPCKind]]
    ) throws(RPCError) -> [String: ServiceSchema] {
        guard !request.fileDescriptorSet.isEmpty else { return [:] }
        do {
            return try ServiceSchema.parse(fileDescriptorSet: request.fileDescriptorSet, services: methods)
        } catch {
            throw RPCError(code: .invalidArgument, message: "plugin \(request.name)'s registration: \(error)")
        }
    }

    private static func methods(of request: Gongzhi_Host_V1_RegisterRequest) throws -> [String: [String: RPCKind]] {
        var methods: [String: [String: RPCKind]] = [:]
        for service in request.services {
            guard !service.name.isEmpty, service.name.contains(".") else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\"\(service.name)\" is not a fully qualified service name"
                )
            }
            guard !service.methods.isEmpty else {
                throw RPCError(code: .invalidArgument, message: "service \(service.name) lists no methods")
            }
            var kinds: [String: RPCKind] = [:]
            for method in service.methods {
                let kind: RPCKind
                switch method.kind {
                case .unary: kind = .unary
                case .clientStreaming: kind = .clientStreaming
                case .serverStreaming: kind = .serverStreaming
                case .bidirectionalStreaming: kind = .bidirectionalStreaming
                default:
                    throw RPCError(
                        code: .invalidArgument,
                        message: "\(service.name)/\(method.name) has no call shape (kind); set it"
                    )
                }
                kinds[method.name] = kind
            }
            methods[service.name] = kinds
        }
        return methods
    }

    private func registerManaged(
        _ plugin: Managed,
        name: String,
        request: Gongzhi_Host_V1_RegisterRequest,
        methods: [String: [String: RPCKind]]
    ) async throws -> Registered {
        guard let manifest = plugin.manifest else {
            throw RPCError(code: .failedPrecondition, message: "plugin \(name) has no manifest loaded")
        }
        guard plugin.supervisor.state == .starting, plugin.registration == nil else {
            throw RPCError(
                code: .failedPrecondition,
                message:
                    "plugin \(name) is \(plugin.supervisor.state.rawValue), not starting; it registers once per start"
            )
        }
        var problems: [String] = []
        if request.version != manifest.version {
            problems.append("version \(request.version) differs from the manifest's \(manifest.version)")
        }
        if !manifest.protocolVersions.contains(request.protocolVersion)
            || !PluginProtocol.supported.contains(request.protocolVersion)
        {
            problems.append(
                "protocol \(request.protocolVersion) is not one both speak (manifest: "
                    + "\(manifest.protocolVersions.joined(separator: ", ")); host: \(PluginProtocol.supported.joined(separator: ", ")))"
            )
        }
        let expectedSocket = configuration.pluginSocketPath(name)
        if request.socketPath != expectedSocket {
            problems.append("it serves \(request.socketPath), not the socket the host gave it (\(expectedSocket))")
        }
        let registered = Set(methods.keys)
        let declared = Set(manifest.services)
        if registered != declared {
            let missing = declared.subtracting(registered).sorted()
            let extra = registered.subtracting(declared).sorted()
            var text = "its services differ from the manifest's"
            if !missing.isEmpty { text += "; missing: \(missing.joined(separator: ", "))" }
            if !extra.isEmpty { text += "; not in the manifest: \(extra.joined(separator: ", "))" }
            problems.append(text)
        }
        guard problems.isEmpty else {
            throw RPCError(
                code: .failedPrecondition,
                message: "registration of plugin \(name) does not match its manifest \(manifest.path): "
                    + problems.joined(separator: "; ")
            )
        }

        let process = plugin.process.map(ObjectIdentifier.init)
        let client = PluginConnections(socketPath: request.socketPath, group: eventLoopGroup)
        let health = await Self.health(client.first, timeout: configuration.supervision.healthTimeout)
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
        plugin.registeredServicesWithMethods = methods.map { (name: $0.key, methods: $0.value) }
        let (lease, continuation) = AsyncStream<Void>.makeStream()
        plugin.registration = continuation
        send(.ready, to: plugin, name: name)
        if case .healthDegraded(let reason) = health {
            send(.healthDegraded(reason: reason), to: plugin, name: name)
        }
        audit.record(
            principal: "plugin:\(name)",
            action: "plugin.register",
            target: name,
            outcome: "ok",
            detail: "pid \(plugin.supervisor.pid ?? 0), version \(request.version)"
        )
        let grants = credentials.grants(plugin: name).patterns.map(\.description)
        return Registered(grants: grants, protocolVersion: request.protocolVersion, lease: lease)
    }

    private func registerExternal(
        name: String,
        pid: Int32,
        request: Gongzhi_Host_V1_RegisterRequest,
        methods: [String: [String: RPCKind]],
        grants: [GrantPattern],
        tokenID: String
    ) async throws -> Registered {
        if let existing = attached[name], !existing.detached {
            throw RPCError(
                code: .alreadyExists,
                message: "plugin \(name) is already attached (pid \(existing.pid)); stop it first"
            )
        }
        guard PluginProtocol.supported.contains(request.protocolVersion) else {
            throw RPCError(
                code: .failedPrecondition,
                message:
                    "protocol \(request.protocolVersion) is not spoken here (\(PluginProtocol.supported.joined(separator: ", ")))"
            )
        }
        for service in methods.keys {
            if let owner = routes.owner(of: service), owner != name {
                throw RPCError(code: .alreadyExists, message: "\(service) is already served by plugin \(owner)")
            }
        }
        guard request.socketPath.hasPrefix("/") else {
            throw RPCError(code: .invalidArgument, message: "socket_path must be absolute, not \(request.socketPath)")
        }
        let socketPath = normalize(request.socketPath)
        guard !socketPath.hasPrefix(configuration.runtimeDirectory + "/") else {
            throw RPCError(
                code: .invalidArgument,
                message: "socket_path \(socketPath) is in the host's runtime folder; serve the plugin elsewhere"
            )
        }
        let client = PluginConnections(socketPath: request.socketPath, group: eventLoopGroup)
        let health = await Self.health(client.first, timeout: configuration.supervision.healthTimeout)
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
        let plugin = Attached(
            name: name,
            version: request.version,
            pid: pid,
            socketPath: request.socketPath,
            client: client,
            services: methods.keys.sorted(),
            grants: grants,
            tokenID: tokenID
        )
        let (lease, continuation) = AsyncStream<Void>.makeStream()
        plugin.registration = continuation
        attached[name] = plugin
        credentials.setExternalPID(pid, plugin: name)
        credentials.setGrants(GrantSet(grants), plugin: name)
        routes.publish(plugin: name, methods: methods, client: client)
        logger.info("external plugin attached", metadata: ["plugin": "\(name)", "pid": "\(pid)"])
        audit.record(
            principal: "plugin:\(name)",
            action: "plugin.attach",
            target: name,
            outcome: "ok",
            detail: "pid \(pid), version \(request.version)"
        )
        return Registered(grants: grants.map(\.description), protocolVersion: request.protocolVersion, lease: lease)
    }

    /// An external plugin's registration ended: it is detached until it registers again.
    func detach(_ name: String, pid: Int32) async {
        guard let plugin = attached[name], plugin.pid == pid, !plugin.detached else { return }
        plugin.detached = true
        plugin.reason = "its registration ended"
        plugin.since = wallClockMilliseconds()
        plugin.registration?.finish()
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

    /// True when `name` is a plugin the host starts from its configuration.
    func isManaged(_ name: String) -> Bool {
        managed[name] != nil
    }

    // MARK: Status

    func statuses() -> [Gongzhi_Host_V1_PluginStatus] {
        var all = managed.map { status($0.key, $0.value) }
        all += attached.map { status($0.value) }
        return all.sorted { $0.name < $1.name }
    }

    func status(_ name: String) -> Gongzhi_Host_V1_PluginStatus? {
        if let plugin = managed[name] { return status(name, plugin) }
        if let plugin = attached[name] { return status(plugin) }
        return nil
    }

    private func status(_ name: String, _ plugin: Managed) -> Gongzhi_Host_V1_PluginStatus {
        var status = Gongzhi_Host_V1_PluginStatus()
        status.name = name
        status.managed = true
        let supervisor = plugin.supervisor
        if let refusal = plugin.refusal {
            status.state = "refused"
            status.reason = refusal
        } else if plugin.disabled && supervisor.state == .stopped {
            status.state = "disabled"
            status.reason = supervisor.reason
        } else {
            status.state = supervisor.state.rawValue
            status.reason = supervisor.reason
        }
        status.pid = supervisor.pid ?? 0
        status.sinceMs = plugin.since
        status.restarts = UInt32(supervisor.restarts)
        status.recentCrashes = UInt32(supervisor.recentCrashes.count)
        if let next = supervisor.nextStart {
            let remaining = next - .now
            status.nextStartMs = wallClockMilliseconds() + max(0, remaining.saturatingNanoseconds / 1_000_000)
        }
        status.socketPath = configuration.pluginSocketPath(name)
        status.manifestPath = configuration.manifestPath(name) ?? ""
        status.approvedGrants = plugin.configuration.approvedGrants.map(\.description)
        if let manifest = plugin.manifest {
            status.version = manifest.version
            status.services = manifest.services
            status.requestedGrants = manifest.requestedGrants.map(\.description)
            status.executable = manifest.executable
            status.effectiveGrants = GrantSet.effective(
                requested: manifest.requestedGrants,
                approved: plugin.configuration.approvedGrants
            ).map(\.description)
        }
        return status
    }

    private func status(_ plugin: Attached) -> Gongzhi_Host_V1_PluginStatus {
        var status = Gongzhi_Host_V1_PluginStatus()
        status.name = plugin.name
        status.managed = false
        status.state = plugin.detached ? "detached" : "attached"
        status.reason = plugin.reason
        status.version = plugin.version
        status.pid = plugin.detached ? 0 : plugin.pid
        status.sinceMs = plugin.since
        status.services = plugin.services
        status.socketPath = plugin.socketPath
        status.requestedGrants = plugin.grants.map(\.description)
        status.approvedGrants = plugin.grants.map(\.description)
        status.effectiveGrants = plugin.grants.map(\.description)
        return status
    }

    // MARK: Process records

    private func writePIDFile(name: String, process: PluginProcess) {
        let line = "\(process.pid) \(process.startTime ?? 0)\n"
        try? writeFileAtomically(configuration.pluginSocketDirectory + "/\(name).pid", Array(line.utf8))
    }

    private func removePIDFile(name: String) {
        unlink(configuration.pluginSocketDirectory + "/\(name).pid")
    }
}

/// The process an exit callback belongs to, set once the spawn has returned.
private final class ProcessIdentity: Sendable {
    private let identifier = Mutex<ObjectIdentifier?>(nil)
    var value: ObjectIdentifier? { identifier.withLock { $0 } }
    func set(_ value: ObjectIdentifier) { identifier.withLock { $0 = value } }
}
