import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// Hostile and broken clients: the server answers each with the right status or drops only that
/// connection, and keeps serving everyone else.
final class BadInputTests: XCTestCase {
    private func requestEnvelope(
        service: String = Gongzhi_Test_V1_Echo.serviceName,
        method: String = Gongzhi_Test_V1_Echo.Method.unary,
        text: String = "x",
        delayMs: UInt32 = 0
    ) throws -> [UInt8] {
        var message = Gongzhi_Test_V1_EchoRequest()
        message.text = text
        message.delayMs = delayMs
        var request = Gongzhi_Rpc_V1_Request()
        request.service = service
        request.method = method
        request.payload = try message.serializedData()
        return try request.serializedBytes()
    }

    private func status(
        of frame: (streamID: UInt32, type: UInt8, flags: UInt8, data: [UInt8])?
    ) throws -> Gongzhi_Rpc_V1_Status {
        let frame = try XCTUnwrap(frame, "no answer from the server")
        XCTAssertEqual(frame.type, FrameType.response.rawValue)
        return try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data).status
    }

    /// The server still answers a well-formed call on a new connection.
    private func assertStillServes(_ path: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let client = RPCClient(socketPath: path)
        defer { Task { await client.close() } }
        var message = Gongzhi_Test_V1_EchoRequest()
        message.text = "still serving"
        let response = try await Gongzhi_Test_V1_EchoClient(channel: client).unary(message)
        XCTAssertEqual(response.text, "still serving", file: file, line: line)
    }

    func testOversizedFrameIsRefusedWithoutLosingTheConnection() async throws {
        try await withRPCServer { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            let declared = Frame.maxDataLength + 1
            try socket.send(RawFrame.header(length: UInt32(declared), streamID: 1, type: 1))
            try socket.send([UInt8](repeating: 0xAB, count: declared))
            let refusal = try status(of: try socket.receiveFrame())
            XCTAssertEqual(refusal.code, StatusCode.resourceExhausted.rawValue)
            XCTAssertTrue(refusal.message.contains("\(declared) bytes"), refusal.message)

            // The same connection carries the next call.
            try socket.send(RawFrame.bytes(streamID: 3, type: 1, data: try requestEnvelope(text: "next")))
            let frame = try XCTUnwrap(try socket.receiveFrame())
            XCTAssertEqual(frame.streamID, 3)
            let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
            XCTAssertEqual(response.status.code, 0)
            XCTAssertEqual(try Gongzhi_Test_V1_EchoResponse(serializedBytes: response.payload).text, "next")
        }
    }

    func testGarbageClosesOnlyThatConnection() async throws {
        try await withRPCServer { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(Array("GET / HTTP/1.1\r\nHost: gongzhi\r\n\r\n".utf8))
            XCTAssertTrue(try socket.waitForClose(timeout: .seconds(2)))
            try await assertStillServes(server.configuration.socketPath)
        }
    }

    func testTruncatedFrameThenHangUpLeavesTheServerServing() async throws {
        try await withRPCServer { server, _ in
            do {
                let socket = try RawSocket(path: server.configuration.socketPath)
                let envelope = try requestEnvelope()
                let frame = RawFrame.bytes(streamID: 1, type: 1, data: envelope)
                try socket.send(Array(frame.prefix(frame.count - 3)))
            }
            try await assertStillServes(server.configuration.socketPath)
        }
    }

    func testClientStalledMidFrameIsDisconnectedButIdleOneIsNot() async throws {
        try await withRPCServer(stalledFrameTimeout: .milliseconds(300)) { server, _ in
            let idle = try RawSocket(path: server.configuration.socketPath)
            let stalled = try RawSocket(path: server.configuration.socketPath)
            try stalled.send(RawFrame.header(length: 100, streamID: 1, type: 1) + [1, 2, 3])
            XCTAssertTrue(try stalled.waitForClose(timeout: .seconds(3)), "a client stuck mid-frame must be dropped")
            XCTAssertFalse(try idle.waitForClose(timeout: .milliseconds(200)), "an idle client must be kept")
            try idle.send(RawFrame.bytes(streamID: 1, type: 1, data: try requestEnvelope()))
            XCTAssertEqual(try status(of: try idle.receiveFrame()).code, 0)
        }
    }

    func testAClientThatTricklesAFrameIsDisconnectedAtTheFrameTimeout() async throws {
        try await withRPCServer(stalledFrameTimeout: .seconds(10), frameTimeout: .milliseconds(600)) { server, _ in
            let other = try RawSocket(path: server.configuration.socketPath)
            let trickling = try RawSocket(path: server.configuration.socketPath)
            try trickling.send(RawFrame.header(length: 100, streamID: 1, type: 1))
            // A byte every 100 ms: never stalled for the 10 s of stalled_frame_timeout.
            let started = ContinuousClock.now
            var closed = false
            for byte in 0..<40 where !closed {
                try? trickling.send([UInt8(byte)])
                closed = try trickling.waitForClose(timeout: .milliseconds(100))
            }
            XCTAssertTrue(closed, "a frame trickled for 4 s must end at the 600 ms frame timeout")
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
            // Another client's whole frames are answered meanwhile and after.
            try other.send(RawFrame.bytes(streamID: 1, type: 1, data: try requestEnvelope()))
            XCTAssertEqual(try status(of: try other.receiveFrame()).code, 0)
        }
    }

    func testUnknownMessageTypeIsAnswered() async throws {
        try await withRPCServer { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(RawFrame.bytes(streamID: 1, type: 7, data: [1, 2, 3]))
            let refusal = try status(of: try socket.receiveFrame())
            XCTAssertEqual(refusal.code, StatusCode.invalidArgument.rawValue)
            XCTAssertTrue(refusal.message.contains("unknown frame type"), refusal.message)
        }
    }

    func testUndecodableEnvelopeIsInvalidArgument() async throws {
        try await withRPCServer { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: [0x0A, 0xFF, 0xFF, 0xFF, 0x0F]))
            let refusal = try status(of: try socket.receiveFrame())
            XCTAssertEqual(refusal.code, StatusCode.invalidArgument.rawValue)
            XCTAssertTrue(refusal.message.contains("Request envelope"), refusal.message)
        }
    }

    func testMalformedPayloadIsInvalidArgument() async throws {
        try await withRPCServer { server, _ in
            var request = Gongzhi_Rpc_V1_Request()
            request.service = Gongzhi_Test_V1_Echo.serviceName
            request.method = Gongzhi_Test_V1_Echo.Method.unary
            request.payload = Data([0x12, 0x40, 0x41])  // text field declares 64 bytes, has 1
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try request.serializedBytes()))
            let refusal = try status(of: try socket.receiveFrame())
            XCTAssertEqual(refusal.code, StatusCode.invalidArgument.rawValue)
            XCTAssertTrue(refusal.message.contains("gongzhi.test.v1.EchoRequest"), refusal.message)
        }
    }

    func testUnknownServiceAndMethodAreUnimplemented() async throws {
        try await withRPCServer { server, _ in
            let client = RPCClient(socketPath: server.configuration.socketPath)
            defer { Task { await client.close() } }
            for (service, method, expected) in [
                ("gongzhi.nope.v1.Nothing", "Unary", "is not served here"),
                (Gongzhi_Test_V1_Echo.serviceName, "Nope", "has no method Nope"),
            ] {
                do {
                    _ = try await client.unary(service: service, method: method, payload: Data(), options: .defaults)
                    XCTFail("\(service)/\(method) should not be served")
                } catch let error as RPCError {
                    XCTAssertEqual(error.code, .unimplemented)
                    XCTAssertTrue(error.message.contains(expected), error.message)
                }
            }
        }
    }

    func testEvenStreamIDIsRefused() async throws {
        try await withRPCServer { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(RawFrame.bytes(streamID: 2, type: 1, data: try requestEnvelope()))
            let frame = try XCTUnwrap(try socket.receiveFrame())
            XCTAssertEqual(frame.streamID, 2)
            let refusal = try status(of: frame)
            XCTAssertEqual(refusal.code, StatusCode.invalidArgument.rawValue)
            XCTAssertTrue(refusal.message.contains("odd"), refusal.message)
        }
    }

    func testStreamFlagsThatDoNotFitTheMethodAreRefused() async throws {
        try await withRPCServer { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            // A unary method opened as a client stream.
            try socket.send(
                RawFrame.bytes(streamID: 1, type: 1, flags: FrameFlags.remoteOpen.rawValue, data: try requestEnvelope())
            )
            XCTAssertEqual(try status(of: try socket.receiveFrame()).code, StatusCode.invalidArgument.rawValue)
            // A client-streaming method called as unary.
            try socket.send(
                RawFrame.bytes(
                    streamID: 3,
                    type: 1,
                    data: try requestEnvelope(method: Gongzhi_Test_V1_Echo.Method.collect)
                )
            )
            XCTAssertEqual(try status(of: try socket.receiveFrame()).code, StatusCode.invalidArgument.rawValue)
        }
    }

    func testDataFrameOnAUnaryCallFailsThatCall() async throws {
        try await withRPCServer { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            try socket.send(RawFrame.bytes(streamID: 1, type: 1, data: try requestEnvelope(delayMs: 500)))
            try socket.send(RawFrame.bytes(streamID: 1, type: 3, data: [1, 2, 3]))
            let refusal = try status(of: try socket.receiveFrame())
            XCTAssertEqual(refusal.code, StatusCode.invalidArgument.rawValue)
            XCTAssertTrue(refusal.message.contains("unary"), refusal.message)
        }
    }

    func testConcurrentStreamLimitPerConnection() async throws {
        try await withRPCServer(maxConcurrentStreamsPerConnection: 2) { server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            for id: UInt32 in [1, 3, 5] {
                try socket.send(RawFrame.bytes(streamID: id, type: 1, data: try requestEnvelope(delayMs: 300)))
            }
            let first = try XCTUnwrap(try socket.receiveFrame())
            XCTAssertEqual(first.streamID, 5, "the third call is refused at once")
            XCTAssertEqual(try status(of: first).code, StatusCode.resourceExhausted.rawValue)
            let answered = try [XCTUnwrap(try socket.receiveFrame()), XCTUnwrap(try socket.receiveFrame())]
            XCTAssertEqual(Set(answered.map(\.streamID)), [1, 3])
            for frame in answered { XCTAssertEqual(try status(of: frame).code, 0) }
        }
    }

    func testHandlersSeeTheCallersCredentials() async throws {
        let seen = PeerBox()
        let service = RPCServiceDefinition(
            serviceName: "gongzhi.test.v1.Who",
            methodHandlers: [
                "Am": RPCMethodHandler(unary: { _, context in
                    seen.set(context.peer)
                    return Data()
                })
            ]
        )
        try await withRPCServer(services: [service]) { server, _ in
            let client = RPCClient(socketPath: server.configuration.socketPath)
            defer { Task { await client.close() } }
            _ = try await client.unary(
                service: "gongzhi.test.v1.Who",
                method: "Am",
                payload: Data(),
                options: .defaults
            )
            XCTAssertEqual(seen.value, PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid()))
        }
    }

    func testClientRefusesToSendAnOversizedRequest() async throws {
        try await withRPCServer { server, _ in
            let client = RPCClient(socketPath: server.configuration.socketPath)
            defer { Task { await client.close() } }
            var message = Gongzhi_Test_V1_EchoRequest()
            message.payload = Data(count: Frame.maxDataLength)
            do {
                _ = try await Gongzhi_Test_V1_EchoClient(channel: client).unary(message)
                XCTFail("a request over the frame limit must not be sent")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, .resourceExhausted)
            }
            try await assertStillServes(server.configuration.socketPath)
        }
    }

    func testOversizedResponseBecomesAnError() async throws {
        let service = RPCServiceDefinition(
            serviceName: "gongzhi.test.v1.Big",
            methodHandlers: ["Answer": RPCMethodHandler(unary: { _, _ in Data(count: Frame.maxDataLength + 1) })]
        )
        try await withRPCServer(services: [service]) { server, _ in
            let client = RPCClient(socketPath: server.configuration.socketPath)
            defer { Task { await client.close() } }
            do {
                _ = try await client.unary(
                    service: "gongzhi.test.v1.Big",
                    method: "Answer",
                    payload: Data(),
                    options: .defaults
                )
                XCTFail("an answer over the frame limit must not be sent")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, .resourceExhausted)
                XCTAssertTrue(error.message.contains("frame limit"), error.message)
            }
        }
    }
}

private final class PeerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var peer: PeerCredentials?
    func set(_ value: PeerCredentials) { lock.withLock { peer = value } }
    var value: PeerCredentials? { lock.withLock { peer } }
}
