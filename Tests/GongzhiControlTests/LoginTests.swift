import Foundation
import GongzhiControlTestSupport
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiControl

/// `login`, `logout` and `whoami`, which socket each command calls while logged in or not, and `--as`,
/// against two in-process servers standing for one host's admin.sock and host.sock.
final class LoginTests: XCTestCase {
    private static let token = "gzt_t1hw_c2VjcmV0"

    private static let huWeiAnswer = Gongzhi_Host_V1_WhoAmIResponse.with {
        $0.principal = "person:hu-wei"
        $0.kind = "person"
        $0.person = PeopleFixtures.huWei
        $0.tokenID = "t1hw"
        $0.tokenExpiresAtMs = Fixtures.nowMs + 90 * 86_400_000
        $0.grants = [
            .with {
                $0.role = "grid-worker"
                $0.roleTitle = "网格员"
                $0.placeCode = PeopleFixtures.grid
                $0.placeName = "西溪社区第三网格"
                $0.personalData = true
                $0.rules = PeopleFixtures.gridWorker.rules
            }
        ]
    }

    /// The parts of a host the tests look at.
    private struct Host {
        let sockets: TwoSocketHost
        let admin: FakeAdmin
        let adminObjects: FakeObjects
        let adminPeople: FakePeople
        let hostObjects: FakeObjects
        let hostPeople: FakePeople
    }

    private func withHost(_ body: (Host) async throws -> Void) async throws {
        let admin = FakeAdmin()
        let people = ["hu-wei": PeopleFixtures.huWei, "wang-fang": PeopleFixtures.wangFang]
        let adminObjects = FakeObjects()
        let hostObjects = FakeObjects()
        for objects in [adminObjects, hostObjects] {
            objects.seed(PeopleFixtures.seeded + [Fixtures.residentObject])
        }
        let adminPeople = FakePeople(people: people)
        let hostPeople = FakePeople(tokens: [Self.token: Self.huWeiAnswer], people: people)
        try await TwoSocketHost.with(
            admin: [admin, adminObjects, adminPeople],
            host: [hostObjects, hostPeople]
        ) { sockets in
            try await body(
                Host(
                    sockets: sockets,
                    admin: admin,
                    adminObjects: adminObjects,
                    adminPeople: adminPeople,
                    hostObjects: hostObjects,
                    hostPeople: hostPeople
                )
            )
        }
    }

    private func mode(_ path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return info.st_mode & 0o777
    }

    private func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    // MARK: login

