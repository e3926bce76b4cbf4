import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

@testable import GongzhiPluginSDK

/// The SDK's book of objects: it keeps a version only when it is newer than what it holds, starts again from a
/// fresh list and its empty index while keeping its own newer writes, follows the store, and changes an
/// object with retries on a conflict. In-process, against the real host's Objects service.
final class ObjectBookTests: XCTestCase {
    private typealias Grid = TypedObject<Gongzhi_Core_V1_Grid>
    private let logger = Logger(label: "gongzhi.test.book", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The grids of each community, as the book keeps and drops them.
    private struct GridsByCommunity: ObjectBookIndex {
        var ids: [String: Set<String>] = [:]

        mutating func keep(_ grid: Grid, replacing held: Grid?) {
            if let held { drop(held) }
            ids[grid.message.communityCode, default: []].insert(grid.id)
        }

        mutating func drop(_ held: Grid) {
            ids[held.message.communityCode]?.remove(held.id)
            if ids[held.message.communityCode]?.isEmpty == true { ids[held.message.communityCode] = nil }
        }
    }

    private static func grid(_ code: String, name: String, community: String, revision: Int64 = 0) -> Grid {
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = code
        grid.name = name
        grid.communityCode = community
        var object = storing(grid)
        object.revision = revision
        return object
    }

    private static func storing(_ grid: Gongzhi_Core_V1_Grid) -> Grid {
        Grid(id: grid.code, message: grid, parent: grid.communityCode)
    }

    private func book(_ objects: HostObjects) -> ObjectBook<Gongzhi_Core_V1_Grid, GridsByCommunity> {
        ObjectBook(
            Gongzhi_Core_V1_Grid.self,
            objects: objects,
            logger: logger,
            noun: "grid",
            index: GridsByCommunity(),
            storing: Self.storing
        )
    }

    private func communities(_ book: ObjectBook<Gongzhi_Core_V1_Grid, GridsByCommunity>) -> [String: Set<String>] {
        book.read { index, _ in index.ids }
    }

    func testTheBookKeepsOnlyNewerVersionsAndDropsOnlyOnNewerDeletions() async throws {
        try await withInProcessTestHost(plugins: []) { host in
            let book = book(HostObjects(channel: host.adminChannel))
            book.remember(Self.grid("g1", name: "五", community: "c1", revision: 5))
            book.remember(Self.grid("g1", name: "三", community: "c2", revision: 3))
            XCTAssertEqual(book["g1"]?.message.name, "五")
            XCTAssertEqual(communities(book), ["c1": ["g1"]])

            book.remember(Self.grid("g1", name: "七", community: "c2", revision: 7))
            XCTAssertEqual(book["g1"]?.revision, 7)
            XCTAssertEqual(communities(book), ["c2": ["g1"]])

            // A deletion the book already holds a newer version than is not taken.
            book.drop("g1", at: 6)
            XCTAssertEqual(book.count, 1)
            book.drop("g1", at: 8)
            XCTAssertNil(book["g1"])
            XCTAssertEqual(book.count, 0)
            XCTAssertEqual(communities(book), [:])
        }
    }

    func testAResyncStartsFromTheListAndAnEmptyIndexKeepingTheBooksNewerWrites() async throws {
        try await withInProcessTestHost(plugins: []) { host in
            let book = book(HostObjects(channel: host.adminChannel))
            book.remember(Self.grid("old", name: "旧", community: "c1", revision: 3))
            book.remember(Self.grid("own", name: "自写", community: "c2", revision: 10))
            book.remember(Self.grid("gone", name: "已删", community: "c1", revision: 2))

            book.resync(
                [
                    "old": Self.grid("old", name: "新", community: "c3", revision: 4),
                    "own": Self.grid("own", name: "列表", community: "c4", revision: 5),
                    "new": Self.grid("new", name: "新增", community: "c3", revision: 5),
                ],
                revision: 5
            )
            XCTAssertEqual(book.count, 3)
            XCTAssertEqual(book["old"]?.message.name, "新")
            XCTAssertEqual(book["own"]?.message.name, "自写")
            XCTAssertEqual(book["own"]?.revision, 10)
            XCTAssertNil(book["gone"])
            // Rebuilt: nothing is left of c1, and the listed version of the book's own write is not indexed.
            XCTAssertEqual(communities(book), ["c3": ["old", "new"], "c2": ["own"]])
        }
    }

    func testTheBookHoldsItsOwnWritesAtOnceAndFollowsTheStore() async throws {
        try await withInProcessTestHost(plugins: []) { host in
            let writer = HostObjects(channel: host.adminChannel)
            try await writer.create(Self.grid("330199001001001", name: "网格1", community: "330199001001"))
            let book = book(HostObjects(channel: host.adminChannel))
            let follower = Task { await book.run() }
            defer { follower.cancel() }
            await book.waitUntilSynced()
            XCTAssertEqual(book["330199001001001"]?.message.name, "网格1")

            let created = try await book.create(
                Gongzhi_Core_V1_Grid.with {
                    $0.code = "330199001001002"
                    $0.name = "网格2"
                    $0.communityCode = "330199001001"
                }
            )
            XCTAssertEqual(book["330199001001002"]?.revision, created.revision)
            XCTAssertEqual(communities(book), ["330199001001": ["330199001001001", "330199001001002"]])

            var moved = try XCTUnwrap(book["330199001001001"])
            moved.message.communityCode = "330199001002"
            moved.message.name = "网格一"
            let updated = try await writer.update(moved)
            let deleted = try await writer.delete(Gongzhi_Core_V1_Grid.self, id: "330199001001002")
            try await eventually("the book follows the store") {
                book["330199001001002"] == nil && book["330199001001001"]?.revision == updated.revision
            }
            XCTAssertLessThan(updated.revision, deleted)
            XCTAssertEqual(book["330199001001001"]?.message.name, "网格一")
            XCTAssertEqual(communities(book), ["330199001002": ["330199001001001"]])
        }
    }

    func testAChangeReadsAgainAndRetriesWhenSomeoneWroteInBetween() async throws {
        try await withInProcessTestHost(plugins: []) { host in
            let writer = HostObjects(channel: host.adminChannel)
            // The book does not follow the store here: it holds what it wrote until it reads again.
            let book = book(HostObjects(channel: host.adminChannel))
            let held = try await book.create(Self.grid("g1", name: "网格", community: "c1").message)
            var other = held
            other.message.name = "改过的网格"
            _ = try await writer.update(other)

            let calls = Mutex<[String]>([])
            let changed = try await book.change("g1", retries: 4) { grid throws(RPCError) in
                calls.withLock { $0.append(grid.name) }
                var next = grid
                next.name += "（已核）"
                return next
            }
            XCTAssertEqual(calls.withLock { $0 }, ["网格", "改过的网格"])
            XCTAssertEqual(changed.name, "改过的网格（已核）")
            let stored = try await writer.get(Gongzhi_Core_V1_Grid.self, id: "g1")
            XCTAssertEqual(stored?.message.name, "改过的网格（已核）")
            XCTAssertEqual(book["g1"]?.revision, stored?.revision)

            // Nothing to write: the held version, and no write.
            let unchanged = try await book.change("g1", retries: 4) { _ throws(RPCError) in nil }
            XCTAssertEqual(unchanged.name, "改过的网格（已核）")
            let after = try await writer.get(Gongzhi_Core_V1_Grid.self, id: "g1")
            XCTAssertEqual(after?.revision, stored?.revision)
        }
    }

    func testAChangeRefusesAsThePluginSaysAndGivesUpWithAClearError() async throws {
        struct Refusal: Error, Equatable { var reason: String }
        try await withInProcessTestHost(plugins: []) { host in
            let writer = HostObjects(channel: host.adminChannel)
            let book = book(HostObjects(channel: host.adminChannel))
            let held = try await book.create(Self.grid("g1", name: "网格", community: "c1").message)

            do {
                _ = try await book.change("g1", retries: 4) { _ throws(Refusal) in throw Refusal(reason: "不可") }
                XCTFail("the plugin's refusal is thrown")
            } catch let refusal as Refusal {
                XCTAssertEqual(refusal, Refusal(reason: "不可"))
            }
            try await assertRefused(.notFound, "there is no grid g9") {
                _ = try await book.change("g9", retries: 4) { grid throws(RPCError) in grid }
            }
            try await assertRefused(.aborted, "grid g1 is at revision \(held.revision), not 1: read it again") {
                _ = try await book.change("g1", expectedRevision: 1, retries: 4) { grid throws(RPCError) in grid }
            }

            // Written in between: with a revision asked for, the conflict is the caller's; without one and no
            // retries left, the book gives up.
            var other = held
            other.message.name = "改过的网格"
            _ = try await writer.update(other)
            try await assertRefused(.aborted, nil) {
                _ = try await book.change("g1", expectedRevision: held.revision, retries: 4) {
                    grid throws(RPCError) in grid
                }
            }
            try await assertRefused(.aborted, "grid g1 kept changing; try again") {
                _ = try await book.change("g1", retries: 0) { grid throws(RPCError) in grid }
            }
            XCTAssertEqual(book["g1"]?.revision, held.revision)

            // Deleted in between: NOT_FOUND, as the host says, and nothing is retried.
            _ = try await writer.delete(Gongzhi_Core_V1_Grid.self, id: "g1")
            try await assertRefused(.notFound, nil) {
                _ = try await book.change("g1", retries: 4) { grid throws(RPCError) in grid }
            }
        }
    }

    /// Asserts that `body` throws an RPC error with this code (and this message, unless nil).
    private func assertRefused(
        _ code: StatusCode,
        _ message: String?,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
            XCTFail("expected \(code)", file: file, line: line)
        } catch let error as RPCError {
            XCTAssertEqual(error.code, code, file: file, line: line)
            if let message { XCTAssertEqual(error.message, message, file: file, line: line) }
        }
    }
}
