import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The binaries the benchmark runs, all from the main package.
struct IntakeBinaries: Sendable {
    var host: String
    var control: String
    var grid: String
    var sensors: String
    var intake: String

    init(directory: String) {
        self.host = "\(directory)/gongzhi-host"
        self.control = "\(directory)/gongzhictl"
        self.grid = "\(directory)/gongzhi-grid"
        self.sensors = "\(directory)/gongzhi-sensors"
        self.intake = "\(directory)/gongzhi-intake"
    }

    func check() throws {
        for path in [host, control, grid, sensors, intake] where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchFailure("\(path) is not an executable file")
        }
    }
}

/// Runs a program to its end and answers its standard output; its standard error goes to `logPath`.
@discardableResult
func runTool(_ argv: [String], logPath: String, environment: [String: String] = [:]) throws -> String {
    let child = try ChildProcess(argv, logPath: logPath, environment: environment)
    child.waitUntilExit()
    let output = child.output()
    guard child.status == 0 else {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw BenchFailure(
            "\(URL(fileURLWithPath: argv[0]).lastPathComponent) \(argv.dropFirst().prefix(3).joined(separator: " ")) "
                + "exited with \(child.status): \(log.suffix(400))"
        )
    }
    return output
}

/// A child process whose standard output is kept (the tools here print one line or a few) and whose standard
/// error goes to a log file.
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let stdout = Pipe()
    let logPath: String

    init(_ argv: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        }
        process.standardOutput = stdout
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var status: Int32 { process.terminationStatus }

    func waitUntilExit() { process.waitUntilExit() }

    /// Waits without blocking a thread of the cooperative pool; false at the timeout.
    func exited(within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !process.isRunning
    }

    /// Everything it printed; call once it has exited.
    func output() -> String {
        String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The log so far.
    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after `grace` seconds.
    func stop(grace: Double = 30) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Mosquitto with the development configuration (`Deploy/mosquitto/development.conf.in`): a Unix socket only (no
/// TCP listener), persistence in the benchmark's folder saved every 10 s, a queue of a million messages a client,
/// 100 QoS 1 messages in flight to a v3 client (a v5 client's own Receive Maximum replaces it).
final class BrokerUnderBench {
    let socketPath: String
    let configuration: String
    private let child: ChildProcess

    init(root: String) throws {
        self.socketPath = "\(root)/run/mqtt.sock"
        try FileManager.default.createDirectory(atPath: "\(root)/run", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/mosquitto", withIntermediateDirectories: true)
        let user = NSUserName()
        self.configuration = """
            listener 0 \(socketPath)
            allow_anonymous true
            per_listener_settings false
            user \(user)
            persistence true
            persistence_location \(root)/mosquitto/
            autosave_interval 10
            max_queued_messages 1000000
            max_queued_bytes 268435456
            max_inflight_messages 100
            message_size_limit 1048576
            log_dest stderr
            log_type error
            log_type warning

            """
        try configuration.write(toFile: "\(root)/mosquitto.conf", atomically: true, encoding: .utf8)
        child = try ChildProcess(
            ["/usr/sbin/mosquitto", "-c", "\(root)/mosquitto.conf"],
            logPath: "\(root)/mosquitto.log"
        )
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard child.isRunning, Date() < deadline else {
                throw BenchFailure("mosquitto did not listen on \(socketPath): \(child.log().suffix(400))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    var pid: Int32 { child.pid }

    func stop() { child.stop(grace: 10) }
}

/// `gongzhi-host` with the grid plugin, the sensor adapter and intake in a folder of its own: the plugins installed
/// and sealed by `Deploy/install-plugin.sh`, their grants approved in the configuration as
/// `Deploy/config/development.toml` does (intake's as its manifest asks), intake given its sources file.
final class HostUnderBench {
    let root: String
    let adminSocket: String
    let binaries: IntakeBinaries
    private let child: ChildProcess

    static let gridGrants = [
        "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
        "gongzhi.host.v1.Objects/Create", "gongzhi.host.v1.Objects/Update", "gongzhi.host.v1.Objects/RegisterKind",
        "gongzhi.host.v1.PersonalData/Read",
    ]

    /// The grants `Plugins/intake/intake.plugin.toml` asks for, approved.
    static let intakeGrants = [
        "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
        "gongzhi.host.v1.Objects/Create", "gongzhi.host.v1.Objects/Update",
        "gongzhi.host.v1.Objects/RegisterKind", "gongzhi.host.v1.PersonalData/Read",
        "gongzhi.grid.v1.GridService/Locate", "gongzhi.grid.v1.GridService/Report",
        "gongzhi.grid.v1.GridService/Register", "gongzhi.grid.v1.GridService/Dispatch",
        "gongzhi.sensors.v1.Sensors/Check",
    ]

    init(root: String, repoRoot: String, binaries: IntakeBinaries, sourcesFile: String, logLevel: String) throws {
        self.root = root
        self.adminSocket = "\(root)/run/admin.sock"
        self.binaries = binaries
        try FileManager.default.createDirectory(atPath: "\(root)/plugins", withIntermediateDirectories: true)
        for (manifest, binary) in [
            ("grid/grid.plugin.toml", binaries.grid), ("sensors/sensors.plugin.toml", binaries.sensors),
            ("intake/intake.plugin.toml", binaries.intake),
        ] {
            try runTool(
                [
                    "/bin/bash", "\(repoRoot)/Deploy/install-plugin.sh", "\(repoRoot)/Plugins/\(manifest)", binary,
                    "\(root)/plugins",
                ],
                logPath: "\(root)/install-plugin.log"
            )
        }
        func list(_ grants: [String]) -> String { "[" + grants.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        let configuration = """
            runtime_dir = "run"
            data_dir = "data"
            plugin_dir = "plugins"
            log_level = "\(logLevel)"

            [plugins.grid]
            enabled = true
            grants = \(list(Self.gridGrants))

            [plugins.sensors]
            enabled = true
            grants = []

            [plugins.intake]
            enabled = true
            env = { INTAKE_SOURCES = "\(sourcesFile)" }
            grants = \(list(Self.intakeGrants))

            """
        try configuration.write(toFile: "\(root)/gongzhi.toml", atomically: true, encoding: .utf8)
        child = try ChildProcess(
            [binaries.host, "--config", "\(root)/gongzhi.toml"],
            logPath: "\(root)/host.log"
        )
    }

    var pid: Int32 { child.pid }

    /// `gongzhictl` on the admin socket with JSON output.
    func control(_ arguments: [String]) throws -> String {
        try runTool(
            [binaries.control, "--socket", adminSocket] + arguments + ["-o", "json"],
            logPath: "\(root)/gongzhictl.log"
        )
    }

    /// Polls `gongzhictl plugins list` until every plugin named is ready; answers their process ids by name.
    func waitUntilReady(_ names: [String], timeout: Double) throws -> [String: Int32] {
        struct Listed: Decodable {
            struct Plugin: Decodable {
                var name: String
                var state: String
                var pid: Int?
            }
            var plugins: [Plugin]
        }
        let deadline = Date().addingTimeInterval(timeout)
        var last = "the host never answered on admin.sock"
        while Date() < deadline {
            guard child.isRunning else { throw BenchFailure("the host exited; see \(root)/host.log") }
            if let text = try? control(["plugins", "list"]),
                let list = try? JSONDecoder().decode(Listed.self, from: Data(text.utf8))
            {
                var pids: [String: Int32] = [:]
                for plugin in list.plugins where names.contains(plugin.name) && plugin.state == "ready" {
                    if let pid = plugin.pid { pids[plugin.name] = Int32(pid) }
                }
                if pids.count == names.count { return pids }
                last = list.plugins.map { "\($0.name) \($0.state)" }.joined(separator: ", ")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw BenchFailure("the plugins were not ready after \(Int(timeout)) s: \(last)")
    }

    /// Issues a client token with these scopes.
    func issueClientToken(scopes: [String]) throws -> String {
        struct Issued: Decodable { var token: String }
        let text = try control(["tokens", "issue", "--client", "bench-open311"] + scopes.flatMap { ["--scope", $0] })
        return try JSONDecoder().decode(Issued.self, from: Data(text.utf8)).token
    }

    /// SIGTERM (the host stops its plugins first), then SIGKILL.
    func stop() { child.stop(grace: 30) }
}

/// The busiest processes now (`ps`), for the record of the machine's state.
func busiestProcesses(_ count: Int = 8, logPath: String) -> String {
    let output =
        (try? runTool(["/bin/ps", "-eo", "pid,pcpu,rss,etime,comm", "--sort=-pcpu"], logPath: logPath)) ?? ""
    return output.split(separator: "\n").prefix(count + 1).joined(separator: "\n")
}
