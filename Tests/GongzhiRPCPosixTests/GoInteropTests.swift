import Foundation
import GongzhiTestSupport
import XCTest

/// Calls between our implementation and containerd's Go ttrpc 1.1.1, in both directions.
final class GoInteropTests: XCTestCase {
    private static let peer: Result<String, any Error> = {
        if let prebuilt = ProcessInfo.processInfo.environment["GONGZHI_TTRPC_PEER"] {
            return .success(prebuilt)
        }
        do {
            let directory = try TemporaryDirectory(prefix: "gz-go")
            let binary = directory.file("ttrpc-peer")
            let script = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Interop/build-ttrpc-peer.sh").path
            let build = Process()
            build.executableURL = URL(fileURLWithPath: "/bin/bash")
            build.arguments = [script, binary]
            try build.run()
            build.waitUntilExit()
            guard build.terminationStatus == 0 else {
                throw TestSupportError("building the Go ttrpc peer failed (status \(build.terminationStatus))")
            }
            return .success(binary)
        } catch {
            return .failure(error)
        }
    }()

    func testSwiftClientCallsGoServer() async throws {
        let peer = try Self.peer.get()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.file("go.sock")
        let server = try ChildProcess(peer, ["serve", "--socket", socket], outputPath: directory.file("go-server.log"))
        defer { server.signal(SIGKILL) }
        try await server.waitForOutput("READY")
        let check = try ChildProcess(
            try BuiltExecutables.path("gongzhi-echo"),
            ["check", "--socket", socket],
            outputPath: directory.file("check.log")
        )
        let status = await check.waitForExit(timeout: .seconds(30))
        XCTAssertEqual(status, 0, check.output)
        XCTAssertEqual(
            check.output.components(separatedBy: "\nok: ").count + (check.output.hasPrefix("ok: ") ? 0 : -1),
            7,
            check.output
        )
        XCTAssertFalse(check.output.contains("FAIL"), check.output)
    }

    func testGoClientCallsSwiftServer() async throws {
        let peer = try Self.peer.get()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await EchoServerProcess(
            socketPath: directory.file("swift.sock"),
            outputPath: directory.file("server.log")
        )
        defer { Task { await server.child.stop() } }
        let call = try ChildProcess(
            peer,
            ["call", "--socket", server.socketPath],
            outputPath: directory.file("go-call.log")
        )
        let status = await call.waitForExit(timeout: .seconds(30))
        XCTAssertEqual(status, 0, call.output)
        XCTAssertEqual(call.output.components(separatedBy: "ok: ").count - 1, 6, call.output)
        XCTAssertFalse(call.output.contains("FAIL"), call.output)
        await server.child.stop()
    }
}
