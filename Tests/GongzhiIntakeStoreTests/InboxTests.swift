import Foundation
import GRDB
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiIntakeStore
import Synchronization
import XCTest

final class InboxTests: IntakeStoreTestCase {
    func testOpensInWALWithFullSync() throws {
        let durability = try store.durability()
        XCTAssertEqual(durability.journalMode, "wal")
        XCTAssertEqual(durability.synchronous, 2)
        XCTAssertEqual(IntakeStore.schemaVersion, 1)
    }

    func testAppendGivesIncreasingGlobalSequencesAndCountsReceived() throws {
        let first = try store.append(source: "a", [input(1), input(2), input(3)])
        let second = try store.append(source: "b", [input(4)])
        let third = try store.append(source: "a", [input(5)])
        XCTAssertEqual(first.count, 3)
        let all = first + second + third
        XCTAssertEqual(all, all.sorted())
        XCTAssertEqual(Set(all).count, 5)
        XCTAssertEqual(try store.counters(source: "a").received, 4)
        XCTAssertEqual(try store.counters(source: "a").inFlight, 4)
        XCTAssertEqual(try store.counters(source: "b").received, 1)
        XCTAssertEqual(try store.sources(), ["a", "b"])
        XCTAssertEqual(
            try store.allCounters(),
            [try store.counters(source: "a"), try store.counters(source: "b")]
        )
        XCTAssertEqual(try store.append(source: "a", []), [])
        try assertBalanced("a")
        try assertBalanced("b")
    }

    func testPendingReturnsTheRowsAsAppendedBySequenceAndDueOnly() throws {
        let seqs = try store.append(source: "a", [input(1, externalID: "x1", atMs: 10), input(2, atMs: 11), input(3)])
        _ = try store.append(source: "b", [input(9)])
        let rows = try store.pending(source: "a", limit: 10, nowMs: 0)
        XCTAssertEqual(rows.map(\.seq), seqs)
        XCTAssertEqual(rows[0].externalID, "x1")
        XCTAssertEqual(rows[0].payload, Array("{\"n\":1}".utf8))
        XCTAssertEqual(rows[0].origin, "gz/v1/readings/WL-1")
        XCTAssertEqual(rows[0].receivedAtMs, 10)
        XCTAssertEqual(rows[0].source, "a")
        XCTAssertEqual(try store.pending(source: "a", limit: 2, nowMs: 0).map(\.seq), Array(seqs.prefix(2)))

        try store.retryLater(seq: seqs[0], atMs: 5_000, error: "host unavailable")
        XCTAssertEqual(try store.pending(source: "a", limit: 10, nowMs: 4_999).map(\.seq), Array(seqs.dropFirst()))
        let due = try store.pending(source: "a", limit: 10, nowMs: 5_000)
        XCTAssertEqual(due.map(\.seq), seqs)
        XCTAssertEqual(due[0].attempts, 1)
        XCTAssertEqual(due[0].lastError, "host unavailable")
        XCTAssertEqual(try store.counters(source: "a").inFlight, 3, "a row put back stays in flight")
        XCTAssertEqual(try store.counters(source: "a").oldestInFlightMs, 10)
        try assertBalanced("a")
    }

    func testFinishMovesTheRowAndTheCountersTogether() throws {
        let seqs = try store.append(source: "a", (1...4).map { input($0) })
        try store.finish(source: "a", seq: seqs[0], outcome: .accepted(.report))
        try assertBalanced("a")
        try store.finish(source: "a", seq: seqs[1], outcome: .duplicate(of: seqs[0]))
        try assertBalanced("a")
        try store.finish(source: "a", seq: seqs[2], outcome: .dead(deadLetterID: "D0123"))
        try assertBalanced("a")
        let c = try store.counters(source: "a")
        XCTAssertEqual(
            [c.received, c.accepted, c.duplicates, c.deadLettered, c.inFlight, c.reports],
            [4, 1, 1, 1, 1, 1]
        )
        XCTAssertEqual(try store.pending(source: "a", limit: 10, nowMs: .max).map(\.seq), [seqs[3]])
        XCTAssertEqual(c.oldestInFlightMs, 1_000)
    }

    func testFinishingTwiceIsRefusedAndTellsTheFirstOutcome() throws {
        let seqs = try store.append(source: "a", [input(1), input(2)])
        try store.finish(source: "a", seq: seqs[0], outcome: .accepted(.item))
        let before = try store.counters(source: "a")
        assertRefused(.alreadyFinished(.accepted(.item))) {
            try store.finish(source: "a", seq: seqs[0], outcome: .dead(deadLetterID: "D1"))
        }
        assertRefused(.alreadyFinished(.accepted(.item))) {
            try store.finish(source: "a", seq: seqs[0], outcome: .accepted(.item))
        }
        assertRefused(.alreadyFinished(.accepted(.item))) {
            try store.retryLater(seq: seqs[0], atMs: 1, error: "late")
        }
        XCTAssertEqual(try store.counters(source: "a"), before, "a refused finish changes nothing")
        try store.finish(source: "a", seq: seqs[1], outcome: .duplicate(of: seqs[0]))
        assertRefused(.alreadyFinished(.duplicate(of: seqs[0]))) {
            try store.finish(source: "a", seq: seqs[1], outcome: .accepted(.report))
        }
        try assertBalanced("a")
    }

