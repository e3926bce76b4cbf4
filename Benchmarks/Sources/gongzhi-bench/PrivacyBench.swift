import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The name that selects the personal-data benchmark in `--only`.
let privacyBenchmarkName = "privacy"

/// People asked for in each Directory call: ten make an answer of about 1 KB.
let privacyBenchPeople = 10

/// The token scope that lets a caller see personal data (the host's `ObjectGrants.personalData`).
let personalDataScope = "gongzhi.host.v1.PersonalData/Read"

/// The calls the personal-data benchmark compares, each with 1 in flight on one connection.
enum PrivacyCall: String, CaseIterable, Sendable {
    /// Echo/Unary straight to the plugin, with a payload the size of a full Directory answer.
    case echoDirect = "echo-direct"
    /// The same through the host: a method without sensitive output fields, the baseline.
    case echoRouted = "echo-routed"
    /// Probe/Directory straight to the plugin: the full answer, no host.
    case directoryDirect = "directory-direct"
    /// Probe/Directory through the host for a token without the personal-data grant: each answer redacted.
    case directoryRedacted = "directory-redacted"
    /// Probe/Directory through the host for a token with the grant: each answer scanned and audited.
    case directoryShown = "directory-shown"

    var label: String {
        switch self {
        case .echoDirect: "Echo/Unary, direct to the plugin"
        case .echoRouted: "Echo/Unary, routed (no sensitive fields) (a)"
        case .directoryDirect: "Probe/Directory, direct to the plugin"
        case .directoryRedacted: "Probe/Directory, routed, token without the grant (redacted) (b)"
        case .directoryShown: "Probe/Directory, routed, token with the grant (shown, audited) (c)"
        }
    }

    var isDirectory: Bool { self != .echoDirect && self != .echoRouted }

    var isRouted: Bool { self != .echoDirect && self != .directoryDirect }

    /// Whether the answers must show the personal data (nil for echo, which has none).
    var showsPersonalData: Bool? {
        switch self {
        case .echoDirect, .echoRouted: nil
        case .directoryDirect, .directoryShown: true
        case .directoryRedacted: false
        }
    }
}

/// Ratios of p50s taken in each round, named as the table shows them.
enum PrivacyRatio: String, CaseIterable, Sendable {
    case redactedOverEcho = "b/a: redacted Directory over routed echo"
    case shownOverEcho = "c/a: shown and audited Directory over routed echo"
    case shownOverRedacted = "c/b: shown and audited over redacted"
    case directoryOverEchoDirect = "Directory over echo, both direct (the plugin's share)"

    var calls: (PrivacyCall, PrivacyCall) {
        switch self {
        case .redactedOverEcho: (.directoryRedacted, .echoRouted)
        case .shownOverEcho: (.directoryShown, .echoRouted)
        case .shownOverRedacted: (.directoryShown, .directoryRedacted)
        case .directoryOverEchoDirect: (.directoryDirect, .echoDirect)
        }
    }
}

/// What the personal-data benchmark measured: every call of ``PrivacyCall`` in every round, the ratios of their
/// p50s round by round, what they cost the host and the plugin, the audit records the shown answers left, and the
/// machine's load around the run.
struct PrivacyMeasurement: Sendable {
    var people: Int
    var calls: Int
    var warmup: Int
    /// The echo payload: the size of a full Directory answer, from one call straight to the plugin.
    var echoPayload: Int?
    /// Medians over rounds.
    var reports: [PrivacyCall: ClientReport] = [:]
    var costs: [PrivacyCall: CallCost] = [:]
    var ratiosByRound: [PrivacyRatio: [Double]] = [:]
    /// Directory calls that showed personal data through the host (warm-up and the client's first call included),
    /// and the personal-data records the host's audit log holds at the end.
    var shownAnswers = 0
    var auditRecords: Int?
    /// `/proc/loadavg`'s first three fields before and after the rounds, and the processors online.
    var loadBefore: String?
    var loadAfter: String?
    var processors = ProcessInfo.processInfo.activeProcessorCount
    var rounds = 0
    var notes: [String] = []
}

