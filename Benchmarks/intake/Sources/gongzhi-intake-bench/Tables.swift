import Foundation
import GongzhiIntakeSchemas

/// The markdown the run prints.
func renderTables(_ result: IntakeMeasurement) -> String {
    let settings = result.settings
    var out = ""
    func line(_ text: String = "") { out += text + "\n" }
    func rate(_ value: Double?) -> String { value.map { grouped(Int($0.rounded())) } ?? "n/a" }
    func ratio(_ ours: Double?, _ peer: Double?) -> String {
        guard let ours, let peer, peer > 0 else { return "n/a" }
        return fixed(ours / peer, places: 2)
    }
    func mb(_ kib: Int?) -> String { kib.map { fixed(Double($0) / 1024, places: 1) } ?? "n/a" }
    func verdict(_ met: Bool?) -> String { met.map { $0 ? "met" : "missed" } ?? "n/a" }
    let time = ISO8601DateFormatter()

    line("Run from \(time.string(from: result.startedAt)) to \(time.string(from: result.endedAt)); load average")
    line(
        "\(result.loadAtStart) at the start and \(result.loadAtEnd) at the end, \(ProcessInfo.processInfo.activeProcessorCount) processors."
    )
    line()
    line("MQTT QoS 1, \(grouped(settings.readings)) readings from \(settings.publishers) paho-mqtt publishers")
    line("(\(settings.publisherInflight) in flight each), readings/s = N / (last durable − first publish):")
    line()
    line("| Path | Durable means | Seconds | readings/s | PUBACKs/s at the publishers | intake/this |")
    line("|:--|:--|--:|--:|--:|--:|")
    if let round = result.intake {
        line(
            "| Intake | committed to intake's inbox (Stats received, polled every 10 ms) | \(fixed(round.seconds, places: 2)) "
                + "| \(rate(round.perSecond)) | \(rate(round.pubackPerSecond)) | — |"
        )
    }
    if let round = result.baseline {
        line(
            "| Mosquitto pass-through | arrived at the bare C subscriber (\(round.delivered.map(grouped) ?? "n/a") counted) "
                + "| \(fixed(round.seconds, places: 2)) | \(rate(round.perSecond)) | \(rate(round.pubackPerSecond)) "
                + "| \(ratio(result.intake?.perSecond, round.perSecond)) |"
        )
    }
    line()
    if let counters = result.sensorsAfterFlood {
        line(
            "After the round (\(fixed(result.drainSeconds, places: 1)) s to drain the routing behind the inbox): "
                + "\(IntakeSetup.sensors) received \(counters.received) = accepted \(counters.accepted) + duplicates "
                + "\(counters.duplicates) + dead-lettered \(counters.deadLettered) + in flight \(counters.inFlight); "
                + "readings stored \(counters.readingsStored)."
        )
    }
    if let cpu = result.intakeCPUPerReading {
        line("Intake's CPU per reading, from the first publish to the last commit: \(fixed(cpu, places: 1)) µs.")
    }
    line()

    if let latency = result.latency {
        let seen = LatencySummary(nanoseconds: latency.toSeen.map { Int64(($0 * 1e9).rounded()) })
        let created = LatencySummary(nanoseconds: latency.toCreated.map { Int64(($0 * 1e9).rounded()) })
        line(
            "Critical readings (\(latency.published) published, \(settings.criticalGapMs) ms apart, one device and alert "
                + "each): \(latency.toSeen.count) cases matched, \(latency.unmatched) unmatched."
        )
        line()
        line("| Publish to | p50 ms | p99 ms | max ms |")
        line("|:--|--:|--:|--:|")
        line(
            "| the Case object seen by a watcher on admin.sock | \(fixed(seen.p50 / 1000, places: 1)) "
                + "| \(fixed(seen.p99 / 1000, places: 1)) | \(fixed(seen.max / 1000, places: 1)) |"
        )
        line(
            "| the case's created_at_ms | \(fixed(created.p50 / 1000, places: 1)) | \(fixed(created.p99 / 1000, places: 1)) "
                + "| \(fixed(created.max / 1000, places: 1)) |"
        )
        line()
    }

    if let creates = result.creates, let open311 = result.open311 {
        line(
            "Open311 POSTs (wrk, \(settings.connections) connections, \(settings.postSeconds) s) against the host's bare"
        )
        line("Objects/Create of a Resident with \(settings.connections) callers:")
        line()
        line("| Path | Counted | per second | p50 ms | p99 ms | open311/this |")
        line("|:--|--:|--:|--:|--:|--:|")
        line(
            "| Open311 POST, 200s whose case exists, to the last case | \(grouped(min(open311.posts.ok, open311.cases))) "
                + "| \(rate(open311.casesPerSecond)) | \(fixed(Double(open311.posts.p50Us) / 1000, places: 1)) "
                + "| \(fixed(Double(open311.posts.p99Us) / 1000, places: 1)) | — |"
        )
        line(
            "| Open311 POST, 200s over wrk's duration | \(grouped(open311.posts.ok)) | \(rate(open311.answeredPerSecond)) "
                + "| | | — |"
        )
        let latency = creates.latency
        line(
            "| Objects/Create on admin.sock | \(grouped(creates.samples.count)) | \(rate(creates.perSecond)) "
                + "| \(fixed(latency.p50 / 1000, places: 1)) | \(fixed(latency.p99 / 1000, places: 1)) "
                + "| \(ratio(open311.casesPerSecond, creates.perSecond)) |"
        )
        line()
        line(
            "POSTs: \(grouped(open311.posts.ok)) answered 200, \(grouped(open311.posts.other)) otherwise"
                + (open311.posts.firstOther.isEmpty ? "" : " (first: \(open311.posts.firstOther))")
                + "; wrk errors: connect \(open311.posts.connectErrors), read \(open311.posts.readErrors), write "
                + "\(open311.posts.writeErrors), timeout \(open311.posts.timeouts). Intake's \(IntakeSetup.hotline) "
                + "in the round: received \(open311.received), accepted \(open311.accepted), duplicates "
                + "\(open311.duplicates), dead-lettered \(open311.deadLettered), refused \(open311.refused). Cases "
                + "seen: \(grouped(open311.cases)) (cases == tickets accepted: "
                + "\(UInt64(open311.cases) == open311.accepted ? "yes" : "no"); tickets accepted − 200s = "
                + "\(Int(open311.accepted) - open311.posts.ok), the POSTs wrk had in flight when it stopped, whose "
                + "answers it did not read)."
        )
        if creates.failures > 0 { line("Creates failed: \(creates.failures) (\(creates.firstFailure ?? "")).") }
        line()
    }

    line("| Process | RSS MB after start | RSS MB at the end | Peak RSS MB (VmHWM) |")
    line("|:--|--:|--:|--:|")
    line(
        "| gongzhi-intake | \(mb(result.intakeIdle.residentKiB)) | \(mb(result.intakeEnd.residentKiB)) "
            + "| \(mb(result.intakeEnd.peakKiB)) |"
    )
    line(
        "| gongzhi-host | \(mb(result.hostIdle.residentKiB)) | \(mb(result.hostEnd.residentKiB)) "
            + "| \(mb(result.hostEnd.peakKiB)) |"
    )
    line("| gongzhi-grid | | \(mb(result.gridEnd.residentKiB)) | \(mb(result.gridEnd.peakKiB)) |")
    line()
    line(
        "- MQTT readings/s through intake ≥ 0.5× Mosquitto's pass-through: "
            + "\(ratio(result.intake?.perSecond, result.baseline?.perSecond)): "
            + verdict(
                result.intake.flatMap { ours in result.baseline.map { ours.perSecond >= 0.5 * $0.perSecond } }
            )
    )
    for note in result.notes { line("- Note: \(note)") }
    line()
    line("Busiest processes at the start (ps, CPU share over each process's life):")
    line()
    line("```")
    line(result.processesAtStart)
    line("```")
    line()
    line("At the end:")
    line()
    line("```")
    line(result.processesAtEnd)
    line("```")
    return out
}
