/// Renders the measurement as markdown tables: the four measures against PostgreSQL with the issue's targets, then
/// every run in detail.
func renderTables(_ result: Measurement) -> String {
    let settings = result.settings
    var lines: [String] = []
    func row(_ cells: [String]) { lines.append("| " + cells.joined(separator: " | ") + " |") }
    /// A header whose first `left` columns are left-aligned, the others (figures) right-aligned.
    func header(_ cells: [String], left: Int = 1) {
        row(cells)
        let alignments = cells.indices.map { $0 < left ? ":--" : "--:" }
        lines.append("|" + alignments.joined(separator: "|") + "|")
    }
    func rate(_ value: Double?) -> String { value.map { grouped(Int($0.rounded())) } ?? "n/a" }
    func millis(_ micros: Double?) -> String { micros.map { fixed($0 / 1000, places: 2) } ?? "n/a" }
    func micros(_ value: Double?) -> String { value.map { grouped(Int($0.rounded())) } ?? "n/a" }
    func ratio(_ top: Double?, _ bottom: Double?) -> Double? {
        guard let top, let bottom, bottom > 0 else { return nil }
        return top / bottom
    }
    func percent(_ share: Double?) -> String { share.map { fixed(min($0, 1) * 100, places: 0) } ?? "n/a" }
    func times(_ value: Double?) -> String { value.map { fixed($0, places: 2) + "×" } ?? "n/a" }
    func met(_ value: Double?, atLeast target: Double) -> String {
        guard let value else { return "n/a" }
        return value >= target ? "yes" : "**no**"
    }

    let ours = result.ours
    let postgres = result.postgres
    let clients = settings.clients
    lines.append(
        "\(clients) clients on each side, each on a connection of its own, one call (ours) or transaction "
            + "(PostgreSQL) at a time, \(settings.seconds) s a run after \(settings.warmupSeconds) s of the same "
            + "load unmeasured; \(grouped(settings.holders)) holders funded with \(grouped(Int(settings.funding))) "
            + "points each, transfers of 1 point. Ours: `gongzhi.points.v1.Points` through `host.sock` with a client "
            + "token; PostgreSQL: pgbench (`-c \(clients) -j \(settings.pgbenchThreads) -M prepared`) calling "
            + "plpgsql functions."
    )
    lines.append("")
    header(["Measure", "Ours", "PostgreSQL 15", "Ours / PostgreSQL", "Target", "Met"])
    let single = ratio(ours[.single]?.perSecond, postgres[.single]?.perSecond)
    row([
        "(a) single transfers/s, uniform among \(grouped(settings.holders))", rate(ours[.single]?.perSecond),
        rate(postgres[.single]?.perSecond), times(single), "≥ 1.0× PostgreSQL", met(single, atLeast: 1.0),
    ])
    let batched = ratio(ours[.batched]?.perSecond, postgres[.batched]?.perSecond)
    row([
        "(b) batched transfers/s, \(grouped(settings.batch)) per call", rate(ours[.batched]?.perSecond),
        rate(postgres[.batched]?.perSecond), times(batched), "≥ 5× PostgreSQL", met(batched, atLeast: 5.0),
    ])
    let hotOverUniform = ratio(ours[.hot]?.perSecond, ours[.single]?.perSecond)
    row([
        "(c) hot-account transfers/s (each debits the issuer)", rate(ours[.hot]?.perSecond),
        rate(postgres[.hot]?.perSecond), times(ratio(ours[.hot]?.perSecond, postgres[.hot]?.perSecond)),
        "≥ 0.5× our (a): \(times(hotOverUniform))", met(hotOverUniform, atLeast: 0.5),
    ])
    row([
        "(d) balance read p50, ms", millis(ours[.read]?.latency.p50), millis(postgres[.read]?.latency.p50),
        times(ratio(ours[.read]?.latency.p50, postgres[.read]?.latency.p50)), "—", "—",
    ])
    row([
        "(d) balance read p99, ms", millis(ours[.read]?.latency.p99), millis(postgres[.read]?.latency.p99),
        times(ratio(ours[.read]?.latency.p99, postgres[.read]?.latency.p99)), "—", "—",
    ])
    row([
        "(d) balance reads/s", rate(ours[.read]?.perSecond), rate(postgres[.read]?.perSecond),
        times(ratio(ours[.read]?.perSecond, postgres[.read]?.perSecond)), "—", "—",
    ])
    row([
        "reference: the host's bare creates/s (`Objects/Create` of a small Resident)", rate(ours[.create]?.perSecond),
        "—", "(a) / creates: \(times(ratio(ours[.single]?.perSecond, ours[.create]?.perSecond)))", "—", "—",
    ])
    lines.append("")
    lines.append(
        "For reads, the ratio is of latencies (below 1: ours answers sooner). PostgreSQL's hot account over its "
            + "uniform case: \(times(ratio(postgres[.hot]?.perSecond, postgres[.single]?.perSecond)))."
    )

    lines.append("")
    lines.append(
        "Every run (operations: transfers recorded, balances read or objects created; a call is one transaction "
            + "for PostgreSQL; span from the first call sent to the last answer; CPU per operation over the run — "
            + "server: gongzhi-host and gongzhi-points, or the postmaster and every backend; client: this process, "
            + "or pgbench; waiting: the time our server's threads were ready to run but had no processor, from "
            + "`/proc/PID/task/*/schedstat`; the machine — processors busy, disk written and busy — counts every "
            + "process on it, the neighbours' too):"
    )
    lines.append("")
    header(
        [
            "Run", "Side", "Calls", "Operations", "Span s", "Operations/s", "p50 ms", "p99 ms", "Mean ms", "Max ms",
            "Server CPU µs/op", "of it plugin", "Client CPU µs/op", "Server waiting µs/op", "Refused", "Failed calls",
            "Load at start", "Machine CPU busy %", "Disk MB per 1,000 ops", "Disk busy %",
        ],
        left: 2
    )
    for measure in Measure.allCases {
        for (side, run) in [("ours", ours[measure]), ("PostgreSQL", postgres[measure])] {
            guard let run else { continue }
            let latency = run.latency
            row([
                measure.title, side, grouped(run.calls), grouped(run.operations), fixed(run.seconds, places: 1),
                rate(run.perSecond), millis(latency.p50), millis(latency.p99), millis(latency.mean),
                millis(latency.max), micros(run.serverCPUPerOperation), micros(run.pluginCPUPerOperation),
                micros(run.clientCPUPerOperation), micros(run.serverRunQueueWaitPerOperation), grouped(run.refused),
                grouped(run.failedCalls), run.loadAtStart, percent(run.machine?.cpuBusy),
                run.machine.map {
                    fixed(Double($0.bytesWritten) / 1_048_576 * 1_000 / Double(max(1, run.operations)), places: 2)
                }
                    ?? "n/a",
                percent(run.machine.map { Double($0.diskBusyMillis) / 1_000 / max(run.seconds, 0.001) }),
            ])
        }
    }

    if result.hostIdle.residentKiB != nil {
        lines.append("")
        header(["Memory (MB)", "VmRSS after the setup", "VmRSS at the end", "VmHWM at the end"])
        func megabytes(_ kiB: Int?) -> String { kiB.map { fixed(Double($0) / 1024, places: 1) } ?? "n/a" }
        row([
            "gongzhi-host", megabytes(result.hostIdle.residentKiB), megabytes(result.hostAfter.residentKiB),
            megabytes(result.hostAfter.peakKiB),
        ])
        row([
            "gongzhi-points", megabytes(result.pluginIdle.residentKiB), megabytes(result.pluginAfter.residentKiB),
            megabytes(result.pluginAfter.peakKiB),
        ])
    }

    lines.append("")
    lines.append("- Machine at the start: \(result.machineAtStart.summary)")
    if let end = result.machineAtEnd { lines.append("- Machine at the end: \(end.summary)") }
    let pg = result.postgresSettings
    if !pg.isEmpty {
        lines.append(
            "- PostgreSQL \(pg["version"] ?? "?"): fsync \(pg["fsync"] ?? "?"), synchronous_commit "
                + "\(pg["synchronous_commit"] ?? "?"), wal_sync_method \(pg["wal_sync_method"] ?? "?"), "
                + "full_page_writes \(pg["full_page_writes"] ?? "?"), shared_buffers \(pg["shared_buffers"] ?? "?") "
                + "(initdb's defaults); set up in \(fixed(result.postgresSetupSeconds, places: 1)) s"
        )
    }
    if let sum = result.postgresCheck["sum"], let transfers = result.postgresCheck["transfers"] {
        lines.append(
            "- PostgreSQL at the end: \(grouped(Int(transfers) ?? 0)) transfers, sum of credits − debits over all "
                + "accounts \(sum) (zero: double entry holds)"
        )
    }
    if result.oursSetupSeconds > 0 {
        lines.append(
            "- Ours: ledger `\(BenchLedger.code)`, \(grouped(settings.holders)) holders and the issuer opened and "
                + "funded through the host in \(fixed(result.oursSetupSeconds, places: 1)) s; host log_level "
                + settings.logLevel
        )
    }
    var problems: [String] = []
    for measure in Measure.allCases {
        for (side, run) in [("ours", result.ours[measure]), ("PostgreSQL", result.postgres[measure])] {
            if let problem = run?.firstProblem { problems.append("\(measure.title), \(side): \(problem)") }
        }
    }
    if !problems.isEmpty { lines.append("- First problems: " + problems.joined(separator: "; ")) }
    if !result.notes.isEmpty { lines.append("- Notes: " + result.notes.joined(separator: "; ")) }
    return lines.joined(separator: "\n") + "\n"
}
