import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real mosquitto broker for tests, on a Unix socket in a temporary directory, with its persistence in that
/// directory (unless told otherwise), that can be stopped, killed and started again on the same socket and data.
/// Needs the `mosquitto` and `mosquitto-clients` packages (`Deploy/setup-debian.sh test`).
public final class MosquittoUnderTest: Sendable {
    public let directory: TemporaryDirectory
    /// The broker's socket: `MQTTBroker.unixSocket(path:)`, `mosquitto_pub --unix`.
    public let socketPath: String
    /// Whether the broker keeps sessions and queues across a restart (saved at a clean stop).
    public let persistence: Bool
    /// Lines added at the end of the generated configuration (later settings win).
    public let extraConfiguration: String
    private let child = Mutex<BrokerProcess?>(nil)
    private let starts = Mutex(0)

    /// Starts a broker; `remove()` stops it and deletes its directory.
    public init(persistence: Bool = true, extraConfiguration: String = "") async throws {
        directory = try TemporaryDirectory(prefix: "gz-mqtt")
        socketPath = directory.file("mqtt.sock")
        self.persistence = persistence
        self.extraConfiguration = extraConfiguration
        try await start()
    }

    /// The `mosquitto` executable (Debian puts it in /usr/sbin, often not on a user's PATH).
    public static func executable(_ name: String) throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for folder in folders + ["/usr/sbin", "/usr/bin", "/sbin"] {
            let path = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestSupportError(
            "\(name) is not installed: run Deploy/setup-debian.sh test (mosquitto, mosquitto-clients)"
        )
    }

    /// Starts the broker (again) and waits until it accepts connections on `socketPath`.
    public func start() async throws {
        let number = starts.withLock {
            $0 += 1
            return $0
        }
        let configPath = directory.file("mosquitto.conf")
        var config = """
            listener 0 \(socketPath)
            allow_anonymous true
            persistence \(persistence)
            persistence_location \(directory.path)/
            autosave_interval 10
            max_queued_messages 1000000
            max_queued_bytes 268435456
            log_dest stderr
            log_type error
            log_type warning
            log_type notice
            log_type information
            connection_messages true

            """
        // Started as root, mosquitto drops to user mosquitto, who cannot bind in our directory.
        if geteuid() == 0 { config += "user root\n" }
        config += extraConfiguration + "\n"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: socketPath)
        let process = try BrokerProcess(
            executable: try Self.executable("mosquitto"),
            arguments: ["-c", configPath],
            outputPath: directory.file("mosquitto-\(number).log")
        )
        child.withLock { $0 = process }
        let socketPath = socketPath
        try await eventually("mosquitto accepts on \(socketPath)", timeout: .seconds(10)) {
            if let status = process.exitStatus {
                throw TestSupportError("mosquitto exited (status \(status)):\n\(self.log)")
            }
            return (try? RawSocket(path: socketPath)) != nil
        }
        // A host running as root starts plugins as users of their own, which need write access to connect.
        chmod(socketPath, 0o666)
    }

    /// Whether the broker process runs.
    public var isRunning: Bool { child.withLock { $0 }.map { $0.exitStatus == nil } ?? false }

    /// SIGTERM, and waits for it to exit: with persistence, sessions and queues are saved. SIGKILL after 10 s.
    public func stop() async {
        guard let process = child.withLock({ $0 }) else { return }
        process.signal(SIGTERM)
        if await !process.waitForExit(timeout: .seconds(10)) {
            process.signal(SIGKILL)
            _ = await process.waitForExit(timeout: .seconds(10))
        }
    }

    /// SIGKILL: what was queued since the last save is lost.
    public func kill() async {
        guard let process = child.withLock({ $0 }) else { return }
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(10))
    }

    /// Stops it cleanly and starts it again on the same socket and data.
    public func restart() async throws {
        await stop()
        try await start()
    }

    /// Stops the broker and deletes its directory.
    public func remove() async {
        await stop()
        directory.remove()
    }

    /// What the broker logged, every start.
    public var log: String {
        let count = starts.withLock { $0 }
        return (1...max(count, 1)).map {
            (try? String(contentsOfFile: directory.file("mosquitto-\($0).log"), encoding: .utf8)) ?? ""
        }.joined()
    }

    /// Publishes one message with `mosquitto_pub --unix`, which returns once the broker took it (for QoS 1, its
    /// PUBACK). Throws with mosquitto_pub's words when it failed, e.g. while the broker is down.
    public func publish(topic: String, payload: [UInt8], qos: Int = 1) throws {
        let file = directory.file("publish-\(UUID().uuidString)")
        try Data(payload).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        // -f refuses an empty file; -n sends an empty payload.
        let message = payload.isEmpty ? ["-n"] : ["-f", file]
        let result = try CompletedProcess.run(
            try Self.executable("mosquitto_pub"),
            ["--unix", socketPath, "-q", "\(qos)", "-t", topic] + message
        )
        guard result.status == 0 else {
            throw TestSupportError("mosquitto_pub -t \(topic) failed (status \(result.status)): \(result.errors)")
        }
    }

    /// Publishes a text payload.
    public func publish(topic: String, payload: String, qos: Int = 1) throws {
        try publish(topic: topic, payload: Array(payload.utf8), qos: qos)
    }
}

/// The broker's process, started with no signal blocked: a process started from a thread of Swift's cooperative
/// pool inherits its blocked signals, and mosquitto, which waits for signals with the mask it started with, would
/// never see a SIGTERM.
private final class BrokerProcess: Sendable {
    let pid: pid_t
    private let status = Mutex<Int32?>(nil)

    init(executable: String, arguments: [String], outputPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argumentCopies = ([executable] + arguments).map { strdup($0) }
        defer { for argument in argumentCopies { free(argument) } }
        var argv: [UnsafeMutablePointer<CChar>?] = argumentCopies + [nil]
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        guard result == 0 else {
            throw TestSupportError("could not start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// The exit status once it exited (reaped here), nil while it runs.
    var exitStatus: Int32? {
        status.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            }
            return status
        }
    }

    func signal(_ signal: Int32) {
        if exitStatus == nil { Glibc.kill(pid, signal) }
    }

    /// Whether it exited within `timeout`.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while exitStatus == nil {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
