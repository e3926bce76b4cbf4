import ArgumentParser
import GongzhiControlTestSupport
import XCTest

@testable import GongzhiControl

/// The command tree, its options wherever they stand, `--ttl`, and where the socket comes from.
final class CommandLineTests: XCTestCase {
    private func parse<Command: ParsableCommand>(_ arguments: [String], as type: Command.Type) throws -> Command {
        let parsed = try CoreCommandLine.parseAsRoot(arguments)
        return try XCTUnwrap(parsed as? Command, "parsed \(arguments) as \(Swift.type(of: parsed))")
    }

    func testEveryCommandParses() throws {
        _ = try parse(["status"], as: GongzhiControl.Status.self)
        _ = try parse(["plugins", "list"], as: GongzhiControl.Plugins.List.self)
        XCTAssertEqual(
            try parse(["plugins", "describe", "grid"], as: GongzhiControl.Plugins.Describe.self).plugin.name,
            "grid"
        )
        XCTAssertEqual(
            try parse(["plugins", "enable", "grid"], as: GongzhiControl.Plugins.Enable.self).plugin.name,
            "grid"
        )
        XCTAssertEqual(
            try parse(["plugins", "disable", "grid"], as: GongzhiControl.Plugins.Disable.self).plugin.name,
            "grid"
        )
        XCTAssertEqual(
            try parse(["plugins", "restart", "grid"], as: GongzhiControl.Plugins.Restart.self).plugin.name,
            "grid"
        )
        _ = try parse(["tokens", "list"], as: GongzhiControl.Tokens.List.self)
        XCTAssertEqual(try parse(["tokens", "revoke", "k7f2"], as: GongzhiControl.Tokens.Revoke.self).id, "k7f2")
        XCTAssertNil(try parse(["audit"], as: GongzhiControl.Audit.List.self).limit)
        XCTAssertEqual(try parse(["audit", "--limit", "5"], as: GongzhiControl.Audit.List.self).limit, 5)
        XCTAssertEqual(try parse(["audit", "list", "--limit", "7"], as: GongzhiControl.Audit.List.self).limit, 7)
        _ = try parse(["audit", "verify"], as: GongzhiControl.Audit.Verify.self)
    }

    func testLogsOptions() throws {
        let plain = try parse(["plugins", "logs", "grid"], as: GongzhiControl.Plugins.Logs.self)
        XCTAssertEqual(plain.plugin.name, "grid")
        XCTAssertFalse(plain.follow)
        XCTAssertNil(plain.tail)
        let follow = try parse(["plugins", "logs", "-f", "--tail", "20", "grid"], as: GongzhiControl.Plugins.Logs.self)
        XCTAssertTrue(follow.follow)
        XCTAssertEqual(follow.tail, 20)
        XCTAssertTrue(try parse(["plugins", "logs", "grid", "--follow"], as: GongzhiControl.Plugins.Logs.self).follow)
    }

    func testGlobalOptionsStandAnywhere() throws {
        for arguments in [
            ["--socket", "/tmp/a.sock", "-o", "json", "plugins", "list"],
            ["plugins", "--socket", "/tmp/a.sock", "list", "--output", "json"],
            ["plugins", "list", "--socket", "/tmp/a.sock", "-o", "json"],
        ] {
            let command = try parse(arguments, as: GongzhiControl.Plugins.List.self)
            let invocation = Invocation(options: command.options, context: .testing())
            XCTAssertEqual(invocation.socketPath, "/tmp/a.sock", "\(arguments)")
            XCTAssertEqual(invocation.format, .json, "\(arguments)")
        }
        let command = try parse(["status"], as: GongzhiControl.Status.self)
        XCTAssertEqual(command.invocation.format, .table)
    }

