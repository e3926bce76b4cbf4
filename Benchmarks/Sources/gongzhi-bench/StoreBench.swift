import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The name that selects the object-store benchmark in `--only`.
let storeBenchmarkName = "store"

/// The binaries of the object-store benchmark.
struct StoreBinaries: Sendable {
    /// `gongzhi-host` and `gongzhictl` from the main package.
    var host: String
    var control: String
    /// `gongzhi-store-bench` from `Benchmarks/store`.
    var client: String
    /// The naive SQLite peer from `c/sqlite-naive.c`.
    var naive: String
    /// `gongzhi-echo-server` and `gongzhi-echo` from the main package: the bare round trip that a get's is set
    /// beside (no host, no store); its row says n/a when they are missing.
    var echoServer: String
    var echoClient: String

    func checkExecutable() throws {
        for path in [self.host, self.control, self.client, self.naive]
        where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchFailure("\(path) is not an executable file")
        }
    }
}

/// How much load each step of the store benchmark makes.
struct StoreSettings: Sendable {
    /// Measured seconds of the creates, of each naive run, of the gets, and of the watch's writing.
    var seconds: Double
    /// Unmeasured seconds before the creates and the naive runs.
    var warmup: Double
    /// Concurrent writers (connections, or threads of the naive peer).
    var writers: Int
    /// Residents stored before the reads.
    var preload: Int
    /// Creates per Txn call and Txn calls in flight while preloading.
    var batch = 1024
    var preloadInFlight = 4
    /// Connections of the concurrent gets.
    var concurrentGets = 8
    /// Measured List calls per row.
    var listCalls: Int
    var watchers = 10
    var watchRate = 500.0
    var clientTimeout: Double

    /// The preloaded Residents are spread over this many grids, so that one grid's label matches 10,000 of them.
    var grids: Int { max(1, self.preload / 10_000) }
    var listExpected: Int { min(10_000, self.preload / self.grids) }
    /// Creates per transaction of the store-rows ceiling: about what 64 closed-loop writers give the store's writer
    /// (half of them wait for their answer while a batch is written), and a large batch.
    static let storeRowsBatches = [32, 256]
    /// Calls of the bare echo in the creates' shape: about as many as the creates' seconds would take at 20,000/s.
    var writerEchoCalls: Int { max(10_000, Int(self.seconds * 20_000)) }
}

/// The one JSON line of `gongzhi-store-bench` and of the naive peer.
struct StorePhase: Decodable, Sendable {
    var phase: String
    var connections: Int
    var calls: Int
    var seconds: Double
    var perSec: Double
    var p50Us: Double
    var p99Us: Double
    var p999Us: Double
    var maxUs: Double
    var failures: Int
    var busyRetries: Int?
    /// Creates per transaction, for the store-rows ceiling.
    var batch: Int?
    var clientCpuSeconds: Double?
    var dataBytesAvg: Double?
    var objects: Int?
    var objectsPerSec: Double?
    var events: Int?
    var expectedEvents: Int?
    var ackP50Us: Double?
    var ackP99Us: Double?
    var ackMaxUs: Double?
    var createP50Us: Double?
    var createP99Us: Double?
    var commitP50Us: Double?
    var commitP99Us: Double?
    var commitP999Us: Double?
    var commitMaxUs: Double?

    /// Set by the runner: the host's CPU time over the step's wall time (cores busy), and the client's.
    var hostCores: Double?
    var clientCores: Double?

    static func parse(_ output: String) throws -> StorePhase {
        let line = output.split(whereSeparator: \.isNewline).last {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("{")
        }
        guard let line else { throw BenchFailure("the client printed no JSON line") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(StorePhase.self, from: Data(line.utf8))
        } catch {
            throw BenchFailure("the client printed an unreadable result: \(line.prefix(160))")
        }
    }
}

