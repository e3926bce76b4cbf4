import GongzhiControlTestSupport
import GongzhiDocuments
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiControl

/// People, roles and places as objects built by hand, for the tests of `people`, `roles` and `--as`.
enum PeopleFixtures {
    static let huWei = Gongzhi_Core_V1_Person.with {
        $0.id = "hu-wei"
        $0.name = "胡伟"
        $0.title = "专职网格员"
        $0.phone = "13800000000"
        $0.state = .active
    }

    static let wangFang = Gongzhi_Core_V1_Person.with {
        $0.id = "wang-fang"
        $0.name = "王芳"
        $0.title = "社区工作者"
        $0.state = .active
    }

    /// Suspended, with no bindings.
    static let liQiang = Gongzhi_Core_V1_Person.with {
        $0.id = "li-qiang"
        $0.name = "李强"
        $0.state = .suspended
        $0.suspendedReason = "调离"
        $0.suspendedAtMs = Fixtures.minutesAgo(30)
    }

    static let grid = "330106001001003"
    static let community = "330106001001"

    static func object(_ person: Gongzhi_Core_V1_Person, revision: Int64 = 7) -> Gongzhi_Host_V1_Object {
        .with {
            $0.kind = "Person"
            $0.id = person.id
            $0.revision = revision
            $0.owner = "host"
            $0.createdAtMs = Fixtures.minutesAgo(120)
            $0.updatedAtMs = Fixtures.minutesAgo(5)
            $0.data = try! person.serializedBytes()
        }
    }

    static func binding(_ person: String, _ role: String, _ place: String) -> Gongzhi_Core_V1_RoleBinding {
        .with {
            $0.id = "\(person).\(role).\(place)"
            $0.personID = person
            $0.role = role
            $0.placeCode = place
            $0.grantedBy = "admin:uid=0"
            $0.grantedAtMs = Fixtures.minutesAgo(60)
        }
    }

    static func object(_ binding: Gongzhi_Core_V1_RoleBinding) -> Gongzhi_Host_V1_Object {
        .with {
            $0.kind = "RoleBinding"
            $0.id = binding.id
            $0.revision = 9
            $0.owner = "host"
            $0.data = try! binding.serializedBytes()
        }
    }

    static let gridWorker = Gongzhi_Core_V1_Role.with {
        $0.name = "grid-worker"
        $0.title = "网格员"
        $0.builtIn = true
        $0.personalData = true
        $0.rules = [
            .with { $0.methods = ["gongzhi.grid.v1.GridService/*"] },
            .with {
                $0.kinds = ["Case", "Resident"]
                $0.verbs = ["get", "list", "watch"]
            },
        ]
    }

    static let viewer = Gongzhi_Core_V1_Role.with {
        $0.name = "viewer"
        $0.title = "只读"
        $0.builtIn = true
        $0.rules = [
            .with {
                $0.kinds = ["*"]
                $0.verbs = ["get", "list"]
            }
        ]
    }

    static func object(_ role: Gongzhi_Core_V1_Role) -> Gongzhi_Host_V1_Object {
        .with {
            $0.kind = "Role"
            $0.id = role.name
            $0.revision = 3
            $0.owner = "host"
            $0.updatedAtMs = Fixtures.minutesAgo(600)
            $0.data = try! role.serializedBytes()
        }
    }

    /// Hu Wei a grid worker in a grid, Wang Fang community staff in its community, Li Qiang suspended.
    static var seeded: [Gongzhi_Host_V1_Object] {
        [
            object(huWei), object(wangFang), object(liQiang), object(binding("hu-wei", "grid-worker", grid)),
            object(binding("wang-fang", "community-staff", community)), object(gridWorker), object(viewer),
        ]
    }

    /// A token issued to Hu Wei, and one to somebody else.
    static let huWeiToken = Gongzhi_Host_V1_TokenInfo.with {
        $0.id = "t1hw"
        $0.kind = "person"
        $0.subject = "hu-wei"
        $0.createdAtMs = Fixtures.minutesAgo(60)
        $0.expiresAtMs = Fixtures.nowMs + 90 * 86_400_000
        $0.description_p = "手机"
        $0.issuedBy = "admin:uid=0"
    }

