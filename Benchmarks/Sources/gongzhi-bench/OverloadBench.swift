import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The name that selects the overload benchmark in `--only`.
let overloadBenchmarkName = "overload"

/// The issue's targets for the host under overload (issue 20).
enum OverloadTargets {
    /// Get p99 and routed p99 under load at most this many times their idle p99.
    static let p99UnderLoadOverIdle = 3.0
    /// Plugin restarts while the load runs and after.
    static let restarts = 0
    /// Host RSS growth, peak under load less idle, in MiB.
    static let residentGrowthMiB = 64.0
}

/// The overload benchmark's options: sizes, phase lengths and what the host is started with.
struct OverloadOptions: ParsableArguments {
    @Option(help: "Overload benchmark: Residents stored before the run. [default: 10000, quick: 1000]")
    var overloadResidents: Int?

    @Option(help: "Overload benchmark: idle connections held during the load. [default: 10000, quick: 1000]")
    var overloadIdleConnections: Int?

    @Option(
        help: """
            Overload benchmark: the uid the idle connections are made as (with group 0), so that a cap per uid \
            falls on them and not on the measuring client; -1 makes them as the runner. [default: 65534 as root, \
            else -1]
            """
    )
    var overloadIdleUID: Int?

    @Option(help: "Overload benchmark: List calls the heavy reader keeps in flight on its connection.")
    var overloadHeavyInFlight = 500

    @Option(help: "Overload benchmark: List requests the never-reading client writes on its connection.")
    var overloadMuteRequests = 2_000

    @Option(help: "Overload benchmark: page_size of the heavy reader's and the never-reading client's lists.")
    var overloadPageSize = 10_000

    @Option(
        help: """
            Overload benchmark: seconds the probe measures Get and routed Echo with the host idle, and again after \
            the load. [default: 10, quick: 3]
            """
    )
    var overloadBaselineSeconds: Double?

    @Option(help: "Overload benchmark: seconds the probe measures under load. [default: 20, quick: 5]")
    var overloadLoadSeconds: Double?

    @Option(
        help: "Overload benchmark: seconds the load runs before the probe starts measuring. [default: 3, quick: 2]"
    )
    var overloadRampSeconds: Double?

    @Option(
        help: "Overload benchmark: seconds after the load stops before measuring again. [default: 10, quick: 2]"
    )
    var overloadRecoverySeconds: Double?

    @Option(
        help: """
            Overload benchmark: a file of TOML put into the host's gongzhi.toml, after its top-level keys and \
            before the plugins' tables (e.g. a [connections] table with other limits).
            """
    )
    var overloadHostConfig: String?

    @Option(
        help: """
            Overload benchmark: the host's file limit as SOFT:HARD, set with prlimit when it starts (default: the \
            runner's own).
            """
    )
    var overloadHostFileLimit: String?

    func validate() throws {
        let positive: [(String, Int?)] = [
            ("--overload-residents", self.overloadResidents),
            ("--overload-heavy-in-flight", self.overloadHeavyInFlight),
            ("--overload-mute-requests", self.overloadMuteRequests),
            ("--overload-page-size", self.overloadPageSize),
        ]
        for (name, value) in positive {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive") }
        }
        if let connections = self.overloadIdleConnections, connections < 0 {
            throw ValidationError("--overload-idle-connections must not be negative")
        }
        for (name, value) in [
            ("--overload-baseline-seconds", self.overloadBaselineSeconds),
            ("--overload-load-seconds", self.overloadLoadSeconds),
        ] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive") }
        }
        for (name, value) in [
            ("--overload-ramp-seconds", self.overloadRampSeconds),
            ("--overload-recovery-seconds", self.overloadRecoverySeconds),
        ] {
            if let value, value < 0 { throw ValidationError("\(name) must not be negative") }
        }
        if let limit = self.overloadHostFileLimit {
            let parts = limit.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ Int($0) != nil }) else {
                throw ValidationError("--overload-host-file-limit takes SOFT:HARD, e.g. 1024:524288")
            }
        }
        if let file = self.overloadHostConfig, !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("--overload-host-config: cannot read \(file)")
        }
    }

    func settings(quick: Bool, clientTimeout: Double) throws -> OverloadSettings {
        var extra = ""
        if let file = self.overloadHostConfig {
            do {
                extra = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw BenchFailure("cannot read --overload-host-config \(file): \(error)")
            }
        }
        return OverloadSettings(
            residents: self.overloadResidents ?? (quick ? 1_000 : 10_000),
            idleConnections: self.overloadIdleConnections ?? (quick ? 1_000 : 10_000),
            idleUID: self.overloadIdleUID ?? (getuid() == 0 ? 65_534 : -1),
            heavyInFlight: self.overloadHeavyInFlight,
            muteRequests: self.overloadMuteRequests,
            pageSize: self.overloadPageSize,
            baselineSeconds: self.overloadBaselineSeconds ?? (quick ? 3 : 10),
            loadSeconds: self.overloadLoadSeconds ?? (quick ? 5 : 20),
            rampSeconds: self.overloadRampSeconds ?? (quick ? 2 : 3),
            recoverySeconds: self.overloadRecoverySeconds ?? (quick ? 2 : 10),
            hostConfigExtra: extra,
            hostConfigFile: self.overloadHostConfig,
            hostFileLimit: self.overloadHostFileLimit,
            clientTimeout: clientTimeout
        )
    }
}

