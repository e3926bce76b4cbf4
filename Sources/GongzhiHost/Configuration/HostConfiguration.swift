import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The host's configuration file (TOML).
///
/// ```toml
/// runtime_dir = "/run/gongzhi"          # admin.sock, host.sock, plugins/<name>/<name>.sock
/// data_dir = "/var/lib/gongzhi"
/// plugin_dir = "/usr/lib/gongzhi/plugins"
/// admin_uids = [0]
///
/// [plugins.noticeboard]
/// grants = ["gongzhi.test.v1.Echo/*"]   # the requests of its manifest that an administrator approves
/// ```
///
/// Relative paths are relative to the folder of the configuration file.
public struct HostConfiguration: Sendable, Equatable {
    public var path: String
    public var runtimeDirectory: String
    public var dataDirectory: String
    public var pluginDirectory: String?
    /// Users allowed on admin.sock.
    public var adminUIDs: [UInt32]
    public var logLevel: Logger.Level
    /// Lifetime of an API token issued without one.
    public var defaultTokenLifetime: Duration
    public var supervision: SupervisionPolicy
    /// The object store's settings (`[objects]`).
    public var objects: ObjectStoreSettings
    /// Plugins by name, in name order.
    public var plugins: [PluginConfiguration]
    /// Limits on the sockets' connections (`[connections]`).
    public var connections = ConnectionSettings()
    /// The group of host.sock and admin.sock (`socket_group`); plugin users get it as a supplementary group so
    /// that they can reach host.sock. Nil: the host's own group.
    public var socketGroup: String? = nil
    /// Whether a host running as root starts each plugin as a user of its own (`isolate_plugins`, default true);
    /// false only for development, where the checkout may lie where no plugin user can reach it.
    public var isolatePlugins = true
    /// How calls are admitted to their shares of the host (`[admission]`).
    public var admission = AdmissionSettings()

    package static let knownKeys: Set<String> = [
        "runtime_dir", "data_dir", "plugin_dir", "admin_uids", "log_level", "token_ttl", "supervision", "objects",
        "plugins", "connections", "socket_group", "isolate_plugins", "admission",
    ]

    /// Reads and checks the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> HostConfiguration {
        let text = try TOMLTableReader.readText(path: path, what: "the configuration")
        return try parse(text, path: path)
    }

    /// Checks a configuration given as text; `path` names it in errors and anchors relative paths.
    package static func parse(_ text: String, path: String) throws(ConfigurationError) -> HostConfiguration {
        let top = try TOMLTableReader.parse(text, path: path)
        try top.rejectUnknownKeys(knownKeys)
        let base = parentDirectory(of: absolutePath(path))

        let runtime = resolve(try top.requiredString("runtime_dir"), against: base)
        let data = resolve(try top.requiredString("data_dir"), against: base)
        let pluginDirectory = try top.string("plugin_dir").map { resolve($0, against: base) }
        var adminUIDs: [UInt32] = [0, getuid()]
        if let uids = try top.integerArray("admin_uids") {
            adminUIDs = []
            for uid in uids {
                guard let value = UInt32(exactly: uid) else {
                    throw top.error("admin_uids", "\(uid) is not a uid")
                }
                adminUIDs.append(value)
            }
        }
        var level = Logger.Level.info
        if let text = try top.string("log_level") {
            guard let parsed = Logger.Level(rawValue: text) else {
                throw top.error(
                    "log_level",
                    "\"\(text)\" is not a level (trace, debug, info, notice, warning, error, critical)"
                )
            }
            level = parsed
        }
        let tokenLifetime = try top.duration("token_ttl") ?? .seconds(30 * 86_400)
        let supervision = try SupervisionPolicy(reading: top.table("supervision"))
        let objects = try ObjectStoreSettings(reading: top.table("objects"))

        var plugins: [PluginConfiguration] = []
        if let table = try top.table("plugins") {
            for name in table.values.keys.sorted() {
                guard let entry = try table.table(name) else { continue }
                plugins.append(try PluginConfiguration(name: name, reading: entry))
            }
        }
        if plugins.contains(where: \.enabled), pluginDirectory == nil {
            throw ConfigurationError(
                file: path,
                key: "plugin_dir",
                message: "is required when plugins are enabled: the folder that holds their manifests"
            )
        }
        return HostConfiguration(
            path: absolutePath(path),
            runtimeDirectory: runtime,
            dataDirectory: data,
            pluginDirectory: pluginDirectory,
            adminUIDs: adminUIDs,
            logLevel: level,
            defaultTokenLifetime: tokenLifetime,
            supervision: supervision,
            objects: objects,
            plugins: plugins,
            connections: try ConnectionSettings(reading: top.table("connections")),
            socketGroup: try top.string("socket_group"),
            isolatePlugins: try top.bool("isolate_plugins") ?? true,
            admission: try AdmissionSettings(reading: top.table("admission"))
        )
    }

    /// The object store's database file.
    public var objectStorePath: String { dataDirectory + "/host/objects.sqlite" }

    package func plugin(named name: String) -> PluginConfiguration? {
        plugins.first { $0.name == name }
    }

    public var adminSocketPath: String { runtimeDirectory + "/admin.sock" }
    public var hostSocketPath: String { runtimeDirectory + "/host.sock" }
    public var pluginSocketDirectory: String { runtimeDirectory + "/plugins" }
    /// The folder a plugin binds its socket in: its own, so that no other plugin can reach the socket.
    public func pluginSocketFolder(_ name: String) -> String { pluginSocketDirectory + "/\(name)" }
    public func pluginSocketPath(_ name: String) -> String { pluginSocketFolder(name) + "/\(name).sock" }
    public func pluginDataDirectory(_ name: String) -> String { dataDirectory + "/plugins/\(name)" }
    public func manifestPath(_ name: String) -> String? {
        pluginDirectory.map { $0 + "/\(name).plugin.toml" }
    }
}

