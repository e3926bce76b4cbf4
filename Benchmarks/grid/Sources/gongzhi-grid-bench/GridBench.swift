import ArgumentParser
import Foundation
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import NIOCore
import NIOPosix

/// The grid plugin's benchmark: starts `gongzhi-host` with `gongzhi-grid` and a district of grids, then times
/// Report calls through the host (one reporter, then many at once) against the same host's bare Objects/Create
/// of an object of the same size and the plugin's Locate, and prints markdown tables.
@main
struct GridBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-grid-bench",
        abstract: "Report-to-dispatched latency and cases/s of the grid plugin through gongzhi-host.",
        discussion: """
            Prints markdown tables on standard output (and to --output); progress goes to standard error. \
            Benchmarks/run.sh --grid-only builds the binaries and runs this.
            """
    )

    @Option(help: "The folder holding release builds of gongzhi-host, gongzhictl and gongzhi-grid.")
    var gongzhiBinDir: String

    @Option(help: "The repository's root (for Deploy/install-plugin.sh and Plugins/grid/grid.plugin.toml).")
    var repoRoot = "."

    @Option(help: "Grid columns (one community each) and rows (grids per community).")
    var gridColumns = 40
    @Option(help: "Grids per community.") var gridRows = 25

    @Option(help: "Measured reports of the single reporter (and Locate and Create calls of its peers).")
    var reports: Int?
    @Option(help: "Concurrent reporters, each on a connection of its own.") var reporters = 64
    @Option(help: "Measured reports of the concurrent reporters (and calls of their peers).")
    var concurrentReports: Int?
    @Option(help: "Unmeasured calls of each kind first.") var warmup: Int?
    @Option(help: "Reports of the single reporter again after the concurrent run, among all those cases.")
    var laterReports: Int?
    @Option(help: "Reports of the concurrent reporters spread over every auto-dispatch category, last.")
    var spreadReports: Int?

    @Option(help: "The host's log_level (the plugin's follows it); production.toml has info.")
    var logLevel = "info"
    @Flag(help: "A tenth of the calls, for trying it out.") var quick = false
    @Option(help: "Also write the tables to this file.") var output: String?
    @Flag(help: "Keep the host's folder (data, logs) instead of removing it.") var keep = false

    static func main() async {
        // Swift concurrency on NIO's event loops, as in gongzhi-echo: a call resumes on the thread that read its
        // response. Must happen before any other task starts.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }

    func validate() throws {
        for value in [reports, concurrentReports, warmup, laterReports, spreadReports] {
            if let value, value < 0 { throw ValidationError("counts must not be negative") }
        }
        guard reporters > 0, gridColumns > 0, gridRows > 0 else {
            throw ValidationError("--reporters, --grid-columns and --grid-rows must be positive")
        }
    }

    func run() async throws {
        let scale = quick ? 10 : 1
        let settings = Settings(
            reports: reports ?? 2_000 / scale,
            reporters: reporters,
            concurrentReports: concurrentReports ?? 20_000 / scale,
            warmup: warmup ?? 500 / scale,
            laterReports: laterReports ?? 500 / scale,
            spreadReports: spreadReports ?? 5_000 / scale,
            logLevel: logLevel
        )
        let binaries = GridBinaries(directory: gongzhiBinDir)
        try binaries.check()
        let world = GridWorld(columns: gridColumns, rows: gridRows)
        let needed = settings.totalReports + 2
        guard needed <= world.cellCount else {
            throw ValidationError("\(needed) reports need more than the \(world.cellCount) places of the grids")
        }

        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gongzhi-grid-bench-\(getpid())"
        ).path
        try? FileManager.default.removeItem(atPath: root)
        var result = Measurement(settings: settings, world: world)
        result.loadAtStart = loadAverages()
        note("starting gongzhi-host with gongzhi-grid in \(root)")
        let host = try HostUnderBench(
            root: root,
            repoRoot: repoRoot,
            binaries: binaries,
            logLevel: settings.logLevel
        )
        do {
            try await measure(host: host, world: world, into: &result)
        } catch {
            result.notes.append("stopped early: \(error)")
            note("stopped early: \(error)")
        }
        result.loadAtEnd = loadAverages()
        host.stop()
        if keep || !result.notes.isEmpty {
            note("the host's folder (logs, data) is kept in \(root)")
        } else {
            try? FileManager.default.removeItem(atPath: root)
        }
        let tables = renderTables(result)
        print(tables, terminator: "")
        if let output { try tables.write(toFile: output, atomically: true, encoding: .utf8) }
    }

    private func measure(host: HostUnderBench, world: GridWorld, into result: inout Measurement) async throws {
        let settings = result.settings
        let socket = host.adminSocket
        let pluginPID = try host.waitUntilPluginReady(timeout: 60)
        let setup = RPCClient(socketPath: socket)
        defer { Task { await setup.close() } }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: setup)
        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: setup)

        let worldStarted = monotonicNanos()
        try await world.create(on: objects)
        // The plugin follows the grids through a watch: wait until it locates a point in the last one.
        let lastGrid = GridWorld.gridCode(column: world.columns - 1, row: world.rows - 1)
        var locate = Gongzhi_Grid_V1_LocateRequest()
        locate.point.longitude = GridWorld.originLongitude + (Double(world.columns) - 0.5) * world.size
        locate.point.latitude = GridWorld.originLatitude + (Double(world.rows) - 0.5) * world.size
        let deadline = monotonicNanos() + 60_000_000_000
        while (try? await grid.locate(locate))?.gridCode != lastGrid {
            guard monotonicNanos() < deadline else { throw BenchFailure("the plugin did not see the grids in 60 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        result.worldSeconds = Double(monotonicNanos() - worldStarted) / 1e9
        note(
            "\(world.gridCount) grids in \(world.columns) communities created and followed by the plugin in "
                + "\(fixed(result.worldSeconds, places: 1)) s"
        )

        let categories = try await grid.listCategories(Gongzhi_Grid_V1_ListCategoriesRequest())
        result.duplicateRadius = categories.duplicateRadiusM
        result.duplicateWindowMinutes = Int(categories.duplicateWindowMinutes)
        let automatic = categories.categories.filter(\.autoDispatch)
        guard let category = automatic.first else { throw BenchFailure("the catalogue has no auto-dispatch category") }
        result.category = "\(category.code) \(category.name)"
        result.spreadCategories = automatic.map(\.code)
        result.hostIdle = Memory(pid: host.pid)
        result.pluginIdle = Memory(pid: pluginPID)

        // One report to learn the size of a case as stored; the peer's objects are made as large.
        var places = 0
        let first = try await grid.report(
            reportRequest(world: world, place: places, category: category.code, key: "size")
        )
        places += 1
        result.caseBytes = (try first.case.serializedBytes() as [UInt8]).count
        let caseBytes = result.caseBytes

        // Every measured load: its CPU per call in the host and the plugin and in this process.
        var casesStored = 1
        func load(
            _ name: String,
            _ what: String,
            workers: Int,
            total: Int,
            warmup: Bool = false,
            _ call: @escaping @Sendable (any RPCClientChannel, Int) async throws -> Outcome
        ) async throws -> Phase? {
            guard total > 0 else { return nil }
            let hostBefore = cpuMicros(pid: host.pid)
            let pluginBefore = cpuMicros(pid: pluginPID)
            let clientBefore = ownCPUMicros()
            let casesBefore = casesStored
            let outcome = try await closedLoop(socket: socket, workers: workers, total: total, call)
            var phase = Phase(name: name, what: what, load: outcome, casesBefore: casesBefore)
            let calls = Double(max(1, total))
            if let before = hostBefore, let after = cpuMicros(pid: host.pid) {
                phase.hostCPU = (after - before) / calls
            }
            if let before = pluginBefore, let after = cpuMicros(pid: pluginPID) {
                phase.pluginCPU = (after - before) / calls
            }
            phase.clientCPU = (ownCPUMicros() - clientBefore) / calls
            let latency = outcome.latency
            if what == "Report" { casesStored += outcome.samples.count - outcome.duplicates - outcome.unexpected }
            let label = warmup ? "warm-up \(name)" : name
            note(
                "\(label): \(grouped(outcome.samples.count)) in \(fixed(outcome.seconds, places: 1)) s, "
                    + "\(grouped(Int(outcome.perSecond.rounded())))/s, p50 \(fixed(latency.p50 / 1000, places: 2)) ms, "
                    + "p99 \(fixed(latency.p99 / 1000, places: 2)) ms"
                    + (outcome.failures > 0 ? ", \(outcome.failures) failed (\(outcome.firstFailure ?? ""))" : "")
                    + (outcome.duplicates > 0 ? ", \(outcome.duplicates) joined as duplicates" : "")
                    + (outcome.unexpected > 0 ? ", \(outcome.unexpected) not dispatched" : "")
            )
            return warmup ? nil : phase
        }

        func reports(
            _ name: String,
            workers: Int,
            total: Int,
            categories: [String],
            warmup: Bool = false,
            watch: WatchLog? = nil
        ) async throws -> Phase? {
            let firstPlace = places
            places += total
            let prefix = name.replacingOccurrences(of: " ", with: "-")
            return try await load(name, "Report", workers: workers, total: total, warmup: warmup) { channel, index in
                let client = Gongzhi_Grid_V1_GridServiceClient(channel: channel)
                let request = reportRequest(
                    world: world,
                    place: firstPlace + index,
                    category: categories[index % categories.count],
                    key: "\(prefix)-\(index)"
                )
                let sent = monotonicNanos()
                let response = try await client.report(request, options: CallOptions(timeout: .seconds(60)))
                watch?.reported(response.case.id, sent: sent, answered: monotonicNanos())
                if response.duplicate { return .duplicate }
                return response.case.state == .dispatched && response.created ? .expected : .unexpected
            }
        }

        func locates(_ name: String, workers: Int, total: Int, warmup: Bool = false) async throws -> Phase? {
            try await load(name, "Locate", workers: workers, total: total, warmup: warmup) { channel, index in
                let client = Gongzhi_Grid_V1_GridServiceClient(channel: channel)
                var request = Gongzhi_Grid_V1_LocateRequest()
                request.point = world.point(index + 7)
                let response = try await client.locate(request, options: CallOptions(timeout: .seconds(60)))
                return response.gridCode.isEmpty ? .unexpected : .expected
            }
        }

        func creates(_ name: String, workers: Int, total: Int, warmup: Bool = false) async throws -> Phase? {
            let prefix = name.replacingOccurrences(of: " ", with: "-")
            return try await load(name, "Create", workers: workers, total: total, warmup: warmup) { channel, index in
                let client = Gongzhi_Host_V1_ObjectsClient(channel: channel)
                var request = Gongzhi_Host_V1_CreateRequest()
                request.object = try peerObject(world: world, index: index, id: "\(prefix)-\(index)", bytes: caseBytes)
                let created = try await client.create(request, options: CallOptions(timeout: .seconds(60)))
                return created.revision > 0 ? .expected : .unexpected
            }
        }

        let single = settings.reports
        let many = settings.concurrentReports
        let workers = settings.reporters
        let code = [category.code]

        // Warm-up: each kind of call, from as many connections as the concurrent runs use.
        let warm = settings.warmup
        _ = try await locates("locate", workers: min(workers, max(1, warm)), total: warm, warmup: true)
        _ = try await creates("create", workers: min(workers, max(1, warm)), total: warm, warmup: true)
        _ = try await reports(
            "reports",
            workers: min(workers, max(1, warm)),
            total: warm,
            categories: code,
            warmup: true
        )

        // One at a time, with a watcher of Case objects on a connection of its own.
        result.locateSingle = try await locates("Locate, 1 caller", workers: 1, total: single)
        result.createSingle = try await creates("Create, 1 caller", workers: 1, total: single)
        let watchLog = WatchLog()
        let watcher = Task { await watchCases(socket: socket, log: watchLog) }
        let syncDeadline = monotonicNanos() + 30_000_000_000
        var synced = false
        var attempt = 0
        while !synced && monotonicNanos() < syncDeadline {
            let answer = try await grid.report(
                reportRequest(world: world, place: places, category: category.code, key: "sync-\(attempt)")
            )
            places += 1
            casesStored += 1
            attempt += 1
            let waitUntil = monotonicNanos() + 1_000_000_000
            while !watchLog.hasSeen(answer.case.id) && monotonicNanos() < waitUntil {
                try await Task.sleep(for: .milliseconds(10))
            }
            synced = watchLog.hasSeen(answer.case.id)
        }
        if !synced { result.notes.append("the watcher of Case saw no event within 30 s") }
        result.reportSingle = try await reports(
            "Report, 1 reporter",
            workers: 1,
            total: single,
            categories: code,
            watch: watchLog
        )
        let drainUntil = monotonicNanos() + 5_000_000_000
        while watchLog.delays().missing > 0 && monotonicNanos() < drainUntil {
            try await Task.sleep(for: .milliseconds(20))
        }
        watcher.cancel()
        result.watch = watchLog.delays()

        // Many at once.
        result.locateMany = try await locates("Locate, \(workers) callers", workers: workers, total: many)
        result.createMany = try await creates("Create, \(workers) callers", workers: workers, total: many)
        result.reportMany = try await reports(
            "Report, \(workers) reporters",
            workers: workers,
            total: many,
            categories: code
        )

        // One reporter again, among every case so far; then many over every auto-dispatch category.
        result.reportLater = try await reports(
            "Report, 1 reporter, later",
            workers: 1,
            total: settings.laterReports,
            categories: code
        )
        result.reportSpread = try await reports(
            "Report, \(workers) reporters, \(automatic.count) categories",
            workers: workers,
            total: settings.spreadReports,
            categories: automatic.map(\.code)
        )
        result.casesStored = casesStored
        result.hostAfter = Memory(pid: host.pid)
        result.pluginAfter = Memory(pid: pluginPID)
    }
}

/// How much load each step makes.
struct Settings: Sendable {
    var reports: Int
    var reporters: Int
    var concurrentReports: Int
    var warmup: Int
    var laterReports: Int
    var spreadReports: Int
    var logLevel: String

    var totalReports: Int { reports + concurrentReports + warmup + laterReports + spreadReports + 100 }
}

/// One measured load.
struct Phase: Sendable {
    var name: String
    /// Report, Locate or Create.
    var what: String
    var load: LoadResult
    /// Cases stored when it began.
    var casesBefore: Int
    /// CPU time per call, in microseconds.
    var hostCPU: Double?
    var pluginCPU: Double?
    var clientCPU: Double?
}

/// Everything the benchmark measured.
struct Measurement: Sendable {
    var settings: Settings
    var world: GridWorld
    var worldSeconds = 0.0
    var category = ""
    var spreadCategories: [String] = []
    var duplicateRadius = 0.0
    var duplicateWindowMinutes = 0
    var caseBytes = 0
    var locateSingle: Phase?
    var createSingle: Phase?
    var reportSingle: Phase?
    var watch: (fromSend: [Int64], fromAnswer: [Int64], missing: Int)?
    var locateMany: Phase?
    var createMany: Phase?
    var reportMany: Phase?
    var reportLater: Phase?
    var reportSpread: Phase?
    var casesStored = 0
    var hostIdle = Memory(pid: nil)
    var pluginIdle = Memory(pid: nil)
    var hostAfter = Memory(pid: nil)
    var pluginAfter = Memory(pid: nil)
    var loadAtStart = ""
    var loadAtEnd = ""
    var notes: [String] = []
}

/// A report of a resident at the `place`-th point of the world.
func reportRequest(world: GridWorld, place: Int, category: String, key: String) -> Gongzhi_Grid_V1_ReportRequest {
    var request = Gongzhi_Grid_V1_ReportRequest()
    request.source = .online
    request.categoryCode = category
    request.description_p = "垃圾满溢，散落在人行道上，影响通行"
    request.location = world.point(place)
    request.reporter.name = "居民\(digits(place % 10_000, width: 4))"
    request.reporter.phone = "139" + digits(place, width: 8)
    request.idempotencyKey = key
    return request
}

/// The peer's object: a Resident (a kind the host owns, so an administrator may create it) with a phone and
/// padded notes, personal data like the case's reporter, as large as a case (`bytes`), with the six labels the
/// plugin gives a case and the grid as its parent.
func peerObject(world: GridWorld, index: Int, id: String, bytes: Int) throws -> Gongzhi_Host_V1_Object {
    let point = world.point(index + 11)
    let column = Int((point.longitude - GridWorld.originLongitude) / world.size)
    let row = Int((point.latitude - GridWorld.originLatitude) / world.size)
    let grid = GridWorld.gridCode(column: column, row: row)
    var resident = Gongzhi_Core_V1_Resident()
    resident.id = id
    resident.name = "居民\(digits(index % 10_000, width: 4))"
    resident.phone = "139" + digits(index, width: 8)
    let base = (try resident.serializedBytes() as [UInt8]).count + 3
    resident.notes = String(repeating: "x", count: max(0, bytes - base))
    var object = Gongzhi_Host_V1_Object()
    object.kind = "Resident"
    object.id = id
    object.parent = grid
    object.data = try resident.serializedBytes()
    object.labels = [
        "state": "dispatched", "category": "E0101", "grid": grid, "community": String(grid.prefix(12)),
        "street": GridWorld.street, "tier": "grid",
    ]
    return object
}
