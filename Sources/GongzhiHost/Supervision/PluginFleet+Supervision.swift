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
///
/// All of it runs on the host's control loop: the timers sleep on it, and the tasks that run the health checks,
/// the Shutdown calls and exits start on it (``ControlLoop/taskExecutor``), never on the global executor that
/// clients' calls keep busy.
extension PluginFleet {
    func send(_ event: PluginSupervisor.Event, to plugin: ManagedPlugin, name: String) {
        let before = plugin.supervisor.state
        let actions = plugin.supervisor.handle(event, now: .now)
        if case .spawnFailed(_, transient: true) = event, before == .starting,
            plugin.supervisor.transientSpawnFailuresInRow > 0
        {
            // Retried without counting as a crash (the one that ends a row of them counts).
            counters.countTransientSpawnRetry()
        }
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
            plugin.healthChecks = Task(executorPreference: control.taskExecutor) { [weak self] in
                await self?.checkHealth(name)
            }
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
            Task(executorPreference: control.taskExecutor) {
                var request = Gongzhi_Plugin_V1_ShutdownRequest()
                request.reason = "the host is stopping the plugin"
                request.gracePeriodMs = milliseconds
                _ = try? await Gongzhi_Plugin_V1_PluginClient(channel: client.supervision).shutdown(
                    request,
                    options: CallOptions(timeout: .seconds(2))
                )
            }
        case .signal(let signal):
            plugin.process?.send(signal == .kill ? SIGKILL : SIGTERM)
        case .schedule(let timer, let delay):
            plugin.timers[timer]?.cancel()
            let owner = ObjectIdentifier(plugin)
            let control = self.control
            plugin.timers[timer] = Task(executorPreference: control.taskExecutor) { [weak self] in
                do {
                    try await control.sleep(for: delay)
                } catch {
                    return
                }
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
        if timer == .startDeadline, plugin.supervisor.state == .starting, !plugin.supervisor.startDeadlineExtended,
            let spawned = plugin.spawnedAt, let busy = lag.worst(since: spawned), busy.lag >= .seconds(1)
        {
            // The host was too busy to take the plugin's registration in time; it gets that time back, once.
            counters.countStartDeadlineExtension()
            logger.warning(
                "start deadline of \(name) extended by \(busy.lag.seconds): the host is busy (\(busy))",
                metadata: ["plugin": "\(name)"]
            )
            send(
                .startDeadlineWhileHostBusy(lag: busy.lag, reason: "the host is busy (\(busy))"),
                to: plugin,
                name: name
            )
            return
        }
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
            credentials.revoke(ticket: token)
            plugin.token = nil
            send(SpawnFailure.event(for: error), to: plugin, name: name)
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
                    // An isolated plugin starts in its own folder (its user may not enter the host's); otherwise in
                    // the host's, so that relative paths in its `env` mean what they did.
                    workingDirectory: quarters.account == nil ? nil : dataDirectory
                ),
                onLine: { stream, raw in
                    let line = PluginLogLine(stream: stream, raw: raw, timeMilliseconds: wallClockMilliseconds())
                    logs.append(line)
                    lineLogger.log(level: line.level, "\(line.text)")
                },
                onExit: { [weak self, control] reason in
                    Task(executorPreference: control.taskExecutor) {
                        await self?.processExited(name: name, identity: box, reason: reason)
                    }
                }
            )
            box.set(ObjectIdentifier(process))
        } catch {
            credentials.revoke(ticket: token)
            plugin.token = nil
            send(SpawnFailure.event(for: error), to: plugin, name: name)
            return
        }
        plugin.process = process
        plugin.spawnedAt = .now
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
            do {
                try await control.sleep(for: configuration.supervision.healthInterval)
            } catch {
                return
            }
            guard let plugin = managed[name], let client = plugin.client else { return }
            let event = await health(of: name, client)
            guard !Task.isCancelled, managed[name] === plugin else { return }
            send(event, to: plugin, name: name)
        }
    }

    /// Asks a plugin for its health on its supervision connection, on the control loop. A check that timed out
    /// while the host's loops ran late by half the timeout or more is inconclusive: the host was busy, and the
    /// plugin may well have answered in time.
    func health(of name: String, _ connections: PluginConnections) async -> PluginSupervisor.Event {
        let timeout = configuration.supervision.healthTimeout
        let started = ContinuousClock.now
        let (answer, timedOut) = await withTaskExecutorPreference(control.taskExecutor) {
            await Self.health(connections.supervision, timeout: timeout)
        }
        let busy = timedOut ? lag.worst(since: started) : nil
        let event = Self.judge(answer, timedOut: timedOut, hostLate: busy, timeout: timeout)
        if case .healthInconclusive(let reason) = event {
            counters.countInconclusiveHealthCheck()
            logger.warning("health check of \(name) inconclusive: \(reason)", metadata: ["plugin": "\(name)"])
        }
        return event
    }

    /// What a health check says of the plugin: its answer, unless the check timed out while the host's loops
    /// ran late by half the timeout or more (`hostLate`), which says nothing of the plugin.
    static func judge(
        _ answer: PluginSupervisor.Event,
        timedOut: Bool,
        hostLate: EventLoopLag.Lateness?,
        timeout: Duration
    ) -> PluginSupervisor.Event {
        guard timedOut, let hostLate, hostLate.lag >= timeout / 2 else { return answer }
        return .healthInconclusive(reason: "the host is busy (\(hostLate))")
    }

    /// The plugin's answer to a health check as a supervisor event, and whether the check timed out.
    private static func health(
        _ client: RPCClient,
        timeout: Duration
    ) async -> (event: PluginSupervisor.Event, timedOut: Bool) {
        do {
            let answer = try await Gongzhi_Plugin_V1_PluginClient(channel: client).health(
                Gongzhi_Plugin_V1_HealthRequest(),
                options: CallOptions(timeout: timeout)
            )
            switch answer.status {
            case .serving: return (.healthPassed, false)
            case .degraded:
                return (.healthDegraded(reason: answer.message.isEmpty ? "degraded" : answer.message), false)
            default:
                let reason = "it answered \(answer.status)" + (answer.message.isEmpty ? "" : ": \(answer.message)")
                return (.healthFailed(reason: reason), false)
            }
        } catch let error as RPCError {
            return (.healthFailed(reason: "\(error.code): \(error.message)"), error.code == .deadlineExceeded)
        } catch {
            return (.healthFailed(reason: "\(error)"), false)
        }
    }

    func waitUntilStopped(_ plugin: ManagedPlugin) async {
        while plugin.supervisor.hasProcess {
            try? await control.sleep(for: .milliseconds(20))
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
