import ArgumentParser
import GongzhiEcho
import GongzhiRPC
import GongzhiRPCPosix
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `gongzhi-echo`: the echo test service as a process, its interoperability checks and a benchmark client.
@main
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-echo",
        abstract: "Serve, check or benchmark the gongzhi.test.v1.Echo service over a Unix socket.",
        subcommands: [Serve.self, Check.self, BenchClient.self]
    )

    static func main() async {
        // Run Swift concurrency on NIO's event loops: a call then resumes on the thread that read its
        // response, without a hop to another thread pool. Must happen before any other task starts.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }
}

struct SocketOption: ParsableArguments {
    @Option(name: .long, help: "Path of the Unix-domain socket.")
    var socket: String
}

extension EchoCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the echo service until SIGTERM or SIGINT; prints READY when listening."
        )

        @OptionGroup var socket: SocketOption

        @Option(help: "Permission bits of the socket file, in octal.")
        var mode: String = "600"

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "warning"

        @Flag(help: "Start handlers as ordinary tasks instead of on the connection's event loop.")
        var handlersAsTasks = false

        func run() async throws {
            guard let mode = UInt32(mode, radix: 8) else {
                throw ValidationError("--mode must be octal permission bits such as 600 or 660")
            }
            var logger = Logger(label: "gongzhi.echo")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
            var configuration = RPCServer.Configuration(socketPath: socket.socket)
            configuration.socketMode = mode
            configuration.shutdownGracePeriod = .seconds(5)
            configuration.startsHandlersOnEventLoop = !handlersAsTasks
            let server = RPCServer(configuration: configuration, services: [EchoService()], logger: logger)
            let services = ServiceGroup(
                configuration: .init(
                    services: [.init(service: server)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.run() }
                try await server.waitUntilListening()
                print("READY")
                fflush(nil)
                try await group.waitForAll()
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the interoperability checks against an echo server; exits non-zero if one fails."
        )

        @OptionGroup var socket: SocketOption

        func run() async throws {
            let client = RPCClient(socketPath: socket.socket)
            let outcomes = await InteropChecks.run(against: client)
            await client.close()
            for outcome in outcomes {
                print("\(outcome.passed ? "ok" : "FAIL"): \(outcome.name) — \(outcome.detail)")
            }
            if outcomes.contains(where: { !$0.passed }) { throw ExitCode(1) }
        }
    }

    struct BenchClient: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-client",
            abstract: "Measure unary echo calls on one connection; prints one JSON line."
        )

        @OptionGroup var socket: SocketOption
        @Option(help: "Payload size in bytes.") var payload = 100
        @Option(help: "Measured calls.") var calls = 20_000
        @Option(help: "Calls in flight at once.") var concurrency = 1
        @Option(help: "Calls before measuring.") var warmup = 1_000

        func run() async throws {
            let client = RPCClient(socketPath: socket.socket)
            let result = try await EchoBenchmark.run(
                channel: client,
                payloadSize: payload,
                calls: calls,
                concurrency: concurrency,
                warmup: warmup
            )
            await client.close()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }
}
