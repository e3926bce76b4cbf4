import ArgumentParser
import Foundation
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import NIOCore
import NIOPosix

/// The points plugin's benchmark: starts a throwaway PostgreSQL 15 with a standard double-entry design and
/// `gongzhi-host` with `gongzhi-points`, gives both the same accounts, then measures each side in turn with the
/// same number of clients — single transfers, batches of transfers, transfers all debiting the issuer, balance
/// reads — and our host's bare creates, and prints markdown tables with the ratios.
@main
struct PointsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-points-bench",
        abstract: "Transfers/s and balance reads of the points plugin through gongzhi-host, against PostgreSQL 15.",
        discussion: """
            Prints markdown tables on standard output (and to --output); progress goes to standard error. \
            Benchmarks/run.sh --points-only builds the binaries and runs this.
            """
    )

    @Option(help: "The folder holding release builds of gongzhi-host, gongzhictl and gongzhi-points.")
    var gongzhiBinDir: String?

    @Option(help: "The repository's root (for Deploy/install-plugin.sh and Plugins/points/points.plugin.toml).")
    var repoRoot = "."

    @Option(help: "PostgreSQL's bin folder (initdb, pg_ctl, psql, pgbench).")
    var postgresBinDir = "/usr/lib/postgresql/15/bin"

    @Flag(help: "Measure only the PostgreSQL design (no gongzhi-host; --gongzhi-bin-dir is not needed).")
    var postgresOnly = false

    @Flag(help: "Measure only ours (PostgreSQL is not started).") var oursOnly = false

    @Option(help: "The measures to run, comma-separated, of: single, create, batched, hot, read (default: all).")
    var only: String?

    @Option(help: "Holder accounts (each funded by the issuer).") var holders = 10_000
    @Option(help: "Points each holder is given before the runs.") var funding: Int64 = 1_000_000
    @Option(help: "Concurrent clients of every run, each on a connection of its own.") var clients = 64
    @Option(help: "pgbench's threads (-j).") var pgbenchThreads = 2
    @Option(help: "Transfers per call (ours) or per transaction (PostgreSQL) in the batched run.") var batch = 1_000
    @Option(help: "Seconds of each measured run (default 30; 3 with --quick).") var seconds: Int?
    @Option(help: "Seconds of the unmeasured run of the same kind before each (default 5; 1 with --quick).")
    var warmupSeconds: Int?

    @Option(help: "The host's log_level (the plugin's follows it); production.toml has info.")
    var logLevel = "info"
    @Flag(help: "Short runs, for trying it out.") var quick = false
    @Option(help: "Also write the tables to this file.") var output: String?
    @Flag(help: "Keep the temporary folder (databases, logs) instead of removing it.") var keep = false

    static func main() async {
        // Swift concurrency on NIO's event loops, as in gongzhi-echo: a call resumes on the thread that read its
        // response. Must happen before any other task starts.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }

    func validate() throws {
        guard holders >= 2, clients > 0, pgbenchThreads > 0, batch > 0, funding > 0 else {
            throw ValidationError(
                "--holders must be at least 2; --clients, --pgbench-threads, --batch, --funding positive"
            )
        }
        guard batch <= 8_190 else { throw ValidationError("--batch: CreateTransfers takes at most 8,190 transfers") }
        if let seconds, seconds < 1 { throw ValidationError("--seconds must be at least 1") }
        if let warmupSeconds, warmupSeconds < 0 { throw ValidationError("--warmup-seconds must not be negative") }
        if postgresOnly && oursOnly { throw ValidationError("give --postgres-only or --ours-only, not both") }
        for name in (only ?? "").split(separator: ",") where Measure(rawValue: String(name)) == nil {
            throw ValidationError("--only: no measure \(name); the measures are single, create, batched, hot, read")
        }
        if !postgresOnly && gongzhiBinDir == nil {
            throw ValidationError("give --gongzhi-bin-dir (or --postgres-only)")
        }
    }

    func run() async throws {
        let settings = Settings(
            holders: holders,
            funding: funding,
            clients: clients,
            pgbenchThreads: pgbenchThreads,
            batch: batch,
            seconds: seconds ?? (quick ? 3 : 30),
            warmupSeconds: warmupSeconds ?? (quick ? 1 : 5),
            logLevel: logLevel
        )
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gongzhi-points-bench-\(getpid())"
        ).path
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var result = Measurement(settings: settings, machineAtStart: MachineState.now())
        note("machine at the start: \(result.machineAtStart.summary)")

        let postgres = try PostgresPeer(binDirectory: postgresBinDir, folder: "\(root)/postgres")
        var host: HostUnderBench?
        do {
            try await measure(postgres: postgres, root: root, host: &host, into: &result)
        } catch {
            result.notes.append("stopped early: \(error)")
            note("stopped early: \(error)")
        }
        result.machineAtEnd = MachineState.now()
        host?.stop()
        postgres.stop()
        if keep || !result.notes.isEmpty {
            note("the temporary folder (databases, logs) is kept in \(root)")
        } else {
            try? FileManager.default.removeItem(atPath: root)
        }
        let tables = renderTables(result)
        print(tables, terminator: "")
        if let output { try tables.write(toFile: output, atomically: true, encoding: .utf8) }
    }

    private func measure(
        postgres: PostgresPeer,
        root: String,
        host: inout HostUnderBench?,
        into result: inout Measurement
    ) async throws {
        let settings = result.settings
        let holders = settings.holders

        let measures =
            only.map { $0.split(separator: ",").compactMap { Measure(rawValue: String($0)) } }
            ?? Measure.allCases

        var started = monotonicNanos()
        if oursOnly {
            result.notes.append("only ours was measured (--ours-only)")
        } else {
            try postgres.start()
            try postgres.psql(PeerSQL.schema, name: "schema")
            try postgres.psql(PeerSQL.accounts(holders: holders, funding: settings.funding), name: "accounts")
            result.postgresSettings = try postgres.values(PeerSQL.settings, name: "settings")
            result.postgresSetupSeconds = Double(monotonicNanos() - started) / 1e9
            note(
                "PostgreSQL \(result.postgresSettings["version"] ?? "?") started in \(root)/postgres, "
                    + "\(grouped(holders)) holders funded in \(fixed(result.postgresSetupSeconds, places: 1)) s"
            )
        }

        // Our side: the host with the plugin, a client token, the ledger and its accounts.
        var ours: OurSide?
        if !postgresOnly, let gongzhiBinDir {
            let binaries = PointsBinaries(directory: gongzhiBinDir)
            try binaries.check()
            started = monotonicNanos()
            note("starting gongzhi-host with gongzhi-points in \(root)/host")
            let startedHost = try HostUnderBench(
                root: "\(root)/host",
                repoRoot: repoRoot,
                binaries: binaries,
                logLevel: settings.logLevel
            )
            host = startedHost
            let pluginPID = try startedHost.waitUntilPluginReady(timeout: 60)
            let token = try startedHost.issueClientToken(scopes: [
                "gongzhi.points.v1.*", "gongzhi.host.v1.Objects/Create",
            ])
            let setup = RPCClient(socketPath: startedHost.hostSocket)
            let ledger = BenchLedger(holders: holders, funding: settings.funding)
            do {
                try await ledger.create(
                    on: Gongzhi_Points_V1_PointsClient(channel: setup.addingMetadata(["gongzhi-token": token]))
                )
            } catch {
                await setup.close()
                throw error
            }
            await setup.close()
            result.oursSetupSeconds = Double(monotonicNanos() - started) / 1e9
            result.hostIdle = Memory(pid: startedHost.pid)
            result.pluginIdle = Memory(pid: pluginPID)
            note(
                "ledger \(BenchLedger.code): \(grouped(holders)) holders opened and funded through the host in "
                    + "\(fixed(result.oursSetupSeconds, places: 1)) s"
            )
            ours = OurSide(
                clients: HostClients(socket: startedHost.hostSocket, token: token, count: settings.clients),
                ledger: ledger,
                hostPID: startedHost.pid,
                pluginPID: pluginPID
            )
        } else {
            result.notes.append("only the PostgreSQL design was measured (--postgres-only)")
        }

        var runNumber: Int64 = 0
        func postgresRun(_ measure: Measure) throws -> MeasuredRun {
            let script: String
            switch measure {
            case .single: script = PeerSQL.singleScript(holders: holders)
            case .batched: script = PeerSQL.batchScript(holders: holders, batch: settings.batch)
            case .hot: script = PeerSQL.hotScript(holders: holders)
            case .read: script = PeerSQL.readScript(holders: holders)
            case .create: throw BenchFailure("the peer has no bare creates")
            }
            let perCall = measure == .batched ? settings.batch : 1
            if settings.warmupSeconds > 0 {
                runNumber += 1
                _ = try postgres.pgbench(
                    script: script,
                    logName: nil,
                    clients: settings.clients,
                    threads: settings.pgbenchThreads,
                    seconds: settings.warmupSeconds,
                    base: runNumber * 1_000_000_000_000_000,
                    countsTransfers: false,
                    operationsPerCall: perCall
                )
            }
            runNumber += 1
            let run = try postgres.pgbench(
                script: script,
                logName: measure.rawValue,
                clients: settings.clients,
                threads: settings.pgbenchThreads,
                seconds: settings.seconds,
                base: runNumber * 1_000_000_000_000_000,
                countsTransfers: measure != .read,
                operationsPerCall: perCall
            )
            report("PostgreSQL, \(measure.title)", run)
            return run
        }

        // A run that fails is noted and left out of the tables; the other measures still run.
        for measure in Measure.allCases where measures.contains(measure) {
            if measure != .create && !oursOnly {
                do {
                    result.postgres[measure] = try postgresRun(measure)
                } catch {
                    result.notes.append("PostgreSQL, \(measure.title) failed: \(error)")
                    note("PostgreSQL, \(measure.title) failed: \(error)")
                }
            }
            if let ours {
                do {
                    if settings.warmupSeconds > 0 {
                        _ = try await ours.run(
                            measure,
                            settings: settings,
                            prefix: "w\(measure.rawValue)",
                            seconds: Double(settings.warmupSeconds)
                        )
                    }
                    let run = try await ours.run(
                        measure,
                        settings: settings,
                        prefix: measure.rawValue,
                        seconds: Double(settings.seconds)
                    )
                    report("ours, \(measure.title)", run)
                    result.ours[measure] = run
                } catch {
                    result.notes.append("ours, \(measure.title) failed: \(error)")
                    note("ours, \(measure.title) failed: \(error)")
                }
            }
        }

        if !oursOnly { result.postgresCheck = try postgres.values(PeerSQL.check, name: "final-check") }
        if let ours {
            result.hostAfter = Memory(pid: ours.hostPID)
            result.pluginAfter = Memory(pid: ours.pluginPID)
            await ours.clients.close()
        }
    }

    private func report(_ label: String, _ run: MeasuredRun) {
        let latency = run.latency
        note(
            "\(label): \(grouped(run.operations)) in \(fixed(run.seconds, places: 1)) s, "
                + "\(grouped(Int(run.perSecond.rounded())))/s, \(grouped(run.calls)) calls, "
                + "p50 \(fixed(latency.p50 / 1000, places: 2)) ms, p99 \(fixed(latency.p99 / 1000, places: 2)) ms"
                + (run.refused > 0 ? ", \(grouped(run.refused)) refused" : "")
                + (run.failedCalls > 0 ? ", \(grouped(run.failedCalls)) calls failed" : "")
                + (run.firstProblem.map { " (\($0))" } ?? "")
        )
    }
}