/// One plugin's entry in the host configuration: `[plugins.<name>]`.
public struct PluginConfiguration: Sendable, Equatable {
    public enum RestartPolicy: String, Sendable, Equatable {
        /// Restarted with backoff after every unexpected exit, until quarantined.
        case always
        /// Left crashed after an unexpected exit until an administrator restarts it.
        case never
    }

    public var name: String
    public var enabled: Bool
    /// Grant patterns an administrator approves for this plugin; it holds those its manifest requests.
    public var approvedGrants: [GrantPattern]
    /// Extra environment for the plugin process.
    public var environment: [String: String]
    public var restart: RestartPolicy
    public var logLevel: Logger.Level?
    /// The system user the plugin runs as when the host runs as root (`user`); nil: `gongzhi-NAME`.
    public var user: String?

    static let knownKeys: Set<String> = ["enabled", "grants", "env", "restart", "log_level", "user"]

    public init(
        name: String,
        enabled: Bool = true,
        approvedGrants: [GrantPattern] = [],
        environment: [String: String] = [:],
        restart: RestartPolicy = .always,
        logLevel: Logger.Level? = nil,
        user: String? = nil
    ) {
        self.name = name
        self.enabled = enabled
        self.approvedGrants = approvedGrants
        self.environment = environment
        self.restart = restart
        self.logLevel = logLevel
        self.user = user
    }

    init(name: String, reading table: TOMLTableReader) throws(ConfigurationError) {
        try table.rejectUnknownKeys(Self.knownKeys)
        guard PluginManifest.isValidName(name) else {
            throw ConfigurationError(
                file: table.file,
                key: table.prefix,
                line: table.line,
                message:
                    "\"\(name)\" is not a plugin name (lower-case letters, digits and '-', at most 63; not \"host\")"
            )
        }
        self.name = name
        self.enabled = try table.bool("enabled") ?? true
        var grants: [GrantPattern] = []
        for text in try table.stringArray("grants") ?? [] {
            do {
                grants.append(try GrantPattern(parsing: text))
            } catch {
                throw table.error("grants", error.message)
            }
        }
        self.approvedGrants = grants
        var environment: [String: String] = [:]
        if let env = try table.table("env") {
            for key in env.values.keys.sorted() {
                guard let value = try env.string(key) else { continue }
                if key.hasPrefix("GONGZHI_") {
                    throw env.error(key, "GONGZHI_ variables are set by the host and cannot be configured")
                }
                environment[key] = value
            }
        }
        self.environment = environment
        let restartText = try table.string("restart") ?? "always"
        guard let restart = RestartPolicy(rawValue: restartText) else {
            throw table.error("restart", "\"\(restartText)\" is not a restart policy (always, never)")
        }
        self.restart = restart
        if let text = try table.string("log_level") {
            guard let level = Logger.Level(rawValue: text) else {
                throw table.error("log_level", "\"\(text)\" is not a level")
            }
            self.logLevel = level
        } else {
            self.logLevel = nil
        }
        self.user = try table.string("user")
        if let user, !PluginAccount.isValidUserName(user) {
            throw table.error(
                "user",
                "\"\(user)\" is not a user name (lower-case letters, digits, '-' and '_', starting with a letter "
                    + "or '_', at most \(PluginAccount.maximumNameLength))"
            )
        }
    }
}

