import Foundation

/// A copy of a plugin that the bench client may call straight on its socket: the "direct" baseline.
///
/// A plugin the host starts answers the process of that host only (both SDKs check the caller's pid; not even
/// root gets past), so a client cannot call it around the host. The baseline is a second copy of the same
/// executable, started here outside the host as an external plugin of a second host that serves nothing else
/// (so that its services do not collide with the first host's plugin). Without `GONGZHI_HOST_PID` its SDK admits
/// callers of its own uid, which the bench client is: same binary, same SDK, same socket kind as the plugin the
/// host routes to.
final class DirectPluginCopy: @unchecked Sendable {
    let host: Child
    let plugin: Child
    /// The copy's socket, for the bench client.
    let socket: String
    var pid: pid_t { plugin.pid }

    /// Starts the second host in `root` and the copy of `executable` named `name`, with `environment` added to
    /// what the host would set, and waits until the copy has attached (at most `timeout` seconds).
    init(
        name: String,
        executable: String,
        environment: [String: String],
        host binary: String,
        control: String,
        root: String,
        logsDir: String,
        timeout: Double
    ) throws {
        let files = FileManager.default
        try files.createDirectory(atPath: "\(root)/data-\(name)", withIntermediateDirectories: true)
        let configuration = "\(root)/gongzhi.toml"
        try """
        runtime_dir = "run"
        data_dir = "data"
        log_level = "warning"

        """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let host = try Child(
            [binary, "--config", configuration],
            logPath: "\(logsDir)/direct-\(name)-host.log",
            collectOutput: false
        )
        self.host = host
        let hostControl = HostControl(
            control: control,
            adminSocket: "\(root)/run/admin.sock",
            logsDir: logsDir,
            logPrefix: "direct-\(name)-"
        )
        let deadline = Date().addingTimeInterval(timeout)
        var token: String?
        while token == nil {
            guard host.isRunning else {
                throw BenchFailure(host.failureReason("the direct copy's host died"))
            }
            if let text = try? hostControl.run(["tokens", "issue", "--plugin", name], log: "tokens-issue"),
                let issued = try? JSONDecoder().decode(IssuedPluginToken.self, from: Data(text.utf8))
            {
                token = issued.token
            } else if Date() > deadline {
                host.stop()
                throw BenchFailure("the direct copy's host did not answer on admin.sock within \(Int(timeout)) s")
            } else {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        socket = "\(root)/\(name).sock"
        var variables = environment
        variables["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        variables["GONGZHI_PLUGIN_NAME"] = name
        variables["GONGZHI_PLUGIN_SOCKET"] = socket
        variables["GONGZHI_HOST_SOCKET"] = "\(root)/run/host.sock"
        variables["GONGZHI_PLUGIN_TOKEN"] = token
        variables["GONGZHI_DATA_DIR"] = "\(root)/data-\(name)"
        variables["GONGZHI_LOG_LEVEL"] = "warning"
        do {
            plugin = try Child(
                [executable],
                logPath: "\(logsDir)/direct-\(name).log",
                collectOutput: false,
                environment: variables,
                directory: "\(root)/data-\(name)"
            )
        } catch {
            host.stop()
            throw error
        }
        while true {
            if let text = try? hostControl.run(["plugins", "list"], log: "plugins-list"),
                let list = try? JSONDecoder().decode(AttachedList.self, from: Data(text.utf8)),
                list.plugins.contains(where: { $0.name == name && $0.state == "attached" })
            {
                return
            }
            guard plugin.isRunning, Date() < deadline else {
                let reason = plugin.failureReason("the direct copy of \(name) did not attach")
                stop()
                throw BenchFailure(reason)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Stops the copy, then its host.
    func stop() {
        plugin.stop()
        host.stop(grace: 10)
    }
}

private struct IssuedPluginToken: Decodable {
    var token: String
}

private struct AttachedList: Decodable {
    struct Entry: Decodable {
        var name: String
        var state: String
    }
    var plugins: [Entry]
}
