import GongzhiControlTestSupport
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

@testable import GongzhiControl

/// The Admin service with the fixtures' answers, recording what it was asked; refuses everything when `denying`.
final class FakeAdmin: Gongzhi_Host_V1_AdminHandler {
    let denying: Bool
    /// What ListServices answers.
    let services: [Gongzhi_Host_V1_ServiceInfo]
    /// What ListTokens answers.
    let tokens: [Gongzhi_Host_V1_TokenInfo]
    let requests = Mutex<[String]>([])
    let deadlines = Mutex<[String: Bool]>([:])
    /// Who made each request, as its metadata says (``FakeCaller``).
    let callers = Mutex<[String]>([])

    init(
        denying: Bool = false,
        services: [Gongzhi_Host_V1_ServiceInfo] = [Fixtures.noticeboardService],
        tokens: [Gongzhi_Host_V1_TokenInfo] = [Fixtures.clientToken, Fixtures.pluginToken]
    ) {
        self.denying = denying
        self.services = services
        self.tokens = tokens
    }

    private func record(_ method: String, _ request: String = "", context: ServerCallContext) throws {
        requests.withLock { $0.append(request.isEmpty ? method : "\(method) \(request)") }
        callers.withLock { $0.append(FakeCaller.describe(context)) }
        deadlines.withLock { $0[method] = context.deadline != nil }
        if denying {
            throw RPCError(code: .permissionDenied, message: "uid \(context.peer.uid) is not in admin_uids")
        }
    }

    private func plugin(_ name: String) throws -> Gongzhi_Host_V1_PluginStatus {
        let plugins = [Fixtures.noticeboard, Fixtures.grid, Fixtures.mediation]
        guard let plugin = plugins.first(where: { $0.name == name }) else {
            throw RPCError(
                code: .notFound,
                message: "no plugin named \(name); the plugins are grid, mediation, noticeboard"
            )
        }
        return plugin
    }

