import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The final response of a call on serialized bytes, with the metadata the server sent.
public struct RawResponse: Sendable, Hashable {
    public var payload: Data
    public var metadata: Metadata
    public init(payload: Data, metadata: Metadata = [:]) {
        self.payload = payload
        self.metadata = metadata
    }
}

/// A decoded response and the metadata the server sent with it.
public struct ClientResponse<Message: Sendable>: Sendable {
    public var message: Message
    public var metadata: Metadata
    public init(message: Message, metadata: Metadata) {
        self.message = message
        self.metadata = metadata
    }
}

/// One open streaming call on a client, on serialized messages.
public protocol RPCClientStream: Sendable {
    /// Sends one request message as a data frame.
    func send(_ payload: Data) async throws
    /// Closes the sending side; the server sees the end of its request stream.
    func closeSend() async throws
    /// The response messages sent as data frames. Ends at an OK final response; throws its error otherwise.
    var responses: AsyncThrowingStream<Data, any Error> { get }
    /// Waits for the final response of the call.
    func finalResponse() async throws -> RawResponse
    /// Abandons the call: pending waits fail with CANCELLED and later frames are ignored.
    func cancel()
}

/// Something that carries calls to a server: a connection, or a router in front of several.
public protocol RPCClientChannel: Sendable {
    /// Makes a unary call on serialized messages.
    func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse
    /// Opens a streaming call. `payload` is the request of a server-streaming call and is empty otherwise.
    func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream
}

extension RPCClientChannel {
    /// Makes a unary call with typed messages.
    public func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        service: String,
        method: String,
        request: Request,
        responseType: Response.Type = Response.self,
        options: CallOptions = .defaults
    ) async throws -> ClientResponse<Response> {
        let raw = try await unary(
            service: service,
            method: method,
            payload: try MessageCodec.encode(request),
            options: options
        )
        return ClientResponse(
            message: try MessageCodec.decode(Response.self, from: raw.payload, failingWith: .internal),
            metadata: raw.metadata
        )
    }

    /// Makes a client-streaming call: `body` writes the requests; the answer comes when it returns.
    public func clientStreaming<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        service: String,
        method: String,
        responseType: Response.Type = Response.self,
        options: CallOptions = .defaults,
        _ body: (RPCRequestWriter<Request>) async throws -> Void
    ) async throws -> ClientResponse<Response> {
        let stream = try await openStream(
            service: service,
            method: method,
            kind: .clientStreaming,
            payload: Data(),
            options: options
        )
        do {
            try await body(Self.writer(for: stream))
            try await stream.closeSend()
            let raw = try await stream.finalResponse()
            return ClientResponse(
                message: try MessageCodec.decode(Response.self, from: raw.payload, failingWith: .internal),
                metadata: raw.metadata
            )
        } catch {
            stream.cancel()
            throw error
        }
    }

    /// Makes a server-streaming call: `handle` reads the responses.
    public func serverStreaming<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message, Result>(
        service: String,
        method: String,
        request: Request,
        responseType: Response.Type = Response.self,
        options: CallOptions = .defaults,
        _ handle: (RPCResponseStream<Response>) async throws -> Result
    ) async throws -> Result {
        let stream = try await openStream(
            service: service,
            method: method,
            kind: .serverStreaming,
            payload: try MessageCodec.encode(request),
            options: options
        )
        defer { stream.cancel() }
        return try await handle(Self.responses(of: stream, as: Response.self))
    }

    /// Makes a bidirectional call: `body` writes requests and reads responses as it likes.
    /// The sending side is closed when `body` returns, if `body` did not close it.
    public func bidirectionalStreaming<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message, Result>(
        service: String,
        method: String,
        responseType: Response.Type = Response.self,
        options: CallOptions = .defaults,
        _ body: (RPCRequestWriter<Request>, RPCResponseStream<Response>) async throws -> Result
    ) async throws -> Result {
        let stream = try await openStream(
            service: service,
            method: method,
            kind: .bidirectionalStreaming,
            payload: Data(),
            options: options
        )
        defer { stream.cancel() }
        let result = try await body(Self.writer(for: stream), Self.responses(of: stream, as: Response.self))
        try? await stream.closeSend()
        return result
    }

    private static func writer<Request: SwiftProtobuf.Message>(
        for stream: any RPCClientStream
    ) -> RPCRequestWriter<Request> {
        RPCMessageWriter(
            sendRaw: { try await stream.send($0) },
            finish: { try await stream.closeSend() },
            encode: { try MessageCodec.encode($0) }
        )
    }

    private static func responses<Response: SwiftProtobuf.Message>(
        of stream: any RPCClientStream,
        as type: Response.Type
    ) -> RPCResponseStream<Response> {
        RPCMessageStream(
            raw: stream.responses,
            decode: { try MessageCodec.decode(Response.self, from: $0, failingWith: .internal) }
        )
    }
}

/// A channel that sets metadata entries on every call made through it (a token, for example),
/// replacing entries of the same keys that the caller set.
public struct MetadataAddingChannel: RPCClientChannel {
    public let base: any RPCClientChannel
    public let metadata: Metadata

    public init(base: any RPCClientChannel, metadata: Metadata) {
        self.base = base
        self.metadata = metadata
    }

    private func adding(to options: CallOptions) -> CallOptions {
        var options = options
        for entry in metadata { options.metadata[entry.key] = entry.value }
        return options
    }

    public func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse
    {
        try await base.unary(service: service, method: method, payload: payload, options: adding(to: options))
    }

    public func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream {
        try await base.openStream(
            service: service,
            method: method,
            kind: kind,
            payload: payload,
            options: adding(to: options)
        )
    }
}

extension RPCClientChannel {
    /// This channel, setting `metadata` on every call.
    public func addingMetadata(_ metadata: Metadata) -> MetadataAddingChannel {
        MetadataAddingChannel(base: self, metadata: metadata)
    }
}
