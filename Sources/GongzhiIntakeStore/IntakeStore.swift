import Foundation
import GRDB

/// Intake's durable state in one SQLite file: the inbox every input is committed to before it is acknowledged,
/// the conservation counters changed in the same transactions as the rows they count, dedupe's memory and
/// telemetry.
///
/// Every call is synchronous and throws ``IntakeStoreError``; callers run them where they like (not on Swift's
/// cooperative pool when they can block). Writes are serialised by GRDB, one transaction per call; reads run
/// concurrently with them on a snapshot. Per source, at every commit: received = accepted + duplicates +
/// dead-lettered + in flight.
public final class IntakeStore: Sendable {
    /// The file, or ":memory:".
    public let path: String
    let database: any DatabaseWriter

    /// The number of schema migrations this version knows; a file migrated further by a newer version is refused.
    public static var schemaVersion: Int { IntakeStoreSchema.migrator.migrations.count }

    /// Opens (or creates) the store at `path` (WAL, `synchronous = FULL`: an acknowledged commit survives a power
    /// loss) and brings its schema up to date.
    /// - Throws: ``IntakeStoreError/Code/unavailable`` when the file cannot be opened or migrated, or was written
    ///   by a newer version.
    public init(path: String) throws(IntakeStoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.label = "GongzhiIntakeStore"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // In WAL mode, FULL syncs the log at every commit. Set on the writer once the pool is open, because
            // opening it in WAL mode sets NORMAL.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
                guard level == 2 else {
                    throw DatabaseError(message: "PRAGMA synchronous is \(level ?? -1), not FULL (2)")
                }
            }
            try Self.migrate(pool, path: path)
            database = pool
        } catch let error as IntakeStoreError {
            throw error
        } catch {
            throw IntakeStoreError(
                .unavailable,
                "cannot open the intake store at \(path): \(error); check that the data directory exists and is "
                    + "writable",
                cause: error
            )
        }
    }

    private init(memory queue: DatabaseQueue) {
        path = ":memory:"
        database = queue
    }

    /// A store in memory, gone with the value: for tests that need no file.
    public static func inMemory() throws(IntakeStoreError) -> IntakeStore {
        do {
            let queue = try DatabaseQueue()
            try migrate(queue, path: ":memory:")
            return IntakeStore(memory: queue)
        } catch let error as IntakeStoreError {
            throw error
        } catch {
            throw IntakeStoreError(.unavailable, "cannot open an intake store in memory: \(error)", cause: error)
        }
    }

    /// The journal mode and synchronous level of the connection that commits ("wal" and 2, FULL, for a file).
    public func durability() throws(IntakeStoreError) -> (journalMode: String, synchronous: Int) {
        do {
            return try database.writeWithoutTransaction { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                    try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                )
            }
        } catch {
            throw IntakeStoreError(.unavailable, "cannot read the pragmas of \(path): \(error)", cause: error)
        }
    }

    /// Closes the database; every later call fails with ``IntakeStoreError/Code/unavailable``.
    public func close() throws(IntakeStoreError) {
        do {
            try database.close()
        } catch {
            throw IntakeStoreError(.unavailable, "could not close the intake store at \(path): \(error)", cause: error)
        }
    }

    private static func migrate(_ writer: any DatabaseWriter, path: String) throws {
        let migrator = IntakeStoreSchema.migrator
        let unknown = try writer.read { db in
            try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
        }
        guard unknown.isEmpty else {
            throw IntakeStoreError(
                .unavailable,
                "the intake store at \(path) was written by a newer version (migrations "
                    + unknown.sorted().joined(separator: ", ")
                    + "); run that version, or restore a backup"
            )
        }
        try migrator.migrate(writer)
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction; a database error says what was being done.
    func write<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws(IntakeStoreError) -> T {
        do {
            return try database.write(body)
        } catch let error as IntakeStoreError {
            throw error
        } catch {
            throw IntakeStoreError(
                .unavailable,
                "could not \(what()) in the intake store at \(path): \(error)",
                cause: error
            )
        }
    }

    /// Runs `body` on a snapshot; a database error says what was being read.
    func read<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws(IntakeStoreError) -> T {
        do {
            return try database.read(body)
        } catch let error as IntakeStoreError {
            throw error
        } catch {
            throw IntakeStoreError(
                .unavailable,
                "could not read \(what()) from the intake store at \(path): \(error)",
                cause: error
            )
        }
    }

    static func requireSource(_ source: String) throws(IntakeStoreError) {
        if source.isEmpty {
            throw IntakeStoreError(.invalidArgument, "the source name is empty; name one of the configured sources")
        }
    }
}

extension Data {
    var bytes: [UInt8] { [UInt8](self) }
}
