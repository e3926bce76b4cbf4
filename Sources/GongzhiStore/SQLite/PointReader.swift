import Foundation
import GRDBSQLite
import Synchronization

/// Reads one object by its key on a few read-only SQLite connections of its own, with one prepared statement each.
///
/// A get is the store's most frequent read and its caller waits for it on an event loop, so it skips what a read
/// through GRDB's pool costs around the lookup itself (a transaction begun and ended as SQL, a dispatch queue, the
/// row boxed as values): one statement in autocommit mode is its own read transaction, and sees one committed state.
/// A connection is taken from the free list for the read and put back; more callers at once than ``maximumIdle``
/// open more connections, and those beyond it are closed after their read.
final class PointReader: Sendable {
    /// One connection and its prepared statement, used by one caller at a time.
    private final class Connection: @unchecked Sendable {
        let database: OpaquePointer
        let statement: OpaquePointer

        init(path: String) throws(StoreError) {
            var database: OpaquePointer?
            let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            guard sqlite3_open_v2(path, &database, flags, nil) == SQLITE_OK, let database else {
                let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
                sqlite3_close(database)
                throw .unavailable("could not open \(path) for reading: \(message)")
            }
            sqlite3_busy_timeout(database, 5000)
            sqlite3_exec(database, "PRAGMA cache_size = -1024", nil, nil, nil)
            var statement: OpaquePointer?
            let sql = "SELECT \(SQLiteRecords.objectColumns) FROM objects WHERE kind = ?1 AND id = ?2"
            guard
                sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
                let statement
            else {
                let message = String(cString: sqlite3_errmsg(database))
                sqlite3_close(database)
                throw .unavailable("could not prepare a read of \(path): \(message)")
            }
            self.database = database
            self.statement = statement
        }

        func close() {
            sqlite3_finalize(statement)
            sqlite3_close(database)
        }

        func get(kind: String, id: String) throws(StoreError) -> StoredObject? {
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            // SQLITE_TRANSIENT: SQLite copies the text, which lives only during the call.
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            sqlite3_bind_text(statement, 1, kind, -1, transient)
            sqlite3_bind_text(statement, 2, id, -1, transient)
            switch sqlite3_step(statement) {
            case SQLITE_DONE:
                return nil
            case SQLITE_ROW:
                let key = ObjectKey(kind: kind, id: id)
                let count = Int(sqlite3_column_bytes(statement, 8))
                var data: [UInt8] = []
                if count > 0, let bytes = sqlite3_column_blob(statement, 8) {
                    data = Array(UnsafeRawBufferPointer(start: bytes, count: count))
                }
                return StoredObject(
                    kind: kind,
                    id: id,
                    revision: sqlite3_column_int64(statement, 2),
                    labels: try SQLiteRecords.decodeLabels(text(5), of: key),
                    parent: text(3),
                    owner: text(4),
                    createdAt: sqlite3_column_int64(statement, 6),
                    updatedAt: sqlite3_column_int64(statement, 7),
                    data: data
                )
            default:
                throw .unavailable(
                    "could not read \(kind)/\(id) from the database: \(String(cString: sqlite3_errmsg(database)))"
                )
            }
        }

        private func text(_ column: Int32) -> String {
            guard let text = sqlite3_column_text(statement, column) else { return "" }
            let count = Int(sqlite3_column_bytes(statement, column))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        }
    }

    private struct State {
        var idle: [Connection] = []
        var closed = false
    }

    /// How many connections stay open between reads.
    static let maximumIdle = 4

    private let path: String
    private let state = Mutex(State())

    init(path: String) {
        self.path = path
    }

    /// The object stored under (kind, id), or nil.
    func get(kind: String, id: String) throws(StoreError) -> StoredObject? {
        let (closed, reused) = state.withLock { state in (state.closed, state.closed ? nil : state.idle.popLast()) }
        if closed {
            throw .unavailable("the object store at \(path) is closed")
        }
        let connection: Connection
        if let reused {
            connection = reused
        } else {
            connection = try Connection(path: path)
        }
        defer {
            let keep = state.withLock { state in
                guard !state.closed && state.idle.count < Self.maximumIdle else { return false }
                state.idle.append(connection)
                return true
            }
            if !keep { connection.close() }
        }
        return try connection.get(kind: kind, id: id)
    }

    /// Closes the idle connections; those in use are closed when their read ends.
    func close() {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        for connection in idle { connection.close() }
    }
}
