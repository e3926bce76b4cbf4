import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas

/// One run of a command: the socket and output format it resolved, and the context it prints to.
///
/// What every command that calls the host works through, in the core and in modules' command lines: it
/// turns any failure of a call into a ``ControlError`` and prints the answer in the format asked for.
public struct Invocation: Sendable {
    /// How long a call may take; a followed log has no limit.
    public static let callTimeout: Duration = .seconds(10)

    /// The host's admin socket: `--socket`, else `$GONGZHI_ADMIN_SOCKET`, else the production path.
    public let socketPath: String
    /// `-o`, or the table when not given.
    public let format: OutputFormat
    /// Where the command's environment, clock and output come from.
    public let context: ControlContext

    public init(options: GlobalOptions, context: ControlContext = .current) {
        self.socketPath = AdminSocket.resolve(option: options.socket, environment: context.environment)
        self.format = options.output ?? .table
        self.context = context
    }

    /// Calls the host with a fresh client, closed afterwards; any failure becomes a `ControlError`.
    public func call<Result: Sendable>(
        timeout: Duration? = Invocation.callTimeout,
        _ body: (Gongzhi_Host_V1_AdminClient, CallOptions) async throws -> Result
    ) async throws -> Result {
        if format == .yaml {
            throw ControlError(
                "-o yaml is for the object commands (get, describe, watch, apply); use -o json or -o table",
                exitCode: ControlExitCode.usage
            )
        }
        let client = RPCClient(socketPath: socketPath)
        do {
            let result = try await body(Gongzhi_Host_V1_AdminClient(channel: client), CallOptions(timeout: timeout))
            await client.close()
            return result
        } catch {
            await client.close()
            throw ControlError(calling: socketPath, failedWith: error)
        }
    }

    /// Prints an answer as a table for people or JSON for scripts (`-o yaml` is refused before the call).
    public func print(human: (TimeStyle) -> String, json: () -> String) {
        switch format {
        case .table: context.writeOutput(human(context.time()))
        // JSON is YAML too; the commands that print Admin answers refuse -o yaml before they call.
        case .json, .yaml: context.writeOutput(json())
        }
    }
}
