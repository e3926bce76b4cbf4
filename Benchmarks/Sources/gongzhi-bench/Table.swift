import Foundation

/// The targets of the echo comparison against Go ttrpc (issue 25).
enum EchoTargets {
    /// Our p50 at most this many times Go ttrpc's, at every payload, with 1 in flight.
    static let p50OverGo = 0.8
    /// Our calls/s at least this many times Go ttrpc's, at every payload, with many in flight.
    static let callsOverGo = 1.3
}

/// Renders the measurements as one markdown table, with ours compared against every other row, then what each
/// call cost the server and the client (CPU time and minor page faults per call, with 1 and with `concurrency` in
/// flight), then ours against Go ttrpc's targets.
func renderTable(_ rows: [Measurement], concurrency: Int) -> String {
    let header = [
        "Implementation", "Payload", "p50 µs", "p99 µs", "calls/s (\(concurrency) in flight)",
        "Server peak RSS MB", "p50 ours/this", "calls/s ours/this", "Notes",
    ]
    let alignments = [":--", "--:", "--:", "--:", "--:", "--:", "--:", "--:", ":--"]
    var lines = [
        "| " + header.joined(separator: " | ") + " |",
        "|" + alignments.joined(separator: "|") + "|",
    ]
    for row in rows {
        let ours = rows.first { $0.isOurs && $0.payload == row.payload }
        let p50: String = row.sequential.map { fixed($0.p50Micros, places: 1) } ?? "n/a"
        let p99: String = row.sequential.map { fixed($0.p99Micros, places: 1) } ?? "n/a"
        let rate: String = row.concurrent.map { grouped(Int($0.callsPerSecond.rounded())) } ?? "n/a"
        let rss: String = row.peakResidentKiB.map { fixed(Double($0) / 1024, places: 1) } ?? "n/a"
        let p50Ratio: String = row.isOurs ? "—" : ratio(ours?.sequential?.p50Micros, row.sequential?.p50Micros)
        let rateRatio: String =
            row.isOurs ? "—" : ratio(ours?.concurrent?.callsPerSecond, row.concurrent?.callsPerSecond)
        let notes: String = row.notes.joined(separator: "; ")
        let cells: [String] = [row.name, formatPayload(row.payload), p50, p99, rate, rss, p50Ratio, rateRatio, notes]
        lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |")
    }

    lines.append("")
    lines.append(
        "| Implementation | Payload | Server CPU µs/call (1 / \(concurrency)) | Server faults/call (1 / \(concurrency)) "
            + "| Client CPU µs/call (1 / \(concurrency)) | Client faults/call (1 / \(concurrency)) |"
    )
    lines.append("|:--|--:|--:|--:|--:|--:|")
    func pair(_ first: Double?, _ second: Double?, places: Int) -> String {
        (first.map { fixed($0, places: places) } ?? "n/a") + " / " + (second.map { fixed($0, places: places) } ?? "n/a")
    }
    func clientCPU(_ report: ClientReport?) -> Double? {
        guard let report, let seconds = report.clientCPUSeconds, report.calls > 0 else { return nil }
        return seconds * 1_000_000 / Double(report.calls)
    }
    func clientFaults(_ report: ClientReport?) -> Double? {
        guard let report, let faults = report.clientMinorFaults, report.calls > 0 else { return nil }
        return faults / Double(report.calls)
    }
    for row in rows {
        let cells = [
            row.name, formatPayload(row.payload),
            pair(row.serverSequential?.cpuMicros, row.serverConcurrent?.cpuMicros, places: 1),
            pair(row.serverSequential?.minorFaults, row.serverConcurrent?.minorFaults, places: 2),
            pair(clientCPU(row.sequential), clientCPU(row.concurrent), places: 1),
            pair(clientFaults(row.sequential), clientFaults(row.concurrent), places: 2),
        ]
        lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |")
    }

    let payloads = rows.filter(\.isOurs).map(\.payload)
    let verdicts = payloads.compactMap { payload -> String? in
        guard let ours = rows.first(where: { $0.isOurs && $0.payload == payload }),
            let go = rows.first(where: { $0.peerID == .ttrpc && $0.payload == payload })
        else { return nil }
        func verdict(_ value: Double?, _ target: Double, atMost: Bool) -> String {
            guard let value else { return "n/a" }
            let met = atMost ? value <= target : value >= target
            return "\(fixed(value, places: 2)) (\(met ? "met" : "missed"))"
        }
        let p50 = ours.sequential.flatMap { o in go.sequential.map { o.p50Micros / $0.p50Micros } }
        let rate = ours.concurrent.flatMap { o in go.concurrent.map { o.callsPerSecond / $0.callsPerSecond } }
        return "- \(formatPayload(payload)): p50 ours/Go \(verdict(p50, EchoTargets.p50OverGo, atMost: true)), "
            + "calls/s ours/Go \(verdict(rate, EchoTargets.callsOverGo, atMost: false))"
    }
    if !verdicts.isEmpty {
        lines.append("")
        lines.append(
            "Against Go ttrpc (targets: p50 ours/Go ≤ \(fixed(EchoTargets.p50OverGo, places: 2)), "
                + "calls/s ours/Go ≥ \(fixed(EchoTargets.callsOverGo, places: 2)) at every payload):"
        )
        lines.append("")
        lines += verdicts
    }
    return lines.joined(separator: "\n") + "\n"
}

