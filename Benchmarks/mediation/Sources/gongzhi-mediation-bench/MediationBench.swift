import ArgumentParser
import Foundation
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import NIOCore
import NIOPosix
import Synchronization

/// The mediation plugin's benchmark: starts `gongzhi-host` with `gongzhi-mediation`, its clock in a file, stores
/// 100,000 disputes through the plugin (applications from many clients at once, then acceptances and mediators for
/// a share), moves the clock so that a known share is overdue, then times in alternating rounds the plugin's Stats
/// and its list of disputes with an overdue clock, through the host, against the host's own List of the same
/// Dispute objects; and reads the plugin's memory before and after. Prints markdown tables.
@main
struct MediationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-mediation-bench",
        abstract: "Stats and the overdue list of the mediation plugin against the host's List, with 100,000 disputes.",
        discussion: """
            Prints markdown tables on standard output (and to --output); progress goes to standard error. \
            Benchmarks/run.sh --mediation-only builds the binaries and runs this.
            """
    )

    @Option(help: "The folder holding release builds of gongzhi-host, gongzhictl and gongzhi-mediation.")
    var gongzhiBinDir: String

    @Option(help: "The repository's root (for Deploy/install-plugin.sh and Plugins/mediation/mediation.plugin.toml).")
    var repoRoot = "."

    @Option(help: "Disputes stored (default 100,000; 5,000 with --quick).") var disputes: Int?
    @Option(help: "Concurrent clients of the load, each on a connection of its own.") var clients = 64
    @Option(help: "Measured rounds, each query in each (default 5; 3 with --quick).") var rounds: Int?
    @Option(help: "Calls a round of Stats and of the first page (their round figure is the median).")
    var callsPerRound = 5
    @Option(help: "The page size of the host's Objects/List (a client's choice; the host allows 1 to 10,000).")
    var listPageSize = 1_000
    @Option(help: "The plugin's MEDIATION_ALERT_INTERVAL_MS (default its own, 60,000; 5,000 with --quick).")
    var alertIntervalMs: Int?
    @Flag(help: "Leave out the calls straight to the plugin's socket (they need root).") var skipDirect = false

    @Option(help: "The host's log_level (the plugin's follows it); production.toml has info.")
    var logLevel = "info"
    @Flag(help: "5,000 disputes and 3 rounds, for trying it out.") var quick = false
    @Option(help: "Also write the tables to this file.") var output: String?
    @Flag(help: "Keep the temporary folder (the store, host.log) instead of removing it.") var keep = false

    static func main() async {
        // Swift concurrency on NIO's event loops, as in gongzhi-echo: a call resumes on the thread that read its
        // response. Must happen before any other task starts.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }

    func validate() throws {
        if let disputes, disputes < 20 { throw ValidationError("--disputes must be at least 20") }
        if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1") }
        if let alertIntervalMs, alertIntervalMs < 10 { throw ValidationError("--alert-interval-ms must be 10 or more") }
        guard clients > 0, callsPerRound > 0 else {
            throw ValidationError("--clients and --calls-per-round must be positive")
        }
        guard (1...10_000).contains(listPageSize) else { throw ValidationError("--list-page-size: 1 to 10,000") }
    }

    func run() async throws {
        let settings = Settings(
            disputes: disputes ?? (quick ? 5_000 : 100_000),
            clients: clients,
            rounds: rounds ?? (quick ? 3 : 5),
            callsPerRound: callsPerRound,
            listPageSize: listPageSize,
            alertIntervalMs: alertIntervalMs ?? (quick ? 5_000 : 60_000),
            logLevel: logLevel,
            direct: !skipDirect && getuid() == 0
        )
        let binaries = MediationBinaries(directory: gongzhiBinDir)
        try binaries.check()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gongzhi-mediation-bench-\(getpid())"
        ).path
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var result = Measurement(settings: settings, machineAtStart: MachineState.now())
        if !skipDirect && !settings.direct {
            result.notes.append("not root: the plugin's socket serves only its host and root, so no direct calls")
        }
        note("machine at the start: \(result.machineAtStart.summary)")
        note("starting gongzhi-host with gongzhi-mediation in \(root)")
        let host = try HostUnderBench(
            root: root,
            repoRoot: repoRoot,
            binaries: binaries,
            logLevel: settings.logLevel,
            alertIntervalMs: settings.alertIntervalMs,
            startMs: DisputeWorld.applicationTime(batch: 0)
        )
        do {
            try await measure(host: host, into: &result)
        } catch {
            result.notes.append("stopped early: \(error)")
            note("stopped early: \(error)")
        }
        result.machineAtEnd = MachineState.now()
        host.stop()
        if keep || !result.notes.filter({ $0.hasPrefix("stopped early") }).isEmpty {
            note("the temporary folder (the store, host.log) is kept in \(root)")
        } else {
            try? FileManager.default.removeItem(atPath: root)
        }
        let tables = renderTables(result)
        print(tables, terminator: "")
        if let output { try tables.write(toFile: output, atomically: true, encoding: .utf8) }
    }

    /// Opens the connections the queries use, measures, and closes them.
    private func measure(host: HostUnderBench, into result: inout Measurement) async throws {
        let settings = result.settings
        let pluginPID = try host.waitUntilPluginReady(timeout: 60)
        result.pluginPID = pluginPID
        let admin = RPCClient(socketPath: host.adminSocket)
        // What the host adds to a call it routes for an administrator on admin.sock.
        let directClient = settings.direct ? RPCClient(socketPath: host.pluginSocket) : nil
        let direct = directClient?.addingMetadata([
            CallerMetadataKey.caller: "admin:uid=0",
            CallerMetadataKey.callerKind: "admin",
            CallerMetadataKey.personalData: "true",
        ])
        do {
            try await measure(host: host, pluginPID: pluginPID, admin: admin, direct: direct, into: &result)
        } catch {
            await admin.close()
            await directClient?.close()
            throw error
        }
        await admin.close()
        await directClient?.close()
    }

    /// Stores the disputes, moves the clock, checks every answer and measures the rounds.
    private func measure(
        host: HostUnderBench,
        pluginPID: Int32,
        admin: RPCClient,
        direct: (any RPCClientChannel)?,
        into result: inout Measurement
    ) async throws {
        let settings = result.settings
        let world = DisputeWorld(count: settings.disputes)
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: admin)
        try await world.create(on: objects)
        result.pluginBefore = Memory(pid: pluginPID)
        result.hostBefore = Memory(pid: host.pid)
        note(
            "plugin ready (pid \(pluginPID)), VmRSS \(megabytes(result.pluginBefore.residentKiB)) MB; "
                + "the street's mediator bound"
        )

        // The clients' connections are opened by the first applications and kept for the whole load.
        let pool = (0..<settings.clients).map { _ in RPCClient(socketPath: host.adminSocket) }
        let disputeIDs: [String]
        do {
            disputeIDs = try await load(world: world, host: host, pluginPID: pluginPID, pool: pool, into: &result)
        } catch {
            for client in pool { await client.close() }
            throw error
        }
        for client in pool { await client.close() }
        result.pluginLoaded = Memory(pid: pluginPID)
        result.hostLoaded = Memory(pid: host.pid)
        note("loaded: plugin VmRSS \(megabytes(result.pluginLoaded.residentKiB)) MB")

        let earlyIDs = Set(world.earlyIndices.map { disputeIDs[$0] })
        try await waitForTheSweep(of: earlyIDs, host: host, pluginPID: pluginPID, objects: objects, into: &result)
        result.pluginSwept = Memory(pid: pluginPID)

        let runner = QueryRunner(routed: admin, direct: direct, listPageSize: settings.listPageSize)
        let queries = Query.allCases.filter { settings.direct || !$0.isDirect }
        // The first round checks every answer and is not measured.
        for query in queries {
            let answer = try await runner.run(query, inspect: true)
            try check(query, answer, world: world, earlyIDs: earlyIDs, all: Set(disputeIDs))
            result.check[query] = answer
        }
        note("every answer checked; measuring \(settings.rounds) rounds")
        try await measureRounds(queries, runner: runner, host: host, pluginPID: pluginPID, into: &result)
        result.pluginEnd = Memory(pid: pluginPID)
        result.hostEnd = Memory(pid: host.pid)
    }

    /// The applications, a batch a day over 50 days, each batch from all the clients at once; then the acceptances
    /// and mediators of the early share, and three weeks later of the late share. Answers each application's
    /// dispute id, by index.
    private func load(
        world: DisputeWorld,
        host: HostUnderBench,
        pluginPID: Int32,
        pool: [RPCClient],
        into result: inout Measurement
    ) async throws -> [String] {
        let ids = DisputeIDs(count: world.count)
        let batches = DisputeWorld.applicationDays
        var applied = LoadResult(workers: pool.count)
        let loadCPU = ProcessCPU(host: host.pid, plugin: pluginPID)
        for batch in 0..<batches {
            try host.setClock(DisputeWorld.applicationTime(batch: batch))
            let indices = Array(stride(from: batch, to: world.count, by: batches))
            let batchLoad = try await closedLoop(clients: pool, items: indices) { channel, index in
                let client = Gongzhi_Mediation_V1_MediationClient(channel: channel)
                let dispute = try await client.apply(world.application(index), options: QueryRunner.options)
                guard dispute.state == .applied else {
                    throw BenchFailure("application \(index) answered dispute \(dispute.id) in \(dispute.state)")
                }
                ids.set(index, dispute.id)
            }
            applied.append(batchLoad)
            if batch % 10 == 9 || batch == batches - 1 {
                note("applications: \(grouped(applied.calls)) in \(fixed(applied.seconds, places: 1)) s")
            }
        }
        result.loads.append(LoadStep(name: "Apply", what: "applications", load: applied, cpu: loadCPU.since()))
        let disputeIDs = ids.all
        let distinct = Set(disputeIDs.filter { !$0.isEmpty })
        guard distinct.count == world.count else {
            throw BenchFailure("\(grouped(world.count)) applications opened \(grouped(distinct.count)) disputes")
        }

        func step(
            _ name: String,
            _ what: String,
            _ indices: [Int],
            expect state: Gongzhi_Mediation_V1_DisputeState,
            _ call:
                @escaping @Sendable (Gongzhi_Mediation_V1_MediationClient, String) async throws ->
                Gongzhi_Mediation_V1_Dispute
        ) async throws {
            let cpu = ProcessCPU(host: host.pid, plugin: pluginPID)
            let load = try await closedLoop(clients: pool, items: indices) { channel, index in
                let dispute = try await call(Gongzhi_Mediation_V1_MediationClient(channel: channel), disputeIDs[index])
                guard dispute.state == state else {
                    throw BenchFailure("dispute \(dispute.id) is \(dispute.state) after \(what), not \(state)")
                }
            }
            result.loads.append(LoadStep(name: name, what: what, load: load, cpu: cpu.since()))
            note(
                "\(name): \(grouped(load.calls)) in \(fixed(load.seconds, places: 1)) s"
                    + (load.failures > 0 ? ", \(load.failures) failed (\(load.firstFailure ?? ""))" : "")
            )
        }
        let early = world.earlyIndices
        let late = world.lateIndices
        try host.setClock(DisputeWorld.earlyAcceptance)
        try await step("Accept, early share", "acceptances", early, expect: .accepted) {
            try await $0.accept(DisputeWorld.acceptance($1), options: QueryRunner.options)
        }
        try await step(
            "AssignMediators, early share",
            "assignments",
            early.filter(DisputeWorld.isAssigned),
            expect: .mediating
        ) {
            try await $0.assignMediators(DisputeWorld.assignment($1), options: QueryRunner.options)
        }
        try host.setClock(DisputeWorld.lateAcceptance)
        try await step("Accept, late share", "acceptances", late, expect: .accepted) {
            try await $0.accept(DisputeWorld.acceptance($1), options: QueryRunner.options)
        }
        try await step(
            "AssignMediators, late share",
            "assignments",
            late.filter(DisputeWorld.isAssigned),
            expect: .mediating
        ) {
            try await $0.assignMediators(DisputeWorld.assignment($1), options: QueryRunner.options)
        }
        return disputeIDs
    }

    /// Moves the clock past the early share's month to mediate and waits until the plugin's alert sweep has
    /// recorded an alert on each of those disputes (and a moment more, to see that nothing else is written).
    private func waitForTheSweep(
        of earlyIDs: Set<String>,
        host: HostUnderBench,
        pluginPID: Int32,
        objects: Gongzhi_Host_V1_ObjectsClient,
        into result: inout Measurement
    ) async throws {
        var probe = Gongzhi_Host_V1_ListRequest()
        probe.kind = "Dispute"
        probe.pageSize = 1
        let revision = try await objects.list(probe, options: QueryRunner.options).revision
        let watch = SweepWatch(expected: earlyIDs)
        let watchClient = RPCClient(socketPath: host.adminSocket)
        let following = Task { await watch.follow(on: watchClient, after: revision) }
        let cpu = ProcessCPU(host: host.pid, plugin: pluginPID)
        try host.setClock(DisputeWorld.measuredAt)
        let moved = monotonicNanos()
        note("clock moved to 2026-04-13; waiting for the alert sweep to write \(grouped(earlyIDs.count)) alerts")
        let deadline = moved + UInt64(result.settings.alertIntervalMs) * 1_000_000 + 900_000_000_000
        while watch.seen < earlyIDs.count && monotonicNanos() < deadline && watch.ended == nil {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .seconds(2))
        following.cancel()
        await watchClient.close()
        await following.value
        let span = watch.span
        result.sweep = Sweep(
            alerts: watch.seen,
            expected: earlyIDs.count,
            others: watch.others,
            fromMoveToFirst: span.first.map { Double($0 - moved) / 1e9 },
            firstToLast: span.first.flatMap { first in span.last.map { Double($0 - first) / 1e9 } },
            cpu: cpu.since()
        )
        guard watch.seen == earlyIDs.count else {
            throw BenchFailure(
                "the alert sweep wrote \(grouped(watch.seen)) of the \(grouped(earlyIDs.count)) overdue disputes"
                    + (watch.ended.map { " (\($0))" } ?? "")
            )
        }
        note("alert sweep: \(grouped(watch.seen)) disputes written, \(watch.others) others")
    }

    /// The measured rounds: each query once (single calls `callsPerRound` times), the order rotated by one query
    /// each round; the host's, the plugin's and this process's CPU read around each.
    private func measureRounds(
        _ queries: [Query],
        runner: QueryRunner,
        host: HostUnderBench,
        pluginPID: Int32,
        into result: inout Measurement
    ) async throws {
        let settings = result.settings
        let roundsCPU = ProcessCPU(host: host.pid, plugin: pluginPID)
        let machineBefore = MachineTicks.now()
        let roundsStarted = monotonicNanos()
        for round in 0..<settings.rounds {
            let shift = round % queries.count
            let order: [Query] = Array(queries[shift...]) + Array(queries[..<shift])
            var figures: [Query: QueryRound] = [:]
            let load = MachineState.now().oneMinuteLoad
            for query in order {
                let cpu = ProcessCPU(host: host.pid, plugin: pluginPID)
                var times: [UInt64] = []
                for _ in 0..<(query.isSingleCall ? settings.callsPerRound : 1) {
                    let started = monotonicNanos()
                    let answer = try await runner.run(query)
                    times.append(monotonicNanos() - started)
                    guard answer.items == result.check[query]?.items else {
                        throw BenchFailure("\(query.rawValue) answered \(answer.items) items in round \(round + 1)")
                    }
                }
                figures[query] = QueryRound(nanos: times, cpu: cpu.since(), loadAtStart: load)
            }
            result.rounds.append(figures)
            let line = queries.compactMap { query in
                figures[query].map { "\(query.rawValue) \(fixed(Double($0.median) / 1e6, places: 1)) ms" }
            }
            note("round \(round + 1): " + line.joined(separator: ", "))
        }
        let ours = roundsCPU.since()
        result.roundsSeconds = Double(monotonicNanos() - roundsStarted) / 1e9
        result.othersCPU = MachineTicks.now().othersShare(
            since: machineBefore,
            oursMicros: ours.host + ours.plugin + ours.client,
            seconds: result.roundsSeconds,
            processors: result.machineAtStart.processors
        )
    }

    /// Refuses an answer that does not hold what was stored.
    private func check(
        _ query: Query,
        _ answer: Answer,
        world: DisputeWorld,
        earlyIDs: Set<String>,
        all: Set<String>
    ) throws {
        switch query {
        case .stats, .statsDirect:
            guard answer.items == world.count else {
                throw BenchFailure("\(query.rawValue) counted \(answer.items) disputes, not \(world.count)")
            }
        case .overdueAll, .overdueAllDirect:
            guard answer.ids.count == earlyIDs.count, Set(answer.ids) == earlyIDs else {
                throw BenchFailure(
                    "\(query.rawValue) answered \(answer.ids.count) disputes; the \(earlyIDs.count) overdue ones "
                        + "are the early share"
                )
            }
        case .overdueFirst, .overdueFirstDirect:
            let size = min(Int(QueryRunner.overduePageSize), earlyIDs.count)
            guard answer.ids.count == size, Set(answer.ids).isSubset(of: earlyIDs) else {
                throw BenchFailure("\(query.rawValue) answered \(answer.ids.count) disputes on its first page")
            }
        case .objects:
            guard answer.ids.count == world.count, Set(answer.ids) == all else {
                throw BenchFailure("Objects/List answered \(answer.ids.count) Dispute objects, not \(world.count)")
            }
        }
    }
}

