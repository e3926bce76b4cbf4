import Logging
import Synchronization

/// Logs a limit's hits at most once per limit and key per interval (10 s by default): the first hit is logged
/// at once, later ones within the interval are only counted, and the next line that gets through says how many
/// were left out ("(and 412 more in the last 10 s)"). So a flood of refused connections costs a few lines.
public final class RateLimitedLog: Sendable {
    private struct Entry {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    private let logger: Logger
    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let entries = Mutex<[String: Entry]>([:])

    public init(
        logger: Logger,
        interval: Duration = .seconds(10),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.logger = logger
        self.interval = interval
        self.now = now
    }

    /// Logs `message` for the hit of `limit` by `key` unless a line for the same limit and key was logged within
    /// the interval. Returns the line logged, or nil when it was held back.
    @discardableResult
    public func warning(limit: String, key: String, _ message: @autoclosure () -> String) -> String? {
        let instant = now()
        let slot = limit + "\u{0}" + key
        let suppressed: Int? = entries.withLock { entries in
            if var entry = entries[slot], instant - entry.lastLogged < interval {
                entry.suppressed += 1
                entries[slot] = entry
                return nil
            }
            let held = entries[slot]?.suppressed ?? 0
            entries[slot] = Entry(lastLogged: instant, suppressed: 0)
            if entries.count > 4096 { entries = entries.filter { instant - $0.value.lastLogged < interval } }
            return held
        }
        guard let suppressed else { return nil }
        var line = message()
        if suppressed > 0 { line += " (and \(suppressed) more in the last \(interval))" }
        logger.warning("\(line)", metadata: ["limit": "\(limit)"])
        return line
    }
}
