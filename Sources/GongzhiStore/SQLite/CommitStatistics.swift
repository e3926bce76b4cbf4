/// Counts of the SQLite writer's work, for metrics and tests.
public struct CommitStatistics: Sendable, Hashable {
    /// SQLite write transactions that carried logical transactions (each one commit, one fsync).
    public var sqliteTransactions = 0
    /// Logical transactions that committed a new revision.
    public var committedTransactions = 0
    /// Logical transactions that were refused (failed compares, conflicts, database errors).
    public var failedTransactions = 0
    /// The most logical transactions that one SQLite transaction carried.
    public var largestBatch = 0

    public init() {}
}
