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
///
/// What waits to be written is bounded by the channel's write buffer water mark (the outbound budget): while the
/// channel is over it, and while as many unary calls run as ``Limits/maxRunningUnaryCalls`` allows, new request
/// frames are parked, not started, and the socket is not read; they start in order once answers drain or calls
/// end. A connection that stays over its budget without draining for ``Limits/unreadAnswersTimeout`` is closed;
/// one with no call, no parked request and no partial frame for ``Limits/idleTimeout`` too.
final class ServerConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = DecodedFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Limits: Sendable {
        var maxConcurrentStreams: Int
        var maxDataLength: Int
        var maxBufferedRequests: Int
        var startsHandlersOnEventLoop: Bool
        /// Unary calls one connection runs at once; more wait, parked, until one ends.
        var maxRunningUnaryCalls: Int = .max
        /// The answer bytes the connection may hold unread (its write buffer's high water mark). Unary calls run
        /// at once only as many as their answers, estimated from the connection's recent ones, fit in it.
        var outboundBudget: Int = .max
        /// How long a connection may stay over its outbound budget with nothing drained; nil waits for ever.
        var unreadAnswersTimeout: TimeAmount? = nil
        /// How long a connection may sit with no call, no parked request and no partial frame; nil for ever.
        var idleTimeout: TimeAmount? = nil
    }

    /// A request frame waiting to start, and when it arrived (its deadline counts from then).
    private struct ParkedRequest {
        var frame: Frame
        var arrived: NIODeadline
    }

    /// One call in progress.
    private final class Call {
        var machine: StreamStateMachine
        let context: ServerCallContext
        var task: Task<Void, Never>?
        var requests: AsyncThrowingStream<Data, any Error>.Continuation?
        var deadline: Scheduled<Void>?
        /// True for a unary call: it counts toward ``Limits/maxRunningUnaryCalls``.
        var isUnary = false

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
    private let connection: RPCConnection
    private let counters: LimitCounters?
    private let limitLog: RateLimitedLog?
    private let batch = OutboundBatch()
    /// Request frames not started yet, in arrival order.
    private var parked = CircularBuffer<ParkedRequest>()
    /// Unary calls running now.
    private var runningUnary = 0
    /// The size expected of the next unary answer: the last one when it was larger, else a running average. It
    /// starts pessimistic (an eighth of the budget), so that a first burst of calls starts only a few.
    private lazy var answerEstimate = max(limits.outboundBudget / 8, Self.minimumAnswerEstimate)
    private static let minimumAnswerEstimate = 4 << 10
    /// A read the channel asked for while requests were parked; issued once they have all started.
    private var pendingRead = false
    /// When the connection last had a call end or a request arrive: where its idle time counts from.
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var idleCheck: RepeatedTask?
    /// Checks whether a connection over its budget drains; set while it is over.
    private var unreadCheck: Scheduled<Void>?
    /// The bytes waiting to be written when the connection went over its budget (or when it last drained some).
    private var unreadBaseline = 0
    private var timersStarted = false

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
        logger: Logger,
        connection: RPCConnection = RPCConnection(id: 0),
        counters: LimitCounters? = nil,
        limitLog: RateLimitedLog? = nil
    ) {
        self.dispatcher = dispatcher
        self.peer = peer
        self.limits = limits
        self.progress = progress
        self.connection = connection
        self.counters = counters
        self.limitLog = limitLog
        var logger = logger
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.channelContext = context
        if context.channel.isActive { startTimers(context) }
        if !context.channel.isWritable { becameUnwritable(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.channelContext = nil
        stopTimers()
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimers(context)
        context.fireChannelActive()
    }

    /// The loop's clock (a test's loop keeps its own).
    private var now: NIODeadline { channelContext?.eventLoop.now ?? .now() }

    // MARK: Reads and the outbound budget

    func read(context: ChannelHandlerContext) {
        // Parked requests come first: the socket is read again once they have all started.
        if parked.isEmpty {
            context.read()
        } else {
            pendingRead = true
            progress.paused(.waitingCalls)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            unreadCheck?.cancel()
            unreadCheck = nil
            // The socket was not read while the client left its answers unread: not held against a frame it was
            // sending meanwhile.
            progress.resumed(.unreadAnswers)
            connection.outbound.open()
            startParked()
        } else {
            becameUnwritable(context)
        }
        context.fireChannelWritabilityChanged()
    }

    private func becameUnwritable(_ context: ChannelHandlerContext) {
        progress.paused(.unreadAnswers)
        connection.outbound.close()
        counters?.count("connections.outbound_budget", detail: "uid \(peer.uid) pid \(peer.pid)")
        let pending = bufferedBytes(context)
        limitLog?.warning(
            limit: "outbound_budget",
            key: "uid \(peer.uid)",
            "connection of uid \(peer.uid) pid \(peer.pid): \(Self.mebibytes(pending)) of answers unread; "
                + "not starting its calls until it reads ([connections] outbound_budget)"
        )
        guard unreadCheck == nil, let timeout = limits.unreadAnswersTimeout else { return }
        unreadBaseline = pending
        scheduleUnreadCheck(context, after: timeout)
    }

    private func scheduleUnreadCheck(_ context: ChannelHandlerContext, after timeout: TimeAmount) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        unreadCheck = context.eventLoop.scheduleTask(in: timeout) {
            bound.value.checkUnread(timeout)
        }
    }

    /// Closes a connection over its budget that drained nothing since the last check.
    private func checkUnread(_ timeout: TimeAmount) {
        unreadCheck = nil
        guard let context = channelContext, !context.channel.isWritable else { return }
        let pending = bufferedBytes(context)
        if pending < unreadBaseline {
            // The client reads, slowly: it gets another period.
            unreadBaseline = pending
            scheduleUnreadCheck(context, after: timeout)
            return
        }
        counters?.count("connections.unread_answers_closed", detail: "uid \(peer.uid) pid \(peer.pid)")
        limitLog?.warning(
            limit: "unread_answers_timeout",
            key: "uid \(peer.uid)",
            "closing connection of uid \(peer.uid) pid \(peer.pid): \(Self.mebibytes(pending)) of answers unread for "
                + "\(Self.seconds(timeout)) ([connections] unread_answers_timeout)"
        )
        closed = true
        context.close(promise: nil)
    }

    private func bufferedBytes(_ context: ChannelHandlerContext) -> Int {
        (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    private static func mebibytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10) >> 20
        return "\(tenths / 10).\(tenths % 10) MiB"
    }

    private static func seconds(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    /// Whether a request frame may start now: never while the client leaves its answers unread, and a unary one
    /// only while fewer than the limit run.
    private func canStart(_ frame: Frame, _ context: ChannelHandlerContext) -> Bool {
        guard context.channel.isWritable else { return false }
        let isUnary = !frame.flags.contains(.remoteOpen) && !frame.flags.contains(.remoteClosed)
        guard isUnary, runningUnary > 0 else { return true }
        // The answers of the calls running, and of this one, must fit the budget as far as they can be foreseen.
        let (expected, overflow) = (runningUnary + 1).multipliedReportingOverflow(by: answerEstimate)
        return runningUnary < limits.maxRunningUnaryCalls && !overflow && expected <= limits.outboundBudget
    }

    /// Learns the size of unary answers from the one just written.
    private func estimate(answerBytes: Int) {
        let bytes = max(answerBytes, Self.minimumAnswerEstimate)
        answerEstimate = bytes >= answerEstimate ? bytes : (3 * answerEstimate + bytes) / 4
    }

    /// Starts parked requests in order while they may start; reads again once none is left.
    private func startParked() {
        while let context = channelContext, !closed, let first = parked.first, canStart(first.frame, context) {
            parked.removeFirst()
            receiveRequest(first.frame, waited: now - first.arrived)
        }
        if parked.isEmpty, pendingRead, let context = channelContext, !closed {
            pendingRead = false
            progress.resumed(.waitingCalls)
            context.read()
        }
    }

    private func park(_ frame: Frame) {
        guard parked.count + calls.count < limits.maxConcurrentStreams else {
            respond(
                frame.streamID,
                RPCError(
                    code: .resourceExhausted,
                    message: "too many calls in flight on this connection (limit \(limits.maxConcurrentStreams)); "
                        + "read the answers of the calls already made, or wait for some to finish"
                )
            )
            return
        }
        parked.append(ParkedRequest(frame: frame, arrived: now))
    }

    // MARK: Idle connections

    private func startTimers(_ context: ChannelHandlerContext) {
        guard !timersStarted else { return }
        timersStarted = true
        lastActivity = now
        guard let idle = limits.idleTimeout else { return }
        let every = TimeAmount.nanoseconds(max(idle.nanoseconds / 4, 1_000_000))
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            bound.value.checkIdle(idle)
        }
    }

    private func stopTimers() {
        idleCheck?.cancel()
        idleCheck = nil
        unreadCheck?.cancel()
        unreadCheck = nil
    }

    /// Closes the connection when it has had no call, no parked request, no partial frame and nothing left to
    /// write for the idle timeout. A call that is open (a quiet Watch) keeps it open.
    private func checkIdle(_ idle: TimeAmount) {
        guard let context = channelContext, !closed, calls.isEmpty, parked.isEmpty, !progress.isInsideFrame,
            now - lastActivity >= idle, bufferedBytes(context) == 0
        else { return }
        counters?.count("connections.idle_closed", detail: "uid \(peer.uid) pid \(peer.pid)")
        logger.debug("closing idle connection", metadata: ["idle_timeout": "\(Self.seconds(idle))"])
        closed = true
        stopTimers()
        context.close(promise: nil)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        isReading = true
        defer { isReading = false }
        switch unwrapInboundIn(data) {
        case .frame(let frame):
            switch frame.type {
            case .request:
                lastActivity = now
                if parked.isEmpty && canStart(frame, context) {
                    receiveRequest(frame)
                } else {
                    park(frame)
                }
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
        stopTimers()
        parked.removeAll()
        connection.outbound.fail(RPCError(code: .cancelled, message: "the client went away"))
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
            while let waiting = parked.popFirst() {
                respond(
                    waiting.frame.streamID,
                    RPCError(code: .unavailable, message: "the server is shutting down; retry on a new connection")
                )
            }
            if calls.isEmpty { closeAfterPendingWrites() }
            return
        }
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Not reading while the client leaves its answers unread (back pressure) is not the client stalling.
            // Nor is it while requests wait, parked, for calls to end: the socket is not read then either.
            if progress.isInsideFrame && context.channel.isWritable && parked.isEmpty {
                logger.warning("closing connection: the client stopped sending in the middle of a frame")
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Starts the call a request frame opens, or answers it with the reason it cannot start. `waited` is how long
    /// the request was parked: it counts toward the caller's deadline.
    private func receiveRequest(_ frame: Frame, waited: TimeAmount = .zero) {
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
        var request: Gongzhi_Rpc_V1_Request
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
        if request.timeoutNano > 0 && waited.nanoseconds > 0 {
            guard request.timeoutNano > waited.nanoseconds else {
                respond(
                    streamID,
                    RPCError(
                        code: .deadlineExceeded,
                        message: "\(request.service)/\(request.method) waited \(Self.seconds(waited)) for this "
                            + "connection's earlier calls and answers and its deadline passed before it could start"
                    )
                )
                return
            }
            request.timeoutNano -= waited.nanoseconds
        }
        let metadata = Metadata(request.metadata)
        let head = RPCCallHead(
            service: request.service,
            method: request.method,
            metadata: metadata,
            peer: peer,
            connection: connection
        )
        let handler: RPCMethodHandler
        switch dispatcher.dispatch(head) {
        case .success(let found): handler = found
        case .failure(let error):
            respond(streamID, error)
            if connection.isRefused {
                // Over a per-principal connection cap: the answer says which; the connection ends after it.
                closed = true
                closeAfterPendingWrites()
            }
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
            logger: logger,
            connection: connection
        )
        let call = Call(machine: machine, context: callContext)
        call.isUnary = handler.kind == .unary
        if call.isUnary { runningUnary += 1 }
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
        lastActivity = now
        if call.isUnary {
            call.isUnary = false
            runningUnary -= 1
            if case .success(let payload) = answer { estimate(answerBytes: payload.count) }
        }
        defer { startParked() }
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
