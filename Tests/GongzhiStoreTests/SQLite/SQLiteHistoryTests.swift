import GongzhiStore
import XCTest

final class SQLiteHistoryTests: StoreTestCase {
    func testChangesAreExactlyTheCommittedWritesInOrder() async throws {
        let a1 = try await storage.create(draft("a", labels: ["zone": "east"]))  // 1
        let b1 = try await storage.create(draft("b", kind: "building"))  // 2
        clock.advance(by: 1000)
        let a2 = try await storage.update(draft("a", labels: ["zone": "west"], data: [4]), expectedRevision: 1)  // 3
        _ = try? await storage.create(draft("a"))  // refused: no change
        let pair = try await storage.commit(  // 4
            Transaction(writes: [.create(draft("c")), .delete(kind: "building", id: "b", expectedRevision: 2)])
        )
        clock.advance(by: 1000)
        let aDeleted = try await storage.delete(kind: "grid", id: "a")  // 5

        let all = try await storage.changes(after: 0, kind: nil, limit: 100)
        XCTAssertEqual(all.map(\.revision), [1, 2, 3, 4, 4, 5])
        XCTAssertEqual(all.map(\.type), [.added, .added, .modified, .added, .deleted, .deleted])
        XCTAssertEqual(all.map(\.object.id), ["a", "b", "a", "c", "b", "a"])
        XCTAssertEqual(all[0].object, a1)
        XCTAssertEqual(all[1].object, b1)
        XCTAssertEqual(all[2].object, a2)
        XCTAssertEqual(all[3].object, pair.objects[0])
        // A deleted object as it was, with the delete's revision.
        var bAsDeleted = b1
        bAsDeleted.revision = 4
        XCTAssertEqual(all[4].object, bAsDeleted)
        XCTAssertEqual(pair.objects[1], bAsDeleted)
        var aAsDeleted = a2
        aAsDeleted.revision = 5
        XCTAssertEqual(all[5].object, aAsDeleted)
        XCTAssertEqual(aDeleted, aAsDeleted)
        XCTAssertEqual(all[5].object.labels, ["zone": "west"])
        XCTAssertEqual(all[5].object.data, [4])

        let afterThree = try await storage.changes(after: 3, kind: nil, limit: 100)
        XCTAssertEqual(afterThree, Array(all[3...]))
        let grids = try await storage.changes(after: 0, kind: "grid", limit: 100)
        XCTAssertEqual(grids.map(\.revision), [1, 3, 4, 5])
        let buildingsAfterTwo = try await storage.changes(after: 2, kind: "building", limit: 100)
        XCTAssertEqual(buildingsAfterTwo.map(\.type), [.deleted])
        let none = try await storage.changes(after: 5, kind: nil, limit: 100)
        XCTAssertEqual(none, [])
        let future = try await storage.changes(after: 99, kind: nil, limit: 100)
        XCTAssertEqual(future, [])
    }

    func testTheLimitNeverSplitsARevision() async throws {
        try await storage.create(draft("a"))  // 1
        try await storage.commit(Transaction(writes: (0..<4).map { .create(draft("t\($0)")) }))  // 2
        try await storage.create(draft("z"))  // 3
        let first = try await storage.changes(after: 0, kind: nil, limit: 2)
        XCTAssertEqual(first.map(\.revision), [1, 2, 2, 2, 2])
        XCTAssertEqual(first.map(\.object.id), ["a", "t0", "t1", "t2", "t3"])
        let next = try await storage.changes(after: first.last!.revision, kind: nil, limit: 2)
        XCTAssertEqual(next.map(\.object.id), ["z"])
        let one = try await storage.changes(after: 0, kind: nil, limit: 1)
        XCTAssertEqual(one.map(\.object.id), ["a"])
    }

    func testChangesBeforeTheCompactedRevisionAreGone() async throws {
        for index in 1...8 {
            try await storage.create(draft("g\(index)"))
        }
        try await storage.compact(before: 5)
        let error = await assertStoreError(.compacted(oldest: 5), messageContains: "list the objects again") {
            () async throws(StoreError) in
            try await storage.changes(after: 3, kind: nil, limit: 100)
        }
        XCTAssertNotNil(error)
        await assertStoreError(.compacted(oldest: 5)) { () async throws(StoreError) in
            try await storage.changes(after: 0, kind: "grid", limit: 100)
        }
        let fromFour = try await storage.changes(after: 4, kind: nil, limit: 100)
        XCTAssertEqual(fromFour.map(\.revision), [5, 6, 7, 8])
        // Objects stay; only history goes.
        let objects = try await storage.listAll(kind: "grid")
        XCTAssertEqual(objects.count, 8)
        // Compacting to an earlier point does nothing.
        try await storage.compact(before: 2)
        let stillFromFour = try await storage.changes(after: 4, kind: nil, limit: 100)
        XCTAssertEqual(stillFromFour.count, 4)
        await assertStoreError(.compacted(oldest: 5)) { () async throws(StoreError) in
            try await storage.changes(after: 2, kind: nil, limit: 100)
        }
    }

