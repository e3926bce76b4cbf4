import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL server in a folder of its own, listening only on a Unix socket in that folder, with the
/// defaults of `initdb` (fsync and synchronous_commit on: a commit waits for its WAL to reach the disk), and
/// pgbench runs against it.
///
/// PostgreSQL refuses to run as root: when this process is root, `initdb` and `pg_ctl` run as the `postgres`
/// user through `runuser`, and the folder is given to that user.
final class PostgresPeer {
    let binDirectory: String
    let folder: String
    let port = 55_432
    private let runAs: [String]
    private(set) var postmasterPID: Int32?
    private var started = false

    init(binDirectory: String, folder: String) throws {
        self.binDirectory = binDirectory
        self.folder = folder
        for tool in ["initdb", "pg_ctl", "psql", "pgbench"]
        where !FileManager.default.isExecutableFile(atPath: "\(binDirectory)/\(tool)") {
            throw BenchFailure(
                "\(binDirectory)/\(tool) is not an executable file (install postgresql-15 and postgresql-contrib, "
                    + "or give --postgres-bin-dir)"
            )
        }
        if geteuid() == 0 {
            guard
                let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first(where: FileManager.default.isExecutableFile)
            else { throw BenchFailure("running as root, but there is no runuser to start PostgreSQL as postgres") }
            self.runAs = [runuser, "-u", "postgres", "--"]
        } else {
            self.runAs = []
        }
    }

    var dataDirectory: String { "\(folder)/data" }

    /// Creates the cluster and starts the server; answers when it accepts connections.
    func start() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if !runAs.isEmpty {
            guard let user = getpwnam("postgres") else { throw BenchFailure("there is no user postgres") }
            guard chown(folder, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw BenchFailure("cannot give \(folder) to postgres: errno \(errno)")
            }
        }
        try runTool(
            runAs + ["\(binDirectory)/initdb", "-D", dataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            logPath: "\(folder)/../postgres-initdb.log"
        )
        try runTool(
            runAs + [
                "\(binDirectory)/pg_ctl", "-D", dataDirectory, "-l", "\(folder)/server.log", "-w", "-t", "60",
                "-o", "-k \(folder) -p \(port) -c listen_addresses=''", "start",
            ],
            logPath: "\(folder)/../postgres-pg_ctl.log"
        )
        started = true
        let pidFile = try String(contentsOfFile: "\(dataDirectory)/postmaster.pid", encoding: .utf8)
        postmasterPID = pidFile.split(separator: "\n").first.flatMap { Int32($0) }
    }

    /// Runs `sql` with psql (stopping at the first error) and answers its rows, unaligned, one a line.
    @discardableResult
    func psql(_ sql: String, name: String) throws -> String {
        let path = "\(folder)/../\(name).sql"
        try sql.write(toFile: path, atomically: true, encoding: .utf8)
        return try runTool(
            [
                "\(binDirectory)/psql", "-h", folder, "-p", String(port), "-U", "postgres", "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1", "-f", path, "postgres",
            ],
            logPath: "\(folder)/../psql-\(name).log"
        )
    }

