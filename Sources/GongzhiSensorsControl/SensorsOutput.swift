import GongzhiControl
import GongzhiSensorsSchemas
import SwiftProtobuf

/// What the sensors commands print.
enum SensorsOutput {
    static func check(_ response: Gongzhi_Sensors_V1_CheckResponse, readings: Int) -> String {
        var text =
            "\(readings) readings: \(response.checked) checked, \(response.alerts.count) alerts, "
            + "\(response.rejections.count) rejected\n"
        if !response.alerts.isEmpty {
            text += "\n"
            text += TextLayout.table(
                header: ["#", "SEVERITY", "DEVICE", "KIND", "VALUE", "LIMIT", "MESSAGE"],
                rows: response.alerts.map { alert in
                    [
                        String(alert.index), severity(alert.severity), alert.deviceID, alert.kind,
                        number(alert.value), number(alert.limit), alert.message,
                    ]
                }
            )
        }
        if !response.rejections.isEmpty {
            text += "\n"
            text += TextLayout.table(
                header: ["#", "REJECTED", "REASON"],
                rows: response.rejections.map {
                    [String($0.index), $0.deviceID.isEmpty ? "-" : $0.deviceID, $0.reason]
                }
            )
        }
        return text
    }

    static func thresholds(_ thresholds: [Gongzhi_Sensors_V1_Threshold]) -> String {
        TextLayout.table(
            header: ["KIND", "UNIT", "ALERT WHEN", "WARNING", "CRITICAL", "PLAUSIBLE"],
            rows: thresholds.map { threshold in
                [
                    threshold.kind, threshold.unit, threshold.direction == .below ? "at or below" : "at or above",
                    number(threshold.warning), number(threshold.critical),
                    "\(number(threshold.plausibleMin)) to \(number(threshold.plausibleMax))",
                ]
            }
        )
    }

    /// The answer in protobuf's JSON mapping with the proto's field names, for scripts.
    static func json(_ message: some SwiftProtobuf.Message) -> String {
        PluginOutput.json(message)
    }

    private static func severity(_ severity: Gongzhi_Sensors_V1_Alert.Severity) -> String {
        switch severity {
        case .critical: "critical"
        case .warning: "warning"
        default: "-"
        }
    }

    /// A value without a trailing ".0" when it is whole.
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