/// How much load each step makes.
struct Settings: Sendable {
    var holders: Int
    var funding: Int64
    var clients: Int
    var pgbenchThreads: Int
    var batch: Int
    var seconds: Int
    var warmupSeconds: Int
    var logLevel: String
}

/// The measures, in the order they run.
enum Measure: String, CaseIterable, Sendable {
    /// (a) One transfer per call between two holders drawn uniformly.
    case single
    /// Reference: the host's bare Objects/Create of a small object (ours only).
    case create
    /// (b) A batch of transfers per call.
    case batched
    /// (c) One transfer per call, every one debiting the issuer.
    case hot
    /// (d) One holder's balances by id.
    case read

    var title: String {
        switch self {
        case .single: "single transfers"
        case .create: "bare creates"
        case .batched: "batched transfers"
        case .hot: "hot-account transfers"
        case .read: "balance reads"
        }
    }
}

/// Everything the benchmark measured.
struct Measurement: Sendable {
    var settings: Settings
    var machineAtStart: MachineState
    var machineAtEnd: MachineState?
    var postgresSettings: [String: String] = [:]
    var postgresCheck: [String: String] = [:]
    var postgresSetupSeconds = 0.0
    var oursSetupSeconds = 0.0
    var ours: [Measure: MeasuredRun] = [:]
    var postgres: [Measure: MeasuredRun] = [:]
    var hostIdle = Memory(pid: nil)
    var pluginIdle = Memory(pid: nil)
    var hostAfter = Memory(pid: nil)
    var pluginAfter = Memory(pid: nil)
    var notes: [String] = []
}

