import Foundation
import GRDB
import Logging
import Synchronization

/// Copies the write-ahead log back into the database from a connection of its own, on a thread of its own, so
/// that no commit waits for a checkpoint (SQLite's automatic checkpoint runs inside the commit that crosses its
/// threshold, and stalls it for tens of milliseconds).
///
/// Checkpoints are PASSIVE: they never block the writer or readers, and copy what they can.
final class SQLiteCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let walPath: String
    private let thresholdBytes: Int
    private let logger: Logger
    private let stopped = Mutex(false)
    private let done = DispatchSemaphore(value: 0)
    private let wakeUp = DispatchSemaphore(value: 0)

    /// - Parameter thresholdPages: checkpoint once the log holds about this many pages.
    init(path: String, thresholdPages: Int, logger: Logger) throws {
        var configuration = GRDB.Configuration()
        configuration.label = "GongzhiStore.checkpoint"
        configuration.busyMode = .timeout(5)
        self.connection = try DatabaseQueue(path: path, configuration: configuration)
        self.walPath = path + "-wal"
        self.thresholdBytes = max(1, thresholdPages) * 4096
        self.logger = logger
        let thread = Thread { [self] in self.run() }
        thread.name = "gongzhi-store-checkpoint"
        thread.start()
    }

    /// Ends the thread (after a checkpoint in progress).
    func stop() {
        let wasStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        if !wasStopped {
            wakeUp.signal()
            done.wait()
        }
    }

    private func run() {
        while !stopped.withLock({ $0 }) {
            _ = wakeUp.wait(timeout: .now() + .milliseconds(100))
            if stopped.withLock({ $0 }) { break }
            var info = stat()
            guard stat(walPath, &info) == 0, Int(info.st_size) >= thresholdBytes else { continue }
            do {
                try connection.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
                }
            } catch {
                logger.warning("a checkpoint of the object store failed; it will be tried again: \(error)")
            }
        }
        done.signal()
    }
}
