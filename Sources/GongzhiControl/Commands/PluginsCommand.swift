import ArgumentParser
import GongzhiRPC
import GongzhiSchemas

extension GongzhiControl {
    /// `gongzhictl plugins …`.
    struct Plugins: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, inspect, enable, disable and restart plugins, and read their output.",
            subcommands: [List.self, Describe.self, Enable.self, Disable.self, Restart.self, Logs.self]
        )
    }
}

/// The plugin a command acts on.
struct PluginNameArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The plugin's name, as in its manifest.", valueName: "name"))
    var name: String

    var request: Gongzhi_Host_V1_PluginRequest {
        Gongzhi_Host_V1_PluginRequest.with { $0.name = name }
    }
}

extension GongzhiControl.Plugins {
    struct List: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "List the plugins with their state, pid, age of the state and restarts."
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let plugins = try await invocation.call { admin, options in
                try await admin.listPlugins(Gongzhi_Host_V1_ListPluginsRequest(), options: options).plugins
            }
            invocation.print(
                human: { HumanOutput.pluginTable(plugins, time: $0) },
                json: { JSONOutput.plugins(plugins) }
            )
        }
    }

    struct Describe: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Show everything the host knows about a plugin: state and why, grants, paths, restarts."
        )

        @OptionGroup var plugin: PluginNameArgument
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = plugin.request
            let status = try await invocation.call { admin, options in
                try await admin.describePlugin(request, options: options)
            }
            invocation.print(
                human: { HumanOutput.pluginDetail(status, time: $0) },
                json: { JSONOutput.plugin(status) }
            )
        }
    }

    struct Enable: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Enable a plugin named in the host's config and start it; also releases a quarantined one."
        )

        @OptionGroup var plugin: PluginNameArgument
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let request = plugin.request
            try await invocation.changePlugin("enabled") { admin, options in
                try await admin.enablePlugin(request, options: options)
            }
        }
    }

    struct Disable: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Stop a plugin gracefully and keep it stopped until it is enabled again."
        )

        @OptionGroup var plugin: PluginNameArgument
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let request = plugin.request
            try await invocation.changePlugin("disabled") { admin, options in
                try await admin.disablePlugin(request, options: options)
            }
        }
    }

    struct Restart: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Stop and start a plugin, also one that is quarantined or backing off."
        )

        @OptionGroup var plugin: PluginNameArgument
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let request = plugin.request
            try await invocation.changePlugin("restarted") { admin, options in
                try await admin.restartPlugin(request, options: options)
            }
        }
    }

    struct Logs: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Print a plugin's captured output: TIME LEVEL [stream] text.",
            discussion: "With -f the command keeps printing new lines as they come, until Ctrl-C."
        )

        @OptionGroup var plugin: PluginNameArgument

        @Flag(name: .shortAndLong, help: "Keep printing new lines as the plugin writes them, until Ctrl-C.")
        var follow = false

        @Option(help: ArgumentHelp("Start with the last <n> lines (default: all the host keeps).", valueName: "n"))
        var tail: UInt32?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Host_V1_PluginLogsRequest.with {
                $0.name = plugin.name
                $0.tail = tail ?? 0
                $0.follow = follow
            }
            let time = invocation.context.time
            try await invocation.call(timeout: follow ? nil : Invocation.callTimeout) { admin, options in
                try await admin.pluginLogs(request, options: options) { lines in
                    for try await line in lines {
                        switch invocation.format {
                        case .table: invocation.context.writeOutput(HumanOutput.logLine(line, time: time()))
                        case .json, .yaml: invocation.context.writeOutput(JSONOutput.logLine(line))
                        }
                    }
                }
            }
        }
    }
}

extension Invocation {
    /// Calls one of the methods that change a plugin's state and prints the state it is in now.
    fileprivate func changePlugin(
        _ action: String,
        _ body: (Gongzhi_Host_V1_AdminClient, CallOptions) async throws -> Gongzhi_Host_V1_PluginStatus
    ) async throws {
        let status = try await call(body)
        print(
            human: { _ in HumanOutput.pluginChange(action, status) },
            json: { JSONOutput.plugin(status) }
        )
    }
}
