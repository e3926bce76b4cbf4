import GongzhiHost
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The real `gongzhi-host` executable running on a layout in a temporary folder.
final class HostUnderTest: @unchecked Sendable {
    let directory: TemporaryDirectory
    let configurationPath: String
    let process: ChildProcess
    let admin: RPCClient
    var plugins: [TestPlugin]
    let supervision: SupervisionPolicy
    let settings: String

    var runtime: String { directory.path + "/run" }
    var adminSocket: String { runtime + "/admin.sock" }
    var hostSocket: String { runtime + "/host.sock" }
    var adminClient: Gongzhi_Host_V1_AdminClient { Gongzhi_Host_V1_AdminClient(channel: admin) }

    static var noticeboard: String { get throws { try BuiltExecutables.path("gongzhi-noticeboard") } }
    static var testPlugin: String { get throws { try BuiltExecutables.path("gongzhi-test-plugin") } }

    static func testPlugin(
        _ name: String,
        behavior: String? = nil,
        requestedGrants: [String] = [],
        approvedGrants: [String]? = nil,
        enabled: Bool = true,
        executable: String? = nil,
        serviceSuffix: String = ""
    ) throws -> TestPlugin {
        var environment: [String: String] = [:]
        if let behavior { environment["TEST_PLUGIN_BEHAVIOR"] = behavior }
        if !serviceSuffix.isEmpty { environment["TEST_PLUGIN_SERVICE_SUFFIX"] = serviceSuffix }
        return TestPlugin(
            name: name,
            executable: try executable ?? testPlugin,
            services: ["gongzhi.test.v1.Echo" + serviceSuffix, "gongzhi.test.v1.Probe" + serviceSuffix],
            requestedGrants: requestedGrants,
            approvedGrants: approvedGrants,
            environment: environment,
            enabled: enabled
        )
    }

    static func noticeboardPlugin() throws -> TestPlugin {
        TestPlugin(name: "noticeboard", executable: try noticeboard, services: ["gongzhi.example.v1.NoticeBoard"])
    }

    init(
        plugins: [TestPlugin],
        supervision: SupervisionPolicy = .forTests,
        settings: String = "",
        directory: TemporaryDirectory? = nil,
        launcher: [String] = []
    ) async throws {
        self.directory = try directory ?? TemporaryDirectory(prefix: "gzhost")
        self.plugins = plugins
        self.supervision = supervision
        self.settings = settings
        configurationPath = try TestHostLayout.write(
            in: self.directory.path,
            plugins: plugins,
            supervision: supervision,
            settings: settings
        )
        // A launcher (e.g. `prlimit --nofile=…`) execs the host in its own process.
        let command = launcher + [try BuiltExecutables.path("gongzhi-host")]
        process = try ChildProcess(
            command[0],
            Array(command.dropFirst()) + ["--config", configurationPath, "--log-level", "debug"],
            outputPath: self.directory.file("host.log")
        )
        admin = RPCClient(socketPath: self.directory.path + "/run/admin.sock")
        try await process.waitForOutput("host serving")
    }

    /// The host's log so far, for failure messages.
    var log: String { process.output }

    func status(_ plugin: String) async throws -> Gongzhi_Host_V1_PluginStatus {
        var request = Gongzhi_Host_V1_PluginRequest()
        request.name = plugin
        return try await adminClient.describePlugin(request)
    }

    @discardableResult
    func waitUntil(
        _ plugin: String,
        is state: String = "ready",
        timeout: Duration = .seconds(30),
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        let deadline = ContinuousClock.now + timeout
        var last = try await statusOrAbsent(plugin, until: deadline)
        while last.state != state {
            if ContinuousClock.now > deadline {
                XCTFail(
                    "plugin \(plugin) is \(last.state) (\(last.reason)), not \(state), after \(timeout)\n--- host log:\n\(log)",
                    file: file,
                    line: line
                )
                throw TestSupportError("timed out waiting for \(plugin) to be \(state)")
            }
            try await Task.sleep(for: .milliseconds(25))
            last = try await statusOrAbsent(plugin, until: deadline)
        }
        return last
    }

    /// Waits until `plugin` is ready again as a process other than `pid`: after a kill, the host may still
    /// report the old process as ready for a moment, until it has reaped it.
    @discardableResult
    func waitUntilRestarted(
        _ plugin: String,
        from pid: Int32,
        timeout: Duration = .seconds(30),
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        let deadline = ContinuousClock.now + timeout
        var last = try await status(plugin)
        while last.pid == pid || last.state != "ready" {
            if ContinuousClock.now > deadline {
                XCTFail(
                    "plugin \(plugin) was not restarted: \(last.state) (\(last.reason)), pid \(last.pid)\n--- host log:\n\(log)",
                    file: file,
                    line: line
                )
                throw TestSupportError("timed out waiting for \(plugin) to restart")
            }
            try await Task.sleep(for: .milliseconds(25))
            last = try await status(plugin)
        }
        return last
    }

