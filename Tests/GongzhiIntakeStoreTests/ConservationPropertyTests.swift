import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiIntakeStore
import GongzhiTestSeeds
import XCTest

/// Random operations on a few sources, with the pure ``ConservationLedger`` as the independent count: after every
/// operation the stored counters balance, equal a recount from the rows, and agree with the ledger.
final class ConservationPropertyTests: IntakeStoreTestCase {
    private let sources = ["mqtt", "hotline", "file"]
    private let outcomes: [AcceptedOutcome] = [
        .readingStored, .alert, .report, .reportJoined, .item, .waitingForPerson, .dispatchedToDepartment,
    ]

    func testRandomOperationsKeepTheEquation() throws {
        // The first step that breaks the equation is the one to read; the ones after it only repeat it.
        continueAfterFailure = false
        var random = seededRandom()
        var ledger = ConservationLedger()
        var dead: [String: [UInt64]] = [:]
        var finished: [String: [UInt64: InboxOutcome]] = [:]
        var nowMs: Int64 = 1_000
        var importLine: UInt64 = 1

        for step in 0..<400 {
            let source = sources.randomElement(using: &random)!
            nowMs += Int64.random(in: 0...50, using: &random)
            let operation = Int.random(in: 0..<100, using: &random)
            var what = ""
            switch operation {
            case 0..<30:
                let count = Int.random(in: 0...6, using: &random)
                let retried = source == "file" && importLine > 3 && Bool.random(using: &random)
                let inputs: [InboxInput] = (0..<count).map { n in
                    if source == "file" {
                        let line = retried ? UInt64.random(in: 1..<importLine, using: &random) : importLine + UInt64(n)
                        return input(Int(line), atMs: nowMs, importID: "import-1", line: line)
                    }
                    return input(n, atMs: nowMs)
                }
                let received = try store.counters(source: source).received
                let seqs = try store.append(source: source, inputs)
                XCTAssertEqual(seqs.count, inputs.count)
                let added = try store.counters(source: source).received - received
                if source == "file" && !retried { importLine += UInt64(count) }
                if !retried { XCTAssertEqual(added, UInt64(count)) }
                for _ in 0..<added { try ledger.record(.received, source: source) }
                what = "append \(count)\(retried ? " (retried)" : "") → \(added) new"
            case 30..<60:
                let pending = try store.pending(source: source, limit: 5, nowMs: nowMs)
                guard let row = pending.randomElement(using: &random) else { continue }
                let outcome: InboxOutcome
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<6: outcome = .accepted(outcomes.randomElement(using: &random)!)
                case 6..<8: outcome = .duplicate(of: row.seq == 1 ? 2 : row.seq - 1)
                default:
                    outcome = .dead(deadLetterID: IntakeIdentity.deadLetterID(source: source, inboxSequence: row.seq))
                }
                try store.finish(source: source, seq: row.seq, outcome: outcome)
                switch outcome {
                case .accepted(let accepted): try ledger.record(.accepted(accepted), source: source)
                case .duplicate: try ledger.record(.duplicate, source: source)
                case .dead:
                    try ledger.record(.deadLettered, source: source)
                    dead[source, default: []].append(row.seq)
                }
                finished[source, default: [:]][row.seq] = outcome
                what = "finish \(row.seq) as \(outcome)"
            case 60..<67:
                guard let (seq, outcome) = finished[source]?.randomElement(using: &random) else { continue }
                let before = try store.counters(source: source)
                assertRefused(.alreadyFinished(outcome)) {
                    try store.finish(source: source, seq: seq, outcome: .accepted(.item))
                }
                XCTAssertEqual(try store.counters(source: source), before)
                what = "finish \(seq) again (refused)"
            case 67..<72:
                guard let row = try store.pending(source: source, limit: 5, nowMs: nowMs).first else { continue }
                try store.retryLater(seq: row.seq, atMs: nowMs + 100, error: "unavailable")
                what = "retry \(row.seq) later"
            case 72..<78:
                guard var letters = dead[source], !letters.isEmpty else { continue }
                let seq = letters.remove(at: Int.random(in: 0..<letters.count, using: &random))
                dead[source] = letters
                if Bool.random(using: &random) {
                    let accepted = outcomes.randomElement(using: &random)!
                    try store.replayed(source: source, seq: seq, outcome: .accepted(accepted))
                    try ledger.record(.replayed(accepted), source: source)
                    finished[source]![seq] = .accepted(accepted)
                } else {
                    let first: UInt64 = seq == 1 ? 2 : 1
                    try store.replayed(source: source, seq: seq, outcome: .duplicate(of: first))
                    try ledger.record(.replayed(nil), source: source)
                    finished[source]![seq] = .duplicate(of: first)
                }
                what = "replay \(seq)"
            case 78..<82:
                guard var letters = dead[source], !letters.isEmpty else { continue }
                let seq = letters.remove(at: Int.random(in: 0..<letters.count, using: &random))
                dead[source] = letters
                try store.discarded(source: source, seq: seq)
                try ledger.record(.discarded, source: source)
                what = "discard \(seq)"
            case 82..<88:
                let reason = ["too_large", "busy", "bad_key"].randomElement(using: &random)!
                try store.refused(source: source, reason: reason)
                try ledger.record(.refused(reason: reason), source: source)
                what = "refuse (\(reason))"
            case 88..<92:
                let event = [SourceEvent.paused, .resumed, .reconnected, .sessionLost].randomElement(using: &random)!
                try store.note(source: source, event: event)
                what = "note \(event)"
            case 92..<96:
                let pruned = try store.pruneFinishedInbox(
                    olderThanMs: nowMs - Int64.random(in: 0...500, using: &random)
                )
                for source in sources {
                    finished[source] = finished[source]?.filter { _, outcome in
                        if case .dead = outcome { return true }
                        return false
                    }
                }
                what = "prune (\(pruned) rows)"
            default:
                try reopen()
                what = "reopen"
            }
            for source in sources {
                try assertBalanced(source, "after step \(step): \(what)")
                try assertAgrees(with: ledger, source, "after step \(step): \(what)")
            }
        }
    }

    private func assertAgrees(
        with ledger: ConservationLedger,
        _ source: String,
        _ message: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let stored = try store.counters(source: source)
        var expected = ledger.counters(of: source)
        // Beside what the ledger counts: the health fields the store alone knows.
        expected.oldestInFlightMs = stored.oldestInFlightMs
        expected.paused = stored.paused
        expected.pauses = stored.pauses
        expected.reconnects = stored.reconnects
        expected.sessionsLost = stored.sessionsLost
        XCTAssertEqual(stored, expected, message, file: file, line: line)
    }
}
