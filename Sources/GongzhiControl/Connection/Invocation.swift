import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas

/// One run of a command: the socket and output format it resolved, and the context it prints to.
///
/// What every command that calls the host works through, in the core and in modules' command lines: it
/// turns any failure of a call into a ``ControlError`` and prints the answer in the format asked for. It is
/// also the one place that decides how a command reaches the host: the socket (``HostRoute``: admin.sock,
/// or host.sock with your login's token for the work people do), and the person named with `--as`, sent as
/// `gongzhi-act-as` with each call.
public struct Invocation: Sendable {
    /// How long a call may take; a followed log has no limit.
    public static let callTimeout: Duration = .seconds(10)

    /// The socket this command's calls go to: the host's admin socket (`--socket`, else
    /// `$GONGZHI_ADMIN_SOCKET`, else the production path), or host.sock while you are logged in and the
    /// command is not administration.
    public let socketPath: String
    /// The admin socket, which alone serves the Admin service.
    public let adminSocketPath: String
    /// `-o`, or the table when not given.
    public let format: OutputFormat
    /// Where the command's environment, clock and output come from.
    public let context: ControlContext
    /// How this command's calls reach the host, or why your login cannot be read (thrown at the first call).
    let route: Result<HostRoute, ControlError>
    /// The person `--as` names.
    let actingPerson: ActingPerson

    public init(options: GlobalOptions, access: HostAccess = .work, context: ControlContext = .current) {
        let adminSocket = AdminSocket.resolve(option: options.socket, environment: context.environment)
        let environment = context.environment
        self.adminSocketPath = adminSocket
        self.route = Result { () throws(ControlError) in
            try HostRoute.choose(
                access: access,
                options: options,
                adminSocket: adminSocket,
                environment: environment,
                login: { () throws(ControlError) in try CredentialsFile(environment: environment)?.load() }
            )
        }
        self.socketPath = (try? route.get())?.path ?? adminSocket
        self.format = options.output ?? .table
        self.context = context
        self.actingPerson = ActingPerson(typed: options.actAs)
    }

    /// The route for the Admin service's calls, which only admin.sock serves.
    var adminRoute: HostRoute { .admin(adminSocketPath) }

    /// Calls the host's Admin service (on admin.sock, whatever the command) with a fresh client, closed
    /// afterwards; any failure becomes a `ControlError`.
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
        return try await connected(adminRoute, reading: .host) { channel in
            try await body(Gongzhi_Host_V1_AdminClient(channel: channel), CallOptions(timeout: timeout))
        }
    }

    /// Runs `body` with a channel to the host along `route`: one client for the whole body, closed
    /// afterwards, that sends the route's token and the person `--as` names with every call. A failure that
    /// is not already a `ControlError` becomes one: about your login or the person acted for when it is
    /// one of theirs, else read as `failure` says.
    func connected<Result: Sendable>(
        _ route: HostRoute,
        reading failure: CallFailure,
        _ body: (any RPCClientChannel) async throws -> Result
    ) async throws -> Result {
        let client = RPCClient(socketPath: route.path)
        do {
            var channel: any RPCClientChannel = client
            if let token = route.token { channel = client.addingMetadata([HostRoute.tokenMetadataKey: token]) }
            if let person = try await actingPerson.id(through: channel, options: callOptions) {
                channel = ActingChannel(base: channel, person: person)
            }
            let result = try await body(channel)
            await client.close()
            return result
        } catch {
            await client.close()
            throw mapped(error, route: route, failure: failure)
        }
    }

    /// A failed call as one line for the person at the terminal.
    private func mapped(_ error: any Error, route: HostRoute, failure: CallFailure) -> ControlError {
        if let error = error as? ControlError { return error }
        if route.socket == .host, let login = ControlError(callingWithLogin: route.path, failedWith: error) {
            return login
        }
        let rpc = RPCError(wrapping: error)
        if actingPerson.typed != nil, rpc.code == .permissionDenied || rpc.code == .unauthenticated {
            // Acting for a person, a refusal is about what their roles allow, not about administering the host.
            return ControlError(
                "permission denied: \(rpc.message.isEmpty ? "the host answered \(rpc.code)" : rpc.message)",
                exitCode: ControlExitCode.permissionDenied
            )
        }
        return failure.error(error, at: route.path)
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

/// How a failed call reads, once what is about your login or the person acted for is told: as a call of
/// the host's own services, of its Objects service, or of a plugin's service.
enum CallFailure: Sendable {
    case host
    case objects
    case plugin(PluginService)

    func error(_ error: any Error, at socketPath: String) -> ControlError {
        switch self {
        case .host: ControlError(calling: socketPath, failedWith: error)
        case .objects: ControlError(objectCall: socketPath, failedWith: error)
        case .plugin(let service): ControlError(callingPlugin: service, at: socketPath, failedWith: error)
        }
    }
}
