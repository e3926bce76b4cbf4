import GRDB
import GongzhiIntake
import GongzhiIntakeSchemas

extension IntakeStore {
    /// A source's counters as stored, changed in the same transactions as its rows: `in_flight` counts its pending
    /// rows, `oldest_in_flight_ms` is the receive time of the oldest of them (0 when none). A source never seen has
    /// zero counters.
    public func counters(source: String) throws(IntakeStoreError) -> Gongzhi_Intake_V1_SourceCounters {
        try read("the counters of \(source)") { db in
            Counter.message(
                source: source,
                values: try Counter.values(db, source: source),
                oldestInFlightMs: try Self.oldestInFlight(db, source: source)
            )
        }
    }

    /// Every source's counters as stored, read from one snapshot, sorted by source.
    public func allCounters() throws(IntakeStoreError) -> [Gongzhi_Intake_V1_SourceCounters] {
        try read("the counters of every source") { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT source FROM counters ORDER BY source").map { source in
                Counter.message(
                    source: source,
                    values: try Counter.values(db, source: source),
                    oldestInFlightMs: try Self.oldestInFlight(db, source: source)
                )
            }
        }
    }

    /// A source's counters computed again from its rows (plus what pruning removed), with the events that have no
    /// rows (refusals, pauses, reconnects, lost sessions, unlocated) as stored: equal to ``counters(source:)``
    /// unless something went wrong.
    public func recount(source: String) throws(IntakeStoreError) -> Gongzhi_Intake_V1_SourceCounters {
        try read("the rows of \(source) to count them") { db in
            var values = try Counter.values(db, source: source)
            let tally = try Counter.tally(db, condition: "source = ?", arguments: [source])
            for name in Counter.countedFromRows {
                values[name] = (tally[name] ?? 0) + (values[Counter.prunedPrefix + name] ?? 0)
            }
            return Counter.message(
                source: source,
                values: values,
                oldestInFlightMs: try Self.oldestInFlight(db, source: source)
            )
        }
    }

    /// The sources with counters, sorted by name.
    public func sources() throws(IntakeStoreError) -> [String] {
        try read("the sources") { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT source FROM counters ORDER BY source")
        }
    }

    /// A dead letter replayed successfully: its row moves from dead to `outcome` (accepted or duplicate), with
    /// `dead_lettered` − 1, `accepted` and its outcome's counter (or `duplicates`) + 1 and `replayed` + 1, in one
    /// transaction, remembering the dedupe record when given.
    /// - Throws: ``IntakeStoreError/Code/alreadyFinished(_:)`` with the replay's outcome when the row was replayed
    ///   before; `failedPrecondition` when it is discarded, pending or was never dead; `invalidArgument` for a
    ///   `.dead` outcome (a failed replay leaves the row as it is) or a row of another source; `notFound`.
    public func replayed(
        source: String,
        seq: UInt64,
        outcome: InboxOutcome,
        dedupe: DedupeRecord? = nil
    ) throws(IntakeStoreError) {
        try Self.requireSource(source)
        try Self.validate(outcome, seq: seq)
        if case .dead = outcome {
            throw IntakeStoreError(
                .invalidArgument,
                "a replay of input \(seq) that failed again leaves it dead; record only a replay that succeeded"
            )
        }
        try write("record the replay of input \(seq) of \(source)") { db in
            let row = try Self.inboxRowState(db, seq: seq, source: source)
            switch row.state {
            case .dead where row.discarded:
                throw IntakeStoreError(
                    .failedPrecondition,
                    "input \(seq) of \(source) was discarded; a discarded dead letter is not replayed"
                )
            case .dead:
                break
            case .accepted, .duplicate:
                guard row.replayed, let finished = row.outcome else {
                    throw IntakeStoreError(
                        .failedPrecondition,
                        "input \(seq) of \(source) was never dead-lettered; there is nothing to replay"
                    )
                }
                throw IntakeStoreError(
                    .alreadyFinished(finished),
                    "input \(seq) of \(source) was already replayed (\(finished)); nothing was changed"
                )
            case .pending:
                throw IntakeStoreError(
                    .failedPrecondition,
                    "input \(seq) of \(source) is still in flight, not a dead letter"
                )
            }
            try Self.store(outcome, db: db, seq: seq, replayed: true)
            try Counter.add(db, source: source, Counter.deadLettered, -1)
            try Counter.add(db, source: source, Counter.replayed, 1)
            try Self.countFinished(outcome, db: db, source: source)
            if let dedupe { try Self.remember(dedupe, db: db, source: source, seq: seq) }
        }
    }

    /// A person discarded a dead letter: its row stays dead and counted in `dead_lettered`; `discarded` + 1.
    /// - Throws: ``IntakeStoreError/Code/failedPrecondition`` when the row is not dead or already discarded;
    ///   `invalidArgument` for a row of another source; `notFound`.
    public func discarded(source: String, seq: UInt64) throws(IntakeStoreError) {
        try Self.requireSource(source)
        try write("record the discard of input \(seq) of \(source)") { db in
            let row = try Self.inboxRowState(db, seq: seq, source: source)
            guard row.state == .dead else {
                throw IntakeStoreError(
                    .failedPrecondition,
                    "input \(seq) of \(source) is not a dead letter (\(row.outcome.map { "\($0)" } ?? "in flight"))"
                )
            }
            guard !row.discarded else {
                throw IntakeStoreError(.failedPrecondition, "input \(seq) of \(source) was already discarded")
            }
            try db.execute(sql: "UPDATE inbox SET discarded = 1 WHERE seq = ?", arguments: [Int64(clamping: seq)])
            try Counter.add(db, source: source, Counter.discarded, 1)
        }
    }

    /// An input refused before it was durable (HTTP 400, 403, 413, 429): `refused` + 1 and its reason's count + 1,
    /// beside the equation (the client kept it).
    public func refused(source: String, reason: String) throws(IntakeStoreError) {
        try Self.requireSource(source)
        let reason = reason.isEmpty ? "unspecified" : reason
        try write("count a refusal of \(source)") { db in
            try Counter.add(db, source: source, Counter.refused, 1)
            try Counter.add(db, source: source, Counter.refusedReasonPrefix + reason, 1)
        }
    }

    /// Counts something that happened to a source outside its rows (a pause, a reconnect, a lost session).
    public func note(source: String, event: SourceEvent) throws(IntakeStoreError) {
        try Self.requireSource(source)
        try write("count \(event) of \(source)") { db in
            switch event {
            case .paused:
                let wasPaused =
                    try Int64.fetchOne(
                        db,
                        sql: "SELECT value FROM counters WHERE source = ? AND name = ?",
                        arguments: [source, Counter.paused]
                    ) ?? 0
                if wasPaused == 0 {
                    try Counter.set(db, source: source, Counter.paused, 1)
                    try Counter.add(db, source: source, Counter.pauses, 1)
                }
            case .resumed:
                try Counter.set(db, source: source, Counter.paused, 0)
            case .reconnected:
                try Counter.add(db, source: source, Counter.reconnects, 1)
            case .sessionLost:
                try Counter.add(db, source: source, Counter.sessionsLost, 1)
            case .unlocated:
                try Counter.add(db, source: source, Counter.unlocated, 1)
            }
        }
    }

    /// The progress of an import, counted from its rows: received, accepted, duplicates, dead-lettered, in flight.
    public func importProgress(importID: String) throws(IntakeStoreError) -> Gongzhi_Intake_V1_ImportProgress {
        guard !importID.isEmpty else {
            throw IntakeStoreError(.invalidArgument, "the import id is empty; give the id the import was sent with")
        }
        return try read("the progress of import \(importID)") { db in
            let tally = try Counter.tally(db, condition: "import_id = ?", arguments: [importID])
            var progress = Gongzhi_Intake_V1_ImportProgress()
            progress.importID = importID
            progress.recordsReceived = UInt64(tally[Counter.received] ?? 0)
            progress.accepted = UInt64(tally[Counter.accepted] ?? 0)
            progress.duplicates = UInt64(tally[Counter.duplicates] ?? 0)
            progress.deadLettered = UInt64(tally[Counter.deadLettered] ?? 0)
            progress.inFlight = UInt64(tally[Counter.inFlight] ?? 0)
            return progress
        }
    }

    static func oldestInFlight(_ db: Database, source: String) throws -> Int64 {
        try Int64.fetchOne(
            db,
            sql: "SELECT MIN(received_at_ms) FROM inbox WHERE source = ? AND state = 0",
            arguments: [source]
        ) ?? 0
    }
}