/// The overload benchmark's sizes and phase lengths.
struct OverloadSettings: Sendable {
    var residents: Int
    var idleConnections: Int
    /// The uid the idle connections are made as, or -1 for the runner's.
    var idleUID: Int
    var heavyInFlight: Int
    var muteRequests: Int
    var pageSize: Int
    var baselineSeconds: Double
    var loadSeconds: Double
    var rampSeconds: Double
    var recoverySeconds: Double
    /// TOML put into the host's configuration, and the file it came from.
    var hostConfigExtra: String
    var hostConfigFile: String?
    /// The host's file limit, SOFT:HARD, when not the runner's.
    var hostFileLimit: String?
    var clientTimeout: Double
    var readyTimeout: Double = 60
    /// Unmeasured probe calls before each measurement.
    var probeWarmup = 200
    /// Seconds between two samples of the host's memory and file descriptors during the load.
    var sampleInterval = 1.0
    /// Seconds between two `gongzhictl plugins list` during the load, and how long one may take.
    var pluginPollInterval = 2.0
    var pluginPollTimeout = 5.0
}

/// What one round of the overload benchmark measured, phase by phase.
struct OverloadRound: Sendable {
    var idleProbe: ProbeReport?
    var loadProbe: ProbeReport?
    var recoveryProbe: ProbeReport?
    /// The host's VmRSS (KiB) and open file descriptors, idle before the load, at their peak during it and after.
    var idleResidentKiB: Int?
    var idleDescriptors: Int?
    var loadPeakResidentKiB: Int?
    /// Whether the peak is the kernel's high-water mark since the load began (VmHWM reset through clear_refs)
    /// rather than the highest of the samples.
    var peakFromHighWaterMark = false
    var loadPeakDescriptors: Int?
    var recoveryResidentKiB: Int?
    var recoveryDescriptors: Int?
    /// Plugin restarts from just before the load to the end of the recovery (the host's counters), and which
    /// plugins changed process.
    var restarts: Int?
    var pluginsReplaced: [String] = []
    /// States other than ready seen during the load ("b degraded"), and `gongzhictl plugins list` polls that
    /// failed or timed out, of all made.
    var pluginStatesSeen: [String] = []
    var controlPolls = 0
    var controlFailures = 0
    var heavy: HeavyReaderReport?
    var mute: MuteClientReport?
    var idle: IdleConnectionsReport?
    /// The host's limit counters (`gongzhictl status`'s limits, where the host has them) before the load and
    /// after the recovery.
    var limitsBefore: [String: Int]?
    var limitsAfter: [String: Int]?
    var seedSeconds: Double?
    var loadBefore: String?
    var loadAfter: String?
    var notes: [String] = []

    /// The ratio of a p99 under load to its idle p99.
    func p99Ratio(_ latency: KeyPath<ProbeReport, ProbeLatency>) -> Double? {
        guard let idle = self.idleProbe?[keyPath: latency], let load = self.loadProbe?[keyPath: latency],
            idle.calls > 0, load.calls > 0, idle.p99Micros > 0
        else { return nil }
        return load.p99Micros / idle.p99Micros
    }

    /// Peak RSS under load less idle RSS, in MiB.
    var residentGrowthMiB: Double? {
        guard let idle = self.idleResidentKiB, let peak = self.loadPeakResidentKiB else { return nil }
        return Double(peak - idle) / 1024
    }
}

/// What the overload benchmark measured: every round, and the machine.
struct OverloadMeasurement: Sendable {
    var settings: OverloadSettings
    var rounds: [OverloadRound] = []
    var processors = ProcessInfo.processInfo.activeProcessorCount
    var notes: [String] = []
}

/// The host benchmark's four plugins, as the overload benchmark starts them: `a` serves the unsuffixed
/// `gongzhi.test.v1.Echo` that the probe calls; the others are there to be health-checked.
private let overloadPlugins = hostBenchPlugins

/// Runs the overload benchmark `rounds` times, each against a fresh host.
func measureOverload(
    _ binaries: HostBinaries,
    settings: OverloadSettings,
    rounds: Int,
    workDir: String,
    logsDir: String
) -> OverloadMeasurement {
    var result = OverloadMeasurement(settings: settings)
    let runner = currentExecutable()
    // The idle connections' uid, like the plugins' users of a root host, must pass through the runner's folder.
    if settings.idleUID >= 0 && chmod(workDir, 0o711) != 0 {
        result.notes.append("cannot make \(workDir) passable: the idle connections' connects will be refused")
    }
    for round in 1...rounds {
        if rounds > 1 { progress("  round \(round) of \(rounds)") }
        result.rounds.append(
            measureOverloadRound(
                binaries,
                runner: runner,
                settings: settings,
                round: round,
                workDir: workDir,
                logsDir: logsDir
            )
        )
    }
    return result
}

/// This runner's own executable, which the load generators and the probe run as.
private func currentExecutable() -> String {
    let resolved = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    if FileManager.default.isExecutableFile(atPath: resolved) && resolved != "/proc/self/exe" { return resolved }
    return absolutePath(CommandLine.arguments[0])
}

