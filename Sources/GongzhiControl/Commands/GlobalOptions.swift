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

    /// These options where given, else `other`'s: the root command parses the options wherever they stand,
    /// a subcommand declares them again so that its help lists them.
    func merged(over other: GlobalOptions) -> GlobalOptions {
        var merged = self
        merged.socket = socket ?? other.socket
        merged.output = output ?? other.output
        return merged
    }
}

/// A command that calls the host: its own options (for its help) merged over the root command's.
protocol AdminCommand: AsyncParsableCommand {
    var options: GlobalOptions { get }
    var root: GongzhiControl { get }
}

extension AdminCommand {
    var invocation: Invocation {
        Invocation(options: options.merged(over: root.global))
    }
}
