import GongzhiRPC
import GongzhiStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The host daemon as a swift-service-lifecycle `Service`: serves admin.sock and host.sock, starts and
/// supervises the configured plugins, and routes calls to them.
///
/// `run()` returns after graceful shutdown (SIGTERM in a `ServiceGroup`, cancellation, or
/// ``requestShutdown()``), once every plugin has stopped. SIGHUP reloads the configuration file.
///
/// Inside, the host's long-running parts are `Service`s in a `ServiceGroup` of their own: its sockets
/// (``HostSockets``), its plugins (``PluginFleetService``), the history's compaction
/// (``HistoryCompaction``) and reloads on SIGHUP (``ConfigurationReloads``). Graceful shutdown stops them
/// last to first, so the plugins stop before the sockets close.
///
/// Besides the event loops that serve host.sock (`eventLoopGroup`, Swift's global executor in `gongzhi-host`),
/// the host runs two loops of its own, one thread each: the control loop, where the plugins are supervised
/// (``PluginFleet``), and the admin loop, where admin.sock is served. Neither waits behind clients' calls.
public final class HostService: Service, Sendable {
    private let initialConfiguration: HostConfiguration
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let current: Mutex<HostConfiguration>
    private let stop = AsyncStream<Void>.makeStream()
    private let ready: EventLoopPromise<Void>
    private let fleetBox = Mutex<PluginFleet?>(nil)
    /// Reload on SIGHUP; off where the embedding process handles SIGHUP itself (tests).
    private let reloadsOnHangup: Bool

    public init(
        configuration: HostConfiguration,
        logger: Logger,
        reloadsOnHangup: Bool = true,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.initialConfiguration = configuration
        self.current = Mutex(configuration)
        self.logger = logger
        self.reloadsOnHangup = reloadsOnHangup
        self.eventLoopGroup = eventLoopGroup
        self.ready = eventLoopGroup.any().makePromise(of: Void.self)
    }

    deinit {
        ready.fail(RPCError(code: .unavailable, message: "the host was discarded before it started"))
    }

    public var configuration: HostConfiguration { current.withLock { $0 } }

    /// Waits until both sockets accept calls and the plugins have been started (not until they are ready).
    public func waitUntilServing() async throws {
        try await ready.futureResult.get()
    }

    /// Starts graceful shutdown.
    public func requestShutdown() {
        stop.continuation.finish()
    }

    /// Reads the configuration file again and applies it: plugins added, removed or changed are
    /// started, stopped or restarted; unchanged ones keep running. A bad file changes nothing.
    public func reload() async throws(ConfigurationError) {
        let path = configuration.path
        let next = try HostConfiguration.load(path: path)
        let running = configuration
        guard next.runtimeDirectory == running.runtimeDirectory, next.dataDirectory == running.dataDirectory else {
            throw ConfigurationError(
                file: path,
                key: next.runtimeDirectory != running.runtimeDirectory ? "runtime_dir" : "data_dir",
                message: "cannot change while the host runs; restart the host to move it"
            )
        }
        current.withLock { $0 = next }
        guard let fleet = fleetBox.withLock({ $0 }) else { return }
        logger.info("configuration reloaded", metadata: ["config": "\(path)"])
        await fleet.apply(next)
    }

    public func run() async throws {
        let configuration = self.configuration
        let records: HostRecords
        let limits = LimitCounters()
        do {
            records = try await open(configuration, limits: limits)
        } catch {
            ready.fail(error)
            throw error
        }
        defer { records.lock.release() }
        let audit = records.audit

        let control = ControlLoop.control
        let adminLoop = ControlLoop.admin
        var measured: [(name: String, eventLoop: any EventLoop)] = [("control loop", control.eventLoop)]
        for loop in eventLoopGroup.makeIterator() {
            measured.append(("event loops", loop))
        }
        let lag = EventLoopLag(loops: measured)
        lag.start()
        defer { lag.stop() }

        let credentials = Credentials(tokens: records.tokens, adminUIDs: configuration.adminUIDs)
        let routes = RoutingTable()
        let fleet = PluginFleet(
            configuration: configuration,
            routes: routes,
            credentials: credentials,
            audit: audit,
            logger: logger,
            eventLoopGroup: eventLoopGroup,
            control: control,
            lag: lag
        )
        fleetBox.withLock { $0 = fleet }
        let admin = AdminService(
            fleet: fleet,
            credentials: credentials,
            audit: audit,
            startedAt: wallClockMilliseconds(),
            configuration: { [weak self] in self?.configuration ?? configuration },
            services: ServiceCatalogue(routes: routes),
            people: records.objects.people,
            limits: limits
        )
        let sockets = HostSockets(
            configuration: configuration,
            adminServices: [admin],
            hostServices: [RegistrationService(fleet: fleet, credentials: credentials, audit: audit)],
            routes: routes,
            credentials: credentials,
            audit: audit,
            objects: records.objects,
            store: records.store,
            logger: logger,
            eventLoopGroup: eventLoopGroup,
            adminEventLoop: adminLoop.eventLoop,
            limits: limits
        )
        // Graceful shutdown stops them last to first: the plugins before the sockets close.
        var services: [any Service] = [
            sockets,
            PluginFleetService(
                fleet: fleet,
                configuration: configuration,
                sockets: sockets,
                logger: logger,
                started: ready
            ),
            HistoryCompaction(store: records.store, interval: configuration.objects.compactionInterval, logger: logger),
        ]
        if reloadsOnHangup {
            // Trapped before the plugins start, so that an early SIGHUP never ends the host.
            let hangups = await UnixSignalsSequence(trapping: .sighup)
            services.append(ConfigurationReloads(hangups: hangups, host: self, logger: logger))
        }
        do {
            try await runUntilStopped(ServiceGroup(services: services, logger: logger))
        } catch {
            ready.fail(error)
            await audit.close()
            throw error
        }
        audit.record(principal: "host", action: "host.stop", outcome: "ok")
        await audit.close()
        logger.info("host stopped")
    }

