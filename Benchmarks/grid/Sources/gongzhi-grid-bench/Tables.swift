/// Renders the measurement as markdown tables.
func renderTables(_ result: Measurement) -> String {
    let settings = result.settings
    var lines: [String] = []
    func row(_ cells: [String]) { lines.append("| " + cells.joined(separator: " | ") + " |") }
    func header(_ cells: [String]) {
        row(cells)
        lines.append("|:--|" + Array(repeating: "--:", count: cells.count - 1).joined(separator: "|") + "|")
    }
    func millis(_ micros: Double?) -> String { micros.map { fixed($0 / 1000, places: 2) } ?? "n/a" }
    func micros(_ value: Double?) -> String { value.map { grouped(Int($0.rounded())) } ?? "n/a" }
    func rate(_ value: Double?) -> String { value.map { grouped(Int($0.rounded())) } ?? "n/a" }
    func ratio(_ top: Double?, _ bottom: Double?) -> String {
        guard let top, let bottom, bottom > 0 else { return "n/a" }
        return fixed(top / bottom, places: 2) + "×"
    }

    lines.append(
        "Each caller on a connection of its own to admin.sock, one call at a time; a Report of \(result.category) "
            + "(auto-dispatch) at a point of its own; Create is the bare Objects/Create of a Resident as large as a "
            + "case (\(result.caseBytes) bytes of data, the case's six labels); Locate is the plugin's "
            + "point-in-grid lookup through the host. CPU is per call, from /proc, the whole run:"
    )
    lines.append("")
    header([
        "Call", "Callers", "Calls", "Cases before", "Calls/s", "p50 ms", "p99 ms", "Mean ms", "Max ms",
        "Host CPU µs", "Plugin CPU µs", "Client CPU µs",
    ])
    let phases: [Phase?] = [
        result.reportSingle, result.createSingle, result.locateSingle, result.reportMany, result.createMany,
        result.locateMany, result.reportLater, result.reportSpread,
    ]
    for phase in phases.compactMap({ $0 }) {
        let latency = phase.load.latency
        let name: String
        switch phase.name {
        case _ where phase.name.hasSuffix("later"): name = "Report (again, among all the cases)"
        case _ where phase.name.contains("categories"):
            name =
                "Report over \(result.spreadCategories.count) categories (\(result.spreadCategories.joined(separator: ", ")))"
        default: name = phase.what
        }
        row([
            name, String(phase.load.workers), grouped(phase.load.samples.count),
            phase.what == "Report" ? grouped(phase.casesBefore) : "—", rate(phase.load.perSecond),
            millis(latency.p50), millis(latency.p99), millis(latency.mean), millis(latency.max), micros(phase.hostCPU),
            micros(phase.pluginCPU), micros(phase.clientCPU),
        ])
    }

    lines.append("")
    lines.append(
        "Reports' answers (duplicate rule: same category within \(fixed(result.duplicateRadius, places: 0)) m and "
            + "\(result.duplicateWindowMinutes / 60) h of an open case; the points are at least 50 m apart):"
    )
    lines.append("")
    header(["Run", "Answered DISPATCHED, opened", "Joined as duplicates", "Another state", "Failed"])
    for phase in [result.reportSingle, result.reportMany, result.reportLater, result.reportSpread].compactMap({ $0 }) {
        let load = phase.load
        row([
            phase.name, grouped(load.samples.count - load.duplicates - load.unexpected), grouped(load.duplicates),
            grouped(load.unexpected), grouped(load.failures),
        ])
    }

    lines.append("")
    lines.append("Report over the bare store (Create) and over routing to the plugin (Locate):")
    lines.append("")
    header(["Ratio", "1 caller", "\(settings.reporters) callers"])
    let single = (result.reportSingle, result.createSingle, result.locateSingle)
    let many = (result.reportMany, result.createMany, result.locateMany)
    row([
        "Report p50 / Create p50", ratio(single.0?.load.latency.p50, single.1?.load.latency.p50),
        ratio(many.0?.load.latency.p50, many.1?.load.latency.p50),
    ])
    row([
        "Report p99 / Create p99", ratio(single.0?.load.latency.p99, single.1?.load.latency.p99),
        ratio(many.0?.load.latency.p99, many.1?.load.latency.p99),
    ])
    row([
        "Create calls/s / Report calls/s", ratio(single.1?.load.perSecond, single.0?.load.perSecond),
        ratio(many.1?.load.perSecond, many.0?.load.perSecond),
    ])
    row([
        "Report p50 / Locate p50", ratio(single.0?.load.latency.p50, single.2?.load.latency.p50),
        ratio(many.0?.load.latency.p50, many.2?.load.latency.p50),
    ])

    if let watch = result.watch {
        let fromSend = LatencySummary(nanoseconds: watch.fromSend)
        let fromAnswer = LatencySummary(nanoseconds: watch.fromAnswer)
        lines.append("")
        lines.append(
            "Report → dispatched as a watcher sees it (Objects/Watch of Case from now on, on a connection of its own, "
                + "during the 1-reporter run): from sending the Report to the event with state dispatched, and from "
                + "the Report's answer to the event (negative: the event came first):"
        )
        lines.append("")
        header(["Events seen", "From sending p50 ms", "p99 ms", "Mean ms", "After the answer p50 ms", "p99 ms"])
        row([
            "\(grouped(fromSend.count)) of \(grouped(fromSend.count + watch.missing))", millis(fromSend.p50),
            millis(fromSend.p99), millis(fromSend.mean), millis(fromAnswer.p50), millis(fromAnswer.p99),
        ])
    }

    if let phase = result.reportMany, !phase.load.samples.isEmpty {
        let samples = phase.load.samples
        let parts = min(10, samples.count)
        let size = (samples.count + parts - 1) / parts
        lines.append("")
        lines.append(
            "The \(settings.reporters)-reporter run in tenths, by the order of the answers (the cases stored grow as "
                + "it goes):"
        )
        lines.append("")
        header(["Answers", "Cases stored before", "Reports/s", "p50 ms", "p99 ms"])
        var previousEnd = phase.load.started
        for start in stride(from: 0, to: samples.count, by: size) {
            let slice = samples[start..<min(samples.count, start + size)]
            let seconds = Double(slice.last!.finished - previousEnd) / 1e9
            previousEnd = slice.last!.finished
            let latency = LatencySummary(nanoseconds: slice.map(\.latency))
            row([
                "\(grouped(start + 1))–\(grouped(start + slice.count))", grouped(phase.casesBefore + start),
                rate(seconds > 0 ? Double(slice.count) / seconds : nil), millis(latency.p50), millis(latency.p99),
            ])
        }
    }

    lines.append("")
    header(["Memory (MB)", "VmRSS with the grids, before the load", "VmRSS after", "VmHWM after"])
    func megabytes(_ kiB: Int?) -> String { kiB.map { fixed(Double($0) / 1024, places: 1) } ?? "n/a" }
    row([
        "gongzhi-host", megabytes(result.hostIdle.residentKiB), megabytes(result.hostAfter.residentKiB),
        megabytes(result.hostAfter.peakKiB),
    ])
    row([
        "gongzhi-grid", megabytes(result.pluginIdle.residentKiB), megabytes(result.pluginAfter.residentKiB),
        megabytes(result.pluginAfter.peakKiB),
    ])

    lines.append("")
    lines.append(
        "- World: \(grouped(result.world.gridCount)) grids of \(fixed(result.world.size, places: 2))° "
            + "(\(result.world.columns) × \(result.world.rows)), \(result.world.columns) communities, created and "
            + "followed by the plugin in \(fixed(result.worldSeconds, places: 1)) s; "
            + "\(grouped(result.casesStored)) cases stored at the end; host log_level \(settings.logLevel)"
    )
    lines.append("- Load average (1, 5, 15 min) at the start: \(result.loadAtStart); at the end: \(result.loadAtEnd)")
    if !result.notes.isEmpty { lines.append("- Notes: " + result.notes.joined(separator: "; ")) }
    return lines.joined(separator: "\n") + "\n"
}
