import XCTest

@testable import GongzhiHost

/// `[connections]`: its defaults, every key, and errors that name the key.
final class ConnectionSettingsTests: XCTestCase {
    private let path = "/etc/gongzhi/host.toml"
    private let minimal = """
        runtime_dir = "/run/gongzhi"
        data_dir = "/var/lib/gongzhi"
        """

    func testDefaults() throws {
        let settings = try HostConfiguration.parse(minimal, path: path).connections
        XCTAssertEqual(settings.idleTimeout, .seconds(300))
        XCTAssertEqual(settings.maxPerUID, 512)
        XCTAssertEqual(settings.maxPerPrincipal, 64)
        XCTAssertNil(settings.maxHost)
        XCTAssertEqual(settings.maxAdmin, 256)
        XCTAssertEqual(settings.outboundBudget, 8 << 20)
        XCTAssertEqual(settings.unreadAnswersTimeout, .seconds(60))
        XCTAssertEqual(settings.stalledFrameTimeout, .seconds(10))
        XCTAssertEqual(settings.frameTimeout, .seconds(60))
        XCTAssertEqual(settings.hostSocketCap(softLimit: 65536, plugins: 4), 65536 - 64 - 256 - 32)
    }

    func testEveryKey() throws {
        let text =
            minimal + """

                [connections]
                idle_timeout = "2s"
                max_per_uid = 0
                max_per_principal = 8
                max_host = 1000
                max_admin = 16
                outbound_budget = "512KiB"
                unread_answers_timeout = 0
                stalled_frame_timeout = "500ms"
                frame_timeout = "0s"
                """
        let settings = try HostConfiguration.parse(text, path: path).connections
        XCTAssertEqual(settings.idleTimeout, .seconds(2))
        XCTAssertNil(settings.maxPerUID, "0 is no limit")
        XCTAssertEqual(settings.maxPerPrincipal, 8)
        XCTAssertEqual(settings.hostSocketCap(softLimit: 65536, plugins: 4), 1000)
        XCTAssertEqual(settings.maxAdmin, 16)
        XCTAssertEqual(settings.outboundBudget, 512 << 10)
        XCTAssertNil(settings.unreadAnswersTimeout, "0 never closes")
        XCTAssertEqual(settings.stalledFrameTimeout, .milliseconds(500))
        XCTAssertNil(settings.frameTimeout, "0 is no limit")
        let bytes = try HostConfiguration.parse(minimal + "\n[connections]\noutbound_budget = 1048576\n", path: path)
        XCTAssertEqual(bytes.connections.outboundBudget, 1 << 20)
    }

    func testBadValuesNameTheirKey() {
        for (text, key, words) in [
            ("outbound_budget = \"8 megs\"", "connections.outbound_budget", "is not a size"),
            ("outbound_budget = \"1KiB\"", "connections.outbound_budget", "at least 64KiB"),
            ("max_admin = 0", "connections.max_admin", "out of range"),
            ("idle = \"5m\"", "connections.idle", "unknown key"),
            ("frame_timeout = \"10ms\"", "connections.frame_timeout", "at least 100ms"),
        ] {
            do {
                _ = try HostConfiguration.parse(minimal + "\n[connections]\n" + text + "\n", path: path)
                XCTFail("accepted \(text)")
            } catch {
                XCTAssertEqual(error.key, key, text)
                XCTAssertTrue(error.message.contains(words), "\(text): \(error.message)")
            }
        }
    }
}
