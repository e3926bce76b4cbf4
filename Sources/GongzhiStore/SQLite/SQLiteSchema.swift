import GRDB

/// The store's tables, created and evolved by GRDB migrations.
///
/// - `objects`: one row per live object, keyed by (kind, id); `labels` holds the labels as a JSON object for
///   reading, and `objects_by_parent` serves "children of" lists.
/// - `labels`: one row per label, keyed (kind, key, value, id), so that a list with an equality requirement reads
///   exactly the matching objects in id order (a JSON column cannot be indexed for arbitrary keys; on 200,000
///   objects a selector matching 0.1% took 0.3 ms this way against 75-100 ms scanning the kind). Other
///   requirements are checked against the object's own labels.
/// - `history`: one row per committed write, keyed by (revision, position in the transaction), with the full
///   object and the commit time; `history_by_kind` serves watchers of one kind.
/// - `meta`: one row with the current revision and the revision before which history was compacted.
///
/// Every table but `meta` is `WITHOUT ROWID` (migration v2): a write then changes one B-tree per table and index,
/// where a rowid table with a separate primary key changed two. Version 1 also indexed labels twice (by object and
/// by value); v2 keeps only the index by value, and finds an object's old labels in its row.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: objects, labels, history, meta") { db in
            try db.execute(
                sql: """
                    CREATE TABLE objects (
                        kind TEXT NOT NULL,
                        id TEXT NOT NULL,
                        revision INTEGER NOT NULL,
                        parent TEXT NOT NULL,
                        owner TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        data BLOB,
                        PRIMARY KEY (kind, id)
                    ) STRICT;
                    CREATE INDEX objects_by_parent ON objects (kind, parent, id);

                    CREATE TABLE labels (
                        kind TEXT NOT NULL,
                        id TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (kind, id, key)
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX labels_by_value ON labels (kind, key, value, id);

                    CREATE TABLE history (
                        revision INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        type INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        id TEXT NOT NULL,
                        parent TEXT NOT NULL,
                        owner TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        data BLOB,
                        committed_at INTEGER NOT NULL,
                        PRIMARY KEY (revision, position)
                    ) STRICT;
                    CREATE INDEX history_by_kind ON history (kind, revision, position);

                    CREATE TABLE meta (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
                        revision INTEGER NOT NULL,
                        compacted_before INTEGER NOT NULL
                    ) STRICT;
                    INSERT INTO meta (singleton, revision, compacted_before) VALUES (0, 0, 1);
                    """
            )
        }
        migrator.registerMigration("v2: tables without rowid, labels keyed by value") { db in
            try db.execute(
                sql: """
                    DROP INDEX objects_by_parent;
                    DROP INDEX labels_by_value;
                    DROP INDEX history_by_kind;
                    ALTER TABLE objects RENAME TO objects_v1;
                    ALTER TABLE labels RENAME TO labels_v1;
                    ALTER TABLE history RENAME TO history_v1;
                    \(version2Tables)
                    INSERT INTO objects SELECT kind, id, revision, parent, owner, labels, created_at, updated_at, data
                        FROM objects_v1;
                    INSERT INTO labels SELECT kind, key, value, id FROM labels_v1;
                    INSERT INTO history SELECT revision, position, type, kind, id, parent, owner, labels, created_at,
                        updated_at, data, committed_at FROM history_v1;
                    DROP TABLE objects_v1;
                    DROP TABLE labels_v1;
                    DROP TABLE history_v1;
                    """
            )
        }
        return migrator
    }

    /// The tables of version 2 (see the type's documentation).
    static let version2Tables = """
        CREATE TABLE objects (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            revision INTEGER NOT NULL,
            parent TEXT NOT NULL,
            owner TEXT NOT NULL,
            labels TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            data BLOB,
            PRIMARY KEY (kind, id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX objects_by_parent ON objects (kind, parent, id);

        CREATE TABLE labels (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            id TEXT NOT NULL,
            PRIMARY KEY (kind, key, value, id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE history (
            revision INTEGER NOT NULL,
            position INTEGER NOT NULL,
            type INTEGER NOT NULL,
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            parent TEXT NOT NULL,
            owner TEXT NOT NULL,
            labels TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            data BLOB,
            committed_at INTEGER NOT NULL,
            PRIMARY KEY (revision, position)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX history_by_kind ON history (kind, revision, position);
        """
}
