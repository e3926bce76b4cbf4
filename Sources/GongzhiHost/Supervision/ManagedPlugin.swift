/// A plugin the host starts from its configuration and supervises: what the fleet keeps about it
/// between events. Belongs to the ``PluginFleet`` actor, which alone reads and changes it.
final class ManagedPlugin {
    var configuration: PluginConfiguration
    var manifest: PluginManifest?
    /// Why the host will not start it (bad manifest, tampered executable), if it will not.
    var refusal: String?
    var disabled: Bool
    var supervisor: PluginSupervisor
    var process: PluginProcess?
    /// The ticket the current process was started with.
    var token: String?
    var client: PluginConnections?
    var timers: [PluginSupervisor.Timer: Task<Void, Never>] = [:]
    var healthChecks: Task<Void, Never>?
    /// What the current process registered: its services become routes when it is ready.
    var registration: PluginRegistration?
    /// Ends the current process's registration stream.
    var lease: AsyncStream<Void>.Continuation?
    let logs: PluginLogBuffer
    /// When the state last changed (milliseconds since the Unix epoch).
    var since = wallClockMilliseconds()
    /// When the current process was started: how late the host ran since then decides whether a missed
    /// start deadline is the plugin's fault.
    var spawnedAt: ContinuousClock.Instant?

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
