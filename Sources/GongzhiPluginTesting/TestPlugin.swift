import GongzhiHost
import GongzhiPluginSDK
import GongzhiRPC

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A plugin to run under a test host: what its manifest says, the executable the author built (for the live
/// mode), and the closure that makes its services (for the in-process mode; the same one `Plugin.main` takes).
public struct TestPlugin: Sendable {
    public var name: String
    /// The built executable, which the live mode starts; empty for a plugin tested in-process only.
    public var executable: String
    public var version: String
    /// Fully qualified names of the services the plugin serves.
    public var services: [String]
    /// What the plugin's manifest asks for; the test host approves all of it unless `approvedGrants` says otherwise.
    public var requestedGrants: [String]
    public var approvedGrants: [String]?
    /// The live plugin process's environment (`[plugins.NAME] env` in the host's configuration). The in-process
    /// mode runs the plugin in the test's process, whose environment is not the plugin's: give `makeServices`
    /// its settings directly instead.
    public var environment: [String: String]
    public var enabled: Bool
    /// The system user the plugin runs as when the host runs as root (`user` in its table); nil: `gongzhi-NAME`.
    public var user: String? = nil
    /// Makes the plugin's services, as the closure given to `Plugin.main` does; the in-process mode calls it
    /// with a context whose `host` leads to the in-process host.
    public var makeServices: (@Sendable (PluginContext) async throws -> [any RPCService])?

    /// A plugin for the live mode: its executable runs under a real host.
    public init(
        name: String,
        executable: String,
        version: String = "1.0.0",
        services: [String],
        requestedGrants: [String] = [],
        approvedGrants: [String]? = nil,
        environment: [String: String] = [:],
        enabled: Bool = true
    ) {
        self.name = name
        self.executable = executable
        self.version = version
        self.services = services
        self.requestedGrants = requestedGrants
        self.approvedGrants = approvedGrants
        self.environment = environment
        self.enabled = enabled
        self.makeServices = nil
    }

    /// A plugin for the in-process mode, and for the live mode too when `executable` is given.
    public init(
        name: String,
        version: String = "1.0.0",
        services: [String],
        requestedGrants: [String] = [],
        approvedGrants: [String]? = nil,
        executable: String = "",
        environment: [String: String] = [:],
        enabled: Bool = true,
        makeServices: @escaping @Sendable (PluginContext) async throws -> [any RPCService]
    ) {
        self.name = name
        self.executable = executable
        self.version = version
        self.services = services
        self.requestedGrants = requestedGrants
        self.approvedGrants = approvedGrants
        self.environment = environment
        self.enabled = enabled
        self.makeServices = makeServices
    }

    /// A plugin described by its manifest as it is kept in the source tree (`Plugins/NAME/NAME.plugin.toml`,
    /// not yet sealed with the executable's SHA-256): its name, version, services and requested grants are the
    /// manifest's, so the test runs with the grants the plugin will ask for when installed.
    /// - Throws: the manifest's `ConfigurationError` (file, key and what is wrong) when it does not parse.
    public init(
        manifest path: String,
        approvedGrants: [String]? = nil,
        executable: String = "",
        environment: [String: String] = [:],
        makeServices: @escaping @Sendable (PluginContext) async throws -> [any RPCService]
    ) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, message: "cannot read the manifest: \(error)")
        }
        // The source manifest is sealed at install time; any well-formed digest stands in for the seal here.
        let unsealed = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.trimmingPrefix(while: \.isWhitespace).hasPrefix("sha256")
                ? "sha256 = \"\(String(repeating: "0", count: 64))\"" : String(line)
        }
        let manifest = try PluginManifest.parse(unsealed.joined(separator: "\n"), path: path)
        self.init(
            name: manifest.name,
            version: manifest.version,
            services: manifest.services,
            requestedGrants: manifest.requestedGrants.map(\.description),
            approvedGrants: approvedGrants,
            executable: executable,
            environment: environment,
            makeServices: makeServices
        )
    }
}