/// The id of each application's dispute, by the application's index, as the answers come in.
final class DisputeIDs: Sendable {
    private let ids: Mutex<[String]>

    init(count: Int) {
        ids = Mutex([String](repeating: "", count: count))
    }

    func set(_ index: Int, _ id: String) { ids.withLock { $0[index] = id } }

    var all: [String] { ids.withLock { $0 } }
}

/// How much load each step makes.
struct Settings: Sendable {
    var disputes: Int
    var clients: Int
    var rounds: Int
    var callsPerRound: Int
    var listPageSize: Int
    var alertIntervalMs: Int
    var logLevel: String
    /// Whether the plugin's socket is called directly too.
    var direct: Bool
}

/// One loading step: its calls and the CPU they took.
struct LoadStep: Sendable {
    var name: String
    var what: String
    var load: LoadResult
    var cpu: CPUSpent
}

/// The alert sweep after the clock moved.
struct Sweep: Sendable {
    var alerts: Int
    var expected: Int
    var others: Int
    var fromMoveToFirst: Double?
    var firstToLast: Double?
    var cpu: CPUSpent
}

/// One query in one round: each call's time, and the CPU the round's calls took.
struct QueryRound: Sendable {
    var nanos: [UInt64]
    var cpu: CPUSpent
    var loadAtStart: String

    /// The median of the calls (the lower middle one for an even count).
    var median: UInt64 {
        let sorted = nanos.sorted()
        return sorted[(sorted.count - 1) / 2]
    }
}

/// Everything the benchmark measured.
struct Measurement: Sendable {
    var settings: Settings
    var machineAtStart: MachineState
    var machineAtEnd: MachineState?
    var pluginPID: Int32?
    var loads: [LoadStep] = []
    var sweep: Sweep?
    var check: [Query: Answer] = [:]
    var rounds: [[Query: QueryRound]] = []
    var roundsSeconds = 0.0
    /// The share of the machine's processors the other processes used during the rounds (0 to 1).
    var othersCPU: Double?
    var pluginBefore = Memory(pid: nil)
    var pluginLoaded = Memory(pid: nil)
    var pluginSwept = Memory(pid: nil)
    var pluginEnd = Memory(pid: nil)
    var hostBefore = Memory(pid: nil)
    var hostLoaded = Memory(pid: nil)
    var hostEnd = Memory(pid: nil)
    var notes: [String] = []
}

/// Mebibytes of a count of kibibytes, one decimal.
func megabytes(_ kiB: Int?) -> String { kiB.map { fixed(Double($0) / 1024, places: 1) } ?? "n/a" }
