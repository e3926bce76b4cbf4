import GongzhiRPC
import GongzhiRPCPosix
import GongzhiTestSupport
import Synchronization
import XCTest

/// Connection caps in all, per uid and per principal, counted and logged at most once per limit and key per
/// interval.
final class ConnectionLimiterTests: XCTestCase {
    private let alice = PeerCredentials(pid: 10, uid: 1000, gid: 1000)
    private let bob = PeerCredentials(pid: 20, uid: 1001, gid: 1001)

    func testCapsPerUIDAndInAllRefuseAndCountAndReleaseGivesBack() {
        let counters = LimitCounters()
        var limits = ConnectionLimiter.Limits(socketName: "host.sock", maxConnections: 3, maxPerUID: 2)
        limits.totalKey = "max_host"
        let limiter = ConnectionLimiter(limits: limits, counters: counters)
        XCTAssertNil(limiter.admit(alice))
        XCTAssertNil(limiter.admit(alice))
        let refusal = limiter.admit(alice)
        XCTAssertEqual(
            refusal,
            "refusing a connection of uid 1000 pid 10 to host.sock: uid 1000 has 2 connections open, its limit "
                + "([connections] max_per_uid = 2); close idle ones or raise the limit"
        )
        XCTAssertNil(limiter.admit(bob))
        XCTAssertTrue(limiter.admit(bob)?.contains("([connections] max_host = 3)") ?? false)
        XCTAssertEqual(counters.value("connections.max_per_uid"), 1)
        XCTAssertEqual(counters.value("connections.max_host"), 1)
        XCTAssertEqual(limiter.openConnections, 3)

        limiter.release(alice, connection: 1)
        XCTAssertNil(limiter.admit(bob), "a closed connection gives its place back")
        XCTAssertEqual(counters.snapshot().map(\.name), ["connections.max_host", "connections.max_per_uid"])
        XCTAssertEqual(counters.snapshot().first?.detail, "host.sock")
    }

    func testAPrincipalIsCountedOncePerConnectionAndCappedAcrossConnections() {
        let counters = LimitCounters()
        let limiter = ConnectionLimiter(
            limits: ConnectionLimiter.Limits(socketName: "host.sock", maxPerPrincipal: 2),
            counters: counters
        )
        let first = RPCConnection(id: 1) { limiter.identify(connection: $0, as: $1) }
        let second = RPCConnection(id: 2) { limiter.identify(connection: $0, as: $1) }
        let third = RPCConnection(id: 3) { limiter.identify(connection: $0, as: $1) }
        XCTAssertNil(first.identify(as: "client:a"))
        XCTAssertNil(first.identify(as: "client:a"), "the same principal again on its connection")
        XCTAssertNil(second.identify(as: "client:a"))
        let refusal = third.identify(as: "client:a")
        XCTAssertEqual(refusal?.code, .resourceExhausted)
        XCTAssertTrue(refusal?.message.contains("([connections] max_per_principal = 2)") ?? false)
        XCTAssertTrue(third.isRefused, "the server closes a refused connection")
        XCTAssertNil(third.identify(as: "client:b"), "another principal is not held up")
        XCTAssertEqual(counters.value("connections.max_per_principal"), 1)

        limiter.release(alice, connection: 1)
        let fourth = RPCConnection(id: 4) { limiter.identify(connection: $0, as: $1) }
        XCTAssertNil(fourth.identify(as: "client:a"), "a closed connection frees the principal's place")
    }

    func testALimitIsLoggedOncePerKeyPerIntervalAndSaysHowManyWereHeldBack() {
        let recorder = LogRecorder()
        let clock = Mutex(ContinuousClock.now)
        let log = RateLimitedLog(logger: recorder.logger(label: "test"), now: { clock.withLock { $0 } })
        XCTAssertNotNil(log.warning(limit: "max_per_uid", key: "uid 1", "refused uid 1"))
        for _ in 0..<412 { XCTAssertNil(log.warning(limit: "max_per_uid", key: "uid 1", "refused uid 1")) }
        XCTAssertNotNil(log.warning(limit: "max_per_uid", key: "uid 2", "refused uid 2"), "another key is logged")
        XCTAssertNotNil(log.warning(limit: "max_host", key: "uid 1", "refused, all"), "another limit is logged")
        clock.withLock { $0 += .seconds(10) }
        XCTAssertEqual(
            log.warning(limit: "max_per_uid", key: "uid 1", "refused uid 1"),
            "refused uid 1 (and 412 more in the last 10.0 seconds)"
        )
        XCTAssertEqual(recorder.lines.count, 4)
    }
}