    func testIssueBuildsTheRequest() throws {
        let client = try parse(
            [
                "tokens", "issue", "--client", "grid-dashboard", "--scope", "gongzhi.grid.v1.GridService/*",
                "--scope", "gongzhi.test.v1.Echo/Unary", "--ttl", "30d", "--description", "街道大屏",
            ],
            as: GongzhiControl.Tokens.Issue.self
        ).request
        XCTAssertEqual(client.kind, .client)
        XCTAssertEqual(client.subject, "grid-dashboard")
        XCTAssertEqual(client.scopes, ["gongzhi.grid.v1.GridService/*", "gongzhi.test.v1.Echo/Unary"])
        XCTAssertEqual(client.ttlSeconds, 30 * 86_400)
        XCTAssertEqual(client.description_p, "街道大屏")

        let plugin = try parse(["tokens", "issue", "--plugin", "noticeboard"], as: GongzhiControl.Tokens.Issue.self)
            .request
        XCTAssertEqual(plugin.kind, .plugin)
        XCTAssertEqual(plugin.subject, "noticeboard")
        XCTAssertEqual(plugin.scopes, [])
        XCTAssertEqual(plugin.ttlSeconds, 0)
        XCTAssertEqual(plugin.description_p, "")
    }

    func testIssueNeedsExactlyOneSubject() {
        XCTAssertThrowsError(try CoreCommandLine.parseAsRoot(["tokens", "issue"])) { error in
            XCTAssertEqual(
                CoreCommandLine.message(for: error),
                "say who the token is for: --person ID, --client NAME or --plugin NAME"
            )
        }
        XCTAssertThrowsError(try CoreCommandLine.parseAsRoot(["tokens", "issue", "--client", "a", "--plugin", "b"])) {
            XCTAssertEqual(CoreCommandLine.message(for: $0), "give one of --person, --client or --plugin, not several")
        }
        XCTAssertThrowsError(
            try CoreCommandLine.parseAsRoot(["tokens", "issue", "--person", "hu-wei", "--scope", "a.B/*"])
        ) {
            XCTAssertEqual(
                CoreCommandLine.message(for: $0),
                "--scope does not go with --person: a person's roles decide what their token allows "
                    + "(gongzhictl people bind)"
            )
        }
        XCTAssertThrowsError(try CoreCommandLine.parseAsRoot(["tokens", "issue", "--person", ""])) {
            XCTAssertEqual(CoreCommandLine.message(for: $0), "the name after --person is empty")
        }
    }

    func testTokenLifetimes() throws {
        XCTAssertEqual(try TokenLifetime(parsing: "3600s").seconds, 3600)
        XCTAssertEqual(try TokenLifetime(parsing: "90m").seconds, 5400)
        XCTAssertEqual(try TokenLifetime(parsing: "12h").seconds, 43_200)
        XCTAssertEqual(try TokenLifetime(parsing: "30d").seconds, 2_592_000)
        let usage = "write a whole number and a unit: 30d, 12h, 90m or 3600s"
        for bad in ["", "30", "d", "3x", "-5d", "+5d", "1.5h", "1d12h", " 5s", "５s", "30D"] {
            XCTAssertThrowsError(try TokenLifetime(parsing: bad), "\(bad)") { error in
                XCTAssertEqual((error as? TokenLifetime.ParseError)?.description, usage, "\(bad)")
            }
        }
        XCTAssertThrowsError(try TokenLifetime(parsing: "0h")) {
            XCTAssertEqual(
                ($0 as? TokenLifetime.ParseError)?.description,
                "a token must live longer than 0; leave out --ttl for the host's default"
            )
        }
        XCTAssertThrowsError(try TokenLifetime(parsing: "99999999999999999d"))
        XCTAssertThrowsError(try TokenLifetime(parsing: "999999999999999999999s"))
    }

    func testBadTTLIsAUsageError() async {
        let console = TestConsole()
        let status = await console.run(["tokens", "issue", "--client", "a", "--ttl", "3x"])
        XCTAssertEqual(status, ControlExitCode.usage)
        XCTAssertEqual(console.output, "")
        XCTAssertTrue(
            console.errors.hasPrefix(
                "error: The value '3x' is invalid for '--ttl <lifetime>': "
                    + "write a whole number and a unit: 30d, 12h, 90m or 3600s\n"
            ),
            console.errors
        )
    }

