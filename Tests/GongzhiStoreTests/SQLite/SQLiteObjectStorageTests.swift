import GongzhiStore
import XCTest

final class SQLiteObjectStorageTests: StoreTestCase {
    func testCreateGetUpdateDelete() async throws {
        let revisionBefore = try await storage.currentRevision()
        XCTAssertEqual(revisionBefore, 0)
        let missing = try await storage.get(kind: "grid", id: "310115007001001")
        XCTAssertNil(missing)

        let createdAt = clock.now
        let created = try await storage.create(
            draft("310115007001001", labels: ["zone": "east"], parent: "community-7", data: [9, 8, 7])
        )
        XCTAssertEqual(created.revision, 1)
        XCTAssertEqual(created.createdAt, createdAt)
        XCTAssertEqual(created.updatedAt, createdAt)
        XCTAssertEqual(created.owner, "grid-plugin")
        let fetched = try await storage.get(kind: "grid", id: "310115007001001")
        XCTAssertEqual(fetched, created)
        XCTAssertEqual(fetched?.labels, ["zone": "east"])
        XCTAssertEqual(fetched?.parent, "community-7")
        XCTAssertEqual(fetched?.data, [9, 8, 7])

        clock.advance(by: 5000)
        var changed = created.draft
        changed.labels = ["zone": "west", "tier": "gold"]
        changed.data = []
        let updated = try await storage.update(changed, expectedRevision: 1)
        XCTAssertEqual(updated.revision, 2)
        XCTAssertEqual(updated.createdAt, createdAt)
        XCTAssertEqual(updated.updatedAt, createdAt + 5000)
        let refetched = try await storage.get(kind: "grid", id: "310115007001001")
        XCTAssertEqual(refetched, updated)
        XCTAssertEqual(refetched?.data, [])

        let deleted = try await storage.delete(kind: "grid", id: "310115007001001", expectedRevision: 2)
        XCTAssertEqual(deleted.revision, 3)
        XCTAssertEqual(deleted.labels, ["zone": "west", "tier": "gold"])
        let gone = try await storage.get(kind: "grid", id: "310115007001001")
        XCTAssertNil(gone)
        let revisionAfter = try await storage.currentRevision()
        XCTAssertEqual(revisionAfter, 3)
    }

    func testUpdateWithoutExpectedRevisionOverwrites() async throws {
        try await storage.create(draft("a"))
        try await storage.create(draft("b"))
        let updated = try await storage.update(draft("a", data: [42]), expectedRevision: nil)
        XCTAssertEqual(updated.revision, 3)
        XCTAssertEqual(updated.data, [42])
    }

    func testEveryCommitAdvancesTheRevisionByExactlyOne() async throws {
        var revisions: [Int64] = []
        for index in 0..<20 {
            let object = try await storage.create(draft("g\(index)"))
            revisions.append(object.revision)
            let current = try await storage.currentRevision()
            XCTAssertEqual(current, object.revision)
        }
        XCTAssertEqual(revisions, Array(1...20))
        let updated = try await storage.update(draft("g3"), expectedRevision: 4)
        XCTAssertEqual(updated.revision, 21)
        let deleted = try await storage.delete(kind: "grid", id: "g4")
        XCTAssertEqual(deleted.revision, 22)
    }

    func testWritesOfOneTransactionShareOneRevision() async throws {
        try await storage.create(draft("old"))
        try await storage.create(draft("doomed"))
        let result = try await storage.commit(
            Transaction(writes: [
                .create(draft("new-1")),
                .create(draft("community-1", kind: "community")),
                .update(draft("old", data: [5]), expectedRevision: 1),
                .delete(kind: "grid", id: "doomed", expectedRevision: 2),
            ])
        )
        XCTAssertEqual(result.revision, 3)
        XCTAssertEqual(result.objects.map(\.revision), [3, 3, 3, 3])
        XCTAssertEqual(result.objects.map(\.id), ["new-1", "community-1", "old", "doomed"])
        let current = try await storage.currentRevision()
        XCTAssertEqual(current, 3)
        let changes = try await storage.changes(after: 2, kind: nil, limit: 100)
        XCTAssertEqual(changes.map(\.revision), [3, 3, 3, 3])
        XCTAssertEqual(changes.map(\.type), [.added, .added, .modified, .deleted])
    }

