import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
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
        let lock: HostLock
        do {
            lock = try prepareDirectories(configuration)
        } catch {
            ready.fail(error)
            throw error
        }
        defer { lock.release() }

        let tokens: TokenStore
        let audit: AuditLog
        do {
            tokens = try TokenStore(path: configuration.dataDirectory + "/host/tokens.json")
            audit = try AuditLog(path: configuration.dataDirectory + "/host/audit.log", logger: logger)
        } catch {
            let failure = HostStartError(
                message: "cannot open the host's records in \(configuration.dataDirectory)/host: \(error)"
            )
            ready.fail(failure)
            throw failure
        }
        let store: SQLiteObjectStorage
        let objects: ObjectsService
        do {
            var settings = SQLiteObjectStorage.Configuration(
                path: configuration.objectStorePath,
                historyRetention: configuration.objects.historyRetention
            )
            settings.maximumReaderCount = 8
            store = try SQLiteObjectStorage(configuration: settings, logger: logger)
            objects = ObjectsService(storage: store, audit: audit, logger: logger)
            try await objects.loadRegisteredKinds()
        } catch {
            let failure = HostStartError(
                message: "cannot open the object store \(configuration.objectStorePath): \(error)"
            )
            await audit.close()
            ready.fail(failure)
            throw failure
        }
        let credentials = Credentials(tokens: tokens, adminUIDs: configuration.adminUIDs)
        let routes = RoutingTable()
        let fleet = PluginFleet(
            configuration: configuration,
            routes: routes,
            credentials: credentials,
            audit: audit,
            logger: logger,
            eventLoopGroup: eventLoopGroup
        )
        fleetBox.withLock { $0 = fleet }
        let startedAt = wallClockMilliseconds()
        let admin = AdminService(
            fleet: fleet,
            credentials: credentials,
            audit: audit,
            startedAt: startedAt,
            configuration: { [weak self] in self?.configuration ?? configuration },
            services: ServiceCatalogue(routes: routes)
        )
        let registration = RegistrationService(fleet: fleet, credentials: credentials, audit: audit)
        var adminConfiguration = RPCServer.Configuration(socketPath: configuration.adminSocketPath)
        adminConfiguration.socketMode = 0o660
        adminConfiguration.shutdownGracePeriod = .seconds(2)
        var hostConfiguration = RPCServer.Configuration(socketPath: configuration.hostSocketPath)
        hostConfiguration.socketMode = 0o660
        hostConfiguration.shutdownGracePeriod = .seconds(2)
        let adminServer = RPCServer(
            configuration: adminConfiguration,
            dispatcher: HostDispatcher(
                socket: .admin,
                local: ServiceRegistry([admin]),
                routes: routes,
                credentials: credentials,
                audit: audit,
                configurationPath: configuration.path,
                objects: objects
            ),
            logger: logger,
            eventLoopGroup: eventLoopGroup
        )
        let hostServer = RPCServer(
            configuration: hostConfiguration,
            dispatcher: HostDispatcher(
                socket: .host,
                local: ServiceRegistry([registration]),
                routes: routes,
                credentials: credentials,
                audit: audit,
                configurationPath: configuration.path,
                objects: objects
            ),
            logger: logger,
            eventLoopGroup: eventLoopGroup
        )

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await adminServer.run() }
            group.addTask { try await hostServer.run() }
            do {
                try await adminServer.waitUntilListening()
                try await hostServer.waitUntilListening()
            } catch {
                ready.fail(error)
                adminServer.beginGracefulShutdown()
                hostServer.beginGracefulShutdown()
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
            // SIGHUP is trapped before plugins start, so that an early reload never ends the host.
            let hangupSignals = reloadsOnHangup ? await UnixSignalsSequence(trapping: .sighup) : nil
            await fleet.apply(configuration)
            ready.succeed()

            let compaction = Task { [logger] in
                await Self.compactHistory(store, every: configuration.objects.compactionInterval, logger: logger)
            }

            let hangups: Task<Void, Never>? =
                reloadsOnHangup
                ? Task { [weak self] in
                    guard let hangupSignals else { return }
                    for await _ in hangupSignals {
                        guard let self else { return }
                        self.logger.info("SIGHUP: reloading the configuration")
                        do {
                            try await self.reload()
                        } catch {
                            self.logger.error("the configuration was not reloaded: \(error)")
                        }
                    }
                } : nil

            let stopStream = stop.stream
            let stopContinuation = stop.continuation
            await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    for await _ in stopStream {}
                } onCancel: {
                    stopContinuation.finish()
                }
            } onGracefulShutdown: {
                stopContinuation.finish()
            }
            hangups?.cancel()
            compaction.cancel()
            logger.info("stopping: plugins first")
            await fleet.stopAll()
            adminServer.beginGracefulShutdown()
            hostServer.beginGracefulShutdown()
            // Watches end when the store closes; writes already submitted are committed first.
            try? await store.close()
            try await group.waitForAll()
        }
        audit.record(principal: "host", action: "host.stop", outcome: "ok")
        await audit.close()
        logger.info("host stopped")
    }

    /// Trims the change history older than the retention window, every `interval`, until cancelled.
    private static func compactHistory(_ store: SQLiteObjectStorage, every interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let before = try await store.compactExpired(now: wallClockMilliseconds())
                logger.debug("history compacted", metadata: ["before-revision": "\(before)"])
            } catch {
                logger.warning("compacting the object history failed; it will be tried again: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Creates the runtime and data folders, takes the runtime folder's lock, and cleans up after a
    /// host that did not stop cleanly.
    private func prepareDirectories(_ configuration: HostConfiguration) throws -> HostLock {
        do {
            try makeDirectory(configuration.runtimeDirectory, mode: 0o750)
            try makeDirectory(configuration.pluginSocketDirectory, mode: 0o700)
            try makeDirectory(configuration.dataDirectory, mode: 0o750)
            try makeDirectory(configuration.dataDirectory + "/host", mode: 0o700)
            try makeDirectory(configuration.dataDirectory + "/plugins", mode: 0o750)
        } catch {
            throw HostStartError(message: "cannot prepare the host's folders: \(error)")
        }
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