/// One round: a host with four plugins and `settings.residents` Residents; the probe with the host idle; the
/// heavy reader, the never-reading client and the idle connections at once while the probe measures again and the
/// host is sampled; then the load stopped, a pause, and the probe once more.
private func measureOverloadRound(
    _ binaries: HostBinaries,
    runner: String,
    settings: OverloadSettings,
    round: Int,
    workDir: String,
    logsDir: String
) -> OverloadRound {
    var result = OverloadRound()
    let root = "\(workDir)/overload-r\(round)"
    let run = "\(root)/run"
    let hostSocket = "\(run)/host.sock"
    let tag = "overload-r\(round)"

    let host: Child
    let control = HostControl(
        control: binaries.control,
        adminSocket: "\(run)/admin.sock",
        logsDir: logsDir,
        logPrefix: "\(tag)-"
    )
    do {
        let configuration = try writeHostLayout(
            in: root,
            plugin: binaries.plugin,
            logsDir: logsDir,
            extra: settings.hostConfigExtra
        )
        var argv = [binaries.host, "--config", configuration]
        if let limit = settings.hostFileLimit {
            guard let prlimit = findInPath("prlimit") else {
                throw BenchFailure("--overload-host-file-limit needs prlimit (util-linux) in PATH")
            }
            argv = [prlimit, "--nofile=\(limit)", "--"] + argv
        }
        host = try Child(argv, logPath: "\(logsDir)/host-\(tag).log", collectOutput: false)
    } catch {
        result.notes.append("the host did not start: \(error)")
        return result
    }
    defer { host.stop(grace: 20) }

    let tokens: (heavy: String, mute: String, probe: String)
    do {
        _ = try control.waitUntilReady(overloadPlugins.map(\.name), host: host, timeout: settings.readyTimeout)
        result.seedSeconds = try seedResidents(control, count: settings.residents, root: root, settings: settings)
        let objects = "gongzhi.host.v1.Objects/*"
        tokens = (
            try control.issueClientToken(scopes: [objects], log: "gongzhictl-tokens-issue-heavy"),
            try control.issueClientToken(scopes: [objects], log: "gongzhictl-tokens-issue-mute"),
            try control.issueClientToken(
                scopes: ["gongzhi.host.v1.Objects/Get", "gongzhi.test.v1.Echo/*"],
                log: "gongzhictl-tokens-issue-probe"
            )
        )
    } catch {
        result.notes.append("\(error)")
        return result
    }
    progress(
        "  host ready with \(overloadPlugins.count) plugins; \(grouped(settings.residents)) Residents stored in "
            + "\(result.seedSeconds.map { fixed($0, places: 1) } ?? "?") s"
    )

    func probe(_ phase: String, seconds: Double) -> ProbeReport? {
        guard host.isRunning else { return nil }
        let argv = [
            runner, "overload-probe", "--socket", hostSocket, "--token", tokens.probe,
            "--seconds", String(seconds), "--warmup", String(settings.probeWarmup),
            "--residents", String(settings.residents), "--max-seconds", String(seconds + 120),
        ]
        do {
            let output = try runToCompletion(
                argv,
                logPath: "\(logsDir)/client-\(tag)-probe-\(phase).log",
                timeout: seconds + 180
            )
            let report = try decodeLastJSONLine(output, as: ProbeReport.self)
            progress(
                "  \(phase): Get p50 \(fixed(report.get.p50Micros, places: 1)) µs, p99 "
                    + "\(fixed(report.get.p99Micros, places: 1)) µs (\(grouped(report.get.calls)) calls, "
                    + "\(report.get.failures) failed); routed p50 \(fixed(report.routed.p50Micros, places: 1)) µs, "
                    + "p99 \(fixed(report.routed.p99Micros, places: 1)) µs (\(grouped(report.routed.calls)) calls, "
                    + "\(report.routed.failures) failed)"
            )
            return report
        } catch {
            result.notes.append("probe, \(phase): \(error)")
            progress("  probe, \(phase): \(error)")
            return nil
        }
    }

    // Idle: the host's own health checks only, then the probe alone.
    result.loadBefore = loadAverages()
    result.idleProbe = probe("idle", seconds: settings.baselineSeconds)
    result.idleResidentKiB = processStatus(pid: host.pid)["VmRSS"]
    result.idleDescriptors = openDescriptors(pid: host.pid)
    let pluginsBefore = listPlugins(control, timeout: 30)
    result.limitsBefore = limitCounters(control)
    progress(
        "  idle: host VmRSS \(megabytes(result.idleResidentKiB)) MiB, \(result.idleDescriptors.map(grouped) ?? "n/a") "
            + "file descriptors"
    )

    // Load: the three generators at once, each a process; the probe once they have had time to ramp up.
    result.peakFromHighWaterMark = resetPeakResident(pid: host.pid)
    let stopFile = "\(root)/stop-load"
    try? FileManager.default.removeItem(atPath: stopFile)
    let maxSeconds = String(settings.rampSeconds + settings.loadSeconds + 300)
    let common = ["--socket", hostSocket, "--stop-file", stopFile, "--max-seconds", maxSeconds]
    var generators: [(name: String, child: Child)] = []
    let commands: [(String, [String])] = [
        (
            "heavy",
            [runner, "overload-heavy", "--token", tokens.heavy, "--in-flight", String(settings.heavyInFlight)]
                + ["--page-size", String(settings.pageSize)] + common
        ),
        (
            "mute",
            [runner, "overload-mute", "--token", tokens.mute, "--requests", String(settings.muteRequests)]
                + ["--page-size", String(settings.pageSize)] + common
        ),
        (
            "idle",
            [runner, "overload-idle", "--count", String(settings.idleConnections), "--uid", String(settings.idleUID)]
                + common
        ),
    ]
    for (name, argv) in commands where name != "idle" || settings.idleConnections > 0 {
        do {
            let child = try Child(argv, logPath: "\(logsDir)/client-\(tag)-\(name).log")
            generators.append((name, child))
        } catch {
            result.notes.append("the \(name) load did not start: \(error)")
        }
    }
    let sampler = HostSampler(pid: host.pid, interval: settings.sampleInterval)
    let watcher = PluginWatcher(
        control: control,
        interval: settings.pluginPollInterval,
        timeout: settings.pluginPollTimeout
    )
    sampler.start()
    watcher.start()
    progress(
        "  load: heavy reader (\(settings.heavyInFlight) lists in flight), never-reading client "
            + "(\(grouped(settings.muteRequests)) lists), \(grouped(settings.idleConnections)) idle connections; "
            + "probe after \(fixed(settings.rampSeconds, places: 0)) s"
    )
    Thread.sleep(forTimeInterval: settings.rampSeconds)
    result.loadProbe = probe("load", seconds: settings.loadSeconds)

    let peaks = sampler.stop()
    let highWaterMark = result.peakFromHighWaterMark ? processStatus(pid: host.pid)["VmHWM"] : nil
    result.loadPeakResidentKiB = [peaks.residentKiB, highWaterMark].compactMap { $0 }.max()
    result.loadPeakDescriptors = peaks.descriptors
    let stopping = FileManager.default.createFile(atPath: stopFile, contents: nil)
    if !stopping { result.notes.append("cannot create \(stopFile): the load is killed, without its reports") }
    let watched = watcher.stop()
    result.pluginStatesSeen = watched.statesSeen
    result.controlPolls = watched.polls
    result.controlFailures = watched.failures

    for (name, child) in generators {
        if !stopping {
            child.stop()
        } else if !child.wait(timeout: 30) {
            result.notes.append("the \(name) load did not stop within 30 s of its stop file; killed")
            child.stop()
        }
        _ = child.output?.waitForEnd(timeout: 5)
        let text = child.output?.text ?? ""
        do {
            switch name {
            case "heavy": result.heavy = try decodeLastJSONLine(text, as: HeavyReaderReport.self)
            case "mute": result.mute = try decodeLastJSONLine(text, as: MuteClientReport.self)
            default: result.idle = try decodeLastJSONLine(text, as: IdleConnectionsReport.self)
            }
        } catch {
            result.notes.append(child.failureReason("the \(name) load reported nothing"))
        }
    }
    progress(
        "  under load: host VmRSS peak \(megabytes(result.loadPeakResidentKiB)) MiB, "
            + "\(result.loadPeakDescriptors.map(grouped) ?? "n/a") file descriptors at most; heavy reader "
            + (result.heavy.map { "\(grouped($0.pages)) pages, \(grouped($0.exhausted)) RESOURCE_EXHAUSTED" } ?? "n/a")
            + "; "
            + "idle connections held at most \(result.idle.map { grouped($0.maxHeld) } ?? "n/a")"
    )

    // Recovery: the load gone, a pause, the probe again.
    Thread.sleep(forTimeInterval: settings.recoverySeconds)
    result.recoveryProbe = probe("recovery", seconds: settings.baselineSeconds)
    if host.isRunning {
        result.recoveryResidentKiB = processStatus(pid: host.pid)["VmRSS"]
        result.recoveryDescriptors = openDescriptors(pid: host.pid)
        let pluginsAfter = listPlugins(control, timeout: 30)
        result.limitsAfter = limitCounters(control)
        if let pluginsBefore, let pluginsAfter {
            var restarts = 0
            for plugin in pluginsAfter {
                let before = pluginsBefore.first { $0.name == plugin.name }
                restarts += max(0, (plugin.restarts ?? 0) - (before?.restarts ?? 0))
                if let before, before.pid != plugin.pid { result.pluginsReplaced.append(plugin.name) }
            }
            result.restarts = restarts
        } else {
            result.notes.append("gongzhictl plugins list did not answer before or after the load: restarts unknown")
        }
    } else {
        result.notes.append(host.failureReason("host died"))
    }
    result.loadAfter = loadAverages()
    return result
}

