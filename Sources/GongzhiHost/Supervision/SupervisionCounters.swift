import Synchronization

/// What the supervision counted since the host started, across all plugins: the times it did not blame a
/// plugin because the host itself was busy or short of resources. For the host's status ("limits").
final class SupervisionCounters: Sendable {
    private let inconclusive = Atomic<UInt64>(0)
    private let transient = Atomic<UInt64>(0)
    private let extended = Atomic<UInt64>(0)

    /// Health checks that timed out while the host was busy, so counted toward no plugin's unhealthy limit.
    var inconclusiveHealthChecks: UInt64 { inconclusive.load(ordering: .relaxed) }
    /// Plugin starts that failed for a transient reason (too many open files, out of memory, EAGAIN) and were
    /// retried without counting as a crash.
    var transientSpawnRetries: UInt64 { transient.load(ordering: .relaxed) }
    /// Start deadlines extended because the host was busy while the plugin started.
    var startDeadlineExtensions: UInt64 { extended.load(ordering: .relaxed) }

    func countInconclusiveHealthCheck() { inconclusive.add(1, ordering: .relaxed) }
    func countTransientSpawnRetry() { transient.add(1, ordering: .relaxed) }
    func countStartDeadlineExtension() { extended.add(1, ordering: .relaxed) }
}