/// Everything the store benchmark measured; nil where a step failed.
struct StoreMeasurement: Sendable {
    var settings: StoreSettings
    var creates: StorePhase?
    var naiveConcurrent: StorePhase?
    var naiveSingle: StorePhase?
    /// SQLite alone writing every row the store writes for a create, several creates per transaction, one for each
    /// of `StoreSettings.storeRowsBatches`.
    var storeRows: [StorePhase] = []
    var preload: StorePhase?
    var getsAdmin: [StorePhase] = []
    var getsClient: [StorePhase] = []
    /// The bare unary echo round trip on this machine, measured just before the gets.
    var echo: ClientReport?
    /// Bare unary echo calls in the creates' shape (one connection per writer, one call each in flight), measured
    /// after the creates: what the round trips alone cost on this machine.
    var echoWriters: EchoReference?
    var listAdmin: StorePhase?
    var listClient: StorePhase?
    var listKind: StorePhase?
    var watch: StorePhase?
    var idleResidentKiB: Int?
    var idlePeakKiB: Int?
    var finalResidentKiB: Int?
    var finalPeakKiB: Int?
    /// The size of the host's database (with its write-ahead log) and audit log at the end, in bytes.
    var databaseBytes: Int?
    var auditBytes: Int?
    /// The machine's 1-minute load average when the benchmark started and when it ended (other work on the machine
    /// shows here).
    var loadAtStart: String?
    var loadAtEnd: String?
    var notes: [String] = []
}

/// A bare echo measurement with the CPU the server and the client used for it.
struct EchoReference: Sendable {
    var report: ClientReport
    var serverCores: Double?
    var clientCores: Double?
}

/// Runs `gongzhi-echo-server` on a socket under `root` and measures it with `gongzhi-echo bench-client`: `calls`
/// calls over `connections` connections, one call in flight on each.
private func measureEcho(
    _ binaries: StoreBinaries,
    root: String,
    logsDir: String,
    connections: Int = 1,
    calls: Int = 20_000
) throws -> EchoReference {
    for path in [binaries.echoServer, binaries.echoClient] where !FileManager.default.isExecutableFile(atPath: path) {
        throw BenchFailure("\(path) is not an executable file")
    }
    let socket = "\(root)/echo.sock"
    let server = try Child(
        [binaries.echoServer, "serve", "--socket", socket, "--log-level", "warning"],
        logPath: "\(logsDir)/store-echo-server.log"
    )
    defer { server.stop() }
    guard let output = server.output, output.waitForLine("READY", timeout: 10) else {
        throw BenchFailure(server.failureReason("the echo server never printed READY"))
    }
    let serverBefore = cpuMicroseconds(pid: server.pid)
    let started = Date()
    let report = try ClientReport.parse(
        try runToCompletion(
            [
                binaries.echoClient, "bench-client", "--socket", socket, "--calls", String(calls), "--concurrency",
                String(connections), "--connections", String(connections),
            ],
            logPath: "\(logsDir)/store-echo-client-\(connections).log",
            timeout: 120
        )
    )
    // The server's CPU over the client's whole run (its warm-up too), the client's over the measured calls.
    let wall = Date().timeIntervalSince(started)
    let serverCores = serverBefore.flatMap { before in
        cpuMicroseconds(pid: server.pid).map { ($0 - before) / 1e6 / wall }
    }
    let clientCores = report.clientCPUSeconds.map { $0 / (Double(report.calls) / report.callsPerSecond) }
    return EchoReference(report: report, serverCores: serverCores, clientCores: clientCores)
}

/// The 1-minute load average, from `/proc/loadavg`.
private func loadAverage() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
    return text.split(separator: " ").first.map(String.init)
}

/// The targets of the object store (issue 4).
enum StoreTargets {
    static let createsPerSecond = 20_000.0
    static let getP99Micros = 300.0
    static let watchP99Micros = 2_000.0
}

/// Starts `gongzhi-host` without plugins on a fresh data folder under `workDir`, and drives its object store with
/// `gongzhi-store-bench`: durable creates (and the naive SQLite peer beside them), a preload, gets, lists and a
/// watch; reads the host's memory after start and at the end.
func measureStore(
    _ binaries: StoreBinaries,
    settings: StoreSettings,
    workDir: String,
    logsDir: String
)
    -> StoreMeasurement
{
    let loadAtStart = loadAverage()
    var result = runStoreSteps(binaries, settings: settings, workDir: workDir, logsDir: logsDir)
    result.loadAtStart = loadAtStart
    result.loadAtEnd = loadAverage()
    return result
}

