import GongzhiExampleSchemas
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// The testing kit as a plugin author uses it: a real host in the test process, the real plugin process.
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
