import Foundation

/// Renders the measurements as one markdown table, with ours compared against every other row.
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

/// The targets of the host benchmark (issue 3).
enum HostTargets {
    /// Routed p50 at most this many times the direct p50, with 1 in flight.
    static let routedOverDirectP50 = 1.6
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
    let p50Ratio: String
    if let routed = result.routedSequential?.p50Micros, let direct = result.directSequential?.p50Micros, direct > 0 {
        let value = routed / direct
        p50Ratio =
            "\(fixed(value, places: 2))× (\(fixed(routed, places: 1)) µs over \(fixed(direct, places: 1)) µs): "
            + (value <= HostTargets.routedOverDirectP50 ? "met" : "missed")
    } else {
        p50Ratio = "n/a"
    }
    lines.append(
        "- Routed p50 ≤ \(fixed(HostTargets.routedOverDirectP50, places: 1))× direct, 1 in flight: \(p50Ratio)"
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
