import Foundation
import GRDB
import Logging
import Synchronization

/// The single writer of an SQLite store: a thread of its own that takes the transactions callers submitted while
/// it wrote the previous batch, applies them in one SQLite transaction (a savepoint for each one of several writes),
/// commits once, and only then answers the callers, so that many concurrent commits share one fsync and an answer
/// implies durability.
///
/// The writer runs on its own thread rather than as an actor over GRDB's queue, so that a commit costs no task or
/// queue hops on the way to the database: callers only wait for their continuation to be resumed.
final class GroupCommitWriter: Sendable {
    private struct Pending {
        var transaction: Transaction
        var continuation: CheckedContinuation<Result<CommitResult, StoreError>, Never>
    }

    private struct State {
        var pending: [Pending] = []
        var closed = false
        /// The commit time of the last batch: commit times never go backwards, even when the clock does.
        var lastCommitTime: Int64
        var statistics = CommitStatistics()
    }

    private let pool: DatabasePool
    private let notifier: CommitNotifier
    private let recent: RecentChanges
    private let checkpointer: Checkpointer
    private let clock: @Sendable () -> Int64
    private let maximumBatchSize: Int
    private let logger: Logger
    private let state: Mutex<State>
    /// Wakes the thread when work arrives or the writer is closed.
    private let control = WorkerThreadControl()

    init(
        pool: DatabasePool,
        notifier: CommitNotifier,
        recent: RecentChanges,
        checkpointer: Checkpointer,
        clock: @escaping @Sendable () -> Int64,
        maximumBatchSize: Int,
        lastCommitTime: Int64,
        logger: Logger
    ) {
        self.pool = pool
        self.notifier = notifier
        self.recent = recent
        self.checkpointer = checkpointer
        self.clock = clock
        self.maximumBatchSize = max(1, maximumBatchSize)
        self.logger = logger
        self.state = Mutex(State(lastCommitTime: lastCommitTime))
        let thread = Thread { [self] in self.run() }
        thread.start()
    }

    /// Queues `transaction` for the next batch and returns its result once that batch is durable.
    func submit(_ transaction: Transaction) async throws(StoreError) -> CommitResult {
        let result = await withCheckedContinuation { continuation in
            let accepted = state.withLock { state in
                guard !state.closed else { return false }
                state.pending.append(Pending(transaction: transaction, continuation: continuation))
                return true
            }
            guard accepted else {
                continuation.resume(
                    returning: .failure(.unavailable("the store is closed; no more commits are accepted"))
                )
                return
            }
            control.signal()
        }
        return try result.get()
    }

    /// Refuses new transactions and waits until those already submitted are written and the thread ended.
    func close() async {
        state.withLock { $0.closed = true }
        control.signal()
        await control.finished()
    }

    var currentStatistics: CommitStatistics {
        get async { state.withLock { $0.statistics } }
    }

    /// The writer thread: waits for work, writes it in batches, until closed and drained.
    private func run() {
        ThreadName.setCurrent("gz-store-writer")
        while true {
            control.wait { state.withLock { !$0.pending.isEmpty || $0.closed } }
            let (batch, now, stop): ([Pending], Int64, Bool) = state.withLock { state in
                let count = min(state.pending.count, maximumBatchSize)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                let now = max(clock(), state.lastCommitTime)
                state.lastCommitTime = now
                return (batch, now, batch.isEmpty && state.closed)
            }
            if stop { break }
            let results = write(batch.map(\.transaction), now: now)
            for (entry, result) in zip(batch, results) {
                entry.continuation.resume(returning: result)
            }
            // After the answers, so that this batch's callers never wait for the log.
            checkpointer.committed()
            checkpointer.restartIfLong(in: pool)
        }
        control.threadEnded()
    }

    /// Writes one batch; when the SQLite transaction fails as a whole, writes its transactions one by one, so that
    /// one transaction's database error does not fail the others.
    private func write(_ transactions: [Transaction], now: Int64) -> [Result<CommitResult, StoreError>] {
        do {
            var outcome = try pool.write { db in
                try SQLiteWriteBatch.apply(transactions, in: db, now: now)
            }
            // The commit has returned, so it is durable: this is the time watchers are told it was committed.
            let durable = max(WallClock.microseconds(), now * 1000)
            for index in outcome.changes.indices {
                outcome.changes[index].committedAtMicroseconds = durable
            }
            state.withLock { state in
                state.statistics.sqliteTransactions += 1
                state.statistics.committedTransactions += outcome.committed
                state.statistics.failedTransactions += outcome.results.count {
                    if case .failure = $0 { true } else { false }
                }
                state.statistics.largestBatch = max(state.statistics.largestBatch, transactions.count)
            }
            if outcome.committed > 0 {
                recent.append(outcome.changes)
                notifier.publish(outcome.revision)
            }
            return outcome.results
        } catch {
            guard transactions.count > 1 else {
                state.withLock { $0.statistics.failedTransactions += 1 }
                logger.error("could not commit a transaction", metadata: ["error": "\(error)"])
                return [.failure(.unavailable("could not write to the database: \(error)", cause: error))]
            }
            logger.warning(
                "a batch of transactions failed; writing them one by one",
                metadata: ["transactions": "\(transactions.count)", "error": "\(error)"]
            )
            return transactions.flatMap { write([$0], now: now) }
        }
    }
}
