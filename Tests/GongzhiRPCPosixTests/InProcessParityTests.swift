import Foundation
import GongzhiEcho
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import XCTest

/// The same calls over a Unix socket and through an `InProcessChannel` to the same services end the same
/// way: answers, response metadata, and every refusal's status code, message and metadata.
final class InProcessParityTests: XCTestCase {
    /// One call, as a function of the channel it goes through.
    private typealias Call = @Sendable (any RPCClientChannel) async throws -> String

    private static func echoRequest(
        _ text: String,
        configure: (inout Gongzhi_Test_V1_EchoRequest) -> Void = { _ in }
    ) -> Gongzhi_Test_V1_EchoRequest {
        var request = Gongzhi_Test_V1_EchoRequest()
        request.text = text
        configure(&request)
        return request
    }

    private static let calls: [(name: String, call: Call)] = [
        (
            "unary with metadata",
            { channel in
                let response = try await channel.unary(
                    service: Gongzhi_Test_V1_Echo.serviceName,
                    method: Gongzhi_Test_V1_Echo.Method.unary,
                    request: echoRequest("hi"),
                    responseType: Gongzhi_Test_V1_EchoResponse.self,
                    options: CallOptions(metadata: ["x-echo": "m", "x-other": "kept"])
                )
                return "\(response.message.text) \(response.metadata)"
            }
        ),
        (
            "a handler's error",
            { channel in
                let request = echoRequest("") {
                    $0.failCode = StatusCode.permissionDenied.rawValue
                    $0.failMessage = "not yours"
                }
                return try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(
                    request,
                    options: CallOptions(metadata: ["x-echo": "m"])
                ).text
            }
        ),
        (
            "an unknown service",
            { channel in
                try await channel.unary(
                    service: "gongzhi.test.v1.Nope",
                    method: "Unary",
                    payload: Data(),
                    options: .defaults
                )
                .metadata.description
            }
        ),
        (
            "an unknown method",
            { channel in
                try await channel.unary(
                    service: Gongzhi_Test_V1_Echo.serviceName,
                    method: "",
                    payload: Data(),
                    options: .defaults
                ).metadata.description
            }
        ),
        (
            "a unary call of a server-streaming method",
            { channel in
                try await channel.unary(
                    service: Gongzhi_Test_V1_Echo.serviceName,
                    method: Gongzhi_Test_V1_Echo.Method.expand,
                    payload: Data(),
                    options: .defaults
                ).metadata.description
            }
        ),
        (
            "a stream of requests to a unary method",
            { channel in
                let stream = try await channel.openStream(
                    service: Gongzhi_Test_V1_Echo.serviceName,
                    method: Gongzhi_Test_V1_Echo.Method.unary,
                    kind: .bidirectionalStreaming,
                    payload: Data(),
                    options: .defaults
                )
                return try await stream.finalResponse().metadata.description
            }
        ),
        (
            "a request that does not decode",
            { channel in
                try await channel.unary(
                    service: Gongzhi_Test_V1_Echo.serviceName,
                    method: Gongzhi_Test_V1_Echo.Method.unary,
                    payload: Data([0x0A, 0x05, 0x01]),
                    options: .defaults
                ).metadata.description
            }
        ),
        (
            "server streaming that fails after two answers",
            { channel in
                let request = echoRequest("s") {
                    $0.repeat = 2
                    $0.failCode = StatusCode.resourceExhausted.rawValue
                    $0.failMessage = "enough"
                }
                return try await Gongzhi_Test_V1_EchoClient(channel: channel).expand(request) { responses in
                    var texts: [String] = []
                    do {
                        for try await response in responses { texts.append(response.text) }
                    } catch let error as RPCError {
                        return "\(texts) then \(error.code): \(error.message) \(error.metadata)"
                    }
                    return "\(texts)"
                }
            }
        ),
        (
            "client streaming",
            { channel in
                try await Gongzhi_Test_V1_EchoClient(channel: channel).collect(
                    options: CallOptions(metadata: ["x-echo": "c"])
                ) { writer in
                    for text in ["a", "b"] { try await writer.write(echoRequest(text)) }
                }.text
            }
        ),
    ]

    /// The call's outcome as text: the answer, or the error's code, message and metadata.
    private static func outcome(of call: Call, on channel: any RPCClientChannel) async -> String {
        do {
            return "ok: " + (try await call(channel))
        } catch let error as RPCError {
            return "\(error.code): \(error.message) \(error.metadata)"
        } catch {
            return "not an RPCError: \(error)"
        }
    }

    func testCallsEndTheSameOverASocketAndInProcess() async throws {
        let inProcess = InProcessChannel(services: [EchoService()])
        try await withRPCServer { server, _ in
            let socket = RPCClient(socketPath: server.configuration.socketPath)
            for (name, call) in Self.calls {
                let overSocket = await Self.outcome(of: call, on: socket)
                let inMemory = await Self.outcome(of: call, on: inProcess)
                XCTAssertEqual(inMemory, overSocket, name)
                XCTAssertFalse(overSocket.hasPrefix("not an RPCError"), "\(name): \(overSocket)")
            }
            await socket.close()
        }
    }

    func testADeadlineEndsBothWithDeadlineExceeded() async throws {
        let inProcess = InProcessChannel(services: [EchoService()])
        try await withRPCServer { server, _ in
            let socket = RPCClient(socketPath: server.configuration.socketPath)
            let request = Self.echoRequest("late") { $0.delayMs = 2000 }
            for channel in [socket, inProcess] as [any RPCClientChannel] {
                do {
                    _ = try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(
                        request,
                        options: CallOptions(timeout: .milliseconds(40))
                    )
                    XCTFail("the call outlived its deadline on \(channel)")
                } catch let error as RPCError {
                    XCTAssertEqual(error.code, .deadlineExceeded, "\(channel)")
                }
            }
            await socket.close()
        }
    }
}
