import Foundation
import GRDB
import Logging
import Synchronization

/// Copies the write-ahead log into the database file on a connection and thread of its own, so that commits do not
/// wait for it.
///
/// SQLite's own automatic checkpoint runs inside the commit that crosses its threshold; with the store's writes that
/// made one commit in a few thousand take tens of milliseconds, and every caller and watcher waiting on that batch
/// with it. Here a passive checkpoint follows the writer's commits at most every ``interval``, concurrently with
/// them. The log is only restarted from its beginning when a write transaction starts with every frame copied, so
/// once the log is longer than the store's limit, the writer runs one more passive checkpoint between two batches
/// (``restartIfLong(in:)``): it has only the last few commits left to copy, and the next batch then writes the log
/// from its beginning again.
final class Checkpointer: Sendable {
    private struct State {
        var pending = false
        var closed = false
    }

    /// The shortest time between two checkpoints of this thread.
    static let interval: Duration = .milliseconds(50)

    private let path: String
    private let configuration: GRDB.Configuration
    private let restartFrames: Int
    private let logger: Logger
    private let state = Mutex(State())
    private let control = WorkerThreadControl()
    /// The log's length in frames (pages) at the last checkpoint.
    private let logFrames = Atomic<Int>(0)

    /// Starts the thread, which opens a connection of its own to the database at `path` (already in WAL mode) at
    /// the first commit, so that a store nobody writes to costs no connection; the writer asks for a restart of the
    /// log once it is `restartFrames` long.
    init(path: String, restartFrames: Int, logger: Logger) {
        var configuration = GRDB.Configuration()
        configuration.label = "GongzhiStore.checkpointer"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // It reads nothing but the log: a small cache is enough.
            try db.execute(sql: "PRAGMA cache_size = -256")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        self.path = path
        self.configuration = configuration
        self.restartFrames = max(1, restartFrames)
        self.logger = logger
        let thread = Thread { [self] in self.run() }
        thread.start()
    }

    /// Tells the thread that the log grew (called by the writer after each commit; cheap).
    func committed() {
        let signal = state.withLock { state in
            defer { state.pending = true }
            return !state.pending
        }
        if signal {
            control.signal()
        }
    }

    /// Run by the writer between batches: when the log is long, copies what is left of it, so that the next write
    /// transaction starts the log again from its beginning.
    func restartIfLong(in pool: DatabasePool) {
        guard logFrames.load(ordering: .relaxed) >= restartFrames else { return }
        do {
            let result = try pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            let copied = result.walFrameCount == result.checkpointedFrameCount
            logFrames.store(copied ? 0 : result.walFrameCount, ordering: .relaxed)
        } catch {
            report(error)
        }
    }

    /// Stops the thread, which closes its connection, and waits until it has.
    func close() async {
        state.withLock { $0.closed = true }
        control.signal()
        await control.finished()
    }

    /// A checkpoint that found the other one running is simply skipped.
    private func report(_ error: any Error) {
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            return
        }
        logger.warning("could not copy the write-ahead log into the database", metadata: ["error": "\(error)"])
    }

    private func run() {
        ThreadName.setCurrent("gz-checkpoint")
        var queue: DatabaseQueue?
        while true {
            control.wait { state.withLock { $0.pending || $0.closed } }
            let closed = state.withLock { state in
                state.pending = false
                return state.closed
            }
            if closed { break }
            let started = ContinuousClock.now
            do {
                let connection = try queue ?? DatabaseQueue(path: path, configuration: configuration)
                queue = connection
                let result = try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                logFrames.store(result.walFrameCount, ordering: .relaxed)
            } catch {
                report(error)
            }
            WorkerThreadControl.pause(for: Self.interval - (ContinuousClock.now - started))
        }
        try? queue?.close()
        control.threadEnded()
    }
}
