import Foundation
import GongzhiEcho
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import Logging
import XCTest

/// Shutdown lets calls in flight finish and delivers every byte of their answers.
final class GracefulShutdownTests: XCTestCase {
    private func quietLogger() -> Logger {
        var logger = Logger(label: "gongzhi.test.shutdown")
        logger.logLevel = .critical
        return logger
    }

    func testLargeFinalAnswerOfADrainingConnectionArrivesWhole() async throws {
        let answerSize = 3 << 20
        let started = TestEvent("the handler started")
        let release = TestEvent("the test lets the handler answer")
        let answering = TestEvent("the handler returned its answer")
        let service = RPCServiceDefinition(
            serviceName: "gongzhi.test.v1.Big",
            methodHandlers: [
                "Slow": RPCMethodHandler(unary: { _, _ in
                    started.signal()
                    try await release.wait()
                    answering.signal()
                    return Data(repeating: 0x42, count: answerSize)
                })
            ]
        )
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServer.Configuration(socketPath: directory.file("big.sock"))
        configuration.shutdownGracePeriod = .seconds(10)
        let log = LogRecorder()
        let server = RPCServer(configuration: configuration, services: [service], logger: log.logger(label: "server"))
        let shuttingDown = log.event(whenLogged: "shutting down")
        let running = Task { try await server.run() }
        try await server.waitUntilListening()

        var request = Gongzhi_Rpc_V1_Request()
        request.service = "gongzhi.test.v1.Big"
        request.method = "Slow"
        let socket = try RawSocket(path: server.configuration.socketPath)
        try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try request.serializedBytes()))
        // The call is in its handler when shutdown begins, and answers once the connection was told to drain.
        try await started.wait()
        server.beginGracefulShutdown()
        try await shuttingDown.wait()
        release.signal()
        // Read only after the answer is handed to the draining connection: nothing of it may be lost.
        try await answering.wait()
        let frame = try XCTUnwrap(try socket.receiveFrame(timeout: .seconds(10)))
        let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
        XCTAssertEqual(response.status.code, 0)
        XCTAssertEqual(response.payload.count, answerSize)
        XCTAssertTrue(try socket.waitForClose(timeout: .seconds(10)), "the server ends the connection after the answer")
        // The client is done too: its end closes the connection, and the shutdown ends without the grace period.
        shutdown(socket.fd, Int32(SHUT_WR))
        try await running.value
        withExtendedLifetime(socket) {}
    }

    func testAGracePeriodGivenAtShutdownReplacesTheConfiguredOne() async throws {
        let started = TestEvent("the handler started")
        let service = RPCServiceDefinition(
            serviceName: "gongzhi.test.v1.Stuck",
            methodHandlers: [
                "Wait": RPCMethodHandler(unary: { _, _ in
                    started.signal()
                    try await Task.sleep(for: .seconds(60))
                    return Data()
                })
            ]
        )
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServer.Configuration(socketPath: directory.file("stuck.sock"))
        configuration.shutdownGracePeriod = .seconds(30)
        let server = RPCServer(configuration: configuration, services: [service], logger: quietLogger())
        let running = Task { try await server.run() }
        try await server.waitUntilListening()
        var request = Gongzhi_Rpc_V1_Request()
        request.service = "gongzhi.test.v1.Stuck"
        request.method = "Wait"
        let socket = try RawSocket(path: server.configuration.socketPath)
        try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try request.serializedBytes()))
        try await started.wait()
        let shutdown = ContinuousClock.now
        server.beginGracefulShutdown(gracePeriod: .milliseconds(300))
        try await running.value
        let took = ContinuousClock.now - shutdown
        XCTAssertGreaterThanOrEqual(took, .milliseconds(250), "the call got its grace period")
        XCTAssertLessThan(took, .seconds(5), "the grace period given at shutdown, not the configured 30 s")
        withExtendedLifetime(socket) {}
    }

    func testCancellingTheServerTaskStillGivesCallsTheirGracePeriod() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServer.Configuration(socketPath: directory.file("echo.sock"))
        configuration.shutdownGracePeriod = .seconds(5)
        // The echo service, telling when a unary call reaches it.
        let started = TestEvent("the echo handler started")
        var handlers = EchoService().methodHandlers
        guard case .unary(let unary) = handlers[Gongzhi_Test_V1_Echo.Method.unary]?.body else {
            return XCTFail("the echo service has no unary handler")
        }
        handlers[Gongzhi_Test_V1_Echo.Method.unary] = RPCMethodHandler(unary: { payload, context in
            started.signal()
            return try await unary(payload, context)
        })
        let echoService = RPCServiceDefinition(serviceName: Gongzhi_Test_V1_Echo.serviceName, methodHandlers: handlers)
        let server = RPCServer(configuration: configuration, services: [echoService], logger: quietLogger())
        let running = Task { try await server.run() }
        try await server.waitUntilListening()

        let client = RPCClient(socketPath: configuration.socketPath)
        let echo = Gongzhi_Test_V1_EchoClient(channel: client)
        var slow = Gongzhi_Test_V1_EchoRequest()
        slow.text = "finished"
        // Long enough to be still running when the server's task is cancelled, well within the grace period.
        slow.delayMs = 1500
        let message = slow
        let call = Task { try await echo.unary(message) }
        try await started.wait()
        running.cancel()
        let answer = try await call.value
        XCTAssertEqual(answer.text, "finished")
        try await running.value
        XCTAssertFalse(FileManager.default.fileExists(atPath: configuration.socketPath))
        await client.close()
    }
}
