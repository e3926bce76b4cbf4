import Logging
import Synchronization

/// What a plugin's services get from the SDK when the plugin starts.
///
/// `Plugin.main` passes it to the closure that makes the plugin's services. It stays valid for the life of
/// the process, so services may keep it.
public struct PluginContext: Sendable {
    /// The plugin's name, as the host knows it (`GONGZHI_PLUGIN_NAME`).
    public let name: String
    /// The version the plugin registers with.
    public let version: String
    /// A logger whose records reach the host's log of this plugin with their levels.
    public let logger: Logger
    /// A folder the plugin owns for its files (`GONGZHI_DATA_DIR`); the current directory when the host
    /// gave none.
    public let dataDirectory: String
    /// Calls services through the host, with the plugin's token and grants.
    public let host: HostChannel
    /// The host's object store, typed (through ``host``, with the plugin's grants).
    public var objects: HostObjects { HostObjects(channel: host) }

    let hooks: PluginHooks

    /// A context for a plugin run by something other than `Plugin.main` (the testing kit's in-process mode),
    /// which then answers to `hooks` itself.
    package init(
        name: String,
        version: String,
        logger: Logger,
        dataDirectory: String,
        host: HostChannel,
        hooks: PluginHooks
    ) {
        self.name = name
        self.version = version
        self.logger = logger
        self.dataDirectory = dataDirectory
        self.host = host
        self.hooks = hooks
    }

    /// Answers the host's `Health` calls with `check` instead of always SERVING. Keep it quick and free of
    /// side effects: the host calls it before accepting the plugin's registration and then periodically.
    public func setHealthCheck(_ check: @escaping @Sendable () async -> PluginHealth) {
        hooks.healthCheck.withLock { $0 = check }
    }

    /// Runs `action` once when the plugin is asked to stop (the host's `Shutdown`, SIGTERM or SIGINT, or
    /// the end of its registration), before its server stops taking calls: end long-running streams and
    /// save what is kept only in memory. The plugin exits when every action has returned and in-flight calls
    /// have finished; the host kills a plugin that outlives the grace period it gave.
    public func onStop(_ action: @escaping @Sendable (_ reason: String) async -> Void) {
        hooks.stopActions.withLock { $0.append(action) }
    }
}

/// The answer to the host's `Health` call.
public struct PluginHealth: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        /// Ready for calls.
        case serving
        /// Taking calls, but something is wrong (a dependency is slow, a disk is nearly full).
        case degraded
        /// Not able to take calls.
        case notServing
    }

    public var status: Status
    /// Why the plugin is degraded or not serving; empty when serving.
    public var message: String

    public init(status: Status, message: String = "") {
        self.status = status
        self.message = message
    }

    /// Ready for calls.
    public static let serving = PluginHealth(status: .serving)

    /// Taking calls, with a problem described by `message`.
    public static func degraded(_ message: String) -> PluginHealth {
        PluginHealth(status: .degraded, message: message)
    }

    /// Not able to take calls, for the reason in `message`.
    public static func notServing(_ message: String) -> PluginHealth {
        PluginHealth(status: .notServing, message: message)
    }
}

/// What the author's code registered through the context.
package final class PluginHooks: Sendable {
    package let healthCheck = Mutex<(@Sendable () async -> PluginHealth)?>(nil)
    package let stopActions = Mutex<[@Sendable (String) async -> Void]>([])

    package init() {}
}
