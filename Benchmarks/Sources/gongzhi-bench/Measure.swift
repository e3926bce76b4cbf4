import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The JSON line a `bench-client` prints.
struct ClientReport: Decodable, Sendable {
    var impl: String
    var payload: Int
    var concurrency: Int
    /// How many connections the calls were spread over, where the client says (`gongzhi-echo` does).
    var connections: Int?
    var calls: Int
    var p50Micros: Double
    var p99Micros: Double
    var callsPerSecond: Double
    /// The client's CPU time over the measured calls, where the client reports it (ours, Go's and C's do).
    var clientCPUSeconds: Double?
    /// The client's minor page faults over the measured calls, where the client reports them.
    var clientMinorFaults: Double?
    /// The method called, when it is not Echo/Unary (`gongzhi-echo bench-client --method directory`).
    var method: String?
    /// The size of one answer as received, in bytes, where the client reports it (the directory calls).
    var responseBytes: Int?
    /// Whether the answers showed the fields marked sensitive, where the client reports it (the directory calls
    /// and the listings).
    var sensitiveShown: Bool?
    /// For listings (`--method residents`): the objects one listing returned, and the pages (calls) it took.
    var objects: Int?
    var pages: Int?

    enum CodingKeys: String, CodingKey {
        case impl
        case payload
        case concurrency
        case connections
        case calls
        case p50Micros = "p50_us"
        case p99Micros = "p99_us"
        case callsPerSecond = "calls_per_sec"
        case clientCPUSeconds = "client_cpu_seconds"
        case clientMinorFaults = "client_minor_faults"
        case method
        case responseBytes = "response_bytes"
        case sensitiveShown = "sensitive_shown"
        case objects
        case pages
    }

    /// The median of each figure over several runs; nil if there are none.
    static func median(of reports: [ClientReport]) -> ClientReport? {
        guard var combined = reports.first else { return nil }
        func middle(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let half = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
        }
        combined.p50Micros = middle(reports.map(\.p50Micros))
        combined.p99Micros = middle(reports.map(\.p99Micros))
        combined.callsPerSecond = middle(reports.map(\.callsPerSecond))
        let cpu = reports.compactMap(\.clientCPUSeconds)
        combined.clientCPUSeconds = cpu.isEmpty ? nil : middle(cpu)
        let faults = reports.compactMap(\.clientMinorFaults)
        combined.clientMinorFaults = faults.isEmpty ? nil : middle(faults)
        return combined
    }

    /// Decodes the last JSON object line of a client's output.
    static func parse(_ output: String) throws -> ClientReport {
        let line = output.split(whereSeparator: \.isNewline).last {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("{")
        }
        guard let line else {
            throw BenchFailure("client printed no JSON line")
        }
        do {
            return try JSONDecoder().decode(ClientReport.self, from: Data(line.utf8))
        } catch {
            throw BenchFailure("client printed an unreadable result: \(line.prefix(120))")
        }
    }
}

/// How many calls each client run makes.
struct RunSettings: Sendable {
    var sequentialCalls: Int
    var warmup: Int
    var concurrency: Int
    var concurrentCallsSmall: Int
    var concurrentCallsLarge: Int
    /// Payloads of at least this many bytes use `concurrentCallsLarge`.
    var largePayload: Int = 16 * 1024
    /// Payloads of at least this many bytes make a tenth of the calls of every run, warm-up included.
    var hugePayload: Int = 512 * 1024
    var clientTimeout: Double
    var readyTimeout: Double = 60

    func concurrentCalls(payload: Int) -> Int {
        let calls = payload >= self.largePayload ? self.concurrentCallsLarge : self.concurrentCallsSmall
        return self.scaled(calls, payload: payload)
    }

    func sequentialCalls(payload: Int) -> Int {
        self.scaled(self.sequentialCalls, payload: payload)
    }

    func warmup(payload: Int) -> Int {
        payload >= self.hugePayload ? self.warmup / 10 : self.warmup
    }

    private func scaled(_ calls: Int, payload: Int) -> Int {
        payload >= self.hugePayload ? max(1, calls / 10) : calls
    }
}

/// What serving one client run cost the server per call (warm-up calls included), from `/proc/PID/stat`.
struct ServerCost: Sendable {
    var cpuMicros: Double
    var minorFaults: Double

    /// The median of each figure over several runs; nil if there are none.
    static func median(of costs: [ServerCost]) -> ServerCost? {
        guard !costs.isEmpty else { return nil }
        func middle(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let half = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
        }
        return ServerCost(
            cpuMicros: middle(costs.map(\.cpuMicros)),
            minorFaults: middle(costs.map(\.minorFaults))
        )
    }
}

/// A process's CPU time (all threads, in microseconds) and minor page faults so far, from `/proc/PID/stat`.
struct ProcessUsage {
    var cpuMicros: Double
    var minorFaults: Double

    init?(pid: pid_t) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // After the command's closing parenthesis: state is field 3, minflt field 10, utime 14, stime 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let faults = Double(fields[7]), let user = Double(fields[11]),
            let system = Double(fields[12])
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        self.cpuMicros = (user + system) * 1_000_000 / (ticks > 0 ? ticks : 100)
        self.minorFaults = faults
    }
}

