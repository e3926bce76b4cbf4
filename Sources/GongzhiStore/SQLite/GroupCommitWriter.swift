import GRDB
import Logging

/// The single writer of an SQLite store: it gathers the transactions that callers submit while it writes, applies
/// each gathered batch in one SQLite transaction (a savepoint per logical transaction), commits once, and only then
/// answers the callers, so that many concurrent commits share one fsync and an answer implies durability.
actor GroupCommitWriter {
    private struct Pending {
        var transaction: Transaction
        var continuation: CheckedContinuation<Result<CommitResult, StoreError>, Never>
    }

    private let pool: DatabasePool
    private let notifier: CommitNotifier
    private let clock: @Sendable () -> Int64
    private let maximumBatchSize: Int
    private let logger: Logger

    private var pending: [Pending] = []
    private var draining = false
    private var closed = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    /// The commit time of the last batch: commit times never go backwards, even when the clock does.
    private var lastCommitTime: Int64
    private var statistics = CommitStatistics()

    init(
        pool: DatabasePool,
        notifier: CommitNotifier,
        clock: @escaping @Sendable () -> Int64,
        maximumBatchSize: Int,
        lastCommitTime: Int64,
        logger: Logger
    ) {
        self.pool = pool
        self.notifier = notifier
        self.clock = clock
        self.maximumBatchSize = max(1, maximumBatchSize)
        self.lastCommitTime = lastCommitTime
        self.logger = logger
    }

    /// Queues `transaction` for the next batch and returns its result once that batch is durable.
    func submit(_ transaction: Transaction) async throws(StoreError) -> CommitResult {
        if closed {
            throw .unavailable("the store is closed; no more commits are accepted")
        }
        let result = await withCheckedContinuation { continuation in
            pending.append(Pending(transaction: transaction, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
        return try result.get()
    }

    /// Refuses new transactions and waits until those already submitted are written.
    func close() async {
        closed = true
        if draining {
            await withCheckedContinuation { drainWaiters.append($0) }
        }
    }

    var currentStatistics: CommitStatistics { statistics }

    private func drain() async {
        while !pending.isEmpty {
            let count = min(pending.count, maximumBatchSize)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            let now = max(clock(), lastCommitTime)
            lastCommitTime = now
            let results = await write(batch.map(\.transaction), now: now)
            for (entry, result) in zip(batch, results) {
                entry.continuation.resume(returning: result)
            }
        }
        draining = false
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters {
            waiter.resume()
        }
    }

    /// Writes one batch; when the SQLite transaction fails as a whole, writes its transactions one by one, so that
    /// one transaction's database error does not fail the others.
    private func write(_ transactions: [Transaction], now: Int64) async -> [Result<CommitResult, StoreError>] {
        do {
            let outcome = try await pool.write { db in
                try SQLiteWriteBatch.apply(transactions, in: db, now: now)
            }
            statistics.sqliteTransactions += 1
            statistics.committedTransactions += outcome.committed
            statistics.failedTransactions += outcome.results.count { if case .failure = $0 { true } else { false } }
            statistics.largestBatch = max(statistics.largestBatch, transactions.count)
            if outcome.committed > 0 {
                notifier.publish(outcome.revision)
            }
            return outcome.results
        } catch {
            guard transactions.count > 1 else {
                statistics.failedTransactions += 1
                logger.error("could not commit a transaction", metadata: ["error": "\(error)"])
                return [.failure(.unavailable("could not write to the database: \(error)", cause: error))]
            }
            logger.warning(
                "a batch of transactions failed; writing them one by one",
                metadata: ["transactions": "\(transactions.count)", "error": "\(error)"]
            )
            var results: [Result<CommitResult, StoreError>] = []
            for transaction in transactions {
                results += await write([transaction], now: now)
            }
            return results
        }
    }
}
