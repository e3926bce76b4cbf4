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

/// The options every command takes: where the host is and how to print. They may stand anywhere on the
/// command line (`gongzhictl --socket PATH status` or `gongzhictl status --socket PATH`).
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
}

extension AdminCommand {
    /// This run of the command: the socket and output format its options resolve to, and the context it
    /// prints to.
    public var invocation: Invocation {
        Invocation(options: options)
    }
}
