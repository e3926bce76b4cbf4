import Synchronization

/// How often each of a server's limits was hit, by name ("connections.per_uid", "outbound_budget", …), for
/// `gongzhictl status`. One instance is shared by everything in a process that enforces a limit.
public final class LimitCounters: Sendable {
    /// One limit's count, with what was last said about it.
    public struct Count: Sendable, Hashable {
        public var name: String
        public var count: UInt64
        /// The last detail given with a hit (e.g. the uid or the principal), or empty.
        public var detail: String

        public init(name: String, count: UInt64, detail: String) {
            self.name = name
            self.count = count
            self.detail = detail
        }
    }

    private let counts = Mutex<[String: Count]>([:])

    public init() {}

    /// Counts one hit of the limit `name`; a non-empty `detail` replaces the one kept.
    public func count(_ name: String, detail: String = "") {
        counts.withLock { counts in
            var entry = counts[name] ?? Count(name: name, count: 0, detail: "")
            entry.count += 1
            if !detail.isEmpty { entry.detail = detail }
            counts[name] = entry
        }
    }

    /// The hits of `name` so far.
    public func value(_ name: String) -> UInt64 {
        counts.withLock { $0[name]?.count ?? 0 }
    }

    /// Every limit hit at least once, by name.
    public func snapshot() -> [Count] {
        counts.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }
}
