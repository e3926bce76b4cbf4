import ArgumentParser
import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import NIOCore
import NIOPosix

/// The client of the object-store benchmark: each command drives one load against a running `gongzhi-host` through
/// `gongzhi.host.v1.Objects` on its socket and prints one JSON line. `gongzhi-bench --store-only` runs them all.
@main
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-store-bench",
        abstract: "Load a running gongzhi-host's object store through its socket; each command prints one JSON line.",
        subcommands: [Creates.self, Preload.self, Gets.self, ListObjects.self, Watch.self]
    )

    static func main() async {
        // Swift concurrency on NIO's event loops, as in gongzhi-echo: a call resumes on the thread that read its
        // response. Must happen before any other task starts.
        _ = EventLoopExecutor.install()
        await main(nil)
    }
}

/// The measured window of a timed load: calls completed before `from` are warm-up, and no call starts after
/// `until`.
struct Window: Sendable {
    var from: UInt64
    var until: UInt64

    init(warmup: Double, seconds: Double) {
        let start = monotonicNanos()
        self.from = start + UInt64(warmup * 1e9)
        self.until = self.from + UInt64(seconds * 1e9)
    }

    func contains(_ time: UInt64) -> Bool { time >= from && time < until }
}

/// What one connection of a timed load did in the window.
struct WorkerResult: Sendable {
    var latencies: [UInt64] = []
    var failures = 0
    var dataBytes = 0
}

