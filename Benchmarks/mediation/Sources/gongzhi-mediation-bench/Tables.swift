/// Renders the measurement as markdown tables: the queries' times and CPU, their ratios to the host's List with the
/// issue's target, the plugin's memory, and the load that stored the disputes.
func renderTables(_ result: Measurement) -> String {
    let settings = result.settings
    var lines: [String] = []
    func row(_ cells: [String]) { lines.append("| " + cells.joined(separator: " | ") + " |") }
    /// A header whose first `left` columns are left-aligned, the others (figures) right-aligned.
    func header(_ cells: [String], left: Int = 1) {
        row(cells)
        lines.append("|" + cells.indices.map { $0 < left ? ":--" : "--:" }.joined(separator: "|") + "|")
    }
    func millis(_ nanos: UInt64?) -> String { nanos.map { fixed(Double($0) / 1e6, places: 1) } ?? "n/a" }
    func times(_ value: Double?) -> String { value.map { fixed($0, places: 2) + "×" } ?? "n/a" }
    func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    let queries = Query.allCases.filter { result.check[$0] != nil }
    let early = (0..<settings.disputes).filter(DisputeWorld.isEarly).count
    let late = (0..<settings.disputes).filter(DisputeWorld.isLate).count
    let assigned = (0..<settings.disputes).filter(DisputeWorld.isAssigned).count
    lines.append(
        "\(grouped(settings.disputes)) disputes stored through the plugin: \(grouped(early)) with their month to "
            + "mediate run out (overdue), \(grouped(late)) with it running, \(grouped(assigned)) of these "
            + "\(grouped(early + late)) with a mediator, the rest applied (no clock). All calls as the administrator on "
            + "`admin.sock`, one at a time on one connection; \(settings.rounds) measured rounds after one that checks "
            + "every answer, the order rotated by one query each round; Stats and the first page "
            + "\(settings.callsPerRound) calls a round (the round's figure is their median), the listings once a "
            + "round. (c) pages of \(grouped(settings.listPageSize)); the overdue list pages of "
            + "\(QueryRunner.overduePageSize)."
    )
    lines.append("")

    // The queries.
    header([
        "Query", "Median of the rounds, ms", "Fastest round, ms", "Slowest round, ms", "Pages", "Answered",
        "Answer MB", "Host CPU ms/call", "Plugin CPU ms/call", "Client CPU ms/call",
    ])
    for query in queries {
        let figures = result.rounds.compactMap { $0[query] }
        let medians = figures.map(\.median)
        let calls = Double(max(1, figures.map(\.nanos.count).reduce(0, +)))
        let cpu = figures.map(\.cpu).reduce(CPUSpent(), +)
        let check = result.check[query]
        row([
            query.title,
            median(medians.map { Double($0) }).map { fixed($0 / 1e6, places: 1) } ?? "n/a",
            millis(medians.min()), millis(medians.max()),
            check.map { grouped($0.pages) } ?? "n/a",
            check.map { grouped($0.items) + (query == .stats || query == .statsDirect ? " counted" : "") } ?? "n/a",
            check.map { fixed(Double($0.bytes) / 1_048_576, places: 2) } ?? "n/a",
            fixed(cpu.host / calls / 1000, places: 1), fixed(cpu.plugin / calls / 1000, places: 1),
            fixed(cpu.client / calls / 1000, places: 1),
        ])
    }
    lines.append("")

    // The ratios, round by round.
    header(["Ratio of each round's figures", "Median of the rounds", "Each round", "Target", "Met"])
    func ratios(_ top: Query, _ bottom: Query) -> [Double] {
        result.rounds.compactMap { round in
            guard let a = round[top]?.median, let b = round[bottom]?.median, b > 0 else { return nil }
            return Double(a) / Double(b)
        }
    }
    let ratioRows: [(String, Query, Query, Bool)] = [
        ("(a) Stats / (c) List", .stats, .objects, true),
        ("(b) overdue list, every page / (c) List", .overdueAll, .objects, true),
        ("(b) overdue list, first page / (c) List", .overdueFirst, .objects, true),
        ("the plugin alone: Stats / (c) List", .statsDirect, .objects, false),
        ("the plugin alone: overdue list, every page / (c) List", .overdueAllDirect, .objects, false),
        ("the plugin alone: overdue list, first page / (c) List", .overdueFirstDirect, .objects, false),
        ("the plugin alone / through the host: Stats", .statsDirect, .stats, false),
        ("the plugin alone / through the host: overdue list, every page", .overdueAllDirect, .overdueAll, false),
    ]
    for (name, top, bottom, targeted) in ratioRows where result.check[top] != nil && result.check[bottom] != nil {
        let values = ratios(top, bottom)
        let middle = median(values)
        row([
            name, times(middle), values.map { fixed($0, places: 2) }.joined(separator: ", "),
            targeted ? "≤ 1.0×" : "—",
            targeted ? (middle.map { $0 <= 1.0 ? "yes" : "**no**" } ?? "n/a") : "—",
        ])
    }
    lines.append("")

    // Memory.
    header(["Memory (MB)", "VmRSS before loading", "after loading", "after the alert sweep", "at the end", "VmHWM"])
    row([
        "gongzhi-mediation", megabytes(result.pluginBefore.residentKiB), megabytes(result.pluginLoaded.residentKiB),
        megabytes(result.pluginSwept.residentKiB), megabytes(result.pluginEnd.residentKiB),
        megabytes(result.pluginEnd.peakKiB),
    ])
    row([
        "gongzhi-host", megabytes(result.hostBefore.residentKiB), megabytes(result.hostLoaded.residentKiB), "—",
        megabytes(result.hostEnd.residentKiB), megabytes(result.hostEnd.peakKiB),
    ])
    lines.append("")
    func perDispute(_ after: Int?, _ before: Int?) -> String {
        guard let after, let before else { return "n/a" }
        return grouped(Int((Double(after - before) * 1024 / Double(settings.disputes)).rounded()))
    }
    var memoryLine =
        "- The plugin's memory per dispute: \(perDispute(result.pluginLoaded.residentKiB, result.pluginBefore.residentKiB)) "
        + "bytes of VmRSS after loading, \(perDispute(result.pluginSwept.residentKiB, result.pluginBefore.residentKiB)) "
        + "after the alert sweep, \(perDispute(result.pluginEnd.residentKiB, result.pluginBefore.residentKiB)) at "
        + "the end and \(perDispute(result.pluginEnd.peakKiB, result.pluginBefore.residentKiB)) at its peak (VmHWM), "
        + "each over the VmRSS before loading"
    if let objects = result.check[.objects], objects.items > 0 {
        memoryLine +=
            "; a dispute is stored as \(grouped(objects.dataBytes / objects.items)) bytes of Dispute message, "
            + "\(grouped(objects.bytes / objects.items)) bytes an object in the List answer"
    }
    lines.append(memoryLine)
    lines.append("")

    // The load.
    header([
        "Loading step", "Calls", "Clients", "Span s", "Calls/s", "p50 ms", "p99 ms", "Failed", "Host CPU µs/call",
        "Plugin CPU µs/call",
    ])
    for step in result.loads {
        let load = step.load
        let calls = Double(max(1, load.calls))
        row([
            step.name, grouped(load.calls), grouped(load.workers), fixed(load.seconds, places: 1),
            grouped(Int(load.perSecond.rounded())), fixed(load.latency.p50 / 1000, places: 2),
            fixed(load.latency.p99 / 1000, places: 2), grouped(load.failures),
            grouped(Int((step.cpu.host / calls).rounded())), grouped(Int((step.cpu.plugin / calls).rounded())),
        ])
    }
    if let sweep = result.sweep {
        let rate = sweep.firstToLast.map { $0 > 0 ? grouped(Int((Double(sweep.alerts) / $0).rounded())) : "n/a" }
        let calls = Double(max(1, sweep.alerts))
        row([
            "the plugin's alert sweep (an alert written on each overdue dispute)", grouped(sweep.alerts), "—",
            sweep.firstToLast.map { fixed($0, places: 1) } ?? "n/a", rate ?? "n/a", "—", "—",
            grouped(sweep.expected - sweep.alerts), grouped(Int((sweep.cpu.host / calls).rounded())),
            grouped(Int((sweep.cpu.plugin / calls).rounded())),
        ])
    }
    lines.append("")

    if let applied = result.loads.first {
        lines.append(
            "- Load rate: \(grouped(Int(applied.load.perSecond.rounded()))) applications/s "
                + "(\(grouped(applied.load.calls)) in \(fixed(applied.load.seconds, places: 1)) s, "
                + "\(applied.load.workers) clients, a batch per day of the clock over "
                + "\(DisputeWorld.applicationDays) days)"
        )
    }
    if let sweep = result.sweep {
        lines.append(
            "- Alert sweep (MEDIATION_ALERT_INTERVAL_MS \(grouped(settings.alertIntervalMs))): the first alert "
                + "\(sweep.fromMoveToFirst.map { fixed($0, places: 1) } ?? "n/a") s after the clock moved, "
                + "\(grouped(sweep.alerts)) of \(grouped(sweep.expected)) overdue disputes written, "
                + "\(grouped(sweep.others)) other disputes written"
        )
    }
    lines.append("- Machine at the start: \(result.machineAtStart.summary)")
    if let end = result.machineAtEnd { lines.append("- Machine at the end: \(end.summary)") }
    if let first = result.rounds.first, let load = first.values.first?.loadAtStart {
        let loads = result.rounds.compactMap { round in round.values.first?.loadAtStart }
        lines.append(
            "- The rounds took \(fixed(result.roundsSeconds, places: 1)) s; one-minute load average at the start "
                + "of each: \(loads.isEmpty ? load : loads.joined(separator: ", "))"
                + (result.othersCPU.map {
                    "; other processes kept \(fixed($0 * 100, places: 0)) % of the processors busy meanwhile "
                        + "(`/proc/stat` less our three processes)"
                } ?? "")
        )
    }
    lines.append("- Host log_level \(settings.logLevel)")
    if !result.notes.isEmpty { lines.append("- Notes: " + result.notes.joined(separator: "; ")) }
    return lines.joined(separator: "\n") + "\n"
}
