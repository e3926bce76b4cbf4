import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A client channel that hands every call straight to a server-side dispatcher in the same process: no
/// socket, no frames, no event loop — for tests that run a server's logic in milliseconds.
///
/// Calls take the path they take over a socket, and end the same way: the dispatcher chooses the handler
/// (or refuses the call with its own error), a request whose shape does not fit the method is refused with
/// the server's message, metadata travels both ways, payloads stay encoded bytes (so a request or response
/// that does not decode fails as it would on the wire), a handler's error reaches the caller as its status
/// code, message and metadata only, and the frame limit applies to messages and envelopes. A deadline ends
/// the call with DEADLINE_EXCEEDED when it passes and cancels the handler; a caller that cancels (its task,
/// or the stream) gets CANCELLED, and the handler is cancelled too, as it is when a socket's client goes
/// away. The server sees ``peer`` as the process on the other end.
///
/// ```swift
/// let channel = InProcessChannel(services: [NoticeBoardService(...)])
/// let board = Gongzhi_Example_V1_NoticeBoardClient(channel: channel)
/// ```
public struct InProcessChannel: RPCClientChannel {
    /// The limits a socket's client and server enforce, kept here so that calls fail where they would.
    public struct Limits: Sendable, Hashable {
        /// The largest message or envelope (ttrpc's limit is 4 MiB).
        public var maxDataLength = Frame.maxDataLength
        /// Request messages a streaming handler may leave unread before the call fails (as `RPCServer`).
        public var maxBufferedRequestsPerStream = 1024
        /// Response messages a caller may leave unread before the call fails (as `RPCClient`).
        public var maxBufferedResponsesPerStream = 4096

        public init() {}
    }

    /// Chooses the handler of each call, as a server's dispatcher does.
    public let dispatcher: any RPCCallDispatcher
    /// The process the server sees on the other end (in `RPCCallHead.peer` and `ServerCallContext.peer`).
    public private(set) var peer: PeerCredentials
    public var limits: Limits
    private var logger: Logger