func ratio(_ ours: Double?, _ theirs: Double?) -> String {
    guard let ours, let theirs, theirs > 0 else { return "n/a" }
    return fixed(ours / theirs, places: 2)
}

func escapeCell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
}

/// `value` with `places` decimals.
func fixed(_ value: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    guard places > 0 else { return String(scaled) }
    let unit = Int(scale)
    let sign = scaled < 0 ? "-" : ""
    var fraction = String(abs(scaled) % unit)
    while fraction.count < places { fraction = "0" + fraction }
    return "\(sign)\(abs(scaled) / unit).\(fraction)"
}

/// An integer with thousands separated by commas.
func grouped(_ value: Int) -> String {
    let digits = String(abs(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(digit)
    }
    return (value < 0 ? "-" : "") + out
}

/// The targets of the host benchmark (issues 3 and 25).
enum HostTargets {
    /// Routed p50 at most this many times the direct p50, with 1 in flight: 1.6 for small calls (issue 3), 1.3 for
    /// calls of 64 KiB or more (issue 25), where forwarding is mostly moving the payload.
    static func routedOverDirectP50(payload: Int) -> Double {
        payload >= 64 * 1024 ? 1.3 : 1.6
    }
    /// The host's idle RSS with four ready plugins, in MiB.
    static let idleResidentMiB = 30.0
}

/// Renders the host benchmark: latency and rate of direct and routed calls, the ratios, the memory of the host
/// and its plugins, and the figures against the targets.
func renderHostTables(_ result: HostMeasurement) -> String {
    let concurrency = result.concurrency
    let header = [
        "Path", "p50 µs (1 in flight)", "p99 µs (1 in flight)", "calls/s (1 in flight)",
        "p50 µs (\(concurrency) in flight)", "p99 µs (\(concurrency) in flight)", "calls/s (\(concurrency) in flight)",
    ]
    var lines = [
        "| " + header.joined(separator: " | ") + " |",
        "|:--|" + Array(repeating: "--:", count: header.count - 1).joined(separator: "|") + "|",
    ]
    func figures(_ sequential: ClientReport?, _ concurrent: ClientReport?) -> [String] {
        [sequential, concurrent].flatMap { report -> [String] in
            guard let report else { return ["n/a", "n/a", "n/a"] }
            return [
                fixed(report.p50Micros, places: 1), fixed(report.p99Micros, places: 1),
                grouped(Int(report.callsPerSecond.rounded())),
            ]
        }
    }
    func ratios(_ routed: ClientReport?, _ direct: ClientReport?) -> [String] {
        [
            ratio(routed?.p50Micros, direct?.p50Micros), ratio(routed?.p99Micros, direct?.p99Micros),
            ratio(routed?.callsPerSecond, direct?.callsPerSecond),
        ]
    }
    let rows: [[String]] = [
        ["Direct to plugin a"] + figures(result.directSequential, result.directConcurrent),
        ["Routed through the host"] + figures(result.routedSequential, result.routedConcurrent),
        ["Routed/direct"] + ratios(result.routedSequential, result.directSequential)
            + ratios(result.routedConcurrent, result.directConcurrent),
    ]
    for row in rows {
        lines.append("| " + row.map(escapeCell).joined(separator: " | ") + " |")
    }

    lines.append("")
    lines.append("| Process | RSS MB (idle) | Peak RSS MB (at idle) | Peak RSS MB (after the calls) |")
    lines.append("|:--|--:|--:|--:|")
    lines.append(
        "| gongzhi-host, 4 plugins ready | \(megabytes(result.hostIdleResidentKiB)) | "
            + "\(megabytes(result.hostIdlePeakKiB)) | \(megabytes(result.hostPeakAfterLoadKiB)) |"
    )
    for plugin in result.pluginIdle {
        lines.append(
            "| plugin \(plugin.name) (gongzhi-test-plugin) | \(megabytes(plugin.residentKiB)) | "
                + "\(megabytes(plugin.peakKiB)) | — |"
        )
    }

    lines.append("")
    lines.append(
        "| Run | Host CPU µs/call | Host context switches/call | Plugin a CPU µs/call | "
            + "Plugin a context switches/call |"
    )
    lines.append("|:--|--:|--:|--:|--:|")
    for concurrency in [1, concurrency] {
        for path in ["direct", "routed"] {
            let cost = result.costs["\(path)-\(concurrency)"]
            let cells = [
                "\(path == "direct" ? "Direct" : "Routed"), \(concurrency) in flight",
                cost.map { fixed($0.hostCPUMicros, places: 1) } ?? "n/a",
                cost.map { fixed($0.hostSwitches, places: 2) } ?? "n/a",
                cost.map { fixed($0.pluginCPUMicros, places: 1) } ?? "n/a",
                cost.map { fixed($0.pluginSwitches, places: 2) } ?? "n/a",
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
    }

    lines.append("")
    let target = HostTargets.routedOverDirectP50(payload: result.payload)
    let p50Ratio: String
    if let routed = result.routedSequential?.p50Micros, let direct = result.directSequential?.p50Micros, direct > 0 {
        let value = routed / direct
        p50Ratio =
            "\(fixed(value, places: 2))× (\(fixed(routed, places: 1)) µs over \(fixed(direct, places: 1)) µs): "
            + (value <= target ? "met" : "missed")
    } else {
        p50Ratio = "n/a"
    }
    lines.append(
        "- Routed p50 ≤ \(fixed(target, places: 1))× direct, \(formatPayload(result.payload)), 1 in flight: "
            + p50Ratio
    )
    if result.rounds > 1 {
        for concurrency in [1, concurrency] {
            let ratios = (result.p50RatiosByRound[concurrency] ?? []).map { fixed($0, places: 2) }
            lines.append(
                "- Routed/direct p50 in each round, \(concurrency) in flight: "
                    + (ratios.isEmpty ? "n/a" : ratios.joined(separator: ", "))
            )
        }
    }
    let idle: String
    if let resident = result.hostIdleResidentKiB {
        let mebibytes = Double(resident) / 1024
        idle = "\(fixed(mebibytes, places: 1)) MB: " + (mebibytes < HostTargets.idleResidentMiB ? "met" : "missed")
    } else {
        idle = "n/a"
    }
    lines.append("- Host idle RSS < \(fixed(HostTargets.idleResidentMiB, places: 0)) MB with 4 plugins: \(idle)")
    if !result.notes.isEmpty {
        lines.append("- Notes: " + result.notes.joined(separator: "; "))
    }
    return lines.joined(separator: "\n") + "\n"
}
