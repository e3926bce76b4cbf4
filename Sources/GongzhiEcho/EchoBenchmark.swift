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

        try await runCalls(clients, message, count: warmup, concurrency: concurrency, record: false)
        let clock = ContinuousClock()
        let cpuBefore = processCPUSeconds()
        let start = clock.now
        var latencies = try await runCalls(clients, message, count: calls, concurrency: concurrency, record: true)
        let elapsed = clock.now - start
        let cpu = processCPUSeconds() - cpuBefore
        latencies.sort()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(
            impl: "gongzhi",
            payload: payloadSize,
            concurrency: concurrency,
            connections: clients.count,
            calls: calls,
            p50_us: percentile(latencies, 0.50),
            p99_us: percentile(latencies, 0.99),
            calls_per_sec: Double(calls) / seconds,
            client_cpu_seconds: cpu
        )
    }

    /// The CPU time, user and system, of this process so far.
    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    @discardableResult
    private static func runCalls(
        _ clients: [Gongzhi_Test_V1_EchoClient],
        _ request: Gongzhi_Test_V1_EchoRequest,
        count: Int,
        concurrency: Int,
        record: Bool
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
                        let response = try await client.unary(request)
                        if response.payload.count != request.payload.count {
                            throw RPCError(code: .dataLoss, message: "echo returned \(response.payload.count) bytes")
                        }
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

    private static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