    func testCompareOnlyTransactionDoesNotCreateARevision() async throws {
        try await storage.create(draft("a"))
        let result = try await storage.commit(
            Transaction(compares: [.init(kind: "grid", id: "a", condition: .revision(1))], writes: [])
        )
        XCTAssertEqual(result.revision, 1)
        XCTAssertEqual(result.objects, [])
        let current = try await storage.currentRevision()
        XCTAssertEqual(current, 1)
        await assertStoreError(.compareFailed(index: 0)) { () async throws(StoreError) in
            try await storage.commit(
                Transaction(compares: [.init(kind: "grid", id: "a", condition: .absent)], writes: [])
            )
        }
    }

    func testPassingComparesLetTheWritesThrough() async throws {
        try await storage.create(draft("a"))
        let result = try await storage.commit(
            Transaction(
                compares: [
                    .init(kind: "grid", id: "a", condition: .revision(1)),
                    .init(kind: "grid", id: "a", condition: .exists),
                    .init(kind: "grid", id: "b", condition: .absent),
                ],
                writes: [.create(draft("b"))]
            )
        )
        XCTAssertEqual(result.revision, 2)
        let b = try await storage.get(kind: "grid", id: "b")
        XCTAssertNotNil(b)
    }

    func testFailedComparesWriteNothing() async throws {
        try await storage.create(draft("a"))  // revision 1
        let cases: [(Transaction.Compare, Int, String)] = [
            (.init(kind: "grid", id: "a", condition: .revision(7)), 1, "grid/a is at revision 1, not 7"),
            (.init(kind: "grid", id: "missing", condition: .revision(1)), 1, "grid/missing does not exist"),
            (.init(kind: "grid", id: "missing", condition: .exists), 1, "grid/missing does not exist"),
            (.init(kind: "grid", id: "a", condition: .absent), 1, "grid/a exists (at revision 1)"),
        ]
        for (failing, index, message) in cases {
            let transaction = Transaction(
                compares: [.init(kind: "grid", id: "a", condition: .exists), failing],
                writes: [
                    .create(draft("b")),
                    .update(draft("a", data: [77]), expectedRevision: 1),
                ]
            )
            await assertStoreError(.compareFailed(index: index), messageContains: message) {
                () async throws(StoreError) in
                try await storage.commit(transaction)
            }
            let b = try await storage.get(kind: "grid", id: "b")
            XCTAssertNil(b, "\(failing)")
            let a = try await storage.get(kind: "grid", id: "a")
            XCTAssertEqual(a?.data, [1, 2, 3])
            XCTAssertEqual(a?.revision, 1)
            let current = try await storage.currentRevision()
            XCTAssertEqual(current, 1)
            let changes = try await storage.changes(after: 1, kind: nil, limit: 10)
            XCTAssertEqual(changes, [])
        }
    }

    func testAFailingWriteUndoesTheEarlierWritesOfItsTransaction() async throws {
        try await storage.create(draft("taken", labels: ["zone": "east"]))
        try await storage.create(draft("other", kind: "building"))
        await assertStoreError(.alreadyExists, messageContains: "building/other already exists") {
            () async throws(StoreError) in
            try await storage.commit(
                Transaction(writes: [
                    .create(draft("fresh", labels: ["zone": "east"])),
                    .update(draft("taken", labels: ["zone": "west"]), expectedRevision: 1),
                    .create(draft("other", kind: "building")),
                ])
            )
        }
        let fresh = try await storage.get(kind: "grid", id: "fresh")
        XCTAssertNil(fresh)
        let taken = try await storage.get(kind: "grid", id: "taken")
        XCTAssertEqual(taken?.labels, ["zone": "east"])
        let east = try await storage.listAll(kind: "grid", labels: [.equals("zone", "east")])
        XCTAssertEqual(east.map(\.id), ["taken"])
        let west = try await storage.listAll(kind: "grid", labels: [.equals("zone", "west")])
        XCTAssertEqual(west, [])
        let current = try await storage.currentRevision()
        XCTAssertEqual(current, 2)
    }

