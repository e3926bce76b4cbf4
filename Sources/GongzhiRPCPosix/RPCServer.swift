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

/// Numbers the temporary names servers bind under.
private let bindSerial = Atomic<Int>(0)
/// Numbers the connections of every server in the process.
private let connectionSerial = Atomic<UInt64>(0)

/// A ttrpc server on a Unix-domain socket.
///
/// `run()` binds the socket, serves until graceful shutdown (``beginGracefulShutdown()`` or
/// cancellation of the task running it), then stops accepting, lets in-flight calls finish within the
/// grace period, closes every connection and removes its socket file. To run it in a swift-service-lifecycle
/// `ServiceGroup`, wrap it in `RPCServerService` from GongzhiRPCLifecycle; the transport itself does not
/// depend on service-lifecycle, which keeps small servers small.
public final class RPCServer: Sendable {
    public struct Configuration: Sendable {
        /// Where the socket file is created.
        public var socketPath: String
        /// Permission bits of the socket file (e.g. 0o600: the owner only; 0o660: the owner's group too).
        public var socketMode: UInt32 = 0o600
        /// Calls one connection may have in flight; more are refused with RESOURCE_EXHAUSTED.
        public var maxConcurrentStreamsPerConnection = 1024
        /// The largest frame data accepted and sent (ttrpc's limit is 4 MiB).
        public var maxDataLength = Frame.maxDataLength
        /// Request messages a streaming handler may leave unread before the call fails.
        public var maxBufferedRequestsPerStream = 1024
        /// A client that stops in the middle of a frame for this long is disconnected.
        public var stalledFrameTimeout: Duration = .seconds(10)
        /// A frame still incomplete this long after its first byte closes its connection, however the client
        /// trickles it (time the server itself paused reading does not count); nil for no limit.
        public var frameTimeout: Duration? = .seconds(60)
        /// Handlers start on the connection's event loop and run there until they first suspend, which
        /// saves a thread hop per call. Turn off if handlers do long synchronous work before their first `await`.
        public var startsHandlersOnEventLoop = true
        /// How long graceful shutdown waits for in-flight calls before closing connections.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// Answer bytes one connection may have waiting for its client to read them. Over it the connection's new
        /// calls wait, not started, and its socket is not read until the client reads (back pressure). It also
        /// bounds the answers in the making: unary calls start only as many as their expected answers fit in it.
        public var outboundBudget = 8 << 20
        /// A connection over its outbound budget that drains nothing for this long is closed; nil never closes it.
        public var unreadAnswersTimeout: Duration? = .seconds(60)
        /// Unary calls one connection runs at once, at most; the next wait (in order, not refused) until one ends.
        /// Whatever this says, a connection runs at once only as many unary calls as their answers (estimated from
        /// its recent answers, pessimistically at first) fit in `outboundBudget`, and always one.
        public var maxRunningUnaryCallsPerConnection = Int.max
        /// A connection with no call open, no request waiting and no partial frame is closed after this long;
        /// nil keeps it open.
        public var idleTimeout: Duration? = nil
        /// Caps on the number of connections; nil for none.
        public var connectionLimits: ConnectionLimiter.Limits? = nil
        /// Where limit hits (refused connections, back pressure, idle and unread closes) are counted.
        public var limitCounters: LimitCounters? = nil

        public init(socketPath: String) {
            self.socketPath = socketPath
        }
    }

    private enum State {
        case idle
        case binding
        case listening(any Channel, inode: UInt64?)
        case stopped
    }

    public let configuration: Configuration
    private let dispatcher: any RPCCallDispatcher
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = Mutex<State>(.idle)
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let listening: EventLoopPromise<Void>
    private let shutdownRequested: EventLoopPromise<Void>
    private let shutdownOnce = Mutex(false)
    private let requestedGracePeriod = Mutex<Duration?>(nil)
    private let isDraining = Atomic<Bool>(false)
    private let limitLog: RateLimitedLog
    /// Enforces ``Configuration/connectionLimits``.
    public let connectionLimiter: ConnectionLimiter?

    /// A server for `services`, dispatching calls by service and method name.
    public convenience init(
        configuration: Configuration,
        services: [any RPCService],
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.init(
            configuration: configuration,
            dispatcher: ServiceRegistry(services),
            logger: logger,
            eventLoopGroup: eventLoopGroup
        )
    }

    /// A server whose calls `dispatcher` chooses the handlers for (or refuses).
    public init(
        configuration: Configuration,
        dispatcher: any RPCCallDispatcher,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.dispatcher = dispatcher
        var logger = logger
        logger[metadataKey: "socket"] = "\(configuration.socketPath)"
        self.logger = logger
        self.limitLog = RateLimitedLog(logger: logger)
        self.connectionLimiter = configuration.connectionLimits.map {
            ConnectionLimiter(limits: $0, counters: configuration.limitCounters, log: RateLimitedLog(logger: logger))
        }
        self.group = eventLoopGroup
        self.listening = eventLoopGroup.any().makePromise(of: Void.self)
        self.shutdownRequested = eventLoopGroup.any().makePromise(of: Void.self)
    }

