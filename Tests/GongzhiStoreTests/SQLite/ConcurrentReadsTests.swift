import GongzhiStore
import GongzhiTestSupport
import Logging
import XCTest

/// Many reads at once on a pool of few readers. An async read holds its reader until its task resumes on Swift's
/// cooperative pool; a read that waited for a reader on a thread of that pool could leave no thread to resume them,
/// and the store would stop (as many watches starting at once did to the host).
final class ConcurrentReadsTests: XCTestCase {
    /// Synchronous, so that the test's own wait does not need the cooperative pool that a deadlock would hold.
    func testManyReadsAtOnceOnTwoReadersAllFinish() throws {
        let directory = try TemporaryDirectory(prefix: "gzstore")
        defer { directory.remove() }
        var configuration = SQLiteObjectStorage.Configuration(path: directory.file("store.sqlite"))
        configuration.maximumReaderCount = 2
        let storage = try SQLiteObjectStorage(
            configuration: configuration,
            logger: Logger(label: "gongzhi.store.test") { _ in SwiftLogNoOpLogHandler() }
        )
        let finished = expectation(description: "every read finished")
        Task {
            defer { finished.fulfill() }
            do {
                for index in 0..<20 {
                    let draft = StoredObjectDraft(kind: "Note", id: "n\(index)", owner: "test", data: [1, 2, 3])
                    try await storage.commit(Transaction(writes: [.create(draft)]))
                }
                let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for _ in 0..<200 {
                        group.addTask {
                            let all = try await storage.listAll(kind: "Note")
                            XCTAssertEqual(all.count, 20)
                            return try await storage.currentRevision()
                        }
                    }
                    return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
                }
                XCTAssertEqual(revisions, [20])
                try await storage.close()
            } catch {
                XCTFail("\(error)")
            }
        }
        wait(for: [finished], timeout: 60)
    }
}
