import GRDB
import XCTest

@testable import GongzhiStore

/// The writer's in-memory feed of recent changes, and that watchers get the same changes from it as from the
/// `history` table.
final class RecentChangesTests: StoreTestCase {
    private func change(_ revision: Int64, _ id: String, kind: String = "grid", bytes: Int = 0) -> Change {
        Change(
            revision: revision,
            type: .added,
            object: StoredObject(
                kind: kind,
                id: id,
                revision: revision,
                owner: "host",
                createdAt: 0,
                updatedAt: 0,
                data: Array(repeating: 7, count: bytes)
            )
        )
    }

    func testHoldsWholeRevisionsWithinItsBudget() {
        let feed = RecentChanges(after: 10, maximumCount: 4)
        XCTAssertEqual(feed.changes(after: 10, kind: nil, limit: 10), [])
        XCTAssertNil(feed.changes(after: 9, kind: nil, limit: 10), "before the feed began: read the history")
        feed.append([change(11, "a"), change(11, "b")])
        feed.append([change(12, "c", kind: "building")])
        XCTAssertEqual(feed.changes(after: 10, kind: nil, limit: 10)?.map(\.object.id), ["a", "b", "c"])
        XCTAssertEqual(feed.changes(after: 11, kind: nil, limit: 10)?.map(\.object.id), ["c"])
        XCTAssertEqual(feed.changes(after: 10, kind: "building", limit: 10)?.map(\.object.id), ["c"])
        XCTAssertEqual(feed.changes(after: 12, kind: nil, limit: 10), [])
        XCTAssertEqual(feed.changes(after: 50, kind: nil, limit: 10), [])
        // The limit never splits a revision.
        XCTAssertEqual(feed.changes(after: 10, kind: nil, limit: 1)?.map(\.object.id), ["a", "b"])

        // Five changes outgrow four: revision 11 leaves whole, so the feed is complete after 11.
        feed.append([change(13, "d"), change(13, "e")])
        XCTAssertNil(feed.changes(after: 10, kind: nil, limit: 10))
        XCTAssertEqual(feed.changes(after: 11, kind: nil, limit: 10)?.map(\.object.id), ["c", "d", "e"])

        // Many appends: always complete after the newest dropped revision.
        for revision in Int64(14)...Int64(200) {
            feed.append([change(revision, "x\(revision)")])
        }
        XCTAssertNil(feed.changes(after: 195, kind: nil, limit: 10))
        XCTAssertEqual(feed.changes(after: 196, kind: nil, limit: 10)?.map(\.revision), [197, 198, 199, 200])
    }

    func testByteBudgetAndCompaction() {
        let feed = RecentChanges(after: 0, maximumCount: 1000, maximumBytes: 3 * (1000 + 1 + 128))
        for revision in Int64(1)...Int64(5) {
            feed.append([change(revision, "o", bytes: 1000)])
        }
        XCTAssertNil(feed.changes(after: 1, kind: nil, limit: 10))
        XCTAssertEqual(feed.changes(after: 2, kind: nil, limit: 10)?.map(\.revision), [3, 4, 5])
        feed.compacted(before: 5)
        XCTAssertNil(feed.changes(after: 3, kind: nil, limit: 10), "compacted history is not served from memory")
        XCTAssertEqual(feed.changes(after: 4, kind: nil, limit: 10)?.map(\.revision), [5])
    }

    /// A storage opened on the same file starts its feed at the current revision, so it reads every older change
    /// from the `history` table: both must give the same answers for every start, kind and limit.
    func testMemoryAndHistoryGiveTheSameChanges() async throws {
        let startedAt = WallClock.microseconds()
        try await storage.create(draft("a", labels: ["zone": "east", "tier": "1"]))
        try await storage.create(draft("b", kind: "building", parent: "a"))
        try await storage.update(draft("a", labels: ["zone": "west", "tier": "1"], data: [4]), expectedRevision: 1)
        try await storage.commit(
            Transaction(writes: [
                .create(draft("c", labels: ["zone": "east"])), .delete(kind: "building", id: "b", expectedRevision: 2),
                .create(draft("d", kind: "building")),
            ])
        )
        try await storage.delete(kind: "grid", id: "a")
        let finishedAt = WallClock.microseconds()
        let reopened = try open()
        let head = try await storage.currentRevision()
        XCTAssertEqual(head, 5)
        for after in Int64(0)...head + 1 {
            for kind in [nil, "grid", "building"] {
                for limit in [1, 2, 100] {
                    let fromMemory = try await storage.changes(after: after, kind: kind, limit: limit)
                    let fromHistory = try await reopened.changes(after: after, kind: kind, limit: limit)
                    // Only the commit times differ: the history keeps the store clock's milliseconds at the
                    // commit's start, the memory the wall clock's microseconds once the commit was durable.
                    for change in fromHistory {
                        XCTAssertEqual(change.committedAtMicroseconds, clock.now * 1000)
                    }
                    for change in fromMemory {
                        XCTAssertGreaterThanOrEqual(change.committedAtMicroseconds, startedAt)
                        XCTAssertLessThanOrEqual(change.committedAtMicroseconds, finishedAt)
                    }
                    XCTAssertEqual(
                        withoutCommitTimes(fromMemory),
                        withoutCommitTimes(fromHistory),
                        "after \(after), kind \(kind ?? "any"), limit \(limit)"
                    )
                }
            }
        }
        // And the second storage's own feed serves what it commits next.
        try await reopened.create(draft("e"))
        let next = try await reopened.changes(after: 5, kind: nil, limit: 10)
        XCTAssertEqual(next.map(\.object.id), ["e"])
        let selected = try await reopened.listAll(kind: "grid", labels: [.equals("zone", "east")])
        XCTAssertEqual(selected.map(\.id), ["c"])
    }

