import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `gongzhictl`, the administrator's command line for a running `gongzhi-host`.
///
/// `runProcess()` runs it as a process; `execute(_:)` runs it in-process and returns the exit status, printing
/// to `ControlContext.current`.
public struct GongzhiControl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gongzhictl",
        abstract: "Administer a running gongzhi-host: its objects, plugins, tokens, audit log and services.",
        discussion: """
            gongzhictl calls the host's admin socket: --socket PATH, else $GONGZHI_ADMIN_SOCKET, else \
            /run/gongzhi/admin.sock. The host answers only the uids listed in admin_uids of its config.

            Every command prints a table for people; -o json (--output json) prints JSON for scripts, \
            with the protocol's snake_case field names (plugins logs: one JSON object a line). The object \
            commands (get, describe, watch, apply, delete) print objects as documents with -o json or \
            -o yaml, in the format that apply reads.

            Any module's methods, a third party's too, can be called without a command of their own: \
            gongzhictl services lists what the host serves, gongzhictl describe service NAME shows a \
            service's methods and messages, and gongzhictl call SERVICE/METHOD -d JSON calls one, with the \
            request and answers in protobuf's JSON mapping (see gongzhictl call --help).

            Exit codes:
              0  ok
              1  the host refused or failed the request
              2  usage error
              3  the host cannot be reached (no socket, host not running)
              4  not found (no such object, kind, plugin or token)
              5  permission denied (your uid is not in the host's admin_uids)

            Shell completion comes from gongzhictl --generate-completion-script bash|zsh|fish; for bash:
              gongzhictl --generate-completion-script bash \\
                > /etc/bash_completion.d/gongzhictl
            """,
        subcommands: [
            Status.self, Get.self, Describe.self, Watch.self, Apply.self, Delete.self, Plugins.self, Tokens.self,
            Audit.self, Services.self, Call.self, Sensors.self, Grid.self,
        ]
    )

    @OptionGroup public var global: GlobalOptions

    public init() {}

    /// Runs the command line of this process and exits with its status. (Not ArgumentParser's `main()`,
    /// which prints errors its own way and exits 64 on usage errors.)
    public static func runProcess() async -> Never {
        terminateProcess(status: await execute(Array(CommandLine.arguments.dropFirst())))
    }

    /// Parses `arguments` (without the program name), runs the command, prints its output and errors to
    /// `ControlContext.current`, and returns the exit status (see `ControlExitCode`).
    ///
    /// Failures are one line on standard error, `error: <message>`; usage errors are ArgumentParser's,
    /// with exit status 2. Help and completion scripts go to standard output with status 0.
    public static func execute(_ arguments: [String]) async -> Int32 {
        let context = ControlContext.current
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ControlExitCode.ok
        } catch let error as ControlError {
            context.writeError("error: \(error.message)\n")
            return error.exitCode
        } catch {
            let code = exitCode(for: error)
            var message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { context.writeOutput(message + "\n") }
                return ControlExitCode.ok
            }
            if message.hasPrefix("Error: ") { message = "error: " + message.dropFirst("Error: ".count) }
            if !message.isEmpty { context.writeError(message + "\n") }
            return code == .validationFailure ? ControlExitCode.usage : code.rawValue
        }
    }
}

private func terminateProcess(status: Int32) -> Never {
    exit(status)
}
