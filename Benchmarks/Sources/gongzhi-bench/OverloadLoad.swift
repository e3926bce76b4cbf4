import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The overload benchmark's load generators and probe, each run by the runner as a process of its own
/// (`gongzhi-bench overload-heavy …`), so that none shares the measuring client's threads. Each talks ttrpc to
/// host.sock by hand, counts whatever limit the host answers with (RESOURCE_EXHAUSTED, a closed connection, a
/// refused connect) instead of failing on it, and prints one JSON line when it stops: when its stop file appears
/// or its time is up.
struct OverloadLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-bench",
        abstract: "The overload benchmark's load generators and probe (started by the runner, one process each).",
        subcommands: [
            OverloadHeavyReader.self, OverloadMuteClient.self, OverloadIdleConnections.self, OverloadProbe.self,
        ]
    )

    /// The names that select one of these commands as the runner's first argument.
    static let names = Set(Self.configuration.subcommands.map { $0.configuration.commandName ?? "" })
}

/// Where a load generator calls and when it stops.
struct OverloadLoadOptions: ParsableArguments {
    @Option(help: "The host's socket (host.sock).")
    var socket: String

    @Option(help: "The token to present in the gongzhi-token metadata entry.")
    var token: String = ""

    @Option(help: "Stop once this file exists.")
    var stopFile: String?

    @Option(help: "Stop after this many seconds at the latest.")
    var maxSeconds: Double = 600

    func stopCondition() -> StopCondition {
        StopCondition(file: self.stopFile, deadline: ContinuousClock.now + .milliseconds(Int(self.maxSeconds * 1000)))
    }
}

/// When a load generator stops: its stop file exists (looked for at most every 50 ms) or its deadline passed.
struct StopCondition {
    var file: String?
    var deadline: ContinuousClock.Instant
    private var checkedAt = ContinuousClock.now
    private var stopped = false

    init(file: String?, deadline: ContinuousClock.Instant) {
        self.file = file
        self.deadline = deadline
    }

    var reached: Bool {
        mutating get {
            if self.stopped { return true }
            let now = ContinuousClock.now
            if now >= self.deadline {
                self.stopped = true
            } else if let file, now - self.checkedAt >= .milliseconds(50) {
                self.checkedAt = now
                self.stopped = access(file, F_OK) == 0
            }
            return self.stopped
        }
    }
}

/// The id of the `number`th Resident the overload benchmark stores.
func overloadResidentID(_ number: Int) -> String {
    let digits = String(number)
    return "ov-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}

/// A gRPC status code's canonical name, for the reports' counts.
func statusName(_ code: Int32) -> String {
    let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]
    return code >= 0 && Int(code) < names.count ? names[Int(code)] : "code \(code)"
}

/// The status code of RESOURCE_EXHAUSTED.
let resourceExhaustedCode: Int32 = 8

/// Prints a report as one JSON line on standard output.
func printReport(_ report: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(report), as: UTF8.self))
}

/// A `ListRequest` for `page_size` Residents (kind 1, page_size 4).
func residentListRequest(pageSize: Int) -> [UInt8] {
    var request = ProtobufMessageWriter()
    request.string(1, "Resident")
    request.varint(4, UInt64(pageSize))
    return request.bytes
}

let objectsService = "gongzhi.host.v1.Objects"

// MARK: - Heavy reader

/// What the heavy reader got from the host.
struct HeavyReaderReport: Codable, Sendable {
    var seconds: Double = 0
    var inFlight: Int = 0
    /// Lists answered OK, the Residents in them and the bytes of their answers.
    var pages: Int = 0
    var objects: Int = 0
    var answerBytes: Int = 0
    /// Lists refused with RESOURCE_EXHAUSTED, what the host said the first time, and how many refusals named a
    /// time to retry (`gongzhi-retry-after-ms`; their lists were sent again after it, at most 1 s).
    var exhausted: Int = 0
    var firstRefusal: String?
    var refusalsWithRetryAfter: Int = 0
    /// Other failed lists, by status.
    var otherErrors: [String: Int] = [:]
    /// Times the host closed the connection, and connects that failed.
    var connectionsClosed: Int = 0
    var connectFailures: Int = 0
}

