import GongzhiRPC
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A ttrpc client of one Unix-domain socket.
///
/// Concurrent callers share one connection. The connection is opened on the first call and opened
/// again on the next call after it breaks. Calls in flight on a connection that breaks fail at once
/// with UNAVAILABLE; a call that cannot connect fails at once with UNAVAILABLE, it never hangs.
public final class RPCClient: RPCClientChannel, Sendable {
    public struct Configuration: Sendable {
        public var socketPath: String
        /// How long to wait for the server to accept a connection.
        public var connectTimeout: Duration = .seconds(5)
        /// The largest frame data sent and accepted (ttrpc's limit is 4 MiB).
        public var maxDataLength = Frame.maxDataLength
        /// Response messages of a streaming call that may wait unread before the call fails.
        public var maxBufferedResponsesPerStream = 4096

        public init(socketPath: String) {
            self.socketPath = socketPath
        }
    }

    /// One open connection and what callers need to use it from any thread.
    private final class Connection: Sendable {
        let channel: any Channel
        let handler: NIOLoopBound<ClientConnectionHandler>
        let batch: OutboundBatch
        private let nextStreamID = Atomic<UInt64>(1)

        init(channel: any Channel, handler: ClientConnectionHandler) {
            self.channel = channel
            self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
            self.batch = handler.batch
        }

        /// The next odd stream id, or nil when the connection has used them all.
        func allocateStreamID() -> UInt32? {
            // Counted in 64 bits so the count never wraps around to ids still in use.
            let id = nextStreamID.add(2, ordering: .relaxed).oldValue
            return id < UInt64(UInt32.max) ? UInt32(id) : nil
        }

        /// Runs `body` on the connection's event loop with its handler: at once when the caller is
        /// already on that loop (as tasks are when NIO serves as Swift's global executor) and nothing
        /// queued earlier is still waiting, so one caller's operations always run in order.
        func enqueue(_ body: @escaping @Sendable (ClientConnectionHandler) -> Void) {
            let waiting = batch.enqueue()
            if waiting == 0 && channel.eventLoop.inEventLoop {
                body(handler.value)
            } else {
                let handler = self.handler
                channel.eventLoop.execute { body(handler.value) }
            }
        }
    }

    private enum State {
        case idle
        case connecting(EventLoopFuture<Connection>)
        case connected(Connection)
        case closed
    }

    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex<State>(.idle)

    public init(
        configuration: Configuration,
        logger: Logger = Logger(label: "gongzhi.rpc.client", factory: { _ in SwiftLogNoOpLogHandler() }),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
    }

    public convenience init(socketPath: String) {
        self.init(configuration: Configuration(socketPath: socketPath))
    }

    /// Closes the connection; calls in flight fail with UNAVAILABLE and later calls are refused.
    public func close() async {
        let previous = state.withLock { state -> State in
            defer { state = .closed }
            return state
        }
        switch previous {
        case .connected(let connection):
            try? await connection.channel.close()
        case .connecting(let future):
            if let connection = try? await future.get() { try? await connection.channel.close() }
        case .idle, .closed:
            break
        }
    }

    // MARK: Calls