    func testCompactingThePresentDropsAllHistoryButNotTheFuture() async throws {
        try await storage.create(draft("a"))
        try await storage.create(draft("b"))
        await assertStoreError(.invalidArgument, messageContains: "compact before 3 at most") {
            () async throws(StoreError) in
            try await storage.compact(before: 4)
        }
        try await storage.compact(before: 3)
        let none = try await storage.changes(after: 2, kind: nil, limit: 10)
        XCTAssertEqual(none, [])
        await assertStoreError(.compacted(oldest: 3)) { () async throws(StoreError) in
            try await storage.changes(after: 1, kind: nil, limit: 10)
        }
        try await storage.create(draft("c"))
        let next = try await storage.changes(after: 2, kind: nil, limit: 10)
        XCTAssertEqual(next.map(\.object.id), ["c"])
    }

    func testCompactExpiredDropsHistoryOlderThanTheRetention() async throws {
        try await storage.close()
        storage = try open(historyRetention: .seconds(60))
        let start = clock.now
        try await storage.create(draft("a"))  // 1 at start
        try await storage.create(draft("b"))  // 2 at start
        clock.set(start + 30_000)
        try await storage.create(draft("c"))  // 3
        clock.set(start + 90_000)
        try await storage.create(draft("d"))  // 4

        // Nothing is older than 60 s at start + 59 s.
        let unchanged = try await storage.compactExpired(now: start + 59_999)
        XCTAssertEqual(unchanged, 1)
        let all = try await storage.changes(after: 0, kind: nil, limit: 10)
        XCTAssertEqual(all.count, 4)

        // At start + 100 s, revisions 1 to 3 (committed before start + 40 s) have expired.
        let compacted = try await storage.compactExpired(now: start + 100_000)
        XCTAssertEqual(compacted, 4)
        await assertStoreError(.compacted(oldest: 4)) { () async throws(StoreError) in
            try await storage.changes(after: 0, kind: nil, limit: 10)
        }
        let remaining = try await storage.changes(after: 3, kind: nil, limit: 10)
        XCTAssertEqual(remaining.map(\.object.id), ["d"])

        // Commit times never go backwards: a clock set back still stamps after the last commit.
        clock.set(start)
        let e = try await storage.create(draft("e"))
        XCTAssertEqual(e.createdAt, start + 90_000)
    }

    func testWithoutRetentionCompactExpiredKeepsEverything() async throws {
        try await storage.create(draft("a"))
        let compacted = try await storage.compactExpired(now: clock.now + 1_000_000_000)
        XCTAssertEqual(compacted, 1)
        let changes = try await storage.changes(after: 0, kind: nil, limit: 10)
        XCTAssertEqual(changes.count, 1)
    }

    func testCommitsStreamYieldsTheNewRevisionAfterEachCommit() async throws {
        let commits = storage.commits()
        var iterator = commits.makeAsyncIterator()
        try await storage.create(draft("a"))
        let first = await iterator.next()
        XCTAssertEqual(first, 1)
        // A refused commit yields nothing; the next successful one yields its revision.
        _ = try? await storage.create(draft("a"))
        try await storage.commit(Transaction(writes: [.create(draft("b")), .create(draft("c"))]))
        let second = await iterator.next()
        XCTAssertEqual(second, 2)
        let changes = try await storage.changes(after: 1, kind: nil, limit: 10)
        XCTAssertEqual(changes.map(\.object.id), ["b", "c"])

        try await storage.close()
        let afterClose = await iterator.next()
        XCTAssertNil(afterClose)
        let late = await storage.commits().first { _ in true }
        XCTAssertNil(late)
    }

    func testASlowWatcherSeesTheNewestRevision() async throws {
        let commits = storage.commits()
        for index in 0..<5 {
            try await storage.create(draft("g\(index)"))
        }
        var iterator = commits.makeAsyncIterator()
        let newest = await iterator.next()
        XCTAssertEqual(newest, 5)
    }
}
