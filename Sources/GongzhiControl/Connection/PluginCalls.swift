import GongzhiRPC
import GongzhiRPCPosix
import SwiftProtobuf

/// A plugin's service that commands call through the host, and how to name it in errors.
public struct PluginService: Sendable, Hashable {
    /// The service's full name, `gongzhi.grid.v1.GridService`.
    public var name: String
    /// The plugin that serves it, as `gongzhictl plugins list` names it: `grid`.
    public var plugin: String
    /// What INVALID_ARGUMENT means for this service, put before the plugin's message
    /// (`the sensor adapter refused the readings`); nil shows the plugin's message as it is.
    public var refusal: String?

    public init(name: String, plugin: String, refusal: String? = nil) {
        self.name = name
        self.plugin = plugin
        self.refusal = refusal
    }
}

extension Invocation {
    /// Calls a plugin's service through the host, which routes the call to the plugin, with a fresh client
    /// closed afterwards, on the command's socket (``socketPath``). An error says whether the host, the
    /// plugin or the request is the problem.
    public func callPlugin<Result: Sendable>(
        _ service: PluginService,
        timeout: Duration? = Invocation.callTimeout,
        _ body: (any RPCClientChannel, CallOptions) async throws -> Result
    ) async throws -> Result {
        if format == .yaml {
            throw ControlError(
                "-o yaml is for the object commands; use -o json or -o table",
                exitCode: ControlExitCode.usage
            )
        }
        return try await connected(try route.get(), reading: .plugin(service)) { channel in
            try await body(channel, CallOptions(timeout: timeout))
        }
    }

    /// Prints a plugin's answer: the table for people, or the message in protobuf's JSON mapping with the
    /// proto's field names for scripts.
    public func print(human: (TimeStyle) -> String, message: some SwiftProtobuf.Message) {
        print(human: human, json: { PluginOutput.json(message) })
    }
}

extension ControlError {
    /// The one line and exit status for a failed call of a plugin's service through the host.
    ///
    /// A module that is not deployed on the host (no plugin serves the service: how to install and enable it),
    /// a plugin that is deployed but not taking calls (where to see why), and a request the plugin refused are
    /// told apart from a host that cannot be reached, each in one line exiting 1; anything else is as for the
    /// host's own calls (NOT_FOUND exits 4, FAILED_PRECONDITION and ABORTED exit 1 with the plugin's message as
    /// it is).
    public init(
        callingPlugin service: PluginService,
        at socketPath: String,
        failedWith error: any Error,
        probe: (String) -> SocketProbe = SocketProbe.probe
    ) {
        if let error = error as? ControlError {
            self = error
            return
        }
        let rpc = RPCError(wrapping: error)
        switch rpc.code {
        // The host answers UNIMPLEMENTED "no plugin serves SERVICE" when no plugin in its configuration claims
        // the service: the module is not deployed there (one that is configured but stopped is UNAVAILABLE).
        case .unimplemented where rpc.message.hasPrefix("no plugin serves \(service.name)"):
            self.init(
                "the \(service.plugin) plugin is not deployed on this host (no plugin serves \(service.name)); "
                    + "install it with Deploy/install-plugin.sh, add [plugins.\(service.plugin)] to the host's "
                    + "config and reload the host",
                exitCode: ControlExitCode.failed
            )
        case .unimplemented where rpc.message.contains(service.name):
            self.init(
                "the \(service.plugin) plugin does not serve this call (is it an older version?): \(rpc.message)",
                exitCode: ControlExitCode.failed
            )
        // The host answers UNAVAILABLE for a plugin that is not taking calls; a host that cannot be reached
        // gives the same code without a host behind the socket, or "cannot connect to PATH: …".
        case .unavailable
        where !rpc.message.isEmpty && !rpc.message.hasPrefix("cannot connect to ") && probe(socketPath) == .socket:
            self.init(
                "the \(service.plugin) plugin is not available: \(rpc.message) "
                    + "(see gongzhictl plugins describe \(service.plugin))",
                exitCode: ControlExitCode.failed
            )
        case .invalidArgument:
            let message = rpc.message.isEmpty ? "the \(service.plugin) plugin refused the request" : rpc.message
            self.init(
                service.refusal.map { "\($0): \(message)" } ?? message,
                exitCode: ControlExitCode.failed
            )
        default:
            self.init(calling: socketPath, failedWith: error, probe: probe)
        }
    }
}

/// Output shared by the commands that call plugins.
public enum PluginOutput {
    /// The answer in protobuf's JSON mapping with the proto's field names, for scripts.
    public static func json(_ message: some SwiftProtobuf.Message) -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        options.alwaysPrintEnumsAsInts = false
        return ((try? message.jsonString(options: options)) ?? "{}") + "\n"
    }
}
