import GongzhiRPC
import GongzhiRPCPosix

/// What a closed-loop load did: each answered call's latency, how long the whole took, and the calls that failed.
struct LoadResult: Sendable {
    var workers: Int
    /// Each answered call's latency, in nanoseconds.
    var latencies: [UInt64] = []
    /// From the first call sent to the last answer, in nanoseconds.
    var spanNanos: UInt64 = 0
    var failures = 0
    var firstFailure: String?

    var calls: Int { latencies.count }
    var seconds: Double { Double(spanNanos) / 1e9 }
    var perSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }
    var latency: LatencySummary { LatencySummary(nanoseconds: latencies) }

    /// This and `other` one after the other (a load run in steps).
    mutating func append(_ other: LoadResult) {
        latencies += other.latencies
        spanNanos += other.spanNanos
        failures += other.failures
        if firstFailure == nil { firstFailure = other.firstFailure }
    }
}

/// Gives up after this many failed calls in a row on one connection: the host is gone or refusing.
let maximumConsecutiveFailures = 20

/// The clients' connections, each making its share of the calls for `items` (dispute indices) one at a time
/// (client W takes items W, W + clients, …); `call` makes the call for one item on the client's channel. A client
/// connects on its first call, so a load on fresh clients includes connecting.
func closedLoop(
    clients: [RPCClient],
    items: [Int],
    _ call: @escaping @Sendable (_ channel: any RPCClientChannel, _ item: Int) async throws -> Void
) async throws -> LoadResult {
    let clients = Array(clients.prefix(max(1, items.count)))
    let workers = clients.count
    struct WorkerResult: Sendable {
        var latencies: [UInt64] = []
        var failures = 0
        var firstFailure: String?
    }
    let started = monotonicNanos()
    let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
        for (worker, client) in clients.enumerated() {
            group.addTask {
                var result = WorkerResult()
                result.latencies.reserveCapacity(items.count / workers + 1)
                var failedInARow = 0
                for index in stride(from: worker, to: items.count, by: workers) {
                    let sent = monotonicNanos()
                    do {
                        try await call(client, items[index])
                        result.latencies.append(monotonicNanos() - sent)
                        failedInARow = 0
                    } catch {
                        result.failures += 1
                        if result.firstFailure == nil { result.firstFailure = "\(error)" }
                        failedInARow += 1
                        if failedInARow >= maximumConsecutiveFailures {
                            throw BenchFailure("\(failedInARow) calls in a row failed; the last with: \(error)")
                        }
                    }
                }
                return result
            }
        }
        var all: [WorkerResult] = []
        for try await result in group { all.append(result) }
        return all
    }
    let ended = monotonicNanos()
    var load = LoadResult(workers: workers, latencies: results.flatMap(\.latencies), spanNanos: ended - started)
    load.failures = results.map(\.failures).reduce(0, +)
    load.firstFailure = results.compactMap(\.firstFailure).first
    return load
}
