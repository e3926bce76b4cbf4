import ArgumentParser
import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Synchronization

/// What the watchers saw, shared by their tasks.
private final class WatchLog: Sendable {
    private struct State {
        /// Per watcher: the sequence number of each measured event and its arrival, as nanoseconds from the
        /// `bench-sent-ns` label (the moment before its Create was sent) to arrival, and from the commit time the
        /// host stamped on the event (`committed_at_us`, wall clock) to arrival (nil when the host sent none).
        var events: [[WatchedEvent]]
        var synced: [Bool]
    }

    private let state: Mutex<State>

    init(watchers: Int) {
        state = Mutex(
            State(events: Array(repeating: [], count: watchers), synced: Array(repeating: false, count: watchers))
        )
    }

    func record(watcher: Int, sequence: Int, sent: UInt64, arrival: UInt64, commitToArrival: Int64?) {
        state.withLock {
            $0.events[watcher].append(
                WatchedEvent(
                    sequence: sequence,
                    sentToArrival: Int64(arrival) - Int64(sent),
                    commitToArrival: commitToArrival,
                    arrival: arrival
                )
            )
        }
    }

    func markSynced(watcher: Int) {
        state.withLock { $0.synced[watcher] = true }
    }

    var allSynced: Bool { state.withLock { $0.synced.allSatisfy { $0 } } }

    /// The fewest measured events any watcher has received.
    var fewestEvents: Int { state.withLock { $0.events.map(\.count).min() ?? 0 } }

    var events: [[WatchedEvent]] { state.withLock { $0.events } }
}

private struct WatchedEvent: Sendable {
    var sequence: Int
    var sentToArrival: Int64
    var commitToArrival: Int64?
    var arrival: UInt64
}

