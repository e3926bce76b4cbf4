import GongzhiPluginSDK
import Synchronization
import XCTest

/// Work on one key takes turns in the order it came; work on other keys does not wait for it.
final class KeyedTurnsTests: XCTestCase {
    func testTurnsOnOneKeyNeverInterleaveAndKeepTheirOrder() async throws {
        let turns = KeyedTurns()
        let log = Entries()
        let gate = AsyncStream<Void>.makeStream()
        // The first turn holds the key until the gate opens; the others queue behind it in order.
        let first = Task {
            try await turns.take("case:1") {
                log.add("1 start")
                for await _ in gate.stream { break }
                log.add("1 end")
            }
        }
        while log.all.isEmpty { await Task.yield() }
        var later: [Task<Void, any Error>] = []
        for number in 2...4 {
            later.append(
                Task {
                    try await turns.take("case:1") { log.add("\(number)") }
                }
            )
            // Each is queued before the next one is made, so that their order is known.
            try await Task.sleep(for: .milliseconds(20))
        }
        // Another key goes ahead while case:1 is held.
        try await turns.take("case:2") { log.add("other key") }
        XCTAssertEqual(log.all, ["1 start", "other key"])
        gate.continuation.yield()
        try await first.value
        for task in later { try await task.value }
        XCTAssertEqual(log.all, ["1 start", "other key", "1 end", "2", "3", "4"])
    }

    func testAFailingTurnPassesTheKeyOn() async throws {
        struct Refused: Error {}
        let turns = KeyedTurns()
        do {
            try await turns.take("case:1") { throw Refused() }
            XCTFail("the turn's error is thrown")
        } catch is Refused {}
        let value = try await turns.take(["case:1", "case:2"]) { 7 }
        XCTAssertEqual(value, 7)
    }
}

/// What the turns did, in order.
private final class Entries: Sendable {
    private let entries = Mutex<[String]>([])

    func add(_ entry: String) {
        entries.withLock { $0.append(entry) }
    }

    var all: [String] { entries.withLock { $0 } }
}
