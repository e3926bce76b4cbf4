import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Nanoseconds on the monotonic clock.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// User and system CPU time of this process so far, in microseconds.
func ownCPUMicros() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}

/// The CPU fields of `/proc/PID/stat`, in microseconds: the process's own user and system time (all its threads),
/// and that of its children it has waited for; and its parent's id.
private struct ProcessTimes {
    var own: Double
    var waitedChildren: Double
    var parent: Int32

    init?(pid: Int32) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // After the command's closing parenthesis: state is field 3, ppid 4, utime 14, stime 15, cutime 16,
        // cstime 17.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 14, let parent = Int32(fields[1]), let user = Double(fields[11]),
            let system = Double(fields[12]), let childUser = Double(fields[13]), let childSystem = Double(fields[14])
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let micros = 1_000_000 / (ticks > 0 ? ticks : 100)
        self.own = (user + system) * micros
        self.waitedChildren = (childUser + childSystem) * micros
        self.parent = parent
    }
}

/// User and system CPU time of a process (all its threads), in microseconds, from `/proc`.
func cpuMicros(pid: Int32) -> Double? {
    ProcessTimes(pid: pid)?.own
}

/// VmRSS and VmHWM of a process, in kibibytes, from `/proc/PID/status`.
struct Memory: Sendable {
    var residentKiB: Int?
    var peakKiB: Int?

    init(pid: Int32?) {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            return
        }
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
            guard fields.count >= 2, let value = Int(fields[1]) else { continue }
            if fields[0] == "VmRSS" { self.residentKiB = value }
            if fields[0] == "VmHWM" { self.peakKiB = value }
        }
    }
}

/// The machine's state at one moment: processors, load averages and memory.
struct MachineState: Sendable {
    var processors: Int
    /// The load averages over 1, 5 and 15 minutes, from `/proc/loadavg`.
    var loadAverages: String
    /// `MemAvailable` and `MemTotal` from `/proc/meminfo`, in kibibytes.
    var availableKiB: Int?
    var totalKiB: Int?

    static func now() -> MachineState {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
        var state = MachineState(
            processors: ProcessInfo.processInfo.activeProcessorCount,
            loadAverages: load ?? "n/a"
        )
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        for line in memory.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == ":" })
            guard fields.count >= 2, let value = Int(fields[1]) else { continue }
            if fields[0] == "MemAvailable" { state.availableKiB = value }
            if fields[0] == "MemTotal" { state.totalKiB = value }
        }
        return state
    }

    /// "2 processors, load average 0.24 0.67 1.27, 21,341 of 24,105 MiB of memory available".
    var summary: String {
        let memory: String
        if let availableKiB, let totalKiB {
            memory = "\(grouped(availableKiB / 1024)) of \(grouped(totalKiB / 1024)) MiB of memory available"
        } else {
            memory = "memory n/a"
        }
        return "\(processors) processors, load average \(loadAverages), \(memory)"
    }

    /// The load average over the last minute.
    var oneMinuteLoad: String { String(loadAverages.split(separator: " ").first ?? "n/a") }
}

/// Nearest-rank percentiles and the mean of durations in nanoseconds, in microseconds.
struct LatencySummary: Sendable {
    var count = 0
    var p50 = 0.0
    var p99 = 0.0
    var mean = 0.0
    var max = 0.0

    init(nanoseconds values: [UInt64]) {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return }
        func rank(_ fraction: Double) -> Double {
            let rank = Int((Double(sorted.count) * fraction).rounded(.up))
            return Double(sorted[min(Swift.max(rank, 1), sorted.count) - 1]) / 1_000
        }
        self.count = sorted.count
        self.p50 = rank(0.50)
        self.p99 = rank(0.99)
        self.mean = Double(sorted.reduce(0, +)) / Double(sorted.count) / 1_000
        self.max = Double(sorted[sorted.count - 1]) / 1_000
    }
}

/// A failure of the benchmark itself (a process that would not start, a count that does not add up).
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A progress line on standard error.
func note(_ line: String) {
    FileHandle.standardError.write(Data(("gongzhi-mediation-bench: " + line + "\n").utf8))
}

/// `value` with `places` decimals.
func fixed(_ value: Double, places: Int) -> String {
    String(format: "%.\(places)f", value)
}

/// An integer with thousands separators: 20,000.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(character)
    }
    return (value < 0 ? "-" : "") + out
}
