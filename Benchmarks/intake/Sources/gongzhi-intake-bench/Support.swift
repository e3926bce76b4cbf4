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

/// User and system CPU time of a process (all its threads, live and ended), in microseconds, from `/proc`.
func cpuMicros(pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
    else { return nil }
    // After the command's closing parenthesis: state is field 3, utime field 14, stime field 15.
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system) * 1_000_000 / (ticks > 0 ? ticks : 100)
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

/// The machine's load averages (1, 5 and 15 minutes), from `/proc/loadavg`.
func loadAverages() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// Nearest-rank percentiles and the mean of durations in nanoseconds, in microseconds.
struct LatencySummary: Sendable {
    var count = 0
    var p50 = 0.0
    var p99 = 0.0
    var mean = 0.0
    var max = 0.0

    init(nanoseconds values: [Int64]) {
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

    init(nanoseconds values: [UInt64]) {
        self.init(nanoseconds: values.map { Int64(clamping: $0) })
    }
}

/// A small deterministic generator (SplitMix64), so that every run reports at the same places.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A failure of the benchmark itself (a process that would not start, a world that would not load).
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A progress line on standard error.
func note(_ line: String) {
    FileHandle.standardError.write(Data(("gongzhi-intake-bench: " + line + "\n").utf8))
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

/// `number` with leading zeros to `width` digits.
func digits(_ number: Int, width: Int) -> String {
    let text = String(number)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}
