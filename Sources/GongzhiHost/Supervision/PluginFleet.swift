import Logging
import NIOCore

/// Every plugin the host knows: the ones it starts and supervises from the configuration, and the
/// external ones that attached themselves with an administrator's token.
///
/// Its parts, by concern: this file brings the plugins in line with the configuration and carries out
/// operators' requests; `PluginFleet+Supervision.swift` runs each started plugin's supervisor (processes,
/// timers, health checks); `PluginFleet+Registration.swift` accepts registrations and turns them into
/// routes; `PluginFleet+Status.swift` answers what each plugin is doing.
///
/// The actor runs on the host's control loop (``ControlLoop``), not on the global executor that serves clients:
/// its timers, health checks and Shutdown calls do too, so that supervision keeps time however busy the host is.
actor PluginFleet {
    var configuration: HostConfiguration
    var managed: [String: ManagedPlugin] = [:]
    var attached: [String: AttachedPlugin] = [:]
    let routes: RoutingTable
    let credentials: Credentials
    let audit: AuditLog
    let logger: Logger
    /// The loops that serve the sockets: a plugin's route connections are made one per loop.
    let eventLoopGroup: any EventLoopGroup
    /// The loop the fleet runs on.
    let control: ControlLoop
    /// How late the host's loops run: a health check that times out while the host is this busy is
    /// inconclusive, not the plugin's failure.
    let lag: EventLoopLag
    /// What the supervision counted across all plugins, for the host's status.
    let counters = SupervisionCounters()
    var shuttingDown = false
    /// Operations that wait for plugins to stop (apply, enable, disable, restart, stopAll) run one at
    /// a time, so that one never starts a plugin another is waiting to see stopped.
    private var operationRunning = false
    private var operationWaiters: [CheckedContinuation<Void, Never>] = []

    init(
        configuration: HostConfiguration,
        routes: RoutingTable,
        credentials: Credentials,
        audit: AuditLog,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup,
        control: ControlLoop,
        lag: EventLoopLag
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.control = control
        self.lag = lag
        self.configuration = configuration
        self.routes = routes
        self.credentials = credentials
        self.audit = audit
        self.logger = logger
    }

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        control.eventLoop.executor.asUnownedSerialExecutor()
    }

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
                let fresh = ManagedPlugin(
                    configuration: entry,
                    policy: PluginSupervisor.Policy(next.supervision, restart: entry.restart),
                    logLines: next.supervision.logLines,
                    logs: existing.logs
                )
                managed[name] = fresh
                load(fresh, name: name)
                if !fresh.disabled && !shuttingDown { start(fresh, name: name) }
            } else {
                let plugin = ManagedPlugin(
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
    private func load(_ plugin: ManagedPlugin, name: String) {
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
    private func start(_ plugin: ManagedPlugin, name: String) {
        guard !shuttingDown, plugin.refusal == nil, let manifest = plugin.manifest else { return }
        guard verify(manifest, of: plugin, name: name) else { return }
        send(.start, to: plugin, name: name)
    }

    /// Checks the manifest's protocol versions and the executable's hash; on failure the plugin is
    /// refused, with the reason logged and audited.
    func verify(_ manifest: PluginManifest, of plugin: ManagedPlugin, name: String) -> Bool {
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

    /// Why an operator's request about a plugin was not carried out.
    enum OperatorError: Error {
        /// No plugin has that name.
        case notFound(String)
        /// The plugin is external: the host did not start it and cannot start or stop it.
        case notManaged(String)
        /// The host will not start the plugin, for this reason.
        case refused(String)
    }

    func enable(_ name: String) async throws(OperatorError) -> PluginStatus {
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

    func disable(_ name: String) async throws(OperatorError) -> PluginStatus {
        await beginOperation()
        defer { endOperation() }
        guard let plugin = managed[name] else { throw missing(name) }
        plugin.disabled = true
        send(.stop(reason: "disabled by an administrator"), to: plugin, name: name)
        await waitUntilStopped(plugin)
        return status(name, plugin)
    }

    func restart(_ name: String) async throws(OperatorError) -> PluginStatus {
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
            plugin.lease?.finish()
        }
    }

    /// True when `name` is a plugin the host starts from its configuration.
    func isManaged(_ name: String) -> Bool {
        managed[name] != nil
    }
}