/// Our side once set up: the connections with the client token, the ledger, and the processes to watch.
struct OurSide: Sendable {
    var clients: HostClients
    var ledger: BenchLedger
    var hostPID: Int32
    var pluginPID: Int32

    /// A timed run of `measure` on every connection; transfer and object ids begin with `prefix`.
    func run(_ measure: Measure, settings: Settings, prefix: String, seconds: Double) async throws -> MeasuredRun {
        let ledger = self.ledger
        let batch = settings.batch
        let options = CallOptions(timeout: .seconds(120))
        // FNV-1a of the prefix: each run draws its own accounts, the same in every benchmark run.
        let salt = prefix.utf8.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        @Sendable func random(_ client: Int, _ sequence: Int) -> SplitMix64 {
            SplitMix64(seed: salt &+ UInt64(client) &* 0x1_0000_0001 &+ UInt64(sequence) &* 0x9E37_79B9)
        }
        let call: @Sendable (any RPCClientChannel, Int, Int) async throws -> CallOutcome
        switch measure {
        case .single, .hot:
            call = { channel, client, sequence in
                var draw = random(client, sequence)
                let debit: String
                let credit: String
                if measure == .hot {
                    debit = BenchLedger.issuerID
                    credit = BenchLedger.holderID(ledger.holder(&draw))
                } else {
                    let pair = ledger.pair(&draw)
                    debit = BenchLedger.holderID(pair.debit)
                    credit = BenchLedger.holderID(pair.credit)
                }
                var request = Gongzhi_Points_V1_CreateTransfersRequest()
                request.transfers = [
                    BenchLedger.transfer(id: "\(prefix)-\(client)-\(sequence)", debit: debit, credit: credit)
                ]
                let response = try await Gongzhi_Points_V1_PointsClient(channel: channel).createTransfers(
                    request,
                    options: options
                )
                return BenchLedger.outcome(response, sent: 1)
            }
        case .batched:
            call = { channel, client, sequence in
                var draw = random(client, sequence)
                var request = Gongzhi_Points_V1_CreateTransfersRequest()
                request.transfers.reserveCapacity(batch)
                for index in 0..<batch {
                    let pair = ledger.pair(&draw)
                    request.transfers.append(
                        BenchLedger.transfer(
                            id: "\(prefix)-\(client)-\(sequence)-\(index)",
                            debit: BenchLedger.holderID(pair.debit),
                            credit: BenchLedger.holderID(pair.credit)
                        )
                    )
                }
                let response = try await Gongzhi_Points_V1_PointsClient(channel: channel).createTransfers(
                    request,
                    options: options
                )
                return BenchLedger.outcome(response, sent: batch)
            }
        case .read:
            call = { channel, client, sequence in
                var draw = random(client, sequence)
                var request = Gongzhi_Points_V1_GetAccountRequest()
                request.accountID = BenchLedger.holderID(ledger.holder(&draw))
                let view = try await Gongzhi_Points_V1_PointsClient(channel: channel).getAccount(
                    request,
                    options: options
                )
                guard view.account.id == request.accountID else {
                    return CallOutcome(
                        done: 0,
                        refused: 1,
                        firstRefusal: "GetAccount \(request.accountID) answered \(view.account.id)"
                    )
                }
                return CallOutcome(done: 1)
            }
        case .create:
            call = { channel, client, sequence in
                let id = "\(prefix)-\(client)-\(sequence)"
                var resident = Gongzhi_Core_V1_Resident()
                resident.id = id
                resident.name = "居民\(sequence % 10_000)"
                var request = Gongzhi_Host_V1_CreateRequest()
                request.object.kind = "Resident"
                request.object.id = id
                request.object.data = try resident.serializedBytes()
                let created = try await Gongzhi_Host_V1_ObjectsClient(channel: channel).create(
                    request,
                    options: options
                )
                guard created.revision > 0 else {
                    return CallOutcome(done: 0, refused: 1, firstRefusal: "Create \(id) answered revision 0")
                }
                return CallOutcome(done: 1)
            }
        }
        return try await clients.timedRun(seconds: seconds, hostPID: hostPID, pluginPID: pluginPID, call)
    }
}
