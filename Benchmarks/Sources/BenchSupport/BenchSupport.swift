import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The options every `bench-client` command takes, whatever the implementation behind it.
public struct BenchClientOptions: ParsableArguments, Sendable {
    @Option(help: "Path of the server's Unix-domain socket.")
    public var socket: String

    @Option(help: "Payload size in bytes, echoed back unchanged.")
    public var payload: Int = 100

    @Option(help: "Number of measured calls.")
    public var calls: Int = 20_000

    @Option(help: "Number of calls in flight at once on the single connection.")
    public var concurrency: Int = 1

    @Option(help: "Number of unmeasured calls made first, at the same concurrency.")
    public var warmup: Int = 2_000

    public init() {}

    public func validate() throws {
        guard self.payload >= 0 else { throw ValidationError("--payload must not be negative") }
        guard self.calls > 0 else { throw ValidationError("--calls must be positive") }
        guard self.concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard self.warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }
}

/// Nanoseconds on the monotonic clock.
@inline(__always)
public func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// One line of `bench-client` output.
public struct BenchResult: Sendable, Equatable {
    public var impl: String
    public var payload: Int
    public var concurrency: Int
    public var calls: Int
    public var p50Micros: Double
    public var p99Micros: Double
    public var callsPerSecond: Double

    public init(
        impl: String,
        payload: Int,
        concurrency: Int,
        calls: Int,
        p50Micros: Double,
        p99Micros: Double,
        callsPerSecond: Double
    ) {
        self.impl = impl
        self.payload = payload
        self.concurrency = concurrency
        self.calls = calls
        self.p50Micros = p50Micros
        self.p99Micros = p99Micros
        self.callsPerSecond = callsPerSecond
    }

    /// Summarises per-call latencies (in nanoseconds, any order) and the wall time of the measured phase.
    public init(
        impl: String,
        payload: Int,
        concurrency: Int,
        latenciesNanos: [UInt64],
        elapsedNanos: UInt64
    ) {
        let sorted = latenciesNanos.sorted()
        self.init(
            impl: impl,
            payload: payload,
            concurrency: concurrency,
            calls: sorted.count,
            p50Micros: Double(Self.percentile(sorted, 0.50)) / 1_000,
            p99Micros: Double(Self.percentile(sorted, 0.99)) / 1_000,
            callsPerSecond: elapsedNanos == 0 ? 0 : Double(sorted.count) * 1e9 / Double(elapsedNanos)
        )
    }

    /// Nearest-rank percentile of an ascending array; 0 when it is empty.
    public static func percentile(_ sorted: [UInt64], _ fraction: Double) -> UInt64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((Double(sorted.count) * fraction).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The single JSON line of the client contract, keys in the documented order.
    public var jsonLine: String {
        let name = self.impl.filter { $0 != "\"" && $0 != "\\" }
        return "{\"impl\":\"\(name)\",\"payload\":\(self.payload),\"concurrency\":\(self.concurrency),"
            + "\"calls\":\(self.calls),\"p50_us\":\(Self.decimal(self.p50Micros, places: 2)),"
            + "\"p99_us\":\(Self.decimal(self.p99Micros, places: 2)),"
            + "\"calls_per_sec\":\(Self.decimal(self.callsPerSecond, places: 1))}"
    }

    /// Fixed-point rendering without Foundation.
    public static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let unit = Int64(scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return "\(sign)\(scaled)" }
        var fraction = String(scaled % unit)
        while fraction.count < places { fraction = "0" + fraction }
        return "\(sign)\(scaled / unit).\(fraction)"
    }
}

/// Writes a line to standard output and flushes it, so that a parent reading a pipe sees it at once.
public func printFlushed(_ line: String) {
    print(line)
    fflush(nil)
}
