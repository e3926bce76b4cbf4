import GongzhiRPC
import GongzhiRPCPosix
import GongzhiStore
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The host's two sockets as one `Service`: admin.sock, where administrators are known by uid, and
/// host.sock, where plugins and API clients present tokens. Both are set up alike and dispatched by a
/// ``HostDispatcher``; the object store is served on both.
///
/// admin.sock is served on an event loop of its own (`adminEventLoop`), and the host's own services there run
/// on it too, so that an operator's `gongzhictl status` is answered however busy clients keep host.sock's loops.
///
/// `run()` serves until graceful shutdown, then stops taking calls, closes the object store (which ends
/// the watches in flight once the writes already submitted are committed), and returns when both
/// servers have let their calls finish.
final class HostSockets: Service, Sendable {
    private let admin: RPCServer
    private let host: RPCServer
    private let store: SQLiteObjectStorage
    private let audit: AuditLog
    private let configuration: HostConfiguration
    private let logger: Logger
    private let serving: EventLoopPromise<Void>
    /// Admits the calls of both sockets to their shares of the host (nil when `[admission] enabled = false`).
    let admission: AdmissionController?

    /// - Parameters:
    ///   - adminServices: the host's own services on admin.sock.
    ///   - hostServices: the host's own services on host.sock.
    init(
        configuration: HostConfiguration,
        adminServices: [any RPCService],
        hostServices: [any RPCService],
        routes: RoutingTable,
        credentials: Credentials,
        audit: AuditLog,
        objects: ObjectsService,
        store: SQLiteObjectStorage,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup,
        adminEventLoop: any EventLoop,
        limits: LimitCounters = LimitCounters()
    ) {
        let admission =
            configuration.admission.enabled
            ? AdmissionController(
                limits: configuration.admission.limits(),
                configurationPath: configuration.path,
                logger: logger,
                counters: limits
            )
            : nil
        func server(
            _ socket: HostDispatcher.Socket,
            at path: String,
            serving services: [any RPCService],
            on group: any EventLoopGroup
        ) -> RPCServer {
            var settings = RPCServer.Configuration(socketPath: path)
            settings.socketMode =
                socket == .host ? (try? SocketAccess.resolve(configuration))?.hostSocketMode ?? 0o660 : 0o660
            settings.shutdownGracePeriod = .seconds(2)
            settings.apply(
                configuration.connections,
                to: socket,
                plugins: configuration.plugins.count,
                counters: limits
            )
            let dispatcher = HostDispatcher(
                socket: socket,
                local: ServiceRegistry(services),
                routes: routes,
                credentials: credentials,
                audit: audit,
                configurationPath: configuration.path,
                objects: objects,
                admission: admission
            )
            return RPCServer(
                configuration: settings,
                dispatcher: dispatcher,
                logger: logger,
                eventLoopGroup: group
            )
        }
        let adminExecutor = EventLoopTaskExecutor(adminEventLoop)
        self.admin = server(
            .admin,
            at: configuration.adminSocketPath,
            serving: adminServices.map { ServiceOnEventLoop($0, executor: adminExecutor) },
            on: adminEventLoop
        )
        self.host = server(.host, at: configuration.hostSocketPath, serving: hostServices, on: eventLoopGroup)
        self.admission = admission
        self.store = store
        self.audit = audit
        self.configuration = configuration
        self.logger = logger
        self.serving = eventLoopGroup.any().makePromise(of: Void.self)
    }

    deinit {
        serving.fail(RPCError(code: .unavailable, message: "the host's sockets were discarded before they served"))
    }

    /// Waits until both sockets accept calls and the host's start is recorded; throws if either could
    /// not listen.
    func waitUntilServing() async throws {
        try await serving.futureResult.get()
    }

    func run() async throws {
        let admin = self.admin
        let host = self.host
        defer { serving.fail(RPCError(code: .unavailable, message: "the host's sockets have stopped")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await admin.run() }
            group.addTask { try await host.run() }
            do {
                try await admin.waitUntilListening()
                try await host.waitUntilListening()
            } catch {
                serving.fail(error)
                admin.beginGracefulShutdown()
                host.beginGracefulShutdown()
                try? await store.close()
                throw error
            }
            audit.record(
                principal: "host",
                action: "host.start",
                outcome: "ok",
                detail: "pid \(getpid()), config \(configuration.path)"
            )
            logger.info(
                "host serving",
                metadata: [
                    "admin": "\(configuration.adminSocketPath)", "host": "\(configuration.hostSocketPath)",
                    "plugins": "\(configuration.plugins.filter(\.enabled).map(\.name).joined(separator: ","))",
                ]
            )
            serving.succeed()

            // Cancellation stops the sockets the same way.
            try? await gracefulShutdown()
            admin.beginGracefulShutdown()
            host.beginGracefulShutdown()
            // Watches end when the store closes; writes already submitted are committed first.
            try? await store.close()
            try await group.waitForAll()
        }
    }
}

/// A service whose handlers run on one event loop's task executor: they resume there after every await,
/// instead of on the global executor.
private struct ServiceOnEventLoop: RPCService {
    let serviceName: String
    let methodHandlers: [String: RPCMethodHandler]
    let fileDescriptorSet: RPCFileDescriptorSet?

    init(_ service: any RPCService, executor: EventLoopTaskExecutor) {
        serviceName = service.serviceName
        fileDescriptorSet = service.fileDescriptorSet
        methodHandlers = service.methodHandlers.mapValues { handler in
            switch handler.body {
            case .unary(let body):
                return RPCMethodHandler { payload, context in
                    try await withTaskExecutorPreference(executor) { try await body(payload, context) }
                }
            case .streaming(let body):
                return RPCMethodHandler(kind: handler.kind) { requests, responses, context in
                    try await withTaskExecutorPreference(executor) { try await body(requests, responses, context) }
                }
            case .unaryCallback:
                // Runs on the connection's loop already, with no task.
                return handler
            }
        }
    }
}
