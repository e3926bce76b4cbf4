import Foundation
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas
import Synchronization
import XCTest

/// The in-process channel: every call shape, metadata both ways, errors as the wire carries them, the
/// server's refusals, deadlines, cancellation, the frame limit and the peer the server sees.
final class InProcessChannelTests: XCTestCase {
    /// Echoes in all four shapes; `x-echo` metadata comes back as response metadata, `fail_code` fails.
    private struct Echo: Gongzhi_Test_V1_EchoHandler {
        func unary(
            request: Gongzhi_Test_V1_EchoRequest,
            context: ServerCallContext
        ) async throws -> Gongzhi_Test_V1_EchoResponse {
            try Self.failIfAsked(request, context)
            var response = Gongzhi_Test_V1_EchoResponse()
            response.text = Self.echoed(request.text, context)
            response.payload = request.payload
            response.peer = context.peer.description
            response.sequence = 1
            return response
        }

        func collect(
            requests: RPCRequestStream<Gongzhi_Test_V1_EchoRequest>,
            context: ServerCallContext
        ) async throws -> Gongzhi_Test_V1_EchoResponse {
            var response = Gongzhi_Test_V1_EchoResponse()
            for try await request in requests {
                try Self.failIfAsked(request, context)
                response.text += request.text
                response.sequence += 1
            }
            response.text = Self.echoed(response.text, context)
            return response
        }

        func expand(
            request: Gongzhi_Test_V1_EchoRequest,
            responses: RPCResponseWriter<Gongzhi_Test_V1_EchoResponse>,
            context: ServerCallContext
        ) async throws {
            for index in 0..<request.repeat {
                var response = Gongzhi_Test_V1_EchoResponse()
                response.text = Self.echoed(request.text, context)
                response.sequence = index + 1
                try await responses.write(response)
            }
            try Self.failIfAsked(request, context)
        }

        func chat(
            requests: RPCRequestStream<Gongzhi_Test_V1_EchoRequest>,
            responses: RPCResponseWriter<Gongzhi_Test_V1_EchoResponse>,
            context: ServerCallContext
        ) async throws {
            var sequence: UInt32 = 0
            for try await request in requests {
                try Self.failIfAsked(request, context)
                sequence += 1
                var response = Gongzhi_Test_V1_EchoResponse()
                response.text = request.text.uppercased()
                response.sequence = sequence
                try await responses.write(response)
            }
        }

        private static func failIfAsked(_ request: Gongzhi_Test_V1_EchoRequest, _ context: ServerCallContext) throws {
            guard request.failCode != 0 else { return }
            context.addResponseMetadata("x-before-failing", "yes")
            throw RPCError(
                code: StatusCode(rawValue: request.failCode),
                message: request.failMessage,
                metadata: ["x-failure": "detail"],
                cause: CancellationError()
            )
        }

        private static func echoed(_ text: String, _ context: ServerCallContext) -> String {
            guard let echo = context.requestMetadata["x-echo"] else { return text }
            context.addResponseMetadata("x-echo", echo)
            return text + "|" + echo
        }
    }

    /// What a handler that waits went through, reported as it happens.
    private final class Waiting: Sendable {
        let events: AsyncStream<String>
        private let continuation: AsyncStream<String>.Continuation
        let deadline = Mutex<ContinuousClock.Instant?>(nil)

        init() {
            (events, continuation) = AsyncStream<String>.makeStream()
        }

        /// A service whose methods (one per shape) wait until cancelled.
        var service: RPCServiceDefinition {
            @Sendable func wait(_ context: ServerCallContext) async throws -> Data {
                deadline.withLock { $0 = context.deadline }
                continuation.yield("started")
                do {
                    try await Task.sleep(for: .seconds(30))
                    continuation.yield("completed")
                } catch {
                    continuation.yield("cancelled")
                    throw error
                }
                return Data()
            }
            return RPCServiceDefinition(
                serviceName: "test.Wait",
                methodHandlers: [
                    "Unary": RPCMethodHandler(unary: { _, context in try await wait(context) }),
                    "Stream": RPCMethodHandler(
                        kind: .bidirectionalStreaming,
                        streaming: { _, _, context in try await wait(context) }
                    ),
                    "Follow": RPCMethodHandler(
                        kind: .serverStreaming,
                        streaming: { _, _, context in try await wait(context) }
                    ),
                ]
            )
        }

