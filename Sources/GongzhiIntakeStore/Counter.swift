import GRDB
import GongzhiIntake
import GongzhiIntakeSchemas

/// The names of the counters as stored, the fields of `SourceCounters`.
enum Counter {
    static let received = "received"
    static let accepted = "accepted"
    static let duplicates = "duplicates"
    static let deadLettered = "dead_lettered"
    static let inFlight = "in_flight"
    static let discarded = "discarded"
    static let replayed = "replayed"
    static let refused = "refused"
    static let refusedReasonPrefix = "refused_by_reason:"
    static let paused = "paused"
    static let pauses = "pauses"
    static let reconnects = "reconnects"
    static let sessionsLost = "sessions_lost"
    static let unlocated = "unlocated"
    /// What pruning removed of a counted name: `pruned.accepted`, ….
    static let prunedPrefix = "pruned."

    /// The counter an accepted outcome adds to, also stored as the row's outcome.
    static func name(of outcome: AcceptedOutcome) -> String {
        switch outcome {
        case .readingStored: "readings_stored"
        case .alert: "alerts"
        case .report: "reports"
        case .reportJoined: "reports_joined"
        case .item: "items"
        case .waitingForPerson: "waiting_for_person"
        case .dispatchedToDepartment: "dispatched_to_department"
        }
    }

    static let acceptedOutcomes: [AcceptedOutcome] = [
        .readingStored, .alert, .report, .reportJoined, .item, .waitingForPerson, .dispatchedToDepartment,
    ]

    static func outcome(named name: String) -> AcceptedOutcome? {
        acceptedOutcomes.first { Counter.name(of: $0) == name }
    }

    /// Adds `delta` to a counter in the caller's transaction.
    static func add(_ db: Database, source: String, _ name: String, _ delta: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO counters (source, name, value) VALUES (?, ?, ?)
                ON CONFLICT (source, name) DO UPDATE SET value = value + excluded.value
                """,
            arguments: [source, name, delta]
        )
    }

    /// Sets a counter in the caller's transaction.
    static func set(_ db: Database, source: String, _ name: String, _ value: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO counters (source, name, value) VALUES (?, ?, ?)
                ON CONFLICT (source, name) DO UPDATE SET value = excluded.value
                """,
            arguments: [source, name, value]
        )
    }

    /// A source's stored counters by name.
    static func values(_ db: Database, source: String) throws -> [String: Int64] {
        var values: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counters WHERE source = ?", arguments: [source]) {
            values[row["name"]] = row["value"]
        }
        return values
    }

    /// The tallies of the rows matching `condition` (on `inbox`), by the names of the counters they make up.
    static func tally(_ db: Database, condition: String, arguments: StatementArguments) throws -> [String: Int64] {
        try tallies(db, condition: condition, arguments: arguments).values.reduce(into: [:]) { total, tally in
            total.merge(tally, uniquingKeysWith: +)
        }
    }

    /// The tallies of the rows matching `condition` (on `inbox`) by source, by the names of the counters they make
    /// up: `received`, `in_flight`, `accepted` and its outcomes', `duplicates`, `dead_lettered`, `replayed`,
    /// `discarded`.
    static func tallies(
        _ db: Database,
        condition: String,
        arguments: StatementArguments
    ) throws -> [String: [String: Int64]] {
        var tallies: [String: [String: Int64]] = [:]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT source, state, outcome, replayed, discarded, count(*) AS n FROM inbox WHERE \(condition)
                GROUP BY source, state, outcome, replayed, discarded
                """,
            arguments: arguments
        )
        for row in rows {
            let n: Int64 = row["n"]
            let state: Int64 = row["state"]
            var tally = tallies[row["source"] as String] ?? [:]
            tally[received, default: 0] += n
            switch IntakeStoreSchema.State(rawValue: state) {
            case .pending:
                tally[inFlight, default: 0] += n
            case .accepted:
                tally[accepted, default: 0] += n
                tally[row["outcome"] as String, default: 0] += n
            case .duplicate:
                tally[duplicates, default: 0] += n
            case .dead:
                tally[deadLettered, default: 0] += n
            case nil:
                throw DatabaseError(message: "an inbox row has the unknown state \(state)")
            }
            if (row["replayed"] as Int64) != 0 { tally[replayed, default: 0] += n }
            if (row["discarded"] as Int64) != 0 { tally[discarded, default: 0] += n }
            tallies[row["source"] as String] = tally
        }
        return tallies
    }

    /// The message of a source's counters.
    static func message(
        source: String,
        values: [String: Int64],
        oldestInFlightMs: Int64
    ) -> Gongzhi_Intake_V1_SourceCounters {
        func value(_ name: String) -> UInt64 { UInt64(max(0, values[name] ?? 0)) }
        var c = Gongzhi_Intake_V1_SourceCounters()
        c.source = source
        c.received = value(received)
        c.accepted = value(accepted)
        c.duplicates = value(duplicates)
        c.deadLettered = value(deadLettered)
        c.inFlight = value(inFlight)
        c.readingsStored = value(name(of: .readingStored))
        c.alerts = value(name(of: .alert))
        c.reports = value(name(of: .report))
        c.reportsJoined = value(name(of: .reportJoined))
        c.items = value(name(of: .item))
        c.waitingForPerson = value(name(of: .waitingForPerson))
        c.dispatchedToDepartment = value(name(of: .dispatchedToDepartment))
        c.unlocated = value(unlocated)
        c.refused = value(refused)
        for (name, count) in values where name.hasPrefix(refusedReasonPrefix) {
            c.refusedByReason[String(name.dropFirst(refusedReasonPrefix.count))] = UInt64(max(0, count))
        }
        c.discarded = value(discarded)
        c.replayed = value(replayed)
        c.oldestInFlightMs = oldestInFlightMs
        c.paused = value(paused) != 0
        c.pauses = value(pauses)
        c.reconnects = value(reconnects)
        c.sessionsLost = value(sessionsLost)
        return c
    }

    /// The names a recount computes from the rows (the others are events without rows, copied from the table).
    static var countedFromRows: [String] {
        [received, accepted, duplicates, deadLettered, inFlight, discarded, replayed]
            + acceptedOutcomes.map { name(of: $0) }
    }
}