/// Starts `gongzhi-host` with one test plugin (`a`, serving `gongzhi.test.v1.Echo` and `gongzhi.test.v1.Probe`) and
/// runs `gongzhi-echo bench-client` for every ``PrivacyCall`` in turn, `rounds` times, the order rotating by round.
func measurePrivacy(
    _ binaries: HostBinaries,
    people: Int,
    settings: RunSettings,
    rounds: Int,
    workDir: String,
    logsDir: String
) -> PrivacyMeasurement {
    var result = PrivacyMeasurement(people: people, calls: settings.sequentialCalls, warmup: settings.warmup)
    let name = "a"
    let root = "\(workDir)/privacy"
    let run = "\(root)/run"
    let hostSocket = "\(run)/host.sock"

    let host: Child
    let control = HostControl(
        control: binaries.control,
        adminSocket: "\(run)/admin.sock",
        logsDir: logsDir,
        logPrefix: "privacy-"
    )
    do {
        let configuration = try writeEchoHostLayout(
            in: root,
            plugin: name,
            executable: binaries.plugin,
            services: ["gongzhi.test.v1.Echo", "gongzhi.test.v1.Probe"],
            logsDir: logsDir
        )
        host = try Child(
            [binaries.host, "--config", configuration],
            logPath: "\(logsDir)/host-privacy.log",
            collectOutput: false
        )
    } catch {
        result.notes.append("the host did not start: \(error)")
        return result
    }
    // The host stops its plugin gracefully (Shutdown, then SIGTERM) before it exits.
    defer { host.stop(grace: 20) }

    let pluginPID: pid_t?
    let plainToken: String
    let trustedToken: String
    do {
        let listed = try control.waitUntilReady([name], host: host, timeout: settings.readyTimeout)
        pluginPID = listed.first { $0.name == name }?.pid.map { pid_t($0) }
        let scopes = ["gongzhi.test.v1.Echo/*", "gongzhi.test.v1.Probe/*"]
        plainToken = try control.issueClientToken(scopes: scopes, log: "gongzhictl-tokens-issue-plain")
        trustedToken = try control.issueClientToken(
            scopes: scopes + [personalDataScope],
            log: "gongzhictl-tokens-issue-personal-data"
        )
    } catch {
        result.notes.append("\(error)")
        return result
    }
    // The plugin the host started answers the host only: direct calls go to a copy of it (DirectPluginCopy).
    let direct: DirectPluginCopy
    do {
        direct = try DirectPluginCopy(
            name: name,
            executable: binaries.plugin,
            environment: [:],
            host: binaries.host,
            control: binaries.control,
            root: "\(workDir)/privacy-direct",
            logsDir: logsDir,
            timeout: settings.readyTimeout
        )
    } catch {
        result.notes.append("\(error)")
        return result
    }
    defer { direct.stop() }
    let pluginSocket = direct.socket

    func argv(_ call: PrivacyCall, calls: Int, warmup: Int, payload: Int) -> [String] {
        var argv = [binaries.echo, "bench-client", "--socket", call.isRouted ? hostSocket : pluginSocket]
        if call.isRouted { argv += ["--token", call == .directoryShown ? trustedToken : plainToken] }
        argv +=
            call.isDirectory
            ? ["--method", "directory", "--people", String(people)] : ["--payload", String(payload)]
        return argv + ["--calls", String(calls), "--concurrency", "1", "--warmup", String(warmup)]
    }

    // The echo payload: as large as the Directory answer that the plugin writes and the host reads.
    do {
        let output = try runToCompletion(
            argv(.directoryDirect, calls: 1, warmup: 0, payload: 0),
            logPath: "\(logsDir)/client-privacy-size.log",
            timeout: settings.clientTimeout
        )
        guard let size = try ClientReport.parse(output).responseBytes else {
            throw BenchFailure("the client reported no answer size (is gongzhi-echo older than --method directory?)")
        }
        result.echoPayload = size
    } catch {
        result.notes.append("cannot size the Directory answer: \(error)")
        return result
    }
    let echoPayload = result.echoPayload ?? 0
    progress(
        "  host ready; Directory answer for \(people) people: \(echoPayload) B, so echo payload \(echoPayload) B"
    )
    result.loadBefore = loadAverages()

    var reports: [PrivacyCall: [ClientReport]] = [:]
    var costs: [PrivacyCall: [CallCost]] = [:]
    func client(_ call: PrivacyCall, round: Int) -> ClientReport? {
        guard host.isRunning else { return nil }
        do {
            let (report, cost) = try runCountedClient(
                argv(call, calls: settings.sequentialCalls, warmup: settings.warmup, payload: echoPayload),
                callsMade: settings.sequentialCalls + settings.warmup + (call.isDirectory ? 1 : 0),
                hostPID: host.pid,
                pluginPID: call.isRouted ? pluginPID : direct.pid,
                logPath: "\(logsDir)/client-privacy-\(call.rawValue)-r\(round).log",
                timeout: settings.clientTimeout
            )
            guard report.calls == settings.sequentialCalls, report.concurrency == 1,
                report.method == (call.isDirectory ? "gongzhi.test.v1.Probe/Directory" : nil),
                report.sensitiveShown == call.showsPersonalData
            else {
                throw BenchFailure(
                    "client reported another run than asked for (method \(report.method ?? "echo"), personal data "
                        + "shown: \(report.sensitiveShown.map(String.init) ?? "n/a"))"
                )
            }
            if call == .directoryShown { result.shownAnswers += settings.sequentialCalls + settings.warmup + 1 }
            if let cost { costs[call, default: []].append(cost) }
            progress(
                "  \(call.rawValue): p50 \(fixed(report.p50Micros, places: 1)) µs, "
                    + "p99 \(fixed(report.p99Micros, places: 1)) µs"
                    + (report.responseBytes.map { ", answer \($0) B" } ?? "")
            )
            return report
        } catch {
            let note = "\(call.rawValue): \(error)"
            if !result.notes.contains(note) { result.notes.append(note) }
            progress("  \(note)")
            return nil
        }
    }

    // Every call in every round, so that the machine's changes of speed fall on all alike; the order rotates by
    // round, so that none always follows the same one.
    let all = PrivacyCall.allCases
    for round in 1...rounds {
        progress("  round \(round) of \(rounds)")
        var p50: [PrivacyCall: Double] = [:]
        for index in all.indices {
            let call = all[(index + round - 1) % all.count]
            if let report = client(call, round: round) {
                reports[call, default: []].append(report)
                p50[call] = report.p50Micros
            }
        }
        for ratio in PrivacyRatio.allCases {
            if let top = p50[ratio.calls.0], let bottom = p50[ratio.calls.1], bottom > 0 {
                result.ratiosByRound[ratio, default: []].append(top / bottom)
            }
        }
    }
    result.loadAfter = loadAverages()
    result.rounds = rounds
    for (call, runs) in reports {
        result.reports[call] = ClientReport.median(of: runs)
        if runs.count < rounds {
            result.notes.insert("\(call.rawValue): \(rounds - runs.count) of \(rounds) runs failed", at: 0)
        }
    }
    for (call, runs) in costs {
        result.costs[call] = CallCost.median(of: runs)
    }

    // The audit log's writer gathers records for a few milliseconds before it writes them.
    Thread.sleep(forTimeInterval: 1)
    if host.isRunning {
        result.auditRecords = occurrences(of: #""outcome":"personal-data""#, inFile: "\(root)/data/host/audit.log")
    } else {
        result.notes.append(host.failureReason("host died"))
    }
    return result
}

/// The first three fields of `/proc/loadavg` (the load averages over 1, 5 and 15 minutes).
func loadAverages() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// How many times `marker` occurs in a file; nil when the file cannot be read. One pass over the bytes: the audit
/// log of a run holds a few hundred thousand records.
private func occurrences(of marker: String, inFile path: String) -> Int? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let pattern = Array(marker.utf8)
    guard let first = pattern.first else { return 0 }
    return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int in
        guard let base = bytes.baseAddress, bytes.count >= pattern.count else { return 0 }
        var count = 0
        var index = 0
        while index <= bytes.count - pattern.count {
            if bytes[index] == first && memcmp(base + index, pattern, pattern.count) == 0 {
                count += 1
                index += pattern.count
            } else {
                index += 1
            }
        }
        return count
    }
}

