import GongzhiPluginSDK
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

/// A token's revocation or expiry ends the streams opened with it — a Watch on the store, a stream routed to a
/// plugin — within a second, with UNAUTHENTICATED and the reason, and the audit log says so.
final class TokenRevocationEndToEndTests: XCTestCase {
    /// What a watcher saw: the events, and how its watch ended.
    private final class WatchRecord: Sendable {
        let events = Mutex<[String]>([])
        /// The error, when it came, and the wall clock then (in milliseconds since 1970).
        let ending = Mutex<(error: RPCError?, at: ContinuousClock.Instant, wallMilliseconds: Int64)?>(nil)

        var count: Int { events.withLock { $0.count } }
    }

    private static func resident(_ id: String) throws -> Gongzhi_Host_V1_Object {
        var resident = Gongzhi_Core_V1_Resident()
        resident.id = id
        resident.name = "张三"
        var object = Gongzhi_Host_V1_Object()
        object.kind = "Resident"
        object.id = id
        object.data = try resident.serializedBytes()
        return object
    }

    /// Watches Residents with `token` until the watch ends, recording what it saw.
    private func watch(_ host: HostUnderTest, token: String, into record: WatchRecord) -> Task<Void, Never> {
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: token))
        return Task {
            var ending: RPCError?
            do {
                try await objects.watch(
                    Gongzhi_Host_V1_WatchRequest.with {
                        $0.kind = "Resident"
                        $0.fromNow = true
                    }
                ) { events in
                    for try await event in events { record.events.withLock { $0.append(event.object.id) } }
                }
            } catch let error as RPCError {
                ending = error
            } catch {
                ending = RPCError(code: .unknown, message: "\(error)")
            }
            let end = (ending, ContinuousClock.now, TokenRevocationEndToEndTests.wallClockMilliseconds())
            record.ending.withLock { $0 = end }
        }
    }

    /// Creates a Resident every 100 ms until cancelled, so that a watch that is not ended keeps getting events.
    private func keepWriting(_ host: HostUnderTest) -> Task<Void, Never> {
        Self.keepWriting(Gongzhi_Host_V1_ObjectsClient(channel: host.admin))
    }

    private static func keepWriting(_ objects: Gongzhi_Host_V1_ObjectsClient) -> Task<Void, Never> {
        Task {
            var next = 0
            while !Task.isCancelled {
                next += 1
                if let object = try? resident("R-\(next)") {
                    var request = Gongzhi_Host_V1_CreateRequest()
                    request.object = object
                    _ = try? await objects.create(request)
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private func auditEntries(_ host: HostUnderTest) async throws -> [Gongzhi_Host_V1_AuditEntry] {
        try await host.adminClient.listAudit(Gongzhi_Host_V1_ListAuditRequest.with { $0.limit = 200 }).entries
    }

    func testRevokingATokenEndsItsWatchWithinASecond() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let issued = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*"])
        let record = WatchRecord()
        let watcher = watch(host, token: issued.token, into: record)
        let writer = keepWriting(host)
        defer { writer.cancel() }
        try await pollUntil("the watch sees events", timeout: .seconds(20)) { record.count >= 3 }

        let revokedAt = ContinuousClock.now
        _ = try await host.adminClient.revokeToken(Gongzhi_Host_V1_RevokeTokenRequest.with { $0.id = issued.info.id })
        try await pollUntil("the watch ends", timeout: .seconds(10)) { record.ending.withLock { $0 != nil } }
        await watcher.value
        let ending = try XCTUnwrap(record.ending.withLock { $0 })
        XCTAssertEqual(ending.error?.code, .unauthenticated, "\(String(describing: ending.error))")
        XCTAssertTrue(ending.error?.message.contains("token \(issued.info.id) was revoked") == true)
        XCTAssertLessThanOrEqual(ending.at - revokedAt, .seconds(1), "the watch outlived its token's revocation")

        // Nothing more arrives, and the host recorded why the stream ended.
        let seen = record.count
        try await Task.sleep(for: .milliseconds(400))
        XCTAssertEqual(record.count, seen)
        let ended = try await auditEntries(host).filter {
            $0.action == "gongzhi.host.v1.Objects/Watch" && $0.outcome == "ended"
        }
        XCTAssertEqual(ended.count, 1, "\(ended)")
        XCTAssertTrue(ended.first?.principal.contains(issued.info.id) == true, "\(ended)")
        XCTAssertTrue(ended.first?.detail.contains("revoked") == true, "\(ended)")
        let status = try await host.adminClient.status(Gongzhi_Host_V1_StatusRequest())
        XCTAssertEqual(status.limits.first { $0.name == "tokens.streams_ended" }?.count, 1, "\(status.limits)")

        // A new watch with the revoked token is refused at once, as any call is.
        let refused = await assertRPCError(.unauthenticated) {
            try await Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: issued.token)).watch(
                Gongzhi_Host_V1_WatchRequest.with { $0.kind = "Resident" }
            ) { events in for try await _ in events {} }
        }
        XCTAssertTrue(refused?.message.contains("revoked") == true, refused?.message ?? "")
    }

    func testAnExpiringTokenEndsItsWatchWithinASecondOfItsExpiry() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let issued = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*"], ttlSeconds: 3)
        let record = WatchRecord()
        let watcher = watch(host, token: issued.token, into: record)
        let writer = keepWriting(host)
        defer { writer.cancel() }
        try await pollUntil("the watch sees events", timeout: .seconds(20)) { record.count >= 1 }
        try await pollUntil("the watch ends", timeout: .seconds(15)) { record.ending.withLock { $0 != nil } }
        await watcher.value

        let ending = try XCTUnwrap(record.ending.withLock { $0 })
        XCTAssertEqual(ending.error?.code, .unauthenticated, "\(String(describing: ending.error))")
        XCTAssertTrue(ending.error?.message.contains("token \(issued.info.id) expired at") == true)
        let late = ending.wallMilliseconds - issued.info.expiresAtMs
        XCTAssertGreaterThanOrEqual(late, 0, "the watch ended before its token expired")
        XCTAssertLessThanOrEqual(late, 1_000, "the watch outlived its token by \(late) ms")
        let ended = try await auditEntries(host).filter { $0.outcome == "ended" }
        XCTAssertEqual(ended.count, 1, "\(ended)")
        XCTAssertTrue(ended.first?.detail.contains("expired") == true, "\(ended)")
    }

    func testRevokingATokenEndsAStreamRoutedToAPlugin() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("echo")])
        addTeardownBlock { await host.stop() }
        _ = try await host.waitUntil("echo", is: "ready")
        let issued = try await host.issueClientToken(scopes: ["gongzhi.test.v1.Echo/*"])
        let echo = Gongzhi_Test_V1_EchoClient(channel: host.channel(token: issued.token))
        let answered = Mutex(0)
        let ended = Mutex<(RPCError?, ContinuousClock.Instant)?>(nil)
        let chat = Task {
            do {
                try await echo.chat { requests, responses in
                    var iterator = responses.makeAsyncIterator()
                    while !Task.isCancelled {
                        try await requests.write(Gongzhi_Test_V1_EchoRequest.with { $0.text = "hello" })
                        guard try await iterator.next() != nil else { break }
                        answered.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                ended.withLock { $0 = (nil, .now) }
            } catch let error as RPCError {
                ended.withLock { $0 = (error, .now) }
            } catch {
                ended.withLock { $0 = (RPCError(code: .unknown, message: "\(error)"), .now) }
            }
        }
        try await pollUntil("the plugin answers the stream", timeout: .seconds(20)) { answered.withLock { $0 >= 3 } }
        let revokedAt = ContinuousClock.now
        _ = try await host.adminClient.revokeToken(Gongzhi_Host_V1_RevokeTokenRequest.with { $0.id = issued.info.id })
        try await pollUntil("the routed stream ends", timeout: .seconds(10)) { ended.withLock { $0 != nil } }
        await chat.value
        let (error, endedAt) = try XCTUnwrap(ended.withLock { $0 })
        XCTAssertEqual(error?.code, .unauthenticated, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("was revoked") == true, error?.message ?? "")
        XCTAssertLessThanOrEqual(endedAt - revokedAt, .seconds(1), "the routed stream outlived its token")
        // The plugin is unharmed: a new token's stream works.
        let again = try await host.issueClientToken(scopes: ["gongzhi.test.v1.Echo/*"])
        let answer = try await Gongzhi_Test_V1_EchoClient(channel: host.channel(token: again.token)).unary(
            Gongzhi_Test_V1_EchoRequest.with { $0.text = "still here" }
        )
        XCTAssertEqual(answer.text, "still here")
    }

    static func wallClockMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
