import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The binaries of the host benchmark, all from the main package.
struct HostBinaries: Sendable {
    var host: String
    var control: String
    var plugin: String
    var echo: String

    static let products = ["gongzhi-host", "gongzhictl", "gongzhi-test-plugin", "gongzhi-echo"]

    /// The four binaries in one folder.
    init(directory: String) {
        self.host = "\(directory)/gongzhi-host"
        self.control = "\(directory)/gongzhictl"
        self.plugin = "\(directory)/gongzhi-test-plugin"
        self.echo = "\(directory)/gongzhi-echo"
    }

    func checkExecutable() throws {
        for path in [self.host, self.control, self.plugin, self.echo]
        where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchFailure("\(path) is not an executable file")
        }
    }
}

/// The name that selects the host benchmark in `--only`.
let hostBenchmarkName = "host"

/// The host benchmark's plugins: four copies of the test plugin, each serving its own pair of services.
/// Plugin "a" serves the unsuffixed `gongzhi.test.v1.Echo`, which is what `gongzhi-echo bench-client` calls.
let hostBenchPlugins: [(name: String, suffix: String)] = [("a", ""), ("b", "B"), ("c", "C"), ("d", "D")]

/// What the host benchmark measured: echo calls made straight to plugin "a" and the same calls routed through
/// the host, and the memory of the host and its plugins once all four are ready and idle.
struct HostMeasurement: Sendable {
    var payload: Int
    var concurrency: Int
    var directSequential: ClientReport?
    var routedSequential: ClientReport?
    var directConcurrent: ClientReport?
    var routedConcurrent: ClientReport?
    /// VmRSS and VmHWM of the host, idle with four ready plugins.
    var hostIdleResidentKiB: Int?
    var hostIdlePeakKiB: Int?
    /// VmHWM of the host after all the client runs.
    var hostPeakAfterLoadKiB: Int?
    /// VmRSS and VmHWM of each plugin at the idle reading, by plugin name.
    var pluginIdle: [PluginMemory] = []
    /// Routed p50 over direct p50 in each round, by calls in flight.
    var p50RatiosByRound: [Int: [Double]] = [:]
    /// What each client run cost the host and plugin a, by run ("direct-1", "routed-64", …).
    var costs: [String: CallCost] = [:]
    var rounds = 0
    var notes: [String] = []
}

/// CPU time and context switches of the host and of plugin a per call of one client run (warm-up calls
/// included), from `/proc`. The switches are summed over the threads alive at both readings.
struct CallCost: Sendable {
    var hostCPUMicros: Double
    var hostSwitches: Double
    var pluginCPUMicros: Double
    var pluginSwitches: Double

    /// The median of each figure over several runs; nil if there are none.
    static func median(of costs: [CallCost]) -> CallCost? {
        guard !costs.isEmpty else { return nil }
        func middle(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let half = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
        }
        return CallCost(
            hostCPUMicros: middle(costs.map(\.hostCPUMicros)),
            hostSwitches: middle(costs.map(\.hostSwitches)),
            pluginCPUMicros: middle(costs.map(\.pluginCPUMicros)),
            pluginSwitches: middle(costs.map(\.pluginSwitches))
        )
    }
}

/// A process's CPU time and context switches so far.
struct ProcessCounters {
    var cpuMicros: Double
    var switches: Int

    init?(pid: pid_t) {
        guard let cpu = cpuMicroseconds(pid: pid) else { return nil }
        self.cpuMicros = cpu
        self.switches = contextSwitches(pid: pid)
    }
}

/// One plugin's memory at the idle reading, in kibibytes.
struct PluginMemory: Sendable {
    var name: String
    var residentKiB: Int?
    var peakKiB: Int?
}

/// One plugin in `gongzhictl plugins list -o json`.
struct ListedPlugin: Decodable {
    var name: String
    var state: String
    var pid: Int?
}

