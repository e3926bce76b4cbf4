import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import XCTest

/// Every call shape works whether handlers start on the event loop or as ordinary tasks.
final class HandlerExecutionTests: XCTestCase {
    func testAllCallShapesWithHandlersStartedOnTheEventLoop() async throws {
        try await withRPCServer(startsHandlersOnEventLoop: true) { server, _ in
            try await exerciseAllShapes(server.configuration.socketPath)
        }
    }

    func testAllCallShapesWithHandlersStartedAsTasks() async throws {
        try await withRPCServer(startsHandlersOnEventLoop: false) { server, _ in
            try await exerciseAllShapes(server.configuration.socketPath)
        }
    }

    private func exerciseAllShapes(_ path: String) async throws {
        let client = RPCClient(socketPath: path)
        let echo = Gongzhi_Test_V1_EchoClient(channel: client)
        var request = Gongzhi_Test_V1_EchoRequest()
        request.text = "shape"

        let unary = try await echo.unary(request)
        XCTAssertEqual(unary.text, "shape")

        let collected = try await echo.collect { requests in
            for _ in 0..<5 { try await requests.write(request) }
        }
        XCTAssertEqual(collected.sequence, 5)

        var expand = request
        expand.repeat = 4
        let expanded = try await echo.expand(expand) { responses in
            var count = 0
            for try await _ in responses { count += 1 }
            return count
        }
        XCTAssertEqual(expanded, 4)

        let chatted = try await echo.chat { requests, responses in
            for _ in 0..<3 { try await requests.write(request) }
            try await requests.finishWriting()
            var count = 0
            for try await _ in responses { count += 1 }
            return count
        }
        XCTAssertEqual(chatted, 3)

        var failing = request
        failing.failCode = StatusCode.permissionDenied.rawValue
        failing.failMessage = "not yours"
        do {
            _ = try await echo.unary(failing)
            XCTFail("the call should fail")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied)
        }
        await client.close()
    }
}
