import Foundation

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
    /// The client's CPU time over the measured calls, where the client reports it (`gongzhi-echo` does).
    var clientCPUSeconds: Double?
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
    var clientTimeout: Double
    var readyTimeout: Double = 60

    func concurrentCalls(payload: Int) -> Int {
        payload >= self.largePayload ? self.concurrentCallsLarge : self.concurrentCallsSmall
    }
}

/// The figures of one implementation at one payload size; nil where a step failed.
struct Measurement: Sendable {
    var peerID: Peer.ID
    var name: String
    var payload: Int
    var sequential: ClientReport?
    var concurrent: ClientReport?
    var peakResidentKiB: Int?
    var notes: [String] = []

    var isOurs: Bool { self.peerID == .gongzhi }

    /// Combines repeated measurements of one implementation and payload: the median of every figure over the
    /// runs that produced it, the highest peak RSS, and every distinct note.
    static func median(of runs: [Measurement]) -> Measurement {
        guard var combined = runs.first, runs.count > 1 else { return runs.first! }
        combined.sequential = ClientReport.median(of: runs.compactMap(\.sequential))
        combined.concurrent = ClientReport.median(of: runs.compactMap(\.concurrent))
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

    func client(_ phase: String, calls: Int, concurrency: Int) -> ClientReport? {
        guard server.isRunning else { return nil }
        let argv =
            peer.clientArgv + [
                "--socket", socket,
                "--payload", String(payload),
                "--calls", String(calls),
                "--concurrency", String(concurrency),
                "--warmup", String(settings.warmup),
            ]
        do {
            let output = try runToCompletion(
                argv,
                logPath: "\(logsDir)/client-\(tag)-c\(concurrency).log",
                timeout: settings.clientTimeout
            )
            let report = try ClientReport.parse(output)
            guard report.payload == payload, report.concurrency == concurrency, report.calls == calls else {
                throw BenchFailure("client reported another run than asked for")
            }
            progress(
                "  \(peer.name), \(formatPayload(payload)), \(concurrency) in flight: "
                    + "p50 \(fixed(report.p50Micros, places: 1)) µs, p99 \(fixed(report.p99Micros, places: 1)) µs, "
                    + "\(grouped(Int(report.callsPerSecond.rounded()))) calls/s"
            )
            return report
        } catch {
            result.notes.append("\(phase): \(error)")
            progress("  \(peer.name), \(formatPayload(payload)), \(phase) failed: \(error)")
            return nil
        }
    }

    result.sequential = client("sequential", calls: settings.sequentialCalls, concurrency: 1)
    result.concurrent = client(
        "\(settings.concurrency) in flight",
        calls: settings.concurrentCalls(payload: payload),
        concurrency: settings.concurrency
    )

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
