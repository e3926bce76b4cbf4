import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

/// The SDK's watch-backed cache against a real host: it fills from a list, follows changes, and lists again
/// when the history it would resume from was compacted while it was cut off.
final class ObjectCacheTests: XCTestCase {
    func grid(_ code: String, name: String) -> TypedObject<Gongzhi_Core_V1_Grid> {
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = code
        grid.name = name
        grid.communityCode = "330199001001"
        return TypedObject(id: code, message: grid, labels: ["compound": "c1"], parent: "330199001001")
    }

    func testACacheThatStopsEndsTheStreamsOfItsSubscribers() async throws {
        try await withInProcessTestHost(plugins: []) { host in
            try await HostObjects(channel: host.adminChannel).create(grid("330199001001001", name: "网格1"))
            let cache = ObjectCache(
                Gongzhi_Core_V1_Grid.self,
                objects: HostObjects(channel: host.adminChannel),
                logger: Logger(label: "cache")
            )
            // A subscriber that is not reading when the cache stops (a plugin stopping) still sees its stream end.
            let updates = cache.updates()
            let follower = Task { await cache.run() }
            await cache.waitUntilSynced()
            follower.cancel()
            await follower.value
            var received: [String] = []
            for await update in updates {
                switch update {
                case .synced(let count, _): received.append("synced \(count)")
                case .changed(let event): received.append("changed \(event.object.id)")
                }
            }
            XCTAssertEqual(received, ["synced 1"])
        }
    }

    func testTheCacheFollowsChangesAndListsAgainAfterCompaction() async throws {
        let host = try await HostUnderTest(
            plugins: [],
            settings: "[objects]\nhistory_retention = \"1s\"\ncompaction_interval = \"1s\"\n"
        )
        addTeardownBlock { await host.stop() }
        let writer = HostObjects(channel: host.admin)
        for index in 1...5 {
            try await writer.create(grid("33019900100100\(index)", name: "网格\(index)"))
        }
        let line = SwitchableChannel(RPCClient(socketPath: host.adminSocket))
        let cache = ObjectCache(
            Gongzhi_Core_V1_Grid.self,
            objects: HostObjects(channel: line),
            logger: Logger(label: "cache")
        )
        let updates = cache.updates()
        let follower = Task { await cache.run() }
        addTeardownBlock { follower.cancel() }
        await cache.waitUntilSynced()
        XCTAssertEqual(cache.snapshot.count, 5)
        XCTAssertEqual(cache["330199001001003"]?.message.name, "网格3")

        // Changes arrive in order.
        let read = try await writer.get(Gongzhi_Core_V1_Grid.self, id: "330199001001003")
        var third = try XCTUnwrap(read)
        third.message.name = "三号网格"
        let updated = try await writer.update(third)
        let deleted = try await writer.delete(Gongzhi_Core_V1_Grid.self, id: "330199001001005")
        try await waitFor("the cache follows") { cache.revision == deleted && cache.snapshot.count == 4 }
        XCTAssertEqual(cache["330199001001003"]?.message.name, "三号网格")
        XCTAssertEqual(cache["330199001001003"]?.revision, updated.revision)

        // Cut off while the store changes and compacts the history: it lists again and matches the store.
        line.cut()
        try await writer.delete(Gongzhi_Core_V1_Grid.self, id: "330199001001001")
        try await writer.create(grid("330199001001009", name: "网格9"))
        try await host.waitUntilHistoryCompacted(after: deleted)
        try await writer.create(grid("330199001001008", name: "网格8"))
        line.restore()
        try await waitFor("the cache lists again", timeout: .seconds(15)) { cache.snapshot.count == 5 }
        let stored = try await writer.list(Gongzhi_Core_V1_Grid.self).objects
        XCTAssertEqual(Set(cache.snapshot.keys), Set(stored.map(\.id)))
        XCTAssertNil(cache["330199001001001"])

        var syncs = 0
        var changes = 0
        for await update in updates {
            switch update {
            case .synced: syncs += 1
            case .changed: changes += 1
            }
            if syncs == 2 { break }
        }
        XCTAssertEqual(syncs, 2, "filled once, then again after the compaction")
        XCTAssertGreaterThanOrEqual(changes, 2)
    }

    private func waitFor(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return XCTFail("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A channel that can be cut off: its open streams end and new calls fail with UNAVAILABLE until restored.
final class SwitchableChannel: RPCClientChannel {
    private let base: RPCClient
    private let state = Mutex<(cut: Bool, streams: [any RPCClientStream])>((false, []))

    init(_ base: RPCClient) {
        self.base = base
    }

    func cut() {
        let streams = state.withLock { state in
            state.cut = true
            defer { state.streams = [] }
            return state.streams
        }
        for stream in streams { stream.cancel() }
    }

    func restore() {
        state.withLock { $0.cut = false }
    }

    private func checkLine() throws {
        if state.withLock({ $0.cut }) { throw RPCError(code: .unavailable, message: "the line is cut") }
    }

    func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse {
        try checkLine()
        return try await base.unary(service: service, method: method, payload: payload, options: options)
    }

    func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream {
        try checkLine()
        let stream = try await base.openStream(
            service: service,
            method: method,
            kind: kind,
            payload: payload,
            options: options
        )
        state.withLock { $0.streams.append(stream) }
        return stream
    }
}
