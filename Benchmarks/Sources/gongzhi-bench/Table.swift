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

private func ratio(_ ours: Double?, _ theirs: Double?) -> String {
    guard let ours, let theirs, theirs > 0 else { return "n/a" }
    return fixed(ours / theirs, places: 2)
}

private func escapeCell(_ text: String) -> String {
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
