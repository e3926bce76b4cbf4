import Foundation
import GRDB

/// Applies a batch of logical transactions inside one SQLite write transaction (the caller's), each with several
/// writes in its own savepoint so that a failed write rolls back that transaction alone.
///
/// A transaction with one write needs no savepoint: its compares and the write's own checks (exists, expected
/// revision) all come before it changes anything, and a database error fails the whole batch, which the writer then
/// retries one transaction at a time. Savepoints cost much in a batch: one whose pages the batch already changed
/// copies them into a statement journal first.
enum SQLiteWriteBatch {
    /// What a batch did.
    struct Outcome: Sendable {
        /// One result per transaction, in order.
        var results: [Result<CommitResult, StoreError>]
        /// The current revision after the batch (unchanged when no transaction wrote anything).
        var revision: Int64
        /// How many transactions got a new revision.
        var committed: Int
        /// The changes committed, in revision and position order.
        var changes: [Change]
    }

    /// Applies `transactions` in order. Each successful transaction with writes gets the next revision.
    ///
    /// Throws only database errors, which leave the whole SQLite transaction to be rolled back: the store's own
    /// refusals are results.
    static func apply(_ transactions: [Transaction], in db: Database, now: Int64) throws -> Outcome {
        let start = try currentRevision(db)
        var revision = start
        var results: [Result<CommitResult, StoreError>] = []
        results.reserveCapacity(transactions.count)
        var changes: [Change] = []
        for transaction in transactions {
            if transaction.writes.isEmpty {
                do {
                    try checkCompares(transaction.compares, in: db)
                    results.append(.success(CommitResult(revision: revision, objects: [])))
                } catch let error as StoreError {
                    results.append(.failure(error))
                }
                continue
            }
            let next = revision + 1
            var applied: [Change] = []
            do {
                if transaction.writes.count == 1 {
                    try checkCompares(transaction.compares, in: db)
                    applied = try applyWrites(transaction.writes, revision: next, now: now, in: db)
                } else {
                    try db.inSavepoint {
                        try checkCompares(transaction.compares, in: db)
                        applied = try applyWrites(transaction.writes, revision: next, now: now, in: db)
                        return .commit
                    }
                }
                revision = next
                results.append(.success(CommitResult(revision: next, objects: applied.map(\.object))))
                changes.append(contentsOf: applied)
            } catch let error as StoreError {
                results.append(.failure(error))
            }
        }
        if revision != start {
            try db.cachedStatement(sql: "UPDATE meta SET revision = ?").execute(arguments: [revision])
        }
        return Outcome(results: results, revision: revision, committed: Int(revision - start), changes: changes)
    }