/// Keeps `--in-flight` `Objects/List` calls of `--page-size` Residents pipelined on one connection, sending a new
/// one as each answer arrives (after a refusal, once the time to retry the host named has passed), and reading
/// every answer as fast as it comes.
struct OverloadHeavyReader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overload-heavy",
        abstract: "Keep many large Resident lists pipelined on one connection, re-issued as answers arrive."
    )

    @OptionGroup var load: OverloadLoadOptions

    @Option(help: "List calls in flight on the connection.")
    var inFlight = 500

    @Option(help: "page_size of each list.")
    var pageSize = 10_000

    func run() throws {
        _ = signal(SIGPIPE, SIG_IGN)
        var stop = self.load.stopCondition()
        let started = ContinuousClock.now
        var report = HeavyReaderReport(inFlight: self.inFlight)
        let request = residentListRequest(pageSize: self.pageSize)
        var scratch = [UInt8](repeating: 0, count: 1 << 20)

        while !stop.reached {
            let connection: UnixStreamConnection
            do {
                connection = try UnixStreamConnection.connect(
                    path: self.load.socket,
                    deadline: ContinuousClock.now + .seconds(5)
                )
            } catch {
                report.connectFailures += 1
                usleep(100_000)
                continue
            }
            var outbound: [UInt8] = []
            var written = 0
            var nextStream: UInt32 = 1
            func enqueue() {
                outbound += TTRPCWire.requestFrame(
                    streamID: nextStream,
                    service: objectsService,
                    method: "List",
                    payload: request,
                    token: self.load.token
                )
                nextStream &+= 2
            }
            for _ in 0..<self.inFlight { enqueue() }
            var frames = TTRPCFrameBuffer()
            // Lists to send again once the host's time to retry has passed, soonest last.
            var retries: [ContinuousClock.Instant] = []
            var open = true
            while open && !stop.reached {
                let now = ContinuousClock.now
                while let due = retries.last, due <= now {
                    retries.removeLast()
                    enqueue()
                }
                let wantsWrite = written < outbound.count
                let wait = retries.last.map { min(100, max(1, milliseconds($0 - now))) } ?? 100
                let events = connection.wait(
                    for: Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0),
                    milliseconds: Int32(wait)
                )
                if wantsWrite {
                    switch outbound.withUnsafeBytes({
                        connection.write(UnsafeRawBufferPointer(rebasing: $0[written...]))
                    })
                    {
                    case .bytes(let count):
                        written += count
                        if written == outbound.count {
                            outbound.removeAll(keepingCapacity: true)
                            written = 0
                        }
                    case .wouldBlock:
                        break
                    case .closed, .failed:
                        open = false
                    }
                }
                guard open, events & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 else { continue }
                // Read what is there (a few MiB at most per turn, so that requests still go out).
                reading: for _ in 0..<8 {
                    switch scratch.withUnsafeMutableBytes({ connection.read(into: $0) }) {
                    case .bytes(let count):
                        scratch.withUnsafeBytes { frames.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                    case .wouldBlock:
                        break reading
                    case .closed, .failed:
                        open = false
                        break reading
                    }
                }
                do {
                    while let frame = try frames.nextFrame() {
                        guard frame.type == TTRPCWire.responseType else { continue }
                        let response = try TTRPCWire.response(frame.data)
                        if response.code == 0 {
                            report.pages += 1
                            report.answerBytes += response.payload.count
                            var fields = ProtobufFieldReader(frame.data, range: response.payload)
                            while let field = try fields.next() {
                                if field.number == 1 { report.objects += 1 }
                            }
                        } else if response.code == resourceExhaustedCode {
                            report.exhausted += 1
                            if report.firstRefusal == nil { report.firstRefusal = response.message }
                            if let delay = response.retryAfterMilliseconds, delay > 0 {
                                report.refusalsWithRetryAfter += 1
                                retries.append(ContinuousClock.now + .milliseconds(min(delay, 1_000)))
                                retries.sort(by: >)
                                continue
                            }
                        } else {
                            report.otherErrors[statusName(response.code), default: 0] += 1
                        }
                        enqueue()
                    }
                } catch {
                    report.otherErrors["unreadable answer", default: 0] += 1
                    open = false
                }
            }
            connection.close()
            if !open {
                report.connectionsClosed += 1
                // A pause before connecting again, so that a host that keeps closing does not make this spin.
                usleep(50_000)
            }
        }
        report.seconds = microseconds(ContinuousClock.now - started) / 1_000_000
        try printReport(report)
    }
}