    func testFinishersRacingFinishEachRowOnce() throws {
        let seqs = try store.append(source: "a", (1...100).map { input($0) })
        let store = self.store!
        let refusals = Refusals()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for seq in seqs {
                do {
                    try store.finish(source: "a", seq: seq, outcome: .accepted(.readingStored))
                } catch let error as IntakeStoreError {
                    if case .alreadyFinished = error.code { refusals.add() } else { refusals.fail("\(error)") }
                } catch {
                    refusals.fail("\(error)")
                }
            }
            _ = worker
        }
        XCTAssertEqual(refusals.failures, [])
        XCTAssertEqual(refusals.count, 3 * 100, "every row is finished by exactly one of four finishers")
        let c = try store.counters(source: "a")
        XCTAssertEqual(c.accepted, 100)
        XCTAssertEqual(c.readingsStored, 100)
        try assertBalanced("a")
    }

    func testFinishRefusesRowsItDoesNotKnowOrOfAnotherSource() throws {
        let seqs = try store.append(source: "a", [input(1)])
        assertRefused(.notFound) { try store.finish(source: "a", seq: 999, outcome: .accepted(.item)) }
        assertRefused(.notFound) { try store.retryLater(seq: 999, atMs: 0, error: "") }
        assertRefused(.invalidArgument) { try store.finish(source: "b", seq: seqs[0], outcome: .accepted(.item)) }
        assertRefused(.invalidArgument) {
            try store.finish(source: "a", seq: seqs[0], outcome: .dead(deadLetterID: ""))
        }
        assertRefused(.invalidArgument) {
            try store.finish(source: "a", seq: seqs[0], outcome: .duplicate(of: seqs[0]))
        }
        assertRefused(.invalidArgument) { _ = try store.append(source: "", [input(1)]) }
        assertRefused(.invalidArgument) { _ = try store.pending(source: "a", limit: 0, nowMs: 0) }
        try assertBalanced("a")
        XCTAssertEqual(try store.counters(source: "b").received, 0)
    }

    func testDedupeMemoryByExternalIDAndFingerprintWindow() throws {
        let seqs = try store.append(source: "a", [input(1, externalID: "T-1"), input(2)])
        XCTAssertNil(try store.seen(source: "a", externalID: "T-1"))
        try store.finish(
            source: "a",
            seq: seqs[0],
            outcome: .accepted(.report),
            dedupe: DedupeRecord(externalID: "T-1", fingerprint: "f1", atMs: 10_000)
        )
        XCTAssertEqual(try store.seen(source: "a", externalID: "T-1"), seqs[0])
        XCTAssertNil(try store.seen(source: "b", externalID: "T-1"), "dedupe is per source")
        XCTAssertEqual(try store.recentFingerprint(source: "a", fingerprint: "f1", sinceMs: 10_000), seqs[0])
        XCTAssertNil(try store.recentFingerprint(source: "a", fingerprint: "f1", sinceMs: 10_001))
        XCTAssertNil(try store.recentFingerprint(source: "a", fingerprint: "f2", sinceMs: 0))

        // A later input with the same content, outside the window, is remembered in its place.
        try store.finish(
            source: "a",
            seq: seqs[1],
            outcome: .accepted(.report),
            dedupe: DedupeRecord(externalID: "", fingerprint: "f1", atMs: 700_000)
        )
        XCTAssertEqual(try store.recentFingerprint(source: "a", fingerprint: "f1", sinceMs: 100_000), seqs[1])
        XCTAssertEqual(try store.seen(source: "a", externalID: "T-1"), seqs[0], "the first external id is kept")

        XCTAssertEqual(try store.pruneDedupe(seenOlderThanMs: 0, fingerprintsOlderThanMs: 800_000), 1)
        XCTAssertNil(try store.recentFingerprint(source: "a", fingerprint: "f1", sinceMs: 0))
        XCTAssertEqual(try store.seen(source: "a", externalID: "T-1"), seqs[0])
        XCTAssertEqual(try store.pruneDedupe(seenOlderThanMs: 10_001, fingerprintsOlderThanMs: 0), 1)
        XCTAssertNil(try store.seen(source: "a", externalID: "T-1"))
    }

    func testDeadLetterReplayAndDiscardMoveTheLedgerExactlyOnce() throws {
        let seqs = try store.append(source: "a", (1...4).map { input($0) })
        for (index, seq) in seqs.enumerated() {
            try store.finish(source: "a", seq: seq, outcome: .dead(deadLetterID: "D\(index)"))
        }
        try assertBalanced("a")

        try store.replayed(source: "a", seq: seqs[0], outcome: .accepted(.report))
        try assertBalanced("a")
        assertRefused(.alreadyFinished(.accepted(.report))) {
            try store.replayed(source: "a", seq: seqs[0], outcome: .accepted(.report))
        }
        try store.replayed(source: "a", seq: seqs[1], outcome: .duplicate(of: seqs[0]))
        try store.discarded(source: "a", seq: seqs[2])
        assertRefused(.failedPrecondition) { try store.discarded(source: "a", seq: seqs[2]) }
        assertRefused(.failedPrecondition) {
            try store.replayed(source: "a", seq: seqs[2], outcome: .accepted(.report))
        }
        assertRefused(.failedPrecondition) { try store.discarded(source: "a", seq: seqs[0]) }
        assertRefused(.invalidArgument) {
            try store.replayed(source: "a", seq: seqs[3], outcome: .dead(deadLetterID: "D3"))
        }
        try assertBalanced("a")
        let c = try store.counters(source: "a")
        XCTAssertEqual(
            [c.received, c.accepted, c.duplicates, c.deadLettered, c.inFlight, c.replayed, c.discarded, c.reports],
            [4, 1, 1, 2, 0, 2, 1, 1]
        )

        let pendingSeq = try store.append(source: "a", [input(5)])[0]
        assertRefused(.failedPrecondition) {
            try store.replayed(source: "a", seq: pendingSeq, outcome: .accepted(.report))
        }
        try store.finish(source: "a", seq: pendingSeq, outcome: .accepted(.item))
        assertRefused(.failedPrecondition) {
            try store.replayed(source: "a", seq: pendingSeq, outcome: .accepted(.report))
        }
        try assertBalanced("a")
    }

    func testRefusalsAndSourceEventsAreCountedBesideTheEquation() throws {
        try store.refused(source: "h", reason: "too_large")
        try store.refused(source: "h", reason: "too_large")
        try store.refused(source: "h", reason: "busy")
        try store.note(source: "h", event: .paused)
        try store.note(source: "h", event: .paused)
        var c = try store.counters(source: "h")
        XCTAssertEqual(c.refused, 3)
        XCTAssertEqual(c.refusedByReason, ["too_large": 2, "busy": 1])
        XCTAssertTrue(c.paused)
        XCTAssertEqual(c.pauses, 1, "a pause while paused is the same pause")
        try store.note(source: "h", event: .resumed)
        try store.note(source: "h", event: .paused)
        try store.note(source: "h", event: .reconnected)
        try store.note(source: "h", event: .sessionLost)
        try store.note(source: "h", event: .unlocated)
        c = try store.counters(source: "h")
        XCTAssertEqual([c.pauses, c.reconnects, c.sessionsLost, c.unlocated], [2, 1, 1, 1])
        XCTAssertEqual(c.received, 0)
        try assertBalanced("h")
    }

    func testPruningFinishedRowsKeepsCountersDeadLettersAndSeen() throws {
        let old = try store.append(source: "a", (1...4).map { input($0, atMs: 1_000) })
        let new = try store.append(source: "a", [input(5, atMs: 9_000)])
        try store.finish(
            source: "a",
            seq: old[0],
            outcome: .accepted(.alert),
            dedupe: DedupeRecord(externalID: "X", fingerprint: "", atMs: 1_000)
        )
        try store.finish(source: "a", seq: old[1], outcome: .duplicate(of: old[0]))
        try store.finish(source: "a", seq: old[2], outcome: .dead(deadLetterID: "D"))
        try store.finish(source: "a", seq: new[0], outcome: .accepted(.alert))
        let before = try store.counters(source: "a")

        XCTAssertEqual(try store.pruneFinishedInbox(olderThanMs: 5_000), 2, "the accepted and the duplicate")
        XCTAssertEqual(try store.counters(source: "a"), before)
        try assertBalanced("a")
        XCTAssertEqual(try store.seen(source: "a", externalID: "X"), old[0])
        XCTAssertEqual(try store.pending(source: "a", limit: 10, nowMs: .max).map(\.seq), [old[3]])
        assertRefused(.alreadyFinished(.accepted(.alert))) {
            try store.finish(source: "a", seq: new[0], outcome: .accepted(.alert))
        }
        assertRefused(.notFound) { try store.finish(source: "a", seq: old[0], outcome: .accepted(.alert)) }
        // The dead letter is still there to be replayed.
        try store.replayed(source: "a", seq: old[2], outcome: .accepted(.alert))
        try assertBalanced("a")
        XCTAssertEqual(try store.pruneFinishedInbox(olderThanMs: 100_000), 2)
        try assertBalanced("a")
        let after = try store.append(source: "a", [input(6)])
        XCTAssertGreaterThan(after[0], new[0], "a sequence is never reused after pruning")
    }

    func testACrashWithRowsPendingKeepsThemPendingAndTheCountersIntact() throws {
        let seqs = try store.append(source: "a", (1...5).map { input($0) })
        try store.finish(source: "a", seq: seqs[0], outcome: .accepted(.report))
        try store.finish(source: "a", seq: seqs[1], outcome: .dead(deadLetterID: "D1"))
        try store.retryLater(seq: seqs[2], atMs: 50, error: "unavailable")
        let before = try store.counters(source: "a")

        // The files as a crash leaves them: copied while the store is open, with the WAL holding the commits.
        let crashed = directory.appendingPathComponent("crashed.sqlite").path
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: databasePath + suffix) {
            try FileManager.default.copyItem(atPath: databasePath + suffix, toPath: crashed + suffix)
        }
        let afterCrash = try IntakeStore(path: crashed)
        defer { try? afterCrash.close() }
        XCTAssertEqual(try afterCrash.counters(source: "a"), before)
        XCTAssertEqual(try afterCrash.recount(source: "a"), before)
        let pending = try afterCrash.pending(source: "a", limit: 10, nowMs: .max)
        XCTAssertEqual(pending.map(\.seq), Array(seqs[2...]))
        XCTAssertEqual(pending[0].attempts, 1)
        // Finishing after the crash works once, and a second finisher (the replay) learns the outcome.
        try afterCrash.finish(source: "a", seq: seqs[2], outcome: .accepted(.report))
        XCTAssertThrowsError(try afterCrash.finish(source: "a", seq: seqs[2], outcome: .accepted(.report)))

        try reopen()
        XCTAssertEqual(try store.counters(source: "a"), before)
        XCTAssertEqual(try store.pending(source: "a", limit: 10, nowMs: .max).map(\.seq), Array(seqs[2...]))
        try assertBalanced("a")
    }

    func testAnInMemoryStoreWorksTheSame() throws {
        let memory = try IntakeStore.inMemory()
        let seqs = try memory.append(source: "a", [input(1)])
        try memory.finish(source: "a", seq: seqs[0], outcome: .accepted(.item))
        XCTAssertEqual(try memory.counters(source: "a"), try memory.recount(source: "a"))
        XCTAssertEqual(try memory.counters(source: "a").items, 1)
    }

    func testAFileOfANewerVersionIsRefused() throws {
        try store.close()
        let queue = try DatabaseQueue(path: databasePath)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        }
        try queue.close()
        assertRefused(.unavailable) { _ = try IntakeStore(path: databasePath) }
        store = nil
    }

    func testABatchIsFinishedInOneGoAndRowsFinishedBeforeAreLeftAsTheyWere() throws {
        let seqs = try store.append(source: "sensors-x", (1...4).map { input($0) })
        try store.finish(source: "sensors-x", seq: seqs[0], outcome: .duplicate(of: 99))
        let earlier = try store.finish(
            source: "sensors-x",
            [
                (seqs[0], .accepted(.readingStored), nil),
                (seqs[1], .accepted(.readingStored), nil),
                (seqs[2], .dead(deadLetterID: "D1"), nil),
                (seqs[3], .accepted(.alert), DedupeRecord(externalID: "x-4", fingerprint: "f4", atMs: 1_000)),
            ]
        )
        XCTAssertEqual(earlier, [seqs[0]: .duplicate(of: 99)])
        let counters = try store.counters(source: "sensors-x")
        XCTAssertEqual(counters.received, 4)
        XCTAssertEqual(counters.accepted, 2)
        XCTAssertEqual(counters.duplicates, 1)
        XCTAssertEqual(counters.deadLettered, 1)
        XCTAssertEqual(counters.inFlight, 0)
        XCTAssertEqual(counters.alerts, 1)
        XCTAssertEqual(try store.seen(source: "sensors-x", externalID: "x-4"), seqs[3])
        XCTAssertEqual(try store.row(seq: seqs[2])?.origin, "gz/v1/readings/WL-3", "a finished row is still read")
        XCTAssertNil(try store.row(seq: 12_345))
        try assertBalanced("sensors-x")
    }
}

/// Counts the refusals of racing finishers.
private final class Refusals: Sendable {
    private let state = Mutex<(refused: Int, errors: [String])>((0, []))

    var count: Int { state.withLock { $0.refused } }
    var failures: [String] { state.withLock { $0.errors } }

    func add() { state.withLock { $0.refused += 1 } }
    func fail(_ error: String) { state.withLock { $0.errors.append(error) } }
}
