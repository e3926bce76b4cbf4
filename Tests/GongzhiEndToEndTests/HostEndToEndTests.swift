import GongzhiExampleSchemas
import GongzhiHost
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The host as district IT runs it: the real `gongzhi-host`, real plugin processes, real sockets.
final class HostEndToEndTests: XCTestCase {
    private func echo(_ text: String, delayMilliseconds: UInt32 = 0) -> Gongzhi_Test_V1_EchoRequest {
        var request = Gongzhi_Test_V1_EchoRequest()
        request.text = text
        request.delayMs = delayMilliseconds
        return request
    }

    func testTwoPluginsAreStartedAndCallsAreRoutedToEach() async throws {
        let host = try await HostUnderTest(plugins: [
            try HostUnderTest.noticeboardPlugin(), try HostUnderTest.testPlugin("alpha"),
        ])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("noticeboard")
        try await host.waitUntil("alpha")

        let issued = try await host.issueClientToken(scopes: ["gongzhi.example.v1.NoticeBoard/*", "gongzhi.test.v1.*"])
        let channel = host.channel(token: issued.token)
        addTeardownBlock { await channel.close() }

        var post = Gongzhi_Example_V1_PostRequest()
        post.title = "Water off on Tuesday"
        post.body = "Building 3, 9:00-12:00"
        post.community = "310115007001"
        let notice = try await Gongzhi_Example_V1_NoticeBoardClient(channel: channel).post(post)
        XCTAssertEqual(notice.title, "Water off on Tuesday")
        XCTAssertEqual(notice.postedBy, "client:\(issued.info.id)", "the plugin sees the caller the host verified")

        let answer = try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(echo("through the host"))
        XCTAssertEqual(answer.text, "through the host")

        // Streaming calls are routed too.
        var expand = echo("tick")
        expand.repeat = 3
        let streamed = try await Gongzhi_Test_V1_EchoClient(channel: channel).expand(expand) { responses in
            var texts: [String] = []
            for try await response in responses { texts.append(response.text) }
            return texts
        }
        XCTAssertEqual(streamed.count, 3)

        // Administrators call plugins through admin.sock as well.
        let listed = try await Gongzhi_Example_V1_NoticeBoardClient(channel: host.admin).list(
            Gongzhi_Example_V1_ListRequest()
        )
        XCTAssertEqual(listed.notices.map(\.title), ["Water off on Tuesday"])
    }

