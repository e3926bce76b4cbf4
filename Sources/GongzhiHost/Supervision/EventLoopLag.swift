import NIOCore
import Synchronization

/// How late the host's event loops run: each loop runs a small task every `interval`, and how long after its due
/// time it ran is that loop's lag. A loop that is seconds late is busy with other work (clients' calls, or the
/// machine's CPUs taken by others), so a plugin that did not answer in that time is not to blame. The supervision
/// asks ``worst(since:)`` when a health check timed out or a start deadline passed.
final class EventLoopLag: Sendable {
    /// A loop's lag at its worst.
    struct Lateness: Sendable, Equatable, CustomStringConvertible {
        /// Which loops: "control loop", "event loops", "admin loop".
        var loop: String
        var lag: Duration

        /// "control loop 1.4 s late".
        var description: String { "\(loop) \(lag.seconds) late" }
    }

    private final class Measured: Sendable {
        let name: String
        let eventLoop: any EventLoop
        let record = Mutex(LagRecord())

        init(name: String, eventLoop: any EventLoop) {
            self.name = name
            self.eventLoop = eventLoop
        }
    }

    private let loops: [Measured]
    private let interval: Duration
    private let running = Atomic<Bool>(false)

    /// - Parameters:
    ///   - loops: each loop to measure with the name it is reported under; several loops may share a name.
    ///   - interval: how often each loop runs its task.
    init(loops: [(name: String, eventLoop: any EventLoop)], interval: Duration = .milliseconds(100)) {
        self.loops = loops.map { Measured(name: $0.name, eventLoop: $0.eventLoop) }
        self.interval = interval
    }

    /// Starts measuring; until ``stop()``.
    func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        for index in loops.indices {
            schedule(index)
        }
    }

    /// Stops measuring: each loop's task does not run again.
    func stop() {
        running.store(false, ordering: .relaxed)
    }

    private func schedule(_ index: Int) {
        guard running.load(ordering: .relaxed) else { return }
        let loop = loops[index]
        let due = ContinuousClock.now + interval
        loop.record.withLock { $0.scheduled(due: due) }
        loop.eventLoop.scheduleTask(in: .nanoseconds(interval.saturatingNanoseconds)) {
            loop.record.withLock { $0.ran(due: due, at: .now) }
            self.schedule(index)
        }
    }

    /// The latest any loop ran its task since `instant`, counting a task that is overdue now; nil when every loop
    /// kept time (within the measuring's own slack, 50 ms).
    func worst(since instant: ContinuousClock.Instant, now: ContinuousClock.Instant = .now) -> Lateness? {
        var worst: Lateness?
        for loop in loops {
            let lag = loop.record.withLock { $0.worst(since: instant, now: now) }
            if lag > .milliseconds(50), lag > worst?.lag ?? .zero {
                worst = Lateness(loop: loop.name, lag: lag)
            }
        }
        return worst
    }
}

/// What one loop's lag measuring remembers: the task's next due time, and the recent runs that were late.
/// A value, so that it is tested without a loop.
struct LagRecord: Sendable, Equatable {
    /// A late run: when it ran and how late.
    struct Run: Sendable, Equatable {
        var at: ContinuousClock.Instant
        var lag: Duration
    }

    /// When the task waiting to run is due.
    private(set) var due: ContinuousClock.Instant?
    /// Late runs, oldest first, at most ``capacity``.
    private(set) var lateRuns: [Run] = []
    /// Runs later than this are remembered.
    static let remembered: Duration = .milliseconds(20)
    static let capacity = 256

    mutating func scheduled(due: ContinuousClock.Instant) {
        self.due = due
    }

    mutating func ran(due: ContinuousClock.Instant, at now: ContinuousClock.Instant) {
        if self.due == due { self.due = nil }
        let lag = now - due
        guard lag > Self.remembered else { return }
        lateRuns.append(Run(at: now, lag: lag))
        if lateRuns.count > Self.capacity { lateRuns.removeFirst(lateRuns.count - Self.capacity) }
    }

    /// The greatest lag of a run at or after `instant`, or of the task still waiting if it is overdue at `now`.
    func worst(since instant: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Duration {
        var worst: Duration = .zero
        for run in lateRuns.reversed() {
            guard run.at >= instant else { break }
            worst = max(worst, run.lag)
        }
        if let due, now > due {
            worst = max(worst, now - due)
        }
        return worst
    }
}

extension Duration {
    /// "1.4 s", "0.3 s", "12 s": a length of time as a person reads it in a log line.
    var seconds: String {
        let tenths = (saturatingNanoseconds + 50_000_000) / 100_000_000
        if tenths >= 100 || tenths % 10 == 0 { return "\(tenths / 10) s" }
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