// MARK: - Never-reading client

/// What the never-reading client managed to send.
struct MuteClientReport: Codable, Sendable {
    var seconds: Double = 0
    /// List requests written whole, and their bytes.
    var requestsWritten: Int = 0
    var bytesWritten: Int = 0
    /// Answers the host had sent that this side never read, as the kernel held them at the end.
    var unreadBytesAtEnd: Int = 0
    /// Times the host closed the connection, and connects that failed.
    var connectionsClosed: Int = 0
    var connectFailures: Int = 0
}

/// Writes `--requests` `Objects/List` requests on one connection as fast as the host takes them, and never reads
/// an answer; connects again if the host closes it.
struct OverloadMuteClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overload-mute",
        abstract: "Write many Resident lists on one connection and never read the answers."
    )

    @OptionGroup var load: OverloadLoadOptions

    @Option(help: "List requests written on each connection.")
    var requests = 2_000

    @Option(help: "page_size of each list.")
    var pageSize = 10_000

    func run() throws {
        _ = signal(SIGPIPE, SIG_IGN)
        var stop = self.load.stopCondition()
        let started = ContinuousClock.now
        var report = MuteClientReport()
        let request = residentListRequest(pageSize: self.pageSize)

        while !stop.reached {
            let connection: UnixStreamConnection
            do {
                connection = try UnixStreamConnection.connect(
                    path: self.load.socket,
                    deadline: ContinuousClock.now + .seconds(5)
                )
            } catch {
                report.connectFailures += 1
                usleep(100_000)
                continue
            }
            var sent = 0
            var frame: [UInt8] = []
            var offset = 0
            var open = true
            while open && !stop.reached {
                if sent < self.requests {
                    if offset == frame.count {
                        frame = TTRPCWire.requestFrame(
                            streamID: UInt32(2 * sent + 1),
                            service: objectsService,
                            method: "List",
                            payload: request,
                            token: self.load.token
                        )
                        offset = 0
                    }
                    switch frame.withUnsafeBytes({ connection.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) })
                    {
                    case .bytes(let count):
                        offset += count
                        report.bytesWritten += count
                        if offset == frame.count {
                            sent += 1
                            report.requestsWritten += 1
                        }
                    case .wouldBlock:
                        // The host is not reading: wait for room, or for it to hang up.
                        let events = connection.wait(for: Int16(POLLOUT) | pollReadHangUp, milliseconds: 100)
                        if events & (pollReadHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0 { open = false }
                    case .closed, .failed:
                        open = false
                    }
                } else {
                    // All written: hold the connection, never reading, until the host hangs up or the run ends.
                    let events = connection.wait(for: pollReadHangUp, milliseconds: 100)
                    if events & (pollReadHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0 { open = false }
                }
            }
            if open {
                report.unreadBytesAtEnd = connection.unreadBytes
            }
            connection.close()
            if !open {
                report.connectionsClosed += 1
                // A pause before connecting again, so that a host that keeps closing does not make this spin.
                usleep(50_000)
            }
        }
        report.seconds = microseconds(ContinuousClock.now - started) / 1_000_000
        try printReport(report)
    }
}

// MARK: - Idle connections