/// Stores `count` Residents with one `gongzhictl apply` and returns the seconds it took.
private func seedResidents(
    _ control: HostControl,
    count: Int,
    root: String,
    settings: OverloadSettings
) throws -> Double {
    let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭")
    let givenNames = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "建华", "志强"]
    var lines: [String] = []
    lines.reserveCapacity(count)
    func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    for number in 0..<count {
        let id = overloadResidentID(number)
        // Deterministic and varied: the same data on every run, about 200 bytes each.
        let mixed = (number &* 2_654_435_761) & 0x7FFF_FFFF
        let year = 1935 + mixed % 85
        let month = 1 + mixed / 85 % 12
        let day = 1 + mixed / 1_020 % 28
        let birth = padded(year, 4) + padded(month, 2) + padded(day, 2)
        let name = String(surnames[mixed % surnames.count]) + givenNames[mixed / 7 % givenNames.count]
        let idCardNumber = "330199" + birth + padded(number % 1000, 3) + "X"
        let birthDate = "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
        let data: [String: Any] = [
            "id": id,
            "name": name,
            "id_card_number": idCardNumber,
            "phone": "13" + padded(mixed % 1_000_000_000, 9),
            "gender": mixed % 2 == 0 ? "GENDER_FEMALE" : "GENDER_MALE",
            "birth_date": birthDate,
            "household_id": "hh-" + padded(number / 3, 6),
            "registered_here": mixed % 4 != 0,
            "notes": "走访记录：联系方式已核实，每月回访一次。",
        ]
        let object: [String: Any] = ["kind": "Resident", "id": id, "data": data]
        let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        lines.append(String(decoding: json, as: UTF8.self))
    }
    let file = "\(root)/residents.jsonl"
    try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    let started = Date()
    let output = try runToCompletion(
        [control.control, "--socket", control.adminSocket, "apply", "-f", file, "-o", "json"],
        logPath: "\(control.logsDir)/\(control.logPrefix)gongzhictl-apply-residents.log",
        timeout: settings.clientTimeout
    )
    let seconds = Date().timeIntervalSince(started)
    struct Summary: Decodable { var created: Int }
    guard let summary = try? decodeLastJSONDocument(output, as: Summary.self), summary.created == count else {
        throw BenchFailure("gongzhictl apply did not create all \(count) Residents: \(output.prefix(200))")
    }
    return seconds
}

