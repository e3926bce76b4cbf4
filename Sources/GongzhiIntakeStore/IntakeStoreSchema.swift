import GRDB

/// The intake store's tables, created and evolved by GRDB migrations.
///
/// - `inbox`: one row per input committed; `state` 0 pending, 1 accepted, 2 duplicate, 3 dead. `outcome` holds the
///   accepted outcome's counter name or the dead letter's id, `duplicate_of` the first input's sequence;
///   `replayed` and `discarded` mark dead letters replayed (now accepted or duplicate) and discarded (still dead).
///   `seq` is AUTOINCREMENT, so a sequence is never reused, even after pruning. `inbox_pending` serves the
///   routers' reads in sequence order, `inbox_by_state` covers a recount, `inbox_finished` the pruning.
/// - `seen` and `recent`: dedupe's memory by external id and by content fingerprint, per source.
/// - `counters`: the conservation counters by (source, name), the proto's field names; changed in the same
///   transaction as the rows they count. `pruned.<name>` keeps what pruning removed, so that a recount from the
///   rows still adds up.
/// - `readings` (kept for a retention period) and `latest` (each device's newest reading of each kind).
enum IntakeStoreSchema {
    /// Inbox states as stored.
    enum State: Int64 {
        case pending = 0
        case accepted = 1
        case duplicate = 2
        case dead = 3
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: inbox, dedupe, counters, telemetry") { db in
            try db.execute(
                sql: """
                    CREATE TABLE inbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        source TEXT NOT NULL,
                        received_at_ms INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        external_id TEXT NOT NULL,
                        content_type TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        import_id TEXT NOT NULL,
                        import_line INTEGER NOT NULL,
                        state INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        duplicate_of INTEGER NOT NULL,
                        replayed INTEGER NOT NULL,
                        discarded INTEGER NOT NULL,
                        attempts INTEGER NOT NULL,
                        next_attempt_at_ms INTEGER NOT NULL,
                        last_error TEXT NOT NULL
                    ) STRICT;
                    CREATE INDEX inbox_pending ON inbox (source, seq) WHERE state = 0;
                    CREATE INDEX inbox_by_state ON inbox (source, state, outcome, replayed, discarded);
                    CREATE INDEX inbox_finished ON inbox (received_at_ms) WHERE state IN (1, 2);
                    CREATE UNIQUE INDEX inbox_by_import ON inbox (import_id, import_line) WHERE import_id <> '';

                    CREATE TABLE seen (
                        source TEXT NOT NULL,
                        external_id TEXT NOT NULL,
                        first_seq INTEGER NOT NULL,
                        at_ms INTEGER NOT NULL,
                        PRIMARY KEY (source, external_id)
                    ) STRICT, WITHOUT ROWID;

                    CREATE TABLE recent (
                        source TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        at_ms INTEGER NOT NULL,
                        PRIMARY KEY (source, fingerprint)
                    ) STRICT, WITHOUT ROWID;

                    CREATE TABLE counters (
                        source TEXT NOT NULL,
                        name TEXT NOT NULL,
                        value INTEGER NOT NULL,
                        PRIMARY KEY (source, name)
                    ) STRICT, WITHOUT ROWID;

                    CREATE TABLE readings (
                        device_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        time_ms INTEGER NOT NULL,
                        value REAL NOT NULL,
                        seq INTEGER NOT NULL,
                        reading BLOB NOT NULL,
                        PRIMARY KEY (device_id, kind, time_ms)
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX readings_by_time ON readings (time_ms);

                    CREATE TABLE latest (
                        device_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        time_ms INTEGER NOT NULL,
                        value REAL NOT NULL,
                        seq INTEGER NOT NULL,
                        reading BLOB NOT NULL,
                        PRIMARY KEY (device_id, kind)
                    ) STRICT, WITHOUT ROWID;
                    """
            )
        }
        return migrator
    }
}