    /// A channel to `dispatcher`, calling as `peer`. `logger` is the server side's: handlers' contexts log
    /// through it, and handlers that fail with UNKNOWN or INTERNAL are logged as a server logs them.
    public init(
        dispatcher: any RPCCallDispatcher,
        peer: PeerCredentials = .currentProcess,
        limits: Limits = Limits(),
        logger: Logger = Logger(label: "gongzhi.rpc.in-process", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.dispatcher = dispatcher
        self.peer = peer
        self.limits = limits
        var logger = logger
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
    }

    /// A channel to `services`, dispatched by service and method name as a plain server does.
    public init(
        services: [any RPCService],
        peer: PeerCredentials = .currentProcess,
        limits: Limits = Limits(),
        logger: Logger = Logger(label: "gongzhi.rpc.in-process", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.init(dispatcher: ServiceRegistry(services), peer: peer, limits: limits, logger: logger)
    }

    /// The same channel, calling as another process.
    public func calling(as peer: PeerCredentials) -> InProcessChannel {
        var channel = self
        channel.peer = peer
        channel.logger[metadataKey: "peer"] = "\(peer)"
        return channel
    }

    public func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse
    {
        let call = try start(service: service, method: method, kind: .unary, payload: payload, options: options)
        return try await call.finalResponse()
    }

    public func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream {
        let call = try start(service: service, method: method, kind: kind, payload: payload, options: options)
        return InProcessStream(call: call)
    }

    // MARK: Calls

    /// Checks the request as a client does, dispatches it as a server does, and starts its handler.
    private func start(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) throws -> InProcessCall {
        try checkRequestSize(service: service, method: method, payload: payload, options: options)
        let name = "\(service)/\(method)"
        let call = InProcessCall(name: name, kind: kind, limits: limits)
        let head = RPCCallHead(service: service, method: method, metadata: options.metadata, peer: peer)
        let handler: RPCMethodHandler
        switch dispatcher.dispatch(head) {
        case .success(let found): handler = found
        case .failure(let error):
            logger.debug("refusing call: \(error)", metadata: ["rpc": "\(name)"])
            call.end(InProcessCall.received(error, responseMetadata: [:]))
            return call
        }
        let flags = StreamStateMachine.requestFlags(unary: kind == .unary, sendsData: kind.clientStreams)
        if let mismatch = handler.kind.mismatch(requestFlags: flags, service: service, method: method) {
            call.end(InProcessCall.received(mismatch, responseMetadata: [:]))
            return call
        }
        var deadline: ContinuousClock.Instant?
        if let timeout = options.timeout {
            // As on the wire: the server learns a timeout of at least one nanosecond.
            deadline = .now + .nanoseconds(max(1, timeout.saturatingNanoseconds))
        }
        let context = ServerCallContext(
            service: service,
            method: method,
            requestMetadata: options.metadata,
            peer: peer,
            deadline: deadline,
            logger: logger
        )
        call.run(handler, context: context, payload: payload, clientSendsData: kind.clientStreams)
        if let timeout = options.timeout { call.expire(after: timeout) }
        return call
    }

    /// Refuses a request whose envelope would not fit in a frame, with the message `RPCClient` gives.
    private func checkRequestSize(service: String, method: String, payload: Data, options: CallOptions) throws {
        let metadataBytes = options.metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 }
        let estimate = payload.count + metadataBytes + service.utf8.count + method.utf8.count + 32
        // Only a request near the limit is encoded to measure it exactly.
        guard estimate > limits.maxDataLength - 1024 else { return }
        var request = Gongzhi_Rpc_V1_Request()
        request.service = service
        request.method = method
        request.payload = payload
        if let timeout = options.timeout { request.timeoutNano = max(1, timeout.saturatingNanoseconds) }
        request.metadata = options.metadata.keyValues
        let size = try (request.serializedBytes(options: MessageCodec.encodingOptions) as [UInt8]).count
        guard size <= limits.maxDataLength else {
            throw RPCError(
                code: .resourceExhausted,
                message: "the request to \(service)/\(method) is \(size) bytes, "
                    + "over the \(limits.maxDataLength)-byte frame limit"
            )
        }
    }
}

extension PeerCredentials {
    /// This process: its pid, uid and gid.
    public static var currentProcess: PeerCredentials {
        PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    }
}

/// One call of an ``InProcessChannel``: the client's end and the server's, joined in memory.
private final class InProcessCall: Sendable {
    private struct State {
        /// The client's view of the stream, which refuses what a socket's client refuses.
        var machine = StreamStateMachine(role: .client)
        var outcome: Result<RawResponse, RPCError>?
        var waiters: [CheckedContinuation<RawResponse, any Error>] = []
        /// The handler's requests, while it reads them from the client.
        var requests: AsyncThrowingStream<Data, any Error>.Continuation?
        var handler: Task<Void, Never>?
        var deadline: Task<Void, Never>?
        /// Set when the call ended from the client's side: the handler is cancelled.
        var abandoned = false
    }

    let name: String
    private let limits: InProcessChannel.Limits
    private let state: Mutex<State>
    /// The responses the handler streams, as the client reads them.
    let responses: AsyncThrowingStream<Data, any Error>
    private let responseContinuation: AsyncThrowingStream<Data, any Error>.Continuation

    init(name: String, kind: RPCKind, limits: InProcessChannel.Limits) {
        self.name = name
        self.limits = limits
        var machine = StreamStateMachine(role: .client)
        try? machine.sendRequest(unary: kind == .unary, sendsData: kind.clientStreams)
        var state = State()
        state.machine = machine
        self.state = Mutex(state)
        (responses, responseContinuation) = AsyncThrowingStream<Data, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(limits.maxBufferedResponsesPerStream)
        )
    }

    // MARK: The server's side