    func testStaleUpdateIsARevisionConflictWithTheCurrentRevision() async throws {
        try await storage.create(draft("other"))
        try await storage.create(draft("310115007001001"))  // revision 2
        try await storage.update(draft("310115007001001", data: [1]), expectedRevision: 2)  // revision 3
        await assertStoreError(
            .revisionConflict(current: 3),
            messageContains: "grid/310115007001001 is at revision 3, not 2; read it again and retry"
        ) { () async throws(StoreError) in
            try await storage.update(draft("310115007001001", data: [2]), expectedRevision: 2)
        }
        await assertStoreError(.revisionConflict(current: 3)) { () async throws(StoreError) in
            try await storage.delete(kind: "grid", id: "310115007001001", expectedRevision: 1)
        }
        let object = try await storage.get(kind: "grid", id: "310115007001001")
        XCTAssertEqual(object?.data, [1])
        XCTAssertEqual(object?.revision, 3)
    }

    func testCreatingAnExistingObjectFails() async throws {
        try await storage.create(draft("a", data: [1]))
        await assertStoreError(.alreadyExists, messageContains: "grid/a already exists (at revision 1)") {
            () async throws(StoreError) in
            try await storage.create(draft("a", data: [2]))
        }
        let object = try await storage.get(kind: "grid", id: "a")
        XCTAssertEqual(object?.data, [1])
        // The same id in another kind is another object.
        let other = try await storage.create(draft("a", kind: "building"))
        XCTAssertEqual(other.revision, 2)
    }

    func testDeletingOrUpdatingAMissingObjectIsNotFound() async throws {
        await assertStoreError(.notFound, messageContains: "grid/ghost does not exist") {
            () async throws(StoreError) in
            try await storage.delete(kind: "grid", id: "ghost")
        }
        await assertStoreError(.notFound, messageContains: "grid/ghost does not exist; create it first") {
            () async throws(StoreError) in
            try await storage.update(draft("ghost"), expectedRevision: nil)
        }
        try await storage.create(draft("ghost"))
        try await storage.delete(kind: "grid", id: "ghost")
        await assertStoreError(.notFound) { () async throws(StoreError) in
            try await storage.delete(kind: "grid", id: "ghost", expectedRevision: 1)
        }
        let current = try await storage.currentRevision()
        XCTAssertEqual(current, 2)
    }

    func testMalformedRequestsAreInvalidArguments() async throws {
        await assertStoreError(.invalidArgument, messageContains: "kind is empty") { () async throws(StoreError) in
            try await storage.create(draft("a", kind: ""))
        }
        await assertStoreError(.invalidArgument, messageContains: "whitespace") { () async throws(StoreError) in
            try await storage.create(draft("a b"))
        }
        await assertStoreError(.invalidArgument, messageContains: "the key \"bad key\"") {
            () async throws(StoreError) in
            try await storage.create(draft("a", labels: ["bad key": "x"]))
        }
        await assertStoreError(.invalidArgument, messageContains: "no owner") { () async throws(StoreError) in
            try await storage.create(StoredObjectDraft(kind: "grid", id: "a", owner: ""))
        }
        await assertStoreError(.invalidArgument, messageContains: "more than once") { () async throws(StoreError) in
            try await storage.commit(Transaction(writes: [.create(draft("a")), .delete(kind: "grid", id: "a")]))
        }
        await assertStoreError(.invalidArgument, messageContains: "1 to 10000") { () async throws(StoreError) in
            try await storage.list(kind: "grid", labels: [], parent: nil, pageSize: 0, after: nil)
        }
        await assertStoreError(.invalidArgument) { () async throws(StoreError) in
            try await storage.list(kind: "grid", labels: [.in("zone", [])], parent: nil, pageSize: 10, after: nil)
        }
        await assertStoreError(.invalidArgument) { () async throws(StoreError) in
            try await storage.changes(after: -1, kind: nil, limit: 10)
        }
        let current = try await storage.currentRevision()
        XCTAssertEqual(current, 0)
    }

    func testAClosedStoreRefusesCalls() async throws {
        try await storage.create(draft("a"))
        try await storage.close()
        await assertStoreError(.unavailable, messageContains: "closed") { () async throws(StoreError) in
            try await storage.create(draft("b"))
        }
        await assertStoreError(.unavailable, messageContains: "closed") { () async throws(StoreError) in
            try await storage.get(kind: "grid", id: "a")
        }
    }
}