    /// The plugin's status, waiting while the host does not know it yet (an external plugin attaching).
    private func statusOrAbsent(
        _ plugin: String,
        until deadline: ContinuousClock.Instant
    ) async throws
        -> Gongzhi_Host_V1_PluginStatus
    {
        while true {
            do {
                return try await status(plugin)
            } catch let error as RPCError where error.code == .notFound && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(25))
            }
        }
    }

    /// Waits until the host's log says it compacted the object history past `revision` — a watch after it can
    /// no longer resume — rather than for the retention's length, which under load says nothing.
    func waitUntilHistoryCompacted(after revision: Int64, timeout: Duration = .seconds(30)) async throws {
        try await pollUntil("the host compacts the history after revision \(revision)", timeout: timeout) {
            var compactedBefore: Int64 = 0
            for line in self.log.split(separator: "\n") where line.contains("history compacted") {
                guard let range = line.range(of: "before-revision=") else { continue }
                let digits = line[range.upperBound...].prefix { $0.isNumber }
                compactedBefore = max(compactedBefore, Int64(digits) ?? 0)
            }
            // The changes after `revision` start at revision + 1: they are gone once it is compacted too.
            return compactedBefore > revision + 1
        }
    }

    /// The file where a test plugin started with `TEST_PLUGIN_JOURNAL` writes down its echo calls.
    func callJournal(of plugin: String) -> String {
        directory.path + "/data/plugins/\(plugin)/calls.log"
    }

    /// Waits until `plugin`'s call journal holds a line starting with `prefix`, and returns that line: the event
    /// that a call reached the plugin's handler, or that its handler ended.
    @discardableResult
    func waitForJournal(_ plugin: String, line prefix: String, timeout: Duration = .seconds(30)) async throws -> String
    {
        let path = callJournal(of: plugin)
        var found: String?
        try await pollUntil("plugin \(plugin) writes \"\(prefix)…\" in its call journal", timeout: timeout) {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
            return found != nil
        }
        return found ?? ""
    }

    /// A channel to host.sock presenting `token`.
    func channel(token: String) -> HostChannel {
        HostChannel(client: RPCClient(socketPath: hostSocket), token: token)
    }

    func issueClientToken(scopes: [String], ttlSeconds: UInt64 = 0) async throws -> Gongzhi_Host_V1_IssuedToken {
        var request = Gongzhi_Host_V1_IssueTokenRequest()
        request.kind = .client
        request.subject = "e2e"
        request.scopes = scopes
        request.ttlSeconds = ttlSeconds
        return try await adminClient.issueToken(request)
    }

    /// Rewrites the configuration for `plugins` (and their manifests) and sends SIGHUP.
    func reconfigure(_ plugins: [TestPlugin]) throws {
        self.plugins = plugins
        for plugin in plugins {
            try TestHostLayout.writeManifest(plugin, into: directory.path + "/plugins")
        }
        try TestHostLayout.writeText(
            configurationPath,
            TestHostLayout.configurationText(plugins: plugins, supervision: supervision, settings: settings)
        )
        process.signal(SIGHUP)
    }

    func stop() async {
        await admin.close()
        await process.stop(grace: .seconds(15))
    }
}

/// Checks `condition` until it holds, and throws (failing the test) if it does not within `timeout`: for what a
/// test can only see by looking again — a file, a log — with a bound for a hang, not a guess of how long it takes.
func pollUntil(
    _ what: String,
    timeout: Duration = .seconds(30),
    file: StaticString = #filePath,
    line: UInt = #line,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            XCTFail("timed out after \(timeout) waiting until \(what)", file: file, line: line)
            throw TestSupportError("timed out waiting until \(what)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// True while a process with this pid exists (and is not a zombie).
func processIsAlive(_ pid: Int32) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z"
}

func waitUntilGone(_ pid: Int32, timeout: Duration = .seconds(10)) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while processIsAlive(pid) {
        if ContinuousClock.now > deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return true
}

/// Asserts that `body` fails with an RPCError of `code`, and returns it.
@discardableResult
func assertRPCError<T>(
    _ code: StatusCode,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> T
) async -> RPCError? {
    do {
        _ = try await body()
        XCTFail("expected \(code), but the call succeeded", file: file, line: line)
        return nil
    } catch let error as RPCError {
        XCTAssertEqual(error.code, code, "\(error.message)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected RPCError \(code), got \(error)", file: file, line: line)
        return nil
    }
}

/// Calls a plugin's socket directly, as root in another process than its host, with forged caller entries (an
/// administrator, holding the personal-data grant), and asserts that the plugin refuses PERMISSION_DENIED because it
/// serves only its host, the process `hostPID`.
func assertForgedDirectCallRefused(
    socket: String,
    service: String,
    method: String,
    payload: Data,
    hostPID: Int32,
    file: StaticString = #filePath,
    line: UInt = #line
) async {
    let direct = RPCClient(socketPath: socket)
    var options = CallOptions(timeout: .seconds(10))
    options.metadata.add("gongzhi-caller", "admin:uid=0")
    options.metadata.add("gongzhi-caller-personal-data", "true")
    let refused = await assertRPCError(.permissionDenied, file: file, line: line) {
        try await direct.unary(service: service, method: method, payload: payload, options: options)
    }
    await direct.close()
    XCTAssertTrue(
        refused?.message.contains("serves its host (pid \(hostPID)) only") ?? false,
        refused?.message ?? "",
        file: file,
        line: line
    )
}
