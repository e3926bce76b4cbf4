import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Synchronization

/// What one answered call came to.
enum Outcome: Sendable {
    /// A Report answered with a case in DISPATCHED, opened by it; a Locate or Create that succeeded.
    case expected
    /// A Report joined to an open case as a duplicate.
    case duplicate
    /// A Report answered with a case in another state.
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

/// When each Report was sent and answered, by case id, and when a watcher saw each case dispatched.
final class WatchLog: Sendable {
    private struct State {
        var sent: [String: (sent: UInt64, answered: UInt64)] = [:]
        var seen: [String: UInt64] = [:]
    }

    private let state = Mutex(State())

    func reported(_ id: String, sent: UInt64, answered: UInt64) {
        state.withLock { $0.sent[id] = (sent, answered) }
    }

    func saw(_ id: String, at arrival: UInt64) {
        state.withLock { state in
            if state.seen[id] == nil { state.seen[id] = arrival }
        }
    }

    func hasSeen(_ id: String) -> Bool { state.withLock { $0.seen[id] != nil } }

    /// From sending each Report to the event, and from its answer to the event (negative: the event came first),
    /// in nanoseconds; and how many reports the watcher has not seen.
    func delays() -> (fromSend: [Int64], fromAnswer: [Int64], missing: Int) {
        state.withLock { state in
            var fromSend: [Int64] = []
            var fromAnswer: [Int64] = []
            var missing = 0
            for (id, times) in state.sent {
                guard let arrival = state.seen[id] else {
                    missing += 1
                    continue
                }
                fromSend.append(Int64(arrival) - Int64(times.sent))
                fromAnswer.append(Int64(arrival) - Int64(times.answered))
            }
            return (fromSend, fromAnswer, missing)
        }
    }
}

/// Watches objects of kind Case from now on and notes when each is first seen in state dispatched; runs until
/// its task is cancelled.
func watchCases(socket: String, log: WatchLog) async {
    let client = RPCClient(socketPath: socket)
    let objects = Gongzhi_Host_V1_ObjectsClient(channel: client)
    var request = Gongzhi_Host_V1_WatchRequest()
    request.kind = "Case"
    request.fromNow = true
    do {
        try await objects.watch(request) { events in
            for try await event in events
            where event.type != .deleted && event.object.labels["state"] == "dispatched" {
                log.saw(event.object.id, at: monotonicNanos())
            }
        }
    } catch {
        if !Task.isCancelled { note("the watch of Case ended: \(error)") }
    }
    await client.close()
}
