import GongzhiPluginSDK
import GongzhiRPC

/// What the host's config gives the plugin in its environment (`[plugins.points] env = { … }`):
///
/// - `POINTS_SWEEP_INTERVAL_MS`: how often due lots are expired and timed-out redemptions and pending transfers
///   voided (default 60,000).
/// - `POINTS_CLOCK_FILE`: for tests, a file holding the current time in milliseconds since the epoch, read whenever
///   the plugin needs the time, so that a test can move time forward.
struct PointsSettings: Sendable {
    var sweepInterval: Duration
    var clock: PluginClock

    static func fromEnvironment() throws -> PointsSettings {
        var interval = Duration.seconds(60)
        if let text = PluginEnvironment.processVariable("POINTS_SWEEP_INTERVAL_MS"), !text.isEmpty {
            guard let milliseconds = Int64(text), milliseconds >= 10 else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "POINTS_SWEEP_INTERVAL_MS is \"\(text)\"; give a number of milliseconds, 10 or more"
                )
            }
            interval = .milliseconds(milliseconds)
        }
        let clockFile = PluginEnvironment.processVariable("POINTS_CLOCK_FILE").flatMap { $0.isEmpty ? nil : $0 }
        return PointsSettings(sweepInterval: interval, clock: PluginClock(file: clockFile))
    }
}