/// How the host supervises the plugins it starts.
/// How the object store keeps its history: `[objects]` in the configuration.
public struct ObjectStoreSettings: Sendable, Equatable {
    /// How long the change history is kept for watchers to resume from (`history_retention`, default 24 h).
    public var historyRetention: Duration = .seconds(86_400)
    /// How often expired history is compacted (`compaction_interval`, default 10 min).
    public var compactionInterval: Duration = .seconds(600)

    public init() {}

    static let knownKeys: Set<String> = ["history_retention", "compaction_interval"]

    init(reading table: TOMLTableReader?) throws(ConfigurationError) {
        guard let table else { return }
        try table.rejectUnknownKeys(Self.knownKeys)
        if let value = try table.duration("history_retention") {
            guard value >= .seconds(1) else {
                throw table.error("history_retention", "must be at least 1s (hours are usual), so watchers can resume")
            }
            historyRetention = value
        }
        if let value = try table.duration("compaction_interval") {
            guard value >= .seconds(1) else { throw table.error("compaction_interval", "must be at least 1s") }
            compactionInterval = value
        }
    }
}

public struct SupervisionPolicy: Sendable, Equatable {
    public var healthInterval: Duration = .seconds(5)
    public var healthTimeout: Duration = .seconds(2)
    /// From spawning to a registered, healthy plugin.
    public var startTimeout: Duration = .seconds(15)
    /// How long a stopping plugin has after `Shutdown`, and again after SIGTERM.
    public var stopGracePeriod: Duration = .seconds(5)
    public var backoffInitial: Duration = .seconds(1)
    public var backoffMaximum: Duration = .seconds(60)
    /// This many crashes within `crashWindow` quarantine a plugin.
    public var crashLimit: Int = 5
    public var crashWindow: Duration = .seconds(120)
    /// Failed health checks in a row after which a plugin is restarted.
    public var unhealthyLimit: Int = 3
    /// Output lines kept per plugin.
    public var logLines: Int = 1000

    public init() {}

    static let knownKeys: Set<String> = [
        "health_interval", "health_timeout", "start_timeout", "stop_grace", "backoff_initial", "backoff_max",
        "crash_limit", "crash_window", "unhealthy_limit", "log_lines",
    ]

    init(reading table: TOMLTableReader?) throws(ConfigurationError) {
        guard let table else { return }
        try table.rejectUnknownKeys(Self.knownKeys)
        if let value = try table.duration("health_interval") { healthInterval = value }
        if let value = try table.duration("health_timeout") { healthTimeout = value }
        if let value = try table.duration("start_timeout") { startTimeout = value }
        if let value = try table.duration("stop_grace") { stopGracePeriod = value }
        if let value = try table.duration("backoff_initial") { backoffInitial = value }
        if let value = try table.duration("backoff_max") { backoffMaximum = value }
        if let value = try table.integer("crash_limit", in: 1...1000) { crashLimit = Int(value) }
        if let value = try table.duration("crash_window") { crashWindow = value }
        if let value = try table.integer("unhealthy_limit", in: 1...1000) { unhealthyLimit = Int(value) }
        if let value = try table.integer("log_lines", in: 10...1_000_000) { logLines = Int(value) }
    }
}
