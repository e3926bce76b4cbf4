import GongzhiRPC
import Logging
import Synchronization

/// Logs admission's refusals at most once per limit every 10 seconds, saying how many more there were since.
final class RefusalLog: Sendable {
    private struct Entry {
        var loggedAt: ContinuousClock.Instant
        var suppressed: Int
    }

    private let logger: Logger
    private let interval: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Logs `refusal` of a call at `level` (a warning), unless the same limit was logged less than `interval` ago.
    func record(_ refusal: RPCError, limit: String) {
        let now = ContinuousClock.now
        let suppressed = entries.withLock { entries -> Int? in
            if let entry = entries[limit], now - entry.loggedAt < interval {
                entries[limit]!.suppressed += 1
                return nil
            }
            let suppressed = entries[limit]?.suppressed ?? 0
            entries[limit] = Entry(loggedAt: now, suppressed: 0)
            return suppressed
        }
        guard let suppressed else { return }
        logger.warning(
            "call refused: \(refusal.message)\(suppressed > 0 ? " (and \(suppressed) more since the last)" : "")",
            metadata: ["limit": "\(limit)", "code": "\(refusal.code)"]
        )
    }
}