/// How the idle connections fared.
struct IdleConnectionsReport: Codable, Sendable {
    var seconds: Double = 0
    var target: Int = 0
    /// This process's file limit (soft) after raising it, and the uid it connected as.
    var fileLimit: Int = 0
    var uid: Int = 0
    /// Connections made, the most held at once, and those held at the end (never closed by the host).
    var connected: Int = 0
    var maxHeld: Int = 0
    var heldAtEnd: Int = 0
    /// Seconds from the start until `target` were held at once, if ever.
    var secondsToTarget: Double?
    /// Connections the host accepted and then closed.
    var closedByHost: Int = 0
    /// Connects refused: the listener's backlog full (EAGAIN), refused outright (ECONNREFUSED), this process's
    /// own limit (EMFILE, ENFILE), anything else by errno name.
    var backlogFull: Int = 0
    var refused: Int = 0
    var ownLimit: Int = 0
    var otherFailures: [String: Int] = [:]
}

/// Opens `--count` connections to host.sock that never make a call, and holds them; a connection the host closes
/// is opened again, at most `--reconnects-per-second` a second after the first `--count`.
struct OverloadIdleConnections: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overload-idle",
        abstract: "Open many connections that never call, hold them, and open them again when the host closes them."
    )

    @OptionGroup var load: OverloadLoadOptions

    @Option(help: "Connections to hold.")
    var count = 10_000

    @Option(help: "New connections a second once the first --count are made (a token bucket of --count).")
    var reconnectsPerSecond = 1_000

    @Option(
        help: """
            Connect as this uid (with group 0, whose members may use host.sock), so that the host counts these \
            connections against a uid of their own; -1 keeps this process's. Needs root.
            """
    )
    var uid = -1

    func run() throws {
        _ = signal(SIGPIPE, SIG_IGN)
        var report = IdleConnectionsReport(target: self.count)
        // The limit first: raising it past the hard limit needs root.
        report.fileLimit = raiseFileLimit(to: self.count + 64)
        if self.uid >= 0 && getuid() != uid_t(self.uid) {
            guard setgroups(0, nil) == 0, setgid(0) == 0, setuid(uid_t(self.uid)) == 0 else {
                throw BenchFailure("cannot become uid \(self.uid): \(String(cString: strerror(errno)))")
            }
        }
        report.uid = Int(getuid())
        var stop = self.load.stopCondition()
        let started = ContinuousClock.now
        var held: [UnixStreamConnection] = []
        held.reserveCapacity(self.count)
        var allowance = Double(self.count)
        var refilledAt = started
        var probe = [UInt8](repeating: 0, count: 64)

        while !stop.reached {
            let now = ContinuousClock.now
            allowance = min(
                Double(self.count),
                allowance + microseconds(now - refilledAt) / 1_000_000 * Double(self.reconnectsPerSecond)
            )
            refilledAt = now
            opening: while held.count < self.count && allowance >= 1 {
                allowance -= 1
                switch UnixStreamConnection.connect(path: self.load.socket) {
                case .success(let connection):
                    held.append(connection)
                    report.connected += 1
                case .failure(let failure):
                    switch failure.code {
                    case EAGAIN: report.backlogFull += 1
                    case ECONNREFUSED: report.refused += 1
                    case EMFILE, ENFILE: report.ownLimit += 1
                    default: report.otherFailures[String(cString: strerror(failure.code)), default: 0] += 1
                    }
                    break opening
                }
            }
            report.maxHeld = max(report.maxHeld, held.count)
            if report.secondsToTarget == nil && held.count == self.count {
                report.secondsToTarget = microseconds(ContinuousClock.now - started) / 1_000_000
            }

            // Which connections did the host close? An idle connection has nothing to read but its end.
            var entries = held.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN) | pollReadHangUp, revents: 0) }
            let ready = poll(&entries, nfds_t(entries.count), held.count < self.count ? 20 : 100)
            guard ready > 0 else { continue }
            var index = held.count - 1
            while index >= 0 {
                if entries[index].revents != 0 {
                    let ended: Bool
                    switch probe.withUnsafeMutableBytes({ held[index].read(into: $0) }) {
                    case .closed, .failed: ended = true
                    case .bytes, .wouldBlock: ended = entries[index].revents & (Int16(POLLHUP) | Int16(POLLERR)) != 0
                    }
                    if ended {
                        held[index].close()
                        held.swapAt(index, held.count - 1)
                        held.removeLast()
                        report.closedByHost += 1
                    }
                }
                index -= 1
            }
        }
        report.heldAtEnd = held.count
        for connection in held { connection.close() }
        report.seconds = microseconds(ContinuousClock.now - started) / 1_000_000
        try printReport(report)
    }
}

