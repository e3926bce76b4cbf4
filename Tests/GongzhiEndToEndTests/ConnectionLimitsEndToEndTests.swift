import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Connections do not exhaust the host: idle ones are closed, a uid's and a principal's are capped, the host raises
/// its open-files limit at start, and admin.sock still answers an operator with thousands of connections open.
final class ConnectionLimitsEndToEndTests: XCTestCase {
    /// The `Objects/Watch` request frame for residents, presenting `token`.
    static func watchFrame(streamID: UInt32, token: String) throws -> [UInt8] {
        var watch = Gongzhi_Host_V1_WatchRequest()
        watch.kind = "Resident"
        var request = Gongzhi_Rpc_V1_Request()
        request.service = Gongzhi_Host_V1_Objects.serviceName
        request.method = Gongzhi_Host_V1_Objects.Method.watch
        request.payload = try watch.serializedData()
        var entry = Gongzhi_Rpc_V1_KeyValue()
        entry.key = "gongzhi-token"
        entry.value = token
        request.metadata = [entry]
        return RawFrame.bytes(streamID: streamID, type: 1, flags: 0x01, data: try request.serializedBytes())
    }

    /// The limits `gongzhictl status -o json` reports, by name.
    static func limits(_ host: HostUnderTest) async throws -> [String: Int] {
        let outcome = try await ControlEndToEndTests.ctl(["status", "-o", "json"], socket: host.adminSocket)
        let object = try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any]
        var counts: [String: Int] = [:]
        for entry in object?["limits"] as? [[String: Any]] ?? [] {
            if let name = entry["name"] as? String, let count = (entry["count"] as? String).flatMap({ Int($0) }) {
                counts[name] = count
            }
        }
        return counts
    }

    func testAnIdleConnectionIsClosedAndOneWithAQuietWatchIsNot() async throws {
        let host = try await HostUnderTest(plugins: [], settings: "[connections]\nidle_timeout = \"2s\"")
        addTeardownBlock { await host.stop() }
        let token = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/Watch"])

        let idle = try RawSocket(path: host.hostSocket)
        let watching = try RawSocket(path: host.hostSocket)
        try watching.send(try Self.watchFrame(streamID: 1, token: token.token))
        let opened = ContinuousClock.now

        XCTAssertTrue(try idle.waitForClose(timeout: .seconds(4)), "an idle connection is closed within 2–4 s")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - opened, .milliseconds(1900), "not before its idle timeout")
        try await Task.sleep(until: opened + .seconds(5))
        XCTAssertFalse(try watching.waitForClose(timeout: .milliseconds(200)), "a quiet Watch keeps its connection")
        let limits = try await Self.limits(host)
        XCTAssertGreaterThanOrEqual(limits["connections.idle_closed"] ?? 0, 1, "\(limits)")
    }

    func testConnectionsOfOnePrincipalAreCapped() async throws {
        let host = try await HostUnderTest(plugins: [], settings: "[connections]\nmax_per_principal = 2")
        addTeardownBlock { await host.stop() }
        let token = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/Watch"])
        var sockets: [RawSocket] = []
        for call in 0..<2 {
            let socket = try RawSocket(path: host.hostSocket)
            try socket.send(try Self.watchFrame(streamID: 1, token: token.token))
            sockets.append(socket)
            XCTAssertFalse(try socket.waitForClose(timeout: .milliseconds(300)), "connection \(call) is within the cap")
        }
        let third = try RawSocket(path: host.hostSocket)
        try third.send(try Self.watchFrame(streamID: 1, token: token.token))
        let frame = try XCTUnwrap(try third.receiveFrame(timeout: .seconds(5)), "the refused call is answered")
        let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
        XCTAssertEqual(response.status.code, StatusCode.resourceExhausted.rawValue)
        XCTAssertTrue(response.status.message.contains("max_per_principal = 2"), response.status.message)
        XCTAssertTrue(try third.waitForClose(timeout: .seconds(5)), "and its connection closed")
        let limits = try await Self.limits(host)
        XCTAssertEqual(limits["connections.max_per_principal"], 1, "\(limits)")

        // A principal's connection that closes frees its place.
        sockets.removeFirst()
        try await Task.sleep(for: .milliseconds(300))
        let fourth = try RawSocket(path: host.hostSocket)
        try fourth.send(try Self.watchFrame(streamID: 1, token: token.token))
        XCTAssertFalse(try fourth.waitForClose(timeout: .milliseconds(500)))
    }

    func testThousandsOfIdleConnectionsLeaveTheAdministratorIn() async throws {
        let host = try await HostUnderTest(
            plugins: [],
            settings: "[connections]\nmax_per_uid = 2000",
            launcher: ["/usr/bin/prlimit", "--nofile=1024:8192", "--"]
        )
        addTeardownBlock { await host.stop() }
        let limits = try String(contentsOfFile: "/proc/\(host.process.pid)/limits", encoding: .utf8)
        let openFiles = try XCTUnwrap(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        XCTAssertEqual(openFiles.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first, "8192")
        XCTAssertTrue(host.log.contains("open files limit 1024 -> 8192"), host.log)

        var sockets: [RawSocket] = []
        for _ in 0..<3000 { sockets.append(try RawSocket(path: host.hostSocket)) }

        let started = ContinuousClock.now
        let status = try await ControlEndToEndTests.ctl(["status"], socket: host.adminSocket)
        let took = ContinuousClock.now - started
        XCTAssertEqual(status.status, 0, status.errors)
        XCTAssertLessThanOrEqual(took, .seconds(5), "gongzhictl status answers with 3,000 connections open")
        XCTAssertTrue(status.output.contains("connections.max_per_uid 1000"), status.output)

        // The 1,000 over uid 0's cap were refused, closed at once (which ones depends on which event loop
        // accepted each); the others stay open.
        try await Task.sleep(for: .seconds(1))
        var closed = 0
        for socket in sockets where try socket.receive(timeout: .zero) == [] { closed += 1 }
        XCTAssertEqual(closed, 1000)
        let lines = host.log.split(separator: "\n").filter { $0.contains("refusing a connection of uid 0") }
        XCTAssertGreaterThanOrEqual(lines.count, 1)
        XCTAssertLessThanOrEqual(lines.count, 2, "logged at most once per 10 s:\n\(lines.joined(separator: "\n"))")
        XCTAssertTrue(lines.first?.contains("max_per_uid = 2000") ?? false)
    }
}