extension StoreBench {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: """
                Watch delivery: WATCHERS connections watch Residents from now on while one writer creates RATE \
                Residents a second for SECONDS; reports the time from the commit (the host's committed_at_us on \
                the event) to each watcher's receipt of its event, and from just before each Create.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Watchers, each on a connection of its own.") var watchers = 10
        @Option(help: "Creates per second, started on schedule whether or not earlier ones were answered.")
        var rate = 500.0
        @Option(help: "Seconds of writing.") var seconds = 10.0
        @Option(help: "Ids are PREFIX-N.") var idPrefix = "w"
        @Option(help: "The objects' grid labels are G-FIRST to G-(FIRST+GRIDS-1).") var firstGrid = 100
        @Option(help: "How many grids the objects are spread over.") var grids = 100
        @Option(help: "Seconds to wait for late events once the writer is done.") var drain = 5.0

        func run() async throws {
            let watcherClients = (0..<watchers).map { _ in connection.connect() }
            let writer = connection.connect()
            let options = connection.unaryOptions
            let log = WatchLog(watchers: watchers)
            let total = Int(rate * seconds)
            let (prefix, firstGrid, grids, rate, drain) = (idPrefix, firstGrid, grids, rate, drain)

            let writes = try await withThrowingTaskGroup(
                of: [(sequence: Int, sent: UInt64, acknowledged: UInt64)]?.self
            ) { group in
                for (index, client) in watcherClients.enumerated() {
                    group.addTask {
                        var request = Gongzhi_Host_V1_WatchRequest()
                        request.kind = "Resident"
                        request.fromNow = true
                        do {
                            try await client.objects.watch(request) { events in
                                for try await event in events {
                                    let arrival = monotonicNanos()
                                    let arrivalWallClock = wallClockNanos()
                                    let labels = event.object.labels
                                    if let sequence = labels["bench-seq"].flatMap({ Int($0) }),
                                        let sent = labels["bench-sent-ns"].flatMap({ UInt64($0) })
                                    {
                                        let committed = event.committedAtUs
                                        log.record(
                                            watcher: index,
                                            sequence: sequence,
                                            sent: sent,
                                            arrival: arrival,
                                            commitToArrival: committed > 0 ? arrivalWallClock - committed * 1000 : nil
                                        )
                                    } else if labels["bench-sync"] != nil {
                                        log.markSynced(watcher: index)
                                    }
                                }
                            }
                        } catch {
                            if !Task.isCancelled { throw error }
                        }
                        return nil
                    }
                }

                // The watches are established once every watcher has seen an object created after they started.
                var factory = ResidentFactory(seed: 77)
                var syncs = 0
                let syncDeadline = monotonicNanos() + 30_000_000_000
                while !log.allSynced {
                    guard monotonicNanos() < syncDeadline else {
                        throw RPCError(code: .deadlineExceeded, message: "the watchers saw no event within 30 s")
                    }
                    var request = Gongzhi_Host_V1_CreateRequest()
                    request.object = factory.object(
                        id: "\(prefix)-sync-\(syncs)",
                        grid: firstGrid,
                        extraLabels: ["bench-sync": "yes"]
                    )
                    syncs += 1
                    _ = try await writer.objects.create(request, options: options)
                    try await Task.sleep(for: .milliseconds(50))
                }
                note("\(watchers) watchers established; writing \(total) Residents at \(rate)/s")

                // The writer: each Create starts at its scheduled moment, in a task of its own, so that a slow
                // answer does not delay the next one.
                let interval = 1e9 / rate
                let start = monotonicNanos()
                let acknowledged = try await withThrowingTaskGroup(
                    of: (sequence: Int, sent: UInt64, acknowledged: UInt64).self
                ) { creates in
                    for sequence in 0..<total {
                        let due = start + UInt64(Double(sequence) * interval)
                        let now = monotonicNanos()
                        if due > now { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
                        var object = factory.object(
                            id: "\(prefix)-\(sequence)",
                            grid: firstGrid + sequence % grids,
                            extraLabels: ["bench-seq": String(sequence)]
                        )
                        creates.addTask {
                            let sent = monotonicNanos()
                            object.labels["bench-sent-ns"] = String(sent)
                            var request = Gongzhi_Host_V1_CreateRequest()
                            request.object = object
                            _ = try await writer.objects.create(request, options: options)
                            return (sequence, sent, monotonicNanos())
                        }
                    }
                    var all: [(sequence: Int, sent: UInt64, acknowledged: UInt64)] = []
                    for try await write in creates { all.append(write) }
                    return all
                }
                let writing = Double(monotonicNanos() - start) / 1e9
                note("wrote \(total) in \(String(format: "%.2f", writing)) s; waiting for the watchers")

                let drainDeadline = monotonicNanos() + UInt64(drain * 1e9)
                while log.fewestEvents < total && monotonicNanos() < drainDeadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                group.cancelAll()
                while let next = try await group.next() {
                    if let next { return next }
                }
                return acknowledged
            }
            for client in watcherClients { await client.connection.close() }
            await writer.connection.close()

            var acknowledgedAt: [UInt64] = Array(repeating: 0, count: total)
            var createLatencies: [UInt64] = []
            for write in writes {
                acknowledgedAt[write.sequence] = write.acknowledged
                createLatencies.append(write.acknowledged - write.sent)
            }
            var delivery: [Int64] = []
            var fromCommit: [Int64] = []
            var afterAcknowledgement: [Int64] = []
            for watcher in log.events {
                var seen = Set<Int>()
                for event in watcher where event.sequence < total && seen.insert(event.sequence).inserted {
                    delivery.append(event.sentToArrival)
                    if let commitToArrival = event.commitToArrival { fromCommit.append(commitToArrival) }
                    afterAcknowledgement.append(Int64(event.arrival) - Int64(acknowledgedAt[event.sequence]))
                }
            }
            let summary = LatencySummary(nanoseconds: delivery)
            let fromAcknowledgement = LatencySummary(nanoseconds: afterAcknowledgement)
            let creates = LatencySummary(nanoseconds: createLatencies)
            var report = PhaseReport(
                phase: "watch",
                connections: watchers,
                calls: delivery.count,
                seconds: seconds,
                latencies: summary,
                failures: total * watchers - delivery.count
            )
            report.perSec = Double(writes.count) / seconds
            report.events = delivery.count
            report.expectedEvents = total * watchers
            report.ackP50Us = fromAcknowledgement.p50
            report.ackP99Us = fromAcknowledgement.p99
            report.ackMaxUs = fromAcknowledgement.max
            report.createP50Us = creates.p50
            report.createP99Us = creates.p99
            // Every event must carry its commit time for the figure to stand for all of them.
            if !fromCommit.isEmpty && fromCommit.count == delivery.count {
                let commit = LatencySummary(nanoseconds: fromCommit)
                report.commitP50Us = commit.p50
                report.commitP99Us = commit.p99
                report.commitP999Us = commit.p999
                report.commitMaxUs = commit.max
            }
            try report.print()
        }
    }
}
