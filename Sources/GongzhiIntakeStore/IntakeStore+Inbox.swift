import Foundation
import GRDB
import GongzhiIntake

extension IntakeStore {
    /// Commits a batch of a source's inputs in one transaction and answers their inbox sequences, in order:
    /// `received` and `in_flight` grow by the number of new rows. An imported record whose (import id, line) was
    /// appended before is not appended again: its existing sequence is answered, so a retried import is not
    /// counted twice.
    /// - Throws: ``IntakeStoreError/Code/invalidArgument`` for an empty source, or an imported record already
    ///   appended to another source.
    public func append(source: String, _ inputs: [InboxInput]) throws(IntakeStoreError) -> [UInt64] {
        try Self.requireSource(source)
        if inputs.isEmpty { return [] }
        return try write("append \(inputs.count) inputs of \(source)") { db in
            var seqs: [UInt64] = []
            seqs.reserveCapacity(inputs.count)
            var added: Int64 = 0
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO inbox (source, received_at_ms, origin, external_id, content_type, payload, import_id,
                        import_line, state, outcome, duplicate_of, replayed, discarded, attempts, next_attempt_at_ms,
                        last_error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '', 0, 0, 0, 0, 0, '')
                    """
            )
            for input in inputs {
                let line = Int64(clamping: input.importLine)
                if !input.importID.isEmpty,
                    let existing = try Row.fetchOne(
                        db,
                        sql: "SELECT seq, source FROM inbox WHERE import_id = ? AND import_line = ?",
                        arguments: [input.importID, line]
                    )
                {
                    let owner: String = existing["source"]
                    guard owner == source else {
                        throw IntakeStoreError(
                            .invalidArgument,
                            "line \(input.importLine) of import \"\(input.importID)\" was appended to source "
                                + "\(owner), not \(source); give the retried import the source it had"
                        )
                    }
                    seqs.append(UInt64(existing["seq"] as Int64))
                    continue
                }
                try insert.execute(arguments: [
                    source, input.receivedAtMs, input.origin, input.externalID, input.contentType,
                    Data(input.payload), input.importID, line,
                ])
                seqs.append(UInt64(db.lastInsertedRowID))
                added += 1
            }
            if added > 0 {
                try Counter.add(db, source: source, Counter.received, added)
                try Counter.add(db, source: source, Counter.inFlight, added)
            }
            return seqs
        }
    }

    /// The inbox row `seq`, whatever its state (a dead letter's input, to replay it); nil when there is none (it
    /// was never appended, or was pruned after it was finished).
    public func row(seq: UInt64) throws(IntakeStoreError) -> InboxRow? {
        try read("input \(seq)") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT seq, source, origin, external_id, content_type, payload, received_at_ms, attempts,
                        last_error, import_id, import_line
                    FROM inbox WHERE seq = ?
                    """,
                arguments: [Int64(clamping: seq)]
            ).map(Self.inboxRow)
        }
    }

    /// A source's pending rows whose next attempt is due at `nowMs`, by sequence, at most `limit`.
    public func pending(source: String, limit: Int, nowMs: Int64) throws(IntakeStoreError) -> [InboxRow] {
        try Self.requireSource(source)
        guard limit > 0 else {
            throw IntakeStoreError(.invalidArgument, "the limit of pending rows is \(limit); give 1 or more")
        }
        return try read("the pending inputs of \(source)") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, source, origin, external_id, content_type, payload, received_at_ms, attempts,
                        last_error, import_id, import_line
                    FROM inbox WHERE source = ? AND state = 0 AND next_attempt_at_ms <= ? ORDER BY seq LIMIT ?
                    """,
                arguments: [source, nowMs, limit]
            ).map(Self.inboxRow)
        }
    }

    static func inboxRow(_ row: Row) -> InboxRow {
        InboxRow(
            seq: UInt64(row["seq"] as Int64),
            source: row["source"],
            origin: row["origin"],
            externalID: row["external_id"],
            contentType: row["content_type"],
            payload: (row["payload"] as Data).bytes,
            receivedAtMs: row["received_at_ms"],
            attempts: row["attempts"],
            lastError: row["last_error"],
            importID: row["import_id"],
            importLine: UInt64(row["import_line"] as Int64)
        )
    }

    /// Ends a pending row with its outcome, in one transaction with the counters (`in_flight` − 1; `accepted`
    /// and its outcome's counter, `duplicates` or `dead_lettered` + 1) and, when given, the dedupe record.
    /// - Throws: ``IntakeStoreError/Code/alreadyFinished(_:)`` with the first outcome when the row was finished
    ///   before (so a replay after a crash stays exactly once); `notFound`; `invalidArgument` for a row of another
    ///   source or a dead letter without an id.
    public func finish(
        source: String,
        seq: UInt64,
        outcome: InboxOutcome,
        dedupe: DedupeRecord? = nil
    ) throws(IntakeStoreError) {
        try Self.requireSource(source)
        try Self.validate(outcome, seq: seq)
        try write("finish input \(seq) of \(source)") { db in
            let row = try Self.inboxRowState(db, seq: seq, source: source)
            if let finished = row.outcome {
                throw IntakeStoreError(
                    .alreadyFinished(finished),
                    "input \(seq) of \(source) was already finished (\(finished)); nothing was changed"
                )
            }
            try Self.store(outcome, db: db, seq: seq, replayed: false)
            try Counter.add(db, source: source, Counter.inFlight, -1)
            try Self.countFinished(outcome, db: db, source: source)
            if let dedupe { try Self.remember(dedupe, db: db, source: source, seq: seq) }
        }
    }

    /// Ends several pending rows of a source in one transaction (one commit for a batch of messages), each as
    /// `finish(source:seq:outcome:dedupe:)` would. A row finished before is left as it is and answered with its
    /// first outcome; the others are finished.
    public func finish(
        source: String,
        _ rows: [(seq: UInt64, outcome: InboxOutcome, dedupe: DedupeRecord?)]
    ) throws(IntakeStoreError) -> [UInt64: InboxOutcome] {
        try Self.requireSource(source)
        for row in rows { try Self.validate(row.outcome, seq: row.seq) }
        if rows.isEmpty { return [:] }
        return try write("finish \(rows.count) inputs of \(source)") { db in
            var earlier: [UInt64: InboxOutcome] = [:]
            for finishing in rows {
                let row = try Self.inboxRowState(db, seq: finishing.seq, source: source)
                if let finished = row.outcome {
                    earlier[finishing.seq] = finished
                    continue
                }
                try Self.store(finishing.outcome, db: db, seq: finishing.seq, replayed: false)
                try Counter.add(db, source: source, Counter.inFlight, -1)
                try Self.countFinished(finishing.outcome, db: db, source: source)
                if let dedupe = finishing.dedupe {
                    try Self.remember(dedupe, db: db, source: source, seq: finishing.seq)
                }
            }
            return earlier
        }
    }

    /// Puts a pending row back for later (a transient failure): `attempts` + 1, due again at `atMs`. It stays
    /// in flight.
    /// - Throws: ``IntakeStoreError/Code/alreadyFinished(_:)`` when it was finished meanwhile; `notFound`.
    public func retryLater(seq: UInt64, atMs: Int64, error: String) throws(IntakeStoreError) {
        try write("put input \(seq) back for later") { db in
            let row = try Self.inboxRowState(db, seq: seq, source: nil)
            if let finished = row.outcome {
                throw IntakeStoreError(
                    .alreadyFinished(finished),
                    "input \(seq) of \(row.source) was already finished (\(finished)); it is not retried"
                )
            }
            try db.execute(
                sql: """
                    UPDATE inbox SET attempts = attempts + 1, next_attempt_at_ms = ?, last_error = ? WHERE seq = ?
                    """,
                arguments: [atMs, error, Int64(seq)]
            )
        }
    }

    /// The sequence of the first input of `source` remembered with this external id, if any.
    public func seen(source: String, externalID: String) throws(IntakeStoreError) -> UInt64? {
        try read("the external id \(externalID) of \(source)") { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT first_seq FROM seen WHERE source = ? AND external_id = ?",
                arguments: [source, externalID]
            ).map { UInt64($0) }
        }
    }

    /// The sequence of the input of `source` remembered with this content fingerprint at `sinceMs` or later.
    public func recentFingerprint(
        source: String,
        fingerprint: String,
        sinceMs: Int64
    ) throws(IntakeStoreError) -> UInt64? {
        try read("a fingerprint of \(source)") { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT seq FROM recent WHERE source = ? AND fingerprint = ? AND at_ms >= ?",
                arguments: [source, fingerprint, sinceMs]
            ).map { UInt64($0) }
        }
    }

    /// How many of a source's inputs are in flight (pending rows), from its counters.
    public func inFlight(source: String) throws(IntakeStoreError) -> Int {
        try read("the inputs in flight of \(source)") { db in
            try Int.fetchOne(
                db,
                sql: "SELECT value FROM counters WHERE source = ? AND name = ?",
                arguments: [source, Counter.inFlight]
            ) ?? 0
        }
    }

    /// Removes accepted and duplicate rows received before `olderThanMs` and answers how many. Pending and dead
    /// rows are kept (a dead letter can still be replayed), and so is dedupe's memory (``pruneDedupe(seenOlderThanMs:fingerprintsOlderThanMs:)``
    /// forgets it). The counters do not change; what was removed is kept beside them, so a recount still adds up.
    public func pruneFinishedInbox(olderThanMs: Int64) throws(IntakeStoreError) -> Int {
        try write("prune the inbox rows finished before \(olderThanMs)") { db in
            let condition = "state IN (1, 2) AND received_at_ms < ?"
            let tallies = try Counter.tallies(db, condition: condition, arguments: [olderThanMs])
            for (source, tally) in tallies {
                for (name, count) in tally {
                    try Counter.add(db, source: source, Counter.prunedPrefix + name, count)
                }
            }
            try db.execute(sql: "DELETE FROM inbox WHERE \(condition)", arguments: [olderThanMs])
            return db.changesCount
        }
    }

    /// Forgets external ids remembered before `seenOlderThanMs` and fingerprints remembered before
    /// `fingerprintsOlderThanMs`; answers how many entries went.
    public func pruneDedupe(seenOlderThanMs: Int64, fingerprintsOlderThanMs: Int64) throws(IntakeStoreError) -> Int {
        try write("forget old dedupe entries") { db in
            try db.execute(sql: "DELETE FROM seen WHERE at_ms < ?", arguments: [seenOlderThanMs])
            let seen = db.changesCount
            try db.execute(sql: "DELETE FROM recent WHERE at_ms < ?", arguments: [fingerprintsOlderThanMs])
            return seen + db.changesCount
        }
    }

    // MARK: Rows

    /// What a finish, a retry or a ledger move needs to know of a row.
    struct InboxRowState {
        var source: String
        var state: IntakeStoreSchema.State
        /// Nil while pending.
        var outcome: InboxOutcome?
        var replayed: Bool
        var discarded: Bool
    }

    static func inboxRowState(_ db: Database, seq: UInt64, source: String?) throws -> InboxRowState {
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT source, state, outcome, duplicate_of, replayed, discarded FROM inbox WHERE seq = ?",
                arguments: [Int64(clamping: seq)]
            )
        else {
            throw IntakeStoreError(
                .notFound,
                "there is no inbox row \(seq)" + (source.map { " of \($0)" } ?? "")
                    + "; it was never appended, or was pruned"
            )
        }
        let owner: String = row["source"]
        if let source, owner != source {
            throw IntakeStoreError(.invalidArgument, "inbox row \(seq) belongs to source \(owner), not \(source)")
        }
        let stateValue: Int64 = row["state"]
        guard let state = IntakeStoreSchema.State(rawValue: stateValue) else {
            throw DatabaseError(message: "inbox row \(seq) has the unknown state \(stateValue)")
        }
        let text: String = row["outcome"]
        let outcome: InboxOutcome?
        switch state {
        case .pending:
            outcome = nil
        case .accepted:
            guard let accepted = Counter.outcome(named: text) else {
                throw DatabaseError(message: "inbox row \(seq) has the unknown outcome \"\(text)\"")
            }
            outcome = .accepted(accepted)
        case .duplicate:
            outcome = .duplicate(of: UInt64(row["duplicate_of"] as Int64))
        case .dead:
            outcome = .dead(deadLetterID: text)
        }
        return InboxRowState(
            source: owner,
            state: state,
            outcome: outcome,
            replayed: (row["replayed"] as Int64) != 0,
            discarded: (row["discarded"] as Int64) != 0
        )
    }

    static func validate(_ outcome: InboxOutcome, seq: UInt64) throws(IntakeStoreError) {
        switch outcome {
        case .dead(let id) where id.isEmpty:
            throw IntakeStoreError(.invalidArgument, "input \(seq) is dead-lettered without a dead letter id")
        case .duplicate(let first) where first == seq:
            throw IntakeStoreError(.invalidArgument, "input \(seq) cannot be a duplicate of itself")
        default:
            return
        }
    }

    static func store(_ outcome: InboxOutcome, db: Database, seq: UInt64, replayed: Bool) throws {
        let (state, text, duplicateOf): (IntakeStoreSchema.State, String, Int64)
        switch outcome {
        case .accepted(let accepted): (state, text, duplicateOf) = (.accepted, Counter.name(of: accepted), 0)
        case .duplicate(let first): (state, text, duplicateOf) = (.duplicate, "", Int64(clamping: first))
        case .dead(let id): (state, text, duplicateOf) = (.dead, id, 0)
        }
        try db.execute(
            sql: """
                UPDATE inbox SET state = ?, outcome = ?, duplicate_of = ?, replayed = replayed OR ?
                WHERE seq = ?
                """,
            arguments: [state.rawValue, text, duplicateOf, replayed, Int64(clamping: seq)]
        )
    }

    static func countFinished(_ outcome: InboxOutcome, db: Database, source: String) throws {
        switch outcome {
        case .accepted(let accepted):
            try Counter.add(db, source: source, Counter.accepted, 1)
            try Counter.add(db, source: source, Counter.name(of: accepted), 1)
        case .duplicate:
            try Counter.add(db, source: source, Counter.duplicates, 1)
        case .dead:
            try Counter.add(db, source: source, Counter.deadLettered, 1)
        }
    }

    static func remember(_ dedupe: DedupeRecord, db: Database, source: String, seq: UInt64) throws {
        if !dedupe.externalID.isEmpty {
            try db.execute(
                sql: "INSERT OR IGNORE INTO seen (source, external_id, first_seq, at_ms) VALUES (?, ?, ?, ?)",
                arguments: [source, dedupe.externalID, Int64(clamping: seq), dedupe.atMs]
            )
        }
        if !dedupe.fingerprint.isEmpty {
            try db.execute(
                sql: """
                    INSERT INTO recent (source, fingerprint, seq, at_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT (source, fingerprint) DO UPDATE SET seq = excluded.seq, at_ms = excluded.at_ms
                    WHERE excluded.at_ms > recent.at_ms
                    """,
                arguments: [source, dedupe.fingerprint, Int64(clamping: seq), dedupe.atMs]
            )
        }
    }
}
