import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The name that selects the plugin-language benchmark in `--only`.
let pluginLanguageBenchmarkName = "plugins"

/// The two plugins compared: the same Echo/Unary written with the C SDK and with the Swift SDK.
enum PluginLanguage: String, CaseIterable, Sendable {
    case c
    case swift

    /// The plugin's name under its host.
    var pluginName: String { self == .c ? "c-echo" : "swift-echo" }

    var displayName: String { self == .c ? "C" : "Swift" }

    var program: String { self == .c ? cEchoPluginProgram : "gongzhi-test-plugin" }

    /// The services the plugin registers, which its manifest must list: the test plugin serves Probe too.
    var services: [String] {
        self == .c ? ["gongzhi.test.v1.Echo"] : ["gongzhi.test.v1.Echo", "gongzhi.test.v1.Probe"]
    }
}

/// The C plugin's executable, as `Benchmarks/c/echo-plugin/Makefile` names it.
let cEchoPluginProgram = "gongzhi-c-echo-plugin"

/// The binaries of the plugin-language benchmark: the host's (the Swift plugin is `gongzhi-test-plugin`) and the
/// C echo plugin.
struct PluginLanguageBinaries: Sendable {
    var host: HostBinaries
    var cPlugin: String

    func plugin(_ language: PluginLanguage) -> String {
        language == .c ? self.cPlugin : self.host.plugin
    }
}

extension Workspace {
    /// Finds or builds the binaries of the plugin-language benchmark: those of the host benchmark, and the C echo
    /// plugin, built with its Makefile into the runner's `peers/c-echo-plugin`.
    func preparePluginLanguage(explicitDirectory: String?) throws -> PluginLanguageBinaries {
        let host = try self.prepareHost(explicitDirectory: explicitDirectory)
        let build = "\(self.outputDir)/peers/c-echo-plugin"
        let binaries = PluginLanguageBinaries(host: host, cPlugin: "\(build)/\(cEchoPluginProgram)")
        if self.build {
            guard let make = findInPath("make") else { throw BenchFailure("make not found in PATH") }
            guard let compiler = cCompiler() else {
                throw BenchFailure("no C compiler (cc, or the Swift toolchain's clang) found")
            }
            do {
                try runToCompletion(
                    [make, "-C", "\(self.benchmarksDir)/c/echo-plugin", "BUILD=\(build)", "CC=\(compiler)"],
                    logPath: self.logPath("build-c-echo-plugin"),
                    timeout: self.buildTimeout,
                    collectOutput: false
                )
            } catch let failure as BenchFailure {
                throw BenchFailure(
                    "the C echo plugin did not build (is libprotobuf-c-dev installed?): \(failure.description)"
                )
            }
        }
        guard FileManager.default.isExecutableFile(atPath: binaries.cPlugin) else {
            throw BenchFailure("\(binaries.cPlugin) is not an executable file")
        }
        return binaries
    }

    /// `cc`, else the clang beside the Swift toolchain's `swift`.
    private func cCompiler() -> String? {
        if let cc = findInPath("cc") { return cc }
        guard let swift = findInPath("swift") else { return nil }
        let clang = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("clang").path
        return FileManager.default.isExecutableFile(atPath: clang) ? clang : nil
    }
}

/// One process's memory, in kibibytes: VmRSS and VmHWM when idle, VmHWM after all the calls.
struct ProcessMemory: Sendable {
    var idleResidentKiB: Int?
    var idlePeakKiB: Int?
    var peakAfterLoadKiB: Int?
}

/// What the plugin-language benchmark measured, for each language: echo calls made straight to the plugin and
/// routed through its host, what they cost the host and the plugin, and the memory of both.
struct PluginLanguageMeasurement: Sendable {
    var payload: Int
    var concurrency: Int
    /// Medians over rounds, by "LANGUAGE-PATH-CONCURRENCY" ("c-routed-64").
    var reports: [String: ClientReport] = [:]
    var costs: [String: CallCost] = [:]
    var hosts: [PluginLanguage: ProcessMemory] = [:]
    var plugins: [PluginLanguage: ProcessMemory] = [:]
    /// C p50 over Swift p50 in each round, by "PATH-CONCURRENCY".
    var p50RatiosByRound: [String: [Double]] = [:]
    var rounds = 0
    var notes: [String] = []

