import Logging
import NIOCore
import ServiceLifecycle

/// The plugin fleet as a `Service`: starts the configured plugins once the host's sockets serve (a
/// plugin registers on host.sock as it starts), and at graceful shutdown stops them all — Shutdown,
/// then SIGTERM, then SIGKILL — before the sockets close.
struct PluginFleetService: Service {
    let fleet: PluginFleet
    let configuration: HostConfiguration
    let sockets: HostSockets
    let logger: Logger
    /// Succeeded once the configured plugins have been started (not once they are ready); failed with
    /// the reason when the sockets could not serve.
    let started: EventLoopPromise<Void>

    func run() async throws {
        do {
            try await sockets.waitUntilServing()
        } catch {
            started.fail(error)
            throw error
        }
        await fleet.apply(configuration)
        started.succeed()
        // Cancellation stops the plugins too.
        try? await gracefulShutdown()
        logger.info("stopping: plugins first")
        let fleet = self.fleet
        // In a task of its own, which cancellation does not reach, so that every plugin gets its grace periods.
        await Task { await fleet.stopAll() }.value
    }
}
