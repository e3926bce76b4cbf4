import ArgumentParser
import GongzhiEcho
import GongzhiRPC
import GongzhiRPCPosix
import NIOCore
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `gongzhi-echo`: interoperability checks and a benchmark client for a `gongzhi.test.v1.Echo` server.
@main
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-echo",
        abstract: "Check or benchmark a gongzhi.test.v1.Echo server (gongzhi-echo-server, or any ttrpc peer).",
        subcommands: [Check.self, BenchClient.self]
    )

    static func main() async {
        // Run Swift concurrency on NIO's event loops: a call then resumes on the thread that read its
        // response, without a hop to another thread pool. Must happen before any other task starts.
        _ = EventLoopExecutor.install()
        // As the host and plugins do: the allocator keeps the memory one call frees for the next.
        MallocSettings.apply()
        await main(nil)
    }
}

struct SocketOption: ParsableArguments {
    @Option(name: .long, help: "Path of the Unix-domain socket.")
    var socket: String

    @Option(name: .long, help: "A token to present in the gongzhi-token metadata entry (calls through a host).")
    var token: String?

    /// The channel to call through: the connection, presenting the token if one was given.
    func channel(_ client: RPCClient) -> any RPCClientChannel {
        guard let token else { return client }
        return client.addingMetadata(["gongzhi-token": token])
    }
}

extension EchoCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the interoperability checks against an echo server; exits non-zero if one fails."
        )

        @OptionGroup var socket: SocketOption

        func run() async throws {
            let client = RPCClient(socketPath: socket.socket)
            let outcomes = await InteropChecks.run(against: socket.channel(client))
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
            abstract: """
                Measure unary calls (echo, a directory with personal data, or listings of a host's Residents) on \
                one connection or several; prints one JSON line.
                """
        )

        /// The unary method measured.
        enum Method: String, ExpressibleByArgument, CaseIterable {
            /// `gongzhi.test.v1.Echo/Unary`, with `--payload` bytes each way.
            case echo
            /// `gongzhi.test.v1.Probe/Directory` for `--people` people, whose answers hold personal data.
            case directory
            /// `gongzhi.host.v1.Objects/List` of every Resident a host shows the caller (pages of `--page-size`,
            /// following page tokens), one listing at a time: each measured call is a whole listing.
            case residents
        }

        @OptionGroup var socket: SocketOption
        @Option(
            help: """
                The method: echo (Echo/Unary), directory (Probe/Directory, answers with personal data) or residents \
                (Objects/List of the Residents a host shows the caller, every page; 1 in flight).
                """
        )
        var method: Method = .echo
        @Option(help: "Payload size in bytes (echo).") var payload = 100
        @Option(help: "People asked for in each call (directory).") var people = 10
        @Option(help: "Residents asked for in each page (residents).") var pageSize = 10_000
        @Option(help: "Pages of each listing, at most; 0 follows the page tokens to the end (residents).")
        var pages = 0
        @Option(help: "Residents each listing must return (residents).") var expect = 10_000
        @Option(help: "A place code every listed Resident's grid_code must start with (residents).")
        var within: String?
        @Option(help: "Measured calls.") var calls = 20_000
        @Option(help: "Calls in flight at once, in all.") var concurrency = 1
        @Option(help: "Connections to spread the calls in flight over.") var connections = 1
        @Option(help: "Calls before measuring.") var warmup = 1_000

        func validate() throws {
            guard connections >= 1, concurrency >= 1 else {
                throw ValidationError("--connections and --concurrency must be at least 1")
            }
            guard people >= 1 else { throw ValidationError("--people must be at least 1") }
            guard pageSize >= 1, pages >= 0, expect >= 0 else {
                throw ValidationError("--page-size must be at least 1, --pages and --expect at least 0")
            }
            if method == .residents && (concurrency != 1 || connections != 1) {
                throw ValidationError("residents lists one listing at a time: --concurrency 1 --connections 1")
            }
        }

        func run() async throws {
            let clients = (0..<connections).map { _ in RPCClient(socketPath: socket.socket) }
            let channels = clients.map { socket.channel($0) }
            let result =
                switch method {
                case .echo:
                    try await EchoBenchmark.run(
                        channels: channels,
                        payloadSize: payload,
                        calls: calls,
                        concurrency: concurrency,
                        warmup: warmup
                    )
                case .directory:
                    try await DirectoryBenchmark.run(
                        channels: channels,
                        people: people,
                        calls: calls,
                        concurrency: concurrency,
                        warmup: warmup
                    )
                case .residents:
                    try await ResidentListBenchmark.run(
                        channel: channels[0],
                        pageSize: pageSize,
                        pages: pages == 0 ? nil : pages,
                        expect: expect,
                        within: within,
                        calls: calls,
                        warmup: warmup
                    )
                }
            for client in clients { await client.close() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }
}
