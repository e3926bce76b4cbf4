import GongzhiHost
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Runs a real host in this process, with real plugin processes on real sockets in a temporary folder,
/// for the duration of `body`; then stops it and removes the folder.
///
/// ```swift
/// try await withTestHost(plugins: [TestPlugin(name: "noticeboard", executable: path,
///                                             services: ["gongzhi.example.v1.NoticeBoard"])]) { host in
///     try await host.waitUntilReady("noticeboard")
///     let board = Gongzhi_Example_V1_NoticeBoardClient(channel: host.adminChannel)
///     _ = try await board.post(...)
/// }
/// ```
public func withTestHost<Result: Sendable>(
    plugins: [TestPlugin],
    supervision: SupervisionPolicy = .forTests,
    logger: Logger = Logger(label: "gongzhi.test-host", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (TestHost) async throws -> Result
) async throws -> Result {
    let directory = try TestHost.makeTemporaryDirectory()
    defer { TestHost.removeTree(directory) }
    let configurationPath = try TestHostLayout.write(in: directory, plugins: plugins, supervision: supervision)
    let configuration = try HostConfiguration.load(path: configurationPath)
    let service = HostService(configuration: configuration, logger: logger, reloadsOnHangup: false)
    let running = Task { try await service.run() }
    do {
        try await service.waitUntilServing()
    } catch {
        running.cancel()
        _ = try? await running.value
        throw error
    }
    let host = TestHost(directory: directory, configuration: configuration, service: service)
    do {
        let result = try await body(host)
        await host.close()
        service.requestShutdown()
        try await running.value
        return result
    } catch {
        await host.close()
        service.requestShutdown()
        _ = try? await running.value
        throw error
    }
}

extension SupervisionPolicy {
    /// Short timers, so that tests of restarts and quarantine take seconds.
    public static var forTests: SupervisionPolicy {
        var policy = SupervisionPolicy()
        policy.healthInterval = .milliseconds(500)
        policy.healthTimeout = .seconds(2)
        policy.startTimeout = .seconds(20)
        policy.stopGracePeriod = .seconds(2)
        policy.backoffInitial = .milliseconds(100)
        policy.backoffMaximum = .seconds(1)
        return policy
    }
}

/// A host running for a test: the live mode, with real plugin processes on real sockets.
public struct TestHost: PluginTestHost {
    /// The temporary folder holding the configuration, the runtime and data folders and the plugin folder.
    public let directory: String
    public let configuration: HostConfiguration
    let service: HostService
    private let adminClient: RPCClient

    init(directory: String, configuration: HostConfiguration, service: HostService) {
        self.directory = directory
        self.configuration = configuration
        self.service = service
        self.adminClient = RPCClient(socketPath: configuration.adminSocketPath)
    }

    /// A connection to admin.sock, as an administrator (this process's uid).
    public var adminChannel: any RPCClientChannel { adminClient }

    public var admin: Gongzhi_Host_V1_AdminClient { Gongzhi_Host_V1_AdminClient(channel: adminChannel) }

    /// A channel to host.sock that presents `token` on every call (an API client's view of the host).
    public func channel(token: String) -> any RPCClientChannel {
        RPCClient(socketPath: configuration.hostSocketPath).addingMetadata(["gongzhi-token": token])
    }

    /// Issues an API client token with these scopes, and returns a channel that uses it.
    public func clientChannel(scopes: [String], subject: String = "test-client") async throws -> any RPCClientChannel {
        var request = Gongzhi_Host_V1_IssueTokenRequest()
        request.kind = .client
        request.subject = subject
        request.scopes = scopes
        let issued = try await admin.issueToken(request)
        return channel(token: issued.token)
    }

    /// The plugin's status as the host reports it.
    public func status(_ plugin: String) async throws -> Gongzhi_Host_V1_PluginStatus {
        var request = Gongzhi_Host_V1_PluginRequest()
        request.name = plugin
        return try await admin.describePlugin(request)
    }

    /// Waits until the plugin is in `state` ("ready" by default); fails with its last status after `timeout`.
    @discardableResult
    public func waitUntil(
        _ plugin: String,
        is state: String = "ready",
        timeout: Duration = .seconds(30)
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        let deadline = ContinuousClock.now + timeout
        var last = try await status(plugin)
        while last.state != state {
            guard ContinuousClock.now < deadline else {
                throw RPCError(
                    code: .deadlineExceeded,
                    message: "plugin \(plugin) is \(last.state), not \(state), after \(timeout)"
                        + (last.reason.isEmpty ? "" : ": \(last.reason)")
                )
            }
            try await Task.sleep(for: .milliseconds(25))
            last = try await status(plugin)
        }
        return last
    }

    /// Waits until the plugin is ready.
    @discardableResult
    public func waitUntilReady(
        _ plugin: String,
        timeout: Duration = .seconds(30)
    ) async throws
        -> Gongzhi_Host_V1_PluginStatus
    {
        try await waitUntil(plugin, is: "ready", timeout: timeout)
    }

    /// The host's latest audit entries, oldest first (`gongzhictl audit`).
    public func auditEntries(last count: Int) async throws -> [Gongzhi_Host_V1_AuditEntry] {
        var request = Gongzhi_Host_V1_ListAuditRequest()
        request.limit = UInt32(clamping: count)
        return try await admin.listAudit(request).entries
    }

    func close() async {
        await adminClient.close()
    }

    // MARK: Layout

    /// Creates a fresh folder `gongzhi-test-XXXXXX` in `parent`.
    public static func makeTemporaryDirectory(in parent: String = "/tmp") throws -> String {
        var template = Array("\(parent)/gongzhi-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw RPCError(
                code: .internal,
                message: "cannot create a temporary folder: \(String(cString: strerror(errno)))"
            )
        }
        let path = String(cString: made)
        // A host running as root starts each plugin as a user of its own, which must be able to pass through
        // (not list) the folder to reach its own folders inside.
        chmod(path, 0o711)
        return path
    }

    public static func removeTree(_ path: String) {
        TestHostLayout.removeTree(path)
    }
}

