import GongzhiHost
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// An in-process host running for a test: the host's dispatcher, grants, routing and Objects service (on a
/// store in a temporary folder), with each plugin's services made by its `makeServices` and run in the test's
/// process. No process is spawned and no socket is opened.
public struct InProcessTestHost: PluginTestHost {
    /// The temporary folder: the host's records in `host/`, the plugins' data folders in `plugins/NAME`.
    public let directory: String
    /// The host itself: channels for any caller, tokens, plugins and the audit log.
    public let host: InProcessHost
    private let plugins: [TestPlugin]
    private let startedAt: Int64

    init(directory: String, host: InProcessHost, plugins: [TestPlugin], startedAt: Int64) {
        self.directory = directory
        self.host = host
        self.plugins = plugins
        self.startedAt = startedAt
    }

    /// Calls as an administrator (this process's uid), as admin.sock's callers do.
    public var adminChannel: any RPCClientChannel { host.adminChannel() }

    /// A channel that presents `token` on every call (an API client's or a plugin's view of the host).
    public func channel(token: String) -> any RPCClientChannel {
        host.hostChannel(token: token)
    }

    /// The channel `plugin` calls the host with: its token, its grants.
    public func pluginChannel(_ plugin: String) throws -> any RPCClientChannel {
        try host.pluginChannel(plugin)
    }

    public func clientChannel(scopes: [String], subject: String) async throws -> any RPCClientChannel {
        host.hostChannel(token: try host.issueClientToken(subject: subject, scopes: scopes))
    }

    /// The plugin's status: `ready` once its services are registered, which they are before the test body runs.
    public func waitUntilReady(_ plugin: String, timeout: Duration) async throws -> Gongzhi_Host_V1_PluginStatus {
        guard let described = plugins.first(where: { $0.name == plugin }) else {
            let known = plugins.map(\.name)
            throw RPCError(
                code: .notFound,
                message: "no plugin named \(plugin)"
                    + (known.isEmpty ? "; none is configured" : " (known: \(known.joined(separator: ", ")))")
            )
        }
        var status = Gongzhi_Host_V1_PluginStatus()
        status.name = described.name
        status.version = described.version
        status.state = host.isRegistered(plugin: plugin) ? "ready" : (described.enabled ? "starting" : "disabled")
        status.managed = true
        status.pid = getpid()
        status.sinceMs = startedAt
        status.services = described.services
        status.requestedGrants = described.requestedGrants
        status.approvedGrants = described.approvedGrants ?? described.requestedGrants
        status.effectiveGrants = host.grants(plugin: plugin) ?? []
        guard status.state == "ready" else {
            throw RPCError(
                code: .failedPrecondition,
                message: "plugin \(plugin) is \(status.state), not ready; the in-process host does not start it later"
            )
        }
        return status
    }

    public func auditEntries(last count: Int) async throws -> [Gongzhi_Host_V1_AuditEntry] {
        host.audit.recent(min(max(count, 0), 1000)).map { record in
            var entry = Gongzhi_Host_V1_AuditEntry()
            entry.sequence = record.sequence
            entry.timeMs = record.timeMilliseconds
            entry.principal = record.principal
            entry.action = record.action
            entry.target = record.target
            entry.outcome = record.outcome
            entry.detail = record.detail
            entry.hash = record.hash
            return entry
        }
    }
}

