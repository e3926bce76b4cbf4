import Foundation

/// The machine's counters that tell what a run was bound by: CPU time of all processors (`/proc/stat`), and the
/// disks' bytes written and busy time (`/proc/diskstats`, whole disks under `/sys/block` but loop, ram and zram
/// devices). They count every process on the machine, the neighbours' too.
struct MachineCounters: Sendable {
    /// Clock ticks of all processors: busy (user, nice, system, irq, softirq, steal) and in all.
    var busyTicks: UInt64 = 0
    var totalTicks: UInt64 = 0
    var sectorsWritten: UInt64 = 0
    /// Milliseconds during which a disk had I/O in flight.
    var diskBusyMillis: UInt64 = 0

    static func now() -> MachineCounters {
        var counters = MachineCounters()
        let stat = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
        if let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) {
            // user nice system idle iowait irq softirq steal (guest time is within user already).
            let ticks = line.split(separator: " ").dropFirst().prefix(8).map { UInt64($0) ?? 0 }
            if ticks.count == 8 {
                counters.busyTicks = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
                counters.totalTicks = counters.busyTicks + ticks[3] + ticks[4]
            }
        }
        let disks = Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []).filter {
                !$0.hasPrefix("loop") && !$0.hasPrefix("ram") && !$0.hasPrefix("zram")
            }
        )
        let diskstats = (try? String(contentsOfFile: "/proc/diskstats", encoding: .utf8)) ?? ""
        for line in diskstats.split(separator: "\n") {
            // major minor name reads merged sectors ms writes merged sectors-written ms in-flight ms-busy ...
            let fields = line.split(separator: " ")
            guard fields.count > 12, disks.contains(String(fields[2])) else { continue }
            counters.sectorsWritten += UInt64(fields[9]) ?? 0
            counters.diskBusyMillis += UInt64(fields[12]) ?? 0
        }
        return counters
    }

    /// What happened between `earlier` and this.
    func since(_ earlier: MachineCounters) -> MachineActivity {
        let total = totalTicks &- earlier.totalTicks
        return MachineActivity(
            cpuBusy: total > 0 ? Double(busyTicks &- earlier.busyTicks) / Double(total) : nil,
            bytesWritten: (sectorsWritten &- earlier.sectorsWritten) * 512,
            diskBusyMillis: diskBusyMillis &- earlier.diskBusyMillis
        )
    }
}

/// The machine during one run.
struct MachineActivity: Sendable {
    /// The share of all processors' time that was busy (0 to 1).
    var cpuBusy: Double?
    var bytesWritten: UInt64
    var diskBusyMillis: UInt64
}

/// Nanoseconds the threads of a process have spent waiting for a processor while ready to run (the second
/// field of `/proc/PID/task/TID/schedstat`), summed over its live threads.
func runQueueWaitNanos(pid: Int32) -> UInt64? {
    guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
    var total: UInt64 = 0
    for thread in threads {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/schedstat", encoding: .utf8)
        else { continue }
        let fields = text.split(separator: " ")
        if fields.count >= 2 { total += UInt64(fields[1]) ?? 0 }
    }
    return total
}
