import GongzhiIntakeSchemas

/// Readings of a gateway's sensor devices, batch after batch, as the gateway publishes them on
/// `gz/v1/gateways/{gateway}/readings`: one JSON array a batch, each reading with its device, kind, value, time
/// (milliseconds since the epoch) and the device's sequence number. Quiet values under the sensor adapter's warning
/// limits, except that every `criticalEvery` batches one of the gateway's water-level devices (in turn) rises
/// through the warning limit past the critical one and falls back. The values depend only on the seed, the
/// devices and the batch's number; the times on the first batch's time and the interval.
struct SensorSimulator {
    typealias Kind = XCommunityIntakePlan.SensorKind

    /// The devices of the gateway, in the order of their ids.
    let devices: [Gongzhi_Intake_V1_SensorDevice]
    let gatewayID: String
    let seed: UInt64
    let startMs: Int64
    let intervalMs: Int64
    /// 0: never critical.
    let criticalEvery: Int

    /// A water-level rise, in tenths of a centimetre, batch by batch: past the warning limit (15 cm) at its second
    /// step and the critical one (30 cm) at its fourth.
    static let rise = [120, 210, 290, 345, 380, 330, 240, 150, 80]

    init(
        devices: [Gongzhi_Intake_V1_SensorDevice],
        gatewayID: String,
        seed: UInt64,
        startMs: Int64,
        intervalMs: Int64,
        criticalEvery: Int
    ) {
        self.devices = devices.filter { $0.gatewayID == gatewayID }.sorted { $0.id < $1.id }
        self.gatewayID = gatewayID
        self.seed = seed
        self.startMs = startMs
        self.intervalMs = intervalMs
        self.criticalEvery = criticalEvery
    }

    /// The water-level devices, and where in its cycle the gateway's first rise starts (so that the gateways of a
    /// community do not all rise at once).
    private var waterLevelDevices: [String] {
        devices.filter { $0.kinds.contains(Kind.waterLevel.rawValue) }.map(\.id)
    }

    private var phase: Int {
        guard criticalEvery > 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in gatewayID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(hash % UInt64(criticalEvery))
    }

    /// The device rising at batch `batch`, and the step of its rise, if any.
    func rising(at batch: Int) -> (device: String, step: Int)? {
        let candidates = waterLevelDevices
        guard criticalEvery > 0, !candidates.isEmpty else { return nil }
        // Rises start at the batches phase + k·criticalEvery (k ≥ 0, batch ≥ 1).
        let sinceFirst = batch - phase - (phase == 0 ? criticalEvery : 0)
        guard sinceFirst >= 0 else { return nil }
        let step = sinceFirst % criticalEvery
        guard step < Self.rise.count else { return nil }
        let rise = sinceFirst / criticalEvery
        return (candidates[rise % candidates.count], step)
    }

    /// Batch `batch` (0, 1, …): one line of JSON, without its newline.
    func line(_ batch: Int) -> String {
        let time = startMs + Int64(batch) * intervalMs
        let rising = rising(at: batch)
        var readings: [String] = []
        for device in devices {
            for kindName in device.kinds {
                guard let kind = Kind(rawValue: kindName) else { continue }
                var tenths = quietTenths(device: device.id, kind: kind, batch: batch)
                if let rising, rising.device == device.id, kind == .waterLevel {
                    tenths = Self.rise[rising.step]
                }
                readings.append(
                    #"{"device_id":"\#(device.id)","kind":"\#(kind.rawValue)","value":\#(Self.decimal(tenths)),"#
                        + #""time_unix_ms":\#(time),"seq":\#(batch + 1)}"#
                )
            }
        }
        return "[" + readings.joined(separator: ",") + "]"
    }

    /// A quiet value in tenths of the kind's unit: a level of the device's own, wandering a little from batch to
    /// batch, always under the warning limit.
    func quietTenths(device: String, kind: Kind, batch: Int) -> Int {
        var own = SplitMix64(seed: seed, stream: "sensors-\(device)-\(kind.rawValue)")
        var drawn = SplitMix64(seed: seed ^ UInt64(batch), stream: "sensors-\(device)-\(kind.rawValue)")
        let (level, wander): (Int, Int) =
            switch kind {
            case .waterLevel: (own.int(in: 0...30), 20)
            case .smoke: (own.int(in: 0...2), 2)
            case .manholeTilt: (own.int(in: 5...40), 6)
            }
        return min(kind.warningTenths - 1, max(0, level + drawn.int(in: -wander...wander)))
    }

    /// Tenths as a decimal number: 345 → "34.5".
    static func decimal(_ tenths: Int) -> String {
        "\(tenths / 10).\(tenths % 10)"
    }

    /// An interval from a rate such as `2/s`, `30/min` or `600/h`: milliseconds between batches.
    static func interval(ofRate text: String) -> Int64? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int64(parts[0]), count > 0 else { return nil }
        let unit: Int64
        switch parts[1] {
        case "s": unit = 1_000
        case "min": unit = 60_000
        case "h": unit = 3_600_000
        default: return nil
        }
        guard unit / count >= 1 else { return nil }
        return unit / count
    }
}
