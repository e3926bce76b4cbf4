import GongzhiControlTestSupport
import XCTest

@testable import GongzhiControl

/// The one decision of which socket a command calls, where host.sock is, and where a login is kept.
final class HostRouteTests: XCTestCase {
    private let login = StoredLogin(hostSocket: "/srv/gz/host.sock", token: "gzt_t1", principal: "person:hu-wei")

    private func options(_ arguments: [String]) throws -> GlobalOptions {
        try GlobalOptions.parse(arguments)
    }

    private func choose(
        _ access: HostAccess,
        _ arguments: [String] = [],
        environment: [String: String] = [:],
        login: StoredLogin?
    ) throws -> HostRoute {
        try HostRoute.choose(
            access: access,
            options: options(arguments),
            adminSocket: "/run/gongzhi/admin.sock",
            environment: { environment[$0] },
            login: { login }
        )
    }

    func testTheWorkGoesToHostSockOnlyWhileLoggedInAndNotForcedToAdmin() throws {
        XCTAssertEqual(
            try choose(.work, login: login),
            HostRoute(socket: .host, path: "/srv/gz/host.sock", token: "gzt_t1")
        )
        XCTAssertEqual(try choose(.work, login: nil), .admin("/run/gongzhi/admin.sock"))
        XCTAssertEqual(try choose(.work, ["--admin"], login: login), .admin("/run/gongzhi/admin.sock"))
        XCTAssertEqual(try choose(.administration, login: login), .admin("/run/gongzhi/admin.sock"))
        XCTAssertEqual(
            try choose(.work, ["--host-socket", "/tmp/other.sock"], login: login),
            HostRoute(socket: .host, path: "/tmp/other.sock", token: "gzt_t1")
        )
        XCTAssertEqual(
            try choose(.work, environment: ["GONGZHI_HOST_SOCKET": "/env/host.sock"], login: login).path,
            "/env/host.sock"
        )
    }

    func testTheLoginIsReadOnlyWhenItMatters() throws {
        let unreadable = ControlError("cannot read your login", exitCode: 1)
        let failing: () throws(ControlError) -> StoredLogin? = { () throws(ControlError) in throw unreadable }
        for (access, arguments) in [(HostAccess.administration, [String]()), (.work, ["--admin"])] {
            XCTAssertEqual(
                try HostRoute.choose(
                    access: access,
                    options: options(arguments),
                    adminSocket: "/a.sock",
                    environment: { _ in nil },
                    login: failing
                ),
                .admin("/a.sock")
            )
        }
        XCTAssertThrowsError(
            try HostRoute.choose(
                access: .work,
                options: options([]),
                adminSocket: "/a.sock",
                environment: { _ in nil },
                login: failing
            )
        ) { XCTAssertEqual($0 as? ControlError, unreadable) }
    }

    func testHostSocketResolutionOrder() {
        let set: (String) -> String? = { $0 == "GONGZHI_HOST_SOCKET" ? "/env/host.sock" : nil }
        let none: (String) -> String? = { _ in nil }
        let admin = "/run/gongzhi/admin.sock"
        XCTAssertEqual(
            HostSocket.resolve(option: "/opt/h.sock", environment: set, stored: "/s.sock", adminSocket: admin),
            "/opt/h.sock"
        )
        XCTAssertEqual(
            HostSocket.resolve(option: nil, environment: set, stored: "/s.sock", adminSocket: admin),
            "/env/host.sock"
        )
        XCTAssertEqual(
            HostSocket.resolve(option: "", environment: none, stored: "/s.sock", adminSocket: admin),
            "/s.sock"
        )
        XCTAssertEqual(
            HostSocket.resolve(option: nil, environment: none, stored: nil, adminSocket: admin),
            "/run/gongzhi/host.sock"
        )
        XCTAssertEqual(HostSocket.beside(adminSocket: "/srv/gz/run/admin.sock"), "/srv/gz/run/host.sock")
        XCTAssertEqual(HostSocket.beside(adminSocket: "admin.sock"), "host.sock")
    }

    func testWhereTheLoginIsKept() {
        func path(_ environment: [String: String]) -> String? {
            CredentialsFile(environment: { environment[$0] })?.path
        }
        XCTAssertEqual(
            path(["XDG_CONFIG_HOME": "/home/hw/.cfg/", "HOME": "/home/hw"]),
            "/home/hw/.cfg/gongzhi/credentials.json"
        )
        XCTAssertEqual(path(["HOME": "/home/hw"]), "/home/hw/.config/gongzhi/credentials.json")
        // A relative XDG_CONFIG_HOME is ignored, as the XDG specification says.
        XCTAssertEqual(
            path(["XDG_CONFIG_HOME": "cfg", "HOME": "/home/hw"]),
            "/home/hw/.config/gongzhi/credentials.json"
        )
        XCTAssertNil(path([:]))
        XCTAssertNil(CredentialsFile(environment: { _ in nil }))
    }

    func testCommandsSayWhetherTheyAdminister() {
        let administration: [any AdminCommand.Type] = [
            GongzhiControl.Status.self, GongzhiControl.Plugins.List.self, GongzhiControl.Tokens.Issue.self,
            GongzhiControl.Audit.List.self, GongzhiControl.Services.self, GongzhiControl.Call.self,
            GongzhiControl.Apply.self, GongzhiControl.Delete.self, GongzhiControl.People.List.self,
            GongzhiControl.People.Bind.self, GongzhiControl.Roles.Add.self,
        ]
        for command in administration { XCTAssertEqual(command.access, .administration, "\(command)") }
        let work: [any AdminCommand.Type] = [
            GongzhiControl.Get.self, GongzhiControl.Describe.self, GongzhiControl.Watch.self,
            GongzhiControl.WhoAmI.self,
        ]
        for command in work { XCTAssertEqual(command.access, .work, "\(command)") }
    }
}