/// Raises this process's soft file limit to `wanted` (and the hard one too, if it is lower and the process may);
/// returns the soft limit it ends with.
func raiseFileLimit(to wanted: Int) -> Int {
    var limit = rlimit()
    #if os(Linux)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    guard getrlimit(resource, &limit) == 0 else { return 0 }
    let target = rlim_t(wanted)
    if limit.rlim_cur < target {
        var raised = limit
        raised.rlim_cur = target
        raised.rlim_max = max(limit.rlim_max, target)
        if setrlimit(resource, &raised) != 0 {
            raised.rlim_cur = min(target, limit.rlim_max)
            raised.rlim_max = limit.rlim_max
            _ = setrlimit(resource, &raised)
        }
        _ = getrlimit(resource, &limit)
    }
    return Int(limit.rlim_cur)
}

// MARK: - Probe

/// The latency of one kind of call in a probe run.
struct ProbeLatency: Codable, Sendable {
    /// Calls measured: answered OK, or not answered within the timeout (which count at the timeout).
    var calls: Int = 0
    var p50Micros: Double = 0
    var p99Micros: Double = 0
    var maxMicros: Double = 0
    /// Calls not answered in time, and calls answered with an error, by status (and connections lost).
    var timeouts: Int = 0
    var errors: [String: Int] = [:]

    init() {}

    init(latencies: [Double], timeouts: Int, errors: [String: Int]) {
        let sorted = latencies.sorted()
        self.calls = sorted.count
        self.timeouts = timeouts
        self.errors = errors
        guard !sorted.isEmpty else { return }
        func percentile(_ fraction: Double) -> Double {
            sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }
        self.p50Micros = percentile(0.50)
        self.p99Micros = percentile(0.99)
        self.maxMicros = sorted[sorted.count - 1]
    }

    var failures: Int { self.timeouts + self.errors.values.reduce(0, +) }
}

/// What the probe measured: `Objects/Get` of a random Resident and a routed `Echo/Unary`, taking turns.
struct ProbeReport: Codable, Sendable {
    var seconds: Double = 0
    var get = ProbeLatency()
    var routed = ProbeLatency()
    var reconnects = 0
}