    func testUsageErrorsExitWith2() async {
        for arguments in [
            ["plugins", "describe"], ["frobnicate"], ["status", "--output", "yaml"], ["audit", "--limit", "x"],
        ] {
            let console = TestConsole()
            let status = await console.run(arguments)
            XCTAssertEqual(status, ControlExitCode.usage, "\(arguments)")
            XCTAssertTrue(console.errors.hasPrefix("error: "), console.errors)
            XCTAssertEqual(console.output, "")
        }
    }

    func testHelpMentionsExitCodesAndCompletion() async {
        let console = TestConsole()
        let status = await console.run(["--help"])
        XCTAssertEqual(status, ControlExitCode.ok)
        XCTAssertEqual(console.errors, "")
        for text in [
            "Exit codes:", "3  the host cannot be reached", "5  permission denied",
            "--generate-completion-script", "GONGZHI_ADMIN_SOCKET", "SUBCOMMANDS:",
        ] {
            XCTAssertTrue(console.output.contains(text), "help lacks \(text):\n\(console.output)")
        }
    }

    func testCompletionScripts() async {
        for shell in ["bash", "zsh", "fish"] {
            let console = TestConsole()
            let status = await console.run(["--generate-completion-script", shell])
            XCTAssertEqual(status, ControlExitCode.ok, shell)
            XCTAssertEqual(console.errors, "", shell)
            for word in ["gongzhictl", "plugins", "tokens", "describe", "follow", "socket", "json"] {
                XCTAssertTrue(console.output.contains(word), "\(shell) completion lacks \(word)")
            }
        }
    }

    func testSocketResolutionOrder() {
        let none: (String) -> String? = { _ in nil }
        let set: (String) -> String? = { $0 == "GONGZHI_ADMIN_SOCKET" ? "/srv/gz/admin.sock" : nil }
        let empty: (String) -> String? = { $0 == "GONGZHI_ADMIN_SOCKET" ? "" : nil }
        XCTAssertEqual(AdminSocket.resolve(option: "/tmp/x.sock", environment: set), "/tmp/x.sock")
        XCTAssertEqual(AdminSocket.resolve(option: nil, environment: set), "/srv/gz/admin.sock")
        XCTAssertEqual(AdminSocket.resolve(option: nil, environment: none), "/run/gongzhi/admin.sock")
        XCTAssertEqual(AdminSocket.resolve(option: nil, environment: empty), "/run/gongzhi/admin.sock")
        XCTAssertEqual(AdminSocket.resolve(option: "", environment: set), "/srv/gz/admin.sock")
    }

    func testCommandsUseTheResolvedSocket() async {
        // Nothing listens at these paths: the error names the path each command tried.
        let cases: [([String], [String: String], String)] = [
            (["status"], [:], "/run/gongzhi/admin.sock"),
            (["status"], ["GONGZHI_ADMIN_SOCKET": "/nonexistent/env.sock"], "/nonexistent/env.sock"),
            (
                ["status", "--socket", "/nonexistent/flag.sock"], ["GONGZHI_ADMIN_SOCKET": "/nonexistent/env.sock"],
                "/nonexistent/flag.sock"
            ),
        ]
        for (arguments, environment, path) in cases {
            let console = TestConsole(environment: environment)
            let status = await console.run(arguments)
            if path == "/run/gongzhi/admin.sock", SocketProbe.probe(path) != .missing { continue }
            XCTAssertEqual(status, ControlExitCode.unreachable)
            XCTAssertEqual(
                console.errors,
                "error: cannot reach the host at \(path): no such file "
                    + "(is gongzhi-host running? use --socket or GONGZHI_ADMIN_SOCKET)\n"
            )
        }
    }
}
