import GongzhiTestSupport
import XCTest

/// `gongzhictl` against a running host: what an operator types and what a script reads.
final class ControlEndToEndTests: XCTestCase {
    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the built `gongzhictl` with `arguments`, finding the host through GONGZHI_ADMIN_SOCKET.
    func ctl(_ arguments: [String], socket: String) async throws -> Outcome {
        try await Self.ctl(arguments, socket: socket)
    }

    static func ctl(_ arguments: [String], socket: String) async throws -> Outcome {
        let done = try CompletedProcess.run(
            try BuiltExecutables.path("gongzhictl"),
            arguments,
            environment: ["GONGZHI_ADMIN_SOCKET": socket, "TZ": "UTC", "PATH": "/usr/bin:/bin"]
        )
        return Outcome(status: done.status, output: done.outputText, errors: done.errors)
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testStatusAndPluginCommandsShowARunningHost() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.noticeboardPlugin()])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("noticeboard")
        let socket = host.adminSocket

        let status = try await ctl(["status"], socket: socket)
        XCTAssertEqual(status.status, 0, status.errors)
        XCTAssertTrue(status.output.contains("version:"), status.output)
        XCTAssertTrue(status.output.contains("runtime dir:  \(host.runtime)"), status.output)
        let row = try XCTUnwrap(status.output.split(separator: "\n").first { $0.hasPrefix("noticeboard") })
        XCTAssertTrue(row.contains("ready") && row.contains("managed") && row.contains("1.0.0"), String(row))

        let statusJSON = try json(try await ctl(["status", "-o", "json"], socket: socket).output)
        XCTAssertEqual(statusJSON["pid"] as? Int, Int(host.process.pid))
        // 64-bit integers are strings, as protobuf's JSON mapping writes them; 32-bit ones numbers.
        let startedAtMs = try XCTUnwrap(statusJSON["started_at_ms"] as? String, "\(statusJSON)")
        XCTAssertGreaterThan(Int64(startedAtMs) ?? 0, 1_700_000_000_000)
        XCTAssertNotNil(Int64(try XCTUnwrap(statusJSON["resident_bytes"] as? String)))
        XCTAssertEqual((statusJSON["plugins"] as? [[String: Any]])?.first?["name"] as? String, "noticeboard")

        let list = try json(try await ctl(["plugins", "list", "-o", "json"], socket: socket).output)
        let plugins = try XCTUnwrap(list["plugins"] as? [[String: Any]])
        XCTAssertEqual(plugins.map { $0["state"] as? String }, ["ready"])
        XCTAssertEqual(plugins.first?["services"] as? [String], ["gongzhi.example.v1.NoticeBoard"])

        let describe = try await ctl(["plugins", "describe", "noticeboard"], socket: socket)
        XCTAssertEqual(describe.status, 0)
        XCTAssertTrue(describe.output.contains("state:             ready"), describe.output)
        XCTAssertTrue(describe.output.contains("gongzhi.example.v1.NoticeBoard"), describe.output)

        let logs = try await ctl(["plugins", "logs", "noticeboard", "--tail", "5"], socket: socket)
        XCTAssertEqual(logs.status, 0, logs.errors)
        XCTAssertTrue(logs.output.contains("registered with the host"), logs.output)
        XCTAssertTrue(logs.output.contains("info"), logs.output)

        let disabled = try json(
            try await ctl(["plugins", "disable", "noticeboard", "-o", "json"], socket: socket).output
        )
        XCTAssertEqual(disabled["state"] as? String, "disabled")
        let enabled = try await ctl(["plugins", "enable", "noticeboard"], socket: socket)
        XCTAssertEqual(enabled.status, 0, enabled.errors)
        try await host.waitUntil("noticeboard")
        let restarted = try await ctl(["plugins", "restart", "noticeboard"], socket: socket)
        XCTAssertEqual(restarted.status, 0, restarted.errors)
        let after = try await host.waitUntil("noticeboard")
        XCTAssertGreaterThanOrEqual(after.restarts, 1)
        XCTAssertEqual(after.recentCrashes, 0, "a restart is not a crash: \(after.reason)")

        let managedName = try await ctl(["tokens", "issue", "--plugin", "noticeboard"], socket: socket)
        XCTAssertEqual(managedName.status, 1)
        XCTAssertTrue(managedName.errors.contains("needs a name the configuration does not use"), managedName.errors)

        let missing = try await ctl(["plugins", "describe", "nope"], socket: socket)
        XCTAssertEqual(missing.status, 4)
        XCTAssertEqual(missing.errors, "error: no plugin named nope (known: noticeboard)\n")
        XCTAssertEqual(missing.output, "")
    }

    func testTokensAndAuditCommands() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let socket = host.adminSocket

        let issued = try await ctl(
            [
                "tokens", "issue", "--client", "dashboard", "--scope", "gongzhi.example.v1.NoticeBoard/List", "--ttl",
                "12h",
            ],
            socket: socket
        )
        XCTAssertEqual(issued.status, 0, issued.errors)
        XCTAssertTrue(issued.output.contains("gzt_"), issued.output)
        XCTAssertTrue((issued.output + issued.errors).contains("shown only this once"))

        let issuedJSON = try json(
            try await ctl(["tokens", "issue", "--plugin", "sensor", "-o", "json"], socket: socket).output
        )
        let info = try XCTUnwrap(issuedJSON["info"] as? [String: Any])
        let id = try XCTUnwrap(info["id"] as? String)
        XCTAssertEqual(info["kind"] as? String, "plugin")
        XCTAssertTrue((issuedJSON["token"] as? String)?.hasPrefix("gzt_\(id)_") == true)

        let list = try await ctl(["tokens", "list"], socket: socket)
        XCTAssertTrue(list.output.contains("dashboard") && list.output.contains("sensor"), list.output)
        XCTAssertFalse(list.output.contains("gzt_"), "secrets are never listed")

        let revoked = try json(try await ctl(["tokens", "revoke", id, "-o", "json"], socket: socket).output)
        XCTAssertEqual(revoked["revoked"] as? Bool, true)
        let unknown = try await ctl(["tokens", "revoke", "ffffffffffff"], socket: socket)
        XCTAssertEqual(unknown.status, 4)

        let audit = try json(try await ctl(["audit", "--limit", "10", "-o", "json"], socket: socket).output)
        let entries = try XCTUnwrap(audit["entries"] as? [[String: Any]])
        let actions = entries.compactMap { $0["action"] as? String }
        XCTAssertTrue(actions.contains("token.issue"), "\(actions)")
        XCTAssertTrue(actions.contains("token.revoke"), "\(actions)")
        XCTAssertTrue(entries.allSatisfy { ($0["hash"] as? String)?.count == 64 })
        let table = try await ctl(["audit"], socket: socket)
        XCTAssertTrue(table.output.contains("token.revoke"), table.output)

        let intact = try await ctl(["audit", "verify"], socket: socket)
        XCTAssertEqual(intact.status, 0, intact.output + intact.errors)
        XCTAssertTrue(intact.output.hasPrefix("audit log intact: "), intact.output)

        // Someone edits an entry on disk: the chain breaks there, and verify says where.
        let path = host.directory.path + "/data/host/audit.log"
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let target = try XCTUnwrap(lines.firstIndex { $0.contains("token.issue") })
        lines[target] = lines[target].replacingOccurrences(of: "dashboard", with: "someone-else")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let broken = try await ctl(["audit", "verify", "-o", "json"], socket: socket)
        XCTAssertEqual(broken.status, 1)
        let verdict = try json(broken.output)
        XCTAssertEqual(verdict["intact"] as? Bool, false)
        XCTAssertTrue((verdict["problem"] as? String)?.contains("line \(target + 1)") == true, broken.output)
    }

    func testUsefulExitCodesWhenTheHostRefusesOrIsAbsent() async throws {
        let host = try await HostUnderTest(plugins: [], settings: "admin_uids = [4242]")
        addTeardownBlock { await host.stop() }
        let denied = try await ctl(["status"], socket: host.adminSocket)
        XCTAssertEqual(denied.status, 5)
        XCTAssertTrue(denied.errors.hasPrefix("error: "), denied.errors)
        XCTAssertEqual(denied.errors.split(separator: "\n").count, 1, "one readable line: \(denied.errors)")

        let absent = try await ctl(["status"], socket: host.directory.path + "/nowhere.sock")
        XCTAssertEqual(absent.status, 3)
        XCTAssertTrue(absent.errors.contains("cannot reach the host"), absent.errors)

        let completion = try await ctl(["--generate-completion-script", "bash"], socket: host.adminSocket)
        XCTAssertEqual(completion.status, 0)
        XCTAssertTrue(completion.output.contains("plugins"), "completion lists the subcommands")
    }

    func testAModuleThatIsNotDeployedIsNamedInOneLine() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let modules: [(plugin: String, service: String, commands: [[String]])] = [
            ("grid", "gongzhi.grid.v1.GridService", [["list"], ["locate", "120.1551", "30.2741", "-o", "json"]]),
            (
                "points", "gongzhi.points.v1.Points",
                [["status"], ["balance", "volunteer:resident:R1", "-o", "json"], ["verify"]]
            ),
        ]
        for (plugin, service, commands) in modules {
            for command in commands {
                let arguments = [plugin] + command
                let outcome = try await ctl(arguments, socket: host.adminSocket)
                XCTAssertEqual(outcome.status, 1, "\(arguments)")
                XCTAssertEqual(outcome.output, "", "\(arguments)")
                XCTAssertEqual(
                    outcome.errors,
                    "error: the \(plugin) plugin is not deployed on this host (no plugin serves \(service)); "
                        + "install it with Deploy/install-plugin.sh, add [plugins.\(plugin)] to the host's config "
                        + "and reload the host\n",
                    "\(arguments)"
                )
            }
        }
    }
}