    /// `name=value` lines of psql's output as a dictionary.
    func values(_ sql: String, name: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for line in try psql(sql, name: name).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// Transfers recorded so far.
    func transferCount() throws -> Int {
        guard let count = Int(try values(PeerSQL.check, name: "check")["transfers"] ?? "") else {
            throw BenchFailure("cannot count the peer's transfers")
        }
        return count
    }

    /// Runs pgbench with `script` for `seconds` with `clients` connections on `threads` threads, each client
    /// with the variables `base` and `n` = 0 (see `PeerSQL.clientStride`). With `logName`, pgbench writes a
    /// line per transaction (`-l`), from which the run's latencies and its span are read; without, only pgbench's
    /// summary is read (a warm-up).
    ///
    /// `operationsPerCall` is what one transaction does; the operations of a transfer run are the transfers the
    /// table gained, counted before and after.
    func pgbench(
        script: String,
        logName: String?,
        clients: Int,
        threads: Int,
        seconds: Int,
        base: Int64,
        countsTransfers: Bool,
        operationsPerCall: Int
    ) throws -> MeasuredRun {
        let name = logName ?? "warmup"
        let scriptPath = "\(folder)/../pgbench-\(name).sql"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let logFolder = "\(folder)/../pgbench-logs"
        try FileManager.default.createDirectory(atPath: logFolder, withIntermediateDirectories: true)
        var argv = [
            "\(binDirectory)/pgbench", "-h", folder, "-p", String(port), "-U", "postgres", "-n", "-M", "prepared",
            "-c", String(clients), "-j", String(threads), "-T", String(seconds), "-f", scriptPath, "-D",
            "base=\(base)", "-D", "n=0",
        ]
        if let logName { argv += ["-l", "--log-prefix=\(logFolder)/\(logName)"] }
        argv.append("postgres")

        let transfersBefore = countsTransfers ? try transferCount() : 0
        let loadAtStart = MachineState.now().oneMinuteLoad
        let serverBefore = postmasterPID.flatMap(processTreeCPUMicros)
        let clientBefore = endedChildrenCPUMicros()
        let machineBefore = MachineCounters.now()
        let started = monotonicNanos()
        let output = try runTool(argv, logPath: "\(folder)/../pgbench-\(name).log")
        let wall = Double(monotonicNanos() - started) / 1e9
        let machine = MachineCounters.now().since(machineBefore)
        let clientAfter = endedChildrenCPUMicros()
        // The backends end as pgbench disconnects; give the postmaster a moment to wait for them.
        Thread.sleep(forTimeInterval: 0.3)
        let serverAfter = postmasterPID.flatMap(processTreeCPUMicros)
        let transfersAfter = countsTransfers ? try transferCount() : 0

        let summary = PgbenchSummary(output)
        var run = MeasuredRun(
            clients: clients,
            calls: summary.processed ?? 0,
            operations: 0,
            seconds: wall,
            latencies: [],
            loadAtStart: loadAtStart
        )
        run.failedCalls = summary.failed ?? 0
        run.machine = machine
        run.pgbenchPerSecond = summary.perSecond
        if let serverBefore, let serverAfter { run.serverCPU = serverAfter - serverBefore }
        run.clientCPU = clientAfter - clientBefore
        if let logName {
            let log = try PgbenchLog(folder: logFolder, prefix: logName)
            run.calls = log.latencies.count
            run.failedCalls = log.failed
            run.latencies = log.latencies
            if log.lastEnd > log.firstStart { run.seconds = Double(log.lastEnd - log.firstStart) / 1e6 }
        }
        if countsTransfers {
            run.operations = transfersAfter - transfersBefore
            let expected = run.calls * operationsPerCall
            if run.operations != expected {
                run.refused = max(0, expected - run.operations)
                run.firstProblem =
                    "\(grouped(run.operations)) transfers recorded of \(grouped(expected)) sent in the transactions "
                    + "answered"
            }
        } else {
            run.operations = run.calls * operationsPerCall
        }
        if run.failedCalls > 0 && run.firstProblem == nil {
            run.firstProblem = "pgbench counted \(run.failedCalls) failed transactions"
        }
        return run
    }

    /// Stops the server (fast shutdown: clients are disconnected, nothing is lost).
    func stop() {
        guard started else { return }
        started = false
        _ = try? runTool(
            runAs + ["\(binDirectory)/pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"],
            logPath: "\(folder)/../postgres-pg_ctl-stop.log"
        )
    }
}

/// The figures of pgbench's summary on standard output.
struct PgbenchSummary {
    var processed: Int?
    var failed: Int?
    var perSecond: Double?

    init(_ output: String) {
        for line in output.split(separator: "\n") {
            if line.hasPrefix("number of transactions actually processed:") {
                processed = Int(
                    line.split(separator: ":")[1].split(separator: "/")[0].trimmingCharacters(in: .whitespaces)
                )
            } else if line.hasPrefix("number of failed transactions:") {
                failed = Int(
                    line.split(separator: ":")[1].split(separator: "(")[0].trimmingCharacters(in: .whitespaces)
                )
            } else if line.hasPrefix("tps = ") {
                perSecond = Double(line.dropFirst(6).split(separator: " ")[0])
            }
        }
    }
}

/// pgbench's per-transaction logs (`-l`, one file per thread: PREFIX.PID and PREFIX.PID.N), one line per
/// transaction: client, transaction number, latency in µs (or `failed`), script, and the time it ended (seconds
/// and microseconds since the epoch).
struct PgbenchLog {
    var latencies: [UInt64] = []
    var failed = 0
    /// The first transaction's start and the last one's end, in µs since the epoch.
    var firstStart = UInt64.max
    var lastEnd: UInt64 = 0

    init(folder: String, prefix: String) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(prefix + ".") }
        guard !files.isEmpty else { throw BenchFailure("pgbench wrote no log \(folder)/\(prefix).*") }
        for file in files {
            let text = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 6, let seconds = UInt64(fields[4]), let micros = UInt64(fields[5]) else {
                    continue
                }
                guard let latency = UInt64(fields[2]) else {
                    failed += 1
                    continue
                }
                let end = seconds * 1_000_000 + micros
                latencies.append(latency * 1_000)
                firstStart = min(firstStart, end - min(latency, end))
                lastEnd = max(lastEnd, end)
            }
        }
    }
}
