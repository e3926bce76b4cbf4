import Foundation

/// The binaries the benchmark runs, all release builds from the main package.
struct MediationBinaries: Sendable {
    var host: String
    var control: String
    var plugin: String

    init(directory: String) {
        self.host = "\(directory)/gongzhi-host"
        self.control = "\(directory)/gongzhictl"
        self.plugin = "\(directory)/gongzhi-mediation"
    }

    func check() throws {
        for path in [host, control, plugin] where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchFailure("\(path) is not an executable file; build it or give another --gongzhi-bin-dir")
        }
    }
}

/// `gongzhi-host` with the mediation plugin in a folder of its own: the layout `Deploy/run.sh` makes (the plugin
/// installed and sealed by `Deploy/install-plugin.sh`, the grants its manifest asks for approved in the
/// configuration), the plugin's clock read from a file the benchmark writes (`MEDIATION_CLOCK_FILE`), started in
/// a session of its own (as a service is), and stopped gracefully.
final class HostUnderBench {
    let root: String
    let adminSocket: String
    let hostSocket: String
    /// The plugin's own socket, which the host calls (and root may call too).
    let pluginSocket: String
    /// The file the plugin reads the time from, in milliseconds since the epoch.
    let clockFile: String
    let binaries: MediationBinaries
    private let process: ChildProcess

    init(
        root: String,
        repoRoot: String,
        binaries: MediationBinaries,
        logLevel: String,
        alertIntervalMs: Int,
        startMs: Int64
    ) throws {
        self.root = root
        self.adminSocket = "\(root)/run/admin.sock"
        self.hostSocket = "\(root)/run/host.sock"
        self.pluginSocket = "\(root)/run/plugins/mediation.sock"
        self.clockFile = "\(root)/clock-ms"
        self.binaries = binaries
        let manifest = "\(repoRoot)/Plugins/mediation/mediation.plugin.toml"
        try FileManager.default.createDirectory(atPath: "\(root)/plugins", withIntermediateDirectories: true)
        try runTool(
            ["/bin/bash", "\(repoRoot)/Deploy/install-plugin.sh", manifest, binaries.plugin, "\(root)/plugins"],
            logPath: "\(root)/install-plugin.log"
        )
        let grants = try Self.grants(manifest: String(contentsOfFile: manifest, encoding: .utf8))
        try "\(startMs)\n".write(toFile: clockFile, atomically: true, encoding: .utf8)
        let configuration = """
            runtime_dir = "run"
            data_dir = "data"
            plugin_dir = "plugins"
            log_level = "\(logLevel)"

            [plugins.mediation]
            enabled = true
            grants = [\(grants.map { "\"\($0)\"" }.joined(separator: ", "))]
            env = { MEDIATION_CLOCK_FILE = "\(clockFile)", MEDIATION_ALERT_INTERVAL_MS = "\(alertIntervalMs)" }

            """
        try configuration.write(toFile: "\(root)/gongzhi.toml", atomically: true, encoding: .utf8)

        process = try ChildProcess(
            [binaries.host, "--config", "\(root)/gongzhi.toml"],
            standardOutput: "\(root)/host.log",
            standardError: "\(root)/host.log",
            newSession: true
        )
    }

    /// The quoted strings of the manifest's `grants = [...]`, which may span lines.
    static func grants(manifest: String) throws -> [String] {
        guard let start = manifest.range(of: "\ngrants = [") ?? manifest.range(of: "\ngrants=[") else {
            throw BenchFailure("the mediation plugin's manifest asks for no grants")
        }
        guard let end = manifest[start.upperBound...].firstIndex(of: "]") else {
            throw BenchFailure("the mediation plugin's manifest does not close its grants")
        }
        var grants: [String] = []
        for line in manifest[start.upperBound..<end].split(separator: "\n") {
            let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            grants += code.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        return grants
    }

    var pid: Int32 { process.pid }
    var isRunning: Bool { process.isRunning }

    /// Sets the plugin's clock (it reads the file whenever it needs the time).
    func setClock(_ milliseconds: Int64) throws {
        try "\(milliseconds)\n".write(toFile: clockFile, atomically: true, encoding: .utf8)
    }

    /// `gongzhictl` on the admin socket with JSON output.
    func control(_ arguments: [String]) throws -> String {
        try runTool(
            [binaries.control, "--socket", adminSocket] + arguments + ["-o", "json"],
            logPath: "\(root)/gongzhictl.log"
        )
    }

    /// Polls `gongzhictl plugins list` until the mediation plugin is ready; answers its process id.
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
                if let plugin = list.plugins.first(where: { $0.name == "mediation" }) {
                    if plugin.state == "ready", let pid = plugin.pid { return Int32(pid) }
                    last = "mediation is \(plugin.state)"
                } else {
                    last = "no plugin mediation listed"
                }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw BenchFailure("the mediation plugin was not ready after \(Int(timeout)) s: \(last)")
    }

    /// SIGTERM (the host stops its plugins first), then SIGKILL after `grace` seconds.
    func stop(grace: Double = 30) {
        process.stop(grace: grace)
    }
}
