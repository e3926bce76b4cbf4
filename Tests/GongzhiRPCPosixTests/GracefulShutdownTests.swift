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
        let service = RPCServiceDefinition(
            serviceName: "gongzhi.test.v1.Big",
            methodHandlers: [
                "Slow": RPCMethodHandler(unary: { _, _ in
                    try await Task.sleep(for: .milliseconds(300))
                    return Data(repeating: 0x42, count: answerSize)
                })
            ]
        )
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServer.Configuration(socketPath: directory.file("big.sock"))
        configuration.shutdownGracePeriod = .seconds(2)
        let server = RPCServer(configuration: configuration, services: [service], logger: quietLogger())
        let running = Task { try await server.run() }
        try await server.waitUntilListening()

        var request = Gongzhi_Rpc_V1_Request()
        request.service = "gongzhi.test.v1.Big"
        request.method = "Slow"
        let socket = try RawSocket(path: server.configuration.socketPath)
        try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try request.serializedBytes()))
        try await Task.sleep(for: .milliseconds(50))
        server.beginGracefulShutdown()
        // Read only after the answer is written and the connection told to close: nothing may be lost.
        try await Task.sleep(for: .milliseconds(700))
        let frame = try XCTUnwrap(try socket.receiveFrame(timeout: .seconds(5)))
        let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
        XCTAssertEqual(response.status.code, 0)
        XCTAssertEqual(response.payload.count, answerSize)
        XCTAssertTrue(try socket.waitForClose(timeout: .seconds(3)), "the server ends the connection after the answer")
        withExtendedLifetime(socket) {}
        try await running.value
    }

    func testAGracePeriodGivenAtShutdownReplacesTheConfiguredOne() async throws {
        let service = RPCServiceDefinition(
            serviceName: "gongzhi.test.v1.Stuck",
            methodHandlers: [
                "Wait": RPCMethodHandler(unary: { _, _ in
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
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        server.beginGracefulShutdown(gracePeriod: .milliseconds(300))
        try await running.value
        let took = ContinuousClock.now - started
        XCTAssertGreaterThanOrEqual(took, .milliseconds(250), "the call got its grace period")
        XCTAssertLessThan(took, .seconds(5), "the grace period given at shutdown, not the configured 30 s")
        withExtendedLifetime(socket) {}
    }

    func testCancellingTheServerTaskStillGivesCallsTheirGracePeriod() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServer.Configuration(socketPath: directory.file("echo.sock"))
        configuration.shutdownGracePeriod = .seconds(5)
        let server = RPCServer(configuration: configuration, services: [EchoService()], logger: quietLogger())
        let running = Task { try await server.run() }
        try await server.waitUntilListening()

        let client = RPCClient(socketPath: configuration.socketPath)
        let echo = Gongzhi_Test_V1_EchoClient(channel: client)
        var slow = Gongzhi_Test_V1_EchoRequest()
        slow.text = "finished"
        slow.delayMs = 400
        let message = slow
        let call = Task { try await echo.unary(message) }
        try await Task.sleep(for: .milliseconds(100))
        running.cancel()
        let answer = try await call.value
        XCTAssertEqual(answer.text, "finished")
        try await running.value
        XCTAssertFalse(FileManager.default.fileExists(atPath: configuration.socketPath))
        await client.close()
    }
}
