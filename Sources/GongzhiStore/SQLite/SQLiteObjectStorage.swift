import Foundation
import GRDB
import Logging
import Synchronization

/// The embedded ``ObjectStorage``: one SQLite file in WAL mode with `synchronous = FULL`, read through a pool of
/// concurrent readers and written by one group-committing writer.
///
/// Concurrent commits are gathered into one SQLite transaction (one fsync), those with several writes each in its
/// own savepoint, so they stay atomic and independent; a commit returns once its batch is durable. Beside the pool:
/// a checkpointer thread (`Checkpointer`), the newest changes in memory (`RecentChanges`) and the point readers of
/// `get` (`PointReader`). Open one storage per database file.
public final class SQLiteObjectStorage: ObjectStorage {
    /// Where the database lives and how the storage behaves.
    public struct Configuration: Sendable {
        /// The database file; created, with its tables, when missing.
        public var path: String
        /// How long history is kept by ``SQLiteObjectStorage/compactExpired(now:)``; nil keeps all history.
        public var historyRetention: Duration?
        /// How long a connection waits for a lock held by another connection before failing.
        public var busyTimeout: Duration = .seconds(5)
        /// The most logical transactions in one SQLite transaction.
        public var maximumBatchSize = 1024
        /// The most concurrent readers.
        public var maximumReaderCount = 8
        /// How many pages (4 KiB each) the write-ahead log grows to before the writer starts it again from its
        /// beginning. A thread of the store copies the log into the database as it grows (see `Checkpointer`);
        /// SQLite's own checkpoint inside a commit only runs, as a safety net, at four times this length.
        public var checkpointPages = 4_000
        /// The time, in milliseconds since 1970, that the store gives to `createdAt`, `updatedAt` and the history.
        public var clock: @Sendable () -> Int64 = SQLiteObjectStorage.systemTimeMilliseconds

        public init(path: String, historyRetention: Duration? = nil) {
            self.path = path
            self.historyRetention = historyRetention
        }
    }

    /// The storage's configuration.
    public let configuration: Configuration

    private let pool: DatabasePool
    private let writer: GroupCommitWriter
    private let notifier = CommitNotifier()
    private let recent: RecentChanges
    private let checkpointer: Checkpointer
    private let pointReader: PointReader
    private let isClosed = Mutex(false)
    private let logger: Logger

