import GongzhiStore
import Logging
import ServiceLifecycle

/// Trims the object store's change history older than its retention window, every `interval`, as a
/// `Service` that ends at graceful shutdown.
struct HistoryCompaction: Service {
    let store: SQLiteObjectStorage
    let interval: Duration
    let logger: Logger

    func run() async {
        let store = self.store
        let interval = self.interval
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let before = try await store.compactExpired(now: wallClockMilliseconds())
                    logger.debug("history compacted", metadata: ["before-revision": "\(before)"])
                } catch {
                    // Cut short by shutdown: nothing to report.
                    if Task.isCancelled { return }
                    logger.warning("compacting the object history failed; it will be tried again: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
