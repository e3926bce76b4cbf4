import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The requests a client streams to a server handler.
public typealias RPCRequestStream<Message: Sendable> = RPCMessageStream<Message>
/// The responses a server streams to a client.
public typealias RPCResponseStream<Message: Sendable> = RPCMessageStream<Message>
/// What a server handler writes its streamed responses with.
public typealias RPCResponseWriter<Message: Sendable> = RPCMessageWriter<Message>
/// What a client writes its streamed requests with.
public typealias RPCRequestWriter<Message: Sendable> = RPCMessageWriter<Message>

/// Messages streamed by the other end, in order: requests on a server, responses on a client.
/// Ends when the other end closes its side; throws the call's error if it fails.
public struct RPCMessageStream<Message: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Message
    fileprivate let base: AsyncThrowingStream<Data, any Error>
    fileprivate let decode: @Sendable (Data) throws -> Message

    public init(raw: AsyncThrowingStream<Data, any Error>, decode: @escaping @Sendable (Data) throws -> Message) {
        self.base = raw
        self.decode = decode
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Data, any Error>.AsyncIterator
        let decode: @Sendable (Data) throws -> Message
        public mutating func next() async throws -> Message? {
            guard let data = try await base.next() else { return nil }
            return try decode(data)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), decode: decode)
    }
}

/// Sends messages to the other end as data frames: responses from a server, requests from a client.
public struct RPCMessageWriter<Message: Sendable>: Sendable {
    fileprivate let sendRaw: @Sendable (Data) async throws -> Void
    fileprivate let finishRaw: @Sendable () async throws -> Void
    private let encode: @Sendable (Message) throws -> Data

    public init(
        sendRaw: @escaping @Sendable (Data) async throws -> Void,
        finish: @escaping @Sendable () async throws -> Void = {},
        encode: @escaping @Sendable (Message) throws -> Data
    ) {
        self.sendRaw = sendRaw
        self.finishRaw = finish
        self.encode = encode
    }

    /// Sends one message. Throws when the call has ended (deadline, cancellation, connection lost).
    public func write(_ message: Message) async throws {
        try await sendRaw(try encode(message))
    }

    /// Closes the sending side, so the other end sees its stream end. A client uses it to finish its
    /// requests while it goes on reading responses; a server's stream ends when its handler returns,
    /// so there it does nothing.
    public func finishWriting() async throws {
        try await finishRaw()
    }
}

/// One method's handler, on serialized messages. Generated stubs build these from typed handlers;
/// a router can use them directly to pass payloads on without decoding them.
public struct RPCMethodHandler: Sendable {
    public typealias Unary = @Sendable (Data, ServerCallContext) async throws -> Data
    /// Streaming handlers read requests from the stream, write responses with the writer, and return
    /// the payload of the final response (the answer of a client-streaming call, or empty).
    public typealias Streaming =
        @Sendable (RPCRequestStream<Data>, RPCResponseWriter<Data>, ServerCallContext) async throws -> Data

    /// A unary handler that answers through a callback instead of by returning. The server calls it on
    /// the connection's event loop and creates no task: for handlers that only pass the call on without
    /// blocking (a router), which saves the hop between the loop and Swift's task executor. The deadline
    /// is enforced by the server as for any handler; the handler is not told of cancellation.
    public typealias UnaryCallback =
        @Sendable (Data, ServerCallContext, @escaping @Sendable (Result<Data, any Error>) -> Void) -> Void

    public enum Body: Sendable {
        case unary(Unary)
        case unaryCallback(UnaryCallback)
        case streaming(Streaming)
    }

    public let kind: RPCKind
    public let body: Body

    public init(unary: @escaping Unary) {
        self.kind = .unary
        self.body = .unary(unary)
    }

    public init(unaryCallback: @escaping UnaryCallback) {
        self.kind = .unary
        self.body = .unaryCallback(unaryCallback)
    }

    public init(kind: RPCKind, streaming: @escaping Streaming) {
        self.kind = kind
        self.body = .streaming(streaming)
    }
}

