import GRDB

extension IntakeStore {
    /// The revision saved under `name` (a watch's resume point), nil before any.
    public func cursor(_ name: String) throws(IntakeStoreError) -> Int64? {
        try read("cursor \(name)") { db in
            try Int64.fetchOne(db, sql: "SELECT revision FROM cursors WHERE name = ?", arguments: [name])
        }
    }

    /// Saves `revision` under `name`, replacing the one before.
    public func setCursor(_ name: String, _ revision: Int64) throws(IntakeStoreError) {
        guard !name.isEmpty else {
            throw IntakeStoreError(.invalidArgument, "the cursor has no name")
        }
        try write("save cursor \(name)") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO cursors (name, revision) VALUES (?, ?)",
                arguments: [name, revision]
            )
        }
    }
}
