// gongzhi-echo-server: the echo test service as a process, kept lean on purpose (no argument-parsing or
// service-lifecycle libraries), so that what it costs in memory is what the RPC layer costs.
//
//   gongzhi-echo-server [serve] --socket PATH [--mode 600] [--log-level LEVEL] [--handlers-as-tasks]
//
// Prints READY when listening; SIGTERM or SIGINT shut it down gracefully.

import Dispatch
import GongzhiEcho
import GongzhiRPCPosix
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

// Run Swift concurrency on NIO's event loops: a call then resumes on the thread that read it, without a
// hop to another thread pool. Must happen before any task starts.
_ = EventLoopExecutor.install()
// As the host and plugins do: the allocator keeps the memory one call frees for the next.
MallocSettings.apply()

let usage = "usage: gongzhi-echo-server [serve] --socket PATH [--mode 600] [--log-level LEVEL] [--handlers-as-tasks]"

func writeError(_ message: String) {
    var line = "gongzhi-echo-server: \(message)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    writeError("\(message)\n\(usage)")
    exit(64)
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "serve" { arguments.removeFirst() }
var socketPath: String?
var mode: UInt32 = 0o600
var level = Logger.Level.warning
var handlersAsTasks = false
while !arguments.isEmpty {
    let option = arguments.removeFirst()
    func value() -> String {
        guard !arguments.isEmpty else { fail("\(option) needs a value") }
        return arguments.removeFirst()
    }
    switch option {
    case "--socket": socketPath = value()
    case "--mode":
        let text = value()
        guard let parsed = UInt32(text, radix: 8), parsed <= 0o777 else {
            fail("--mode must be octal permission bits such as 600 or 660, not \(text)")
        }
        mode = parsed
    case "--log-level":
        let text = value()
        guard let parsed = Logger.Level(rawValue: text) else {
            fail("--log-level must be one of trace, debug, info, notice, warning, error, critical, not \(text)")
        }
        level = parsed
    case "--handlers-as-tasks": handlersAsTasks = true
    case "-h", "--help":
        print(usage)
        exit(0)
    default: fail("unknown option \(option)")
    }
}
guard let socketPath else { fail("--socket is required") }

var logger = Logger(label: "gongzhi.echo")
logger.logLevel = level
var configuration = RPCServer.Configuration(socketPath: socketPath)
configuration.socketMode = mode
configuration.shutdownGracePeriod = .seconds(5)
configuration.startsHandlersOnEventLoop = !handlersAsTasks
let server = RPCServer(configuration: configuration, services: [EchoService()], logger: logger)

/// Turns SIGTERM and SIGINT into a graceful shutdown. Not isolated to the main actor: the handlers run on a
/// Dispatch queue.
nonisolated func shutDownOnSignals(_ server: RPCServer) -> [any DispatchSourceSignal] {
    let shutdown: @Sendable () -> Void = { server.beginGracefulShutdown() }
    return [SIGTERM, SIGINT].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: shutdown)
        source.resume()
        return source
    }
}

let signalSources = shutDownOnSignals(server)

let running = Task { try await server.run() }
do {
    try await server.waitUntilListening()
    print("READY")
    fflush(nil)
    try await running.value
} catch {
    writeError("\(error)")
    exit(1)
}
withExtendedLifetime(signalSources) {}
