import GongzhiHashing
import GongzhiIntakeSchemas
import GongzhiSensorsSchemas

/// What the plugin does after the coalescer saw a reading.
public enum AlertAction: Equatable, Sendable {
    /// Create this new alert object.
    case open(Gongzhi_Intake_V1_SensorAlert)
    /// File one grid report for this alert (source SENSOR); then call `caseFiled` with its case.
    case fileReport(Gongzhi_Intake_V1_SensorAlert)
    /// Write the alert's new state (at most once per `updateInterval`, and at once when its severity rises).
    case update(Gongzhi_Intake_V1_SensorAlert)
    /// The alert cleared: write it CLEARED.
    case clear(Gongzhi_Intake_V1_SensorAlert)
}

/// Alerts per device and kind, as a value: one open alert however many readings repeat it, one grid report
/// when it first turns critical, a new report only after that case closed, and clearing after a quiet period.
/// It exists so that a device stuck at critical does not add to a case every 10 seconds.
public struct AlertCoalescer: Sendable {
    struct Key: Hashable, Sendable {
        var deviceID: String
        var kind: String
    }

    struct Open: Sendable {
        var alert: Gongzhi_Intake_V1_SensorAlert
        var lastWriteMs: Int64
        var belowSinceMs: Int64?
        /// A report was filed and its case is not known to be closed.
        var caseOpen: Bool
    }

    /// The least time between two writes of an alert's repeats.
    public var updateIntervalMs: Int64
    /// How long the values must stay under the warning limit for the alert to clear.
    public var quietPeriodMs: Int64
    private var open: [Key: Open] = [:]

    public init(updateIntervalMs: Int64 = 10_000, quietPeriodMs: Int64 = 10 * 60_000) {
        self.updateIntervalMs = updateIntervalMs
        self.quietPeriodMs = quietPeriodMs
    }

    /// The open alert of a device and kind, if any.
    public func openAlert(deviceID: String, kind: String) -> Gongzhi_Intake_V1_SensorAlert? {
        open[Key(deviceID: deviceID, kind: kind)]?.alert
    }

    /// An alert the sensor adapter answered for a reading (warning or critical).
    public mutating func observe(
        _ alert: Gongzhi_Sensors_V1_Alert,
        gridCode: String,
        atMs: Int64
    ) -> [AlertAction] {
        let key = Key(deviceID: alert.deviceID, kind: alert.kind)
        let critical = alert.severity == .critical
        guard var current = open[key] else {
            var fresh = Gongzhi_Intake_V1_SensorAlert()
            fresh.deviceID = alert.deviceID
            fresh.kind = alert.kind
            fresh.id = Self.alertID(deviceID: alert.deviceID, kind: alert.kind, openedAtMs: atMs)
            fresh.severity = alert.severity
            fresh.value = alert.value
            fresh.peakValue = alert.value
            fresh.limit = alert.limit
            fresh.message = alert.message
            fresh.location.latitude = alert.location.latitude
            fresh.location.longitude = alert.location.longitude
            fresh.gridCode = gridCode
            fresh.openedAtMs = atMs
            fresh.lastAtMs = atMs
            fresh.readings = 1
            fresh.state = .open
            open[key] = Open(alert: fresh, lastWriteMs: atMs, belowSinceMs: nil, caseOpen: critical)
            return critical ? [.open(fresh), .fileReport(fresh)] : [.open(fresh)]
        }
        let rose = alert.severity.rawValue > current.alert.severity.rawValue
        current.belowSinceMs = nil
        current.alert.readings += 1
        current.alert.value = alert.value
        current.alert.peakValue = max(current.alert.peakValue, alert.value)
        current.alert.lastAtMs = atMs
        current.alert.message = alert.message
        if rose {
            current.alert.severity = alert.severity
            current.alert.limit = alert.limit
        }
        var actions: [AlertAction] = []
        if critical, !current.caseOpen {
            current.caseOpen = true
            current.alert.caseID = ""
            actions.append(.fileReport(current.alert))
        }
        if rose || atMs - current.lastWriteMs >= updateIntervalMs {
            current.lastWriteMs = atMs
            actions.append(.update(current.alert))
        }
        open[key] = current
        return actions
    }

    /// A reading of a device and kind under the warning limit: the alert clears once the values stayed under it
    /// for the quiet period.
    public mutating func observeQuiet(deviceID: String, kind: String, atMs: Int64) -> [AlertAction] {
        let key = Key(deviceID: deviceID, kind: kind)
        guard var current = open[key] else { return [] }
        let since = current.belowSinceMs ?? atMs
        guard atMs - since >= quietPeriodMs else {
            current.belowSinceMs = since
            open[key] = current
            return []
        }
        current.alert.state = .cleared
        current.alert.clearedAtMs = atMs
        open[key] = nil
        return [.clear(current.alert)]
    }

    /// The report of an alert made this case.
    public mutating func caseFiled(deviceID: String, kind: String, caseID: String) {
        open[Key(deviceID: deviceID, kind: kind)]?.alert.caseID = caseID
    }

    /// The alert's case closed: the next critical reading files a new report.
    public mutating func caseClosed(deviceID: String, kind: String) {
        open[Key(deviceID: deviceID, kind: kind)]?.caseOpen = false
    }

    /// The case of an alert closed (whichever alert it was): the next critical reading of that device and kind
    /// files a new report.
    public mutating func caseClosed(caseID: String) {
        guard !caseID.isEmpty, let key = open.first(where: { $0.value.alert.caseID == caseID })?.key else { return }
        open[key]?.caseOpen = false
    }

    /// Takes an open alert back after a restart, as the host holds it; `caseOpen` when its case is not known to
    /// be closed.
    public mutating func restore(_ alert: Gongzhi_Intake_V1_SensorAlert, caseOpen: Bool) {
        guard alert.state == .open else { return }
        open[Key(deviceID: alert.deviceID, kind: alert.kind)] = Open(
            alert: alert,
            lastWriteMs: alert.lastAtMs,
            belowSinceMs: nil,
            caseOpen: caseOpen
        )
    }

    /// "A" and 16 hex digits of SHA-256(device "\n" kind "\n" opened_at_ms).
    public static func alertID(deviceID: String, kind: String, openedAtMs: Int64) -> String {
        "A" + SHA256.hexHash(Array("\(deviceID)\n\(kind)\n\(openedAtMs)".utf8)).prefix(16)
    }
}
