import GongzhiRPC
import Logging
import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Set by a caller's cancellation handler before it asks the event loop to cancel, so that a call
/// whose start the loop has not run yet is not started at all.
final class CallCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    var isCancelled: Bool { flag.load(ordering: .acquiring) }
    func cancel() { flag.store(true, ordering: .releasing) }
}

/// The client end of one connection: matches response and data frames to waiting calls.
/// Runs on the connection's event loop.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = DecodedFrame
    typealias OutboundOut = ByteBuffer

    private final class UnaryCall {
        let completion: @Sendable (Result<RawResponse, any Error>) -> Void
        let name: String
        var deadline: Scheduled<Void>?
        init(completion: @escaping @Sendable (Result<RawResponse, any Error>) -> Void, name: String) {
            self.completion = completion
            self.name = name
        }
    }

    final class StreamCall {
        var machine = StreamStateMachine(role: .client)
        let responses: AsyncThrowingStream<Data, any Error>.Continuation
        let final: EventLoopPromise<RawResponse>
        let name: String
        var deadline: Scheduled<Void>?
        init(
            responses: AsyncThrowingStream<Data, any Error>.Continuation,
            final: EventLoopPromise<RawResponse>,
            name: String
        ) {
            self.responses = responses
            self.final = final
            self.name = name
        }
    }

    /// A send on a call that has already ended; the sender reports the call's own outcome instead.
    struct CallEnded: Error {}

    private enum Call {
        case unary(UnaryCall)
        case stream(StreamCall)
    }

    /// A call's request as the caller gave it, written into a frame on the connection's loop.
    struct OutgoingRequest: Sendable {
        var streamID: UInt32
        var flags: FrameFlags
        var service: String
        var method: String
        var payload: Data
        var timeoutNano: Int64
        var metadata: Metadata
        /// The envelope's length, checked against the frame limit by the caller.
        var dataLength: Int

        init(streamID: UInt32, flags: FrameFlags, service: String, method: String, payload: Data, options: CallOptions)
        {
            self.streamID = streamID
            self.flags = flags
            self.service = service
            self.method = method
            self.payload = payload
            self.timeoutNano = options.timeout.map { max(1, $0.saturatingNanoseconds) } ?? 0
            self.metadata = options.metadata
            self.dataLength = Envelope.requestDataLength(
                service: service,
                method: method,
                payloadCount: payload.count,
                timeoutNano: timeoutNano,
                metadata: metadata
            )
        }
    }

    private let socketPath: String
    private let logger: Logger
    let batch = OutboundBatch()
    private var channelContext: ChannelHandlerContext?
    /// Frames written since the last flush: the connection's outbound buffer, reused from flush to flush.
    private var outbound = OutboundFrames()
    /// A flush is queued on the loop.
    private var flushScheduled = false
    private var calls: [UInt32: Call] = [:]
    private var closedError: RPCError?

    init(socketPath: String, logger: Logger) {
        self.socketPath = socketPath
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channelContext = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        channelContext = nil
    }

    // MARK: Starting calls (on the loop)

    func startUnary(
        _ request: OutgoingRequest,
        timeout: Duration?,
        name: String,
        cancellation: CallCancellation,
        completion: @escaping @Sendable (Result<RawResponse, any Error>) -> Void
    ) {
        let shouldFlush = batch.dequeueShouldFlush()
        guard let context = channelContext, closedError == nil, context.channel.isActive else {
            if shouldFlush { flush() }
            completion(.failure(closedError ?? connectionLost()))
            return
        }
        if cancellation.isCancelled {
            if shouldFlush { flush() }
            completion(.failure(RPCError(code: .cancelled, message: "\(name) was cancelled by the caller")))
            return
        }
        let call = UnaryCall(completion: completion, name: name)
        calls[request.streamID] = .unary(call)
        if let timeout {
            call.deadline = schedule(timeout, streamID: request.streamID, context: context)
        }
        write(request, context)
        if shouldFlush { flush() }
    }

    /// Writes a request frame into the outbound buffer.
    private func write(_ request: OutgoingRequest, _ context: ChannelHandlerContext) {
        outbound.write(Frame.headerSize + request.dataLength, context) {
            $0.writeRequestFrame(
                streamID: request.streamID,
                flags: request.flags,
                service: request.service,
                method: request.method,
                payload: request.payload,
                timeoutNano: request.timeoutNano,
                metadata: request.metadata
            )
        }
    }

    /// Writes what is gathered in the outbound buffer and flushes, once the loop has run what is queued on it
    /// now: calls that the tasks resumed by one read start one after another go out in one write, not one each.
    private func flush() {
        guard !flushScheduled, let context = channelContext else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = bound.value
            handler.flushScheduled = false
            if let context = handler.channelContext { handler.outbound.flush(context) }
        }
    }

    func startStream(
        _ request: OutgoingRequest,
        sendsData: Bool,
        timeout: Duration?,
        call: StreamCall,
        cancellation: CallCancellation
    ) {
        let shouldFlush = batch.dequeueShouldFlush()
        guard let context = channelContext, closedError == nil, context.channel.isActive else {
            if shouldFlush { flush() }
            let error = closedError ?? connectionLost()
            call.responses.finish(throwing: error)
            call.final.fail(error)
            return
        }
        if cancellation.isCancelled {
            if shouldFlush { flush() }
            let error = RPCError(code: .cancelled, message: "\(call.name) was cancelled by the caller")
            call.responses.finish(throwing: error)
            call.final.fail(error)
            return
        }
        try? call.machine.sendRequest(unary: false, sendsData: sendsData)
        calls[request.streamID] = .stream(call)
        if let timeout {
            call.deadline = schedule(timeout, streamID: request.streamID, context: context)
        }
        write(request, context)
        if shouldFlush { flush() }
    }

    /// Sends one request message (or only the end of the requests, with `payload == nil`).
    func sendData(streamID: UInt32, payload: Data?, promise: EventLoopPromise<Void>) {
        let shouldFlush = batch.dequeueShouldFlush()
        guard let context = channelContext, case .stream(let call) = calls[streamID] else {
            if shouldFlush { flush() }
            if payload == nil {
                // Closing a stream that has ended is a no-op; the call's outcome tells what happened.
                promise.succeed()
            } else {
                promise.fail(CallEnded())
            }
            return
        }
        if payload == nil && call.machine.isLocalClosed {
            if shouldFlush { flush() }
            promise.succeed()
            return
        }
        do {
            try call.machine.sendData(closing: payload == nil)
        } catch {
            if shouldFlush { flush() }
            promise.fail(RPCError(code: .failedPrecondition, message: error.message))
            return
        }
        let bytes = payload ?? Data()
        let flags: FrameFlags = payload == nil ? [.remoteClosed, .noData] : []
        outbound.write(Frame.headerSize + bytes.count, context, promise: promise) {
            $0.writeDataFrame(streamID: streamID, flags: flags, payload: bytes)
        }
        if shouldFlush { flush() }
        if call.machine.isFinished {
            complete(streamID, .success(RawResponse(payload: Data())))
        }
    }

    /// Ends a call locally; a response that arrives later is ignored. Called through the connection's
    /// queue, so it takes its turn in the flush count like any other queued operation.
    func cancel(streamID: UInt32, error: RPCError) {
        let shouldFlush = batch.dequeueShouldFlush()
        complete(streamID, .failure(error))
        if shouldFlush { flush() }
    }

    private func schedule(_ timeout: Duration, streamID: UInt32, context: ChannelHandlerContext) -> Scheduled<Void> {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let nanos = timeout.saturatingNanoseconds
        return context.eventLoop.scheduleTask(in: .nanoseconds(max(nanos, 0))) {
            bound.value.expire(streamID, timeout: timeout)
        }
    }

    private func expire(_ streamID: UInt32, timeout: Duration) {
        guard let call = calls[streamID] else { return }
        let name: String
        switch call {
        case .unary(let unary): name = unary.name
        case .stream(let stream): name = stream.name
        }
        complete(
            streamID,
            .failure(
                RPCError(code: .deadlineExceeded, message: "\(name) did not finish within its \(timeout) deadline")
            )
        )
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .frame(let frame):
            switch frame.type {
            case .response: receiveResponse(frame)
            case .data: receiveData(frame)
            default:
                logger.debug("ignoring \(frame.type) frame from the server on stream \(frame.streamID)")
            }
        case .oversized(let streamID, let type, let length):
            let error = RPCError(
                code: .resourceExhausted,
                message: "the server sent a \(type) frame of \(length) bytes, over the frame limit; it was discarded"
            )
            complete(streamID, .failure(error))
        }
    }

    private func receiveResponse(_ frame: Frame) {
        guard calls[frame.streamID] != nil else { return }
        if case .stream(let call) = calls[frame.streamID] {
            try? call.machine.receiveResponse()
        }
        do {
            let response = try Envelope.decodeResponse(frame.data)
            complete(frame.streamID, response.outcome.mapError { $0 as any Error })
        } catch {
            complete(
                frame.streamID,
                .failure(
                    RPCError(
                        code: .internal,
                        message: "the server sent a response that is not a valid ttrpc Response: \(error)"
                    )
                )
            )
        }
    }

    private func receiveData(_ frame: Frame) {
        guard case .stream(let call) = calls[frame.streamID] else { return }
        let disposition: StreamStateMachine.DataDisposition
        do {
            disposition = try call.machine.receiveData(flags: frame.flags)
        } catch {
            complete(
                frame.streamID,
                .failure(RPCError(code: .internal, message: "the server broke the stream protocol: \(error.message)"))
            )
            return
        }
        if case .deliver = disposition {
            if case .dropped = call.responses.yield(frame.data.payloadData()) {
                complete(
                    frame.streamID,
                    .failure(
                        RPCError(code: .resourceExhausted, message: "too many unread response messages on \(call.name)")
                    )
                )
                return
            }
        }
        if call.machine.isFinished {
            complete(frame.streamID, .success(RawResponse(payload: Data())))
        } else if frame.flags.contains(.remoteClosed) {
            // The server has sent its last message; the call ends when the client closes its side.
            call.responses.finish()
        }
    }

    private func complete(_ streamID: UInt32, _ result: Result<RawResponse, any Error>) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        switch call {
        case .unary(let unary):
            unary.deadline?.cancel()
            unary.completion(result)
        case .stream(let stream):
            stream.deadline?.cancel()
            switch result {
            case .success: stream.responses.finish()
            case .failure(let error): stream.responses.finish(throwing: error)
            }
            stream.final.completeWith(result)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = connectionLost()
        closedError = error
        for streamID in Array(calls.keys) {
            complete(streamID, .failure(error))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("closing connection to \(socketPath) after error: \(error)")
        context.close(promise: nil)
    }

    private func connectionLost() -> RPCError {
        RPCError(
            code: .unavailable,
            message: "the connection to \(socketPath) was lost (the server closed it or exited)"
        )
    }
}
