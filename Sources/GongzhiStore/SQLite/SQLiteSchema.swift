import GRDB

/// The store's tables, created and evolved by GRDB migrations.
///
/// - `objects`: one row per live object, keyed by (kind, id); `labels` holds the labels as a JSON object for
///   reading, and `objects_by_parent` serves "children of" lists.
/// - `labels`: one row per label, for selectors. `labels_by_value` (kind, key, value, id) yields the objects with
///   one label value already in id order, so a list with an equality requirement reads only matching rows
///   (a JSON column cannot be indexed for arbitrary keys; on 200,000 objects a selector matching 0.1% took 0.3 ms
///   this way against 75-100 ms scanning the kind).
/// - `history`: one row per committed write, keyed by (revision, position in the transaction), with the full
///   object and the commit time; `history_by_kind` serves watchers of one kind.
/// - `meta`: one row with the current revision and the revision before which history was compacted.
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
        return migrator
    }
}
