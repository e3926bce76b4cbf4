import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiIntakeControl

/// The intake commands against an in-process host on a real socket: the intake plugin's service as the host
/// routes it.
final class IntakeFakeHostTests: XCTestCase {
    typealias Run = ([String]) async -> (status: Int32, output: String, errors: String)
    private let itemID = IntakeFixtures.itemID
    private let deadID = IntakeFixtures.deadID

    private func withFakeHost(
        intake: FakeIntakeService = FakeIntakeService(),
        terminal: Bool = false,
        input: [UInt8] = [],
        _ body: (_ run: @escaping Run, _ directory: TemporaryDirectory) async throws -> Void
    ) async throws {
        try await withRPCServer(services: [intake]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments in
                    let console = TestConsole(
                        IntakeCommandLine.self,
                        environment: ["GONGZHI_ADMIN_SOCKET": socket],
                        terminal: terminal,
                        input: input
                    )
                    let status = await console.run(arguments)
                    return (status, console.output, console.errors)
                },
                directory
            )
        }
    }

    private static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func testEveryVerbCallsItsMethodAndPrintsWhatItsRendererDoes() async throws {
        let t = Fixtures.time
        let intake = FakeIntakeService()
        try await withFakeHost(intake: intake) { run, directory in
            let devices = directory.file("devices.json")
            try Self.write(
                #"[{"id": "WL-330199-0042", "kinds": ["water_level"], "location": {"latitude": 30.2741, "longitude": 120.1551}}]"#,
                to: devices
            )
            let cases: [([String], String)] = [
                (["sources"], IntakeOutput.sources(IntakeFixtures.sources, time: t)),
                (["reload"], "reloaded the sources file\n\n" + IntakeOutput.sources(IntakeFixtures.sources, time: t)),
                (
                    [
                        "items", "list", "--state", "waiting", "--state", "in-case", "--source", "hotline-12345",
                        "--place",
                        "330106001", "--type", "complaint", "--limit", "20", "--page", "p1",
                    ],
                    IntakeOutput.items(
                        .with {
                            $0.items = [IntakeFixtures.waiting]
                            $0.nextPageToken = "p2"
                        },
                        time: t
                    )
                ),
                (["items", "show", itemID], IntakeOutput.item(IntakeFixtures.waiting, time: t)),
                (["close", itemID, "--note", "重复来电"], "\(itemID): closed, now closed (by 胡伟): 重复来电\n"),
                (
                    ["route", itemID, "--category", "E0405"],
                    "\(itemID): routed, now in-case (by 胡伟)\ncase: C0a1b2c3d4e5f6071\n"
                ),
                (["route", itemID, "--department", "D-cgj", "--note", "属城管职责"], "\(itemID): routed"),
                (["route", itemID, "--type", "consultation"], "\(itemID): routed"),
                (
                    [
                        "dead-letters", "list", "--source", "urban-management", "--stage", "decode", "--reason",
                        "csv.quote",
                        "--state", "open",
                    ],
                    IntakeOutput.deadLetters(
                        .with { $0.deadLetters = [IntakeFixtures.deadLetter, IntakeFixtures.binaryDeadLetter] },
                        time: t
                    )
                ),
                (["dead-letters", "show", deadID], IntakeOutput.deadLetter(IntakeFixtures.deadLetter, time: t)),
                (
                    ["dead-letters", "replay", deadID, "--dry-run"],
                    IntakeOutput.replayed(
                        .with {
                            $0.outcomes = [
                                .with {
                                    $0.id = deadID
                                    $0.outcome = "item \(itemID)"
                                    $0.succeeded = true
                                }
                            ]
                        },
                        dryRun: true
                    )
                ),
                (
                    ["dead-letters", "discard", deadID, "--reason", "测试数据"],
                    "discarded 1 dead letter: \(deadID) (they stay counted as dead-lettered)\n"
                ),
                (
                    ["devices", "list", "--place", "330106001", "--kind", "water_level"],
                    IntakeOutput.devices([IntakeFixtures.device], time: t)
                ),
                (["devices", "put", devices], "registered 1 device\n"),
                (
                    ["readings", "latest", "--kind", "water_level"],
                    IntakeOutput.readings([IntakeFixtures.readings[0]], time: t)
                ),
                (
                    [
                        "readings", "show", "WL-330199-0042", "--kind", "water_level", "--since", "2025-11-21",
                        "--until",
                        "2025-11-21T23:00", "--limit", "500",
                    ],
                    IntakeOutput.readings(IntakeFixtures.readings, time: t)
                ),
            ]
            for (arguments, expected) in cases {
                let (status, output, errors) = await run(["intake"] + arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
                XCTAssertEqual(errors, "", "\(arguments)")
                XCTAssertTrue(output.hasPrefix(expected), "\(arguments):\n\(output)\nexpected:\n\(expected)")
            }
        }
        let day = Int64(1_763_654_400_000)  // 2025-11-21T00:00+08:00
        XCTAssertEqual(
            intake.requests.withLock { $0 },
            [
                "ListSources",
                "ReloadSources",
                "ListItems states=[1, 2] source=hotline-12345 place=330106001 types=[1] limit=20 page=p1",
                "GetItem \(itemID)",
                "CloseItem \(itemID) note=重复来电",
                "RouteItem \(itemID) category=E0405 department= type=0 note=",
                "RouteItem \(itemID) category= department=D-cgj type=0 note=属城管职责",
                "RouteItem \(itemID) category= department= type=3 note=",
                "ListDeadLetters source=urban-management stage=1 reason=csv.quote states=[1] limit=0 page=",
                "GetDeadLetter \(deadID)",
                "ReplayDeadLetters ids=[\"\(deadID)\"] source= reason= dry_run=true",
                "DiscardDeadLetters ids=[\"\(deadID)\"] reason=测试数据",
                "ListDevices place=330106001 kind=water_level",
                "PutDevices [\"WL-330199-0042\"]",
                "LatestReadings place= kind=water_level",
                "Readings WL-330199-0042 kind=water_level since=\(day) until=\(day + 23 * 3_600_000) limit=500",
            ]
        )
        XCTAssertEqual(Set(intake.callers.withLock { $0 }), ["token=- as=-"])
    }

    func testStatsPrintsTheEquationOfEachSourceAndWarnsOfOneThatDoesNotBalance() async throws {
        try await withFakeHost { run, _ in
            let (status, output, errors) = await run(["intake", "stats"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                output,
                """
                SOURCE         RECEIVED  ACCEPTED  DUPLICATES  DEAD  IN FLIGHT  OLDEST  REFUSED  PAUSED  RECONNECTS  SESSIONS LOST
                hotline-12345  12        10        1           1     0          -       3        no (1)  0           0
                sensors-x      30,000    29,000    500         400   99         4s ago  0        no (0)  2           1

                hotline-12345: received 12 = accepted 10 + duplicates 1 + dead-lettered 1 + in flight 0
                    refused before durable 3 (http.400 1, http.429 2)
                    of the dead-lettered, discarded 0
                    accepted as reports 6, items 4
                sensors-x: received 30,000 = accepted 29,000 + duplicates 500 + dead-lettered 400 + in flight 99 — DOES NOT BALANCE
                    of the dead-lettered, discarded 20
                    replayed 5
                    accepted as readings stored 28,990, alerts 10
                broker dropped 0 (the broker's own count, every client)

                """
            )
            XCTAssertEqual(
                errors,
                "warning: sensors-x's counters do not balance: the outcomes count 1 fewer than received; inputs may "
                    + "have been lost or counted twice (see the plugin's log: gongzhictl plugins logs intake)\n"
            )
            let one = await run(["intake", "stats", "--source", "hotline-12345"])
            XCTAssertEqual(one.status, 0, one.errors)
            XCTAssertTrue(
                one.output.contains(
                    "hotline-12345: received 12 = accepted 10 + duplicates 1 + dead-lettered 1 + in flight 0\n"
                )
            )
            XCTAssertEqual(one.errors, "", "it balances: no warning")
            let json = await run(["intake", "stats", "-o", "json"])
            XCTAssertEqual(try Gongzhi_Intake_V1_StatsResponse(jsonString: json.output), IntakeFixtures.stats)
            XCTAssertTrue(json.output.contains("\"dead_lettered\":\"400\""), json.output)
            let unknown = await run(["intake", "stats", "--source", "nope"])
            XCTAssertEqual(unknown.status, ControlExitCode.notFound)
            XCTAssertEqual(
                unknown.errors,
                "error: there is no source nope (sources: hotline-12345, sensors-x, urban-management)\n"
            )
        }
    }

    func testDeadLettersRawInputIsTextWhenItIsUTF8ElseHex() async throws {
        try await withFakeHost { run, _ in
            let text = await run(["intake", "dead-letters", "show", deadID])
            XCTAssertEqual(text.status, 0, text.errors)
            XCTAssertTrue(
                text.output.contains("\nraw:\n  工单编号,诉求内容\n  GD9,\"未闭合\n"),
                text.output
            )
            XCTAssertTrue(
                text.output.contains("size:            \(IntakeFixtures.deadLetter.raw.count) bytes\n"),
                text.output
            )
            XCTAssertTrue(text.output.contains("sha256:          " + String(repeating: "ab", count: 32)), text.output)
            XCTAssertTrue(text.output.contains("reason:          csv.quote: line 1234, column 5"), text.output)

            let binary = await run(["intake", "dead-letters", "show", IntakeFixtures.binaryDeadLetter.id])
            XCTAssertEqual(binary.status, 0, binary.errors)
            XCTAssertTrue(binary.output.contains("size:            70,000 bytes, the first 45 kept\n"), binary.output)
            XCTAssertTrue(
                binary.output.contains(
                    "raw:\n  (not UTF-8 text; in hex)\n  0a03fffe00" + String(repeating: "41", count: 27) + "\n  "
                        + String(repeating: "41", count: 13) + "\n  … (truncated)\n"
                ),
                binary.output
            )
        }
    }

    func testWhatTheHostWithheldIsSaidOnStandardError() async throws {
        try await withFakeHost(intake: FakeIntakeService(redacting: true)) { run, _ in
            let note =
                "(reading it needs a role that shows personal data where it lies, or the personal-data grant)\n"
            let item = await run(["intake", "items", "show", itemID])
            XCTAssertEqual(item.status, 0, item.errors)
            XCTAssertEqual(
                item.errors,
                "note: the host withheld personal data from the answer: description, address, requester.name, "
                    + "requester.phone " + note
            )
            XCTAssertTrue(item.output.contains("requester:        -\n"), item.output)
            XCTAssertFalse(item.output.contains("13800000001"))
            let dead = await run(["intake", "dead-letters", "show", deadID, "-o", "json"])
            XCTAssertEqual(dead.status, 0, dead.errors)
            XCTAssertEqual(dead.errors, "note: the host withheld personal data from the answer: raw " + note)
            let shown = await run(["intake", "dead-letters", "show", deadID])
            XCTAssertTrue(
                shown.output.contains("raw:\n  withheld (it is personal data: it needs the personal-data grant)\n"),
                shown.output
            )
        }
        try await withFakeHost { run, _ in
            let item = await run(["intake", "items", "show", itemID])
            XCTAssertEqual(item.errors, "", "nothing withheld, nothing said")
        }
    }

    func testThePluginsRefusalsReadAsWhatToDo() async throws {
        try await withFakeHost { run, _ in
            let unknown = await run(["intake", "items", "show", "T0000000000000000"])
            XCTAssertEqual(unknown.status, ControlExitCode.notFound)
            XCTAssertEqual(unknown.output, "")
            XCTAssertEqual(unknown.errors, "error: there is no item T0000000000000000\n")

            let answer = await run(["intake", "answer", itemID, "已处理", "--close"])
            XCTAssertEqual(answer.status, ControlExitCode.failed)
            XCTAssertEqual(
                answer.errors,
                "error: item \(itemID) is a complaint waiting for a person: route it first (gongzhictl intake route); "
                    + "only consultations, requests for help and suggestions are answered\n"
            )
            let dead = await run(["intake", "dead-letters", "show", "D9"])
            XCTAssertEqual(dead.status, ControlExitCode.notFound)
            XCTAssertEqual(dead.errors, "error: there is no dead letter D9\n")

            // A replay that leaves some dead exits 1, after its outcomes.
            let replay = await run(["intake", "dead-letters", "replay", "--source", "sensors-x", "--reason", "x"])
            XCTAssertEqual(replay.status, ControlExitCode.failed)
            XCTAssertTrue(replay.output.hasSuffix("replayed 2: 1 succeeded, 1 dead again\n"), replay.output)
            XCTAssertEqual(replay.errors, "error: 1 of 2 dead letters stayed dead (their outcomes are above)\n")
        }
    }

    func testTheCommandLineIsCheckedBeforeAnythingIsSent() async throws {
        let intake = FakeIntakeService()
        try await withFakeHost(intake: intake) { run, directory in
            let usage: [([String], String)] = [
                (["route", itemID], "give exactly one of --category CODE, --department ID or --type"),
                (["route", itemID, "--category", "E0405", "--department", "D1"], "(2 were given)"),
                (["route", itemID, "--type", "complaint"], "'complaint'"),
                (["answer", itemID, " "], "the answer is empty"),
                (["items", "list", "--place", "西湖"], "--place takes a grid's, community's or street's code"),
                (["items", "list", "--state", "pending"], "'pending'"),
                (["dead-letters", "replay"], "name the dead letters to replay, or give --source NAME"),
                (
                    ["dead-letters", "replay", deadID, "--source", "s"],
                    "give ids, or --source (and --reason), not both"
                ),
                (["dead-letters", "discard", deadID], "--reason"),
                (["readings", "show", "WL-1", "--since", "yesterday"], "write a time such as 2026-11-20T09:30"),
                (
                    ["readings", "show", "WL-1", "--since", "2025-11-21", "--until", "2025-11-20"],
                    "ends (--until) before"
                ),
                (["import", "x.csv"], "--source"),
                (["import", "x.csv", "--source", "s", "--timeout", "5"], "write whole seconds, minutes or hours"),
                (["import", "x.csv", "--source", "s", "--no-wait", "--timeout", "5m"], "--timeout is for waiting"),
                (["import", "x.csv", "--source", "s", "--import-id", "a b"], "--import-id takes 1 to 128 characters"),
            ]
            for (arguments, expected) in usage {
                let (status, output, errors) = await run(["intake"] + arguments)
                XCTAssertEqual(status, ControlExitCode.usage, "\(arguments): \(errors)")
                XCTAssertEqual(output, "", "\(arguments)")
                XCTAssertTrue(errors.contains(expected), "\(arguments): \(errors)")
            }
            // A devices file that does not read names the line and column; nothing is sent.
            let file = directory.file("devices.json")
            let problems: [(String, String)] = [
                ("[]", "line 1, column 1: the array is empty"),
                ("{\"id\": \"x\"}", "line 1, column 1: the file must be a JSON array of devices, not an object"),
                ("[\n  {\"id\": \"A\", \"kinds\": [\"smoke\"]}\n]", "line 2, column 3: device A has no \"location\""),
                (
                    "[{\"id\": \"A\", \"kinds\": [\"smoke\"],\n \"location\": {\"latitude\": 95, \"longitude\": 120}}]",
                    "line 2, column 27: \"latitude\" must be within -90.0 to 90.0"
                ),
                (
                    "[{\"id\": \"A\", \"kinds\": [\"smoke\"], \"location\": {\"latitude\": 30, \"longitude\": 120},\n"
                        + "  \"grid\": \"1\"}]",
                    "line 2, column 3: unknown field \"grid\""
                ),
                (
                    "[{\"id\": \"A\", \"kinds\": [\"smoke\"], \"location\": {\"latitude\": 30, \"longitude\": 120}},\n"
                        + " {\"id\": \"A\", \"kinds\": [\"smoke\"], \"location\": {\"latitude\": 30, \"longitude\": 120}}]",
                    "line 2, column 2: device A is also at line 1"
                ),
                ("[{\"id\": \"A\", \"kinds\": [\"smoke\"], \"active\": \"yes\"", "line 1, column "),
            ]
            for (text, expected) in problems {
                try Self.write(text, to: file)
                let (status, _, errors) = await run(["intake", "devices", "put", file])
                XCTAssertEqual(status, ControlExitCode.failed, text)
                XCTAssertTrue(errors.hasPrefix("error: \(file) \(expected)"), "\(text):\n\(errors)")
            }
            let missing = await run(["intake", "import", directory.file("nope.csv"), "--source", "urban-management"])
            XCTAssertEqual(missing.status, ControlExitCode.failed)
            XCTAssertEqual(
                missing.errors,
                "error: cannot read \(directory.file("nope.csv")): no such file or directory\n"
            )
        }
        XCTAssertEqual(intake.requests.withLock { $0 }, [], "nothing was sent")
    }

    func testDevicesPutSendsEveryFieldOfTheFile() async throws {
        let intake = FakeIntakeService()
        let text = """
            [
              {"id": "WL-330199-0042", "kinds": ["water_level", "battery"],
               "location": {"latitude": 30.2741, "longitude": 120.1551},
               "grid_code": "330106001001", "community_code": "330106001", "name": "XX路下穿隧道积水监测点",
               "gateway_id": "GW-7", "vendor": "海康", "active": false, "attributes": {"install_depth_cm": "120"}},
              {"id": "SM-1", "kinds": ["smoke"], "location": {"latitude": 30.1, "longitude": 120.2}}
            ]
            """
        try await withFakeHost(intake: intake, input: Array(("\u{FEFF}" + text).utf8)) { run, _ in
            let (status, output, errors) = await run(["intake", "devices", "put", "-"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertTrue(output.hasPrefix("registered 2 devices\nnot in any grid: SM-1 (their readings"), output)
        }
        let sent = intake.putDevicesSent.withLock { $0 }
        XCTAssertEqual(sent.count, 2)
        var expected = IntakeFixtures.device
        expected.kinds = ["water_level", "battery"]
        expected.active = false
        expected.registeredAtMs = 0
        XCTAssertEqual(sent.first, expected)
        XCTAssertEqual(sent.last?.active, true, "active unless it says otherwise")
        XCTAssertEqual(sent.last?.location.longitude, 120.2)
    }

    func testJSONIsProtobufsMappingWithTheProtosFieldNames() async throws {
        try await withFakeHost { run, _ in
            let show = await run(["intake", "items", "show", itemID, "-o", "json"])
            XCTAssertEqual(show.status, 0, show.errors)
            XCTAssertEqual(show.output, PluginOutput.json(IntakeFixtures.waiting))
            XCTAssertTrue(show.output.contains("\"state\":\"ITEM_STATE_WAITING\""), show.output)
            let dead = await run(["intake", "dead-letters", "show", deadID, "-o", "json"])
            XCTAssertEqual(try Gongzhi_Intake_V1_DeadLetter(jsonString: dead.output), IntakeFixtures.deadLetter)
            let yaml = await run(["intake", "sources", "-o", "yaml"])
            XCTAssertEqual(yaml.status, ControlExitCode.usage)
            XCTAssertEqual(yaml.errors, "error: -o yaml is for the object commands; use -o json or -o table\n")
        }
    }

    func testTheModuleNotDeployedIsOneLineForEveryVerb() async throws {
        let notDeployed = FakeIntakeService(
            failure: RPCError(
                code: .unimplemented,
                message: "no plugin serves gongzhi.intake.v1.Intake (served here: gongzhi.host.v1.Admin)"
            )
        )
        try await withFakeHost(intake: notDeployed) { run, directory in
            let devices = directory.file("devices.json")
            try Self.write(
                #"[{"id": "A", "kinds": ["smoke"], "location": {"latitude": 30, "longitude": 120}}]"#,
                to: devices
            )
            let csv = directory.file("tickets.csv")
            try Self.write("id,text\n1,a\n", to: csv)
            let verbs: [[String]] = [
                ["sources"], ["stats"], ["items", "list"], ["items", "show", itemID], ["answer", itemID, "a"],
                ["close", itemID], ["route", itemID, "--category", "E0405"], ["import", csv, "--source", "s"],
                ["dead-letters", "list"], ["dead-letters", "show", deadID], ["dead-letters", "replay", deadID],
                ["dead-letters", "discard", deadID, "--reason", "r"], ["devices", "list"], ["devices", "put", devices],
                ["readings", "latest"], ["readings", "show", "A"], ["reload"],
            ]
            for arguments in verbs {
                let (status, output, errors) = await run(["intake"] + arguments)
                XCTAssertEqual(status, ControlExitCode.failed, "\(arguments)")
                XCTAssertEqual(output, "", "\(arguments)")
                XCTAssertEqual(
                    errors,
                    "error: the intake plugin is not deployed on this host (no plugin serves gongzhi.intake.v1.Intake); "
                        + "install it with Deploy/install-plugin.sh, add [plugins.intake] to the host's config and "
                        + "reload the host\n",
                    "\(arguments)"
                )
            }
        }
        XCTAssertEqual(
            Set(notDeployed.requests.withLock { $0 }.map { String($0.prefix { $0 != " " }) }),
            [
                "ListSources", "Stats", "ListItems", "GetItem", "AnswerItem", "CloseItem", "RouteItem", "Import",
                "ListDeadLetters", "GetDeadLetter", "ReplayDeadLetters", "DiscardDeadLetters", "ListDevices",
                "PutDevices", "LatestReadings", "Readings", "ReloadSources",
            ],
            "each verb called its own method"
        )
    }

    func testAPluginNotTakingCallsSaysWhereToSeeWhy() async throws {
        let restarting = FakeIntakeService(
            failure: RPCError(code: .unavailable, message: "plugin intake is restarting (exited with status 1)")
        )
        try await withFakeHost(intake: restarting) { run, _ in
            let (status, _, errors) = await run(["intake", "stats"])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(
                errors,
                "error: the intake plugin is not available: plugin intake is restarting (exited with status 1) "
                    + "(see gongzhictl plugins describe intake)\n"
            )
        }
        let invalid = FakeIntakeService(
            failure: RPCError(code: .invalidArgument, message: "sources.json line 4, column 9: unknown kind \"ftp\"")
        )
        try await withFakeHost(intake: invalid) { run, _ in
            let (status, _, errors) = await run(["intake", "reload"])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(
                errors,
                "error: the sources file was not reloaded, nothing changed: sources.json line 4, column 9: unknown "
                    + "kind \"ftp\"\n"
            )
        }
    }

    func testLoggedInAPersonsRefusalIsPermissionDenied() async throws {
        let hostIntake = FakeIntakeService(
            failure: RPCError(
                code: .permissionDenied,
                message: "item \(IntakeFixtures.itemID) lies outside your places"
            )
        )
        let token = "gzt_t1hw_c2VjcmV0"
        let people = FakePeople(tokens: [token: .with { $0.principal = "person:hu-wei" }])
        try await TwoSocketHost.with(
            admin: [FakeIntakeService()],
            host: [hostIntake, people],
            commandLine: IntakeCommandLine.self
        ) { sockets in
            let login = await sockets.run(["login"], input: Array(token.utf8))
            XCTAssertEqual(login.status, 0, login.errors)
            let route = await sockets.run(["intake", "route", itemID, "--category", "E0405"])
            XCTAssertEqual(route.status, ControlExitCode.permissionDenied)
            XCTAssertEqual(route.errors, "error: permission denied: item \(itemID) lies outside your places\n")
        }
        XCTAssertEqual(Set(hostIntake.callers.withLock { $0 }), ["token=\(token) as=-"])
    }
}