    public func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse
    {
        let connection = try await connection()
        let request = try envelope(
            on: connection,
            service: service,
            method: method,
            payload: payload,
            options: options,
            flags: []
        )
        let streamID = request.streamID
        let cancellation = CallCancellation()
        let name = "\(service)/\(method)"
        let timeout = options.timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                connection.enqueue { handler in
                    handler.startUnary(
                        request,
                        timeout: timeout,
                        name: name,
                        cancellation: cancellation,
                        completion: { continuation.resume(with: $0) }
                    )
                }
            }
        } onCancel: {
            cancellation.cancel()
            connection.enqueue { handler in
                handler.cancel(
                    streamID: streamID,
                    error: RPCError(code: .cancelled, message: "\(name) was cancelled by the caller")
                )
            }
        }
    }

    /// Makes a unary call and hands its result to `completion`, on the connection's event loop once
    /// connected. No task is involved: for code that runs on event loops, such as a router passing calls
    /// on, this saves the hop between the loop and Swift's task executor.
    public func unary(
        service: String,
        method: String,
        payload: Data,
        options: CallOptions,
        completion: @escaping @Sendable (Result<RawResponse, any Error>) -> Void
    ) {
        let connected = state.withLock { state -> Connection? in
            if case .connected(let connection) = state, connection.channel.isActive { return connection }
            return nil
        }
        guard let connection = connected else {
            // Not connected yet (or any more): connect the usual way.
            Task {
                do {
                    completion(
                        .success(
                            try await self.unary(service: service, method: method, payload: payload, options: options)
                        )
                    )
                } catch {
                    completion(.failure(error))
                }
            }
            return
        }
        let request: ClientConnectionHandler.OutgoingRequest
        do {
            request = try envelope(
                on: connection,
                service: service,
                method: method,
                payload: payload,
                options: options,
                flags: []
            )
        } catch {
            completion(.failure(error))
            return
        }
        let name = "\(service)/\(method)"
        let timeout = options.timeout
        connection.enqueue { handler in
            handler.startUnary(
                request,
                timeout: timeout,
                name: name,
                cancellation: CallCancellation(),
                completion: completion
            )
        }
    }

    public func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream {
        let connection = try await connection()
        let flags = StreamStateMachine.requestFlags(unary: kind == .unary, sendsData: kind.clientStreams)
        let request = try envelope(
            on: connection,
            service: service,
            method: method,
            payload: payload,
            options: options,
            flags: flags
        )
        let streamID = request.streamID
        let (responses, continuation) = AsyncThrowingStream<Data, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(configuration.maxBufferedResponsesPerStream)
        )
        let final = connection.channel.eventLoop.makePromise(of: RawResponse.self)
        let name = "\(service)/\(method)"
        let cancellation = CallCancellation()
        let timeout = options.timeout
        let sendsData = kind.clientStreams
        connection.enqueue { handler in
            let call = ClientConnectionHandler.StreamCall(responses: continuation, final: final, name: name)
            handler.startStream(
                request,
                sendsData: sendsData,
                timeout: timeout,
                call: call,
                cancellation: cancellation
            )
        }
        return ClientStream(
            connection: connection,
            streamID: streamID,
            name: name,
            maxDataLength: configuration.maxDataLength,
            responses: responses,
            final: final.futureResult,
            cancellation: cancellation
        )
    }

    private struct ClientStream: RPCClientStream {
        let connection: Connection
        let streamID: UInt32
        let name: String
        let maxDataLength: Int
        let responses: AsyncThrowingStream<Data, any Error>
        let final: EventLoopFuture<RawResponse>
        let cancellation: CallCancellation

        func send(_ payload: Data) async throws {
            guard payload.count <= maxDataLength else {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "a request message of \(payload.count) bytes is over the \(maxDataLength)-byte frame limit"
                )
            }
            try await write(payload)
        }

        func closeSend() async throws {
            try await write(nil)
        }

        private func write(_ payload: Data?) async throws {
            let promise = connection.channel.eventLoop.makePromise(of: Void.self)
            let streamID = self.streamID
            connection.enqueue { handler in
                handler.sendData(streamID: streamID, payload: payload, promise: promise)
            }
            do {
                try await promise.futureResult.get()
            } catch is ClientConnectionHandler.CallEnded {
                // The call ended before this message went out; its outcome (already known) says why.
                _ = try await final.get()
                throw RPCError(
                    code: .failedPrecondition,
                    message: "\(name) has already finished; the message was not sent"
                )
            }
        }

        func finalResponse() async throws -> RawResponse {
            try await withTaskCancellationHandler {
                try await final.get()
            } onCancel: {
                cancel()
            }
        }

        func cancel() {
            cancellation.cancel()
            let streamID = self.streamID
            let name = self.name
            connection.enqueue { handler in
                handler.cancel(
                    streamID: streamID,
                    error: RPCError(code: .cancelled, message: "\(name) was cancelled by the caller")
                )
            }
        }
    }

    // MARK: Connections

    private func envelope(
        on connection: Connection,
        service: String,
        method: String,
        payload: Data,
        options: CallOptions,
        flags: FrameFlags
    ) throws -> ClientConnectionHandler.OutgoingRequest {
        guard let streamID = connection.allocateStreamID() else {
            connection.channel.close(promise: nil)
            throw RPCError(
                code: .unavailable,
                message: "the connection has used all its stream ids; retry on a new connection"
            )
        }
        // Written into a frame on the connection's loop, straight into its outbound buffer.
        let request = ClientConnectionHandler.OutgoingRequest(
            streamID: streamID,
            flags: flags,
            service: service,
            method: method,
            payload: payload,
            options: options
        )
        guard request.dataLength <= configuration.maxDataLength else {
            throw RPCError(
                code: .resourceExhausted,
                message: "the request to \(service)/\(method) is \(request.dataLength) bytes, "
                    + "over the \(configuration.maxDataLength)-byte frame limit"
            )
        }
        return request
    }

    private func connection() async throws -> Connection {
        enum Next {
            case use(Connection)
            case wait(EventLoopFuture<Connection>)
            case connect(EventLoopPromise<Connection>)
            case refuse
        }
        let next = state.withLock { state -> Next in
            switch state {
            case .connected(let connection) where connection.channel.isActive:
                return .use(connection)
            case .connecting(let future):
                return .wait(future)
            case .closed:
                return .refuse
            case .idle, .connected:
                // Only claim the attempt under the lock; connecting happens outside it, because its
                // callbacks may run at once on this thread and take the lock again.
                let promise = group.any().makePromise(of: Connection.self)
                state = .connecting(promise.futureResult)
                return .connect(promise)
            }
        }
        switch next {
        case .use(let connection):
            return connection
        case .connect(let promise):
            connect(completing: promise)
            return try await connection()
        case .refuse:
            throw RPCError(code: .unavailable, message: "the client of \(configuration.socketPath) was closed")
        case .wait(let future):
            do {
                return try await future.get()
            } catch {
                throw RPCError(
                    code: .unavailable,
                    message:
                        "cannot connect to \(configuration.socketPath): \(Self.describe(error)) (is the server running?)",
                    cause: error
                )
            }
        }
    }

    private func connect(completing promise: EventLoopPromise<Connection>) {
        let path = configuration.socketPath
        let logger = self.logger
        let maxDataLength = configuration.maxDataLength
        let timeout = TimeAmount.nanoseconds(configuration.connectTimeout.saturatingNanoseconds)
        let future = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        FrameReader(maxDataLength: maxDataLength),
                        ClientConnectionHandler(socketPath: path, logger: logger)
                    )
                }
            }
            .connect(unixDomainSocketPath: path)
            .flatMap { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
                    return Connection(channel: channel, handler: handler)
                }
            }
        let attempt = promise.futureResult
        future.whenComplete { [weak self] result in
            // The client's state first, then the waiters: a waiter that calls again finds the connection.
            self?.state.withLock { state in
                guard case .connecting(let pending) = state, pending === attempt else { return }
                switch result {
                case .success(let connection): state = .connected(connection)
                case .failure: state = .idle
                }
            }
            if case .success(let connection) = result {
                connection.channel.closeFuture.whenComplete { [weak self] _ in
                    self?.state.withLock { state in
                        if case .connected(let current) = state, current === connection { state = .idle }
                    }
                }
            }
            promise.completeWith(result)
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        if error is ChannelError {
            return "\(error)"
        }
        return String(describing: error)
    }
}