    /// Starts the handler on its own task (or, for a callback handler, calls it here).
    func run(_ handler: RPCMethodHandler, context: ServerCallContext, payload: Data, clientSendsData: Bool) {
        @Sendable func deliver(_ result: Result<Data, any Error>) {
            self.end(self.answer(result, context: context))
        }
        switch handler.body {
        case .unary(let body):
            attach(
                Task {
                    do {
                        deliver(.success(try await body(payload, context)))
                    } catch {
                        deliver(.failure(error))
                    }
                }
            )
        case .unaryCallback(let body):
            body(payload, context) { deliver($0) }
        case .streaming(let body):
            let (requests, continuation) = AsyncThrowingStream<Data, any Error>.makeStream(
                bufferingPolicy: .bufferingOldest(limits.maxBufferedRequestsPerStream)
            )
            if clientSendsData {
                // The request frame of a client-streaming call may carry a first message.
                if !payload.isEmpty { continuation.yield(payload) }
                let stillOpen = state.withLock { state in
                    guard state.outcome == nil else { return false }
                    state.requests = continuation
                    return true
                }
                if !stillOpen { continuation.finish() }
            } else {
                continuation.yield(payload)
                continuation.finish()
            }
            let writer = RPCMessageWriter<Data>(sendRaw: { try self.sendResponse($0) }, encode: { $0 })
            let stream = RPCMessageStream<Data>(raw: requests, decode: { $0 })
            attach(
                Task {
                    do {
                        deliver(.success(try await body(stream, writer, context)))
                    } catch {
                        deliver(.failure(error))
                    }
                }
            )
        }
    }

    /// Keeps the handler's task, cancelling it at once when the caller has already gone.
    private func attach(_ task: Task<Void, Never>) {
        let abandoned = state.withLock { state in
            state.handler = task
            return state.abandoned
        }
        if abandoned { task.cancel() }
    }

    /// One streamed response from the handler.
    private func sendResponse(_ payload: Data) throws {
        guard payload.count <= limits.maxDataLength else {
            throw RPCError(
                code: .resourceExhausted,
                message:
                    "a response message of \(payload.count) bytes is over the \(limits.maxDataLength)-byte frame limit"
            )
        }
        let delivered = state.withLock { state -> Bool? in
            guard state.outcome == nil else { return nil }
            if case .dropped = responseContinuation.yield(payload) { return false }
            return true
        }
        switch delivered {
        case true?:
            return
        case false?:
            abandon(RPCError(code: .resourceExhausted, message: "too many unread response messages on \(name)"))
            throw RPCError(code: .cancelled, message: "the call has ended; the response message was not sent")
        case nil:
            throw RPCError(code: .cancelled, message: "the call has ended; the response message was not sent")
        }
    }

    /// The handler's result as the client receives it from the wire.
    private func answer(_ result: Result<Data, any Error>, context: ServerCallContext) -> Result<RawResponse, RPCError>
    {
        switch result {
        case .success(let payload):
            let metadata = context.responseMetadata
            if let tooLarge = Self.oversizedResponse(payload: payload, metadata: metadata, limit: limits.maxDataLength)
            {
                return .failure(tooLarge)
            }
            return .success(RawResponse(payload: payload, metadata: metadata))
        case .failure(let error):
            let wrapped = RPCError(wrapping: error)
            if wrapped.code == .unknown || wrapped.code == .internal {
                context.logger.error("handler failed: \(wrapped)")
            }
            return Self.received(wrapped, responseMetadata: context.responseMetadata)
        }
    }

    /// An error as a client receives it: its code, its message, and the response metadata followed by the
    /// error's own — never its cause, which does not travel. An error with status OK reads as an empty answer.
    static func received(_ error: RPCError, responseMetadata: Metadata) -> Result<RawResponse, RPCError> {
        var metadata = responseMetadata
        for entry in error.metadata { metadata.add(entry.key, entry.value) }
        if error.code == .ok { return .success(RawResponse(payload: Data(), metadata: metadata)) }
        return .failure(RPCError(code: error.code, message: error.message, metadata: metadata))
    }