private struct PluginList: Decodable {
    var plugins: [ListedPlugin]
}

private struct IssuedToken: Decodable {
    var token: String
}

/// `gongzhictl` on one host's admin socket, with JSON output; its logs are named `LOGPREFIXgongzhictl-….log`.
struct HostControl: Sendable {
    var control: String
    var adminSocket: String
    var logsDir: String
    var logPrefix = ""

    func run(_ arguments: [String], log: String) throws -> String {
        try runToCompletion(
            [self.control, "--socket", self.adminSocket] + arguments + ["-o", "json"],
            logPath: "\(self.logsDir)/\(self.logPrefix)\(log).log",
            timeout: 30
        )
    }

    /// Polls `plugins list` until every plugin in `names` is ready, and returns the listing; throws with the
    /// reason when the host dies or the plugins are not ready within `timeout` seconds.
    func waitUntilReady(_ names: [String], host: Child, timeout: Double) throws -> [ListedPlugin] {
        let deadline = Date().addingTimeInterval(timeout)
        var lastProblem = "the host never answered on admin.sock"
        while true {
            guard host.isRunning else {
                throw BenchFailure(host.failureReason("host died before its plugins were ready"))
            }
            if let text = try? self.run(["plugins", "list"], log: "gongzhictl-plugins-list"),
                let list = try? JSONDecoder().decode(PluginList.self, from: Data(text.utf8))
            {
                let ready = Set(list.plugins.filter { $0.state == "ready" }.map(\.name))
                if names.allSatisfy({ ready.contains($0) }) { return list.plugins }
                lastProblem = list.plugins.map { "\($0.name) \($0.state)" }.joined(separator: ", ")
            }
            guard Date() < deadline else {
                throw BenchFailure("plugins not ready after \(Int(timeout)) s: \(lastProblem)")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Issues a client token for `gongzhi.test.v1.Echo/*`, for routed echo calls.
    func issueEchoToken() throws -> String {
        try self.issueClientToken(scopes: ["gongzhi.test.v1.Echo/*"])
    }

    /// Issues a client token with these scopes; `log` names its log.
    func issueClientToken(scopes: [String], log: String = "gongzhictl-tokens-issue") throws -> String {
        let text = try self.run(
            ["tokens", "issue", "--client", "bench"] + scopes.flatMap { ["--scope", $0] },
            log: log
        )
        return try JSONDecoder().decode(IssuedToken.self, from: Data(text.utf8)).token
    }
}

/// Runs `gongzhi-echo bench-client` once on `socket` (with `token` for the host's socket), checks that it
/// reports the run asked for, and measures what the run cost the host and the plugin per call, warm-up included
/// (nil when a process could not be read).
func runEchoClient(
    _ echo: String,
    socket: String,
    token: String?,
    payload: Int,
    calls: Int,
    concurrency: Int,
    warmup: Int,
    hostPID: pid_t,
    pluginPID: pid_t?,
    logPath: String,
    timeout: Double
) throws -> (report: ClientReport, cost: CallCost?) {
    var argv = [echo, "bench-client", "--socket", socket]
    if let token { argv += ["--token", token] }
    argv += [
        "--payload", String(payload),
        "--calls", String(calls),
        "--concurrency", String(concurrency),
        "--warmup", String(warmup),
    ]
    let (report, cost) = try runCountedClient(
        argv,
        callsMade: calls + warmup,
        hostPID: hostPID,
        pluginPID: pluginPID,
        logPath: logPath,
        timeout: timeout
    )
    guard report.payload == payload, report.concurrency == concurrency, report.calls == calls else {
        throw BenchFailure("client reported another run than asked for")
    }
    return (report, cost)
}

/// Runs a `bench-client` command line once and measures what it cost the host and the plugin per call, over
/// `callsMade` calls (nil when a process could not be read).
func runCountedClient(
    _ argv: [String],
    callsMade: Int,
    hostPID: pid_t,
    pluginPID: pid_t?,
    logPath: String,
    timeout: Double
) throws -> (report: ClientReport, cost: CallCost?) {
    let hostBefore = ProcessCounters(pid: hostPID)
    let pluginBefore = pluginPID.flatMap { ProcessCounters(pid: $0) }
    let output = try runToCompletion(argv, logPath: logPath, timeout: timeout)
    let report = try ClientReport.parse(output)
    guard let hostBefore, let pluginBefore, let hostAfter = ProcessCounters(pid: hostPID),
        let pluginAfter = pluginPID.flatMap({ ProcessCounters(pid: $0) })
    else { return (report, nil) }
    let made = Double(callsMade)
    let cost = CallCost(
        hostCPUMicros: (hostAfter.cpuMicros - hostBefore.cpuMicros) / made,
        hostSwitches: Double(hostAfter.switches - hostBefore.switches) / made,
        pluginCPUMicros: (pluginAfter.cpuMicros - pluginBefore.cpuMicros) / made,
        pluginSwitches: Double(pluginAfter.switches - pluginBefore.switches) / made
    )
    return (report, cost)
}

/// Starts `gongzhi-host` with four plugins in a fresh folder under `workDir`, reads its idle memory, then runs
/// `gongzhi-echo bench-client` against plugin "a" directly and through the host, taking turns, `rounds` times.
func measureHost(
    _ binaries: HostBinaries,
    payload: Int,
    settings: RunSettings,
    rounds: Int,
    idleSeconds: Double,
    workDir: String,
    logsDir: String
) -> HostMeasurement {
    var result = HostMeasurement(payload: payload, concurrency: settings.concurrency)
    let root = "\(workDir)/host"
    let run = "\(root)/run"
    let adminSocket = "\(run)/admin.sock"
    let hostSocket = "\(run)/host.sock"

    let configuration: String
    do {
        configuration = try writeHostLayout(in: root, plugin: binaries.plugin, logsDir: logsDir)
    } catch {
        result.notes.append("cannot write the host's layout: \(error)")
        return result
    }

    let host: Child
    do {
        host = try Child(
            [binaries.host, "--config", configuration],
            logPath: "\(logsDir)/host.log",
            collectOutput: false
        )
    } catch {
        result.notes.append("host did not start: \(error)")
        return result
    }
    // The host stops its plugins gracefully (Shutdown, then SIGTERM) before it exits.
    defer { host.stop(grace: 20) }

    let control = HostControl(control: binaries.control, adminSocket: adminSocket, logsDir: logsDir)

    // Ready: all four plugins registered and healthy.
    let listed: [ListedPlugin]
    do {
        listed = try control.waitUntilReady(hostBenchPlugins.map(\.name), host: host, timeout: settings.readyTimeout)
    } catch {
        result.notes.append("\(error)")
        return result
    }
    progress("  host ready with \(listed.count) plugins; idle for \(fixed(idleSeconds, places: 0)) s")

    // Idle memory: nothing but the host's own health checks for a while.
    Thread.sleep(forTimeInterval: idleSeconds)
    let hostStatus = processStatus(pid: host.pid)
    result.hostIdleResidentKiB = hostStatus["VmRSS"]
    result.hostIdlePeakKiB = hostStatus["VmHWM"]
    for plugin in hostBenchPlugins {
        let status = listed.first { $0.name == plugin.name }?.pid.map { processStatus(pid: pid_t($0)) } ?? [:]
        result.pluginIdle.append(
            PluginMemory(name: plugin.name, residentKiB: status["VmRSS"], peakKiB: status["VmHWM"])
        )
    }
    progress(
        "  host idle: VmRSS \(megabytes(result.hostIdleResidentKiB)) MB, VmHWM \(megabytes(result.hostIdlePeakKiB)) MB; "
            + "plugins VmRSS "
            + result.pluginIdle.map { "\($0.name) \(megabytes($0.residentKiB))" }.joined(separator: ", ")
            + " MB"
    )

    // A client token for the routed calls.
    let token: String
    do {
        token = try control.issueEchoToken()
    } catch {
        result.notes.append("cannot issue a client token: \(error)")
        return result
    }

    let pluginPID = listed.first { $0.name == hostBenchPlugins[0].name }?.pid.map { pid_t($0) }
    var costs: [String: [CallCost]] = [:]

    // The plugin the host started answers the host only: "direct" calls go to a copy of it (DirectPluginCopy).
    let direct: DirectPluginCopy
    do {
        direct = try DirectPluginCopy(
            name: hostBenchPlugins[0].name,
            executable: binaries.plugin,
            environment: [:],
            host: binaries.host,
            control: binaries.control,
            root: "\(workDir)/host-direct",
            logsDir: logsDir,
            timeout: settings.readyTimeout
        )
    } catch {
        result.notes.append("\(error)")
        return result
    }
    defer { direct.stop() }

    func client(_ path: String, concurrency: Int, round: Int) -> ClientReport? {
        let routed = path == "routed"
        guard host.isRunning else { return nil }
        let calls =
            concurrency == 1 ? settings.sequentialCalls(payload: payload) : settings.concurrentCalls(payload: payload)
        do {
            let (report, cost) = try runEchoClient(
                binaries.echo,
                socket: routed ? hostSocket : direct.socket,
                token: routed ? token : nil,
                payload: payload,
                calls: calls,
                concurrency: concurrency,
                warmup: settings.warmup(payload: payload),
                hostPID: host.pid,
                pluginPID: routed ? pluginPID : direct.pid,
                logPath: "\(logsDir)/client-host-\(path)-c\(concurrency)-r\(round).log",
                timeout: settings.clientTimeout
            )
            if let cost { costs["\(path)-\(concurrency)", default: []].append(cost) }
            progress(
                "  \(path), \(concurrency) in flight: p50 \(fixed(report.p50Micros, places: 1)) µs, "
                    + "p99 \(fixed(report.p99Micros, places: 1)) µs, "
                    + "\(grouped(Int(report.callsPerSecond.rounded()))) calls/s"
            )
            return report
        } catch {
            let note = "\(path), \(concurrency) in flight: \(error)"
            if !result.notes.contains(note) { result.notes.append(note) }
            progress("  \(note)")
            return nil
        }
    }

    // Direct and routed take turns, and which goes first alternates by round, so that a change in the
    // machine's speed falls on both alike.
    var reports: [String: [ClientReport]] = [:]
    for round in 1...rounds {
        if rounds > 1 { progress("  round \(round) of \(rounds)") }
        let order = round % 2 == 1 ? ["direct", "routed"] : ["routed", "direct"]
        for concurrency in [1, settings.concurrency] {
            var p50: [String: Double] = [:]
            for path in order {
                if let report = client(path, concurrency: concurrency, round: round) {
                    reports["\(path)-\(concurrency)", default: []].append(report)
                    p50[path] = report.p50Micros
                }
            }
            if let routed = p50["routed"], let direct = p50["direct"], direct > 0 {
                result.p50RatiosByRound[concurrency, default: []].append(routed / direct)
            }
        }
    }
    result.rounds = rounds
    result.directSequential = ClientReport.median(of: reports["direct-1"] ?? [])
    result.routedSequential = ClientReport.median(of: reports["routed-1"] ?? [])
    result.directConcurrent = ClientReport.median(of: reports["direct-\(settings.concurrency)"] ?? [])
    result.routedConcurrent = ClientReport.median(of: reports["routed-\(settings.concurrency)"] ?? [])
    for (key, runs) in costs {
        result.costs[key] = CallCost.median(of: runs)
    }
    for (key, runs) in reports.sorted(by: { $0.key < $1.key }) where runs.count < rounds {
        result.notes.insert("\(key): \(rounds - runs.count) of \(rounds) runs failed", at: 0)
    }

    if host.isRunning {
        result.hostPeakAfterLoadKiB = processStatus(pid: host.pid)["VmHWM"]
    } else {
        result.notes.append(host.failureReason("host died"))
    }
    return result
}

/// Writes `gongzhi.toml` (with `extra` after its top-level keys) and the four manifests under `root`, and returns
/// the configuration's path. The supervision settings are the host's defaults (a health check every 5 s with a 2 s
/// deadline), as deployed.
func writeHostLayout(in root: String, plugin executable: String, logsDir: String, extra: String = "") throws -> String {
    let files = FileManager.default
    try files.createDirectory(atPath: "\(root)/plugins", withIntermediateDirectories: true)
    let digest = try sha256Hex(ofFile: executable, logPath: "\(logsDir)/sha256sum.log")
    var configuration = """
        runtime_dir = "run"
        data_dir = "data"
        plugin_dir = "plugins"
        log_level = "warning"

        """
    if !extra.isEmpty { configuration += "\n" + extra + (extra.hasSuffix("\n") ? "" : "\n") }
    for plugin in hostBenchPlugins {
        let services = ["gongzhi.test.v1.Echo\(plugin.suffix)", "gongzhi.test.v1.Probe\(plugin.suffix)"]
        let manifest = """
            name = "\(plugin.name)"
            version = "1.0.0"
            executable = "\(executable)"
            sha256 = "\(digest)"
            protocol_versions = ["gongzhi-plugin/1"]
            services = [\(services.map { "\"\($0)\"" }.joined(separator: ", "))]
            grants = []

            """
        try manifest.write(toFile: "\(root)/plugins/\(plugin.name).plugin.toml", atomically: true, encoding: .utf8)
        configuration += """

            [plugins.\(plugin.name)]
            env = { TEST_PLUGIN_SERVICE_SUFFIX = "\(plugin.suffix)" }

            """
    }
    let path = "\(root)/gongzhi.toml"
    try configuration.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The hex SHA-256 of a file, from `sha256sum` (the runner links no crypto of its own).
func sha256Hex(ofFile path: String, logPath: String) throws -> String {
    guard let tool = findInPath("sha256sum") else { throw BenchFailure("sha256sum not found in PATH") }
    let output = try runToCompletion([tool, path], logPath: logPath, timeout: 120)
    guard let digest = output.split(separator: " ").first, digest.count == 64 else {
        throw BenchFailure("sha256sum printed no digest for \(path)")
    }
    return String(digest)
}

/// The `Vm…` lines of `/proc/PID/status`, in kibibytes.
func processStatus(pid: pid_t) -> [String: Int] {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return [:] }
    var values: [String: Int] = [:]
    for line in status.split(separator: "\n") where line.hasPrefix("Vm") {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
        if fields.count >= 2, let value = Int(fields[1]) {
            values[String(fields[0])] = value
        }
    }
    return values
}

/// Kibibytes as mebibytes with one decimal, or "n/a".
func megabytes(_ kiB: Int?) -> String {
    kiB.map { fixed(Double($0) / 1024, places: 1) } ?? "n/a"
}

/// User and system CPU time of a process (all its threads, live and ended), in microseconds.
func cpuMicroseconds(pid: pid_t) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
    else { return nil }
    // After the command's closing parenthesis: state is field 3, utime field 14, stime field 15.
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system) * 1_000_000 / (ticks > 0 ? ticks : 100)
}

/// Voluntary and involuntary context switches, summed over the process's live threads.
private func contextSwitches(pid: pid_t) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    var total = 0
    for task in tasks {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else {
            continue
        }
        for line in status.split(separator: "\n")
        where line.hasPrefix("voluntary_ctxt_switches:") || line.hasPrefix("nonvoluntary_ctxt_switches:") {
            total += Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last ?? "") ?? 0
        }
    }
    return total
}
