import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Supervision: each started plugin's ``PluginSupervisor`` takes events (spawned, exited, timers, health
/// checks) and answers actions, which are carried out here: processes spawned and signalled, routes
/// published and withdrawn, timers scheduled.
extension PluginFleet {
    func send(_ event: PluginSupervisor.Event, to plugin: ManagedPlugin, name: String) {
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

    private func perform(_ action: PluginSupervisor.Action, plugin: ManagedPlugin, name: String) {
        switch action {
        case .spawn:
            spawn(plugin, name: name)
        case .publishRoutes:
            guard let client = plugin.client, let registration = plugin.registration else { return }
            routes.publish(plugin: name, services: registration.services, client: client)
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

    private func spawn(_ plugin: ManagedPlugin, name: String) {
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
        let quarters: PluginQuarters
        do {
            quarters = try prepareQuarters(for: plugin, name: name, executable: manifest.executable)
        } catch {
            send(.spawnFailed(reason: error.description), to: plugin, name: name)
            return
        }
        let socketPath = quarters.socketPath
        let dataDirectory = quarters.dataDirectory
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
                    environment: environment,
                    account: quarters.account,
                    workingDirectory: dataDirectory
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
    private func release(_ plugin: ManagedPlugin, name: String) {
        if let token = plugin.token {
            credentials.revoke(ticket: token)
            plugin.token = nil
        }
        plugin.lease?.finish()
        plugin.lease = nil
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

    static func health(_ client: RPCClient, timeout: Duration) async -> PluginSupervisor.Event {
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

    func waitUntilStopped(_ plugin: ManagedPlugin) async {
        while plugin.supervisor.hasProcess {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

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