/// One plugin as `gongzhictl plugins list -o json` shows it.
private struct OverloadListedPlugin: Decodable {
    var name: String
    var state: String
    var pid: Int?
    var restarts: Int?
}

private struct OverloadPluginList: Decodable {
    var plugins: [OverloadListedPlugin]
}

/// The host's plugins, or nil when `gongzhictl` did not answer within `timeout` seconds.
private func listPlugins(_ control: HostControl, timeout: Double) -> [OverloadListedPlugin]? {
    let output = try? runToCompletion(
        [control.control, "--socket", control.adminSocket, "plugins", "list", "-o", "json"],
        logPath: "\(control.logsDir)/\(control.logPrefix)gongzhictl-plugins-list.log",
        timeout: timeout
    )
    guard let output else { return nil }
    return try? decodeLastJSONDocument(output, as: OverloadPluginList.self).plugins
}

/// The limit counters of `gongzhictl status -o json` ("limits": name, count and detail), by name and detail; an
/// empty table for a host without them, nil when the status could not be read.
private func limitCounters(_ control: HostControl) -> [String: Int]? {
    guard let output = try? control.run(["status"], log: "gongzhictl-status"),
        let start = output.firstIndex(of: "{"), let end = output.lastIndex(of: "}"),
        let status = try? JSONSerialization.jsonObject(with: Data(output[start...end].utf8)) as? [String: Any]
    else { return nil }
    var counters: [String: Int] = [:]
    for entry in status["limits"] as? [[String: Any]] ?? [] {
        guard let name = entry["name"] as? String else { continue }
        let detail = entry["detail"] as? String ?? ""
        let count = (entry["count"] as? NSNumber)?.intValue ?? Int(entry["count"] as? String ?? "") ?? 0
        counters[detail.isEmpty ? name : "\(name) (\(detail))"] = count
    }
    return counters
}

/// The number of open file descriptors of a process, from `/proc/PID/fd`.
func openDescriptors(pid: pid_t) -> Int? {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
}

/// Resets a process's VmHWM to its current RSS (writing 5 to `/proc/PID/clear_refs`, Linux 4.0 and later, as
/// root or the same user); true if it did.
private func resetPeakResident(pid: pid_t) -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs") else { return false }
    defer { try? handle.close() }
    do {
        try handle.write(contentsOf: Data("5".utf8))
        return true
    } catch {
        return false
    }
}

/// Decodes the last line of `text` that holds a JSON object.
func decodeLastJSONLine<T: Decodable>(_ text: String, as type: T.Type) throws -> T {
    let line = text.split(whereSeparator: \.isNewline).last {
        $0.trimmingCharacters(in: .whitespaces).hasPrefix("{")
    }
    guard let line else { throw BenchFailure("printed no JSON line") }
    do {
        return try JSONDecoder().decode(T.self, from: Data(line.utf8))
    } catch {
        throw BenchFailure("printed an unreadable result: \(line.prefix(160))")
    }
}