    /// A database written by version 1 of the schema (labels indexed twice, tables with rowids) is migrated with
    /// every object, label and change kept.
    func testVersionOneDatabaseIsMigrated() async throws {
        let path = directory.file("v1.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(queue, upTo: "v1: objects, labels, history, meta")
            try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO objects VALUES ('grid', 'g1', 1, '', 'host', '{"zone":"east"}', 10, 10, x'0102');
                        INSERT INTO objects VALUES ('grid', 'g2', 2, 'c1', 'host', '{"zone":"west"}', 11, 11, x'03');
                        INSERT INTO labels VALUES ('grid', 'g1', 'zone', 'east');
                        INSERT INTO labels VALUES ('grid', 'g2', 'zone', 'west');
                        INSERT INTO history VALUES (1, 0, 1, 'grid', 'g1', '', 'host', '{"zone":"east"}', 10, 10,
                            x'0102', 10);
                        INSERT INTO history VALUES (2, 0, 1, 'grid', 'g2', 'c1', 'host', '{"zone":"west"}', 11, 11,
                            x'03', 11);
                        UPDATE meta SET revision = 2;
                        """
                )
            }
            try queue.close()
        }
        var configuration = SQLiteObjectStorage.Configuration(path: path)
        configuration.clock = { 20 }
        let migrated = try SQLiteObjectStorage(configuration: configuration, logger: .init(label: "test"))
        let g1 = try await migrated.get(kind: "grid", id: "g1")
        XCTAssertEqual(g1?.data, [1, 2])
        XCTAssertEqual(g1?.labels, ["zone": "east"])
        let west = try await migrated.list(
            kind: "grid",
            labels: [.equals("zone", "west")],
            parent: nil,
            pageSize: 10,
            after: nil
        )
        XCTAssertEqual(west.objects.map(\.id), ["g2"])
        XCTAssertEqual(west.revision, 2)
        let children = try await migrated.listAll(kind: "grid", parent: "c1")
        XCTAssertEqual(children.map(\.id), ["g2"])
        let history = try await migrated.changes(after: 0, kind: "grid", limit: 10)
        XCTAssertEqual(history.map(\.object.id), ["g1", "g2"])
        // Relabelled after the migration: the old label row is gone, the new one found.
        try await migrated.update(
            StoredObjectDraft(kind: "grid", id: "g1", labels: ["zone": "west"], owner: "host", data: [9]),
            expectedRevision: 1
        )
        let westAfter = try await migrated.listAll(kind: "grid", labels: [.equals("zone", "west")])
        XCTAssertEqual(westAfter.map(\.id), ["g1", "g2"])
        let east = try await migrated.listAll(kind: "grid", labels: [.equals("zone", "east")])
        XCTAssertEqual(east, [])
        try await migrated.close()
    }

    /// Stored labels are read without Foundation's decoder when they are in the store's own form, and the same
    /// either way.
    func testLabelsReadBackExactly() throws {
        let samples: [[String: String]] = [
            [:], ["a": "b"], ["grid": "G-0001", "community": "110105001001", "tier": "1"],
            ["quote\"d": "back\\slash", "line": "one\ntwo\tthree\r", "ctl": "\u{01}\u{1F}", "中文": "网格 ✓ 🏠"],
        ]
        for labels in samples {
            let json = SQLiteRecords.encodeLabels(labels)
            XCTAssertEqual(SQLiteRecords.parseLabels(json), labels, json)
            XCTAssertEqual(try SQLiteRecords.decodeLabels(json, of: ObjectKey(kind: "k", id: "i")), labels)
        }
        // Other JSON (white space, other escapes) is left to Foundation's decoder, which reads it the same.
        let spaced = #"{ "a" : "\/x\u00e9" }"#
        XCTAssertNil(SQLiteRecords.parseLabels(spaced))
        XCTAssertEqual(try SQLiteRecords.decodeLabels(spaced, of: ObjectKey(kind: "k", id: "i")), ["a": "/xé"])
        XCTAssertEqual(SQLiteRecords.parseLabels(#"{"a":"\/x\u00e9"}"#), ["a": "/xé"])
        XCTAssertNil(SQLiteRecords.parseLabels(#"{"a":"b""#))
        XCTAssertNil(SQLiteRecords.parseLabels(#"{"a":1}"#))
    }
}