    static func key(_ language: PluginLanguage, _ path: String, _ concurrency: Int) -> String {
        "\(language.rawValue)-\(path)-\(concurrency)"
    }
}

/// One host with its one echo plugin, ready for calls.
private struct EchoHost {
    var language: PluginLanguage
    var host: Child
    var pluginPID: pid_t?
    var hostSocket: String
    /// A copy of the plugin outside the host, for direct calls: the plugin the host started answers the host only.
    var direct: DirectPluginCopy
    var token: String
}

/// Starts two hosts side by side, one with the C echo plugin and one with the Swift test plugin, each serving
/// `gongzhi.test.v1.Echo`; reads their idle memory; then runs `gongzhi-echo bench-client` against each plugin
/// directly and through its host, `rounds` times, C and Swift back to back for every path and concurrency.
func measurePluginLanguages(
    _ binaries: PluginLanguageBinaries,
    payload: Int,
    settings: RunSettings,
    rounds: Int,
    idleSeconds: Double,
    workDir: String,
    logsDir: String
) -> PluginLanguageMeasurement {
    var result = PluginLanguageMeasurement(payload: payload, concurrency: settings.concurrency)
    var started: [(language: PluginLanguage, host: Child, control: HostControl, run: String)] = []
    var copies: [DirectPluginCopy] = []
    defer {
        for copy in copies { copy.stop() }
        // Each host stops its plugin gracefully (Shutdown, then SIGTERM) before it exits.
        for entry in started { entry.host.stop(grace: 20) }
    }

    for language in PluginLanguage.allCases {
        let root = "\(workDir)/plugins-\(language.rawValue)"
        do {
            let configuration = try writeEchoHostLayout(
                in: root,
                plugin: language.pluginName,
                executable: binaries.plugin(language),
                services: language.services,
                logsDir: logsDir
            )
            let host = try Child(
                [binaries.host.host, "--config", configuration],
                logPath: "\(logsDir)/host-\(language.pluginName).log",
                collectOutput: false
            )
            let control = HostControl(
                control: binaries.host.control,
                adminSocket: "\(root)/run/admin.sock",
                logsDir: logsDir,
                logPrefix: "\(language.pluginName)-"
            )
            started.append((language, host, control, "\(root)/run"))
        } catch {
            result.notes.append("\(language.displayName): the host did not start: \(error)")
        }
    }

    var hosts: [EchoHost] = []
    for entry in started {
        let name = entry.language.pluginName
        do {
            let listed = try entry.control.waitUntilReady([name], host: entry.host, timeout: settings.readyTimeout)
            let token = try entry.control.issueEchoToken()
            let direct = try DirectPluginCopy(
                name: name,
                executable: binaries.plugin(entry.language),
                environment: [:],
                host: binaries.host.host,
                control: binaries.host.control,
                root: "\(workDir)/plugins-\(entry.language.rawValue)-direct",
                logsDir: logsDir,
                timeout: settings.readyTimeout
            )
            copies.append(direct)
            hosts.append(
                EchoHost(
                    language: entry.language,
                    host: entry.host,
                    pluginPID: listed.first { $0.name == name }?.pid.map { pid_t($0) },
                    hostSocket: "\(entry.run)/host.sock",
                    direct: direct,
                    token: token
                )
            )
        } catch {
            result.notes.append("\(entry.language.displayName): \(error)")
        }
    }
    guard !hosts.isEmpty else { return result }
    progress(
        "  ready: "
            + hosts.map { "\($0.language.pluginName) (pid \($0.pluginPID.map(String.init) ?? "?"))" }
            .joined(separator: ", ") + "; idle for \(fixed(idleSeconds, places: 0)) s"
    )

    // Idle memory: nothing but the hosts' own health checks for a while.
    Thread.sleep(forTimeInterval: idleSeconds)
    for entry in hosts {
        let hostStatus = processStatus(pid: entry.host.pid)
        result.hosts[entry.language] = ProcessMemory(
            idleResidentKiB: hostStatus["VmRSS"],
            idlePeakKiB: hostStatus["VmHWM"]
        )
        let pluginStatus = entry.pluginPID.map { processStatus(pid: $0) } ?? [:]
        result.plugins[entry.language] = ProcessMemory(
            idleResidentKiB: pluginStatus["VmRSS"],
            idlePeakKiB: pluginStatus["VmHWM"]
        )
        progress(
            "  \(entry.language.pluginName) idle: plugin VmRSS \(megabytes(pluginStatus["VmRSS"])) MB, "
                + "host VmRSS \(megabytes(hostStatus["VmRSS"])) MB"
        )
    }

    var reports: [String: [ClientReport]] = [:]
    var costs: [String: [CallCost]] = [:]

    func client(_ entry: EchoHost, path: String, concurrency: Int, round: Int) -> ClientReport? {
        let label = "\(entry.language.displayName), \(path), \(concurrency) in flight"
        guard entry.host.isRunning else { return nil }
        let routed = path == "routed"
        let calls = concurrency == 1 ? settings.sequentialCalls : settings.concurrentCalls(payload: payload)
        do {
            let (report, cost) = try runEchoClient(
                binaries.host.echo,
                socket: routed ? entry.hostSocket : entry.direct.socket,
                token: routed ? entry.token : nil,
                payload: payload,
                calls: calls,
                concurrency: concurrency,
                warmup: settings.warmup,
                hostPID: entry.host.pid,
                pluginPID: routed ? entry.pluginPID : entry.direct.pid,
                logPath: "\(logsDir)/client-\(entry.language.pluginName)-\(path)-c\(concurrency)-r\(round).log",
                timeout: settings.clientTimeout
            )
            let key = PluginLanguageMeasurement.key(entry.language, path, concurrency)
            reports[key, default: []].append(report)
            if let cost { costs[key, default: []].append(cost) }
            progress(
                "  \(label): p50 \(fixed(report.p50Micros, places: 1)) µs, "
                    + "p99 \(fixed(report.p99Micros, places: 1)) µs, "
                    + "\(grouped(Int(report.callsPerSecond.rounded()))) calls/s"
            )
            return report
        } catch {
            let note = "\(label): \(error)"
            if !result.notes.contains(note) { result.notes.append(note) }
            progress("  \(note)")
            return nil
        }
    }

    // For every concurrency and path, the C and the Swift plugin run back to back, so that a change in the
    // machine's speed falls on both alike; which language and which path go first alternates by round.
    for round in 1...rounds {
        if rounds > 1 { progress("  round \(round) of \(rounds)") }
        let paths = round % 2 == 1 ? ["direct", "routed"] : ["routed", "direct"]
        let order = round % 2 == 1 ? hosts : Array(hosts.reversed())
        for concurrency in [1, settings.concurrency] {
            for path in paths {
                var p50: [PluginLanguage: Double] = [:]
                for entry in order {
                    if let report = client(entry, path: path, concurrency: concurrency, round: round) {
                        p50[entry.language] = report.p50Micros
                    }
                }
                if let c = p50[.c], let swift = p50[.swift], swift > 0 {
                    result.p50RatiosByRound["\(path)-\(concurrency)", default: []].append(c / swift)
                }
            }
        }
    }
    result.rounds = rounds
    for (key, runs) in reports {
        result.reports[key] = ClientReport.median(of: runs)
    }
    for (key, runs) in costs {
        result.costs[key] = CallCost.median(of: runs)
    }
    for entry in hosts {
        for concurrency in [1, settings.concurrency] {
            for path in ["direct", "routed"] {
                let made = reports[PluginLanguageMeasurement.key(entry.language, path, concurrency)]?.count ?? 0
                if made < rounds {
                    result.notes.insert(
                        "\(entry.language.displayName), \(path), \(concurrency) in flight: "
                            + "\(rounds - made) of \(rounds) runs failed",
                        at: 0
                    )
                }
            }
        }
        guard entry.host.isRunning else {
            result.notes.append(entry.host.failureReason("\(entry.language.displayName): host died"))
            continue
        }
        result.hosts[entry.language]?.peakAfterLoadKiB = processStatus(pid: entry.host.pid)["VmHWM"]
        if let pid = entry.pluginPID {
            result.plugins[entry.language]?.peakAfterLoadKiB = processStatus(pid: pid)["VmHWM"]
        }
    }
    return result
}