/// Runs `plugins` in this process against an in-process host for the duration of `body`: each enabled plugin
/// is admitted with the grants its manifest requests and the configuration approves, its `makeServices` is
/// called with a context whose `host` leads to the in-process host (as `Plugin.main` calls it), its health
/// check must pass, and its services then take the calls routed to them. Afterwards the plugins' stop actions
/// run (`context.onStop`), the host closes and the temporary folder is removed.
///
/// ```swift
/// let board = TestPlugin(name: "noticeboard", services: ["gongzhi.example.v1.NoticeBoard"]) { context in
///     [try NoticeBoardService(logger: context.logger, dataDirectory: context.dataDirectory)]
/// }
/// try await withInProcessTestHost(plugins: [board]) { host in
///     let client = Gongzhi_Example_V1_NoticeBoardClient(channel: host.adminChannel)
///     _ = try await client.post(...)
/// }
/// ```
public func withInProcessTestHost<Result: Sendable>(
    plugins: [TestPlugin],
    logger: Logger = Logger(label: "gongzhi.test-host", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (InProcessTestHost) async throws -> Result
) async throws -> Result {
    // In memory where the system has a memory file system: the store syncs every commit, and a test of a
    // module's logic need not wait for a disk.
    let directory = try TestHost.makeTemporaryDirectory(in: isDirectory("/dev/shm") ? "/dev/shm" : "/tmp")
    defer { TestHost.removeTree(directory) }
    let startedAt = Int64(time(nil)) * 1000
    let host = try await InProcessHost(directory: directory + "/host", logger: logger)
    var started: [PluginHooks] = []
    do {
        for plugin in plugins where plugin.enabled {
            started.append(try await start(plugin, on: host, directory: directory, logger: logger))
        }
        let result = try await body(
            InProcessTestHost(directory: directory, host: host, plugins: plugins, startedAt: startedAt)
        )
        await stop(started)
        await host.close()
        return result
    } catch {
        await stop(started)
        await host.close()
        throw error
    }
}

/// Admits one plugin, makes its services and registers them, as the host and `Plugin.main` do between them.
private func start(
    _ plugin: TestPlugin,
    on host: InProcessHost,
    directory: String,
    logger: Logger
) async throws -> PluginHooks {
    guard let makeServices = plugin.makeServices else {
        throw RPCError(
            code: .invalidArgument,
            message: "plugin \(plugin.name) has no makeServices: the in-process mode runs the plugin's services in "
                + "the test's process (TestPlugin(name:services:makeServices:)); test it live otherwise"
        )
    }
    let token = try host.admit(
        plugin: plugin.name,
        services: plugin.services,
        requestedGrants: plugin.requestedGrants,
        approvedGrants: plugin.approvedGrants
    )
    let dataDirectory = directory + "/plugins/" + plugin.name
    try makeDirectories(dataDirectory)
    var pluginLogger = logger
    pluginLogger[metadataKey: "plugin"] = "\(plugin.name)"
    let hooks = PluginHooks()
    let context = PluginContext(
        name: plugin.name,
        version: plugin.version,
        logger: pluginLogger,
        dataDirectory: dataDirectory,
        host: HostChannel(channel: host.hostChannel(token: nil), token: token),
        hooks: hooks
    )
    let services: [any RPCService]
    do {
        services = try await makeServices(context)
    } catch {
        await stop([hooks])
        throw RPCError(
            code: .failedPrecondition,
            message: "plugin \(plugin.name) cannot start: making its services failed: \(error)",
            cause: error
        )
    }
    if let check = hooks.healthCheck.withLock({ $0 }) {
        let health = await check()
        if health.status == .notServing {
            await stop([hooks])
            throw RPCError(
                code: .failedPrecondition,
                message: "plugin \(plugin.name) registered, but its health check failed: it answered NOT_SERVING"
                    + (health.message.isEmpty ? "" : ": \(health.message)")
            )
        }
    }
    do {
        try host.register(plugin: plugin.name, services: services)
    } catch {
        await stop([hooks])
        throw error
    }
    return hooks
}

/// Runs the plugins' stop actions, last started first, as a plugin stopping at the end of its life does.
private func stop(_ plugins: [PluginHooks]) async {
    for hooks in plugins.reversed() {
        for action in hooks.stopActions.withLock({ $0 }) { await action("the test ended") }
    }
}

/// Creates `path` and the folders above it.
private func makeDirectories(_ path: String) throws {
    var partial = ""
    for component in path.split(separator: "/") {
        partial += "/" + component
        if mkdir(partial, 0o700) != 0 && errno != EEXIST {
            throw RPCError(
                code: .internal,
                message: "cannot create the folder \(partial): \(String(cString: strerror(errno)))"
            )
        }
    }
}

private func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}