/// Measures, with one call in flight on one connection, `Objects/Get` of a random Resident and a routed
/// `gongzhi.test.v1.Echo/Unary` of `--payload` bytes, taking turns, for `--seconds`.
struct OverloadProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overload-probe",
        abstract: "Measure Objects/Get of a random Resident and a routed Echo/Unary, one call at a time, in turns."
    )

    @OptionGroup var load: OverloadLoadOptions

    @Option(help: "Seconds to measure.")
    var seconds: Double = 10

    @Option(help: "Unmeasured calls first (of both kinds together).")
    var warmup = 200

    @Option(help: "Residents stored (the ids the Gets pick from).")
    var residents = 10_000

    @Option(help: "Echo payload, in bytes.")
    var payload = 100

    @Option(help: "Seconds a call may take before it counts as timed out (also sent as its deadline).")
    var timeout: Double = 5

    /// How one call ended.
    enum Outcome {
        case answered(code: Int32, micros: Double)
        case timedOut
        case connectionLost
    }

    func run() throws {
        _ = signal(SIGPIPE, SIG_IGN)
        guard self.residents > 0 else { throw ValidationError("--residents must be positive") }
        var stop = self.load.stopCondition()
        var report = ProbeReport()
        var connection = try UnixStreamConnection.connect(
            path: self.load.socket,
            deadline: ContinuousClock.now + .seconds(10)
        )
        var frames = TTRPCFrameBuffer()
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        var nextStream: UInt32 = 1
        let timeout = Duration.milliseconds(Int(self.timeout * 1000))
        var echo = ProtobufMessageWriter()
        echo.bytes(1, [UInt8](repeating: 0x61, count: self.payload))

        func call(get: Bool) -> Outcome {
            let payload: [UInt8]
            if get {
                var request = ProtobufMessageWriter()
                request.string(1, "Resident")
                request.string(2, overloadResidentID(Int.random(in: 0..<self.residents)))
                payload = request.bytes
            } else {
                payload = echo.bytes
            }
            let streamID = nextStream
            nextStream &+= 2
            let frame = TTRPCWire.requestFrame(
                streamID: streamID,
                service: get ? objectsService : "gongzhi.test.v1.Echo",
                method: get ? "Get" : "Unary",
                payload: payload,
                token: self.load.token,
                timeoutNanoseconds: Int64(self.timeout * 1_000_000_000)
            )
            let started = ContinuousClock.now
            let deadline = started + timeout
            do {
                try connection.writeAll(frame, deadline: deadline)
            } catch {
                return ContinuousClock.now >= deadline ? .timedOut : .connectionLost
            }
            while true {
                do {
                    while let answer = try frames.nextFrame() {
                        // A late answer to a call that timed out has an older stream id.
                        guard answer.streamID == streamID, answer.type == TTRPCWire.responseType else { continue }
                        let code = try TTRPCWire.response(answer.data).code
                        return .answered(code: code, micros: microseconds(ContinuousClock.now - started))
                    }
                } catch {
                    return .connectionLost
                }
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return .timedOut }
                connection.wait(for: Int16(POLLIN), milliseconds: Int32(clamping: milliseconds(left) + 1))
                switch scratch.withUnsafeMutableBytes({ connection.read(into: $0) }) {
                case .bytes(let count):
                    scratch.withUnsafeBytes { frames.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                case .wouldBlock:
                    continue
                case .closed, .failed:
                    return .connectionLost
                }
            }
        }

        var latencies: [[Double]] = [[], []]
        var timeouts = [0, 0]
        var errors: [[String: Int]] = [[:], [:]]
        var made = 0
        var measuring = false
        var started = ContinuousClock.now
        var end = started
        while true {
            if !measuring && made >= self.warmup {
                measuring = true
                started = ContinuousClock.now
                end = started + .milliseconds(Int(self.seconds * 1000))
            }
            if measuring && ContinuousClock.now >= end { break }
            if stop.reached { break }
            let kind = made % 2
            let outcome = call(get: kind == 0)
            made += 1
            switch outcome {
            case .answered(let code, let micros):
                guard measuring else { continue }
                if code == 0 {
                    latencies[kind].append(micros)
                } else {
                    errors[kind][statusName(code), default: 0] += 1
                }
            case .timedOut:
                guard measuring else { continue }
                latencies[kind].append(microseconds(timeout))
                timeouts[kind] += 1
            case .connectionLost:
                if measuring { errors[kind]["connection lost", default: 0] += 1 }
                connection.close()
                frames = TTRPCFrameBuffer()
                report.reconnects += 1
                guard
                    let again = try? UnixStreamConnection.connect(
                        path: self.load.socket,
                        deadline: ContinuousClock.now + timeout
                    )
                else {
                    if measuring { errors[kind]["connect failed", default: 0] += 1 }
                    usleep(100_000)
                    continue
                }
                connection = again
            }
        }
        report.seconds = measuring ? microseconds(ContinuousClock.now - started) / 1_000_000 : 0
        report.get = ProbeLatency(latencies: latencies[0], timeouts: timeouts[0], errors: errors[0])
        report.routed = ProbeLatency(latencies: latencies[1], timeouts: timeouts[1], errors: errors[1])
        try printReport(report)
    }
}