    func status(
        request: Gongzhi_Host_V1_StatusRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_HostStatus
    {
        try record("Status", context: context)
        return Fixtures.hostStatus
    }

    func listPlugins(
        request: Gongzhi_Host_V1_ListPluginsRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_ListPluginsResponse
    {
        try record("ListPlugins", context: context)
        return .with { $0.plugins = [Fixtures.noticeboard, Fixtures.grid, Fixtures.mediation] }
    }

    func describePlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_PluginStatus
    {
        try record("DescribePlugin", request.name, context: context)
        return try plugin(request.name)
    }

    func enablePlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_PluginStatus
    {
        try record("EnablePlugin", request.name, context: context)
        var status = try plugin(request.name)
        status.state = "starting"
        return status
    }

    func disablePlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_PluginStatus
    {
        try record("DisablePlugin", request.name, context: context)
        var status = try plugin(request.name)
        status.state = "disabled"
        status.pid = 0
        return status
    }

    func restartPlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_PluginStatus
    {
        try record("RestartPlugin", request.name, context: context)
        var status = try plugin(request.name)
        status.state = "starting"
        status.pid = 4302
        return status
    }

    func pluginLogs(
        request: Gongzhi_Host_V1_PluginLogsRequest,
        responses: RPCResponseWriter<Gongzhi_Host_V1_LogLine>,
        context: ServerCallContext
    ) async throws {
        try record("PluginLogs", "\(request.name) tail=\(request.tail) follow=\(request.follow)", context: context)
        _ = try plugin(request.name)
        let lines = request.tail == 0 ? Fixtures.logLines : Array(Fixtures.logLines.suffix(Int(request.tail)))
        for line in lines { try await responses.write(line) }
        if request.follow {
            // A followed log goes on: one more line a little later, then the host ends the stream.
            try await Task.sleep(for: .milliseconds(100))
            try await responses.write(
                .with {
                    $0.timeMs = Fixtures.nowMs
                    $0.level = "warning"
                    $0.stream = "stderr"
                    $0.text = "later"
                }
            )
        }
    }

    func issueToken(
        request: Gongzhi_Host_V1_IssueTokenRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_IssuedToken
    {
        try record(
            "IssueToken",
            "\(request.kind) \(request.subject) \(request.scopes) ttl=\(request.ttlSeconds) \(request.description_p)",
            context: context
        )
        return Fixtures.issued
    }

    func listTokens(
        request: Gongzhi_Host_V1_ListTokensRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_ListTokensResponse
    {
        try record("ListTokens", context: context)
        return .with { $0.tokens = tokens }
    }

    func revokeToken(
        request: Gongzhi_Host_V1_RevokeTokenRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_TokenInfo
    {
        try record("RevokeToken", request.id, context: context)
        guard request.id == Fixtures.pluginToken.id else {
            throw RPCError(code: .notFound, message: "no token with id \(request.id)")
        }
        return Fixtures.pluginToken
    }

    func listAudit(
        request: Gongzhi_Host_V1_ListAuditRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_ListAuditResponse
    {
        try record(
            "ListAudit",
            "limit=\(request.limit)" + (request.person.isEmpty ? "" : " person=\(request.person)"),
            context: context
        )
        return .with { $0.entries = Fixtures.auditEntries }
    }

    func verifyAudit(
        request: Gongzhi_Host_V1_VerifyAuditRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_VerifyAuditResponse {
        try record("VerifyAudit", "", context: context)
        return .with {
            $0.intact = true
            $0.entries = UInt64(Fixtures.auditEntries.count)
            $0.path = "/var/lib/gongzhi/host/audit.log"
        }
    }

    func listServices(
        request: Gongzhi_Host_V1_ListServicesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_ListServicesResponse {
        try record("ListServices", request.name, context: context)
        if !request.name.isEmpty && !services.contains(where: { $0.name == request.name }) {
            throw RPCError(code: .notFound, message: "nothing serves \(request.name) on this host")
        }
        return .with { $0.services = services.filter { request.name.isEmpty || $0.name == request.name } }
    }
}

/// Every command against an in-process host (the Admin service, and the Objects service in memory) on a
/// real socket: what it asks, what it prints, and how it exits.
final class FakeHostTests: XCTestCase {
    private func withFakeHost(
        denying: Bool = false,
        _ body: (_ run: @escaping ([String]) async -> (status: Int32, output: String, errors: String), FakeAdmin)
            async throws -> Void
    ) async throws {
        let admin = FakeAdmin(denying: denying)
        // Both on one socket, as the host serves them on admin.sock.
        try await withRPCServer(services: [admin, FakeObjects()]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments in
                    // Through the environment, as an administrator's shell would name a test host.
                    let console = TestConsole(environment: ["GONGZHI_ADMIN_SOCKET": socket])
                    let status = await console.run(arguments)
                    return (status, console.output, console.errors)
                },
                admin
            )
        }
    }

    func testEveryCommandPrintsWhatItsRendererDoes() async throws {
        let t = Fixtures.time
        try await withFakeHost { run, admin in
            let cases: [([String], String)] = [
                (["status"], HumanOutput.status(Fixtures.hostStatus, time: t)),
                (["-o", "json", "status"], JSONOutput.status(Fixtures.hostStatus)),
                (
                    ["plugins", "list"],
                    HumanOutput.pluginTable([Fixtures.noticeboard, Fixtures.grid, Fixtures.mediation], time: t)
                ),
                (
                    ["plugins", "list", "-o", "json"],
                    JSONOutput.plugins([Fixtures.noticeboard, Fixtures.grid, Fixtures.mediation])
                ),
                (["plugins", "describe", "grid"], HumanOutput.pluginDetail(Fixtures.grid, time: t)),
                (["plugins", "describe", "grid", "--output", "json"], JSONOutput.plugin(Fixtures.grid)),
                (["plugins", "enable", "grid"], "enabled grid: now starting; exited with status 1\n"),
                (["plugins", "disable", "noticeboard"], "disabled noticeboard: now disabled\n"),
                (["plugins", "restart", "noticeboard"], "restarted noticeboard: now starting (pid 4302)\n"),
                (
                    ["plugins", "logs", "noticeboard", "--tail", "1"],
                    HumanOutput.logLine(Fixtures.logLines[1], time: t)
                ),
                (["plugins", "logs", "noticeboard", "-o", "json"], Fixtures.logLines.map(JSONOutput.logLine).joined()),
                (
                    [
                        "tokens", "issue", "--client", "grid-dashboard", "--scope", "gongzhi.grid.v1.GridService/*",
                        "--ttl", "30d",
                    ],
                    HumanOutput.issuedToken(Fixtures.issued, time: t)
                ),
                (["tokens", "issue", "--plugin", "mediation", "-o", "json"], JSONOutput.issuedToken(Fixtures.issued)),
                (["tokens", "list"], HumanOutput.tokenTable([Fixtures.clientToken, Fixtures.pluginToken], time: t)),
                (["tokens", "revoke", "p3x8"], "revoked token p3x8 (plugin mediation)\n"),
                (["tokens", "revoke", "p3x8", "-o", "json"], JSONOutput.token(Fixtures.pluginToken)),
                (["audit", "--limit", "2"], HumanOutput.auditTable(Fixtures.auditEntries, time: t)),
                (["audit", "-o", "json"], JSONOutput.audit(Fixtures.auditEntries)),
            ]
            for (arguments, expected) in cases {
                let (status, output, errors) = await run(arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
                XCTAssertEqual(errors, "", "\(arguments)")
                XCTAssertEqual(output, expected, "\(arguments)")
            }
            XCTAssertEqual(
                admin.requests.withLock { $0 },
                [
                    "Status", "Status", "ListPlugins", "ListPlugins", "DescribePlugin grid", "DescribePlugin grid",
                    "EnablePlugin grid", "DisablePlugin noticeboard", "RestartPlugin noticeboard",
                    "PluginLogs noticeboard tail=1 follow=false", "PluginLogs noticeboard tail=0 follow=false",
                    "IssueToken client grid-dashboard [\"gongzhi.grid.v1.GridService/*\"] ttl=2592000 ",
                    "IssueToken plugin mediation [] ttl=0 ", "ListTokens", "RevokeToken p3x8", "RevokeToken p3x8",
                    "ListAudit limit=2", "ListAudit limit=0",
                ]
            )
        }
    }

    func testTheAdminSocketServesObjectsToo() async throws {
        try await withFakeHost { run, admin in
            let (status, output, errors) = await run(["get", "kinds"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(output, ObjectOutput.kindTable(Fixtures.kinds.sorted { $0.name < $1.name }))
            let yaml = await run(["plugins", "list", "-o", "yaml"])
            XCTAssertEqual(yaml.status, ControlExitCode.usage)
            XCTAssertEqual(
                yaml.errors,
                "error: -o yaml is for the object commands (get, describe, watch, apply); use -o json or -o table\n"
            )
            XCTAssertEqual(admin.requests.withLock { $0 }, [], "refused before calling")
        }
    }

    func testCallsHaveADeadlineExceptAFollowedLog() async throws {
        try await withFakeHost { run, admin in
            _ = await run(["status"])
            let (status, output, _) = await run(["plugins", "logs", "-f", "noticeboard"])
            XCTAssertEqual(status, 0)
            XCTAssertEqual(
                output,
                Fixtures.logLines.map { HumanOutput.logLine($0, time: Fixtures.time) }.joined()
                    + "2025-11-21T23:00:00+08:00 warning  [stderr] later\n"
            )
            XCTAssertEqual(admin.deadlines.withLock { $0 }, ["Status": true, "PluginLogs": false])
        }
    }

    func testNotFoundExitsWith4() async throws {
        try await withFakeHost { run, _ in
            let describe = await run(["plugins", "describe", "grdi"])
            XCTAssertEqual(describe.status, 4)
            XCTAssertEqual(describe.output, "")
            XCTAssertEqual(
                describe.errors,
                "error: no plugin named grdi; the plugins are grid, mediation, noticeboard\n"
            )
            let revoke = await run(["tokens", "revoke", "nope", "-o", "json"])
            XCTAssertEqual(revoke.status, 4)
            XCTAssertEqual(revoke.errors, "error: no token with id nope\n")
            let logs = await run(["plugins", "logs", "grdi"])
            XCTAssertEqual(logs.status, 4)
        }
    }

    func testPermissionDeniedExitsWith5() async throws {
        try await withFakeHost(denying: true) { run, _ in
            let uid = getuid()
            for arguments in [["status"], ["plugins", "logs", "grid", "-f"], ["tokens", "list", "-o", "json"]] {
                let (status, output, errors) = await run(arguments)
                XCTAssertEqual(status, 5, "\(arguments)")
                XCTAssertEqual(output, "")
                XCTAssertEqual(
                    errors,
                    "error: uid \(uid) is not allowed to administer the host: uid \(uid) is not in admin_uids "
                        + "(admin_uids in the host config lists who is)\n"
                )
            }
        }
    }
}
