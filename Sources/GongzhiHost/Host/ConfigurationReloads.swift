import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the host's configuration on each SIGHUP, as a `Service` that ends at graceful shutdown.
/// Signals that arrive while the host starts are handled once its plugins have been started (or
/// dropped, when the host could not start).
struct ConfigurationReloads: Service {
    /// SIGHUP, trapped before the plugins start, so that an early one never ends the host.
    let hangups: UnixSignalsSequence
    let host: HostService
    let logger: Logger

    func run() async throws {
        try await host.waitUntilServing()
        for await _ in hangups.cancelOnGracefulShutdown() {
            logger.info("SIGHUP: reloading the configuration")
            do {
                try await host.reload()
            } catch {
                logger.error("the configuration was not reloaded: \(error)")
            }
        }
    }
}
