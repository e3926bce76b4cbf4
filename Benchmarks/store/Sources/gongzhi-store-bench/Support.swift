import ArgumentParser
import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where to call the host and as whom.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The host's socket: admin.sock (as an administrator) or host.sock (with --token).")
    var socket: String

    @Option(help: "A client token, presented in the gongzhi-token metadata entry (for host.sock).")
    var token: String?

    /// A new connection of its own, and the Objects client on it.
    func connect() -> (connection: RPCClient, objects: Gongzhi_Host_V1_ObjectsClient) {
        let connection = RPCClient(socketPath: socket)
        guard let token else { return (connection, Gongzhi_Host_V1_ObjectsClient(channel: connection)) }
        let channel = connection.addingMetadata(["gongzhi-token": token])
        return (connection, Gongzhi_Host_V1_ObjectsClient(channel: channel))
    }

    /// Options of a unary call: generous, so that a slow call is measured rather than failed.
    var unaryOptions: CallOptions { CallOptions(timeout: .seconds(60)) }
}

/// Nanoseconds on the monotonic clock.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Nanoseconds since 1970 on the wall clock, which the host's commit times on watch events are read from.
func wallClockNanos() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec)
}

/// User and system CPU time of this process so far, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Nearest-rank percentiles of durations in nanoseconds, in microseconds.
struct LatencySummary {
    var p50: Double
    var p99: Double
    var p999: Double
    var max: Double

    init(nanoseconds values: [Int64]) {
        let sorted = values.sorted()
        func rank(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((Double(sorted.count) * fraction).rounded(.up))
            return Double(sorted[min(Swift.max(rank, 1), sorted.count) - 1]) / 1_000
        }
        self.p50 = rank(0.50)
        self.p99 = rank(0.99)
        self.p999 = rank(0.999)
        self.max = sorted.last.map { Double($0) / 1_000 } ?? 0
    }

    init(nanoseconds values: [UInt64]) {
        self.init(nanoseconds: values.map { Int64(clamping: $0) })
    }
}

/// The one JSON line every command prints (the C peer prints the same keys).
struct PhaseReport: Encodable {
    var phase: String
    var connections: Int
    /// Calls counted (completed within the measured window).
    var calls: Int
    /// The measured window.
    var seconds: Double
    var perSec: Double
    var p50Us: Double
    var p99Us: Double
    var p999Us: Double
    var maxUs: Double
    var failures: Int
    var clientCpuSeconds: Double
    var dataBytesAvg: Double?
    /// Objects read or written (lists and preloading).
    var objects: Int?
    var objectsPerSec: Double?
    /// Watch: events received by all watchers, and how many were expected.
    var events: Int?
    var expectedEvents: Int?
    /// Watch: from the Create's acknowledgement to the event's arrival (negative when the event came first).
    var ackP50Us: Double?
    var ackP99Us: Double?
    var ackMaxUs: Double?
    /// Watch: from the commit time the host stamped on each event to its arrival (both on this machine's wall
    /// clock).
    var commitP50Us: Double?
    var commitP99Us: Double?
    var commitP999Us: Double?
    var commitMaxUs: Double?
    /// Watch: the writer's Create calls.
    var createP50Us: Double?
    var createP99Us: Double?

    init(phase: String, connections: Int, calls: Int, seconds: Double, latencies: LatencySummary, failures: Int) {
        self.phase = phase
        self.connections = connections
        self.calls = calls
        self.seconds = seconds
        self.perSec = seconds > 0 ? Double(calls) / seconds : 0
        self.p50Us = latencies.p50
        self.p99Us = latencies.p99
        self.p999Us = latencies.p999
        self.maxUs = latencies.max
        self.failures = failures
        self.clientCpuSeconds = processCPUSeconds()
    }

    func print() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        Swift.print(String(decoding: try encoder.encode(self), as: UTF8.self))
        fflush(nil)
    }
}

/// A progress line on standard error.
func note(_ line: String) {
    FileHandle.standardError.write(Data(("gongzhi-store-bench: " + line + "\n").utf8))
}

/// Gives up after this many failed calls in a row on one connection: the host is gone or refusing.
let maximumConsecutiveFailures = 20

/// A call that failed too often in a row.
struct TooManyFailures: Error, CustomStringConvertible {
    var last: any Error
    var description: String { "\(maximumConsecutiveFailures) calls in a row failed; the last with: \(last)" }
}
