import ArgumentParser

/// How a command prints its answer.
public enum OutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Aligned tables and `key: value` blocks for people.
    case table
    /// Pretty-printed JSON with sorted snake_case keys, for scripts; objects as documents.
    case json
    /// Objects as YAML documents (get, describe, watch and apply), and services and call answers.
    case yaml
}

/// The options every command takes: where the host is, as whom to call it, and how to print. They may stand
/// anywhere on the command line (`gongzhictl --socket PATH status` or `gongzhictl status --socket PATH`).
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "The host's admin socket (default: $GONGZHI_ADMIN_SOCKET, else /run/gongzhi/admin.sock).",
            valueName: "path"
        ),
        completion: .file()
    )
    public var socket: String?

    @Option(
        name: [.customShort("o"), .long],
        help: ArgumentHelp(
            "table (the default) for people, json for scripts; yaml for get, describe, watch, apply, services and call.",
            valueName: "format"
        )
    )
    public var output: OutputFormat?

    @Option(
        help: ArgumentHelp(
            "The host's socket for people and API clients, used while you are logged in (default: "
                + "$GONGZHI_HOST_SOCKET, else the one you logged in at, else host.sock beside the admin socket).",
            valueName: "path"
        ),
        completion: .file()
    )
    public var hostSocket: String?

    @Flag(help: "Call the admin socket as yourself, even when you are logged in as a person.")
    public var admin = false

    @Option(
        name: .customLong("as"),
        help: ArgumentHelp(
            "Act for this person, by id or name: the host decides the call by their roles and places, and "
                + "records it as done for them.",
            valueName: "person"
        )
    )
    public var actAs: String?

    public init() {}
}

/// A command that calls the host, in the core or in a module's command line.
///
/// It declares the host and output options as `@OptionGroup(title: "Host and output") var options:
/// GlobalOptions`, so that its help lists them; ArgumentParser hands every option group of one type the same
/// values, which the root command (``ControlCommandLine``) parses wherever they stand on the command line.
public protocol AdminCommand: AsyncParsableCommand {
    /// The host and output options of this command line.
    var options: GlobalOptions { get }
    /// Whether the command administers the host (admin.sock always) or does the work people do (host.sock
    /// while you are logged in); ``HostAccess/work`` unless the command says otherwise.
    static var access: HostAccess { get }
}

extension AdminCommand {
    /// The work people do: a module's commands, and reading objects.
    public static var access: HostAccess { .work }

    /// This run of the command: the socket and output format its options resolve to, and the context it
    /// prints to.
    public var invocation: Invocation {
        Invocation(options: options, access: Self.access)
    }
}
