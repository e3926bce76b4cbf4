import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the host tells a plugin through its environment (see Docs/plugin-protocol.md, "Start").
///
/// `GONGZHI_PLUGIN_NAME`, `GONGZHI_PLUGIN_SOCKET`, `GONGZHI_HOST_SOCKET` and `GONGZHI_PLUGIN_TOKEN` are
/// required; the others are optional, because an external plugin started by hand has no host pid and may
/// have no data folder.
public struct PluginEnvironment: Sendable, Hashable, CustomStringConvertible {
    /// The names of the variables, as the host sets them.
    public enum Variable {
        public static let name = "GONGZHI_PLUGIN_NAME"
        public static let pluginSocket = "GONGZHI_PLUGIN_SOCKET"
        public static let hostSocket = "GONGZHI_HOST_SOCKET"
        public static let token = "GONGZHI_PLUGIN_TOKEN"
        public static let dataDirectory = "GONGZHI_DATA_DIR"
        public static let hostPID = "GONGZHI_HOST_PID"
        public static let logLevel = "GONGZHI_LOG_LEVEL"
    }

    /// The plugin's name from its manifest (or, for an external plugin, from its token).
    public var name: String
    /// The socket the plugin serves.
    public var pluginSocket: String
    /// The host's `host.sock`, where the plugin registers and calls the host.
    public var hostSocket: String
    /// The secret that identifies this process to the host. Never logged and never in `description`.
    public var token: String
    /// A folder the plugin owns for its files; the current directory when the host gave none.
    public var dataDirectory: String
    /// The host's pid when the host started this process; nil for an external plugin.
    public var hostPID: Int32?
    /// The level the host asks the plugin to log at; `info` when not given.
    public var logLevel: Logger.Level
    /// Problems that did not stop the plugin (an unreadable log level), to be logged once logging works.
    public var warnings: [String]

    public init(
        name: String,
        pluginSocket: String,
        hostSocket: String,
        token: String,
        dataDirectory: String,
        hostPID: Int32? = nil,
        logLevel: Logger.Level = .info
    ) {
        self.name = name
        self.pluginSocket = pluginSocket
        self.hostSocket = hostSocket
        self.token = token
        self.dataDirectory = dataDirectory
        self.hostPID = hostPID
        self.logLevel = logLevel
        self.warnings = []
    }

    /// Reads the variables through `lookup` (the process environment by default).
    public init(lookup: (String) -> String? = PluginEnvironment.processVariable) throws(PluginEnvironmentError) {
        func required(_ variable: String) throws(PluginEnvironmentError) -> String {
            guard let value = lookup(variable), !value.isEmpty else {
                throw PluginEnvironmentError(missing: variable)
            }
            return value
        }
        self.init(
            name: try required(Variable.name),
            pluginSocket: try required(Variable.pluginSocket),
            hostSocket: try required(Variable.hostSocket),
            token: try required(Variable.token),
            dataDirectory: lookup(Variable.dataDirectory).flatMap { $0.isEmpty ? nil : $0 } ?? "."
        )
        if let text = lookup(Variable.hostPID), !text.isEmpty {
            guard let pid = Int32(text), pid > 0 else {
                throw PluginEnvironmentError(
                    variable: Variable.hostPID,
                    message: "\(Variable.hostPID) must be the host's process id, not \(text)"
                )
            }
            hostPID = pid
        }
        if let text = lookup(Variable.logLevel), !text.isEmpty {
            if let level = Self.level(named: text) {
                logLevel = level
            } else {
                warnings.append(
                    "\(Variable.logLevel)=\(text) is not a log level "
                        + "(trace, debug, info, notice, warning, error, critical); logging at info"
                )
            }
        }
    }

    /// One variable of this process's environment.
    public static func processVariable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    public var description: String {
        "PluginEnvironment(name: \(name), pluginSocket: \(pluginSocket), hostSocket: \(hostSocket), "
            + "dataDirectory: \(dataDirectory), hostPID: \(hostPID.map(String.init) ?? "none"), "
            + "logLevel: \(logLevel), token: (set))"
    }

    private static func level(named text: String) -> Logger.Level? {
        let lowered = text.lowercased()
        switch lowered {
        case "warn": return .warning
        case "err": return .error
        case "crit": return .critical
        default: return Logger.Level(rawValue: lowered)
        }
    }
}

/// A variable a plugin needs is missing or unreadable: most often, someone ran the plugin by hand.
public struct PluginEnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The variable at fault, e.g. `GONGZHI_PLUGIN_SOCKET`.
    public var variable: String
    /// One line saying what is wrong and what to do.
    public var message: String

    public init(variable: String, message: String) {
        self.variable = variable
        self.message = message
    }

    init(missing variable: String) {
        self.init(
            variable: variable,
            message: "\(variable) is not set: this is a Gongzhi plugin, which gongzhi-host starts; "
                + "to attach it by hand set GONGZHI_PLUGIN_NAME, GONGZHI_PLUGIN_SOCKET, GONGZHI_HOST_SOCKET and "
                + "GONGZHI_PLUGIN_TOKEN (see Docs/plugin-protocol.md, \"External plugins\")"
        )
    }

    public var description: String { message }
}
