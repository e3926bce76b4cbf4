import GongzhiIntakeStore
import XCTest

final class ImportTests: IntakeStoreTestCase {
    private func chunk(_ lines: ClosedRange<UInt64>, importID: String = "imp-1") -> [InboxInput] {
        lines.map { input(Int($0), importID: importID, line: $0) }
    }

    func testARetriedChunkIsNotAppendedOrCountedTwice() throws {
        let first = try store.append(source: "file", chunk(2...4))
        // The answer was lost: the client sends the chunk again, and then the next one overlapping it.
        XCTAssertEqual(try store.append(source: "file", chunk(2...4)), first)
        let next = try store.append(source: "file", chunk(4...6))
        XCTAssertEqual(next.first, first.last, "line 4 answers the sequence it was given the first time")
        XCTAssertEqual(try store.counters(source: "file").received, 5)
        try assertBalanced("file")

        var progress = try store.importProgress(importID: "imp-1")
        XCTAssertEqual(progress.recordsReceived, 5)
        XCTAssertEqual(progress.inFlight, 5)
        try store.finish(source: "file", seq: first[0], outcome: .accepted(.item))
        try store.finish(source: "file", seq: first[1], outcome: .duplicate(of: first[0]))
        try store.finish(source: "file", seq: first[2], outcome: .dead(deadLetterID: "D4"))
        progress = try store.importProgress(importID: "imp-1")
        XCTAssertEqual(
            [
                progress.recordsReceived, progress.accepted, progress.duplicates, progress.deadLettered,
                progress.inFlight,
            ],
            [5, 1, 1, 1, 2]
        )
        XCTAssertEqual(progress.importID, "imp-1")
    }

    func testImportsAreKeptApartAndOrdinaryInputsAreNeverMerged() throws {
        let a = try store.append(source: "file", chunk(2...3, importID: "a"))
        let b = try store.append(source: "file", chunk(2...3, importID: "b"))
        XCTAssertEqual(Set(a + b).count, 4)
        let plain = try store.append(source: "file", [input(1), input(1)])
        XCTAssertEqual(Set(plain).count, 2, "inputs outside an import are each appended")
        XCTAssertEqual(try store.importProgress(importID: "a").recordsReceived, 2)
        XCTAssertEqual(try store.importProgress(importID: "unknown").recordsReceived, 0)
        assertRefused(.invalidArgument) { _ = try store.importProgress(importID: "") }
        // A batch is one transaction: the refused record takes the batch's other inputs with it.
        assertRefused(.invalidArgument) {
            _ = try store.append(source: "other", [input(7)] + chunk(2...2, importID: "a"))
        }
        XCTAssertEqual(try store.counters(source: "other").received, 0)
        XCTAssertEqual(try store.pending(source: "other", limit: 10, nowMs: .max), [])
        try assertBalanced("file")
    }

    func testALineRepeatedInOneChunkIsAppendedOnce() throws {
        let seqs = try store.append(source: "file", chunk(2...2) + chunk(2...3))
        XCTAssertEqual(seqs[0], seqs[1])
        XCTAssertEqual(try store.counters(source: "file").received, 2)
        try assertBalanced("file")
    }
}
