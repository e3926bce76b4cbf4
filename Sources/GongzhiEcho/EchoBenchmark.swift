import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Measures unary echo calls on one connection or several: latency percentiles and throughput.
public enum EchoBenchmark {
    public struct Result: Sendable, Encodable {
        public var impl: String
        public var payload: Int
        public var concurrency: Int
        public var connections: Int
        public var calls: Int
        public var p50_us: Double
        public var p99_us: Double
        public var calls_per_sec: Double
        /// The CPU time (user and system) this process spent on the measured calls.
        public var client_cpu_seconds: Double
        /// The minor page faults this process took during the measured calls, where measured.
        public var client_minor_faults: Int? = nil
        /// The method called, when it is not Echo/Unary.
        public var method: String? = nil
        /// The size of one answer as the client received it, in bytes, when the method's answers differ in size
        /// from its requests.
        public var response_bytes: Int? = nil
        /// Whether the answers held the fields their schema marks sensitive, for a method whose answers have some.
        public var sensitive_shown: Bool? = nil
        /// For listings: the objects one listing returned, and in how many pages (calls).
        public var objects: Int? = nil
        public var pages: Int? = nil
    }

    /// What the measured calls took: latency percentiles, rate, and this process's CPU time.
    struct Timing: Sendable {
        var p50Micros: Double
        var p99Micros: Double
        var callsPerSecond: Double
        var clientCPUSeconds: Double
        var clientMinorFaults: Int
    }

    /// Makes `calls` echo calls with `concurrency` in flight, spread evenly over `channels` (the callers take them in
    /// turn), after `warmup` calls that are not measured.
    public static func run(
        channels: [any RPCClientChannel],
        payloadSize: Int,
        calls: Int,
        concurrency: Int,
        warmup: Int
    ) async throws -> Result {
        precondition(!channels.isEmpty, "the echo benchmark needs a channel to call through")
        let clients = channels.map { Gongzhi_Test_V1_EchoClient(channel: $0) }
        var request = Gongzhi_Test_V1_EchoRequest()
        request.payload = Data(repeating: 0x5A, count: payloadSize)
        let message = request

        let timing = try await measure(clients, calls: calls, concurrency: concurrency, warmup: warmup) { client in
            let response = try await client.unary(message)
            if response.payload.count != message.payload.count {
                throw RPCError(code: .dataLoss, message: "echo returned \(response.payload.count) bytes")
            }
        }
        return Result(
            impl: "gongzhi",
            payload: payloadSize,
            concurrency: concurrency,
            connections: clients.count,
            calls: calls,
            p50_us: timing.p50Micros,
            p99_us: timing.p99Micros,
            calls_per_sec: timing.callsPerSecond,
            client_cpu_seconds: timing.clientCPUSeconds,
            client_minor_faults: timing.clientMinorFaults
        )
    }

    /// Makes `warmup` unmeasured calls, then `calls` measured ones, with `concurrency` in flight, each caller taking
    /// its client from `clients` in turn; `call` makes one call and throws if its answer is wrong.
    static func measure<Client: Sendable>(
        _ clients: [Client],
        calls: Int,
        concurrency: Int,
        warmup: Int,
        call: @escaping @Sendable (Client) async throws -> Void
    ) async throws -> Timing {
        try await runCalls(clients, count: warmup, concurrency: concurrency, record: false, call: call)
        let clock = ContinuousClock()
        let before = processUsage()
        let start = clock.now
        var latencies = try await runCalls(clients, count: calls, concurrency: concurrency, record: true, call: call)
        let elapsed = clock.now - start
        let after = processUsage()
        latencies.sort()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Timing(
            p50Micros: percentile(latencies, 0.50),
            p99Micros: percentile(latencies, 0.99),
            callsPerSecond: Double(calls) / seconds,
            clientCPUSeconds: after.cpuSeconds - before.cpuSeconds,
            clientMinorFaults: after.minorFaults - before.minorFaults
        )
    }

    /// The CPU time, user and system, of this process so far.
    static func processCPUSeconds() -> Double {
        processUsage().cpuSeconds
    }

    /// The CPU time, user and system, and the minor page faults of this process so far.
    static func processUsage() -> (cpuSeconds: Double, minorFaults: Int) {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return (0, 0) }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime) + seconds(usage.ru_stime), usage.ru_minflt)
    }

    @discardableResult
    private static func runCalls<Client: Sendable>(
        _ clients: [Client],
        count: Int,
        concurrency: Int,
        record: Bool,
        call: @escaping @Sendable (Client) async throws -> Void
    ) async throws -> [Double] {
        guard count > 0 else { return [] }
        let workers = max(1, min(concurrency, count))
        return try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<workers {
                let share = count / workers + (worker < count % workers ? 1 : 0)
                let client = clients[worker % clients.count]
                group.addTask {
                    var latencies: [Double] = []
                    if record { latencies.reserveCapacity(share) }
                    let clock = ContinuousClock()
                    for _ in 0..<share {
                        let start = clock.now
                        try await call(client)
                        if record {
                            let elapsed = clock.now - start
                            latencies.append(
                                Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6
                            )
                        }
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