    static let wangFangToken = Gongzhi_Host_V1_TokenInfo.with {
        $0.id = "t2wf"
        $0.kind = "person"
        $0.subject = "wang-fang"
        $0.createdAtMs = Fixtures.minutesAgo(60)
    }
}

/// `people`, `roles`, `tokens issue --person` and `audit --person` against an in-process host on a real
/// socket (the Admin service, and the Objects service in memory): what they ask, what they print, how they
/// exit.
final class PeopleCommandsTests: XCTestCase {
    private typealias Run = ([String]) async -> (status: Int32, output: String, errors: String)

    private func withHost(
        objects: FakeObjects = FakeObjects(),
        admin: FakeAdmin = FakeAdmin(),
        _ body: (_ run: @escaping Run) async throws -> Void
    ) async throws {
        try await withRPCServer(services: [admin, objects]) { _, directory in
            let socket = directory.file("server.sock")
            try await body { arguments in
                let console = TestConsole(environment: ["GONGZHI_ADMIN_SOCKET": socket])
                let status = await console.run(arguments)
                return (status, console.output, console.errors)
            }
        }
    }

    private func person(_ objects: FakeObjects, _ id: String) throws -> Gongzhi_Core_V1_Person {
        try Gongzhi_Core_V1_Person(serializedBytes: XCTUnwrap(objects.object("Person", id)).data)
    }

    // MARK: people

    func testAddCreatesThePerson() async throws {
        let objects = FakeObjects()
        try await withHost(objects: objects) { run in
            let (status, output, errors) = await run([
                "people", "add", "hu-wei", "--name", "胡伟", "--title", "专职网格员", "--phone", "13800000000",
                "--resident", "R-0001", "--partner", "P-0007",
            ])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(output, "created person hu-wei (胡伟)\n")
            XCTAssertEqual(objects.requests, ["Create Person/hu-wei"])
            XCTAssertEqual(
                try person(objects, "hu-wei"),
                Gongzhi_Core_V1_Person.with {
                    $0.id = "hu-wei"
                    $0.name = "胡伟"
                    $0.title = "专职网格员"
                    $0.phone = "13800000000"
                    $0.residentID = "R-0001"
                    $0.partnerID = "P-0007"
                    $0.state = .active
                }
            )
            // The host's refusal, as it comes.
            let again = await run(["people", "add", "hu-wei", "--name", "胡伟"])
            XCTAssertEqual(again.status, ControlExitCode.failed)
            XCTAssertEqual(again.errors, "error: Person/hu-wei already exists\n")
            // JSON is the object's document, as get prints it.
            let json = await run(["people", "add", "wang-fang", "--name", "王芳", "-o", "json"])
            XCTAssertEqual(json.status, 0, json.errors)
            let document = try XCTUnwrap(JSONText.value(json.output).json)
            XCTAssertEqual(JSONText.compact(document["kind"]!), "\"Person\"")
            XCTAssertEqual(
                JSONText.compact(document["data"]!),
                #"{"id":"wang-fang","name":"王芳","state":"STATE_ACTIVE"}"#
            )
        }
    }

    func testListShowsStateAndBindingsAndFilters() async throws {
        let objects = FakeObjects()
        objects.seed(PeopleFixtures.seeded)
        try await withHost(objects: objects) { run in
            let all = await run(["people", "list"])
            XCTAssertEqual(all.status, 0, all.errors)
            XCTAssertEqual(
                all.output,
                """
                ID         NAME  TITLE       STATE      BINDINGS
                hu-wei     胡伟  专职网格员  active     grid-worker@330106001001003
                li-qiang   李强  -           suspended  -
                wang-fang  王芳  社区工作者  active     community-staff@330106001001

                """
            )
            XCTAssertEqual(
                objects.requests,
                [
                    "List Person selector= parent= size=500 token=",
                    "List RoleBinding selector= parent= size=500 token=",
                ]
            )
            let cases: [([String], [String])] = [
                (["--role", "grid-worker"], ["hu-wei"]),
                // A street's code covers the bindings in its communities and grids.
                (["--place", "330106001"], ["hu-wei", "wang-fang"]),
                (["--place", PeopleFixtures.community], ["hu-wei", "wang-fang"]),
                (["--place", PeopleFixtures.grid], ["hu-wei"]),
                (["--role", "community-staff", "--place", PeopleFixtures.grid], []),
            ]
            for (filters, ids) in cases {
                let (status, output, errors) = await run(["people", "list", "-o", "json"] + filters)
                XCTAssertEqual(status, 0, errors)
                guard case .array(let people) = try JSONText.value(output).json else {
                    XCTFail("\(filters): \(output)")
                    continue
                }
                XCTAssertEqual(people.map { JSONText.compact($0["id"]!) }, ids.map { "\"\($0)\"" }, "\(filters)")
            }
            let none = await run(["people", "list", "--role", "mediator"])
            XCTAssertEqual(none.output, "no people\n")
        }
    }

