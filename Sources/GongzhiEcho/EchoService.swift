import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `gongzhi.test.v1.Echo` service: answers what it is sent, in all four call shapes.
///
/// Requests can ask it to wait (`delay_ms`) or to fail with a status (`fail_code`), and the
/// metadata key `x-echo` is appended to the answered text and returned as response metadata, so
/// tests see deadlines, errors and metadata cross the wire in both directions.
public struct EchoService: Gongzhi_Test_V1_EchoHandler {
    public init() {}

    public func unary(
        request: Gongzhi_Test_V1_EchoRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_EchoResponse {
        // Tests wait for this line to know that a slow call reached its handler.
        if request.delayMs > 0 { context.logger.debug("unary call waiting \(request.delayMs) ms: \(request.text)") }
        try await Self.honourDelayAndFailure(request)
        var response = Gongzhi_Test_V1_EchoResponse()
        response.payload = request.payload
        response.text = Self.echoedText(request.text, context)
        response.sequence = 1
        response.peer = context.peer.description
        return response
    }

    public func collect(
        requests: RPCRequestStream<Gongzhi_Test_V1_EchoRequest>,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_EchoResponse {
        var response = Gongzhi_Test_V1_EchoResponse()
        var text = ""
        for try await request in requests {
            try await Self.honourDelayAndFailure(request)
            text += request.text
            response.payload.append(request.payload)
            response.sequence += 1
        }
        response.text = Self.echoedText(text, context)
        response.peer = context.peer.description
        return response
    }

    public func expand(
        request: Gongzhi_Test_V1_EchoRequest,
        responses: RPCResponseWriter<Gongzhi_Test_V1_EchoResponse>,
        context: ServerCallContext
    ) async throws {
        for index in 0..<request.repeat {
            if request.delayMs > 0 { try await Task.sleep(for: .milliseconds(request.delayMs)) }
            var response = Gongzhi_Test_V1_EchoResponse()
            response.payload = request.payload
            response.text = Self.echoedText(request.text, context)
            response.sequence = index + 1
            try await responses.write(response)
        }
        if request.failCode != 0 {
            throw RPCError(code: StatusCode(rawValue: request.failCode), message: request.failMessage)
        }
    }

    public func chat(
        requests: RPCRequestStream<Gongzhi_Test_V1_EchoRequest>,
        responses: RPCResponseWriter<Gongzhi_Test_V1_EchoResponse>,
        context: ServerCallContext
    ) async throws {
        var sequence: UInt32 = 0
        for try await request in requests {
            try await Self.honourDelayAndFailure(request)
            sequence += 1
            var response = Gongzhi_Test_V1_EchoResponse()
            response.payload = request.payload
            response.text = Self.echoedText(request.text, context)
            response.sequence = sequence
            try await responses.write(response)
        }
    }

    private static func honourDelayAndFailure(_ request: Gongzhi_Test_V1_EchoRequest) async throws {
        if request.delayMs > 0 {
            try await Task.sleep(for: .milliseconds(request.delayMs))
        }
        if request.failCode != 0 {
            throw RPCError(code: StatusCode(rawValue: request.failCode), message: request.failMessage)
        }
    }

    private static func echoedText(_ text: String, _ context: ServerCallContext) -> String {
        guard let echo = context.requestMetadata["x-echo"] else { return text }
        context.addResponseMetadata("x-echo", echo)
        return text + "|" + echo
    }
}