    /// Opens (or creates) the database at `configuration.path` and brings its schema up to date.
    /// - Throws: ``StoreError/Code/unavailable`` when the file cannot be opened or migrated.
    public init(configuration: Configuration, logger: Logger) throws(StoreError) {
        self.configuration = configuration
        self.logger = logger
        var database = GRDB.Configuration()
        database.label = "GongzhiStore"
        database.busyMode = .timeout(Self.seconds(configuration.busyTimeout))
        database.maximumReaderCount = max(1, configuration.maximumReaderCount)
        let checkpointPages = max(1, configuration.checkpointPages)
        database.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(checkpointPages * 4)")
            // Savepoints' statement journals in memory, not in a temporary file per batch.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let pool: DatabasePool
        let lastCommitTime: Int64
        let revision: Int64
        let checkpointer: Checkpointer
        do {
            pool = try DatabasePool(path: configuration.path, configuration: database)
            // In WAL mode, FULL syncs the log at every commit: an acknowledged commit survives a power loss.
            // Set on the writer once the pool is open, because opening it in WAL mode sets NORMAL.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
                guard level == 2 else {
                    throw DatabaseError(message: "PRAGMA synchronous is \(level ?? -1), not FULL (2)")
                }
            }
            try SQLiteSchema.migrator.migrate(pool)
            (lastCommitTime, revision) = try pool.read { db in
                (
                    try Int64.fetchOne(
                        db,
                        sql: "SELECT committed_at FROM history ORDER BY revision DESC, position DESC LIMIT 1"
                    ) ?? 0,
                    try SQLiteWriteBatch.currentRevision(db)
                )
            }
            checkpointer = Checkpointer(path: configuration.path, restartFrames: checkpointPages, logger: logger)
        } catch {
            throw .unavailable("cannot open the object store at \(configuration.path): \(error)", cause: error)
        }
        self.pool = pool
        let recent = RecentChanges(after: revision)
        self.recent = recent
        self.checkpointer = checkpointer
        self.pointReader = PointReader(path: configuration.path)
        self.writer = GroupCommitWriter(
            pool: pool,
            notifier: notifier,
            recent: recent,
            checkpointer: checkpointer,
            clock: configuration.clock,
            maximumBatchSize: configuration.maximumBatchSize,
            lastCommitTime: lastCommitTime,
            logger: logger
        )
        logger.debug("opened the object store", metadata: ["path": "\(configuration.path)"])
    }

    /// Opens (or creates) the database at `path` with the default configuration.
    public convenience init(path: String, logger: Logger) throws(StoreError) {
        try self.init(configuration: Configuration(path: path), logger: logger)
    }

    deinit {
        notifier.finish()
    }

    /// The current time in milliseconds since 1970.
    @Sendable
    public static func systemTimeMilliseconds() -> Int64 {
        WallClock.milliseconds()
    }

    // MARK: Reads

    public func get(kind: String, id: String) async throws(StoreError) -> StoredObject? {
        try ObjectNames.validateKind(kind)
        try ObjectNames.validateID(id, kind: kind)
        // A point read of one indexed row takes microseconds: it is done on the calling thread, which saves
        // two thread hops that would cost more than the read, and on a connection of its own (see PointReader).
        try checkOpen()
        return try pointReader.get(kind: kind, id: id)
    }

    public func list(
        kind: String,
        labels: [LabelRequirement],
        parent: String?,
        pageSize: Int,
        after: String?,
        maxBytes: Int
    ) async throws(StoreError) -> ObjectPage {
        try ObjectNames.validateKind(kind)
        for requirement in labels {
            try requirement.validate()
        }
        if let parent, !parent.isEmpty {
            try ObjectNames.validateName(parent, what: "the parent to list the children of")
        }
        guard (1...ObjectStorageLimits.maximumPageSize).contains(pageSize) else {
            throw .invalidArgument(
                "the page size is \(pageSize); ask for 1 to \(ObjectStorageLimits.maximumPageSize) objects per page"
            )
        }
        guard maxBytes >= 1 else {
            throw .invalidArgument("the page's byte budget is \(maxBytes); it must be at least 1")
        }
        let query = SQLiteListQuery(kind: kind, labels: labels, parent: parent, after: after, limit: pageSize + 1)
        return try await read("the objects of kind \(kind)") { db in
            var objects: [StoredObject] = []
            var bytes = 0
            var nextPageToken: String?
            let rows = try Row.fetchCursor(db.makeStatement(sql: query.sql), arguments: query.arguments)
            // Reads one matching object past the page to know whether another page follows, and stops there.
            while let row = try rows.next() {
                let object = try SQLiteRecords.object(from: row)
                guard query.matches(object.labels) else { continue }
                let size = object.estimatedListBytes
                if let last = objects.last, objects.count == pageSize || bytes + size > maxBytes {
                    nextPageToken = last.id
                    break
                }
                objects.append(object)
                bytes += size
            }
            let revision = try SQLiteWriteBatch.currentRevision(db)
            return ObjectPage(objects: objects, nextPageToken: nextPageToken, revision: revision)
        }
    }

    public func changes(after revision: Int64, kind: String?, limit: Int) async throws(StoreError) -> [Change] {
        if revision < 0 {
            throw .invalidArgument("changes after revision \(revision): revisions are not negative; start after 0")
        }
        if let kind {
            try ObjectNames.validateKind(kind)
        }
        guard (1...ObjectStorageLimits.maximumChangeLimit).contains(limit) else {
            throw .invalidArgument(
                "the change limit is \(limit); ask for 1 to \(ObjectStorageLimits.maximumChangeLimit) changes"
            )
        }
        // A watcher at or near the head gets the changes the writer kept in memory.
        if let held = recent.changes(after: revision, kind: kind, limit: limit) {
            try checkOpen()
            return held
        }
        let body: @Sendable (Database) throws -> [Change] = { db in
            let compactedBefore = try Int64.fetchOne(db.cachedStatement(sql: "SELECT compacted_before FROM meta")) ?? 0
            if revision < compactedBefore - 1 {
                throw StoreError(
                    .compacted(oldest: compactedBefore),
                    "the history before revision \(compactedBefore) was compacted, so the changes after revision "
                        + "\(revision) are gone; list the objects again and read the changes after the list's revision"
                )
            }
            let kindFilter = kind == nil ? "" : "kind = ? AND "
            let columns = "\(SQLiteRecords.objectColumns), type, position, committed_at"
            var changes = try Self.changes(
                db,
                sql:
                    "SELECT \(columns) FROM history WHERE \(kindFilter)revision > ? ORDER BY revision, position LIMIT ?",
                arguments: kind.map { [$0, revision, limit] } ?? [revision, limit]
            )
            // Never split the last revision, so that the caller can go on after it.
            if changes.count == limit, let last = changes.last {
                changes += try Self.changes(
                    db,
                    sql: """
                        SELECT \(columns) FROM history WHERE \(kindFilter)revision = ? AND position > ?
                        ORDER BY position
                        """,
                    arguments: kind.map { [$0, last.revision, last.position] } ?? [last.revision, last.position]
                )
            }
            return changes.map(\.change)
        }
        // Never on the calling thread: waiting there for one of the pool's readers could hold the last thread that
        // the async reads holding them need to resume and give them back.
        return try await read("the changes after revision \(revision)", body)
    }

    /// The journal mode and synchronous level of the connection that commits ("wal" and 2, FULL, so that an
    /// acknowledged commit survives a power loss).
    public func durability() async throws(StoreError) -> (journalMode: String, synchronous: Int) {
        try checkOpen()
        do {
            return try await pool.writeWithoutTransaction { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                    try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                )
            }
        } catch {
            throw .unavailable("could not read the database's settings: \(error)", cause: error)
        }
    }

    public func currentRevision() async throws(StoreError) -> Int64 {
        try await read("the current revision") { db in try SQLiteWriteBatch.currentRevision(db) }
    }

    // MARK: Writes

    @discardableResult
    public func commit(_ transaction: Transaction) async throws(StoreError) -> CommitResult {
        try checkOpen()
        try transaction.validate()
        return try await writer.submit(transaction)
    }

    public func compact(before revision: Int64) async throws(StoreError) {
        _ = try await compact("compact the history before revision \(revision)") { _ in revision }
    }

    @discardableResult
    public func compactExpired(now: Int64) async throws(StoreError) -> Int64 {
        guard let retention = configuration.historyRetention else {
            return try await read("the compacted revision") { db in
                try Int64.fetchOne(db.cachedStatement(sql: "SELECT compacted_before FROM meta")) ?? 0
            }
        }
        let cutoff = now - Self.milliseconds(retention)
        return try await compact("compact the history committed before \(cutoff)") { db in
            // Commit times never go backwards, so the expired history is a prefix of the revisions.
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT revision FROM history WHERE committed_at >= ? ORDER BY revision, position LIMIT 1"
                ),
                arguments: [cutoff]
            ) ?? SQLiteWriteBatch.currentRevision(db) + 1
        }
    }

    /// Counts of the writer's work so far: how many SQLite transactions carried how many logical ones.
    public func commitStatistics() async -> CommitStatistics {
        await writer.currentStatistics
    }

    // MARK: Watching and closing

    public func commits() -> AsyncStream<Int64> {
        notifier.subscribe()
    }

    public func close() async throws(StoreError) {
        let wasClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        if wasClosed {
            return
        }
        await writer.close()
        await checkpointer.close()
        pointReader.close()
        notifier.finish()
        do {
            try pool.close()
        } catch {
            throw .unavailable("could not close the object store at \(configuration.path): \(error)", cause: error)
        }
        logger.debug("closed the object store", metadata: ["path": "\(configuration.path)"])
    }

    // MARK: Helpers

    private func checkOpen() throws(StoreError) {
        if isClosed.withLock({ $0 }) {
            throw .unavailable("the object store at \(configuration.path) is closed")
        }
    }

    /// Runs `body` in a read transaction of one of the pool's readers.
    private func read<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(StoreError) -> T {
        try checkOpen()
        do {
            return try await pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .unavailable("could not read \(what) from the database: \(error)", cause: error)
        }
    }

    /// Drops the history before the revision that `target` picks (in the writer's transaction), within the bounds
    /// of what exists; returns the revision before which history is compacted.
    private func compact(
        _ what: String,
        target: @escaping @Sendable (Database) throws -> Int64
    ) async throws(StoreError) -> Int64 {
        try checkOpen()
        let logger = self.logger
        let recent = self.recent
        do {
            return try await pool.write { db in
                let meta = try Row.fetchOne(db, sql: "SELECT revision, compacted_before FROM meta")!
                let current: Int64 = meta[0]
                let compactedBefore: Int64 = meta[1]
                let revision = try target(db)
                if revision > current + 1 {
                    throw StoreError.invalidArgument(
                        "cannot compact the history before revision \(revision): the current revision is \(current), "
                            + "so compact before \(current + 1) at most"
                    )
                }
                if revision <= compactedBefore {
                    return compactedBefore
                }
                try db.execute(sql: "DELETE FROM history WHERE revision < ?", arguments: [revision])
                let dropped = db.changesCount
                try db.execute(sql: "UPDATE meta SET compacted_before = ?", arguments: [revision])
                recent.compacted(before: revision)
                logger.info(
                    "compacted the object store's history",
                    metadata: ["before": "\(revision)", "changes dropped": "\(dropped)"]
                )
                return revision
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .unavailable("could not \(what): \(error)", cause: error)
        }
    }

    private static func changes(
        _ db: Database,
        sql: String,
        arguments: StatementArguments
    ) throws -> [(change: Change, position: Int, revision: Int64)] {
        var changes: [(change: Change, position: Int, revision: Int64)] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            let object = try SQLiteRecords.object(from: row)
            let typeValue: Int = row[9]
            guard let type = Change.ChangeType(rawValue: typeValue) else {
                throw StoreError.unavailable(
                    "the history of \(object.kind)/\(object.id) at revision \(object.revision) has an unknown type "
                        + "\(typeValue)"
                )
            }
            let committedAt: Int64 = row[11]
            changes.append(
                (
                    Change(
                        revision: object.revision,
                        type: type,
                        object: object,
                        committedAtMicroseconds: committedAt * 1000
                    ),
                    row[10], object.revision
                )
            )
        }
        return changes
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
