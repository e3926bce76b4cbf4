import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import XCTest

/// A real `gongzhi-echo` server process and this process as its client, on a real socket.
final class EndToEndTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var server: EchoServerProcess!
    private var client: RPCClient!
    private var echo: Gongzhi_Test_V1_EchoClient!

    override func setUp() async throws {
        directory = try TemporaryDirectory()
        server = try await EchoServerProcess(
            socketPath: directory.file("echo.sock"),
            outputPath: directory.file("server.log")
        )
        client = RPCClient(socketPath: server.socketPath)
        echo = Gongzhi_Test_V1_EchoClient(channel: client)
    }

    override func tearDown() async throws {
        await client?.close()
        await server?.child.stop()
        directory?.remove()
    }

    private func request(_ text: String = "", payload: Int = 0, delayMs: UInt32 = 0) -> Gongzhi_Test_V1_EchoRequest {
        var request = Gongzhi_Test_V1_EchoRequest()
        request.text = text
        request.payload = Data((0..<payload).map { UInt8(truncatingIfNeeded: $0) })
        request.delayMs = delayMs
        return request
    }

    func testUnaryCarriesPayloadMetadataBothWaysAndPeerCredentials() async throws {
        let response = try await client.unary(
            service: Gongzhi_Test_V1_Echo.serviceName,
            method: Gongzhi_Test_V1_Echo.Method.unary,
            request: request("hello", payload: 300),
            responseType: Gongzhi_Test_V1_EchoResponse.self,
            options: CallOptions(metadata: ["X-Echo": "round-trip"])
        )
        XCTAssertEqual(response.message.text, "hello|round-trip")
        XCTAssertEqual(response.message.payload, request(payload: 300).payload)
        XCTAssertEqual(response.metadata["x-echo"], "round-trip", "response metadata must come back")
        XCTAssertEqual(response.message.peer, "pid=\(getpid()),uid=\(getuid()),gid=\(getgid())")
    }

    func testClientStreaming() async throws {
        let response = try await echo.collect { requests in
            for index in 0..<100 {
                try await requests.write(request("\(index % 10)", payload: 1))
            }
        }
        XCTAssertEqual(response.sequence, 100)
        XCTAssertEqual(response.text, String(repeating: "0123456789", count: 10))
        XCTAssertEqual(response.payload.count, 100)
    }

    func testClientStreamingWithNoRequests() async throws {
        let response = try await echo.collect { _ in }
        XCTAssertEqual(response.sequence, 0)
        XCTAssertEqual(response.text, "")
    }

    func testServerStreaming() async throws {
        var expand = request("tick")
        expand.repeat = 50
        let sequences = try await echo.expand(expand) { responses in
            var seen: [UInt32] = []
            for try await response in responses {
                XCTAssertEqual(response.text, "tick")
                seen.append(response.sequence)
            }
            return seen
        }
        XCTAssertEqual(sequences, Array(1...50))
    }

    func testServerStreamingThatFailsAfterSomeMessages() async throws {
        var expand = request("partial")
        expand.repeat = 3
        expand.failCode = StatusCode.dataLoss.rawValue
        expand.failMessage = "the source went away"
        var received = 0
        do {
            try await echo.expand(expand) { responses in
                for try await _ in responses { received += 1 }
            }
            XCTFail("the stream should end with the handler's error")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .dataLoss)
            XCTAssertEqual(error.message, "the source went away")
        }
        XCTAssertEqual(received, 3)
    }

    func testBidirectionalStreamingInterleaves() async throws {
        let texts = try await echo.chat { requests, responses in
            var iterator = responses.makeAsyncIterator()
            var texts: [String] = []
            for index in 0..<20 {
                try await requests.write(request("ping \(index)"))
                guard let response = try await iterator.next() else {
                    XCTFail("stream ended early")
                    break
                }
                XCTAssertEqual(response.sequence, UInt32(index + 1))
                texts.append(response.text)
            }
            return texts
        }
        XCTAssertEqual(texts, (0..<20).map { "ping \($0)" })
    }

    func testDeadlineExceededAndServerKeepsServing() async throws {
        let start = ContinuousClock.now
        do {
            _ = try await echo.unary(request(delayMs: 3000), options: CallOptions(timeout: .milliseconds(100)))
            XCTFail("the call should not outlive its deadline")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .deadlineExceeded)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
        let response = try await echo.unary(request("after"))
        XCTAssertEqual(response.text, "after")
    }

    func testServerEnforcesDeadlineItself() async throws {
        // Only the server's timer can produce its own message: the client waits longer than the deadline it sends.
        var raw = Gongzhi_Rpc_V1_Request()
        raw.service = Gongzhi_Test_V1_Echo.serviceName
        raw.method = Gongzhi_Test_V1_Echo.Method.unary
        raw.payload = try request(delayMs: 3000).serializedData()
        raw.timeoutNano = 100_000_000
        let socket = try RawSocket(path: server.socketPath)
        try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: Array(try raw.serializedData())))
        let frame = try XCTUnwrap(try socket.receiveFrame(timeout: .seconds(2)))
        let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
        XCTAssertEqual(response.status.code, StatusCode.deadlineExceeded.rawValue)
        XCTAssertTrue(response.status.message.contains("deadline"), response.status.message)
    }

    func testDeadlineOnAStream() async throws {
        var expand = request("slow")
        expand.repeat = 100
        expand.delayMs = 50
        var received = 0
        do {
            try await echo.expand(expand, options: CallOptions(timeout: .milliseconds(300))) { responses in
                for try await _ in responses { received += 1 }
            }
            XCTFail("the stream should hit its deadline")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .deadlineExceeded)
        }
        XCTAssertGreaterThan(received, 0)
        XCTAssertLessThan(received, 100)
    }

    func testCancellingTheCallingTaskEndsTheCallAtOnce() async throws {
        let echo = self.echo!
        let slow = request("to be cancelled", delayMs: 5000)
        let task = Task { try await echo.unary(slow) }
        // Cancelled once the server is working on it.
        try await server.child.waitForOutput("unary call waiting 5000 ms: to be cancelled")
        let start = ContinuousClock.now
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("a cancelled call should not succeed")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .cancelled)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(500))
        let answer1 = try await echo.unary(request("still here"))
        XCTAssertEqual(answer1.text, "still here")
    }

    func testManyConcurrentCallersShareOneConnection() async throws {
        let echo = self.echo!
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    var message = Gongzhi_Test_V1_EchoRequest()
                    message.text = "caller \(index)"
                    let response = try await echo.unary(message)
                    XCTAssertEqual(response.text, message.text)
                }
            }
            try await group.waitForAll()
        }
        let connections = try String(contentsOfFile: "/proc/\(server.child.pid)/net/unix", encoding: .utf8)
            .split(separator: "\n").filter { $0.hasSuffix(server.socketPath) }.count
        XCTAssertLessThanOrEqual(connections, 2, "one listening socket and one connection expected")
    }

    func testServerKilledMidCallFailsFastThenClientReconnects() async throws {
        let echo = self.echo!
        let slow = request("to be cut off", delayMs: 10_000)
        let inFlight = Task { try await echo.unary(slow) }
        try await server.child.waitForOutput("unary call waiting 10000 ms: to be cut off")
        server.child.signal(SIGKILL)
        let start = ContinuousClock.now
        do {
            _ = try await inFlight.value
            XCTFail("the call should fail when the server dies")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
            XCTAssertTrue(error.message.contains("was lost"), "failed as a call in flight: \(error.message)")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        await server.child.waitForExit()

        // No server: fails at once, never hangs.
        let refused = ContinuousClock.now
        do {
            _ = try await echo.unary(request("nobody"))
            XCTFail("there is no server to answer")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
            XCTAssertTrue(error.message.contains(server.socketPath), error.message)
        }
        XCTAssertLessThan(ContinuousClock.now - refused, .seconds(1))

        // A new server on the same path (the dead one's socket file is stale): the same client reconnects.
        server = try await EchoServerProcess(socketPath: server.socketPath, outputPath: directory.file("server2.log"))
        let answer2 = try await echo.unary(request("back"))
        XCTAssertEqual(answer2.text, "back")
    }

    func testGracefulShutdownDrainsInFlightCalls() async throws {
        let echo = self.echo!
        // Long enough to be still running when the signal arrives, well within the server's 5 s grace period.
        let slow = request("drained", delayMs: 2000)
        let inFlight = Task { try await echo.unary(slow) }
        try await server.child.waitForOutput("unary call waiting 2000 ms: drained")
        server.child.signal(SIGTERM)
        let response = try await inFlight.value
        XCTAssertEqual(response.text, "drained")
        let status = await server.child.waitForExit(timeout: .seconds(5))
        XCTAssertEqual(status, 0, server.child.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.socketPath), "the socket file should be removed")
    }

    func testStaleSocketIsReplacedAndLiveOneIsNot() async throws {
        // A second server on the live socket refuses to start and leaves the first one serving.
        let second = try ChildProcess(
            try BuiltExecutables.path("gongzhi-echo-server"),
            ["--socket", server.socketPath],
            outputPath: directory.file("second.log")
        )
        let status = await second.waitForExit()
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(second.output.contains("already listening"), second.output)
        let answer3 = try await echo.unary(request("first"))
        XCTAssertEqual(answer3.text, "first")

        // A dead server leaves its socket file; the next one replaces it.
        server.child.signal(SIGKILL)
        await server.child.waitForExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: server.socketPath))
        server = try await EchoServerProcess(socketPath: server.socketPath, outputPath: directory.file("third.log"))
        let answer4 = try await echo.unary(request("replaced"))
        XCTAssertEqual(answer4.text, "replaced")
    }

    func testRefusesToReplaceAFileThatIsNotASocket() async throws {
        let path = directory.file("precious.txt")
        try "keep me".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try ChildProcess(
            try BuiltExecutables.path("gongzhi-echo-server"),
            ["--socket", path],
            outputPath: directory.file("refused.log")
        )
        let status5 = await refused.waitForExit()
        XCTAssertNotEqual(status5, 0)
        XCTAssertTrue(refused.output.contains("not a socket"), refused.output)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "keep me")
    }

    func testSocketFileModeIsTheCallersChoice() async throws {
        let path = directory.file("group.sock")
        let other = try await EchoServerProcess(
            socketPath: path,
            extraArguments: ["--mode", "660"],
            outputPath: directory.file("mode.log")
        )
        defer { Task { await other.child.stop() } }
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual(info.st_mode & 0o777, 0o660)
        var defaultInfo = stat()
        XCTAssertEqual(lstat(server.socketPath, &defaultInfo), 0)
        XCTAssertEqual(defaultInfo.st_mode & 0o777, 0o600)
        await other.child.stop()
    }
}
