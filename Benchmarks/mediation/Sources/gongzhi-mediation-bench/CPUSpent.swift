#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time spent over a stretch, in microseconds: gongzhi-host's, gongzhi-mediation's and this process's.
struct CPUSpent: Sendable {
    var host = 0.0
    var plugin = 0.0
    var client = 0.0

    static func + (left: CPUSpent, right: CPUSpent) -> CPUSpent {
        CPUSpent(host: left.host + right.host, plugin: left.plugin + right.plugin, client: left.client + right.client)
    }
}

/// The CPU time of the host, the plugin and this process when it was made; `since()` answers what they spent
/// after it (from `/proc/PID/stat` and `getrusage`).
struct ProcessCPU: Sendable {
    let hostPID: Int32
    let pluginPID: Int32
    private let host: Double
    private let plugin: Double
    private let client: Double

    init(host hostPID: Int32, plugin pluginPID: Int32) {
        self.hostPID = hostPID
        self.pluginPID = pluginPID
        self.host = cpuMicros(pid: hostPID) ?? 0
        self.plugin = cpuMicros(pid: pluginPID) ?? 0
        self.client = ownCPUMicros()
    }

    func since() -> CPUSpent {
        CPUSpent(
            host: (cpuMicros(pid: hostPID) ?? host) - host,
            plugin: (cpuMicros(pid: pluginPID) ?? plugin) - plugin,
            client: ownCPUMicros() - client
        )
    }
}

/// The machine's processor time so far, busy and in all, from the `cpu` line of `/proc/stat` (every process on
/// the machine, the neighbours' too).
struct MachineTicks: Sendable {
    var busy: UInt64 = 0
    var total: UInt64 = 0

    static func now() -> MachineTicks {
        var ticks = MachineTicks()
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return ticks }
        // user nice system idle iowait irq softirq steal (guest time is within user already).
        let fields = line.split(separator: " ").dropFirst().prefix(8).map { UInt64($0) ?? 0 }
        guard fields.count == 8 else { return ticks }
        ticks.busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        ticks.total = ticks.busy + fields[3] + fields[4]
        return ticks
    }

    /// The share of all processors that processes other than ours kept busy since `earlier`, given the CPU
    /// microseconds ours spent meanwhile.
    func othersShare(since earlier: MachineTicks, oursMicros: Double, seconds: Double, processors: Int) -> Double? {
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard hertz > 0, seconds > 0, processors > 0, busy >= earlier.busy else { return nil }
        let busyMicros = Double(busy - earlier.busy) / hertz * 1e6
        return max(0, busyMicros - oursMicros) / (seconds * 1e6 * Double(processors))
    }
}