/// A service a server serves: its fully qualified name and a handler for each method.
public protocol RPCService: Sendable {
    /// The fully qualified protobuf service name, e.g. `gongzhi.plugin.v1.Plugin`.
    var serviceName: String { get }
    /// Handlers by method name.
    var methodHandlers: [String: RPCMethodHandler] { get }
    /// The descriptors of the service and of every message it uses, when known (generated stubs know them).
    var fileDescriptorSet: RPCFileDescriptorSet? { get }
}

extension RPCService {
    /// None by default: a service assembled by hand describes no messages.
    public var fileDescriptorSet: RPCFileDescriptorSet? { nil }
}

/// A serialized `google.protobuf.FileDescriptorSet`: the `.proto` files that define a service and its
/// messages, as `protoc --include_imports --descriptor_set_out` writes them.
public struct RPCFileDescriptorSet: Sendable, Hashable {
    public var bytes: Data

    public init(bytes: Data) {
        self.bytes = bytes
    }

    /// From base64 (line breaks allowed), as generated stubs hold it; nil when it is not base64.
    public init?(base64: String) {
        guard let bytes = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else { return nil }
        self.bytes = bytes
    }
}

/// A service assembled from handlers at run time, for routers and tests.
public struct RPCServiceDefinition: RPCService {
    public var serviceName: String
    public var methodHandlers: [String: RPCMethodHandler]

    public init(serviceName: String, methodHandlers: [String: RPCMethodHandler]) {
        self.serviceName = serviceName
        self.methodHandlers = methodHandlers
    }
}

/// Encoding and decoding of protobuf messages for calls.
public enum MessageCodec {
    /// Map entries in key order, so that a message encodes to the same bytes every time and as protobuf-c
    /// writes it from key-sorted entries (the shared vectors in Tests/Vectors hold both to that).
    public static let encodingOptions: BinaryEncodingOptions = {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return options
    }()

    public static func encode<M: SwiftProtobuf.Message>(_ message: M) throws -> Data {
        do {
            let bytes: MessageBytes = try message.serializedBytes(options: encodingOptions)
            return bytes.data
        } catch {
            throw RPCError(
                code: .internal,
                message: "cannot encode \(M.protoMessageName): \(error)",
                cause: error
            )
        }
    }

    /// Decodes a message. A request that does not decode is the caller's mistake (INVALID_ARGUMENT);
    /// a client passes `.internal` for a response that does not, which is the server's.
    public static func decode<M: SwiftProtobuf.Message>(
        _ type: M.Type,
        from data: Data,
        failingWith code: StatusCode = .invalidArgument
    ) throws -> M {
        do {
            return try M(serializedBytes: data)
        } catch {
            throw RPCError(
                code: code,
                message: "the payload is not a valid \(M.protoMessageName) (\(data.count) bytes): \(error)",
                cause: error
            )
        }
    }
}

extension RPCMessageStream where Message == Data {
    /// The same stream, each message decoded with `decode`.
    public func decoding<Decoded: Sendable>(
        _ decode: @escaping @Sendable (Data) throws -> Decoded
    ) -> RPCMessageStream<Decoded> {
        let inner = self.decode
        return RPCMessageStream<Decoded>(raw: base, decode: { try decode(try inner($0)) })
    }

    /// The one message of a stream that must hold exactly one (the request of a server-streaming call).
    public func single<Decoded>(_ decode: (Data) throws -> Decoded) async throws -> Decoded {
        var iterator = makeAsyncIterator()
        guard let first = try await iterator.next() else {
            throw RPCError(code: .invalidArgument, message: "the call carried no request message")
        }
        return try decode(first)
    }
}

extension RPCMessageWriter where Message == Data {
    /// A writer that encodes each message with `encode` before sending it.
    public func encoding<Encoded: Sendable>(
        _ encode: @escaping @Sendable (Encoded) throws -> Data
    ) -> RPCMessageWriter<Encoded> {
        RPCMessageWriter<Encoded>(sendRaw: sendRaw, finish: finishRaw, encode: encode)
    }
}
