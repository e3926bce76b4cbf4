import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The binaries the benchmark runs, all from the main package.
struct GridBinaries: Sendable {
    var host: String
    var control: String
    var plugin: String

    init(directory: String) {
        self.host = "\(directory)/gongzhi-host"
        self.control = "\(directory)/gongzhictl"
        self.plugin = "\(directory)/gongzhi-grid"
    }

    func check() throws {
        for path in [host, control, plugin] where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchFailure("\(path) is not an executable file")
        }
    }
}

/// Runs a program to its end and answers its standard output; its standard error goes to `logPath`.
@discardableResult
func runTool(_ argv: [String], logPath: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    let output = Pipe()
    process.standardOutput = output
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    process.standardError = FileHandle(forWritingAtPath: logPath)
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw BenchFailure(
            "\(URL(fileURLWithPath: argv[0]).lastPathComponent) \(argv.dropFirst().prefix(3).joined(separator: " ")) "
                + "exited with \(process.terminationStatus): \(log.suffix(400))"
        )
    }
    return String(decoding: data, as: UTF8.self)
}

/// `gongzhi-host` with the grid plugin in a folder of its own: the layout `Deploy/run.sh` makes (the plugin
/// installed and sealed by `Deploy/install-plugin.sh`, its grants approved in the configuration as
/// `Deploy/config/development.toml` does), started, and stopped gracefully.
final class HostUnderBench {
    let root: String
    let adminSocket: String
    let binaries: GridBinaries
    private let process = Process()

    /// The grants `Plugins/grid/grid.plugin.toml` asks for, approved.
    static let gridGrants = [
        "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
        "gongzhi.host.v1.Objects/Create", "gongzhi.host.v1.Objects/Update", "gongzhi.host.v1.Objects/RegisterKind",
        "gongzhi.host.v1.PersonalData/Read",
    ]

    init(root: String, repoRoot: String, binaries: GridBinaries, logLevel: String) throws {
        self.root = root
        self.adminSocket = "\(root)/run/admin.sock"
        self.binaries = binaries
        try FileManager.default.createDirectory(atPath: "\(root)/plugins", withIntermediateDirectories: true)
        try runTool(
            [
                "/bin/bash", "\(repoRoot)/Deploy/install-plugin.sh", "\(repoRoot)/Plugins/grid/grid.plugin.toml",
                binaries.plugin, "\(root)/plugins",
            ],
            logPath: "\(root)/install-plugin.log"
        )
        let configuration = """
            runtime_dir = "run"
            data_dir = "data"
            plugin_dir = "plugins"
            log_level = "\(logLevel)"

            [plugins.grid]
            enabled = true
            grants = [\(Self.gridGrants.map { "\"\($0)\"" }.joined(separator: ", "))]

            """
        try configuration.write(toFile: "\(root)/gongzhi.toml", atomically: true, encoding: .utf8)

        process.executableURL = URL(fileURLWithPath: binaries.host)
        process.arguments = ["--config", "\(root)/gongzhi.toml"]
        _ = FileManager.default.createFile(atPath: "\(root)/host.log", contents: nil)
        let log = FileHandle(forWritingAtPath: "\(root)/host.log")
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// `gongzhictl` on the admin socket with JSON output.
    func control(_ arguments: [String]) throws -> String {
        try runTool(
            [binaries.control, "--socket", adminSocket] + arguments + ["-o", "json"],
            logPath: "\(root)/gongzhictl.log"
        )
    }

    /// Polls `gongzhictl plugins list` until the grid plugin is ready; answers its process id.
    func waitUntilPluginReady(timeout: Double) throws -> Int32 {
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
            guard isRunning else { throw BenchFailure("the host exited; see \(root)/host.log") }
            if let text = try? control(["plugins", "list"]),
                let list = try? JSONDecoder().decode(Listed.self, from: Data(text.utf8))
            {
                if let grid = list.plugins.first(where: { $0.name == "grid" }) {
                    if grid.state == "ready", let pid = grid.pid { return Int32(pid) }
                    last = "grid is \(grid.state)"
                } else {
                    last = "no plugin grid listed"
                }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw BenchFailure("the grid plugin was not ready after \(Int(timeout)) s: \(last)")
    }

    /// SIGTERM (the host stops its plugins first), then SIGKILL after `grace` seconds.
    func stop(grace: Double = 30) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