    func testAPlaceThatIsNoPlaceIsRefusedBeforeAnythingIsSent() async throws {
        let objects = FakeObjects()
        try await withHost(objects: objects) { run in
            for arguments in [
                ["people", "list", "--place", "12345"],
                ["people", "bind", "hu-wei", "--role", "grid-worker", "--place", "3301060010010"],
                ["people", "unbind", "hu-wei", "--role", "grid-worker", "--place", "33010600100100a"],
            ] {
                let (status, output, errors) = await run(arguments)
                XCTAssertEqual(status, ControlExitCode.usage, "\(arguments)")
                XCTAssertEqual(output, "")
                XCTAssertTrue(errors.contains("is not a place: give a grid (15 digits), a community (12)"), errors)
            }
            XCTAssertEqual(objects.requests, [])
        }
    }

    func testShowGivesBindingsAndTheirTokensOnly() async throws {
        let objects = FakeObjects()
        objects.seed(PeopleFixtures.seeded)
        let admin = FakeAdmin(tokens: [Fixtures.clientToken, PeopleFixtures.huWeiToken, PeopleFixtures.wangFangToken])
        try await withHost(objects: objects, admin: admin) { run in
            let (status, output, errors) = await run(["people", "show", "hu-wei"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                output,
                """
                id:        hu-wei
                name:      胡伟
                title:     专职网格员
                state:     active
                phone:     13800000000
                resident:  -
                partner:   -
                revision:  7
                created:   2025-11-21T21:00:00+08:00 (2h ago)
                updated:   2025-11-21T22:55:00+08:00 (5m ago)

                ROLE         PLACE            LEVEL  GRANTED BY   GRANTED
                grid-worker  330106001001003  grid   admin:uid=0  2025-11-21T22:00:00+08:00

                TOKEN  STATE   CREATED                    EXPIRES                    DESCRIPTION
                t1hw   active  2025-11-21T22:00:00+08:00  2026-02-19T23:00:00+08:00  手机

                """
            )
            XCTAssertEqual(
                objects.requests,
                ["Get Person/hu-wei", "List RoleBinding selector= parent= size=500 token="]
            )
            XCTAssertEqual(admin.requests.withLock { $0 }, ["ListTokens"])

            let suspended = await run(["people", "show", "li-qiang"])
            XCTAssertTrue(suspended.output.contains("state:     suspended since 2025-11-21T22:30:00+08:00: 调离\n"))
            XCTAssertTrue(suspended.output.contains("no roles bound (gongzhictl people bind li-qiang"))
            XCTAssertTrue(suspended.output.contains("no tokens (gongzhictl tokens issue --person li-qiang)\n"))

            let json = await run(["people", "show", "hu-wei", "-o", "yaml"])
            XCTAssertEqual(json.status, 0, json.errors)
            XCTAssertTrue(json.output.contains("subject: hu-wei"), json.output)
            XCTAssertFalse(json.output.contains("wang-fang"), json.output)

            let missing = await run(["people", "show", "nobody"])
            XCTAssertEqual(missing.status, ControlExitCode.notFound)
            XCTAssertEqual(missing.errors, "error: Person/nobody does not exist\n")
        }
    }

    func testSuspendAndResumeRewriteTheStateAtTheRevisionRead() async throws {
        let objects = FakeObjects()
        objects.seed(PeopleFixtures.seeded)
        try await withHost(objects: objects) { run in
            let suspend = await run(["people", "suspend", "hu-wei", "--reason", "调离本街道"])
            XCTAssertEqual(suspend.status, 0, suspend.errors)
            XCTAssertEqual(suspend.output, "suspended hu-wei (胡伟): 调离本街道; the host refuses their tokens from now on\n")
            var expected = PeopleFixtures.huWei
            expected.state = .suspended
            expected.suspendedReason = "调离本街道"
            expected.suspendedAtMs = Fixtures.nowMs
            XCTAssertEqual(try person(objects, "hu-wei"), expected)
            XCTAssertEqual(objects.requests, ["Get Person/hu-wei", "Update Person/hu-wei expected=7"])

            let resume = await run(["people", "resume", "hu-wei"])
            XCTAssertEqual(resume.status, 0, resume.errors)
            XCTAssertEqual(resume.output, "resumed hu-wei (胡伟): active again\n")
            XCTAssertEqual(try person(objects, "hu-wei"), PeopleFixtures.huWei)
            XCTAssertEqual(objects.requests.suffix(2), ["Get Person/hu-wei", "Update Person/hu-wei expected=101"])

            let again = await run(["people", "resume", "hu-wei"])
            XCTAssertEqual(again.output, "hu-wei (胡伟) is not suspended; nothing changed\n")
            XCTAssertEqual(objects.requests.last, "Get Person/hu-wei", "nothing written")

            let noReason = await run(["people", "suspend", "hu-wei", "--reason", " "])
            XCTAssertEqual(noReason.status, ControlExitCode.usage)
            XCTAssertTrue(noReason.errors.hasPrefix("error: --reason needs why the person is suspended\n"))
        }
    }

    func testBindAndUnbindWriteTheBindingTheHostNames() async throws {
        let objects = FakeObjects()
        objects.seed(PeopleFixtures.seeded)
        try await withHost(objects: objects) { run in
            let bind = await run(["people", "bind", "wang-fang", "--role", "mediator", "--place", "330106001"])
            XCTAssertEqual(bind.status, 0, bind.errors)
            XCTAssertEqual(bind.output, "bound wang-fang as mediator in street 330106001\n")
            XCTAssertEqual(objects.requests, ["Create RoleBinding/wang-fang.mediator.330106001"])
            let stored = try Gongzhi_Core_V1_RoleBinding(
                serializedBytes: XCTUnwrap(objects.object("RoleBinding", "wang-fang.mediator.330106001")).data
            )
            XCTAssertEqual(
                stored,
                .with {
                    $0.id = "wang-fang.mediator.330106001"
                    $0.personID = "wang-fang"
                    $0.role = "mediator"
                    $0.placeCode = "330106001"
                }
            )

            let unbind = await run([
                "people", "unbind", "hu-wei", "--role", "grid-worker", "--place", PeopleFixtures.grid,
            ])
            XCTAssertEqual(unbind.status, 0, unbind.errors)
            XCTAssertEqual(unbind.output, "unbound hu-wei from grid-worker in grid 330106001001003\n")
            XCTAssertEqual(objects.requests.last, "Delete RoleBinding/hu-wei.grid-worker.330106001001003 expected=0")
            XCTAssertNil(objects.object("RoleBinding", "hu-wei.grid-worker.330106001001003"))

            let missing = await run([
                "people", "unbind", "hu-wei", "--role", "grid-worker", "--place", PeopleFixtures.grid,
            ])
            XCTAssertEqual(missing.status, ControlExitCode.notFound)
            XCTAssertEqual(missing.errors, "error: RoleBinding/hu-wei.grid-worker.330106001001003 does not exist\n")
        }
    }

    // MARK: roles

    func testRolesListAndShow() async throws {
        let objects = FakeObjects()
        objects.seed(PeopleFixtures.seeded)
        try await withHost(objects: objects) { run in
            let list = await run(["roles", "list"])
            XCTAssertEqual(list.status, 0, list.errors)
            XCTAssertEqual(
                list.output,
                """
                NAME         TITLE   BUILT-IN  PERSONAL DATA  RULES
                grid-worker  网格员  yes       yes            gongzhi.grid.v1.GridService/*; get,list,watch on Case,Resident
                viewer       只读    yes       no             get,list on *

                """
            )
            let show = await run(["roles", "show", "grid-worker"])
            XCTAssertEqual(show.status, 0, show.errors)
            XCTAssertEqual(
                show.output,
                """
                name:           grid-worker
                title:          网格员
                description:    -
                built-in:       yes (the host's; it cannot be changed or deleted)
                personal data:  yes (holders see personal data within their places)
                rules:          gongzhi.grid.v1.GridService/*
                                get,list,watch on Case,Resident
                held by:        hu-wei in grid 330106001001003
                revision:       3
                updated:        2025-11-21T13:00:00+08:00 (10h ago)

                """
            )
            let json = await run(["roles", "list", "-o", "json"])
            guard case .array(let roles) = try JSONText.value(json.output).json else {
                return XCTFail(json.output)
            }
            XCTAssertEqual(roles.count, 2)
            XCTAssertEqual(JSONText.compact(roles[0]["data"]!["builtIn"]!), "true")
        }
    }

    func testRolesAddMakesARuleOfTheMethodsAndOneAKindsVerbsPair() async throws {
        let objects = FakeObjects()
        try await withHost(objects: objects) { run in
            let (status, output, errors) = await run([
                "roles", "add", "patrol-lead", "--title", "巡查组长", "--description", "带队巡查",
                "--method", "gongzhi.grid.v1.GridService/Report", "--kinds", "Case, Resident",
                "--verbs", "get,list", "--method", "gongzhi.grid.v1.GridService/Handle", "--kinds", "Building",
                "--verbs", "get", "--personal-data",
            ])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(output, "created role patrol-lead (巡查组长)\n")
            XCTAssertEqual(objects.requests, ["Create Role/patrol-lead"])
            let role = try Gongzhi_Core_V1_Role(serializedBytes: XCTUnwrap(objects.object("Role", "patrol-lead")).data)
            XCTAssertEqual(
                role,
                .with {
                    $0.name = "patrol-lead"
                    $0.title = "巡查组长"
                    $0.description_p = "带队巡查"
                    $0.personalData = true
                    $0.rules = [
                        .with {
                            $0.methods = ["gongzhi.grid.v1.GridService/Report", "gongzhi.grid.v1.GridService/Handle"]
                        },
                        .with {
                            $0.kinds = ["Case", "Resident"]
                            $0.verbs = ["get", "list"]
                        },
                        .with {
                            $0.kinds = ["Building"]
                            $0.verbs = ["get"]
                        },
                    ]
                }
            )
            let unpaired = await run(["roles", "add", "x", "--title", "X", "--kinds", "Case"])
            XCTAssertEqual(unpaired.status, ControlExitCode.usage)
            XCTAssertTrue(
                unpaired.errors.hasPrefix(
                    "error: give --kinds and --verbs in pairs, one rule each: 1 --kinds and 0 --verbs were given\n"
                ),
                unpaired.errors
            )
            let empty = await run(["roles", "add", "x", "--title", "X", "--kinds", ",", "--verbs", "get"])
            XCTAssertEqual(empty.status, ControlExitCode.usage)
            XCTAssertEqual(objects.requests.count, 1, "nothing sent for a usage error")

            let delete = await run(["roles", "delete", "patrol-lead"])
            XCTAssertEqual(delete.status, 0, delete.errors)
            XCTAssertEqual(objects.requests.last, "Delete Role/patrol-lead expected=0")
            XCTAssertNil(objects.object("Role", "patrol-lead"))
        }
    }

    // MARK: tokens and audit

    func testTokensForAPersonAndTheirAudit() async throws {
        let admin = FakeAdmin()
        try await withHost(admin: admin) { run in
            let issue = await run(["tokens", "issue", "--person", "hu-wei", "--ttl", "90d", "--description", "手机"])
            XCTAssertEqual(issue.status, 0, issue.errors)
            let audit = await run(["audit", "--person", "hu-wei", "--limit", "5"])
            XCTAssertEqual(audit.status, 0, audit.errors)
            XCTAssertEqual(
                admin.requests.withLock { $0 },
                ["IssueToken person hu-wei [] ttl=7776000 手机", "ListAudit limit=5 person=hu-wei"]
            )
        }
        let issued = Gongzhi_Host_V1_IssuedToken.with {
            $0.info = PeopleFixtures.huWeiToken
            $0.token = "gzt_t1hw_c2VjcmV0"
        }
        let text = HumanOutput.issuedToken(issued, time: Fixtures.time)
        XCTAssertTrue(text.hasPrefix("issued token t1hw for person hu-wei\n"), text)
        XCTAssertTrue(text.contains("\ngzt_t1hw_c2VjcmV0\n"), text)
        XCTAssertTrue(
            text.hasSuffix("Give it to hu-wei, who logs in with it: gongzhictl login (it asks for the token).\n"),
            text
        )
    }
}