extension StoreBench {
    struct Creates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Creates: CONNECTIONS connections, each creating Residents one call at a time."
        )

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Connections, each with one Create in flight.") var connections = 64
        @Option(help: "Measured seconds.") var seconds = 10.0
        @Option(help: "Seconds of unmeasured calls first.") var warmup = 2.0
        @Option(help: "Ids are PREFIX-CONNECTION-N.") var idPrefix = "c"
        @Option(help: "The objects' grid labels are G-FIRST to G-(FIRST+GRIDS-1).") var firstGrid = 100
        @Option(help: "How many grids the objects are spread over.") var grids = 100

        func run() async throws {
            let clients = (0..<connections).map { _ in connection.connect() }
            let options = connection.unaryOptions
            let window = Window(warmup: warmup, seconds: seconds)
            let (prefix, firstGrid, grids) = (idPrefix, firstGrid, grids)
            let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
                for (index, client) in clients.enumerated() {
                    group.addTask {
                        var factory = ResidentFactory(seed: UInt64(index + 1))
                        var result = WorkerResult()
                        var failedInARow = 0
                        var number = 0
                        while monotonicNanos() < window.until {
                            let object = factory.object(
                                id: "\(prefix)-\(index)-\(number)",
                                grid: firstGrid + (index + number) % grids
                            )
                            number += 1
                            var request = Gongzhi_Host_V1_CreateRequest()
                            request.object = object
                            let started = monotonicNanos()
                            do {
                                let created = try await client.objects.create(request, options: options)
                                if created.revision <= 0 { throw RPCError(code: .dataLoss, message: "no revision") }
                                failedInARow = 0
                            } catch {
                                result.failures += 1
                                failedInARow += 1
                                if failedInARow >= maximumConsecutiveFailures { throw TooManyFailures(last: error) }
                                continue
                            }
                            let finished = monotonicNanos()
                            if window.contains(finished) {
                                result.latencies.append(finished - started)
                                result.dataBytes += object.data.count
                            }
                        }
                        return result
                    }
                }
                var all: [WorkerResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            for client in clients { await client.connection.close() }
            let latencies = results.flatMap(\.latencies)
            var report = PhaseReport(
                phase: "creates",
                connections: connections,
                calls: latencies.count,
                seconds: seconds,
                latencies: LatencySummary(nanoseconds: latencies),
                failures: results.map(\.failures).reduce(0, +)
            )
            report.dataBytesAvg = Double(results.map(\.dataBytes).reduce(0, +)) / Double(max(1, latencies.count))
            try report.print()
        }
    }

    struct Preload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stores COUNT Residents with Txn calls of up to BATCH creates, IN-FLIGHT calls at a time."
        )

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Objects to create; ids PREFIX-0000000 on.") var count = 1_000_000
        @Option(help: "Creates per Txn call (at most 1024).") var batch = 1024
        @Option(help: "Txn calls in flight, each on a connection of its own.") var inFlight = 4
        @Option(help: "Ids are PREFIX-NNNNNNN.") var idPrefix = "p"
        @Option(help: "Object I is in grid FIRST + I % GRIDS.") var firstGrid = 0
        @Option(help: "How many grids the objects are spread over.") var grids = 100

        func run() async throws {
            let clients = (0..<inFlight).map { _ in connection.connect() }
            let options = connection.unaryOptions
            let batches = (count + batch - 1) / batch
            let (count, batch, inFlight, prefix, firstGrid, grids) =
                (count, batch, inFlight, idPrefix, firstGrid, grids)
            let started = monotonicNanos()
            let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
                for (worker, client) in clients.enumerated() {
                    group.addTask {
                        var factory = ResidentFactory(seed: UInt64(1_000 + worker))
                        var result = WorkerResult()
                        for index in stride(from: worker, to: batches, by: inFlight) {
                            var request = Gongzhi_Host_V1_TxnRequest()
                            for number in (index * batch)..<min(count, (index + 1) * batch) {
                                var write = Gongzhi_Host_V1_Write()
                                write.create = factory.object(
                                    id: "\(prefix)-\(digits(number, width: 7))",
                                    grid: firstGrid + number % grids
                                )
                                result.dataBytes += write.create.data.count
                                request.writes.append(write)
                            }
                            let callStarted = monotonicNanos()
                            let response = try await client.objects.txn(request, options: options)
                            result.latencies.append(monotonicNanos() - callStarted)
                            guard response.objects.count == request.writes.count else {
                                throw RPCError(
                                    code: .dataLoss,
                                    message: "Txn \(index) wrote \(response.objects.count) of \(request.writes.count)"
                                )
                            }
                            let done = min(count, (index + 1) * batch)
                            if done / 100_000 != (index * batch) / 100_000 {
                                note("\(done / 100_000 * 100_000) objects stored")
                            }
                        }
                        return result
                    }
                }
                var all: [WorkerResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            let elapsed = Double(monotonicNanos() - started) / 1e9
            for client in clients { await client.connection.close() }
            let latencies = results.flatMap(\.latencies)
            var report = PhaseReport(
                phase: "preload",
                connections: inFlight,
                calls: latencies.count,
                seconds: elapsed,
                latencies: LatencySummary(nanoseconds: latencies),
                failures: 0
            )
            report.objects = count
            report.objectsPerSec = Double(count) / elapsed
            report.dataBytesAvg = Double(results.map(\.dataBytes).reduce(0, +)) / Double(max(1, count))
            try report.print()
        }
    }

    struct Gets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Random Gets of preloaded Residents: CLIENTS connections, one call at a time each."
        )

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Connections, each making sequential Gets.") var clients = 1
        @Option(help: "Measured seconds.") var seconds = 10.0
        @Option(help: "Seconds of unmeasured calls first.") var warmup = 1.0
        @Option(help: "The preloaded objects: ids PREFIX-0000000 to PREFIX-(COUNT-1).") var count = 1_000_000
        @Option(help: "The preloaded objects' id prefix.") var idPrefix = "p"

        func run() async throws {
            let connections = (0..<clients).map { _ in connection.connect() }
            let options = connection.unaryOptions
            let window = Window(warmup: warmup, seconds: seconds)
            let (count, prefix) = (count, idPrefix)
            let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
                for (index, client) in connections.enumerated() {
                    group.addTask {
                        var random = SplitMix64(seed: UInt64(7_000 + index))
                        var result = WorkerResult()
                        var failedInARow = 0
                        var request = Gongzhi_Host_V1_GetRequest()
                        request.kind = "Resident"
                        while monotonicNanos() < window.until {
                            request.id = "\(prefix)-\(digits(Int(random.next() % UInt64(count)), width: 7))"
                            let started = monotonicNanos()
                            do {
                                let object = try await client.objects.get(request, options: options)
                                if object.id != request.id {
                                    throw RPCError(
                                        code: .dataLoss,
                                        message: "asked for \(request.id), got \(object.id)"
                                    )
                                }
                                failedInARow = 0
                                let finished = monotonicNanos()
                                if window.contains(finished) {
                                    result.latencies.append(finished - started)
                                    result.dataBytes += object.data.count
                                }
                            } catch {
                                result.failures += 1
                                failedInARow += 1
                                if failedInARow >= maximumConsecutiveFailures { throw TooManyFailures(last: error) }
                            }
                        }
                        return result
                    }
                }
                var all: [WorkerResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            for client in connections { await client.connection.close() }
            let latencies = results.flatMap(\.latencies)
            var report = PhaseReport(
                phase: "gets",
                connections: clients,
                calls: latencies.count,
                seconds: seconds,
                latencies: LatencySummary(nanoseconds: latencies),
                failures: results.map(\.failures).reduce(0, +)
            )
            report.dataBytesAvg = Double(results.map(\.dataBytes).reduce(0, +)) / Double(max(1, latencies.count))
            try report.print()
        }
    }

    struct ListObjects: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: """
                Lists of one page of PAGE-SIZE Residents, one call at a time: those of one grid (a label selector \
                that matches exactly EXPECT objects), or with --kind-only a page of the kind from a random place.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Measured calls.") var calls = 20
        @Option(help: "Unmeasured calls first.") var warmup = 2
        @Option(help: "The page size asked for.") var pageSize = 10_000
        @Option(help: "Objects each call must return.") var expect = 10_000
        @Option(help: "The preloaded objects are in grids FIRST to FIRST+GRIDS-1.") var firstGrid = 0
        @Option(help: "How many grids the preloaded objects are spread over.") var grids = 100
        @Option(help: "The preloaded objects: ids PREFIX-0000000 to PREFIX-(COUNT-1) (for --kind-only).")
        var count = 1_000_000
        @Option(help: "The preloaded objects' id prefix (for --kind-only).") var idPrefix = "p"
        @Flag(help: "List the kind without a selector, starting after a random preloaded id.") var kindOnly = false

        func run() async throws {
            let client = connection.connect()
            let options = connection.unaryOptions
            var random = SplitMix64(seed: 9_001)
            var latencies: [UInt64] = []
            var objects = 0
            var dataBytes = 0
            for call in 0..<(warmup + calls) {
                var request = Gongzhi_Host_V1_ListRequest()
                request.kind = "Resident"
                request.pageSize = UInt32(pageSize)
                if kindOnly {
                    let start = Int(random.next() % UInt64(max(1, count - expect)))
                    request.pageToken = "\(idPrefix)-\(digits(start, width: 7))"
                } else {
                    let grid = firstGrid + Int(random.next() % UInt64(grids))
                    request.labelSelector = "grid=\(ResidentFactory.gridLabel(grid))"
                }
                let started = monotonicNanos()
                let response = try await client.objects.list(request, options: options)
                let elapsed = monotonicNanos() - started
                guard response.objects.count == expect else {
                    throw RPCError(
                        code: .dataLoss,
                        message: "the list \(request.labelSelector)\(request.pageToken) returned "
                            + "\(response.objects.count) objects, not \(expect)"
                    )
                }
                if call >= warmup {
                    latencies.append(elapsed)
                    objects += response.objects.count
                    dataBytes += response.objects.reduce(0) { $0 + $1.data.count }
                }
            }
            await client.connection.close()
            let total = Double(latencies.reduce(0, +)) / 1e9
            var report = PhaseReport(
                phase: kindOnly ? "list-kind" : "list",
                connections: 1,
                calls: calls,
                seconds: total,
                latencies: LatencySummary(nanoseconds: latencies),
                failures: 0
            )
            report.objects = objects
            report.objectsPerSec = total > 0 ? Double(objects) / total : 0
            report.dataBytesAvg = Double(dataBytes) / Double(max(1, objects))
            try report.print()
        }
    }
}
