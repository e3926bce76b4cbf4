import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Synchronization

/// What the run does.
struct IntakeSettings: Sendable {
    var readings: Int
    var publishers: Int
    var publisherInflight: Int
    var criticalReadings: Int
    var criticalGapMs: Int
    var connections: Int
    var postSeconds: Int
    var creates: Int
    var settleTimeout: Double
}

/// One MQTT round: `readings` published from `firstPublish`, all durable (arrived at the bare subscriber, or
/// committed to intake's inbox) by `lastDurable`; times in seconds since the epoch.
struct MQTTRound: Sendable {
    var readings: Int
    var firstPublish: Double
    var lastDurable: Double
    var lastPuback: Double
    var acked: Int
    var delivered: Int?

    var seconds: Double { lastDurable - firstPublish }
    var perSecond: Double { seconds > 0 ? Double(readings) / seconds : 0 }
    var pubackPerSecond: Double { lastPuback > firstPublish ? Double(acked) / (lastPuback - firstPublish) : 0 }
}

/// The publishers' JSON line (`publish.py flood`).
struct FloodLine: Decodable, Sendable {
    var messages: Int
    var acked: Int
    var complete: Bool
    var firstPublish: Double
    var lastPuback: Double

    enum CodingKeys: String, CodingKey {
        case messages, acked, complete
        case firstPublish = "first_publish"
        case lastPuback = "last_puback"
    }
}

/// The bare subscriber's JSON line.
struct SubscriberLine: Decodable, Sendable {
    var received: Int
    var lastArrival: Double

    enum CodingKeys: String, CodingKey {
        case received
        case lastArrival = "last_arrival"
    }
}

/// wrk's JSON line (`open311-post.lua`).
struct WrkLine: Decodable, Sendable {
    var ok: Int
    var other: Int
    var firstOther: String
    var requests: Int
    var durationUs: Int
    var connectErrors: Int
    var readErrors: Int
    var writeErrors: Int
    var timeouts: Int
    var p50Us: Int
    var p99Us: Int

    enum CodingKeys: String, CodingKey {
        case ok, other, requests, timeouts
        case firstOther = "first_other"
        case durationUs = "duration_us"
        case connectErrors = "connect_errors"
        case readErrors = "read_errors"
        case writeErrors = "write_errors"
        case p50Us = "p50_us"
        case p99Us = "p99_us"
    }
}

/// The Open311 round: wrk's answers and what intake and the grid made of them.
struct Open311Round: Sendable {
    var posts: WrkLine
    var started: Double
    var ended: Double
    var cases: Int
    var lastCase: Double
    var accepted: UInt64
    var received: UInt64
    var duplicates: UInt64
    var deadLettered: UInt64
    var refused: UInt64

    /// 200s over wrk's own duration.
    var answeredPerSecond: Double { posts.durationUs > 0 ? Double(posts.ok) / (Double(posts.durationUs) / 1e6) : 0 }
    /// 200s whose case exists, over the time from wrk's start to the last case seen.
    var casesPerSecond: Double {
        let counted = min(posts.ok, cases)
        return lastCase > started ? Double(counted) / (lastCase - started) : 0
    }
}

/// The critical readings' publish times and the cases seen, matched by the device the case's description names
/// ("…（CR-0001）…", as intake writes a sensor report), else by the device's place.
struct AlertLatency: Sendable {
    /// Seconds from publish to the watcher seeing the case, and to the case's own created_at_ms.
    var toSeen: [Double] = []
    var toCreated: [Double] = []
    var unmatched = 0
    var published = 0

    init(published: [String: Double], cases: [SeenCase], devices: [String: Gongzhi_Core_V1_Point]) {
        self.published = published.count
        var byPlace: [String: String] = [:]
        for (device, point) in devices { byPlace[Self.key(point)] = device }
        for seen in cases {
            guard let device = Self.device(named: seen.description) ?? byPlace[Self.key(seen.location)],
                let at = published[device]
            else {
                unmatched += 1
                continue
            }
            toSeen.append(seen.seen - at)
            toCreated.append(Double(seen.createdAtMs) / 1_000 - at)
        }
    }

    /// The device between full-width parentheses in a sensor case's description.
    static func device(named description: String) -> String? {
        guard let open = description.firstIndex(of: "（"),
            let close = description[open...].firstIndex(of: "）")
        else { return nil }
        return String(description[description.index(after: open)..<close])
    }

    static func key(_ point: Gongzhi_Core_V1_Point) -> String {
        "\(fixed(point.latitude, places: 5)),\(fixed(point.longitude, places: 5))"
    }
}

/// A case as the watcher first saw it.
struct SeenCase: Sendable {
    var id: String
    var source: Gongzhi_Grid_V1_Source
    var location: Gongzhi_Core_V1_Point
    var description: String
    var createdAtMs: Int64
    /// Seconds since the epoch.
    var seen: Double
}

/// Every case the watcher has seen, in the order it saw them.
final class CaseLog: Sendable {
    private struct State {
        var ids: Set<String> = []
        var cases: [SeenCase] = []
    }

    private let state = Mutex(State())

    func saw(_ seen: SeenCase) {
        state.withLock { state in
            if state.ids.insert(seen.id).inserted { state.cases.append(seen) }
        }
    }

    func cases(source: Gongzhi_Grid_V1_Source) -> [SeenCase] {
        state.withLock { $0.cases.filter { $0.source == source } }
    }
}

/// Watches objects of kind Case from now on and notes each the first time it is seen; runs until cancelled.
func watchCases(socket: String, log: CaseLog) async {
    let client = RPCClient(socketPath: socket)
    let objects = Gongzhi_Host_V1_ObjectsClient(channel: client)
    var request = Gongzhi_Host_V1_WatchRequest()
    request.kind = "Case"
    request.fromNow = true
    do {
        try await objects.watch(request) { events in
            for try await event in events where event.type != .deleted {
                let now = Date().timeIntervalSince1970
                guard let found = try? Gongzhi_Grid_V1_Case(serializedBytes: event.object.data) else { continue }
                log.saw(
                    SeenCase(
                        id: event.object.id,
                        source: found.reporter.source,
                        location: found.location,
                        description: found.description_p,
                        createdAtMs: found.createdAtMs,
                        seen: now
                    )
                )
            }
        }
    } catch {
        if !Task.isCancelled { note("the watch of Case ended: \(error)") }
    }
    await client.close()
}

/// Everything the run measured.
struct IntakeMeasurement: Sendable {
    var settings: IntakeSettings
    var startedAt = Date()
    var endedAt = Date()
    var loadAtStart = ""
    var loadAtEnd = ""
    var processesAtStart = ""
    var processesAtEnd = ""
    var baseline: MQTTRound?
    var intake: MQTTRound?
    var intakeCPUPerReading: Double?
    var drainSeconds = 0.0
    var floodWindowSeconds = 0.0
    var sensorsAfterFlood: Gongzhi_Intake_V1_SourceCounters?
    var sensorsAfterCritical: Gongzhi_Intake_V1_SourceCounters?
    var latency: AlertLatency?
    var creates: LoadResult?
    var open311: Open311Round?
    var intakeIdle = Memory(pid: nil)
    var intakeEnd = Memory(pid: nil)
    var hostIdle = Memory(pid: nil)
    var hostEnd = Memory(pid: nil)
    var gridEnd = Memory(pid: nil)
    var notes: [String] = []

    init(settings: IntakeSettings) {
        self.settings = settings
    }
}