/// Writes what a host needs in a folder: `gongzhi.toml` (runtime in `run/`, data in `data/`), and a
/// sealed manifest for each plugin in `plugins/`. For tests that run `gongzhi-host` as a process.
public enum TestHostLayout {
    /// Writes the layout and returns the configuration's path. `settings` are extra top-level lines
    /// of the configuration (e.g. `admin_uids = [4242]`).
    public static func write(
        in directory: String,
        plugins: [TestPlugin],
        supervision: SupervisionPolicy = .forTests,
        settings: String = ""
    ) throws -> String {
        let pluginDirectory = directory + "/plugins"
        mkdir(pluginDirectory, 0o755)
        for plugin in plugins {
            try writeManifest(plugin, into: pluginDirectory)
        }
        let config = configurationText(plugins: plugins, supervision: supervision, settings: settings)
        let path = directory + "/gongzhi.toml"
        try writeText(path, config)
        return path
    }

    /// The whole configuration for `plugins`: what `write` puts in `gongzhi.toml`.
    public static func configurationText(
        plugins: [TestPlugin],
        supervision: SupervisionPolicy = .forTests,
        settings: String = ""
    ) -> String {
        let header = """
            runtime_dir = "run"
            data_dir = "data"
            plugin_dir = "plugins"
            log_level = "debug"
            \(settings)

            [supervision]
            health_interval = "\(milliseconds(supervision.healthInterval))ms"
            health_timeout = "\(milliseconds(supervision.healthTimeout))ms"
            start_timeout = "\(milliseconds(supervision.startTimeout))ms"
            stop_grace = "\(milliseconds(supervision.stopGracePeriod))ms"
            backoff_initial = "\(milliseconds(supervision.backoffInitial))ms"
            backoff_max = "\(milliseconds(supervision.backoffMaximum))ms"
            crash_limit = \(supervision.crashLimit)
            crash_window = "\(milliseconds(supervision.crashWindow))ms"
            unhealthy_limit = \(supervision.unhealthyLimit)

            """
        return header + pluginTables(plugins)
    }

    /// The configuration text for the plugins' tables, for tests that rewrite the file and reload.
    public static func pluginTables(_ plugins: [TestPlugin]) -> String {
        var config = ""
        for plugin in plugins {
            let approved = plugin.approvedGrants ?? plugin.requestedGrants
            config += """

                [plugins.\(plugin.name)]
                enabled = \(plugin.enabled)
                grants = [\(approved.map(quoted).joined(separator: ", "))]
                env = { \(plugin.environment.sorted { $0.key < $1.key }.map { "\($0.key) = \(quoted($0.value))" }.joined(separator: ", ")) }

                """
            if let user = plugin.user { config += "user = \(quoted(user))\n" }
        }
        return config
    }

    /// Writes a sealed manifest for one plugin into `pluginDirectory`.
    public static func writeManifest(_ plugin: TestPlugin, into pluginDirectory: String) throws {
        guard !plugin.executable.isEmpty else {
            throw RPCError(
                code: .invalidArgument,
                message: "plugin \(plugin.name) has no executable: the live mode runs the plugin's built executable "
                    + "(TestPlugin(executable:)); test it in-process with withTestHost(.inProcess, …) otherwise"
            )
        }
        let manifest = """
            name = \(quoted(plugin.name))
            version = \(quoted(plugin.version))
            executable = \(quoted(plugin.executable))
            sha256 = \(quoted(try fileSHA256(plugin.executable)))
            protocol_versions = [\(quoted(PluginProtocol.current))]
            services = [\(plugin.services.map(quoted).joined(separator: ", "))]
            grants = [\(plugin.requestedGrants.map(quoted).joined(separator: ", "))]

            """
        try writeText(pluginDirectory + "/\(plugin.name).plugin.toml", manifest)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    public static func writeText(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RPCError(code: .internal, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else {
                throw RPCError(code: .internal, message: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    public static func fileSHA256(_ path: String) throws -> String {
        do {
            return try sha256OfFile(path)
        } catch {
            throw RPCError(code: .notFound, message: "cannot read the plugin executable \(path): \(error)")
        }
    }

    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            if let directory = opendir(path) {
                var names: [String] = []
                while let entry = readdir(directory) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(directory)
                for name in names { removeTree(path + "/" + name) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