private func runStoreSteps(
    _ binaries: StoreBinaries,
    settings: StoreSettings,
    workDir: String,
    logsDir: String
)
    -> StoreMeasurement
{
    var result = StoreMeasurement(settings: settings)
    let root = "\(workDir)/store"
    let adminSocket = "\(root)/run/admin.sock"
    let hostSocket = "\(root)/run/host.sock"
    let configuration = "\(root)/gongzhi.toml"
    do {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try """
        runtime_dir = "run"
        data_dir = "data"
        log_level = "warning"

        """.write(toFile: configuration, atomically: true, encoding: .utf8)
    } catch {
        result.notes.append("cannot write the host's configuration: \(error)")
        return result
    }
    defer { try? FileManager.default.removeItem(atPath: root) }

    let host: Child
    do {
        host = try Child(
            [binaries.host, "--config", configuration],
            logPath: "\(logsDir)/store-host.log",
            collectOutput: false
        )
    } catch {
        result.notes.append("host did not start: \(error)")
        return result
    }
    defer { host.stop(grace: 30) }

    func control(_ arguments: [String], log: String) throws -> String {
        try runToCompletion(
            [binaries.control, "--socket", adminSocket] + arguments + ["-o", "json"],
            logPath: "\(logsDir)/\(log).log",
            timeout: 30
        )
    }

    let deadline = Date().addingTimeInterval(60)
    while (try? control(["status"], log: "store-gongzhictl-status")) == nil {
        guard host.isRunning else {
            result.notes.append(host.failureReason("host died at start"))
            return result
        }
        guard Date() < deadline else {
            result.notes.append("the host did not answer on admin.sock within 60 s")
            return result
        }
        Thread.sleep(forTimeInterval: 0.1)
    }
    // Right after start: the store is open and both sockets serve.
    Thread.sleep(forTimeInterval: 1)
    let idle = processStatus(pid: host.pid)
    result.idleResidentKiB = idle["VmRSS"]
    result.idlePeakKiB = idle["VmHWM"]
    progress("  host ready: VmRSS \(megabytes(result.idleResidentKiB)) MB, VmHWM \(megabytes(result.idlePeakKiB)) MB")

    let token: String?
    do {
        let text = try control(
            ["tokens", "issue", "--client", "bench-store", "--scope", "gongzhi.host.v1.Objects/*"],
            log: "store-gongzhictl-tokens-issue"
        )
        struct Issued: Decodable { var token: String }
        token = try JSONDecoder().decode(Issued.self, from: Data(text.utf8)).token
    } catch {
        token = nil
        result.notes.append("cannot issue a client token, so no reads without the personal-data grant: \(error)")
    }

    /// Runs one step, with the host's and the client's CPU time over its wall time; for the naive peer, which is
    /// its own store, its CPU time counts as the store's.
    func step(_ name: String, _ argv: [String], isStore: Bool = false) -> StorePhase? {
        guard host.isRunning else {
            let reason = host.failureReason("host died")
            if !result.notes.contains(reason) { result.notes.append(reason) }
            progress("  \(name): skipped, \(reason)")
            return nil
        }
        let hostBefore = cpuMicroseconds(pid: host.pid)
        let started = Date()
        do {
            let output = try runToCompletion(
                argv,
                logPath: "\(logsDir)/store-\(name).log",
                timeout: settings.clientTimeout
            )
            var phase = try StorePhase.parse(output)
            let wall = Date().timeIntervalSince(started)
            if isStore {
                phase.hostCores = phase.clientCpuSeconds.map { $0 / wall }
            } else {
                if let hostBefore, let hostAfter = cpuMicroseconds(pid: host.pid) {
                    phase.hostCores = (hostAfter - hostBefore) / 1e6 / wall
                }
                phase.clientCores = phase.clientCpuSeconds.map { $0 / wall }
            }
            progress("  \(name): \(summary(phase)) (\(fixed(wall, places: 1)) s)")
            return phase
        } catch {
            let note = "\(name): \(error)"
            result.notes.append(note)
            progress("  \(note)")
            let reason = host.failureReason("host died")
            if !host.isRunning && !result.notes.contains(reason) { result.notes.append(reason) }
            return nil
        }
    }

    let admin = ["--socket", adminSocket]
    let client = token.map { ["--socket", hostSocket, "--token", $0] }
    let seconds = fixed(settings.seconds, places: 1)
    let warmup = fixed(settings.warmup, places: 1)
    let grids = String(settings.grids)
    let preload = String(settings.preload)

    // 1. Durable creates, then the naive peer on the same disk.
    result.creates = step(
        "creates",
        [binaries.client, "creates"] + admin + [
            "--connections", String(settings.writers), "--seconds", seconds, "--warmup", warmup,
        ]
    )
    let dataBytes = String(Int((result.creates?.dataBytesAvg ?? 165).rounded()))
    for threads in [settings.writers, 1] {
        let database = "\(root)/naive-\(threads).sqlite"
        let phase = step(
            "naive-sqlite-\(threads)",
            [
                binaries.naive, "--db", database, "--threads", String(threads), "--seconds", seconds,
                "--warmup", warmup, "--data-bytes", dataBytes,
            ],
            isStore: true
        )
        if threads == 1 { result.naiveSingle = phase } else { result.naiveConcurrent = phase }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
    // SQLite alone writing the store's own rows with group commit: the ceiling of this design on this disk.
    for batch in StoreSettings.storeRowsBatches {
        let database = "\(root)/store-rows-\(batch).sqlite"
        if let phase = step(
            "sqlite-store-rows-\(batch)",
            [
                binaries.naive, "--db", database, "--store-rows", "--batch", String(batch), "--seconds", seconds,
                "--warmup", warmup, "--data-bytes", dataBytes,
            ],
            isStore: true
        ) {
            result.storeRows.append(phase)
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }

    do {
        let echo = try measureEcho(
            binaries,
            root: root,
            logsDir: logsDir,
            connections: settings.writers,
            calls: settings.writerEchoCalls
        )
        result.echoWriters = echo
        progress(
            "  echo over \(settings.writers) connections: \(grouped(Int(echo.report.callsPerSecond)))/s, "
                + "p99 \(fixed(echo.report.p99Micros, places: 1)) µs, server "
                + "\(echo.serverCores.map { fixed($0, places: 2) } ?? "n/a") cores"
        )
    } catch {
        result.notes.append("the bare echo over \(settings.writers) connections was not measured: \(error)")
    }

    // 2. The preload, then gets.
    result.preload = step(
        "preload",
        [binaries.client, "preload"] + admin + [
            "--count", preload, "--batch", String(settings.batch), "--in-flight", String(settings.preloadInFlight),
            "--grids", grids,
        ]
    )
    guard result.preload != nil else { return result }
    do {
        let echo = try measureEcho(binaries, root: root, logsDir: logsDir).report
        result.echo = echo
        progress("  echo: p50 \(fixed(echo.p50Micros, places: 1)) µs, p99 \(fixed(echo.p99Micros, places: 1)) µs")
    } catch {
        result.notes.append("the bare echo round trip was not measured: \(error)")
    }
    for clients in [1, settings.concurrentGets] {
        let arguments = ["--clients", String(clients), "--seconds", seconds, "--count", preload]
        if let phase = step("gets-admin-\(clients)", [binaries.client, "gets"] + admin + arguments) {
            result.getsAdmin.append(phase)
        }
    }
    if let client {
        for clients in [1, settings.concurrentGets] {
            let arguments = ["--clients", String(clients), "--seconds", seconds, "--count", preload]
            if let phase = step("gets-client-\(clients)", [binaries.client, "gets"] + client + arguments) {
                result.getsClient.append(phase)
            }
        }
    }

    // 3. Lists of 10,000.
    let list = [
        "--calls", String(settings.listCalls), "--grids", grids, "--expect", String(settings.listExpected),
        "--count", preload,
    ]
    result.listAdmin = step("list-admin", [binaries.client, "list"] + admin + list)
    if let client {
        result.listClient = step("list-client", [binaries.client, "list"] + client + list)
    }
    result.listKind = step("list-kind-admin", [binaries.client, "list"] + admin + list + ["--kind-only"])

    // 4. Watch delivery.
    result.watch = step(
        "watch",
        [binaries.client, "watch"] + admin + [
            "--watchers", String(settings.watchers), "--rate", fixed(settings.watchRate, places: 0),
            "--seconds", seconds,
        ]
    )

    // 5. Memory at the end.
    if host.isRunning {
        let status = processStatus(pid: host.pid)
        result.finalResidentKiB = status["VmRSS"]
        result.finalPeakKiB = status["VmHWM"]
    } else {
        let reason = host.failureReason("host died")
        if !result.notes.contains(reason) { result.notes.append(reason) }
    }
    func size(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
    }
    let database = "\(root)/data/host/objects.sqlite"
    result.databaseBytes = [database, database + "-wal"].compactMap(size).reduce(0, +)
    result.auditBytes = size("\(root)/data/host/audit.log")
    return result
}

private func summary(_ phase: StorePhase) -> String {
    var text =
        "\(grouped(Int(phase.perSec.rounded())))/s, p50 \(fixed(phase.p50Us, places: 1)) µs, "
        + "p99 \(fixed(phase.p99Us, places: 1)) µs"
    if let objects = phase.objectsPerSec { text += ", \(grouped(Int(objects.rounded()))) objects/s" }
    if phase.failures > 0 { text += ", \(phase.failures) failed" }
    if let cores = phase.hostCores { text += ", host \(fixed(cores, places: 2)) cores" }
    return text
}

// MARK: Tables

/// Renders the store benchmark as markdown tables and the targets.
func renderStoreTables(_ result: StoreMeasurement) -> String {
    let settings = result.settings
    var lines: [String] = []
    func row(_ cells: [String]) { lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |") }
    func header(_ cells: [String]) {
        row(cells)
        lines.append("|:--|" + Array(repeating: "--:", count: cells.count - 1).joined(separator: "|") + "|")
    }
    func micros(_ value: Double?) -> String { value.map { fixed($0, places: 1) } ?? "n/a" }
    func millis(_ value: Double?) -> String { value.map { fixed($0 / 1000, places: 2) } ?? "n/a" }
    func rate(_ value: Double?) -> String { value.map { grouped(Int($0.rounded())) } ?? "n/a" }
    func cores(_ value: Double?) -> String { value.map { fixed($0, places: 2) } ?? "n/a" }

    let window = "\(fixed(settings.seconds, places: 0)) s after \(fixed(settings.warmup, places: 0)) s of warm-up"
    lines.append(
        "Creates, each answered once committed, \(window); ratios are ours over the row's creates/s (calls/s for the "
            + "echo, whose calls in the creates' shape carry no store work):"
    )
    lines.append("")
    header([
        "Store", "Writers", "creates/s", "p50 µs", "p99 µs", "p99.9 µs", "ours/this", "store process cores",
        "client cores",
    ])
    let ours = result.creates?.perSec
    let creates: [(String, StorePhase?)] = [
        ("gongzhi-host, Objects/Create on admin.sock", result.creates),
        ("naive SQLite, a transaction per insert", result.naiveConcurrent),
        ("naive SQLite, a transaction per insert", result.naiveSingle),
    ]
    for (index, (name, phase)) in creates.enumerated() {
        let writers =
            index == 0
            ? "\(settings.writers) connections" : (index == 1 ? "\(settings.writers) threads" : "1 thread")
        row([
            name, writers, rate(phase?.perSec), micros(phase?.p50Us), micros(phase?.p99Us), micros(phase?.p999Us),
            index == 0 ? "—" : ratio(ours, phase?.perSec), cores(phase?.hostCores),
            index == 0 ? cores(phase?.clientCores) : "—",
        ])
    }
    for phase in result.storeRows {
        row([
            "SQLite alone, the store's rows (object, 3 labels, history), \(phase.batch ?? 0) creates per transaction",
            "1 thread", rate(phase.perSec), micros(phase.p50Us), micros(phase.p99Us), micros(phase.p999Us),
            ratio(ours, phase.perSec), cores(phase.hostCores), "—",
        ])
    }
    if let echo = result.echoWriters {
        row([
            "for reference: a bare unary echo (gongzhi-echo, no host, no store), \(grouped(echo.report.calls)) calls",
            "\(echo.report.connections ?? settings.writers) connections", rate(echo.report.callsPerSecond),
            micros(echo.report.p50Micros), micros(echo.report.p99Micros), "—", ratio(ours, echo.report.callsPerSecond),
            cores(echo.serverCores), cores(echo.clientCores),
        ])
    }

    lines.append("")
    lines.append(
        "Preload: \(grouped(settings.preload)) Residents with Objects/Txn on admin.sock, "
            + "\(settings.batch) creates per call, \(settings.preloadInFlight) calls in flight:"
    )
    lines.append("")
    header([
        "Objects", "Txn calls", "seconds", "objects/s", "Txn p50 ms", "Txn p99 ms", "data bytes/object", "host cores",
    ])
    if let phase = result.preload {
        row([
            grouped(phase.objects ?? 0), grouped(phase.calls), fixed(phase.seconds, places: 1),
            rate(phase.objectsPerSec), millis(phase.p50Us), millis(phase.p99Us),
            phase.dataBytesAvg.map { fixed($0, places: 0) } ?? "n/a", cores(phase.hostCores),
        ])
    } else {
        row(["n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a"])
    }

    lines.append("")
    lines.append(
        "Gets of random Residents among \(grouped(settings.preload)), each connection one call at a time, "
            + "\(fixed(settings.seconds, places: 0)) s after 1 s of warm-up:"
    )
    lines.append("")
    header(["Caller", "Connections", "gets/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "host cores", "client cores"])
    let getRows: [(String, [StorePhase])] = [
        ("admin.sock (personal data shown, each get audited)", result.getsAdmin),
        ("host.sock, client token (personal data redacted, not audited)", result.getsClient),
    ]
    for (caller, phases) in getRows {
        for phase in phases {
            row([
                caller, String(phase.connections), rate(phase.perSec), micros(phase.p50Us), micros(phase.p99Us),
                micros(phase.p999Us), micros(phase.maxUs), cores(phase.hostCores), cores(phase.clientCores),
            ])
        }
    }
    if let echo = result.echo {
        row([
            "for reference: a bare unary echo (gongzhi-echo, no host, no store), \(grouped(echo.calls)) calls", "1",
            rate(echo.callsPerSecond), micros(echo.p50Micros), micros(echo.p99Micros), "—", "—", "—", "—",
        ])
    }

    lines.append("")
    lines.append("Lists of \(grouped(settings.listExpected)) Residents in one call (page_size 10000), one at a time:")
    lines.append("")
    header(["Caller", "Selects", "calls", "p50 ms", "p99 ms", "objects/s", "host cores"])
    let listRows: [(String, String, StorePhase?)] = [
        ("admin.sock (audited)", "grid=G-NNNN (one grid)", result.listAdmin),
        ("host.sock, client token (redacted)", "grid=G-NNNN (one grid)", result.listClient),
        ("admin.sock (audited)", "the kind, after a random id", result.listKind),
    ]
    for (caller, selects, phase) in listRows where phase != nil || caller.hasPrefix("admin") {
        row([
            caller, selects, phase.map { String($0.calls) } ?? "n/a", millis(phase?.p50Us), millis(phase?.p99Us),
            rate(phase?.objectsPerSec), cores(phase?.hostCores),
        ])
    }

    lines.append("")
    lines.append(
        "Watch delivery: \(settings.watchers) watchers (Objects/Watch on Resident, from_now) on admin.sock, one writer "
            + "creating \(fixed(settings.watchRate, places: 0))/s for \(fixed(settings.seconds, places: 0)) s, all in "
            + "one client process. Latency from the commit (the event's `committed_at_us`, stamped by the host once "
            + "the commit is durable) to each watcher's receipt, and from just before the Create call to the receipt "
            + "(which adds the Create's own way to the host and its commit):"
    )
    lines.append("")
    header([
        "Events received", "from commit p50 µs", "p99 µs", "p99.9 µs", "max µs", "from the Create call p50 µs",
        "p99 µs", "p99.9 µs", "max µs", "after the ack p50 µs", "after the ack p99 µs", "Create p50 µs",
        "Create p99 µs", "host cores",
    ])
    if let phase = result.watch {
        row([
            "\(grouped(phase.events ?? 0)) of \(grouped(phase.expectedEvents ?? 0))", micros(phase.commitP50Us),
            micros(phase.commitP99Us), micros(phase.commitP999Us), micros(phase.commitMaxUs), micros(phase.p50Us),
            micros(phase.p99Us), micros(phase.p999Us), micros(phase.maxUs), micros(phase.ackP50Us),
            micros(phase.ackP99Us), micros(phase.createP50Us), micros(phase.createP99Us), cores(phase.hostCores),
        ])
    } else {
        row(Array(repeating: "n/a", count: 14))
    }

    lines.append("")
    header(["gongzhi-host memory", "MB"])
    row(["VmRSS 1 s after start (empty store)", megabytes(result.idleResidentKiB)])
    row(["VmHWM (peak RSS) after all of the above", megabytes(result.finalPeakKiB)])
    row(["VmRSS after all of the above", megabytes(result.finalResidentKiB)])
    row(["objects.sqlite with its WAL at the end (on disk)", megabytes(result.databaseBytes.map { $0 / 1024 })])
    row(["audit.log at the end (on disk)", megabytes(result.auditBytes.map { $0 / 1024 })])

    lines.append("")
    func verdict(_ met: Bool?) -> String { met.map { $0 ? "met" : "missed" } ?? "n/a" }
    /// "12,345/s", "250.0 µs" or "n/a".
    func figure(_ value: Double?, _ format: (Double) -> String, _ unit: String) -> String {
        value.map { format($0) + unit } ?? "n/a"
    }
    let perSecond: (Double) -> String = { grouped(Int($0.rounded())) }
    let microseconds: (Double) -> String = { fixed($0, places: 1) }
    lines.append(
        "- Creates ≥ \(grouped(Int(StoreTargets.createsPerSecond)))/s with \(settings.writers) writers: "
            + "\(figure(ours, perSecond, "/s")): \(verdict(ours.map { $0 >= StoreTargets.createsPerSecond }))"
            + " (naive SQLite: \(figure(result.naiveConcurrent?.perSec, perSecond, "/s")) with \(settings.writers) "
            + "threads, \(figure(result.naiveSingle?.perSec, perSecond, "/s")) with 1"
            + result.storeRows.map {
                "; SQLite alone writing the store's rows, \($0.batch ?? 0) per transaction: \(perSecond($0.perSec))/s"
            }.joined()
            + ")"
    )
    let get = result.getsAdmin.first
    let clientGet = result.getsClient.first
    lines.append(
        "- Get p99 ≤ \(fixed(StoreTargets.getP99Micros, places: 0)) µs, 1 client: "
            + "\(figure(get?.p99Us, microseconds, " µs")) on admin.sock: "
            + verdict(get.map { $0.p99Us <= StoreTargets.getP99Micros })
            + (clientGet.map {
                "; \(microseconds($0.p99Us)) µs with a client token: "
                    + verdict($0.p99Us <= StoreTargets.getP99Micros)
            } ?? "")
            + (result.echo.map { "; a bare echo round trip here: p99 \(microseconds($0.p99Micros)) µs" } ?? "")
    )
    let watch = result.watch
    let millis2: (Double) -> String = { fixed($0 / 1000, places: 2) }
    lines.append(
        "- Watch delivery p99 ≤ \(fixed(StoreTargets.watchP99Micros / 1000, places: 0)) ms from commit to "
            + "\(settings.watchers) watchers: \(figure(watch?.commitP99Us, millis2, " ms")): "
            + verdict(
                watch.map { phase in
                    phase.commitP99Us.map { $0 <= StoreTargets.watchP99Micros } == true
                        && phase.events == phase.expectedEvents
                }
            )
            + " (from just before the Create call: \(figure(watch?.p99Us, millis2, " ms")))"
    )
    lines.append(
        "- Load average (1 min) of the machine at the start and at the end: \(result.loadAtStart ?? "n/a"), "
            + (result.loadAtEnd ?? "n/a")
    )
    if !result.notes.isEmpty {
        lines.append("- Notes: " + result.notes.joined(separator: "; "))
    }
    return lines.joined(separator: "\n") + "\n"
}