        func next() async -> String? {
            var iterator = events.makeAsyncIterator()
            return await iterator.next()
        }
    }

    private let peer = PeerCredentials(pid: 4242, uid: 1001, gid: 1002)

    private func echoChannel(limits: InProcessChannel.Limits = .init()) -> InProcessChannel {
        InProcessChannel(services: [Echo()], peer: peer, limits: limits)
    }

    private func request(
        _ text: String,
        configure: (inout Gongzhi_Test_V1_EchoRequest) -> Void = { _ in }
    ) -> Gongzhi_Test_V1_EchoRequest {
        var request = Gongzhi_Test_V1_EchoRequest()
        request.text = text
        configure(&request)
        return request
    }

    private func expectError(
        _ code: StatusCode,
        _ message: String? = nil,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> Void
    ) async -> RPCError? {
        do {
            try await body()
            XCTFail("expected \(code)", file: file, line: line)
            return nil
        } catch let error as RPCError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            if let message { XCTAssertEqual(error.message, message, file: file, line: line) }
            return error
        } catch {
            XCTFail("expected an RPCError, got \(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: The four shapes

    func testUnaryCarriesMetadataBothWaysAndTheServerSeesThePeer() async throws {
        let client = Gongzhi_Test_V1_EchoClient(channel: echoChannel())
        let raw = try await echoChannel().unary(
            service: Gongzhi_Test_V1_Echo.serviceName,
            method: Gongzhi_Test_V1_Echo.Method.unary,
            request: request("你好") { $0.payload = Data([0, 1, 2, 255]) },
            responseType: Gongzhi_Test_V1_EchoResponse.self,
            options: CallOptions(metadata: ["X-Echo": "back"])
        )
        XCTAssertEqual(raw.message.text, "你好|back")
        XCTAssertEqual(raw.message.payload, Data([0, 1, 2, 255]))
        XCTAssertEqual(raw.message.peer, "pid=4242,uid=1001,gid=1002")
        XCTAssertEqual(raw.metadata["x-echo"], "back")

        let other = try await Gongzhi_Test_V1_EchoClient(channel: echoChannel().calling(as: .currentProcess))
            .unary(request("a"))
        XCTAssertEqual(other.peer, PeerCredentials.currentProcess.description)
        let sequence = try await client.unary(request("b")).sequence
        XCTAssertEqual(sequence, 1)
    }

    func testClientStreamingCollectsEveryRequestUntilTheSendingSideCloses() async throws {
        let client = Gongzhi_Test_V1_EchoClient(channel: echoChannel())
        let collected = try await client.collect(options: CallOptions(metadata: ["x-echo": "m"])) { writer in
            for text in ["a", "b", "c"] { try await writer.write(request(text)) }
        }
        XCTAssertEqual(collected.text, "abc|m")
        XCTAssertEqual(collected.sequence, 3)
    }

    func testServerStreamingSendsEachResponseThenEnds() async throws {
        let client = Gongzhi_Test_V1_EchoClient(channel: echoChannel())
        let texts = try await client.expand(request("x") { $0.repeat = 4 }) { responses in
            var texts: [String] = []
            for try await response in responses { texts.append("\(response.sequence):\(response.text)") }
            return texts
        }
        XCTAssertEqual(texts, ["1:x", "2:x", "3:x", "4:x"])

        // The final status of a stream that fails after some responses reaches the reader, with metadata.
        let error = await expectError(.failedPrecondition, "stop here") {
            _ = try await client.expand(
                request("y") {
                    $0.repeat = 2
                    $0.failCode = StatusCode.failedPrecondition.rawValue
                    $0.failMessage = "stop here"
                }
            ) { responses in
                var count = 0
                for try await _ in responses { count += 1 }
                return count
            }
        }
        XCTAssertEqual(error?.metadata["x-failure"], "detail")
    }

    func testBidirectionalAnswersEachRequestAsItArrives() async throws {
        let client = Gongzhi_Test_V1_EchoClient(channel: echoChannel())
        let answers = try await client.chat { writer, responses in
            var iterator = responses.makeAsyncIterator()
            var answers: [String] = []
            for text in ["one", "two", "three"] {
                try await writer.write(request(text))
                // Each answer arrives before the next request is sent.
                let answer = try await iterator.next()
                answers.append(try XCTUnwrap(answer).text)
            }
            try await writer.finishWriting()
            let afterClosing = try await iterator.next()
            XCTAssertNil(afterClosing)
            return answers
        }
        XCTAssertEqual(answers, ["ONE", "TWO", "THREE"])
    }

    // MARK: Errors as the wire carries them

    func testAHandlersErrorArrivesAsItsCodeMessageAndMetadataOnly() async throws {
        let client = Gongzhi_Test_V1_EchoClient(channel: echoChannel())
        let error = await expectError(.notFound, "there is no such notice") {
            _ = try await client.unary(
                request("") {
                    $0.failCode = StatusCode.notFound.rawValue
                    $0.failMessage = "there is no such notice"
                }
            )
        }
        // The response metadata the handler set, then the error's own; the cause never travels.
        XCTAssertEqual(error?.metadata, ["x-before-failing": "yes", "x-failure": "detail"])
        XCTAssertNil(error?.cause)

        let plain = RPCServiceDefinition(
            serviceName: "test.Plain",
            methodHandlers: ["Fail": RPCMethodHandler(unary: { _, _ in throw CocoaError(.fileNoSuchFile) })]
        )
        let unknown = await expectError(.unknown) {
            _ = try await InProcessChannel(services: [plain]).unary(
                service: "test.Plain",
                method: "Fail",
                payload: Data(),
                options: .defaults
            )
        }
        XCTAssertNil(unknown?.cause)
    }

    func testUnknownServicesAndMethodsAreRefusedWithTheServersMessages() async throws {
        let channel = echoChannel()
        _ = await expectError(
            .unimplemented,
            "service gongzhi.test.v1.Nope is not served here (served: gongzhi.test.v1.Echo)"
        ) {
            _ = try await channel.unary(
                service: "gongzhi.test.v1.Nope",
                method: "Unary",
                payload: Data(),
                options: .defaults
            )
        }
        _ = await expectError(.unimplemented, "service (empty name) is not served here (served: gongzhi.test.v1.Echo)")
        {
            _ = try await channel.unary(service: "", method: "Unary", payload: Data(), options: .defaults)
        }
        _ = await expectError(
            .unimplemented,
            "gongzhi.test.v1.Echo has no method Shout (it has: Chat, Collect, Expand, Unary)"
        ) {
            _ = try await channel.unary(
                service: Gongzhi_Test_V1_Echo.serviceName,
                method: "Shout",
                payload: Data(),
                options: .defaults
            )
        }
        // A streaming call that is refused fails when its outcome is read, as it does over a socket.
        let stream = try await channel.openStream(
            service: Gongzhi_Test_V1_Echo.serviceName,
            method: "Shout",
            kind: .serverStreaming,
            payload: Data(),
            options: .defaults
        )
        _ = await expectError(.unimplemented) { for try await _ in stream.responses {} }
        _ = await expectError(.unimplemented) { _ = try await stream.finalResponse() }
    }

    func testACallOfTheWrongShapeIsRefusedWithTheServersMessages() async throws {
        let channel = echoChannel()
        let echo = Gongzhi_Test_V1_Echo.serviceName
        _ = await expectError(
            .invalidArgument,
            "gongzhi.test.v1.Echo/Expand is a server-streaming method; send its one request with the remote-closed flag"
        ) {
            _ = try await channel.unary(service: echo, method: "Expand", payload: Data(), options: .defaults)
        }
        let intoUnary = try await channel.openStream(
            service: echo,
            method: "Unary",
            kind: .clientStreaming,
            payload: Data(),
            options: .defaults
        )
        _ = await expectError(
            .invalidArgument,
            "gongzhi.test.v1.Echo/Unary is a unary method, but the request announced a stream of requests"
        ) { _ = try await intoUnary.finalResponse() }
        let intoCollect = try await channel.openStream(
            service: echo,
            method: "Collect",
            kind: .serverStreaming,
            payload: Data(),
            options: .defaults
        )
        _ = await expectError(
            .invalidArgument,
            "gongzhi.test.v1.Echo/Collect is a clientStreaming method; open it with the remote-open flag"
        ) { _ = try await intoCollect.finalResponse() }
    }

    func testPayloadsStayBytesSoCodecErrorsSurfaceAsOnTheWire() async throws {
        let channel = echoChannel()
        // A request that does not decode is the caller's mistake…
        let bad = await expectError(.invalidArgument) {
            _ = try await channel.unary(
                service: Gongzhi_Test_V1_Echo.serviceName,
                method: Gongzhi_Test_V1_Echo.Method.unary,
                payload: Data([0xFF, 0xFF, 0xFF]),
                options: .defaults
            )
        }
        XCTAssertTrue(
            bad?.message.hasPrefix("the payload is not a valid gongzhi.test.v1.EchoRequest (3 bytes)") == true
        )
        // …and an answer that does not decode as what the caller expects is the server's.
        let wrong = await expectError(.internal) {
            _ = try await channel.unary(
                service: Gongzhi_Test_V1_Echo.serviceName,
                method: Gongzhi_Test_V1_Echo.Method.unary,
                request: request("text") { $0.payload = Data(repeating: 0xFF, count: 8) },
                responseType: Gongzhi_Rpc_V1_Request.self
            )
        }
        XCTAssertTrue(wrong?.message.hasPrefix("the payload is not a valid gongzhi.rpc.v1.Request") == true)
    }

    func testTheFrameLimitAppliesToRequestsAndResponses() async throws {
        var limits = InProcessChannel.Limits()
        limits.maxDataLength = 2048
        let channel = echoChannel(limits: limits)
        let big = Data(repeating: 7, count: 3000)
        let request = await expectError(.resourceExhausted) {
            _ = try await channel.unary(
                service: Gongzhi_Test_V1_Echo.serviceName,
                method: "Unary",
                payload: big,
                options: .defaults
            )
        }
        XCTAssertTrue(
            request?.message.hasPrefix("the request to gongzhi.test.v1.Echo/Unary is 30") == true,
            "\(String(describing: request))"
        )
        XCTAssertTrue(request?.message.hasSuffix("bytes, over the 2048-byte frame limit") == true)

        // A response that grows past the limit (the request fits) is refused by the server's side.
        let response = await expectError(.resourceExhausted) {
            _ = try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(
                self.request(String(repeating: "x", count: 600)) { $0.payload = Data(repeating: 1, count: 600) },
                options: CallOptions(metadata: ["x-echo": String(repeating: "y", count: 450)])
            )
        }
        XCTAssertTrue(response?.message.hasPrefix("the response with its metadata is ") == true)

        let stream = try await channel.openStream(
            service: Gongzhi_Test_V1_Echo.serviceName,
            method: "Chat",
            kind: .bidirectionalStreaming,
            payload: Data(),
            options: .defaults
        )
        _ = await expectError(.resourceExhausted, "a request message of 3000 bytes is over the 2048-byte frame limit") {
            try await stream.send(big)
        }
        stream.cancel()
    }

    // MARK: Deadlines and cancellation

    func testADeadlineEndsTheCallWithDeadlineExceededAndCancelsTheHandler() async throws {
        let waiting = Waiting()
        let channel = InProcessChannel(services: [waiting.service])
        let started = ContinuousClock.now
        _ = await expectError(.deadlineExceeded, "test.Wait/Unary did not finish within its 0.05 seconds deadline") {
            _ = try await channel.unary(
                service: "test.Wait",
                method: "Unary",
                payload: Data(),
                options: CallOptions(timeout: .milliseconds(50))
            )
        }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(50))
        let first = await waiting.next()
        let second = await waiting.next()
        XCTAssertEqual([first, second], ["started", "cancelled"])
        // The handler knew when its caller would stop waiting.
        let deadline = try XCTUnwrap(waiting.deadline.withLock { $0 })
        XCTAssertLessThanOrEqual(deadline, started + .milliseconds(60))

        // A stream's deadline ends its responses and its outcome the same way.
        let stream = try await channel.openStream(
            service: "test.Wait",
            method: "Stream",
            kind: .bidirectionalStreaming,
            payload: Data(),
            options: CallOptions(timeout: .milliseconds(30))
        )
        _ = await expectError(.deadlineExceeded, "test.Wait/Stream did not finish within its 0.03 seconds deadline") {
            for try await _ in stream.responses {}
        }
        let streamFirst = await waiting.next()
        let streamSecond = await waiting.next()
        XCTAssertEqual([streamFirst, streamSecond], ["started", "cancelled"])
    }

    func testACallerThatCancelsGetsCancelledAndTheHandlerIsCancelledToo() async throws {
        let waiting = Waiting()
        let channel = InProcessChannel(services: [waiting.service])
        let call = Task {
            try await channel.unary(service: "test.Wait", method: "Unary", payload: Data(), options: .defaults)
        }
        let started = await waiting.next()
        XCTAssertEqual(started, "started")
        call.cancel()
        _ = await expectError(.cancelled, "test.Wait/Unary was cancelled by the caller") { _ = try await call.value }
        let ended = await waiting.next()
        XCTAssertEqual(ended, "cancelled")

        let stream = try await channel.openStream(
            service: "test.Wait",
            method: "Stream",
            kind: .bidirectionalStreaming,
            payload: Data(),
            options: .defaults
        )
        let streamStarted = await waiting.next()
        XCTAssertEqual(streamStarted, "started")
        stream.cancel()
        _ = await expectError(.cancelled, "test.Wait/Stream was cancelled by the caller") {
            _ = try await stream.finalResponse()
        }
        let streamEnded = await waiting.next()
        XCTAssertEqual(streamEnded, "cancelled")
    }

    func testSendingOnACallThatHasEndedSaysWhy() async throws {
        let channel = echoChannel()
        // The handler failed: a later message reports that failure.
        let failing = try await channel.openStream(
            service: Gongzhi_Test_V1_Echo.serviceName,
            method: "Chat",
            kind: .bidirectionalStreaming,
            payload: Data(),
            options: .defaults
        )
        var fail = request("")
        fail.failCode = StatusCode.aborted.rawValue
        fail.failMessage = "conflict"
        try await failing.send(try MessageCodec.encode(fail))
        _ = await expectError(.aborted, "conflict") { _ = try await failing.finalResponse() }
        _ = await expectError(.aborted, "conflict") {
            try await failing.send(try MessageCodec.encode(self.request("late")))
        }

        // The call finished well: a later message is refused, naming the call.
        let finished = try await channel.openStream(
            service: Gongzhi_Test_V1_Echo.serviceName,
            method: "Collect",
            kind: .clientStreaming,
            payload: Data(),
            options: .defaults
        )
        try await finished.closeSend()
        _ = try await finished.finalResponse()
        _ = await expectError(
            .failedPrecondition,
            "gongzhi.test.v1.Echo/Collect has already finished; the message was not sent"
        ) {
            try await finished.send(Data())
        }

        // A server-streaming call sends no requests after its one.
        let waiting = Waiting()
        let following = try await InProcessChannel(services: [waiting.service]).openStream(
            service: "test.Wait",
            method: "Follow",
            kind: .serverStreaming,
            payload: Data(),
            options: .defaults
        )
        _ = await expectError(.failedPrecondition, "cannot send data after closing the sending side") {
            try await following.send(Data())
        }
        following.cancel()
    }
}