    /// The error a server answers when the response envelope does not fit in a frame, if it does not.
    private static func oversizedResponse(payload: Data, metadata: Metadata, limit: Int) -> RPCError? {
        let metadataBytes = metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 }
        guard payload.count + metadataBytes + 32 > limit - 1024 else { return nil }
        let response = Envelope.response(payload: payload, metadata: metadata)
        guard let size = try? (response.serializedBytes(options: MessageCodec.encodingOptions) as [UInt8]).count,
            size > limit
        else { return nil }
        return RPCError(
            code: .resourceExhausted,
            message: "the response with its metadata is \(size) bytes, over the \(limit)-byte frame limit"
        )
    }

    // MARK: The client's side

    /// Sends one request message, or closes the sending side (`nil`).
    func send(_ payload: Data?) async throws {
        if let payload, payload.count > limits.maxDataLength {
            throw RPCError(
                code: .resourceExhausted,
                message:
                    "a request message of \(payload.count) bytes is over the \(limits.maxDataLength)-byte frame limit"
            )
        }
        enum Sent {
            case done
            case ended
            case refused(RPCError)
            case overflowed
        }
        let sent = state.withLock { state -> Sent in
            guard state.outcome == nil else { return payload == nil ? .done : .ended }
            if payload == nil && state.machine.isLocalClosed { return .done }
            do {
                try state.machine.sendData(closing: payload == nil)
            } catch {
                // The state machine's violation, as `RPCClient` reports it.
                return .refused(RPCError(code: .failedPrecondition, message: String(describing: error)))
            }
            guard let requests = state.requests else { return .done }
            if let payload {
                if case .dropped = requests.yield(payload) { return .overflowed }
            } else {
                requests.finish()
            }
            return .done
        }
        switch sent {
        case .done:
            return
        case .refused(let error):
            throw error
        case .overflowed:
            abandon(
                RPCError(
                    code: .resourceExhausted,
                    message: "the client sent more than \(limits.maxBufferedRequestsPerStream) messages "
                        + "that the handler has not read yet"
                )
            )
        case .ended:
            // The call ended before this message went out; its outcome (already known) says why.
            _ = try await outcome()
            throw RPCError(code: .failedPrecondition, message: "\(name) has already finished; the message was not sent")
        }
    }

    /// Waits for the final response; cancelling the waiting task cancels the call.
    func finalResponse() async throws -> RawResponse {
        try await withTaskCancellationHandler {
            try await outcome()
        } onCancel: {
            cancel()
        }
    }

    /// Abandons the call from the client's side.
    func cancel() {
        abandon(RPCError(code: .cancelled, message: "\(name) was cancelled by the caller"))
    }

    /// Ends the call with DEADLINE_EXCEEDED once `timeout` has passed, unless it ends before.
    func expire(after timeout: Duration) {
        let name = self.name
        let timer = Task { [weak self] in
            try? await Task.sleep(for: max(timeout, .zero))
            guard !Task.isCancelled else { return }
            self?.abandon(
                RPCError(code: .deadlineExceeded, message: "\(name) did not finish within its \(timeout) deadline")
            )
        }
        let ended = state.withLock { state in
            guard state.outcome == nil else { return true }
            state.deadline = timer
            return false
        }
        if ended { timer.cancel() }
    }

    private func outcome() async throws -> RawResponse {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RawResponse, any Error>) in
            let known = state.withLock { state -> Result<RawResponse, RPCError>? in
                if let outcome = state.outcome { return outcome }
                state.waiters.append(continuation)
                return nil
            }
            if let known { continuation.resume(with: known) }
        }
    }

    // MARK: Ending

    /// Ends the call from the client's side: the handler is cancelled and its requests end with `error`.
    private func abandon(_ error: RPCError) {
        let handler = state.withLock { state -> Task<Void, Never>? in
            guard state.outcome == nil else { return nil }
            state.abandoned = true
            state.requests?.finish(throwing: error)
            state.requests = nil
            return state.handler
        }
        end(.failure(error))
        handler?.cancel()
    }

    /// Records the outcome once and tells everyone waiting for it; later outcomes are ignored.
    func end(_ outcome: Result<RawResponse, RPCError>) {
        typealias Waiters = [CheckedContinuation<RawResponse, any Error>]
        let taken = state.withLock { state -> (Waiters, Task<Void, Never>?)? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            // The handler has returned or been abandoned: requests still to come are not wanted.
            state.requests?.finish()
            state.requests = nil
            let waiters = state.waiters
            state.waiters = []
            return (waiters, state.deadline)
        }
        guard let (waiters, deadline) = taken else { return }
        deadline?.cancel()
        switch outcome {
        case .success: responseContinuation.finish()
        case .failure(let error): responseContinuation.finish(throwing: error)
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}

/// The client's end of a streaming ``InProcessChannel`` call.
private struct InProcessStream: RPCClientStream {
    let call: InProcessCall

    func send(_ payload: Data) async throws { try await call.send(payload) }
    func closeSend() async throws { try await call.send(nil) }
    var responses: AsyncThrowingStream<Data, any Error> { call.responses }
    func finalResponse() async throws -> RawResponse { try await call.finalResponse() }
    func cancel() { call.cancel() }
}