    func testThePluginSeesAVerifiedIdentityAScrubbedEnvironmentAndNoTokenInItsArguments() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("alpha")])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("alpha")
        let issued = try await host.issueClientToken(scopes: ["gongzhi.test.v1.Probe/Inspect"])
        let channel = host.channel(token: issued.token)
        addTeardownBlock { await channel.close() }

        // A forged identity and the caller's own token must not reach the plugin.
        var options = CallOptions()
        options.metadata.add("gongzhi-caller", "admin:uid=0")
        options.metadata.add("gongzhi-caller-personal-data", "true")
        let inspected = try await Gongzhi_Test_V1_ProbeClient(channel: channel).inspect(
            Gongzhi_Test_V1_InspectRequest(),
            options: options
        )
        XCTAssertEqual(inspected.callMetadata["gongzhi-caller"], "client:\(issued.info.id)")
        XCTAssertEqual(inspected.callMetadata["gongzhi-caller-kind"], "client")
        XCTAssertEqual(inspected.callMetadata["gongzhi-caller-pid"], String(getpid()))
        XCTAssertEqual(inspected.callMetadata["gongzhi-caller-personal-data"], "false", "the token has no such grant")
        XCTAssertNil(inspected.callMetadata["gongzhi-token"], "the caller's token is never forwarded")

        XCTAssertEqual(inspected.arguments.count, 1, "no arguments: \(inspected.arguments)")
        XCTAssertEqual(inspected.environment["GONGZHI_PLUGIN_TOKEN"], "(set)")
        XCTAssertEqual(inspected.environment["GONGZHI_PLUGIN_NAME"], "alpha")
        XCTAssertEqual(inspected.environment["GONGZHI_HOST_SOCKET"], host.hostSocket)
        XCTAssertEqual(inspected.environment["GONGZHI_PLUGIN_SOCKET"], host.runtime + "/plugins/alpha/alpha.sock")
        XCTAssertEqual(inspected.environment["GONGZHI_DATA_DIR"], host.directory.path + "/data/plugins/alpha")
        XCTAssertEqual(inspected.parentPid, host.process.pid)
        let expected: Set<String> = [
            "PATH", "LANG", "GONGZHI_PLUGIN_NAME", "GONGZHI_PLUGIN_SOCKET", "GONGZHI_HOST_SOCKET",
            "GONGZHI_PLUGIN_TOKEN", "GONGZHI_DATA_DIR", "GONGZHI_HOST_PID", "GONGZHI_LOG_LEVEL",
        ]
        XCTAssertEqual(Set(inspected.environment.keys), expected, "the environment is scrubbed")
    }

    func testAPluginKilledWithSIGKILLIsRestartedCallsInFlightFailFastAndLaterCallsSucceed() async throws {
        var alpha = try HostUnderTest.testPlugin("alpha")
        alpha.environment["TEST_PLUGIN_JOURNAL"] = "1"
        let host = try await HostUnderTest(plugins: [alpha])
        addTeardownBlock { await host.stop() }
        let before = try await host.waitUntil("alpha")
        let issued = try await host.issueClientToken(scopes: ["gongzhi.test.v1.Echo/*"])
        let channel = host.channel(token: issued.token)
        addTeardownBlock { await channel.close() }
        let client = Gongzhi_Test_V1_EchoClient(channel: channel)
        _ = try await client.unary(echo("warm"))

        let slow = echo("slow", delayMilliseconds: 20_000)
        let inFlight = Task { () -> (RPCError?, Duration) in
            let started = ContinuousClock.now
            do {
                _ = try await client.unary(slow)
                return (nil, ContinuousClock.now - started)
            } catch let error as RPCError {
                return (error, ContinuousClock.now - started)
            } catch {
                return (RPCError(code: .unknown, message: "\(error)"), ContinuousClock.now - started)
            }
        }
        // Killed once the call is in the plugin's handler.
        try await host.waitForJournal("alpha", line: "started slow ")
        kill(before.pid, SIGKILL)
        let (error, elapsed) = await inFlight.value
        XCTAssertEqual(error?.code, .unavailable, "\(String(describing: error))")
        XCTAssertLessThan(elapsed, .seconds(5), "the call in flight failed fast, not at its delay")

        // Until it is back, calls are refused at once with UNAVAILABLE.
        let after = try await host.waitUntilRestarted("alpha", from: before.pid)
        XCTAssertNotEqual(after.pid, before.pid)
        XCTAssertGreaterThanOrEqual(after.restarts, 1)
        let answer = try await client.unary(echo("again"))
        XCTAssertEqual(answer.text, "again")
    }

    /// The caller's deadline travels with the call through the router to the plugin, whose handler is cancelled
    /// when it passes; the caller hears DEADLINE_EXCEEDED when its deadline passes, not when the handler would
    /// have finished.
    func testTheCallersDeadlineReachesThePluginThroughTheRouterAndCancelsItsHandler() async throws {
        var alpha = try HostUnderTest.testPlugin("alpha")
        alpha.environment["TEST_PLUGIN_JOURNAL"] = "1"
        let host = try await HostUnderTest(plugins: [alpha])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("alpha")
        let issued = try await host.issueClientToken(scopes: ["gongzhi.test.v1.Echo/*"])
        let channel = host.channel(token: issued.token)
        addTeardownBlock { await channel.close() }
        let client = Gongzhi_Test_V1_EchoClient(channel: channel)

        let deadline = Duration.milliseconds(800)
        let sent = ContinuousClock.now
        let error = await assertRPCError(.deadlineExceeded) {
            try await client.unary(
                echo("deadline probe", delayMilliseconds: 30_000),
                options: CallOptions(timeout: deadline)
            )
        }
        let elapsed = ContinuousClock.now - sent
        XCTAssertNotNil(error)
        XCTAssertGreaterThanOrEqual(elapsed, deadline, "not before the deadline")
        XCTAssertLessThan(elapsed, deadline + .seconds(5), "at the deadline, not when the handler would finish")

        // The plugin's handler was told what was left of the deadline, and was cancelled when it passed.
        let started = try await host.waitForJournal("alpha", line: "started deadline probe ")
        let left = try XCTUnwrap(Int(started.split(separator: " ").last ?? ""), started)
        XCTAssertGreaterThan(left, 0, started)
        XCTAssertLessThanOrEqual(left, 800, "what was left of the caller's 800 ms: \(started)")
        let ended = try await host.waitForJournal("alpha", line: "cancelled deadline probe ")
        let after = try XCTUnwrap(Int(ended.split(separator: " ").last ?? ""), ended)
        XCTAssertGreaterThanOrEqual(after, left / 2, "cancelled at its deadline, not at once: \(ended)")
        XCTAssertLessThan(after, 10_000, "cancelled, not left to run its 30 s: \(ended)")
        let journal = try String(contentsOfFile: host.callJournal(of: "alpha"), encoding: .utf8)
        XCTAssertFalse(journal.contains("finished deadline probe"), journal)
    }

    func testAPluginThatCrashesOnStartIsQuarantinedUntilAnOperatorRestartsIt() async throws {
        var supervision = SupervisionPolicy.forTests
        supervision.crashLimit = 3
        supervision.backoffInitial = .milliseconds(50)
        let host = try await HostUnderTest(
            plugins: [try HostUnderTest.testPlugin("crasher", behavior: "crash-on-start")],
            supervision: supervision
        )
        addTeardownBlock { await host.stop() }
        let status = try await host.waitUntil("crasher", is: "quarantined")
        XCTAssertTrue(status.reason.contains("3 crashes"), status.reason)
        XCTAssertTrue(status.reason.contains("exited with status 3"), status.reason)
        // It stays quarantined.
        try await Task.sleep(for: .milliseconds(500))
        let still = try await host.status("crasher")
        XCTAssertEqual(still.state, "quarantined")

        // An operator's restart releases it (and it crashes again: the cause is not fixed).
        var request = Gongzhi_Host_V1_PluginRequest()
        request.name = "crasher"
        let restarted = try await host.adminClient.restartPlugin(request)
        XCTAssertTrue(["starting", "backing-off"].contains(restarted.state), restarted.state)
        try await host.waitUntil("crasher", is: "quarantined")

        let audit = try await host.adminClient.listAudit(Gongzhi_Host_V1_ListAuditRequest())
        XCTAssertTrue(audit.entries.contains { $0.action == "plugin.quarantine" && $0.target == "crasher" })
        XCTAssertTrue(audit.entries.contains { $0.action == "plugin.restart" && $0.target == "crasher" })
    }

    func testARegistrationThatDoesNotMatchTheManifestIsRefusedAndSaysWhat() async throws {
        var supervision = SupervisionPolicy.forTests
        supervision.crashLimit = 2
        let host = try await HostUnderTest(
            plugins: [try HostUnderTest.testPlugin("liar", behavior: "wrong-version")],
            supervision: supervision
        )
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("liar", is: "quarantined")
        let audit = try await host.adminClient.listAudit(Gongzhi_Host_V1_ListAuditRequest())
        let refusal = try XCTUnwrap(audit.entries.first { $0.action == "plugin.register" && $0.outcome == "denied" })
        XCTAssertTrue(refusal.detail.contains("version 9.9.9 differs from the manifest's 1.0.0"), refusal.detail)
        var request = Gongzhi_Host_V1_PluginLogsRequest()
        request.name = "liar"
        let lines = try await host.adminClient.pluginLogs(request) { stream in
            var texts: [String] = []
            for try await line in stream { texts.append(line.text) }
            return texts
        }
        XCTAssertTrue(lines.contains { $0.contains("9.9.9") }, "the plugin logged the host's reason: \(lines)")
    }

    func testATamperedExecutableIsRefusedAndSaysWhy() async throws {
        let directory = try TemporaryDirectory(prefix: "gztamper")
        let copy = directory.file("gongzhi-test-plugin")
        try FileManager.default.copyItem(atPath: try HostUnderTest.testPlugin, toPath: copy)
        // Seal the manifest for the copy, then change the copy.
        let host = try await HostUnderTest(
            plugins: [try HostUnderTest.testPlugin("tampered", enabled: false, executable: copy)],
            directory: directory
        )
        addTeardownBlock { await host.stop() }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: copy))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()

        var request = Gongzhi_Host_V1_PluginRequest()
        request.name = "tampered"
        let error = await assertRPCError(.failedPrecondition) {
            try await host.adminClient.enablePlugin(request)
        }
        XCTAssertTrue(error?.message.contains("SHA-256") == true, error?.message ?? "")
        let status = try await host.status("tampered")
        XCTAssertEqual(status.state, "refused")
        XCTAssertTrue(status.reason.contains("sha256"), status.reason)
        XCTAssertEqual(status.pid, 0, "nothing was started")
    }

    func testAnExecutableReplacedWhileThePluginRunsIsRefusedAtItsRestart() async throws {
        let directory = try TemporaryDirectory(prefix: "gzswap")
        let copy = directory.file("gongzhi-test-plugin")
        try FileManager.default.copyItem(atPath: try HostUnderTest.testPlugin, toPath: copy)
        let host = try await HostUnderTest(
            plugins: [try HostUnderTest.testPlugin("swapped", executable: copy)],
            directory: directory
        )
        addTeardownBlock { await host.stop() }
        let running = try await host.waitUntil("swapped")
        // Replaced (a new file renamed over the old one), as a careless upgrade or an intruder would.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        bytes.append(0)
        try bytes.write(to: URL(fileURLWithPath: copy + ".new"))
        XCTAssertEqual(rename(copy + ".new", copy), 0)
        chmod(copy, 0o755)
        kill(running.pid, SIGKILL)
        let refused = try await host.waitUntil("swapped", is: "refused")
        XCTAssertTrue(refused.reason.contains("SHA-256"), refused.reason)
    }

    func testAWrongTokenAndATokenFromTheWrongProcessAreRefusedAndAudited() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("leaky", behavior: "leak-token")])
        addTeardownBlock { await host.stop() }
        let tokenFile = host.directory.path + "/data/plugins/leaky/token"
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: tokenFile) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let stolen = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        XCTAssertFalse(stolen.isEmpty)

        var register = Gongzhi_Host_V1_RegisterRequest()
        register.name = "leaky"
        register.version = "1.0.0"
        register.protocolVersion = PluginProtocol.current
        register.socketPath = host.runtime + "/plugins/leaky/leaky.sock"

        let wrongPID = host.channel(token: stolen)
        addTeardownBlock { await wrongPID.close() }
        let denied = await assertRPCError(.permissionDenied) {
            try await Gongzhi_Host_V1_RegistrationClient(channel: wrongPID).register(register) { events in
                for try await _ in events {}
            }
        }
        XCTAssertTrue(denied?.message.contains("pid \(getpid())") == true, denied?.message ?? "")

        let wrongToken = host.channel(token: "gzp_" + String(repeating: "0", count: 64))
        addTeardownBlock { await wrongToken.close() }
        await assertRPCError(.unauthenticated) {
            try await Gongzhi_Host_V1_RegistrationClient(channel: wrongToken).register(register) { events in
                for try await _ in events {}
            }
        }
        let noToken = RPCClient(socketPath: host.hostSocket)
        addTeardownBlock { await noToken.close() }
        await assertRPCError(.unauthenticated) {
            try await Gongzhi_Test_V1_EchoClient(channel: noToken).unary(self.echo("x"))
        }

        let audit = try await host.adminClient.listAudit(Gongzhi_Host_V1_ListAuditRequest())
        let denials = audit.entries.filter { $0.outcome == "denied" }
        XCTAssertGreaterThanOrEqual(denials.count, 3, "\(audit.entries)")
        XCTAssertTrue(denials.contains { $0.detail.contains("presented by pid \(getpid())") })
    }

    func testAnAdminCallFromAUIDThatIsNotAllowedIsRefused() async throws {
        let host = try await HostUnderTest(plugins: [], settings: "admin_uids = [4242]")
        addTeardownBlock { await host.stop() }
        let error = await assertRPCError(.permissionDenied) {
            try await host.adminClient.status(Gongzhi_Host_V1_StatusRequest())
        }
        XCTAssertTrue(error?.message.contains("uid \(getuid()) is not an administrator") == true, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("admin_uids") == true)
    }

    func testNoPluginProcessOutlivesAHostKilledWithSIGKILL() async throws {
        let host = try await HostUnderTest(plugins: [
            try HostUnderTest.noticeboardPlugin(), try HostUnderTest.testPlugin("alpha"),
        ])
        let board = try await host.waitUntil("noticeboard")
        let alpha = try await host.waitUntil("alpha")
        XCTAssertTrue(processIsAlive(board.pid))
        XCTAssertTrue(processIsAlive(alpha.pid))
        host.process.signal(SIGKILL)
        _ = await host.process.waitForExit()
        let boardGone = await waitUntilGone(board.pid)
        let alphaGone = await waitUntilGone(alpha.pid)
        XCTAssertTrue(boardGone, "the noticeboard plugin outlived its host")
        XCTAssertTrue(alphaGone, "the alpha plugin outlived its host")
        await host.admin.close()
    }

    func testAHostCleansUpAStrayPluginLeftByAPredecessor() async throws {
        let directory = try TemporaryDirectory(prefix: "gzstray")
        try FileManager.default.createDirectory(
            atPath: directory.path + "/run/plugins",
            withIntermediateDirectories: true
        )
        // A process recorded as a plugin by a host that died without cleaning up.
        let stray = try ChildProcess("/bin/sleep", ["300"], outputPath: directory.file("stray.log"))
        let stat = try String(contentsOfFile: "/proc/\(stray.pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        try "\(stray.pid) \(fields[19])\n".write(
            toFile: directory.path + "/run/plugins/ghost.pid",
            atomically: true,
            encoding: .utf8
        )
        try "".write(toFile: directory.path + "/run/plugins/ghost.sock", atomically: true, encoding: .utf8)
        let host = try await HostUnderTest(plugins: [], directory: directory)
        addTeardownBlock { await host.stop() }
        let gone = await stray.waitForExit(timeout: .seconds(10))
        XCTAssertNotNil(gone, "the stray process was stopped")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + "/run/plugins/ghost.sock"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + "/run/plugins/ghost.pid"))
        XCTAssertTrue(host.log.contains("left running by a previous host"))
    }

    func testUnknownServicesAreUnimplementedAndAStoppedPluginsServicesAreUnavailableAtOnce() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("alpha")])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("alpha")
        let issued = try await host.issueClientToken(scopes: ["*"])
        let channel = host.channel(token: issued.token)
        addTeardownBlock { await channel.close() }
        let unknown = await assertRPCError(.unimplemented) {
            try await channel.unary(
                service: "gongzhi.nowhere.v1.Nothing",
                method: "Do",
                payload: Data(),
                options: .defaults
            )
        }
        XCTAssertTrue(unknown?.message.contains("no plugin serves gongzhi.nowhere.v1.Nothing") == true)
        await assertRPCError(.unimplemented) {
            try await channel.unary(
                service: "gongzhi.test.v1.Echo",
                method: "Nope",
                payload: Data(),
                options: .defaults
            )
        }

        var request = Gongzhi_Host_V1_PluginRequest()
        request.name = "alpha"
        let disabled = try await host.adminClient.disablePlugin(request)
        XCTAssertEqual(disabled.state, "disabled")
        let started = ContinuousClock.now
        let down = await assertRPCError(.unavailable) {
            try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(self.echo("x"))
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1))
        XCTAssertTrue(down?.message.contains("plugin alpha") == true, down?.message ?? "")

        let enabled = try await host.adminClient.enablePlugin(request)
        XCTAssertEqual(enabled.state, "starting")
        try await host.waitUntil("alpha")
        _ = try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(echo("back"))
        // Enabling a plugin that runs changes nothing, and its calls keep being routed.
        let again = try await host.adminClient.enablePlugin(request)
        XCTAssertEqual(again.state, "ready")
        _ = try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(echo("still"))
    }

    func testGrantsLimitClientsAndPluginsAndRefusalsAreAudited() async throws {
        let host = try await HostUnderTest(plugins: [
            try HostUnderTest.noticeboardPlugin(),
            // alpha asks for List and Post but the administrator approves List only.
            try HostUnderTest.testPlugin(
                "alpha",
                requestedGrants: ["gongzhi.example.v1.NoticeBoard/List", "gongzhi.example.v1.NoticeBoard/Post"],
                approvedGrants: ["gongzhi.example.v1.NoticeBoard/List"]
            ),
        ])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("noticeboard")
        let alpha = try await host.waitUntil("alpha")
        XCTAssertEqual(alpha.effectiveGrants, ["gongzhi.example.v1.NoticeBoard/List"])

        let reader = try await host.issueClientToken(scopes: [
            "gongzhi.example.v1.NoticeBoard/List", "gongzhi.test.v1.Probe/*",
        ])
        let channel = host.channel(token: reader.token)
        addTeardownBlock { await channel.close() }
        _ = try await Gongzhi_Example_V1_NoticeBoardClient(channel: channel).list(Gongzhi_Example_V1_ListRequest())
        var post = Gongzhi_Example_V1_PostRequest()
        post.title = "not allowed"
        let denied = await assertRPCError(.permissionDenied) {
            try await Gongzhi_Example_V1_NoticeBoardClient(channel: channel).post(post)
        }
        XCTAssertTrue(denied?.message.contains("may not call gongzhi.example.v1.NoticeBoard/Post") == true)

        // The plugin calls through the host with its own token: List is granted, Post is not.
        let probe = Gongzhi_Test_V1_ProbeClient(channel: channel)
        var call = Gongzhi_Test_V1_CallHostRequest()
        call.service = "gongzhi.example.v1.NoticeBoard"
        call.method = "List"
        call.payload = try Gongzhi_Example_V1_ListRequest().serializedBytes()
        let listed = try await probe.callHost(call)
        XCTAssertEqual(listed.code, 0, listed.message)
        call.method = "Post"
        call.payload = try post.serializedBytes()
        let posted = try await probe.callHost(call)
        XCTAssertEqual(posted.code, Int32(StatusCode.permissionDenied.rawValue), posted.message)

        // Expired and revoked tokens stop working.
        var revoke = Gongzhi_Host_V1_RevokeTokenRequest()
        revoke.id = reader.info.id
        _ = try await host.adminClient.revokeToken(revoke)
        let revoked = await assertRPCError(.unauthenticated) {
            try await Gongzhi_Example_V1_NoticeBoardClient(channel: channel).list(Gongzhi_Example_V1_ListRequest())
        }
        XCTAssertTrue(revoked?.message.contains("revoked") == true)

        let audit = try await host.adminClient.listAudit(Gongzhi_Host_V1_ListAuditRequest())
        XCTAssertTrue(audit.entries.contains { $0.outcome == "denied" && $0.principal == "client:\(reader.info.id)" })
        XCTAssertTrue(audit.entries.contains { $0.outcome == "denied" && $0.principal == "plugin:alpha" })
        XCTAssertTrue(audit.entries.contains { $0.action == "token.revoke" && $0.target == reader.info.id })
    }

    func testSIGHUPStartsAddedPluginsStopsRemovedOnesAndLeavesUnchangedOnesRunning() async throws {
        let alpha = try HostUnderTest.testPlugin("alpha")
        let beta = try HostUnderTest.testPlugin("beta", serviceSuffix: "Beta")
        let host = try await HostUnderTest(plugins: [alpha, beta])
        addTeardownBlock { await host.stop() }
        let alphaBefore = try await host.waitUntil("alpha")
        let betaBefore = try await host.waitUntil("beta")

        try host.reconfigure([alpha, try HostUnderTest.noticeboardPlugin()])
        try await host.waitUntil("noticeboard")
        let betaGone = await waitUntilGone(betaBefore.pid)
        XCTAssertTrue(betaGone, "the removed plugin was stopped")
        await assertRPCError(.notFound) { try await host.status("beta") }
        let alphaAfter = try await host.status("alpha")
        XCTAssertEqual(alphaAfter.pid, alphaBefore.pid, "the unchanged plugin kept running")
        XCTAssertEqual(alphaAfter.state, "ready")

        // A broken configuration changes nothing.
        try TestHostLayout.writeText(host.configurationPath, "runtime_dir = 5\n")
        host.process.signal(SIGHUP)
        try await host.process.waitForOutput("was not reloaded")
        let unchanged = try await host.status("alpha")
        XCTAssertEqual(unchanged.pid, alphaBefore.pid)
        XCTAssertEqual(unchanged.state, "ready")
    }

    func testSIGTERMStopsPluginsGracefullyAndEscalatesToSIGKILLForOnesThatIgnoreIt() async throws {
        var supervision = SupervisionPolicy.forTests
        supervision.stopGracePeriod = .milliseconds(500)
        let host = try await HostUnderTest(
            plugins: [
                try HostUnderTest.noticeboardPlugin(),
                try HostUnderTest.testPlugin("stubborn", behavior: "ignore-shutdown"),
            ],
            supervision: supervision
        )
        let board = try await host.waitUntil("noticeboard")
        let stubborn = try await host.waitUntil("stubborn")
        host.process.signal(SIGTERM)
        let status = await host.process.waitForExit(timeout: .seconds(20))
        XCTAssertEqual(status, 0, host.log)
        XCTAssertFalse(processIsAlive(board.pid))
        XCTAssertFalse(processIsAlive(stubborn.pid))
        XCTAssertTrue(host.log.contains("killed by signal 9"), "the stubborn plugin needed SIGKILL:\n\(host.log)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: host.adminSocket), "sockets are removed")
        await host.admin.close()
    }

    /// With SIGHUP trapped and a plugin configured, a host whose admin.sock cannot be served says why and
    /// exits with status 1, starting no plugin; it neither hangs nor waits for a signal.
    func testAHostWhoseSocketCannotBeServedExitsWithTheReason() async throws {
        let directory = try TemporaryDirectory(prefix: "gzbind")
        defer { directory.remove() }
        let configuration = try TestHostLayout.write(
            in: directory.path,
            plugins: [try HostUnderTest.noticeboardPlugin()],
            supervision: .forTests
        )
        // A folder where admin.sock belongs: the host refuses to replace it.
        try FileManager.default.createDirectory(
            atPath: directory.path + "/run/admin.sock/kept",
            withIntermediateDirectories: true
        )
        let host = try ChildProcess(
            try BuiltExecutables.path("gongzhi-host"),
            ["--config", configuration, "--log-level", "debug"],
            outputPath: directory.file("host.log")
        )
        let status = await host.waitForExit(timeout: .seconds(20))
        if status == nil { host.signal(SIGKILL) }
        XCTAssertEqual(status, 1, host.output)
        XCTAssertTrue(host.output.contains("admin.sock exists and is not a socket"), host.output)
        XCTAssertFalse(host.output.contains("host serving"), host.output)
        XCTAssertFalse(host.output.contains("plugin starting"), host.output)
    }

    func testAnExternalPluginAttachesWithAnAdministratorsTokenAndDetachesWhenItStops() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        var issue = Gongzhi_Host_V1_IssueTokenRequest()
        issue.kind = .plugin
        issue.subject = "outside"
        issue.scopes = ["gongzhi.test.v1.Echo/Unary"]
        let issued = try await host.adminClient.issueToken(issue)
        let socket = host.directory.path + "/outside.sock"
        let plugin = try ChildProcess(
            try HostUnderTest.testPlugin,
            [],
            outputPath: host.directory.file("outside.log"),
            environment: [
                "GONGZHI_PLUGIN_NAME": "outside",
                "GONGZHI_PLUGIN_SOCKET": socket,
                "GONGZHI_HOST_SOCKET": host.hostSocket,
                "GONGZHI_PLUGIN_TOKEN": issued.token,
                "GONGZHI_DATA_DIR": host.directory.path,
            ]
        )
        let attached = try await host.waitUntil("outside", is: "attached")
        XCTAssertFalse(attached.managed)
        XCTAssertEqual(attached.pid, plugin.pid)

        let client = try await host.issueClientToken(scopes: ["gongzhi.test.v1.*"])
        let channel = host.channel(token: client.token)
        addTeardownBlock { await channel.close() }
        let answer = try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(echo("external"))
        XCTAssertEqual(answer.text, "external")

        // Revoking its token lets it go: it is detached, and the plugin ends with its registration.
        var revoke = Gongzhi_Host_V1_RevokeTokenRequest()
        revoke.id = issued.info.id
        _ = try await host.adminClient.revokeToken(revoke)
        try await host.waitUntil("outside", is: "detached")
        let ended = await plugin.waitForExit(timeout: .seconds(10))
        XCTAssertNotNil(ended, "the external plugin exits when its registration ends:\n\(plugin.output)")
        await assertRPCError(.unimplemented) {
            try await Gongzhi_Test_V1_EchoClient(channel: channel).unary(self.echo("gone"))
        }
    }

    func testPluginOutputIsCapturedWithItsLevels() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.noticeboardPlugin()])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("noticeboard")
        var request = Gongzhi_Host_V1_PluginLogsRequest()
        request.name = "noticeboard"
        let lines = try await host.adminClient.pluginLogs(request) { stream in
            var lines: [Gongzhi_Host_V1_LogLine] = []
            for try await line in stream { lines.append(line) }
            return lines
        }
        XCTAssertFalse(lines.isEmpty, "the plugin's start-up lines were kept")
        XCTAssertTrue(lines.allSatisfy { $0.stream == "stderr" || $0.stream == "stdout" })
        XCTAssertTrue(lines.contains { $0.level == "info" }, "\(lines)")
        XCTAssertTrue(host.log.contains("plugin=noticeboard"), "lines are forwarded to the host's log")
    }
}
