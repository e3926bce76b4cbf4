import GongzhiRPC
import GongzhiSchemas
import GongzhiStore
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

@testable import GongzhiHost

/// A read that runs until the test lets it end.
private final class Gate: Sendable {
    private let state = Mutex<(started: Int, waiting: [CheckedContinuation<Void, Never>])>((0, []))

    /// Waits until the test opens the gate; counted as begun once it waits (so that ``openAll()`` lets it go).
    func pass() async {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                state.started += 1
                state.waiting.append(continuation)
            }
        }
    }

    /// Reads that have begun so far.
    var begun: Int { state.withLock { $0.started } }

    /// Lets the reads held so far end.
    func openAll() {
        let held = state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in held { continuation.resume() }
    }
}

final class StoreReadShareTests: XCTestCase {
    private let heavy = FlowKey(kind: .plugin, name: "reports")
    private let light = FlowKey(kind: .client, name: "tk_light")

    func testOneFlowRunsAtMostItsShareAndTheRestWaitWhileAnotherFlowReadsAtOnce() async throws {
        let counters = LimitCounters()
        let share = StoreReadShare(perFlow: 2, counters: counters)
        let gate = Gate()
        let heavy = self.heavy
        let reads = (0..<5).map { _ in
            Task { try await share.reading(heavy) { () async throws(RPCError) in await gate.pass() } }
        }
        try await eventually("two of the heavy flow's reads run, three wait") { share.load(of: heavy) == (2, 3) }
        XCTAssertEqual(gate.begun, 2)
        XCTAssertEqual(counters.value(StoreReadShare.limitName), 3)

        // Another flow is not behind the heavy one's queue.
        let other = try await share.reading(light) { () async throws(RPCError) in "read" }
        XCTAssertEqual(other, "read")

        // Each place that comes back passes to the heavy flow's next read, never more than two at once.
        gate.openAll()
        try await eventually("the next two reads began") { gate.begun == 4 }
        XCTAssertEqual(share.load(of: heavy).reading, 2)
        gate.openAll()
        try await eventually("the last read began") { gate.begun == 5 }
        gate.openAll()
        for read in reads { try await read.value }
        XCTAssertTrue(share.load(of: heavy) == (0, 0), "every place came back")
    }

    func testACancelledWaitLeavesTheQueueAnsweredCancelled() async throws {
        let share = StoreReadShare(perFlow: 1)
        let gate = Gate()
        let heavy = self.heavy
        let holder = Task { try await share.reading(heavy) { () async throws(RPCError) in await gate.pass() } }
        try await eventually("the first read runs") { gate.begun == 1 }
        let waiter = Task { try await share.reading(heavy) { () async throws(RPCError) in "never" } }
        try await eventually("the second read waits") { share.load(of: heavy).waiting == 1 }
        waiter.cancel()
        do {
            _ = try await waiter.value
            XCTFail("a cancelled wait must not read")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .cancelled)
        }
        XCTAssertEqual(share.load(of: heavy).waiting, 0)
        gate.openAll()
        try await holder.value
        XCTAssertTrue(share.load(of: heavy) == (0, 0))
    }

    func testAFailedReadGivesItsPlaceBack() async throws {
        let share = StoreReadShare(perFlow: 1)
        do {
            try await share.reading(heavy) { () async throws(RPCError) in
                throw RPCError(code: .unavailable, message: "the store is closed")
            }
            XCTFail("the read's error must reach its caller")
        } catch {
            XCTAssertEqual(error.code, .unavailable)
        }
        let next = try await share.reading(heavy) { () async throws(RPCError) in 1 }
        XCTAssertEqual(next, 1)
    }

    func testTheDefaultIsHalfTheStoresReaders() throws {
        var settings = AdmissionSettings()
        XCTAssertEqual(settings.storeReadsPerFlow(readers: 8), 4)
        XCTAssertEqual(settings.storeReadsPerFlow(readers: 1), 1)
        settings.storeReadsPerFlow = 6
        XCTAssertEqual(settings.storeReadsPerFlow(readers: 8), 6)
    }
}

/// The SQLite store, with its reads of Residents held until the test lets them end; counts those in flight.
private final class HeldReadsStorage: ObjectStorage {
    let base: SQLiteObjectStorage
    let gate = Gate()

    init(_ base: SQLiteObjectStorage) { self.base = base }

    func get(kind: String, id: String) async throws(StoreError) -> StoredObject? {
        try await base.get(kind: kind, id: id)
    }

