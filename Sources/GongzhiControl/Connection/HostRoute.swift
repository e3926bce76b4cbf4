/// Whether a command administers the host or does the work people do: it decides which socket the
/// command calls when you are logged in (``HostRoute/choose(access:options:adminSocket:environment:login:)``).
public enum HostAccess: Sendable, Hashable {
    /// Administration (status, plugins, tokens, audit, people, roles, services, call, apply, delete): always
    /// on admin.sock, as your uid.
    case administration
    /// The work people do (reading objects, a module's commands): as the person you logged in as, on
    /// host.sock with your token; on admin.sock when you are not logged in, or with `--admin`.
    case work
}

/// How one command reaches the host: the socket, and the token that goes with every call on host.sock.
public struct HostRoute: Sendable, Hashable {
    public enum Socket: Sendable, Hashable {
        /// admin.sock: the host knows you by your uid.
        case admin
        /// host.sock: the host knows you by your login's token.
        case host
    }

    /// The metadata entry that carries a token on host.sock.
    public static let tokenMetadataKey = "gongzhi-token"

    public var socket: Socket
    public var path: String
    /// Sent as `gongzhi-token` with every call; nil on admin.sock.
    public var token: String?

    public init(socket: Socket, path: String, token: String? = nil) {
        self.socket = socket
        self.path = path
        self.token = token
    }

    /// The admin socket at `path`.
    public static func admin(_ path: String) -> HostRoute {
        HostRoute(socket: .admin, path: path)
    }

    /// The one place that decides which socket a command calls: administration always goes to admin.sock;
    /// the work people do goes to host.sock with the token of your login (``CredentialsFile``), unless you
    /// are not logged in or give `--admin`. `login` is read only when it matters (an unreadable login file
    /// does not stop administration).
    ///
    /// - Parameters:
    ///   - adminSocket: the admin socket, as ``AdminSocket`` resolved it.
    ///   - login: reads your login; nil when you are not logged in.
    public static func choose(
        access: HostAccess,
        options: GlobalOptions,
        adminSocket: String,
        environment: (String) -> String?,
        login: () throws(ControlError) -> StoredLogin?
    ) throws(ControlError) -> HostRoute {
        guard access == .work, !options.admin, let login = try login() else { return .admin(adminSocket) }
        let path = HostSocket.resolve(
            option: options.hostSocket,
            environment: environment,
            stored: login.hostSocket,
            adminSocket: adminSocket
        )
        return HostRoute(socket: .host, path: path, token: login.token)
    }
}