/// Decodes the JSON object a command printed, on one line or several: from its first `{` to its last `}`.
private func decodeLastJSONDocument<T: Decodable>(_ text: String, as type: T.Type) throws -> T {
    guard let start = text.firstIndex(of: "{"), let end = text.lastIndex(of: "}"), start < end else {
        throw BenchFailure("printed no JSON")
    }
    return try JSONDecoder().decode(T.self, from: Data(text[start...end].utf8))
}

/// Samples a process's VmRSS and open file descriptors on a thread of its own, keeping the highest of each.
final class HostSampler: @unchecked Sendable {
    private let pid: pid_t
    private let interval: Double
    private let lock = NSLock()
    private var peakResidentKiB: Int?
    private var peakDescriptors: Int?
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    init(pid: pid_t, interval: Double) {
        self.pid = pid
        self.interval = interval
    }

    func start() {
        let thread = Thread { [self] in
            while self.lock.withLock({ self.running }) {
                self.sample()
                Thread.sleep(forTimeInterval: self.interval)
            }
            self.finished.signal()
        }
        thread.start()
    }

    private func sample() {
        let resident = processStatus(pid: self.pid)["VmRSS"]
        let descriptors = openDescriptors(pid: self.pid)
        self.lock.withLock {
            if let resident { self.peakResidentKiB = max(self.peakResidentKiB ?? 0, resident) }
            if let descriptors { self.peakDescriptors = max(self.peakDescriptors ?? 0, descriptors) }
        }
    }

    /// Takes a last sample, stops, and returns the peaks.
    func stop() -> (residentKiB: Int?, descriptors: Int?) {
        self.sample()
        self.lock.withLock { self.running = false }
        _ = self.finished.wait(timeout: .now() + self.interval + 5)
        return self.lock.withLock { (self.peakResidentKiB, self.peakDescriptors) }
    }
}

/// Polls `gongzhictl plugins list` on a thread of its own, noting states other than ready and polls that failed
/// or took longer than `timeout` (the admin socket starved).
final class PluginWatcher: @unchecked Sendable {
    private let control: HostControl
    private let interval: Double
    private let timeout: Double
    private let lock = NSLock()
    private var statesSeen: [String] = []
    private var polls = 0
    private var failures = 0
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    init(control: HostControl, interval: Double, timeout: Double) {
        self.control = control
        self.interval = interval
        self.timeout = timeout
    }

    func start() {
        let thread = Thread { [self] in
            while self.lock.withLock({ self.running }) {
                let plugins = listPlugins(self.control, timeout: self.timeout)
                self.lock.withLock {
                    self.polls += 1
                    guard let plugins else {
                        self.failures += 1
                        return
                    }
                    for plugin in plugins where plugin.state != "ready" {
                        let seen = "\(plugin.name) \(plugin.state)"
                        if !self.statesSeen.contains(seen) { self.statesSeen.append(seen) }
                    }
                }
                Thread.sleep(forTimeInterval: self.interval)
            }
            self.finished.signal()
        }
        thread.start()
    }

    /// Stops after the poll under way, and returns what was seen.
    func stop() -> (statesSeen: [String], polls: Int, failures: Int) {
        self.lock.withLock { self.running = false }
        _ = self.finished.wait(timeout: .now() + self.interval + self.timeout + 5)
        return self.lock.withLock { (self.statesSeen, self.polls, self.failures) }
    }
}

