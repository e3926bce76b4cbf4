import ArgumentParser
import BenchSupport
import Dispatch
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The gRPC peer of the echo benchmark: grpc-swift-2 over its HTTP/2 transport on a Unix-domain socket.
///
/// The service is written by hand instead of generated: one unary method whose messages are the raw payload
/// bytes, so the measurement is of the RPC stack and not of a message codec.
@main
struct GRPCEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpc-echo",
        abstract: "grpc-swift-2 echo server and benchmark client over a Unix-domain socket.",
        subcommands: [Serve.self, BenchClient.self]
    )
}

enum Echo {
    static let unary = MethodDescriptor(
        fullyQualifiedService: "gongzhi.test.v1.Echo",
        method: "Unary",
        type: .unary
    )
    static let implName = "grpc-swift-2"
}

/// Messages are the payload bytes themselves.
struct RawBytesSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }
}

struct RawBytesDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

struct EchoService: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Echo.unary,
            deserializer: RawBytesDeserializer(),
            serializer: RawBytesSerializer()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: ServerResponse(message: single.message))
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the echo service; print READY when listening.")

    @Option(help: "Path of the Unix-domain socket to listen on (an existing file is replaced).")
    var socket: String

    @Flag(inversion: .prefixedNo, help: "Coalesce flushes, as the transport does by default.")
    var flushCoalescing = true

    func run() async throws {
        unlink(self.socket)
        let coalesce = self.flushCoalescing
        let transport = HTTP2ServerTransport.Posix(
            address: .unixDomainSocket(path: self.socket),
            transportSecurity: .plaintext,
            config: .defaults { config in
                if !coalesce { config.connection.flushCoalescing = nil }
            }
        )
        let server = GRPCServer(transport: transport, services: [EchoService()])

        signal(SIGTERM, SIG_IGN)
        let termination = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        termination.setEventHandler {
            server.beginGracefulShutdown()
            // Idle connections left behind by a client must not keep the process alive.
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(3)) { exitProcess() }
        }
        termination.resume()

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            _ = try await transport.listeningAddress
            printFlushed("READY")
        }
        termination.cancel()
        unlink(self.socket)
    }
}

/// Ends the process at once (`exit` alone would name ArgumentParser's inside a command).
func exitProcess() -> Never {
    exit(0)
}

/// Hands out call numbers to the workers sharing one client.
final class CallCounter: Sendable {
    private let issued = Atomic<Int>(0)

    /// Claims the next call; false once `limit` calls have been claimed.
    func claim(limit: Int) -> Bool {
        self.issued.wrappingAdd(1, ordering: .relaxed).oldValue < limit
    }
}

struct EchoMismatch: Error, CustomStringConvertible {
    var expected: Int
    var received: Int
    var description: String { "echo returned \(self.received) bytes instead of \(self.expected)" }
}

struct BenchClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-client",
        abstract: "Make unary echo calls on one connection and print one JSON result line."
    )

    @OptionGroup var options: BenchClientOptions

    @Flag(inversion: .prefixedNo, help: "Coalesce flushes, as the transport does by default.")
    var flushCoalescing = true

    func run() async throws {
        let options = self.options
        let coalesce = self.flushCoalescing
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: options.socket),
            transportSecurity: .plaintext,
            config: .defaults { config in
                if !coalesce { config.connection.flushCoalescing = nil }
            }
        )
        let payload = [UInt8](repeating: 0x5A, count: options.payload)

        let result = try await withGRPCClient(transport: transport) { client in
            _ = try await Self.calls(client, payload, count: options.warmup, concurrency: options.concurrency)
            let start = monotonicNanos()
            let latencies = try await Self.calls(
                client,
                payload,
                count: options.calls,
                concurrency: options.concurrency
            )
            let elapsed = monotonicNanos() - start
            return BenchResult(
                impl: Echo.implName,
                payload: options.payload,
                concurrency: options.concurrency,
                latenciesNanos: latencies,
                elapsedNanos: elapsed
            )
        }
        printFlushed(result.jsonLine)
    }

    /// Makes `count` calls with up to `concurrency` of them in flight; returns each call's latency.
    static func calls(
        _ client: GRPCClient<HTTP2ClientTransport.Posix>,
        _ payload: [UInt8],
        count: Int,
        concurrency: Int
    ) async throws -> [UInt64] {
        guard count > 0 else { return [] }
        let counter = CallCounter()
        let workers = min(concurrency, count)
        if workers == 1 {
            return try await Self.worker(client, payload, counter: counter, limit: count)
        }
        return try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<workers {
                group.addTask { try await Self.worker(client, payload, counter: counter, limit: count) }
            }
            var all: [UInt64] = []
            all.reserveCapacity(count)
            for try await part in group {
                all.append(contentsOf: part)
            }
            return all
        }
    }

    static func worker(
        _ client: GRPCClient<HTTP2ClientTransport.Posix>,
        _ payload: [UInt8],
        counter: CallCounter,
        limit: Int
    ) async throws -> [UInt64] {
        var latencies: [UInt64] = []
        while counter.claim(limit: limit) {
            let start = monotonicNanos()
            let echoed = try await client.unary(
                request: ClientRequest(message: payload),
                descriptor: Echo.unary,
                serializer: RawBytesSerializer(),
                deserializer: RawBytesDeserializer(),
                options: .defaults
            ) { response in
                try response.message
            }
            latencies.append(monotonicNanos() - start)
            guard echoed.count == payload.count else {
                throw EchoMismatch(expected: payload.count, received: echoed.count)
            }
        }
        return latencies
    }
}
