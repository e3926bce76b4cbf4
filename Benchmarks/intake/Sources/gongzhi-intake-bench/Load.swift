import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas

/// What one answered call came to.
enum Outcome: Sendable {
    /// A call that did what it was asked.
    case expected
    /// A call answered as a duplicate.
    case duplicate
    /// A call answered otherwise than expected.
    case unexpected
}

/// One answered call: when it ended and how long it took.
struct Sample: Sendable {
    var finished: UInt64
    var latency: UInt64
}

/// What a closed-loop load did.
struct LoadResult: Sendable {
    var workers: Int
    /// Every answered call, in the order they ended.
    var samples: [Sample]
    /// From the first call sent to the last answer.
    var started: UInt64
    var ended: UInt64
    var duplicates = 0
    var unexpected = 0
    var failures = 0
    var firstFailure: String?

    var seconds: Double { Double(ended - started) / 1e9 }
    var perSecond: Double { seconds > 0 ? Double(samples.count) / seconds : 0 }
    var latency: LatencySummary { LatencySummary(nanoseconds: samples.map(\.latency)) }
}

/// Gives up after this many failed calls in a row on one connection: the host is gone or refusing.
let maximumConsecutiveFailures = 20

/// `workers` connections to `socket`, each making its share of `total` calls one at a time (worker W makes
/// calls W, W + workers, …); `call` makes call `index` on the worker's channel. The connections are made
/// before the clock starts.
func closedLoop(
    socket: String,
    workers: Int,
    total: Int,
    _ call: @escaping @Sendable (_ channel: any RPCClientChannel, _ index: Int) async throws -> Outcome
) async throws -> LoadResult {
    let clients = (0..<workers).map { _ in RPCClient(socketPath: socket) }
    defer {
        let toClose = clients
        Task { for client in toClose { await client.close() } }
    }
    struct WorkerResult: Sendable {
        var samples: [Sample] = []
        var duplicates = 0
        var unexpected = 0
        var failures = 0
        var firstFailure: String?
    }
    let started = monotonicNanos()
    let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
        for (worker, client) in clients.enumerated() {
            group.addTask {
                var result = WorkerResult()
                result.samples.reserveCapacity(total / workers + 1)
                var failedInARow = 0
                for index in stride(from: worker, to: total, by: workers) {
                    let sent = monotonicNanos()
                    do {
                        let outcome = try await call(client, index)
                        let finished = monotonicNanos()
                        result.samples.append(Sample(finished: finished, latency: finished - sent))
                        switch outcome {
                        case .expected: break
                        case .duplicate: result.duplicates += 1
                        case .unexpected: result.unexpected += 1
                        }
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
    var load = LoadResult(
        workers: workers,
        samples: results.flatMap(\.samples).sorted { $0.finished < $1.finished },
        started: started,
        ended: ended
    )
    load.duplicates = results.map(\.duplicates).reduce(0, +)
    load.unexpected = results.map(\.unexpected).reduce(0, +)
    load.failures = results.map(\.failures).reduce(0, +)
    load.firstFailure = results.compactMap(\.firstFailure).first
    return load
}
