import GongzhiStore
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

/// A clock that tests set by hand.
final class TestClock: Sendable {
    private let milliseconds = Mutex<Int64>(1_700_000_000_000)

    var now: Int64 { milliseconds.withLock { $0 } }

    func set(_ value: Int64) { milliseconds.withLock { $0 = value } }

    func advance(by delta: Int64) { milliseconds.withLock { $0 += delta } }
}

/// A test with a fresh SQLite store in a temporary directory, closed and removed afterwards.
class StoreTestCase: XCTestCase {
    var directory: TemporaryDirectory!
    var clock: TestClock!
    var storage: SQLiteObjectStorage!
    private var opened: [SQLiteObjectStorage] = []

    var databasePath: String { directory.file("store.sqlite") }

    override func setUp() async throws {
        directory = try TemporaryDirectory(prefix: "gzstore")
        clock = TestClock()
        storage = try open()
    }

    override func tearDown() async throws {
        for storage in opened {
            try? await storage.close()
        }
        opened = []
        storage = nil
        directory.remove()
    }

    /// The changes with their commit times cleared: the writer's memory stamps the moment a commit was durable by
    /// the wall clock, the history keeps the store clock's time at its start, and otherwise they are the same.
    func withoutCommitTimes(_ changes: [Change]) -> [Change] {
        changes.map { change in
            var change = change
            change.committedAtMicroseconds = 0
            return change
        }
    }

    /// Opens (another) storage on the test's database file.
    func open(historyRetention: Duration? = nil) throws -> SQLiteObjectStorage {
        var configuration = SQLiteObjectStorage.Configuration(path: databasePath, historyRetention: historyRetention)
        let clock = self.clock!
        configuration.clock = { clock.now }
        let storage = try SQLiteObjectStorage(
            configuration: configuration,
            logger: Logger(label: "gongzhi.store.test") { _ in SwiftLogNoOpLogHandler() }
        )
        opened.append(storage)
        return storage
    }

    func draft(
        _ id: String,
        kind: String = "grid",
        labels: [String: String] = [:],
        parent: String = "",
        data: [UInt8] = [1, 2, 3]
    ) -> StoredObjectDraft {
        StoredObjectDraft(kind: kind, id: id, labels: labels, parent: parent, owner: "grid-plugin", data: data)
    }

    /// Runs `body`, which must throw a ``StoreError`` with `code`; returns the error for further checks.
    @discardableResult
    func assertStoreError<T>(
        _ code: StoreError.Code,
        messageContains fragment: String? = nil,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws(StoreError) -> T
    ) async -> StoreError? {
        do {
            let value = try await body()
            XCTFail("expected a StoreError \(code), got \(value)", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            if let fragment {
                XCTAssertTrue(
                    error.message.contains(fragment),
                    "\"\(error.message)\" does not contain \"\(fragment)\"",
                    file: file,
                    line: line
                )
            }
            return error
        }
    }
}
