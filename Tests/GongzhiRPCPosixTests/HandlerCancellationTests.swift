import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiTestSupport
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
            let ending = try await outcome.waitForEnd(within: .seconds(2))
            XCTAssertEqual(ending, "cancelled")
        }
    }

    func testHandlerIsCancelledWhenTheDeadlinePasses() async throws {
        let outcome = Outcome()
        try await withRPCServer(services: [slowService(outcome)]) { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try waitRequest(timeoutNano: 150_000_000)))
            let frame = try XCTUnwrap(try socket.receiveFrame(timeout: .seconds(2)))
            let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
            XCTAssertEqual(response.status.code, StatusCode.deadlineExceeded.rawValue)
            let ending = try await outcome.waitForEnd(within: .seconds(2))
            XCTAssertEqual(ending, "cancelled")
        }
    }
}

/// Records a handler's start and end across tasks.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var hasStarted = false
    private var ending: String?

    func started() { lock.withLock { hasStarted = true } }
    func finish(_ how: String) { lock.withLock { ending = how } }

    func waitUntilStarted() async throws {
        let deadline = ContinuousClock.now + .seconds(2)
        while !lock.withLock({ hasStarted }) {
            guard ContinuousClock.now < deadline else { throw TestSupportError("the handler never started") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func waitForEnd(within timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let ending = lock.withLock({ ending }) { return ending }
            guard ContinuousClock.now < deadline else { throw TestSupportError("the handler is still running") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
