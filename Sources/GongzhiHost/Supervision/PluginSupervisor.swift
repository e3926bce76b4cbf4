/// The supervision of one plugin process as a state machine: events in, actions out, no I/O.
///
/// ```
///            start                 registered + healthy
///  stopped ─────────► starting ─────────────────────────► ready ◄──► degraded
///     ▲                  │ exit / start timeout             │ exit, or too many failed health checks
///     │                  ▼                                  ▼
///     │   crashed ◄── (crash) ──► backing-off ──(delay)──► starting
///     │  (restart=never)  │
///     │                   └──► quarantined (too many crashes in the window; waits for an operator)
///     │
///     │   A spawn that fails for a transient reason (too many open files, out of memory) backs off without
///     │   counting as a crash, until it has failed so ``Policy/transientSpawnLimit`` times in a row. A health
///     │   check that timed out while the host itself was busy is inconclusive and counts nothing.
///     │
///  stopping ◄── stop (Shutdown call, then SIGTERM, then SIGKILL, each after the grace period)
/// ```
package struct PluginSupervisor: Sendable {
    package enum State: String, Sendable, Equatable, CaseIterable {
        case stopped
        case starting
        case ready
        case degraded
        case stopping
        case crashed
        case backingOff = "backing-off"
        case quarantined
    }

    package struct Policy: Sendable, Equatable {
        package var startTimeout: Duration
        package var stopGracePeriod: Duration
        package var backoffInitial: Duration
        package var backoffMaximum: Duration
        package var crashLimit: Int
        package var crashWindow: Duration
        package var unhealthyLimit: Int
        package var restartsAfterCrash: Bool
        /// Transient spawn failures in a row after which the next one counts as a crash, so that a host that
        /// can never start the plugin shows it.
        package var transientSpawnLimit = 10

        package init(_ supervision: SupervisionPolicy, restart: PluginConfiguration.RestartPolicy) {
            startTimeout = supervision.startTimeout
            stopGracePeriod = supervision.stopGracePeriod
            backoffInitial = supervision.backoffInitial
            backoffMaximum = supervision.backoffMaximum
            crashLimit = supervision.crashLimit
            crashWindow = supervision.crashWindow
            unhealthyLimit = supervision.unhealthyLimit
            restartsAfterCrash = restart == .always
        }
    }

    /// Timers the supervisor asks for. Scheduling one replaces an earlier one of the same kind.
    package enum Timer: String, Sendable, Equatable {
        /// The plugin must be registered and healthy by then.
        case startDeadline
        /// Backoff is over: start again.
        case restart
        /// The plugin did not exit after Shutdown: send SIGTERM.
        case terminate
        /// The plugin did not exit after SIGTERM: send SIGKILL.
        case kill
    }

    package enum Signal: Sendable, Equatable {
        case terminate
        case kill
    }

    package enum Event: Sendable, Equatable {
        /// Start the plugin (configured, enabled, or released from quarantine by an operator).
        case start
        /// Stop it and start it again (an operator's restart, or a changed configuration).
        case restart
        /// Stop it and keep it stopped (disabled, removed from the configuration, host shutdown).
        case stop(reason: String)
        case spawned(pid: Int32)
        /// The process could not be started. `transient` when the cause is the host's momentary lack of a
        /// resource (too many open files, out of memory, EAGAIN), not the plugin: then it is retried after the
        /// usual backoff without counting as a crash.
        case spawnFailed(reason: String, transient: Bool = false)
        /// Registered, and its first health check passed.
        case ready
        case healthPassed
        /// The plugin answered that it is degraded.
        case healthDegraded(reason: String)
        /// The health check failed: no answer in time, an error, or NOT_SERVING.
        case healthFailed(reason: String)
        /// The health check timed out while the host itself was busy (`reason` says how): it says nothing
        /// about the plugin, so it counts toward nothing.
        case healthInconclusive(reason: String)
        /// The start deadline passed while the host was busy for `lag` (`reason` says how): the first time in
        /// a start, the deadline is extended by `lag`; after that it is missed as usual.
        case startDeadlineWhileHostBusy(lag: Duration, reason: String)
        /// The process ended.
        case exited(reason: String)
        case timerFired(Timer)
    }

    package enum Action: Sendable, Equatable {
        case spawn
        /// Route calls for the plugin's services to it.
        case publishRoutes
        /// Answer calls for its services with UNAVAILABLE.
        case withdrawRoutes
        /// Call the plugin's Shutdown with this grace period.
        case requestShutdown(grace: Duration)
        case signal(Signal)
        case schedule(Timer, after: Duration)
        case cancel(Timer)
    }

    /// What happens once a stopping plugin has exited.
    private enum AfterStop: Equatable {
        case stay
        case restart
        case crash(reason: String)
    }

    package private(set) var state: State = .stopped
    /// Why the plugin is in its state, when there is a reason worth showing.
    package private(set) var reason: String = ""
    package private(set) var pid: Int32?
    /// Starts after the first.
    package private(set) var restarts: Int = 0
    /// When each recent crash happened, oldest first; only those inside the crash window are kept.
    package private(set) var recentCrashes: [ContinuousClock.Instant] = []
    package private(set) var failedHealthChecks = 0
    /// Health checks that were inconclusive because the host was busy, since the supervisor was made.
    package private(set) var inconclusiveHealthChecks = 0
    /// Spawns that failed for a transient reason since the last start that succeeded or the last crash.
    package private(set) var transientSpawnFailuresInRow = 0
    /// Spawns that failed for a transient reason, since the supervisor was made.
    package private(set) var transientSpawnFailures = 0
    /// True once the current start's deadline was extended because the host was busy.
    package private(set) var startDeadlineExtended = false
    /// When a plugin that backs off will start again.
    package private(set) var nextStart: ContinuousClock.Instant?

    package let policy: Policy
    private var afterStop: AfterStop = .stay
    private var hasStarted = false

    package init(policy: Policy) {
        self.policy = policy
    }

    /// True while the process may be running.
    package var hasProcess: Bool {
        switch state {
        case .starting, .ready, .degraded, .stopping: true
        default: false
        }
    }

    package mutating func handle(_ event: Event, now: ContinuousClock.Instant) -> [Action] {
        switch (state, event) {
        // Starting.
        case (.stopped, .start), (.crashed, .start), (.crashed, .restart), (.backingOff, .start),
            (.backingOff, .restart), (.stopped, .restart):
            return begin()
        case (.quarantined, .start), (.quarantined, .restart):
            recentCrashes.removeAll()
            return begin()
        case (.backingOff, .timerFired(.restart)):
            return begin()
        case (.starting, .spawned(let pid)):
            self.pid = pid
            return []
        case (.starting, .spawnFailed(let reason, transient: false)):
            return crash(reason: "could not be started: \(reason)", now: now) + [.cancel(.startDeadline)]
        case (.starting, .spawnFailed(let reason, transient: true)):
            return transientSpawnFailure(reason: reason, now: now)
        case (.starting, .ready):
            failedHealthChecks = 0
            transientSpawnFailuresInRow = 0
            enter(.ready, reason: "")
            return [.cancel(.startDeadline), .publishRoutes]
        case (.starting, .timerFired(.startDeadline)):
            return startTimedOut()
        case (.starting, .startDeadlineWhileHostBusy(let lag, let reason)):
            guard !startDeadlineExtended else { return startTimedOut() }
            startDeadlineExtended = true
            self.reason = "start deadline extended by \(lag.seconds): \(reason)"
            return [.schedule(.startDeadline, after: lag)]

        // Running.
        case (.ready, .healthPassed), (.degraded, .healthPassed):
            failedHealthChecks = 0
            enter(.ready, reason: "")
            return []
        case (.ready, .healthInconclusive(let reason)), (.degraded, .healthInconclusive(let reason)):
            inconclusiveHealthChecks += 1
            if state == .ready {
                self.reason = "health check inconclusive: \(reason)"
            }
            return []
        case (.ready, .healthDegraded(let reason)), (.degraded, .healthDegraded(let reason)):
            failedHealthChecks = 0
            enter(.degraded, reason: reason)
            return []
        case (.ready, .healthFailed(let reason)), (.degraded, .healthFailed(let reason)):
            failedHealthChecks += 1
            guard failedHealthChecks >= policy.unhealthyLimit else {
                enter(
                    .degraded,
                    reason: "health check failed (\(failedHealthChecks) of \(policy.unhealthyLimit)): \(reason)"
                )
                return []
            }
            return stop(
                then: .crash(reason: "failed \(failedHealthChecks) health checks in a row: \(reason)"),
                reason: "unhealthy"
            )
        case (.starting, .exited(let reason)), (.ready, .exited(let reason)), (.degraded, .exited(let reason)):
            return [.withdrawRoutes, .cancel(.startDeadline)] + crash(reason: reason, now: now)

        // Stopping.
        case (.starting, .stop(let reason)):
            afterStop = .stay
            enter(.stopping, reason: reason)
            return [.cancel(.startDeadline), .signal(.terminate), .schedule(.kill, after: policy.stopGracePeriod)]
        case (.ready, .stop(let reason)), (.degraded, .stop(let reason)):
            return stop(then: .stay, reason: reason)
        case (.ready, .restart), (.degraded, .restart), (.starting, .restart):
            if state == .starting {
                afterStop = .restart
                enter(.stopping, reason: "restarting")
                return [.cancel(.startDeadline), .signal(.terminate), .schedule(.kill, after: policy.stopGracePeriod)]
            }
            return stop(then: .restart, reason: "restarting")
        case (.stopping, .restart), (.stopping, .start):
            afterStop = .restart
            return []
        case (.stopping, .stop(let reason)):
            afterStop = .stay
            self.reason = reason
            return []
        case (.stopping, .timerFired(.terminate)):
            return [.signal(.terminate), .schedule(.kill, after: policy.stopGracePeriod)]
        case (.stopping, .timerFired(.kill)):
            return [.signal(.kill)]
        case (.stopping, .exited(let exitReason)):
            pid = nil
            let cleanup: [Action] = [.cancel(.terminate), .cancel(.kill)]
            switch afterStop {
            case .stay:
                enter(.stopped, reason: "\(reason.isEmpty ? "stopped" : reason) (\(exitReason))")
                return cleanup
            case .restart:
                return cleanup + begin()
            case .crash(let crashReason):
                return cleanup + crash(reason: crashReason, now: now)
            }

        // At rest.
        case (.backingOff, .stop(let reason)), (.crashed, .stop(let reason)), (.quarantined, .stop(let reason)):
            let wasBackingOff = state == .backingOff
            nextStart = nil
            enter(.stopped, reason: reason)
            return wasBackingOff ? [.cancel(.restart)] : []

        default:
            // Everything else changes nothing: a start of a running plugin, a late timer, a health
            // answer that arrives after the plugin stopped.
            return []
        }
    }

    private mutating func enter(_ next: State, reason: String) {
        state = next
        self.reason = reason
    }

    private mutating func begin() -> [Action] {
        if hasStarted { restarts += 1 }
        hasStarted = true
        pid = nil
        nextStart = nil
        failedHealthChecks = 0
        startDeadlineExtended = false
        afterStop = .stay
        enter(.starting, reason: "")
        return [.cancel(.restart), .spawn, .schedule(.startDeadline, after: policy.startTimeout)]
    }

    private mutating func startTimedOut() -> [Action] {
        afterStop = .crash(reason: "did not register and answer its health check within \(policy.startTimeout)")
        enter(.stopping, reason: "start timed out")
        return [.signal(.kill)]
    }

    /// A spawn failed for a transient reason: backs off as after a crash, without counting one, unless it has
    /// happened too often in a row.
    private mutating func transientSpawnFailure(reason: String, now: ContinuousClock.Instant) -> [Action] {
        transientSpawnFailures += 1
        transientSpawnFailuresInRow += 1
        let count = transientSpawnFailuresInRow
        guard count < policy.transientSpawnLimit else {
            return crash(reason: "could not be started \(count) times in a row: \(reason)", now: now)
                + [.cancel(.startDeadline)]
        }
        pid = nil
        let delay = backoff(afterCrashes: count)
        nextStart = now + delay
        enter(.backingOff, reason: "could not start (\(reason)); retrying in \(delay.seconds)")
        return [.cancel(.startDeadline), .schedule(.restart, after: delay)]
    }

    private mutating func stop(then after: AfterStop, reason: String) -> [Action] {
        afterStop = after
        enter(.stopping, reason: reason)
        return [
            .withdrawRoutes, .requestShutdown(grace: policy.stopGracePeriod),
            .schedule(.terminate, after: policy.stopGracePeriod),
        ]
    }

    private mutating func crash(reason: String, now: ContinuousClock.Instant) -> [Action] {
        pid = nil
        transientSpawnFailuresInRow = 0
        recentCrashes.append(now)
        let window = policy.crashWindow
        recentCrashes.removeAll { now - $0 > window }
        if recentCrashes.count >= policy.crashLimit {
            enter(
                .quarantined,
                reason: "\(recentCrashes.count) crashes within \(policy.crashWindow), the last: \(reason); "
                    + "restart or enable it once the cause is fixed"
            )
            return []
        }
        guard policy.restartsAfterCrash else {
            enter(.crashed, reason: reason)
            return []
        }
        let delay = backoff(afterCrashes: recentCrashes.count)
        nextStart = now + delay
        enter(.backingOff, reason: reason)
        return [.schedule(.restart, after: delay)]
    }

    /// The initial delay, doubled for each further recent crash, up to the maximum.
    func backoff(afterCrashes count: Int) -> Duration {
        var delay = policy.backoffInitial
        for _ in 1..<max(count, 1) {
            delay = delay * 2
            if delay >= policy.backoffMaximum { return policy.backoffMaximum }
        }
        return min(delay, policy.backoffMaximum)
    }
}