    func testLoginChecksTheTokenOnHostSockAndKeepsItForYouAlone() async throws {
        try await withHost { host in
            let sockets = host.sockets
            let (status, output, errors) = await sockets.run(["login"], input: Array("\(Self.token)\n".utf8))
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                output,
                "logged in as person:hu-wei at \(sockets.hostSocket) (kept in \(sockets.credentialsPath))\n\n"
                    + PeopleOutput.whoAmI(Self.huWeiAnswer, time: Fixtures.time)
            )
            XCTAssertEqual(host.hostPeople.callers, ["token=\(Self.token) as=-"])
            XCTAssertEqual(host.adminPeople.callers, [])

            XCTAssertEqual(try mode(sockets.credentialsPath), 0o600)
            XCTAssertEqual(try mode(sockets.configHome + "/gongzhi"), 0o700)
            // The missing parent was made private too.
            XCTAssertEqual(try mode(sockets.configHome), 0o700)
            let stored = try JSONDecoder().decode(
                StoredLogin.self,
                from: Data(contentsOf: URL(fileURLWithPath: sockets.credentialsPath))
            )
            XCTAssertEqual(
                stored,
                StoredLogin(hostSocket: sockets.hostSocket, token: Self.token, principal: "person:hu-wei")
            )
            XCTAssertTrue(try read(sockets.credentialsPath).contains(#""host_socket" : ""#))
        }
    }

    func testWhoAmIShowsTheRolesAndPlaces() {
        XCTAssertEqual(
            PeopleOutput.whoAmI(Self.huWeiAnswer, time: Fixtures.time),
            """
            principal:  person:hu-wei
            kind:       person
            person:     hu-wei (胡伟), 专职网格员
            token:      t1hw, expires 2026-02-19T23:00:00+08:00

            ROLE         TITLE   PLACE            PLACE NAME        PERSONAL DATA  ALLOWS
            grid-worker  网格员  330106001001003  西溪社区第三网格  yes            gongzhi.grid.v1.GridService/*; get,list,watch on Case,Resident

            """
        )
        var alone = Self.huWeiAnswer
        alone.grants = []
        XCTAssertTrue(
            PeopleOutput.whoAmI(alone, time: Fixtures.time)
                .hasSuffix("\nno roles bound: the host refuses hu-wei every call\n")
        )
        let admin = Gongzhi_Host_V1_WhoAmIResponse.with {
            $0.principal = "admin:uid=0"
            $0.kind = "admin"
        }
        XCTAssertEqual(PeopleOutput.whoAmI(admin, time: Fixtures.time), "principal:  admin:uid=0\nkind:       admin\n")
    }

    func testLoginRefusesATokenTheHostDoesNotAcceptAndKeepsNothing() async throws {
        try await withHost { host in
            let sockets = host.sockets
            let (status, output, errors) = await sockets.run(["login"], input: Array("gzt_nope\n".utf8))
            XCTAssertEqual(status, ControlExitCode.permissionDenied)
            XCTAssertEqual(output, "")
            XCTAssertEqual(
                errors,
                "error: the host at \(sockets.hostSocket) does not accept this token: the token is not valid "
                    + "(unknown, revoked or expired); you are not logged in\n"
            )
            XCTAssertFalse(FileManager.default.fileExists(atPath: sockets.credentialsPath))
        }
    }

    func testLoginReadsTheTokenFromAFileOrTheTerminal() async throws {
        try await withHost { host in
            let sockets = host.sockets
            let file = sockets.configHome + ".token"
            try "  \(Self.token)\n".write(toFile: file, atomically: false, encoding: .utf8)
            defer { unlink(file) }
            let fromFile = await sockets.run(["login", "--token-file", file])
            XCTAssertEqual(fromFile.status, 0, fromFile.errors)

            // At a terminal the token is asked for, without echo (the context's secret reader).
            let console = TestConsole(environment: sockets.environment, typed: Self.token)
            let status = await console.run(["login", "-o", "json"])
            XCTAssertEqual(status, 0, console.errors)
            XCTAssertEqual(console.secretPrompts, ["Token: "])
            XCTAssertTrue(console.output.contains(#""principal": "person:hu-wei""#), console.output)
            XCTAssertEqual(host.hostPeople.callers.count, 2)

            let cases: [(input: String, typed: String?, error: String)] = [
                (
                    "", nil,
                    "error: no token came from standard input; give the token that gongzhictl tokens issue --person "
                        + "printed\n"
                ),
                ("gzt_a gzt_b\n", nil, "error: standard input holds more than one word; a token is one"),
                ("", "", "error: no token came from the terminal"),
            ]
            for (input, typed, error) in cases {
                let console = TestConsole(environment: sockets.environment, input: Array(input.utf8), typed: typed)
                let status = await console.run(["login"])
                XCTAssertEqual(status, ControlExitCode.usage, "\(input)")
                XCTAssertTrue(console.errors.hasPrefix(error), console.errors)
            }
            XCTAssertEqual(host.hostPeople.callers.count, 2, "nothing sent without a token")

            for (flag, message) in [
                (["--as", "hu-wei"], "error: --as does not go with login"),
                (["--admin"], "error: --admin does not go with login"),
            ] {
                let refused = await sockets.run(["login"] + flag, input: Array(Self.token.utf8))
                XCTAssertEqual(refused.status, ControlExitCode.usage)
                XCTAssertTrue(refused.errors.hasPrefix(message), refused.errors)
            }
        }
    }

    func testLoginReplacesTheFileByRenamingANewOne() async throws {
        try await withHost { host in
            let sockets = host.sockets
            let first = await sockets.run(["login"], input: Array(Self.token.utf8))
            XCTAssertEqual(first.status, 0, first.errors)
            let before = try read(sockets.credentialsPath)
            // A second name for the file as it is now: writing in place would change what it reads.
            let kept = sockets.configHome + "/gongzhi/kept"
            XCTAssertEqual(link(sockets.credentialsPath, kept), 0)

            // The same socket by another path, to tell the two logins apart.
            let samePlace = sockets.hostSocket.replacingOccurrences(of: "/server.sock", with: "/./server.sock")
            let second = await sockets.run(["login", "--host-socket", samePlace], input: Array(Self.token.utf8))
            XCTAssertEqual(second.status, 0, second.errors)
            XCTAssertEqual(try read(kept), before, "the old file is untouched: the new one was renamed over it")
            XCTAssertTrue(try read(sockets.credentialsPath).contains("/./server.sock"))
            XCTAssertEqual(try mode(sockets.credentialsPath), 0o600)
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: sockets.configHome + "/gongzhi").sorted(),
                ["credentials.json", "kept"],
                "no temporary file is left behind"
            )
        }
    }

    // MARK: Which socket

    func testLoggedInTheWorkGoesToHostSockAndAdministrationStaysOnAdminSock() async throws {
        try await withHost { host in
            let sockets = host.sockets
            // Not logged in: everything on admin.sock.
            let before = await sockets.run(["get", "residents"])
            XCTAssertEqual(before.status, 0, before.errors)
            XCTAssertEqual(host.adminObjects.requests.count, 2)
            XCTAssertEqual(host.hostObjects.requests, [])

            let login = await sockets.run(["login"], input: Array(Self.token.utf8))
            XCTAssertEqual(login.status, 0, login.errors)

            // Reading objects: host.sock, with the token on every call.
            for arguments in [["get", "residents"], ["describe", "resident", "r-0001"], ["get", "kinds"]] {
                let (status, _, errors) = await sockets.run(arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
            }
            XCTAssertEqual(
                host.hostObjects.requests,
                [
                    "ListKinds", "List Resident selector= parent= size=500 token=", "ListKinds", "Get Resident/r-0001",
                    "ListKinds",
                ]
            )
            XCTAssertEqual(Set(host.hostObjects.callers), ["token=\(Self.token) as=-"])
            XCTAssertEqual(host.adminObjects.requests.count, 2, "admin.sock was not called")

            // --admin: admin.sock for one command, as your uid.
            let forced = await sockets.run(["--admin", "get", "residents"])
            XCTAssertEqual(forced.status, 0, forced.errors)
            XCTAssertEqual(host.adminObjects.requests.count, 4)
            XCTAssertEqual(Set(host.adminObjects.callers), ["token=- as=-"])

            // Administration stays on admin.sock.
            for arguments in [["status"], ["people", "list"], ["roles", "list"], ["audit"], ["tokens", "list"]] {
                let (status, _, errors) = await sockets.run(arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
            }
            XCTAssertEqual(host.admin.requests.withLock { $0 }, ["Status", "ListAudit limit=0", "ListTokens"])
            XCTAssertEqual(
                host.adminObjects.requests.suffix(3),
                [
                    "List Person selector= parent= size=500 token=",
                    "List RoleBinding selector= parent= size=500 token=",
                    "List Role selector= parent= size=500 token=",
                ]
            )
            XCTAssertEqual(host.hostObjects.requests.count, 5)

            // whoami: host.sock as the login, admin.sock with --admin.
            let whoami = await sockets.run(["whoami"])
            XCTAssertEqual(whoami.output, PeopleOutput.whoAmI(Self.huWeiAnswer, time: Fixtures.time))
            let asAdmin = await sockets.run(["whoami", "--admin"])
            XCTAssertEqual(asAdmin.output, "principal:  admin:uid=\(getuid())\nkind:       admin\n")
            XCTAssertEqual(host.hostPeople.callers, ["token=\(Self.token) as=-", "token=\(Self.token) as=-"])
            XCTAssertEqual(host.adminPeople.callers, ["token=- as=-"])

            // logout: admin.sock again.
            let logout = await sockets.run(["logout"])
            XCTAssertEqual(logout.output, "logged out (was person:hu-wei); removed \(sockets.credentialsPath)\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: sockets.credentialsPath))
            _ = await sockets.run(["get", "residents"])
            XCTAssertEqual(host.hostObjects.requests.count, 5)
            XCTAssertEqual(host.adminObjects.requests.count, 9)
            let again = await sockets.run(["logout"])
            XCTAssertEqual(again.output, "not logged in (there is no \(sockets.credentialsPath))\n")
        }
    }

    func testALoginTheHostNoLongerTakesOrCannotReachIsNamed() async throws {
        try await withHost { host in
            let sockets = host.sockets
            let file = CredentialsFile(directory: sockets.configHome + "/gongzhi")
            try file.save(StoredLogin(hostSocket: sockets.hostSocket, token: "gzt_revoked", principal: "person:hu-wei"))
            let refused = await sockets.run(["whoami"])
            XCTAssertEqual(refused.status, ControlExitCode.permissionDenied)
            XCTAssertEqual(
                refused.errors,
                "error: the host does not accept your login: the token is not valid (unknown, revoked or expired) "
                    + "(gongzhictl login with a new token; gongzhictl logout, or --admin, calls admin.sock as "
                    + "yourself)\n"
            )

            // Without GONGZHI_HOST_SOCKET (which would win), the login's socket is called.
            try file.save(
                StoredLogin(hostSocket: "/nonexistent/host.sock", token: Self.token, principal: "person:hu-wei")
            )
            let console = TestConsole(
                environment: ["GONGZHI_ADMIN_SOCKET": sockets.adminSocket, "XDG_CONFIG_HOME": sockets.configHome]
            )
            let status = await console.run(["get", "residents"])
            XCTAssertEqual(status, ControlExitCode.unreachable)
            XCTAssertEqual(
                console.errors,
                "error: cannot reach the host at /nonexistent/host.sock: no such file (is gongzhi-host running? you "
                    + "are logged in: use --host-socket or GONGZHI_HOST_SOCKET, or --admin to call admin.sock)\n"
            )
            // --host-socket names another.
            let named = TestConsole(environment: console.environment)
            let namedStatus = await named.run(["get", "residents", "--host-socket", sockets.hostSocket])
            XCTAssertEqual(namedStatus, 0, named.errors)
            XCTAssertEqual(host.hostObjects.requests.last, "List Resident selector= parent= size=500 token=")

            // A file that is not a login stops the work, not administration.
            try "{\"token\": 1}".write(toFile: sockets.credentialsPath, atomically: false, encoding: .utf8)
            let broken = await sockets.run(["get", "residents"])
            XCTAssertEqual(broken.status, ControlExitCode.failed)
            XCTAssertEqual(
                broken.errors,
                "error: cannot read your login at \(sockets.credentialsPath): it is not a login gongzhictl wrote "
                    + "(gongzhictl logout removes it; gongzhictl login again)\n"
            )
            let status2 = await sockets.run(["status"])
            XCTAssertEqual(status2.status, 0, status2.errors)
            let logout = await sockets.run(["logout"])
            XCTAssertEqual(logout.output, "logged out; removed \(sockets.credentialsPath)\n")
        }
    }

    // MARK: --as

    func testAsFindsThePersonByIdOrNameAndNamesThemOnEveryCall() async throws {
        try await withHost { host in
            let sockets = host.sockets
            let objects = host.adminObjects
            let byID = await sockets.run(["get", "residents", "--as", "hu-wei"])
            XCTAssertEqual(byID.status, 0, byID.errors)
            XCTAssertEqual(
                objects.requests,
                ["Get Person/hu-wei", "ListKinds", "List Resident selector= parent= size=500 token="]
            )
            // Found as yourself; the kinds are gongzhictl's own look-up; the read is the person's.
            XCTAssertEqual(objects.callers, ["token=- as=-", "token=- as=-", "token=- as=hu-wei"])

            // A name is not an id: the people are listed and the one with the name is taken.
            let byName = await sockets.run(["get", "residents", "--as", "胡伟"])
            XCTAssertEqual(byName.status, 0, byName.errors)
            XCTAssertEqual(
                objects.requests.suffix(3),
                [
                    "List Person selector= parent= size=500 token=", "ListKinds",
                    "List Resident selector= parent= size=500 token=",
                ]
            )
            XCTAssertEqual(objects.callers.suffix(3), ["token=- as=-", "token=- as=-", "token=- as=hu-wei"])

            // The same for admin calls and whoami; ListServices is a look-up.
            _ = await sockets.run(["status", "--as", "wang-fang"])
            _ = await sockets.run(["services", "--as", "wang-fang"])
            XCTAssertEqual(host.admin.callers.withLock { $0 }, ["token=- as=wang-fang", "token=- as=-"])
            let whoami = await sockets.run(["whoami", "--as", "王芳"])
            XCTAssertEqual(whoami.status, 0, whoami.errors)
            XCTAssertTrue(whoami.output.hasPrefix("principal:  admin:uid=\(getuid()) as person:wang-fang\n"))
            XCTAssertEqual(host.adminPeople.callers, ["token=- as=wang-fang"])
        }
    }

    func testAsRefusesANameSeveralPeopleHaveAndOneNobodyHas() async throws {
        try await withHost { host in
            let sockets = host.sockets
            var twin = PeopleFixtures.wangFang
            twin.id = "wang-fang-2"
            host.adminObjects.seed([PeopleFixtures.object(twin)])
            let before = host.adminObjects.requests.count

            let ambiguous = await sockets.run(["get", "residents", "--as", "王芳"])
            XCTAssertEqual(ambiguous.status, ControlExitCode.usage)
            XCTAssertEqual(
                ambiguous.errors,
                "error: 2 people are named 王芳: wang-fang, wang-fang-2; give the id with --as\n"
            )

            let unknown = await sockets.run(["get", "residents", "--as", "nobody"])
            XCTAssertEqual(unknown.status, ControlExitCode.notFound)
            XCTAssertEqual(
                unknown.errors,
                "error: no person has the id or name nobody (gongzhictl people list shows them)\n"
            )
            XCTAssertEqual(
                Array(host.adminObjects.requests.dropFirst(before)),
                [
                    "List Person selector= parent= size=500 token=", "Get Person/nobody",
                    "List Person selector= parent= size=500 token=",
                ],
                "nothing is read for nobody"
            )
            let blank = await sockets.run(["get", "residents", "--as", " "])
            XCTAssertEqual(blank.status, ControlExitCode.usage)
            XCTAssertEqual(blank.errors, "error: --as needs a person's id or name\n")
        }
    }

    func testAsWhileLoggedInIsFoundAndSentOnHostSock() async throws {
        try await withHost { host in
            let sockets = host.sockets
            _ = await sockets.run(["login"], input: Array(Self.token.utf8))
            let (status, _, errors) = await sockets.run(["get", "residents", "--as", "wang-fang"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                host.hostObjects.callers,
                ["token=\(Self.token) as=-", "token=\(Self.token) as=-", "token=\(Self.token) as=wang-fang"]
            )
        }
    }

    func testARefusalForThePersonActedForIsNotAboutAdministering() {
        let invocationError = ControlError(
            callingWithLogin: "/run/gongzhi/host.sock",
            failedWith: RPCError(code: .permissionDenied, message: "person:hu-wei may not list Resident in 330106"),
            uid: 1000,
            probe: { _ in .socket }
        )
        XCTAssertEqual(
            invocationError,
            ControlError("permission denied: person:hu-wei may not list Resident in 330106", exitCode: 5)
        )
        XCTAssertNil(
            ControlError(
                callingWithLogin: "/run/gongzhi/host.sock",
                failedWith: RPCError(code: .notFound, message: "Resident/x does not exist"),
                probe: { _ in .socket }
            ),
            "other failures read as on admin.sock"
        )
        XCTAssertEqual(
            ControlError(
                callingWithLogin: "/run/gongzhi/host.sock",
                failedWith: RPCError(
                    code: .unavailable,
                    message: "cannot connect to /run/gongzhi/host.sock: connection refused (is the server running?)"
                ),
                probe: { _ in .socket }
            )?.message,
            "cannot reach the host at /run/gongzhi/host.sock: connection refused (is gongzhi-host running? you are "
                + "logged in: use --host-socket or GONGZHI_HOST_SOCKET, or --admin to call admin.sock)"
        )
    }
}