/// Renders the overload benchmark: each phase's probe and the host's memory and descriptors, the targets as
/// ratios, and what the load did and met.
func renderOverloadTables(_ result: OverloadMeasurement) -> String {
    let settings = result.settings
    var lines: [String] = []
    func row(_ cells: [String]) { lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |") }
    func micros(_ latency: ProbeLatency?) -> (String, String, String) {
        guard let latency, latency.calls > 0 else {
            return ("n/a", "n/a", latency.map { String($0.failures) } ?? "n/a")
        }
        return (
            fixed(latency.p50Micros, places: 1), fixed(latency.p99Micros, places: 1),
            "\(grouped(latency.failures)) of \(grouped(latency.calls + latency.errors.values.reduce(0, +)))"
        )
    }
    let multiple = result.rounds.count > 1

    lines.append(
        "| \(multiple ? "Round | " : "")Phase | Get p50 µs | Get p99 µs | Get failed | Routed p50 µs | Routed p99 µs | "
            + "Routed failed | Host VmRSS MiB | Host fds |"
    )
    lines.append("|\(multiple ? "--:|" : ""):--|--:|--:|--:|--:|--:|--:|--:|--:|")
    for (index, round) in result.rounds.enumerated() {
        let phases: [(String, ProbeReport?, Int?, Int?)] = [
            ("idle", round.idleProbe, round.idleResidentKiB, round.idleDescriptors),
            ("under load (peak)", round.loadProbe, round.loadPeakResidentKiB, round.loadPeakDescriptors),
            ("recovery", round.recoveryProbe, round.recoveryResidentKiB, round.recoveryDescriptors),
        ]
        for (phase, probe, resident, descriptors) in phases {
            let get = micros(probe?.get)
            let routed = micros(probe?.routed)
            row(
                (multiple ? [String(index + 1)] : []) + [
                    phase, get.0, get.1, get.2, routed.0, routed.1, routed.2, megabytes(resident),
                    descriptors.map(grouped) ?? "n/a",
                ]
            )
        }
    }

    lines.append("")
    lines.append(
        "| Target (issue 20) | Measured\(multiple ? " (median)" : "") | "
            + "\(multiple ? "Each round | " : "")Target | Verdict |"
    )
    lines.append("|:--|--:|\(multiple ? ":--|" : "")--:|:--|")
    func target(
        _ name: String,
        _ values: [Double?],
        format: (Double) -> String,
        target: String,
        met: (Double) -> Bool
    ) {
        let known = values.compactMap { $0 }
        let middle = median(known)
        var cells = [name, middle.map(format) ?? "n/a"]
        if multiple { cells.append(values.map { $0.map(format) ?? "n/a" }.joined(separator: ", ")) }
        cells += [target, middle.map { met($0) ? "met" : "missed" } ?? "n/a"]
        row(cells)
    }
    let ratio = { (value: Double) in fixed(value, places: 2) + "×" }
    target(
        "Get p99, under load / idle",
        result.rounds.map { $0.p99Ratio(\.get) },
        format: ratio,
        target: "≤ 3×",
        met: { $0 <= OverloadTargets.p99UnderLoadOverIdle }
    )
    target(
        "Routed Echo p99, under load / idle",
        result.rounds.map { $0.p99Ratio(\.routed) },
        format: ratio,
        target: "≤ 3×",
        met: { $0 <= OverloadTargets.p99UnderLoadOverIdle }
    )
    target(
        "Plugin restarts (load and recovery)",
        result.rounds.map { $0.restarts.map(Double.init) },
        format: { grouped(Int($0)) },
        target: "0",
        met: { Int($0) <= OverloadTargets.restarts }
    )
    target(
        "Host RSS growth, peak under load − idle",
        result.rounds.map(\.residentGrowthMiB),
        format: { fixed($0, places: 1) + " MiB" },
        target: "≤ 64 MiB",
        met: { $0 <= OverloadTargets.residentGrowthMiB }
    )

    lines.append("")
    for (index, round) in result.rounds.enumerated() {
        let prefix = multiple ? "Round \(index + 1): " : ""
        if let heavy = round.heavy {
            let seconds = max(heavy.seconds, 0.001)
            let errors = heavy.otherErrors.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
            lines.append(
                "- \(prefix)Heavy reader (\(heavy.inFlight) lists of page_size \(grouped(settings.pageSize)) "
                    + "in flight, one connection, \(fixed(heavy.seconds, places: 1)) s): "
                    + "\(grouped(heavy.pages)) pages answered, "
                    + "\(fixed(Double(heavy.pages) / seconds, places: 1)) pages/s, "
                    + "\(grouped(Int((Double(heavy.objects) / seconds).rounded()))) Residents/s, "
                    + "\(fixed(Double(heavy.answerBytes) / seconds / 1_048_576, places: 1)) MiB/s; "
                    + "RESOURCE_EXHAUSTED \(grouped(heavy.exhausted)) "
                    + "(\(fixed(Double(heavy.exhausted) / seconds, places: 1))/s)"
                    + ", \(grouped(heavy.refusalsWithRetryAfter)) of them with a time to retry"
                    + (heavy.firstRefusal.map { ", first: \"\($0.prefix(160))\"" } ?? "")
                    + (errors.isEmpty ? "" : "; other errors: " + errors.joined(separator: ", "))
                    + "; connections closed by the host \(grouped(heavy.connectionsClosed)), connects failed "
                    + grouped(heavy.connectFailures)
            )
        }
        if let mute = round.mute {
            lines.append(
                "- \(prefix)Never-reading client: \(grouped(mute.requestsWritten)) list requests written "
                    + "(\(fixed(Double(mute.bytesWritten) / 1024, places: 1)) KiB), answers left unread in its socket "
                    + "at the end \(fixed(Double(mute.unreadBytesAtEnd) / 1024, places: 1)) KiB; connections closed by "
                    + "the host \(grouped(mute.connectionsClosed)), connects failed \(grouped(mute.connectFailures))"
            )
        }
        if let idle = round.idle {
            let others = idle.otherFailures.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
            lines.append(
                "- \(prefix)Idle connections: \(grouped(idle.target)) wanted (as uid \(idle.uid), the generator's file "
                    + "limit \(grouped(idle.fileLimit))); held at most \(grouped(idle.maxHeld)), at the end "
                    + "\(grouped(idle.heldAtEnd))"
                    + (idle.secondsToTarget.map { ", all held after \(fixed($0, places: 1)) s" }
                        ?? ", never all at once")
                    + "; \(grouped(idle.connected)) connects made, closed by the host \(grouped(idle.closedByHost)); "
                    + "refused: backlog full \(grouped(idle.backlogFull)), ECONNREFUSED \(grouped(idle.refused)), "
                    + "own file limit \(grouped(idle.ownLimit))"
                    + (others.isEmpty ? "" : ", " + others.joined(separator: ", "))
            )
        }
        let growth = round.residentGrowthMiB.map { fixed($0, places: 1) } ?? "n/a"
        lines.append(
            "- \(prefix)Host: VmRSS idle \(megabytes(round.idleResidentKiB)) MiB, peak under load "
                + "\(megabytes(round.loadPeakResidentKiB)) MiB "
                + (round.peakFromHighWaterMark ? "(VmHWM since the load began), " : "(highest sample), ")
                + "growth \(growth) MiB, after recovery \(megabytes(round.recoveryResidentKiB)) MiB; file descriptors "
                + "idle \(round.idleDescriptors.map(grouped) ?? "n/a"), at most "
                + "\(round.loadPeakDescriptors.map(grouped) ?? "n/a") under load, "
                + "\(round.recoveryDescriptors.map(grouped) ?? "n/a") after"
        )
        lines.append(
            "- \(prefix)Plugins: restarts \(round.restarts.map(grouped) ?? "n/a")"
                + (round.pluginsReplaced.isEmpty
                    ? "" : ", new processes: " + round.pluginsReplaced.joined(separator: ", "))
                + "; states other than ready seen under load: "
                + (round.pluginStatesSeen.isEmpty ? "none" : round.pluginStatesSeen.joined(separator: ", "))
                + "; `gongzhictl plugins list` under load: \(round.controlFailures) of \(round.controlPolls) polls "
                + "failed or took over \(fixed(settings.pluginPollTimeout, places: 0)) s"
        )
        if let after = round.limitsAfter {
            let before = round.limitsBefore ?? [:]
            let changed = after.keys.sorted().compactMap { key -> String? in
                let delta = (after[key] ?? 0) - (before[key] ?? 0)
                return delta == 0 ? nil : "\(key) +\(grouped(delta))"
            }
            lines.append(
                "- \(prefix)Host limit counters (`gongzhictl status`): "
                    + (after.isEmpty
                        ? "none reported by this host"
                        : changed.isEmpty ? "no change" : changed.joined(separator: ", "))
            )
        }
        lines.append(
            "- \(prefix)Machine: \(result.processors) processors; load average \(round.loadBefore ?? "n/a") before, "
                + "\(round.loadAfter ?? "n/a") after; Residents stored with `gongzhictl apply` in "
                + "\(round.seedSeconds.map { fixed($0, places: 1) + " s" } ?? "n/a")"
        )
        if !round.notes.isEmpty { lines.append("- \(prefix)Notes: " + round.notes.joined(separator: "; ")) }
    }
    lines.append(
        "- \(grouped(settings.residents)) Residents; probe: Objects/Get of a random Resident and routed "
            + "gongzhi.test.v1.Echo/Unary of 100 B in turns, 1 in flight, one connection, "
            + "\(settings.probeWarmup) warm-up calls, then \(fixed(settings.baselineSeconds, places: 0)) s idle, "
            + "\(fixed(settings.loadSeconds, places: 0)) s under load (after \(fixed(settings.rampSeconds, places: 0)) "
            + "s of load), \(fixed(settings.baselineSeconds, places: 0)) s again "
            + "\(fixed(settings.recoverySeconds, places: 0)) s after the load; p50 and p99 of the calls answered OK "
            + "or timed out (at 5 s); calls answered with an error are counted as failed"
            + (settings.hostConfigFile.map { "; host configuration with \($0)" } ?? "")
            + (settings.hostFileLimit.map { "; host file limit \($0)" } ?? "")
    )
    if !result.notes.isEmpty { lines.append("- Notes: " + result.notes.joined(separator: "; ")) }
    return lines.joined(separator: "\n") + "\n"
}

extension GongzhiBench {
    /// Builds (or finds) the host's binaries, runs the overload benchmark and renders its tables.
    func runOverloadBenchmark(workspace: Workspace, workDir: String) -> String {
        progress("Preparing the overload benchmark (gongzhi-host, gongzhictl, gongzhi-test-plugin)…")
        var result: OverloadMeasurement
        do {
            let settings = try self.overload.settings(quick: self.quick, clientTimeout: self.clientTimeout)
            result = OverloadMeasurement(settings: settings)
            let explicit = self.gongzhiBinDir ?? ProcessInfo.processInfo.environment["GONGZHI_BIN_DIR"]
            let binaries = try workspace.prepareHost(
                explicitDirectory: explicit.flatMap { $0.isEmpty ? nil : absolutePath($0) }
            )
            progress(
                "Measuring the host under overload: \(grouped(settings.residents)) Residents, heavy reader, "
                    + "never-reading client, \(grouped(settings.idleConnections)) idle connections…"
            )
            result = measureOverload(
                binaries,
                settings: settings,
                rounds: self.repeats,
                workDir: workDir,
                logsDir: workspace.logsDir
            )
        } catch {
            progress("  skipped: \(error)")
            let settings =
                (try? self.overload.settings(quick: self.quick, clientTimeout: self.clientTimeout))
                ?? OverloadSettings(
                    residents: 0,
                    idleConnections: 0,
                    idleUID: -1,
                    heavyInFlight: 0,
                    muteRequests: 0,
                    pageSize: 0,
                    baselineSeconds: 0,
                    loadSeconds: 0,
                    rampSeconds: 0,
                    recoverySeconds: 0,
                    hostConfigExtra: "",
                    clientTimeout: self.clientTimeout
                )
            result = OverloadMeasurement(settings: settings)
            result.notes.append("\(error)")
        }
        return renderOverloadTables(result)
    }
}