/// The figures of one implementation at one payload size; nil where a step failed.
struct Measurement: Sendable {
    var peerID: Peer.ID
    var name: String
    var payload: Int
    var sequential: ClientReport?
    var concurrent: ClientReport?
    /// What the server spent per call serving the sequential and the concurrent run.
    var serverSequential: ServerCost?
    var serverConcurrent: ServerCost?
    var peakResidentKiB: Int?
    var notes: [String] = []

    var isOurs: Bool { self.peerID == .gongzhi }

    /// Combines repeated measurements of one implementation and payload: the median of every figure over the
    /// runs that produced it, the highest peak RSS, and every distinct note.
    static func median(of runs: [Measurement]) -> Measurement {
        guard var combined = runs.first, runs.count > 1 else { return runs.first! }
        combined.sequential = ClientReport.median(of: runs.compactMap(\.sequential))
        combined.concurrent = ClientReport.median(of: runs.compactMap(\.concurrent))
        combined.serverSequential = ServerCost.median(of: runs.compactMap(\.serverSequential))
        combined.serverConcurrent = ServerCost.median(of: runs.compactMap(\.serverConcurrent))
        combined.peakResidentKiB = runs.compactMap(\.peakResidentKiB).max()
        combined.notes = []
        for note in runs.flatMap(\.notes) where !combined.notes.contains(note) {
            combined.notes.append(note)
        }
        let failed = runs.filter { $0.sequential == nil || $0.concurrent == nil }.count
        if failed > 0 {
            combined.notes.insert("\(failed) of \(runs.count) runs incomplete", at: 0)
        }
        return combined
    }
}

/// Starts a fresh server, runs the sequential and the concurrent client against it, and reads the server's
/// peak RSS just before stopping it.
func measure(
    _ peer: Peer,
    payload: Int,
    settings: RunSettings,
    socketDir: String,
    logsDir: String
) -> Measurement {
    var result = Measurement(peerID: peer.id, name: peer.name, payload: payload)
    let tag = "\(peer.id.rawValue)-\(payload)"
    let socket = "\(socketDir)/\(tag).sock"

    let server: Child
    do {
        server = try Child(peer.serverArgv + ["--socket", socket], logPath: "\(logsDir)/server-\(tag).log")
    } catch {
        result.notes.append("server did not start: \(error)")
        return result
    }
    defer { server.stop() }
    guard let serverOutput = server.output, serverOutput.waitForLine("READY", timeout: settings.readyTimeout) else {
        result.notes.append(server.failureReason("server never printed READY"))
        return result
    }

    func client(_ phase: String, calls: Int, concurrency: Int) -> (ClientReport, ServerCost?)? {
        guard server.isRunning else { return nil }
        let warmup = settings.warmup(payload: payload)
        let argv =
            peer.clientArgv + [
                "--socket", socket,
                "--payload", String(payload),
                "--calls", String(calls),
                "--concurrency", String(concurrency),
                "--warmup", String(warmup),
            ]
        do {
            let before = ProcessUsage(pid: server.pid)
            let output = try runToCompletion(
                argv,
                logPath: "\(logsDir)/client-\(tag)-c\(concurrency).log",
                timeout: settings.clientTimeout
            )
            let after = ProcessUsage(pid: server.pid)
            let report = try ClientReport.parse(output)
            guard report.payload == payload, report.concurrency == concurrency, report.calls == calls else {
                throw BenchFailure("client reported another run than asked for")
            }
            var cost: ServerCost?
            if let before, let after {
                let made = Double(calls + warmup)
                cost = ServerCost(
                    cpuMicros: (after.cpuMicros - before.cpuMicros) / made,
                    minorFaults: (after.minorFaults - before.minorFaults) / made
                )
            }
            progress(
                "  \(peer.name), \(formatPayload(payload)), \(concurrency) in flight: "
                    + "p50 \(fixed(report.p50Micros, places: 1)) µs, p99 \(fixed(report.p99Micros, places: 1)) µs, "
                    + "\(grouped(Int(report.callsPerSecond.rounded()))) calls/s"
                    + (cost.map {
                        "; server \(fixed($0.cpuMicros, places: 1)) µs, \(fixed($0.minorFaults, places: 2)) faults per call"
                    } ?? "")
            )
            return (report, cost)
        } catch {
            result.notes.append("\(phase): \(error)")
            progress("  \(peer.name), \(formatPayload(payload)), \(phase) failed: \(error)")
            return nil
        }
    }

    if let run = client("sequential", calls: settings.sequentialCalls(payload: payload), concurrency: 1) {
        result.sequential = run.0
        result.serverSequential = run.1
    }
    let concurrent = client(
        "\(settings.concurrency) in flight",
        calls: settings.concurrentCalls(payload: payload),
        concurrency: settings.concurrency
    )
    if let concurrent {
        result.concurrent = concurrent.0
        result.serverConcurrent = concurrent.1
    }

    if server.isRunning {
        result.peakResidentKiB = peakResidentKiB(pid: server.pid)
    } else {
        result.notes.append(server.failureReason("server died"))
    }
    return result
}

func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func formatPayload(_ bytes: Int) -> String {
    if bytes >= 1024 && bytes % 1024 == 0 {
        return "\(bytes / 1024) KiB"
    }
    return "\(bytes) B"
}
