import GongzhiStore
import XCTest

final class SQLiteDurabilityTests: StoreTestCase {
    /// Opening a pool in WAL mode sets synchronous to NORMAL, which loses commits on power loss: the store must
    /// set FULL on the connection that commits.
    func testCommitsAreSyncedToTheLogBeforeTheyAreAcknowledged() async throws {
        let settings = try await storage.durability()
        XCTAssertEqual(settings.journalMode, "wal")
        XCTAssertEqual(settings.synchronous, 2, "PRAGMA synchronous = FULL")
    }

    func testReopeningKeepsObjectsRevisionAndHistory() async throws {
        try await storage.create(draft("a", labels: ["zone": "east"], parent: "c1", data: [1]))
        try await storage.create(draft("b", kind: "building"))
        try await storage.update(draft("a", labels: ["zone": "west"], parent: "c1", data: [2]), expectedRevision: 1)
        try await storage.delete(kind: "building", id: "b")
        try await storage.compact(before: 2)
        let objectBefore = try await storage.get(kind: "grid", id: "a")
        let historyBefore = try await storage.changes(after: 1, kind: nil, limit: 100)
        try await storage.close()

        let reopened = try open()
        let object = try await reopened.get(kind: "grid", id: "a")
        XCTAssertEqual(object, objectBefore)
        let revision = try await reopened.currentRevision()
        XCTAssertEqual(revision, 4)
        let history = try await reopened.changes(after: 1, kind: nil, limit: 100)
        XCTAssertEqual(withoutCommitTimes(history), withoutCommitTimes(historyBefore))
        // Read back from the history, a change carries the store clock's time at its commit.
        XCTAssertEqual(history.map(\.committedAtMicroseconds), Array(repeating: clock.now * 1000, count: 3))
        XCTAssertEqual(history.map(\.type), [.added, .modified, .deleted])
        await assertStoreError(.compacted(oldest: 2)) { () async throws(StoreError) in
            try await reopened.changes(after: 0, kind: nil, limit: 100)
        }
        let west = try await reopened.listAll(kind: "grid", labels: [.equals("zone", "west")], parent: "c1")
        XCTAssertEqual(west.map(\.id), ["a"])
        let next = try await reopened.create(draft("c"))
        XCTAssertEqual(next.revision, 5)
    }

    func testAcknowledgedCommitsAreOnDiskWithoutAClose() async throws {
        for index in 0..<10 {
            try await storage.create(draft("g\(index)", data: [UInt8(index)]))
        }
        // The first storage is never closed (as after a crash); a new one on the same file sees every commit.
        let second = try open()
        let revision = try await second.currentRevision()
        XCTAssertEqual(revision, 10)
        let objects = try await second.listAll(kind: "grid")
        XCTAssertEqual(objects.map(\.data), (0..<10).map { [UInt8($0)] })
        let history = try await second.changes(after: 0, kind: nil, limit: 100)
        XCTAssertEqual(history.count, 10)
    }
}