    static func currentRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT revision FROM meta")) ?? 0
    }

    private static func storedRevision(kind: String, id: String, in db: Database) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT revision FROM objects WHERE kind = ? AND id = ?"),
            arguments: [kind, id]
        )
    }

    private static func checkCompares(_ compares: [Transaction.Compare], in db: Database) throws {
        for (index, compare) in compares.enumerated() {
            let key = ObjectKey(kind: compare.kind, id: compare.id)
            let stored = try storedRevision(kind: compare.kind, id: compare.id, in: db)
            let problem: String?
            switch (compare.condition, stored) {
            case (.revision(let expected), .some(let stored)) where stored != expected:
                problem = "\(key) is at revision \(stored), not \(expected); read it again and retry"
            case (.revision(let expected), .none):
                problem = "\(key) does not exist (expected at revision \(expected)); read it again and retry"
            case (.exists, .none):
                problem = "\(key) does not exist"
            case (.absent, .some(let stored)):
                problem = "\(key) exists (at revision \(stored))"
            default:
                problem = nil
            }
            if let problem {
                throw StoreError(.compareFailed(index: index), "compare \(index) failed: \(problem)")
            }
        }
    }

    private static func applyWrites(
        _ writes: [Transaction.Write],
        revision: Int64,
        now: Int64,
        in db: Database
    ) throws -> [Change] {
        var changes: [Change] = []
        changes.reserveCapacity(writes.count)
        for (position, write) in writes.enumerated() {
            let change: Change
            switch write {
            case .create(let draft):
                change = try create(draft, revision: revision, now: now, in: db)
            case .update(let draft, let expectedRevision):
                change = try update(draft, expectedRevision: expectedRevision, revision: revision, now: now, in: db)
            case .delete(let kind, let id, let expectedRevision):
                change = try delete(
                    ObjectKey(kind: kind, id: id),
                    expectedRevision: expectedRevision,
                    revision: revision,
                    in: db
                )
            }
            try recordHistory(change, position: position, committedAt: now, in: db)
            changes.append(change)
        }
        return changes
    }

    private static func create(
        _ draft: StoredObjectDraft,
        revision: Int64,
        now: Int64,
        in db: Database
    ) throws -> Change {
        let object = StoredObject(
            kind: draft.kind,
            id: draft.id,
            revision: revision,
            labels: draft.labels,
            parent: draft.parent,
            owner: draft.owner,
            createdAt: now,
            updatedAt: now,
            data: draft.data
        )
        try db.cachedStatement(
            sql: """
                INSERT INTO objects (\(SQLiteRecords.objectColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (kind, id) DO NOTHING
                """
        ).execute(arguments: SQLiteRecords.arguments(of: object))
        if db.changesCount == 0 {
            let key = ObjectKey(kind: draft.kind, id: draft.id)
            let stored = try storedRevision(kind: draft.kind, id: draft.id, in: db) ?? 0
            throw StoreError(
                .alreadyExists,
                "\(key) already exists (at revision \(stored)); update it, or create it under another id"
            )
        }
        try insertLabels(object.labels, kind: object.kind, id: object.id, in: db)
        return Change(revision: revision, type: .added, object: object)
    }

    private static func update(
        _ draft: StoredObjectDraft,
        expectedRevision: Int64?,
        revision: Int64,
        now: Int64,
        in db: Database
    ) throws -> Change {
        let key = ObjectKey(kind: draft.kind, id: draft.id)
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT revision, created_at, labels FROM objects WHERE kind = ? AND id = ?"),
                arguments: [draft.kind, draft.id]
            )
        else {
            throw StoreError(.notFound, "\(key) does not exist; create it first")
        }
        let stored: Int64 = row[0]
        try checkExpected(expectedRevision, stored: stored, key: key)
        let object = StoredObject(
            kind: draft.kind,
            id: draft.id,
            revision: revision,
            labels: draft.labels,
            parent: draft.parent,
            owner: draft.owner,
            createdAt: row[1],
            updatedAt: now,
            data: draft.data
        )
        let labels = SQLiteRecords.encodeLabels(object.labels)
        let storedLabels: String = row[2]
        // Read before anything changes: a transaction of one write has no savepoint to roll back to.
        let previous = labels == storedLabels ? nil : try SQLiteRecords.decodeLabels(storedLabels, of: key)
        try db.cachedStatement(
            sql: """
                UPDATE objects SET revision = ?, parent = ?, owner = ?, labels = ?, updated_at = ?, data = ?
                WHERE kind = ? AND id = ?
                """
        ).execute(
            arguments: [
                revision, object.parent, object.owner, labels, now, Data(object.data), object.kind, object.id,
            ]
        )
        if let previous {
            let removed = previous.filter { object.labels[$0.key] != $0.value }
            let added = object.labels.filter { previous[$0.key] != $0.value }
            try deleteLabels(removed, kind: object.kind, id: object.id, in: db)
            try insertLabels(added, kind: object.kind, id: object.id, in: db)
        }
        return Change(revision: revision, type: .modified, object: object)
    }

    private static func delete(
        _ key: ObjectKey,
        expectedRevision: Int64?,
        revision: Int64,
        in db: Database
    ) throws -> Change {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT \(SQLiteRecords.objectColumns) FROM objects WHERE kind = ? AND id = ?"
                ),
                arguments: [key.kind, key.id]
            )
        else {
            throw StoreError(.notFound, "\(key) does not exist; it may have been deleted already")
        }
        var object = try SQLiteRecords.object(from: row)
        try checkExpected(expectedRevision, stored: object.revision, key: key)
        try db.cachedStatement(sql: "DELETE FROM objects WHERE kind = ? AND id = ?")
            .execute(arguments: [key.kind, key.id])
        try deleteLabels(object.labels, kind: key.kind, id: key.id, in: db)
        object.revision = revision
        return Change(revision: revision, type: .deleted, object: object)
    }

    private static func checkExpected(_ expected: Int64?, stored: Int64, key: ObjectKey) throws {
        if let expected, expected != stored {
            throw StoreError(
                .revisionConflict(current: stored),
                "\(key) is at revision \(stored), not \(expected); read it again and retry"
            )
        }
    }

    private static func insertLabels(_ labels: [String: String], kind: String, id: String, in db: Database) throws {
        if labels.isEmpty {
            return
        }
        let statement = try db.cachedStatement(sql: "INSERT INTO labels (kind, key, value, id) VALUES (?, ?, ?, ?)")
        for (key, value) in labels {
            try statement.execute(arguments: [kind, key, value, id])
        }
    }

    /// Removes the index rows of `labels`, the object's labels as its row holds them.
    private static func deleteLabels(_ labels: [String: String], kind: String, id: String, in db: Database) throws {
        if labels.isEmpty {
            return
        }
        let statement = try db.cachedStatement(
            sql: "DELETE FROM labels WHERE kind = ? AND key = ? AND value = ? AND id = ?"
        )
        for (key, value) in labels {
            try statement.execute(arguments: [kind, key, value, id])
        }
    }

    private static func recordHistory(_ change: Change, position: Int, committedAt: Int64, in db: Database) throws {
        let object = change.object
        try db.cachedStatement(
            sql: """
                INSERT INTO history (
                    revision, position, type, kind, id, parent, owner, labels, created_at, updated_at, data,
                    committed_at
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                change.revision, position, change.type.rawValue, object.kind, object.id, object.parent, object.owner,
                SQLiteRecords.encodeLabels(object.labels), object.createdAt, object.updatedAt, Data(object.data),
                committedAt,
            ]
        )
    }
}
