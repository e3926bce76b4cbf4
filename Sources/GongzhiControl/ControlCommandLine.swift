import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The root command of a `gongzhictl`: the core verbs (``GongzhiControl/coreSubcommands``) and the modules'
/// commands, which the executable lists:
///
/// ```swift
/// import GongzhiControl
/// import GongzhiGridControl
///
/// struct Gongzhictl: ControlCommandLine {
///     static let modules: [any ParsableCommand.Type] = [GridCommand.self]
///     @OptionGroup var global: GlobalOptions
///     init() {}
/// }
///
/// await Gongzhictl.runProcess()
/// ```
///
/// The root's option group takes `--socket` and `-o` wherever they stand on the command line; each command
/// that calls the host reads them from its own group (``AdminCommand``). Tests run a command line in-process
/// with ``execute(_:)``.
public protocol ControlCommandLine: AsyncParsableCommand {
    /// The modules' commands, after the core verbs in help: `[SensorsCommand.self, GridCommand.self]`.
    static var modules: [any ParsableCommand.Type] { get }
    /// The host and output options, declared `@OptionGroup var global: GlobalOptions`.
    var global: GlobalOptions { get }
}

extension ControlCommandLine {
    /// `gongzhictl`'s name and help, with the core verbs and ``modules`` as subcommands.
    public static var configuration: CommandConfiguration {
        GongzhiControl.configuration(modules: modules)
    }

    /// Runs the command line of this process and exits with its status. (Not ArgumentParser's `main()`,
    /// which prints errors its own way and exits 64 on usage errors.)
    public static func runProcess() async -> Never {
        terminateProcess(status: await execute(Array(CommandLine.arguments.dropFirst())))
    }

    /// Parses `arguments` (without the program name), runs the command, prints its output and errors to
    /// `ControlContext.current`, and returns the exit status (see ``ControlExitCode``).
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

/// exit(3), by a name that ArgumentParser's `exit(withError:)` does not hide.
private func terminateProcess(status: Int32) -> Never {
    exit(status)
}
