import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Measures unary echo calls on one connection: latency percentiles and throughput.
public enum EchoBenchmark {
    public struct Result: Sendable, Encodable {
        public var impl: String
        public var payload: Int
        public var concurrency: Int
        public var calls: Int
        public var p50_us: Double
        public var p99_us: Double
        public var calls_per_sec: Double
    }

    public static func run(
        channel: any RPCClientChannel,
        payloadSize: Int,
        calls: Int,
        concurrency: Int,
        warmup: Int
    ) async throws -> Result {
        let client = Gongzhi_Test_V1_EchoClient(channel: channel)
        var request = Gongzhi_Test_V1_EchoRequest()
        request.payload = Data(repeating: 0x5A, count: payloadSize)
        let message = request

        try await runCalls(client, message, count: warmup, concurrency: concurrency, record: false)
        let clock = ContinuousClock()
        let start = clock.now
        var latencies = try await runCalls(client, message, count: calls, concurrency: concurrency, record: true)
        let elapsed = clock.now - start
        latencies.sort()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(
            impl: "gongzhi",
            payload: payloadSize,
            concurrency: concurrency,
            calls: calls,
            p50_us: percentile(latencies, 0.50),
            p99_us: percentile(latencies, 0.99),
            calls_per_sec: Double(calls) / seconds
        )
    }

    @discardableResult
    private static func runCalls(
        _ client: Gongzhi_Test_V1_EchoClient,
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