    /// Runs the host's services until they end. A stop request, the graceful shutdown of the group the
    /// host runs in, and cancellation all shut them down gracefully, so that the plugins are stopped in
    /// order however the host is stopped.
    private func runUntilStopped(_ group: ServiceGroup) async throws {
        let stopRequests = stop.stream
        let stopContinuation = stop.continuation
        let relay = Task {
            for await _ in stopRequests {}
            await group.triggerGracefulShutdown()
        }
        defer { relay.cancel() }
        // Not a child task: cancelling the host must not cancel its services, only shut them down.
        let running = Task { try await group.run() }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await running.value
            } onCancel: {
                stopContinuation.finish()
            }
        } onGracefulShutdown: {
            stopContinuation.finish()
        }
    }

    /// What the host opens before it serves: the runtime folder's lock, the tokens, the audit log and
    /// the object store.
    private struct HostRecords {
        var lock: HostLock
        var tokens: TokenStore
        var audit: AuditLog
        var store: SQLiteObjectStorage
        var objects: ObjectsService
    }

    private func open(_ configuration: HostConfiguration, limits: LimitCounters) async throws -> HostRecords {
        let lock = try prepareDirectories(configuration)
        let tokens: TokenStore
        let audit: AuditLog
        do {
            tokens = try TokenStore(path: configuration.dataDirectory + "/host/tokens.json")
            audit = try AuditLog(path: configuration.dataDirectory + "/host/audit.log", logger: logger)
        } catch {
            lock.release()
            throw HostStartError(
                message: "cannot open the host's records in \(configuration.dataDirectory)/host: \(error)"
            )
        }
        var settings = SQLiteObjectStorage.Configuration(
            path: configuration.objectStorePath,
            historyRetention: configuration.objects.historyRetention
        )
        settings.maximumReaderCount = 8
        var store: SQLiteObjectStorage?
        do {
            let opened = try SQLiteObjectStorage(configuration: settings, logger: logger)
            store = opened
            let readShare =
                configuration.admission.enabled
                ? StoreReadShare(
                    perFlow: configuration.admission.storeReadsPerFlow(readers: settings.maximumReaderCount),
                    counters: limits
                )
                : nil
            let objects = ObjectsService(
                storage: opened,
                audit: audit,
                logger: logger,
                readShare: readShare,
                openStreams: tokens.openStreams
            )
            try await objects.load()
            return HostRecords(lock: lock, tokens: tokens, audit: audit, store: opened, objects: objects)
        } catch {
            try? await store?.close()
            await audit.close()
            lock.release()
            throw HostStartError(message: "cannot open the object store \(configuration.objectStorePath): \(error)")
        }
    }

    /// Creates the runtime and data folders, takes the runtime folder's lock, and cleans up after a
    /// host that did not stop cleanly.
    private func prepareDirectories(_ configuration: HostConfiguration) throws -> HostLock {
        try HostFolders.prepare(configuration, logger: logger)
        let lock = try HostLock(path: configuration.runtimeDirectory + "/host.lock")
        cleanUpAfterPredecessor(configuration)
        return lock
    }

    /// Stops plugin processes a crashed host left behind (known by the pid and start time it recorded)
    /// and removes their stale sockets.
    private func cleanUpAfterPredecessor(_ configuration: HostConfiguration) {
        let directory = configuration.pluginSocketDirectory
        for entry in listDirectory(directory) {
            let path = directory + "/" + entry
            if entry.hasSuffix(".pid") {
                if let text = try? readTextFile(path) {
                    let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
                    if fields.count == 2, let pid = Int32(fields[0]), let start = UInt64(fields[1]), pid > 1,
                        processStartTime(pid) == start
                    {
                        logger.warning(
                            "stopping a plugin process left running by a previous host",
                            metadata: ["pid": "\(pid)", "plugin": "\(entry.dropLast(4))"]
                        )
                        kill(-pid, SIGKILL)
                        kill(pid, SIGKILL)
                    }
                }
                unlink(path)
            } else if entry.hasSuffix(".sock") {
                unlink(path)
            }
        }
    }
}

/// Why the host could not start.
public struct HostStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// An exclusive lock on the runtime folder, so that two hosts never share it.
private final class HostLock: Sendable {
    private let fd: Int32
    private let path: String

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostStartError(message: "cannot open \(path): \(SystemError("open"))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? readTextFile(path))?.split(separator: "\n").first.map(String.init) ?? "?"
            close(fd)
            throw HostStartError(
                message: "another gongzhi-host (pid \(holder)) is using \(parentDirectory(of: path)); "
                    + "stop it, or give this one another runtime_dir"
            )
        }
        ftruncate(fd, 0)
        let line = "\(getpid())\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
        self.fd = fd
    }

    func release() {
        ftruncate(fd, 0)
        close(fd)
    }
}

func listDirectory(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}
