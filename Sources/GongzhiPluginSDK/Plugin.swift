import Dispatch
import GongzhiRPC
import GongzhiRPCPosix
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a process as a Gongzhi plugin under `gongzhi-host`.
///
/// ```swift
/// @main struct NoticeBoardPlugin {
///     static func main() async {
///         await Plugin.main(name: "noticeboard", version: "1.0.0") { context in
///             [try NoticeBoardService(logger: context.logger, dataDirectory: context.dataDirectory)]
///         }
///     }
/// }
/// ```
public enum Plugin {
    /// The version of the plugin protocol this SDK speaks (Docs/plugin-protocol.md).
    public static let protocolVersion = "gongzhi-plugin/1"

    /// How long in-flight calls may take to finish when the plugin stops on a signal or loses its host,
    /// and when the host's `Shutdown` names no grace period.
    public static let defaultShutdownGracePeriod: Duration = .seconds(5)

    /// Serves the plugin's services and `gongzhi.plugin.v1.Plugin` on `GONGZHI_PLUGIN_SOCKET`, registers
    /// with the host on `GONGZHI_HOST_SOCKET`, and keeps serving for as long as the registration lasts.
    ///
    /// It reads the environment the host gives (a missing variable is reported on stderr in one line, exit
    /// status 2), sets the parent-death signal and exits if the host that started it is already gone,
    /// installs a log handler that writes `<level>: <message> key=value...` lines to stderr, sets the
    /// allocator's thresholds (`MallocSettings`), and calls `makeServices` once to make the services.
    ///
    /// The process exits with status 0 after a graceful stop: on `Shutdown`, SIGTERM or SIGINT, or when
    /// the host ends the registration. It exits with status 1 when the host refuses the registration (the
    /// reason is logged on stderr), when the connection to the host fails, when the socket cannot be
    /// served, or when `makeServices` throws.
    ///
    /// - Parameters:
    ///   - name: The plugin's name, as in its manifest.
    ///   - version: The plugin's version, as in its manifest.
    ///   - makeServices: Makes the services the plugin serves; each must have a distinct service name.
    public static func main(
        name: String,
        version: String,
        services makeServices: @Sendable (PluginContext) async throws -> [any RPCService]
    ) async -> Never {
        // The allocator keeps the memory one call frees for the next, instead of faulting it in again every call.
        MallocSettings.apply()
        let environment: PluginEnvironment
        do {
            environment = try PluginEnvironment()
        } catch {
            exitWritingError("error: \(name): \(error.message)", status: 2)
        }
        if let hostPID = environment.hostPID {
            let problem = ParentDeathSignal.set(SIGTERM)
            // Checked after setting the signal: a host that died before that moment is seen here.
            let parent = getppid()
            guard parent == hostPID else {
                exitWritingError(
                    "error: \(name): the host that started this plugin (pid \(hostPID)) is gone "
                        + "(the parent is now pid \(parent)); exiting",
                    status: 1
                )
            }
            if let problem {
                writeError("warning: \(name): cannot follow the host's life: \(problem)")
            }
        }

        // A host that has gone away closes our stderr: log writes then fail instead of killing the process.
        signal(SIGPIPE, SIG_IGN)
        let level = environment.logLevel
        LoggingSystem.bootstrap { _ in PluginLogHandler(level: level) }
        let logger = Logger(label: name)
        for warning in environment.warnings { logger.warning("\(warning)") }
        if environment.name != name {
            let mismatch =
                "the host knows this plugin as \(environment.name), but it registers as \(name); "
                + "the host refuses a registration whose name differs from the manifest's"
            logger.warning("\(mismatch)")
        }

        let runtime = PluginRuntime(name: name, version: version, environment: environment, logger: logger)
        let signalSources = stopOnSignals(runtime)
        let status = await runtime.run(makeServices: makeServices)
        withExtendedLifetime(signalSources) {}
        exitProcess(status)
    }

    /// Turns SIGTERM and SIGINT into a graceful stop. Not isolated to any actor: the handlers run on a
    /// Dispatch queue.
    nonisolated private static func stopOnSignals(_ runtime: PluginRuntime) -> [any DispatchSourceSignal] {
        [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                runtime.requestStop(reason: "received \(name)", gracePeriod: defaultShutdownGracePeriod, status: 0)
            }
            source.resume()
            return source
        }
    }
}

/// Writes one line to stderr.
func writeError(_ line: String) {
    var text = line
    text.append("\n")
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Writes one line to stderr and exits.
func exitWritingError(_ line: String, status: Int32) -> Never {
    writeError(line)
    exitProcess(status)
}

/// Flushes stdout and ends the process with `status`.
func exitProcess(_ status: Int32) -> Never {
    fflush(nil)
    exit(status)
}
