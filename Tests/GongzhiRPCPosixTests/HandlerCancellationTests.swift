import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiTestSupport
import Synchronization
import XCTest

/// What a handler sees when its caller stops waiting: its task is cancelled, so its work stops too.
final class HandlerCancellationTests: XCTestCase {
    /// A handler that waits up to ten seconds and records how it ended.
    private func slowService(_ outcome: Outcome) -> RPCServiceDefinition {
        RPCServiceDefinition(
            serviceName: "gongzhi.test.v1.Slow",
            methodHandlers: [
                "Wait": RPCMethodHandler(unary: { _, _ in
                    outcome.started()
                    do {
                        try await Task.sleep(for: .seconds(10))
                        outcome.finish("completed")
                    } catch is CancellationError {
                        outcome.finish("cancelled")
                    }
                    return Data()
                })
            ]
        )
    }

    private func waitRequest(timeoutNano: Int64 = 0) throws -> [UInt8] {
        var request = Gongzhi_Rpc_V1_Request()
        request.service = "gongzhi.test.v1.Slow"
        request.method = "Wait"
        request.timeoutNano = timeoutNano
        return try request.serializedBytes()
    }

    func testHandlerIsCancelledWhenTheClientDisconnects() async throws {
        let outcome = Outcome()
        try await withRPCServer(services: [slowService(outcome)]) { server, _ in
            do {
                let socket = try RawSocket(path: server.configuration.socketPath)
                try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try waitRequest()))
                try await outcome.waitUntilStarted()
            }  // the socket closes here
            let ending = try await outcome.waitForEnd(within: .seconds(5))
            XCTAssertEqual(ending, "cancelled")
        }
    }

    func testHandlerIsCancelledWhenTheDeadlinePasses() async throws {
        let outcome = Outcome()
        try await withRPCServer(services: [slowService(outcome)]) { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try waitRequest(timeoutNano: 150_000_000)))
            let frame = try XCTUnwrap(try socket.receiveFrame(timeout: .seconds(10)))
            let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
            XCTAssertEqual(response.status.code, StatusCode.deadlineExceeded.rawValue)
            let ending = try await outcome.waitForEnd(within: .seconds(5))
            XCTAssertEqual(ending, "cancelled")
        }
    }
}

/// Records a handler's start and end across tasks.
private final class Outcome: Sendable {
    private let start = TestEvent("the handler started")
    private let end = TestEvent("the handler ended")
    private let ending = Mutex<String?>(nil)

    func started() { start.signal() }

    func finish(_ how: String) {
        ending.withLock { $0 = how }
        end.signal()
    }

    func waitUntilStarted() async throws {
        try await start.wait(timeout: .seconds(10))
    }

    /// How the handler ended; `timeout` bounds how long it may take to end once it should.
    func waitForEnd(within timeout: Duration) async throws -> String {
        try await end.wait(timeout: timeout)
        return ending.withLock { $0 } ?? ""
    }
}