    func list(
        kind: String,
        labels: [LabelRequirement],
        parent: String?,
        pageSize: Int,
        after: String?,
        maxBytes: Int
    ) async throws(StoreError) -> ObjectPage {
        if kind == "Resident" { await gate.pass() }
        return try await base.list(
            kind: kind,
            labels: labels,
            parent: parent,
            pageSize: pageSize,
            after: after,
            maxBytes: maxBytes
        )
    }

    func commit(_ transaction: Transaction) async throws(StoreError) -> CommitResult {
        try await base.commit(transaction)
    }

    func changes(after revision: Int64, kind: String?, limit: Int) async throws(StoreError) -> [Change] {
        try await base.changes(after: revision, kind: kind, limit: limit)
    }

    func currentRevision() async throws(StoreError) -> Int64 { try await base.currentRevision() }
    func compact(before revision: Int64) async throws(StoreError) { try await base.compact(before: revision) }
    func compactExpired(now: Int64) async throws(StoreError) -> Int64 { try await base.compactExpired(now: now) }
    func commits() -> AsyncStream<Int64> { base.commits() }
    func close() async throws(StoreError) { try await base.close() }
}

/// The Objects service on a ``HeldReadsStorage`` in a folder of its own, loaded.
private final class ServiceOnHeldStore {
    let directory: TemporaryDirectory
    let logger = Logger(label: "held-store-test")
    let audit: AuditLog
    let storage: HeldReadsStorage
    let service: ObjectsService

    init(readShare: StoreReadShare?) async throws {
        directory = try TemporaryDirectory()
        audit = try AuditLog(path: directory.file("audit.log"), logger: logger)
        storage = HeldReadsStorage(
            try SQLiteObjectStorage(
                configuration: SQLiteObjectStorage.Configuration(path: directory.file("objects.sqlite")),
                logger: logger
            )
        )
        service = ObjectsService(storage: storage, audit: audit, logger: logger, readShare: readShare)
        try await service.load()
    }

    func close() async {
        try? await storage.close()
        await audit.close()
        directory.remove()
    }
}

/// The share as the Objects service applies it: one principal's Lists beyond its share wait for its own, while
/// another principal's List reaches the store at once.
final class ObjectsStoreReadShareTests: XCTestCase {
    func testOnePrincipalsListsBeyondItsShareWaitAndAnothersDoNot() async throws {
        let counters = LimitCounters()
        let fixture = try await ServiceOnHeldStore(readShare: StoreReadShare(perFlow: 2, counters: counters))
        let (service, storage, logger) = (fixture.service, fixture.storage, fixture.logger)

        func list(as principal: Principal) async throws(RPCError) -> Gongzhi_Host_V1_ListResponse {
            var request = Gongzhi_Host_V1_ListRequest()
            request.kind = "Resident"
            let call = ObjectsCall(
                service: service,
                caller: ObjectCaller(principal: principal, readsPersonalData: false)
            )
            do {
                let context = ServerCallContext(
                    service: Gongzhi_Host_V1_Objects.serviceName,
                    method: Gongzhi_Host_V1_Objects.Method.list,
                    requestMetadata: [:],
                    peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
                    deadline: nil,
                    logger: logger
                )
                return try await call.list(request: request, context: context)
            } catch let error as RPCError {
                throw error
            } catch {
                throw RPCError(code: .internal, message: "\(error)")
            }
        }
        let heavy = Principal.plugin(name: "reports", pid: 42, uid: 0)
        let heavyLists = (0..<5).map { _ in Task { try await list(as: heavy) } }
        try await eventually("two of the plugin's Lists reached the store") { storage.gate.begun == 2 }
        try await eventually("three wait for the plugin's own") {
            service.readShare?.load(of: FlowKey(heavy)).waiting == 3
        }
        XCTAssertEqual(storage.gate.begun, 2, "the plugin's share of the store's readers is two")

        let other = Task { try await list(as: .admin(uid: 0, pid: 1)) }
        try await eventually("another principal's read reached the store at once") { storage.gate.begun == 3 }

        // Each read that ends lets one of the plugin's waiting reads in, never more than two at once.
        storage.gate.openAll()
        try await eventually("the next two of the plugin's Lists reached the store") { storage.gate.begun == 5 }
        storage.gate.openAll()
        try await eventually("the last one did") { storage.gate.begun == 6 }
        storage.gate.openAll()
        for task in heavyLists + [other] {
            let page = try await task.value
            XCTAssertEqual(page.objects.count, 0, "no Resident is stored")
        }
        XCTAssertEqual(storage.gate.begun, 6)
        XCTAssertEqual(counters.value(StoreReadShare.limitName), 3)
        await fixture.close()
    }
}
