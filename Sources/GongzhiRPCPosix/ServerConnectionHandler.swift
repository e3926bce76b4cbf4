import GongzhiRPC
import Logging
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Asks a server connection to finish its calls and close: sent on graceful shutdown.
struct DrainConnectionEvent: Sendable {}

/// Serves the calls of one connection: turns frames into handler invocations and their results into
/// frames. Runs on the connection's event loop; handlers run as tasks off it.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = DecodedFrame
    typealias OutboundOut = ByteBuffer

    struct Limits: Sendable {
        var maxConcurrentStreams: Int
        var maxDataLength: Int
        var maxBufferedRequests: Int
        var startsHandlersOnEventLoop: Bool
    }

    /// One call in progress.
    private final class Call {
        var machine: StreamStateMachine
        let context: ServerCallContext
        var task: Task<Void, Never>?
        var requests: AsyncThrowingStream<Data, any Error>.Continuation?
        var deadline: Scheduled<Void>?

        init(machine: StreamStateMachine, context: ServerCallContext) {
            self.machine = machine
            self.context = context
        }
    }

    private let dispatcher: any RPCCallDispatcher
    private let peer: PeerCredentials
    private let limits: Limits
    private let progress: FrameProgress
    private let logger: Logger
    private let batch = OutboundBatch()

    private var channelContext: ChannelHandlerContext?
    private var calls: [UInt32: Call] = [:]
    private var draining = false
    /// Set when the channel goes inactive: frames still buffered in the decoder are ignored then.
    private var closed = false
    /// True inside `channelRead`: writes made then are flushed once, in `channelReadComplete`.
    private var isReading = false
    private var flushPending = false
    /// Frames written since the last flush: the connection's outbound buffer, reused from flush to flush.
    private var outbound = OutboundFrames()
    /// A flush is queued on the loop.
    private var flushScheduled = false

    init(
        dispatcher: any RPCCallDispatcher,
        peer: PeerCredentials,
        limits: Limits,
        progress: FrameProgress,
        logger: Logger
    ) {
        self.dispatcher = dispatcher
        self.peer = peer
        self.limits = limits
        self.progress = progress
        var logger = logger
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.channelContext = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.channelContext = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        isReading = true
        defer { isReading = false }
        switch unwrapInboundIn(data) {
        case .frame(let frame):
            switch frame.type {
            case .request: receiveRequest(frame)
            case .data: receiveData(frame)
            default: receiveUnexpected(frame)
            }
        case .oversized(let streamID, let type, let length):
            receiveOversized(streamID: streamID, type: type, length: length)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if flushPending {
            flushPending = false
            outbound.flush(context)
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if !calls.isEmpty {
            logger.debug(
                "connection closed with calls in flight; cancelling them",
                metadata: ["calls": "\(calls.count)"]
            )
        }
        let gone = RPCError(code: .cancelled, message: "the client went away")
        for (_, call) in calls {
            call.task?.cancel()
            call.deadline?.cancel()
            call.requests?.finish(throwing: gone)
        }
        calls.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? FrameDecodingError {
            logger.warning("closing connection: \(error.message)")
        } else {
            logger.warning("closing connection after error: \(error)")
        }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainConnectionEvent {
            draining = true
            if calls.isEmpty { closeAfterPendingWrites() }
            return
        }
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Not reading while the client leaves its answers unread (back pressure) is not the client stalling.
            if progress.isInsideFrame && context.channel.isWritable {
                logger.warning("closing connection: the client stopped sending in the middle of a frame")
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func receiveRequest(_ frame: Frame) {
        let streamID = frame.streamID
        guard streamID % 2 == 1 else {
            respond(
                streamID,
                RPCError(
                    code: .invalidArgument,
                    message: "stream id \(streamID) is even; clients must use odd stream ids"
                )
            )
            return
        }
        guard calls[streamID] == nil else {
            logger.warning("closing connection: the client reused stream id \(streamID) while its call was open")
            closed = true
            channelContext?.close(promise: nil)
            return
        }
        let request: Gongzhi_Rpc_V1_Request
        do {
            request = try Envelope.decodeRequest(frame.data)
        } catch {
            respond(
                streamID,
                RPCError(
                    code: .invalidArgument,
                    message:
                        "the request frame does not hold a valid ttrpc Request envelope (\(frame.data.readableBytes) bytes): \(error)"
                )
            )
            return
        }
        if draining {
            respond(
                streamID,
                RPCError(code: .unavailable, message: "the server is shutting down; retry on a new connection")
            )
            return
        }
        let metadata = Metadata(request.metadata)
        let head = RPCCallHead(service: request.service, method: request.method, metadata: metadata, peer: peer)
        let handler: RPCMethodHandler
        switch dispatcher.dispatch(head) {
        case .success(let found): handler = found
        case .failure(let error):
            respond(streamID, error)
            return
        }
        guard calls.count < limits.maxConcurrentStreams else {
            respond(
                streamID,
                RPCError(
                    code: .resourceExhausted,
                    message: "too many calls in flight on this connection (limit \(limits.maxConcurrentStreams)); "
                        + "wait for some to finish or open another connection"
                )
            )
            return
        }
        var machine = StreamStateMachine(role: .server)
        let clientSendsData: Bool
        do {
            clientSendsData = try machine.receiveRequest(flags: frame.flags)
        } catch {
            respond(streamID, RPCError(code: .invalidArgument, message: error.message))
            return
        }
        if let mismatch = handler.kind.mismatch(
            requestFlags: frame.flags,
            service: request.service,
            method: request.method
        ) {
            respond(streamID, mismatch)
            return
        }

        var deadline: ContinuousClock.Instant?
        if request.timeoutNano > 0 {
            deadline = .now + .nanoseconds(request.timeoutNano)
        }
        let callContext = ServerCallContext(
            service: request.service,
            method: request.method,
            requestMetadata: metadata,
            peer: peer,
            deadline: deadline,
            logger: logger
        )
        let call = Call(machine: machine, context: callContext)
        calls[streamID] = call
        start(call, streamID: streamID, handler: handler, request: request, clientSendsData: clientSendsData)

        if request.timeoutNano > 0, calls[streamID] != nil, let eventLoop = channelContext?.eventLoop {
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            call.deadline = eventLoop.scheduleTask(in: .nanoseconds(request.timeoutNano)) {
                bound.value.expire(streamID)
            }
        }
    }

    private func start(
        _ call: Call,
        streamID: UInt32,
        handler: RPCMethodHandler,
        request: Gongzhi_Rpc_V1_Request,
        clientSendsData: Bool
    ) {
        guard let eventLoop = channelContext?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let batch = self.batch
        let callContext = call.context
        let inline = limits.startsHandlersOnEventLoop
        // A result belongs to this call only, not to a later call that reuses its stream id.
        let token = ObjectIdentifier(call)
        /// Hands a finished handler's result to the loop: directly when already on it.
        @Sendable func deliver(_ result: Result<Data, any Error>) {
            if eventLoop.inEventLoop {
                bound.value.finish(streamID, token, result, batched: false)
            } else {
                batch.enqueue()
                eventLoop.execute { bound.value.finish(streamID, token, result, batched: true) }
            }
        }
        switch handler.body {
        case .unary(let body):
            let payload = request.payload
            call.task = Self.startTask(inline: inline) {
                do {
                    deliver(.success(try await body(payload, callContext)))
                } catch {
                    deliver(.failure(error))
                }
            }
        case .unaryCallback(let body):
            body(request.payload, callContext) { deliver($0) }
        case .streaming(let body):
            let (requests, continuation) = AsyncThrowingStream<Data, any Error>.makeStream(
                bufferingPolicy: .bufferingOldest(limits.maxBufferedRequests)
            )
            if clientSendsData {
                if !request.payload.isEmpty { continuation.yield(request.payload) }
                call.requests = continuation
            } else {
                continuation.yield(request.payload)
                continuation.finish()
            }
            let maxDataLength = limits.maxDataLength
            let writer = RPCMessageWriter<Data>(
                sendRaw: { payload in
                    guard payload.count <= maxDataLength else {
                        throw RPCError(
                            code: .resourceExhausted,
                            message:
                                "a response message of \(payload.count) bytes is over the \(maxDataLength)-byte frame limit"
                        )
                    }
                    let promise = eventLoop.makePromise(of: Void.self)
                    if eventLoop.inEventLoop {
                        bound.value.sendData(streamID, token, payload, promise: promise, batched: false)
                    } else {
                        batch.enqueue()
                        eventLoop.execute {
                            bound.value.sendData(streamID, token, payload, promise: promise, batched: true)
                        }
                    }
                    try await promise.futureResult.get()
                },
                encode: { $0 }
            )
            let stream = RPCMessageStream<Data>(raw: requests, decode: { $0 })
            call.task = Self.startTask(inline: inline) {
                do {
                    deliver(.success(try await body(stream, writer, callContext)))
                } catch {
                    deliver(.failure(error))
                }
            }
        }
    }

    /// Starts a handler's task: on the current thread until it first suspends (`inline`), or on the
    /// global executor.
    private static func startTask(
        inline: Bool,
        _ operation: sending @escaping @isolated(any) () async -> Void
    ) -> Task<Void, Never> {
        if inline, #available(macOS 26, *) {
            return Task.immediate(operation: operation)
        }
        return Task(operation: operation)
    }

    private func receiveData(_ frame: Frame) {
        guard let call = calls[frame.streamID] else {
            // The call already ended (deadline, error); late data is dropped.
            return
        }
        let disposition: StreamStateMachine.DataDisposition
        do {
            disposition = try call.machine.receiveData(flags: frame.flags)
        } catch {
            fail(frame.streamID, RPCError(code: .invalidArgument, message: error.message))
            return
        }
        guard let requests = call.requests else { return }
        switch disposition {
        case .deliver(let isLast):
            let result = requests.yield(frame.data.payloadData())
            if case .dropped = result {
                fail(
                    frame.streamID,
                    RPCError(
                        code: .resourceExhausted,
                        message:
                            "the client sent more than \(limits.maxBufferedRequests) messages that the handler has not read yet"
                    )
                )
                return
            }
            if isLast { requests.finish() }
        case .closeOnly:
            requests.finish()
        }
    }

    private func receiveUnexpected(_ frame: Frame) {
        logger.debug("ignoring \(frame.type) frame on stream \(frame.streamID)")
        if frame.streamID % 2 == 1 && calls[frame.streamID] == nil && frame.type != .response {
            respond(
                frame.streamID,
                RPCError(
                    code: .invalidArgument,
                    message: "unknown frame type \(frame.type); a server accepts request and data frames"
                )
            )
        }
    }

    private func receiveOversized(streamID: UInt32, type: FrameType, length: Int) {
        let error = RPCError(
            code: .resourceExhausted,
            message:
                "a \(type) frame of \(length) bytes is over the \(limits.maxDataLength)-byte limit; its data were discarded"
        )
        logger.warning("\(error.message)", metadata: ["stream": "\(streamID)"])
        if calls[streamID] != nil {
            fail(streamID, error)
        } else if type == .request && streamID % 2 == 1 {
            respond(streamID, error)
        }
    }

    // MARK: Outbound (on the event loop)

    private func finish(_ streamID: UInt32, _ token: ObjectIdentifier, _ result: Result<Data, any Error>, batched: Bool)
    {
        let shouldFlush = batched ? batch.dequeueShouldFlush() : true
        guard let call = calls[streamID], ObjectIdentifier(call) == token else {
            if shouldFlush { flush() }
            return
        }
        switch result {
        case .success(let payload):
            complete(streamID, call, answer: .success(payload), flush: shouldFlush)
        case .failure(let error):
            let rpcError = RPCError(wrapping: error)
            if rpcError.code == .unknown || rpcError.code == .internal {
                call.context.logger.error("handler failed: \(rpcError)")
            }
            complete(streamID, call, answer: .failure(rpcError), flush: shouldFlush)
        }
    }

    private func sendData(
        _ streamID: UInt32,
        _ token: ObjectIdentifier,
        _ payload: Data,
        promise: EventLoopPromise<Void>,
        batched: Bool
    ) {
        let shouldFlush = batched ? batch.dequeueShouldFlush() : true
        guard let context = channelContext, let call = calls[streamID], ObjectIdentifier(call) == token else {
            if shouldFlush { flush() }
            promise.fail(RPCError(code: .cancelled, message: "the call has ended; the response message was not sent"))
            return
        }
        do {
            try call.machine.sendResponseData()
        } catch {
            if shouldFlush { flush() }
            promise.fail(RPCError(code: .failedPrecondition, message: error.message))
            return
        }
        outbound.write(Frame.headerSize + payload.count, context, promise: promise) {
            $0.writeDataFrame(streamID: streamID, payload: payload)
        }
        if shouldFlush { flush() }
    }

    /// Ends a call early (deadline, protocol violation, overflow): cancels its handler and answers.
    private func fail(_ streamID: UInt32, _ error: RPCError) {
        guard let call = calls[streamID] else { return }
        call.task?.cancel()
        call.requests?.finish(throwing: error)
        complete(streamID, call, answer: .failure(error), flush: true)
    }

    private func expire(_ streamID: UInt32) {
        guard let call = calls[streamID] else { return }
        call.deadline = nil
        call.context.logger.debug("deadline passed; cancelling the handler")
        fail(
            streamID,
            RPCError(
                code: .deadlineExceeded,
                message: "\(call.context.service)/\(call.context.method) did not finish before the caller's deadline"
            )
        )
    }

    private func complete(_ streamID: UInt32, _ call: Call, answer: Result<Data, RPCError>, flush: Bool) {
        calls[streamID] = nil
        call.deadline?.cancel()
        call.requests?.finish()
        _ = try? call.machine.sendResponse()
        guard let context = channelContext else { return }
        let metadata = call.context.responseMetadata
        switch answer {
        case .success(let payload):
            let length = Envelope.responseDataLength(payloadCount: payload.count, metadata: metadata)
            if length <= limits.maxDataLength {
                outbound.write(Frame.headerSize + length, context) {
                    $0.writeResponseFrame(streamID: streamID, payload: payload, metadata: metadata)
                }
            } else {
                // The payload fitted but the envelope with its metadata does not.
                writeResponse(
                    streamID,
                    RPCError(
                        code: .resourceExhausted,
                        message: "the response with its metadata is \(length) bytes, "
                            + "over the \(limits.maxDataLength)-byte frame limit"
                    ),
                    metadata: [:],
                    context
                )
            }
        case .failure(let error):
            writeResponse(streamID, error, metadata: metadata, context)
        }
        if flush { self.flush() }
        if draining && calls.isEmpty { closeAfterPendingWrites() }
    }

    /// Writes a failed response, or a shorter one when the error with its metadata does not fit a frame.
    private func writeResponse(
        _ streamID: UInt32,
        _ error: RPCError,
        metadata: Metadata,
        _ context: ChannelHandlerContext
    ) {
        var error = error
        var metadata = metadata
        let length = Envelope.responseDataLength(error: error, metadata: metadata)
        if length > limits.maxDataLength {
            error = RPCError(
                code: .resourceExhausted,
                message: "the response with its metadata is \(length) bytes, "
                    + "over the \(limits.maxDataLength)-byte frame limit"
            )
            metadata = [:]
        }
        outbound.write(Frame.headerSize + Envelope.responseDataLength(error: error, metadata: metadata), context) {
            $0.writeResponseFrame(streamID: streamID, error: error, metadata: metadata)
        }
    }

    /// Ends a draining connection once everything written so far has reached the socket: closes the
    /// sending side (the client reads the last responses, then sees the end), and the whole channel
    /// if that is not possible.
    private func closeAfterPendingWrites() {
        guard let context = channelContext else { return }
        flushPending = false
        outbound.flush(context)
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { _ in channel.close(promise: nil) }
        context.close(mode: .output, promise: promise)
    }

    /// Flushes once at the end of the current read when called while reading; otherwise once the loop has run what
    /// is queued on it now, so that the answers of handlers resumed together go out in one write.
    private func flush() {
        if isReading {
            flushPending = true
            return
        }
        guard !flushScheduled, let context = channelContext else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = bound.value
            handler.flushScheduled = false
            if let context = handler.channelContext { handler.outbound.flush(context) }
        }
    }

    /// Answers a request that never became a call.
    private func respond(_ streamID: UInt32, _ error: RPCError) {
        guard let context = channelContext else { return }
        logger.debug("refusing call: \(error)", metadata: ["stream": "\(streamID)"])
        writeResponse(streamID, error, metadata: [:], context)
        flush()
    }
}