/// Renders the personal-data benchmark: each call's latency and cost, the ratios round by round, the audit
/// records, and the machine's load.
func renderPrivacyTables(_ result: PrivacyMeasurement) -> String {
    var lines = [
        "| Call | Request B | Answer B | p50 µs | p99 µs | calls/s | Host CPU µs/call | Host context switches/call | "
            + "Plugin CPU µs/call |",
        "|:--|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for call in PrivacyCall.allCases {
        let report = result.reports[call]
        let cost = result.costs[call]
        // Echo answers carry the payload back (and the caller's name); Directory answers are as the client got them.
        let answer = call.isDirectory ? report?.responseBytes.map(String.init) : report.map { "≈ \($0.payload)" }
        let cells = [
            call.label,
            report.map { String($0.payload) } ?? "n/a",
            answer ?? "n/a",
            report.map { fixed($0.p50Micros, places: 1) } ?? "n/a",
            report.map { fixed($0.p99Micros, places: 1) } ?? "n/a",
            report.map { grouped(Int($0.callsPerSecond.rounded())) } ?? "n/a",
            cost.map { fixed($0.hostCPUMicros, places: 1) } ?? "n/a",
            cost.map { fixed($0.hostSwitches, places: 2) } ?? "n/a",
            cost.map { fixed($0.pluginCPUMicros, places: 1) } ?? "n/a",
        ]
        lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |")
    }

    lines.append("")
    lines.append("| p50 ratio | Median of the rounds | Each round |")
    lines.append("|:--|--:|:--|")
    for ratio in PrivacyRatio.allCases {
        let values = result.ratiosByRound[ratio] ?? []
        let cells = [
            ratio.rawValue,
            median(values).map { fixed($0, places: 2) } ?? "n/a",
            values.isEmpty ? "n/a" : values.map { fixed($0, places: 2) }.joined(separator: ", "),
        ]
        lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |")
    }

    lines.append("")
    func extraCPU(_ call: PrivacyCall) -> String {
        guard let top = result.costs[call]?.hostCPUMicros, let base = result.costs[.echoRouted]?.hostCPUMicros
        else { return "n/a" }
        return fixed(top - base, places: 1)
    }
    lines.append(
        "- Host CPU per call over routed echo's (medians of the rounds): redacted \(extraCPU(.directoryRedacted)) µs, "
            + "shown and audited \(extraCPU(.directoryShown)) µs"
    )
    let audit = result.auditRecords.map { grouped($0) } ?? "n/a"
    lines.append(
        "- Audit: \(audit) personal-data records in the host's audit log for \(grouped(result.shownAnswers)) "
            + "answers shown through the host"
    )
    lines.append(
        "- \(result.people) people per Directory call; \(grouped(result.calls)) measured calls after "
            + "\(grouped(result.warmup)) warm-up calls per run, 1 in flight, one connection; \(result.rounds) rounds, "
            + "the order rotating by round"
    )
    lines.append(
        "- Machine: \(result.processors) processors; load average \(result.loadBefore ?? "n/a") before the rounds, "
            + "\(result.loadAfter ?? "n/a") after"
    )
    if !result.notes.isEmpty {
        lines.append("- Notes: " + result.notes.joined(separator: "; "))
    }
    return lines.joined(separator: "\n") + "\n"
}

