import GongzhiIntake
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Open311 GeoReport v2 over HTTP for intake's Open311 sources: one endpoint per source under
/// `/open311/{source}/v2/`, and service discovery at `/open311/discovery.{json,xml}`. A swift-service-lifecycle
/// `Service`: it runs until cancelled or until its group shuts down gracefully (then it stops accepting,
/// finishes the requests in flight and returns). It installs no signal handlers.
public struct Open311Server: Service {
    /// What service discovery says about the server beyond its endpoints.
    public struct Discovery: Sendable {
        /// Whom to contact about the service (a person, an office, a phone number).
        public var contact: String
        /// How a client gets an api_key.
        public var keyService: String

        public init(contact: String, keyService: String) {
            self.contact = contact
            self.keyService = keyService
        }
    }

    /// What one client can take from the server.
    public struct Limits: Sendable {
        /// Connections served at once; more wait to be accepted.
        public var maximumConnections: Int
        /// A connection with no request in progress for this long is closed.
        public var idleTimeout: Duration
        /// The largest POST body, in bytes: larger ones are answered 413 without being read.
        public var maximumBodyBytes: Int

        public init(maximumConnections: Int = 512, idleTimeout: Duration = .seconds(30), maximumBodyBytes: Int = 65_536)
        {
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
            self.maximumBodyBytes = maximumBodyBytes
        }
    }

    let address: Open311Address
    let routes: Open311Routes
    let limits: Limits
    let logger: Logger
    let onListening: @Sendable (_ host: String, _ port: Int) -> Void

    /// A server for `backend` on `address` (port 0 picks a free port, which `onListening` reports with the host
    /// once the server accepts connections). `jurisdictionID` is the only jurisdiction_id a request may name.
    /// `now` gives the time in milliseconds since the epoch (GET requests' default range of dates).
    public init(
        address: Open311Address,
        jurisdictionID: String,
        discovery: Discovery,
        backend: any Open311Backend,
        limits: Limits = Limits(),
        logger: Logger,
        now: @escaping @Sendable () -> Int64 = { Open311Server.systemTimeMs() },
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) {
        self.address = address
        self.limits = limits
        self.logger = logger
        self.onListening = onListening
        self.routes = Open311Routes(
            backend: backend,
            jurisdictionID: jurisdictionID,
            discovery: discovery,
            limits: limits,
            startedAtMs: now(),
            listening: ListeningAddress(address),
            now: now
        )
    }

    public func run() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: Open311ErrorMiddleware(logger: logger))
        routes.register(on: router)
        let idleTimeout = TimeAmount.nanoseconds(Int64((limits.idleTimeout / .nanoseconds(1)).rounded()))
        let address = self.address
        let logger = self.logger
        let onListening = self.onListening
        let listening = routes.listening
        let application = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: idleTimeout)),
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port),
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections, logger: logger)
            ),
            onServerRunning: { channel in
                let local = channel.localAddress
                let host = local?.ipAddress ?? address.host
                let port = local?.port ?? address.port
                listening.bound(Open311Address(host: host, port: port))
                logger.info(
                    "Open311 listening",
                    metadata: ["open311.address": "\(Open311Address(host: host, port: port))"]
                )
                onListening(host, port)
            },
            logger: logger
        )
        try await application.run()
    }

    /// The wall-clock time in milliseconds since the epoch.
    public static func systemTimeMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