    deinit {
        // Complete the promises if run() was never called, so that nobody waits forever.
        listening.fail(RPCError(code: .unavailable, message: "the server was discarded before it listened"))
        shutdownRequested.succeed()
    }

    /// Waits until the socket accepts connections. Throws if binding failed.
    public func waitUntilListening() async throws {
        try await listening.futureResult.get()
    }

    /// Starts graceful shutdown; `run()` returns once it is done. Safe to call more than once; the first
    /// call decides the grace period (`gracePeriod`, else the configuration's).
    public func beginGracefulShutdown(gracePeriod: Duration? = nil) {
        let first = shutdownOnce.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            if let gracePeriod { requestedGracePeriod.withLock { $0 = gracePeriod } }
            shutdownRequested.succeed()
        }
    }

    public func run() async throws {
        let channel: any Channel
        do {
            channel = try await bind()
        } catch {
            listening.fail(error)
            throw error
        }
        listening.succeed()
        if let registry = dispatcher as? ServiceRegistry {
            logger.info("listening", metadata: ["services": "\(registry.serviceNames.joined(separator: ","))"])
        } else {
            logger.info("listening")
        }

        await withTaskCancellationHandler {
            try? await shutdownRequested.futureResult.get()
        } onCancel: {
            self.beginGracefulShutdown()
        }
        await drain(listener: channel)
    }

    private func bind() async throws -> any Channel {
        let path = configuration.socketPath
        let fresh = state.withLock { state in
            guard case .idle = state else { return false }
            state = .binding
            return true
        }
        guard fresh else {
            throw RPCError(
                code: .failedPrecondition,
                message: "this server on \(path) was already started; make a new one"
            )
        }
        try UnixSocketFile.prepare(path)
        // Bound under a short temporary name in the same directory, then linked into place.
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        // Unique per server, so that servers of one process can bind in the same folder at once.
        let serial = bindSerial.add(1, ordering: .relaxed).newValue
        let temporary = (directory.isEmpty ? "" : directory) + "/.\(getpid()).\(serial).bind"
        try? FileManager.default.removeItem(atPath: temporary)

        let dispatcher = self.dispatcher
        let logger = self.logger
        let limits = ServerConnectionHandler.Limits(
            maxConcurrentStreams: configuration.maxConcurrentStreamsPerConnection,
            maxDataLength: configuration.maxDataLength,
            maxBufferedRequests: configuration.maxBufferedRequestsPerStream,
            startsHandlersOnEventLoop: configuration.startsHandlersOnEventLoop,
            maxRunningUnaryCalls: max(1, configuration.maxRunningUnaryCallsPerConnection),
            outboundBudget: max(configuration.outboundBudget, 2),
            unreadAnswersTimeout: configuration.unreadAnswersTimeout.map { .nanoseconds($0.saturatingNanoseconds) },
            idleTimeout: configuration.idleTimeout.map { .nanoseconds($0.saturatingNanoseconds) }
        )
        let budget = max(configuration.outboundBudget, 2)
        let limiter = connectionLimiter
        let counters = configuration.limitCounters
        let limitLog = self.limitLog
        let socketName = path.split(separator: "/").last.map(String.init) ?? path
        let stall = TimeAmount.nanoseconds(configuration.stalledFrameTimeout.saturatingNanoseconds)
        let frameTimeout = configuration.frameTimeout.map { TimeAmount.nanoseconds($0.saturatingNanoseconds) }
        let maxDataLength = configuration.maxDataLength

        let setUp = ConnectionSetUp(
            dispatcher: dispatcher,
            logger: logger,
            limits: limits,
            stall: stall,
            frameTimeout: frameTimeout,
            maxDataLength: maxDataLength,
            limiter: limiter,
            counters: counters,
            limitLog: limitLog
        )
        let channel: any Channel
        do {
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelInitializer { @Sendable (listener: any Channel) -> EventLoopFuture<Void> in
                    Self.setUpListener(listener, socketName: socketName, counters: counters, log: limitLog)
                }
                .childChannelOption(.allowRemoteHalfClosure, value: false)
                .childChannelOption(
                    .writeBufferWaterMark,
                    value: ChannelOptions.Types.WriteBufferWaterMark(low: budget / 2, high: budget)
                )
                .childChannelInitializer { @Sendable [weak self] (child: any Channel) -> EventLoopFuture<Void> in
                    guard let self, !self.isDraining.load(ordering: .acquiring) else {
                        return child.close()
                    }
                    return setUp.run(child, track: { self.track($0) })
                }
            channel = try await bootstrap.bind(unixDomainSocketPath: temporary, cleanupExistingSocketFile: true).get()
        } catch {
            throw RPCError(code: .unavailable, message: "cannot listen on \(path): \(error)", cause: error)
        }
        do {
            try UnixSocketFile.setMode(temporary, configuration.socketMode)
            try UnixSocketFile.publish(temporary, as: path)
        } catch {
            try? await channel.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        state.withLock { $0 = .listening(channel, inode: UnixSocketFile.inode(path)) }
        return channel
    }

    /// NIO's future-based bind does not add the accept back-off: without it, accept failing with EMFILE is retried at
    /// once, again and again, and the loop does nothing else. The logger after it says so, rate-limited.
    private static func setUpListener(
        _ listener: any Channel,
        socketName: String,
        counters: LimitCounters?,
        log: RateLimitedLog
    ) -> EventLoopFuture<Void> {
        listener.eventLoop.makeCompletedFuture {
            try listener.pipeline.syncOperations.addHandlers(
                AcceptBackoffHandler(shouldForwardIOErrorCaught: true) { _ in .milliseconds(100) },
                ListenerErrorLogger(socketName: socketName, counters: counters, log: log)
            )
        }
    }

    private func track(_ child: any Channel) {
        let id = ObjectIdentifier(child)
        connections.withLock { $0[id] = child }
        child.closeFuture.whenComplete { [weak self] _ in
            _ = self?.connections.withLock { $0.removeValue(forKey: id) }
        }
    }

    private func drain(listener: any Channel) async {
        let inode: UInt64? = state.withLock { state in
            if case .listening(_, let inode) = state { return inode }
            return nil
        }
        isDraining.store(true, ordering: .releasing)
        try? await listener.close()
        // Nobody can connect any more: the file goes now, not after the grace period, so a new server
        // may take the path at once.
        UnixSocketFile.remove(configuration.socketPath, ifInode: inode)
        let open = connections.withLock { Array($0.values) }
        logger.info("shutting down", metadata: ["connections": "\(open.count)"])
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(DrainConnectionEvent())
        }
        // Waited for on the event loop, not with Task.sleep: shutdown may come from cancellation, and
        // the grace period must still be given.
        let eventLoop = group.any()
        let outcome = eventLoop.makePromise(of: Bool.self)
        EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: eventLoop).whenComplete { _ in
            outcome.succeed(false)
        }
        let grace = requestedGracePeriod.withLock { $0 } ?? configuration.shutdownGracePeriod
        let timer = eventLoop.scheduleTask(in: .nanoseconds(grace.saturatingNanoseconds)) {
            outcome.succeed(true)
        }
        let timedOut = (try? await outcome.futureResult.get()) ?? true
        timer.cancel()
        // Whatever is still open now (calls past the grace period, or a connection accepted while the
        // listener closed) is closed.
        let remaining = connections.withLock { Array($0.values) }
        if !remaining.isEmpty {
            logger.warning(
                timedOut ? "grace period over; closing connections with calls in flight" : "closing late connections",
                metadata: ["connections": "\(remaining.count)"]
            )
            for connection in remaining { connection.close(promise: nil) }
            try? await EventLoopFuture.andAllComplete(remaining.map(\.closeFuture), on: eventLoop).get()
        }
        state.withLock { $0 = .stopped }
        logger.info("stopped")
    }
}

