import Foundation
import GongzhiExampleSchemas
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import gongzhi_noticeboard

/// The testing kit as a plugin author uses it: a host in the test process with the plugin's services in-process,
/// or with the real plugin process (live); the same test body in both modes.
final class TestingKitTests: XCTestCase {
    func testAnAuthorTestsTheNoticeBoardPluginInAFewLines() async throws {
        let plugin = TestPlugin(
            name: "noticeboard",
            executable: try BuiltExecutables.path("gongzhi-noticeboard"),
            services: ["gongzhi.example.v1.NoticeBoard"]
        )
        try await withTestHost(plugins: [plugin]) { host in
            try await host.waitUntilReady("noticeboard")
            let board = Gongzhi_Example_V1_NoticeBoardClient(channel: host.adminChannel)
            var post = Gongzhi_Example_V1_PostRequest()
            post.title = "Volunteers wanted"
            post.community = "310115007001"
            let notice = try await board.post(post)
            XCTAssertEqual(notice.number, 1)
            XCTAssertEqual(notice.postedBy, "admin:uid=\(getuid())")

            // An API client with a narrow token sees the same plugin through host.sock.
            let reader = try await host.clientChannel(scopes: ["gongzhi.example.v1.NoticeBoard/List"])
            let listed = try await Gongzhi_Example_V1_NoticeBoardClient(channel: reader).list(
                Gongzhi_Example_V1_ListRequest()
            )
            XCTAssertEqual(listed.notices.map(\.title), ["Volunteers wanted"])

            var empty = Gongzhi_Example_V1_PostRequest()
            empty.title = ""
            do {
                _ = try await board.post(empty)
                XCTFail("an empty title is refused")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, .invalidArgument)
            }
        }
    }

    /// The notice board as its manifest describes it: its executable for the live mode, its services for the
    /// in-process mode.
    private func noticeBoard() throws -> TestPlugin {
        let manifest = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Plugins/noticeboard/noticeboard.plugin.toml").path
        return try TestPlugin(manifest: manifest, executable: try BuiltExecutables.path("gongzhi-noticeboard")) {
            context in
            let board = try NoticeBoardService(logger: context.logger, dataDirectory: context.dataDirectory)
            context.onStop { _ in board.endFollowers() }
            return [board]
        }
    }

    func testTheSameTestBodyRunsInProcessAndLive() async throws {
        for mode in [TestHostMode.inProcess, .live] {
            try await withTestHost(mode, plugins: [try noticeBoard()]) { host in
                let status = try await host.waitUntilReady("noticeboard")
                XCTAssertEqual(status.state, "ready", "\(mode)")
                XCTAssertEqual(status.effectiveGrants, [], "\(mode)")
                let board = Gongzhi_Example_V1_NoticeBoardClient(channel: host.adminChannel)
                var post = Gongzhi_Example_V1_PostRequest()
                post.title = "停水通知"
                post.community = "310115007001"
                let notice = try await board.post(post)
                XCTAssertEqual(notice.postedBy, "admin:uid=\(getuid())", "\(mode)")

                // An API client's token limits it to its scopes, and the refusal is audited, in both modes.
                let reader = Gongzhi_Example_V1_NoticeBoardClient(
                    channel: try await host.clientChannel(scopes: ["gongzhi.example.v1.NoticeBoard/List"])
                )
                let listed = try await reader.list(Gongzhi_Example_V1_ListRequest())
                XCTAssertEqual(listed.notices.map(\.number), [notice.number], "\(mode)")
                let refused = await assertRPCError(.permissionDenied) { try await reader.post(post) }
                XCTAssertTrue(refused?.message.contains("with a token scope that covers it") == true, "\(mode)")
                let last = try await host.auditEntries(last: 1).last
                XCTAssertEqual(last?.action, "gongzhi.example.v1.NoticeBoard/Post", "\(mode)")
                XCTAssertEqual(last?.outcome, "denied", "\(mode)")
            }
        }
    }

    func testTheInProcessModeSaysWhatAPluginLacks() async throws {
        let live = TestPlugin(
            name: "noticeboard",
            executable: "/nonexistent",
            services: ["gongzhi.example.v1.NoticeBoard"]
        )
        let missing = await assertRPCError(.invalidArgument) {
            try await withTestHost(.inProcess, plugins: [live]) { _ in }
        }
        XCTAssertTrue(missing?.message.contains("has no makeServices") == true, missing?.message ?? "")

        var wrong = try noticeBoard()
        wrong.services = ["gongzhi.example.v1.Board"]
        let mismatch = await assertRPCError(.failedPrecondition) {
            try await withTestHost(.inProcess, plugins: [wrong]) { _ in }
        }
        XCTAssertEqual(
            mismatch?.message,
            "registration of plugin noticeboard does not match its manifest: its services differ; "
                + "missing: gongzhi.example.v1.Board; not in the manifest: gongzhi.example.v1.NoticeBoard"
        )
    }

    func testAnExternalPluginExitsWhenItsHostConnectionEnds() async throws {
        let host = try await HostUnderTest(plugins: [])
        var issue = Gongzhi_Host_V1_IssueTokenRequest()
        issue.kind = .plugin
        issue.subject = "outside"
        let issued = try await host.adminClient.issueToken(issue)
        // Started by the test, not by the host: no parent-death signal ties it to the host.
        let plugin = try ChildProcess(
            try HostUnderTest.testPlugin,
            [],
            outputPath: host.directory.file("outside.log"),
            environment: [
                "GONGZHI_PLUGIN_NAME": "outside",
                "GONGZHI_PLUGIN_SOCKET": host.directory.path + "/outside.sock",
                "GONGZHI_HOST_SOCKET": host.hostSocket,
                "GONGZHI_PLUGIN_TOKEN": issued.token,
                "GONGZHI_DATA_DIR": host.directory.path,
            ]
        )
        try await host.waitUntil("outside", is: "attached")
        host.process.signal(SIGKILL)
        _ = await host.process.waitForExit()
        let status = await plugin.waitForExit(timeout: .seconds(10))
        XCTAssertNotNil(status, "the plugin exited once its host was gone:\n\(plugin.output)")
        await host.admin.close()
    }
}