/// Writes `gongzhi.toml` and one plugin's manifest (sealed with the executable's SHA-256) under `root`, and returns
/// the configuration's path. Supervision is the host's default, as deployed.
func writeEchoHostLayout(
    in root: String,
    plugin name: String,
    executable: String,
    services: [String],
    logsDir: String
) throws -> String {
    try FileManager.default.createDirectory(atPath: "\(root)/plugins", withIntermediateDirectories: true)
    let digest = try sha256Hex(ofFile: executable, logPath: "\(logsDir)/sha256sum-\(name).log")
    let manifest = """
        name = "\(name)"
        version = "1.0.0"
        executable = "\(executable)"
        sha256 = "\(digest)"
        protocol_versions = ["gongzhi-plugin/1"]
        services = [\(services.map { "\"\($0)\"" }.joined(separator: ", "))]
        grants = []

        """
    try manifest.write(toFile: "\(root)/plugins/\(name).plugin.toml", atomically: true, encoding: .utf8)
    // A plugin runs only when the configuration names it.
    let configuration = """
        runtime_dir = "run"
        data_dir = "data"
        plugin_dir = "plugins"
        log_level = "warning"

        [plugins.\(name)]
        enabled = true

        """
    let path = "\(root)/gongzhi.toml"
    try configuration.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Renders the plugin-language benchmark: latency and rate of each plugin, direct and routed, with the C/Swift
/// ratios; the memory of both plugins and hosts; and what the calls cost each process.
func renderPluginLanguageTables(_ result: PluginLanguageMeasurement) -> String {
    let concurrency = result.concurrency
    let levels = [1, concurrency]
    func report(_ language: PluginLanguage, _ path: String, _ level: Int) -> ClientReport? {
        result.reports[PluginLanguageMeasurement.key(language, path, level)]
    }
    func figures(_ language: PluginLanguage, _ path: String) -> [String] {
        levels.flatMap { level -> [String] in
            guard let report = report(language, path, level) else { return ["n/a", "n/a", "n/a"] }
            return [
                fixed(report.p50Micros, places: 1), fixed(report.p99Micros, places: 1),
                grouped(Int(report.callsPerSecond.rounded())),
            ]
        }
    }
    func ratios(_ top: (PluginLanguage, String), over bottom: (PluginLanguage, String)) -> [String] {
        levels.flatMap { level -> [String] in
            let upper = report(top.0, top.1, level)
            let lower = report(bottom.0, bottom.1, level)
            return [
                ratio(upper?.p50Micros, lower?.p50Micros), ratio(upper?.p99Micros, lower?.p99Micros),
                ratio(upper?.callsPerSecond, lower?.callsPerSecond),
            ]
        }
    }

    let header =
        ["Plugin and path"]
        + levels.flatMap { level in
            ["p50 µs (\(level) in flight)", "p99 µs (\(level) in flight)", "calls/s (\(level) in flight)"]
        }
    var lines = [
        "| " + header.joined(separator: " | ") + " |",
        "|:--|" + Array(repeating: "--:", count: header.count - 1).joined(separator: "|") + "|",
    ]
    let rows: [[String]] = [
        ["C plugin, direct"] + figures(.c, "direct"),
        ["Swift plugin, direct"] + figures(.swift, "direct"),
        ["C/Swift, direct"] + ratios((.c, "direct"), over: (.swift, "direct")),
        ["C plugin, routed through the host"] + figures(.c, "routed"),
        ["Swift plugin, routed through the host"] + figures(.swift, "routed"),
        ["C/Swift, routed"] + ratios((.c, "routed"), over: (.swift, "routed")),
        ["Routed/direct, C"] + ratios((.c, "routed"), over: (.c, "direct")),
        ["Routed/direct, Swift"] + ratios((.swift, "routed"), over: (.swift, "direct")),
    ]
    for row in rows {
        lines.append("| " + row.map(escapeCell).joined(separator: " | ") + " |")
    }

    lines.append("")
    lines.append("| Process | RSS MB (idle) | Peak RSS MB (at idle) | Peak RSS MB (after the calls) |")
    lines.append("|:--|--:|--:|--:|")
    func memoryRow(_ name: String, _ memory: ProcessMemory?) -> String {
        "| \(escapeCell(name)) | \(megabytes(memory?.idleResidentKiB)) | \(megabytes(memory?.idlePeakKiB)) | "
            + "\(megabytes(memory?.peakAfterLoadKiB)) |"
    }
    for language in PluginLanguage.allCases {
        lines.append(
            memoryRow("plugin \(language.pluginName) (\(language.program))", result.plugins[language])
        )
    }
    for language in PluginLanguage.allCases {
        lines.append(memoryRow("gongzhi-host with \(language.pluginName)", result.hosts[language]))
    }

    lines.append("")
    lines.append(
        "| Run | Host CPU µs/call | Host context switches/call | Plugin CPU µs/call | "
            + "Plugin context switches/call |"
    )
    lines.append("|:--|--:|--:|--:|--:|")
    for level in levels {
        for path in ["direct", "routed"] {
            for language in PluginLanguage.allCases {
                let cost = result.costs[PluginLanguageMeasurement.key(language, path, level)]
                let cells = [
                    "\(language.displayName), \(path), \(level) in flight",
                    cost.map { fixed($0.hostCPUMicros, places: 1) } ?? "n/a",
                    cost.map { fixed($0.hostSwitches, places: 2) } ?? "n/a",
                    cost.map { fixed($0.pluginCPUMicros, places: 1) } ?? "n/a",
                    cost.map { fixed($0.pluginSwitches, places: 2) } ?? "n/a",
                ]
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
        }
    }

    lines.append("")
    for level in levels {
        for path in ["direct", "routed"] {
            let c = result.costs[PluginLanguageMeasurement.key(.c, path, level)]?.pluginCPUMicros
            let swift = result.costs[PluginLanguageMeasurement.key(.swift, path, level)]?.pluginCPUMicros
            lines.append("- Plugin CPU per call C/Swift, \(path), \(level) in flight: \(ratio(c, swift))")
        }
    }
    let residentRatio = ratio(
        result.plugins[.c]?.idleResidentKiB.map(Double.init),
        result.plugins[.swift]?.idleResidentKiB.map(Double.init)
    )
    lines.append("- Plugin idle RSS C/Swift: \(residentRatio)")
    if result.rounds > 1 {
        for level in levels {
            for path in ["direct", "routed"] {
                let ratios = (result.p50RatiosByRound["\(path)-\(level)"] ?? []).map { fixed($0, places: 2) }
                lines.append(
                    "- C/Swift p50 in each round, \(path), \(level) in flight: "
                        + (ratios.isEmpty ? "n/a" : ratios.joined(separator: ", "))
                )
            }
        }
    }
    if !result.notes.isEmpty {
        lines.append("- Notes: " + result.notes.joined(separator: "; "))
    }
    return lines.joined(separator: "\n") + "\n"
}

extension GongzhiBench {
    /// Builds (or finds) the binaries, runs the plugin-language benchmark and renders its tables.
    func runPluginLanguageBenchmark(workspace: Workspace, settings: RunSettings, workDir: String) -> String {
        let payload = 100
        progress("Preparing the plugin-language benchmark (the host's binaries and the C echo plugin)…")
        var result: PluginLanguageMeasurement
        do {
            let explicit = self.gongzhiBinDir ?? ProcessInfo.processInfo.environment["GONGZHI_BIN_DIR"]
            let binaries = try workspace.preparePluginLanguage(
                explicitDirectory: explicit.flatMap { $0.isEmpty ? nil : absolutePath($0) }
            )
            progress("Measuring a C and a Swift echo plugin, each under its own host, \(formatPayload(payload)) calls…")
            result = measurePluginLanguages(
                binaries,
                payload: payload,
                settings: settings,
                rounds: self.repeats,
                idleSeconds: self.hostIdle,
                workDir: workDir,
                logsDir: workspace.logsDir
            )
        } catch {
            progress("  skipped: \(error)")
            result = PluginLanguageMeasurement(payload: payload, concurrency: settings.concurrency)
            result.notes.append("\(error)")
        }
        return renderPluginLanguageTables(result)
    }
}