/// What every accepted connection of a server is set up with: checked against the connection caps, then given
/// its pipeline.
private struct ConnectionSetUp: Sendable {
    let dispatcher: any RPCCallDispatcher
    let logger: Logger
    let limits: ServerConnectionHandler.Limits
    let stall: TimeAmount
    let frameTimeout: TimeAmount?
    let maxDataLength: Int
    let limiter: ConnectionLimiter?
    let counters: LimitCounters?
    let limitLog: RateLimitedLog

    func run(_ child: any Channel, track: @escaping @Sendable (any Channel) -> Void) -> EventLoopFuture<Void> {
        PeerCredentials.of(child).flatMap { peer in
            let id = connectionSerial.add(1, ordering: .relaxed).newValue
            if let limiter {
                guard limiter.admit(peer) == nil else {
                    // No frame can be sent before a request: the client sees the connection end.
                    return child.close()
                }
                child.closeFuture.whenComplete { _ in limiter.release(peer, connection: id) }
            }
            track(child)
            return child.eventLoop.makeCompletedFuture {
                try addHandlers(child, peer: peer, id: id)
            }
        }
    }

    private func addHandlers(_ child: any Channel, peer: PeerCredentials, id: UInt64) throws {
        var identifies: (@Sendable (UInt64, String) -> RPCError?)?
        if let limiter {
            identifies = { connection, principal in limiter.identify(connection: connection, as: principal) }
        }
        let connection = RPCConnection(id: id, identifies: identifies)
        let progress = FrameProgress()
        try child.pipeline.syncOperations.addHandlers(
            // Stops reading new calls while the client does not read its answers, so that what waits to be
            // written stays within the channel's write buffer water mark (the outbound budget).
            BackPressureHandler(),
            IdleStateHandler(readTimeout: stall),
            FrameReader(maxDataLength: maxDataLength, progress: progress, frameTimeout: frameTimeout),
            ServerConnectionHandler(
                dispatcher: dispatcher,
                peer: peer,
                limits: limits,
                progress: progress,
                logger: logger,
                connection: connection,
                counters: counters,
                limitLog: limitLog
            )
        )
    }
}