/// The median of `values`; nil when there are none.
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let half = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
}

extension GongzhiBench {
    /// Builds (or finds) the host's binaries, runs the personal-data benchmark and renders its tables.
    func runPrivacyBenchmark(workspace: Workspace, settings: RunSettings, workDir: String) -> String {
        progress("Preparing the personal-data benchmark (gongzhi-host, gongzhictl, gongzhi-test-plugin, gongzhi-echo)…")
        var result: PrivacyMeasurement
        do {
            let explicit = self.gongzhiBinDir ?? ProcessInfo.processInfo.environment["GONGZHI_BIN_DIR"]
            let binaries = try workspace.prepareHost(
                explicitDirectory: explicit.flatMap { $0.isEmpty ? nil : absolutePath($0) }
            )
            progress("Measuring routed calls with and without personal data, \(privacyBenchPeople) people…")
            result = measurePrivacy(
                binaries,
                people: privacyBenchPeople,
                settings: settings,
                rounds: self.repeats,
                workDir: workDir,
                logsDir: workspace.logsDir
            )
        } catch {
            progress("  skipped: \(error)")
            result = PrivacyMeasurement(
                people: privacyBenchPeople,
                calls: settings.sequentialCalls,
                warmup: settings.warmup
            )
            result.notes.append("\(error)")
        }
        return renderPrivacyTables(result)
    }
}
