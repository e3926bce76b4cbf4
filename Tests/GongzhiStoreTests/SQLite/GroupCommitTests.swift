import GongzhiStore
import XCTest

final class GroupCommitTests: StoreTestCase {
    private static func object(_ id: String, data: [UInt8] = []) -> StoredObjectDraft {
        StoredObjectDraft(kind: "grid", id: id, labels: ["zone": "east"], owner: "grid-plugin", data: data)
    }

    func testConcurrentCommitsShareSQLiteTransactionsAndEachAppliesOnce() async throws {
        let storage = self.storage!
        let committers = 64
        let before = await storage.commitStatistics()
        let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<committers {
                group.addTask {
                    let id = String(format: "g%03d", index)
                    return try await storage.commit(
                        Transaction(
                            compares: [.init(kind: "grid", id: id, condition: .absent)],
                            writes: [.create(Self.object(id, data: [UInt8(index)]))]
                        )
                    ).revision
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let after = await storage.commitStatistics()
        let sqliteTransactions = after.sqliteTransactions - before.sqliteTransactions
        XCTAssertEqual(after.committedTransactions - before.committedTransactions, committers)
        XCTAssertLessThanOrEqual(sqliteTransactions, committers / 4, "\(after)")
        XCTAssertGreaterThan(after.largestBatch, 1)

        // Every transaction got its own revision, and the revisions are 1...64 with no gap.
        XCTAssertEqual(revisions.sorted(), Array(1...Int64(committers)))
        let objects = try await storage.listAll(kind: "grid", labels: [.equals("zone", "east")])
        XCTAssertEqual(objects.map(\.id), (0..<committers).map { String(format: "g%03d", $0) })
        XCTAssertEqual(objects.map(\.data), (0..<committers).map { [UInt8($0)] })
        let changes = try await storage.changes(after: 0, kind: nil, limit: 1000)
        XCTAssertEqual(changes.map(\.revision), Array(1...Int64(committers)))
        XCTAssertEqual(Set(changes.map(\.object.id)).count, committers)
        XCTAssertTrue(changes.allSatisfy { $0.type == .added })
    }

    func testAFailingTransactionInABatchFailsAlone() async throws {
        let storage = self.storage!
        for index in 0..<32 {
            try await storage.create(Self.object("taken-\(index)"))
        }
        // Half of the transactions create an object that exists (and also try a fresh one), half create fresh ones.
        let outcomes = await withTaskGroup(of: (Int, StoreError.Code?).self) { group in
            for index in 0..<64 {
                group.addTask {
                    let transaction: Transaction
                    if index.isMultiple(of: 2) {
                        transaction = Transaction(writes: [.create(Self.object("fresh-\(index)"))])
                    } else {
                        transaction = Transaction(writes: [
                            .create(Self.object("doomed-\(index)")), .create(Self.object("taken-\(index / 2)")),
                        ])
                    }
                    do throws(StoreError) {
                        _ = try await storage.commit(transaction)
                        return (index, nil)
                    } catch {
                        return (index, error.code)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(outcomes.map(\.0).sorted(), Array(0..<64))
        for (index, code) in outcomes {
            XCTAssertEqual(code, index.isMultiple(of: 2) ? nil : .alreadyExists, "transaction \(index)")
        }
        let objects = try await storage.listAll(kind: "grid")
        XCTAssertEqual(objects.filter { $0.id.hasPrefix("fresh-") }.count, 32)
        XCTAssertEqual(objects.filter { $0.id.hasPrefix("doomed-") }.count, 0)
        let current = try await storage.currentRevision()
        XCTAssertEqual(current, 64)
        let changes = try await storage.changes(after: 32, kind: nil, limit: 1000)
        XCTAssertEqual(changes.map(\.revision), Array(33...64))
        let statistics = await storage.commitStatistics()
        XCTAssertEqual(statistics.failedTransactions, 32)
    }

    /// The writer and the checkpointer name their threads, so that `top -H` and `perf` tell them apart.
    func testTheStoresThreadsCarryTheirNames() async throws {
        try await storage.create(Self.object("named"))
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { task in
            FileManager.default.contents(atPath: "/proc/self/task/\(task)/comm").map {
                String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .newlines)
            }
        }
        XCTAssertTrue(names.contains("gz-store-writer"), "\(names)")
        XCTAssertTrue(names.contains("gz-checkpoint"), "\(names)")
    }

    func testCloseWaitsForSubmittedCommits() async throws {
        let storage = self.storage!
        let commits = (0..<16).map { index in
            Task { try await storage.create(Self.object("g\(index)")) }
        }
        for commit in commits {
            _ = try await commit.value
        }
        try await storage.close()
        let reopened = try open()
        let current = try await reopened.currentRevision()
        XCTAssertEqual(current, 16)
    }
}
