import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiMediationControl

/// The mediation commands against an in-process host on a real socket: the mediation plugin's service as the
/// host routes it, and the Objects service in memory (for the people `--as`, `--mediator` and `--visitor` name).
final class MediationFakeHostTests: XCTestCase {
    private typealias Run = ([String]) async -> (status: Int32, output: String, errors: String)
    private let id = MediationFixtures.id

    private func withFakeHost(
        mediation: FakeMediationService = FakeMediationService(),
        objects: any RPCService = FakeObjects(),
        input: [UInt8] = [],
        _ body: (_ run: @escaping Run, _ directory: TemporaryDirectory) async throws -> Void
    ) async throws {
        try await withRPCServer(services: [mediation, objects]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments in
                    let console = TestConsole(
                        MediationCommandLine.self,
                        environment: ["GONGZHI_ADMIN_SOCKET": socket],
                        input: input
                    )
                    let status = await console.run(arguments)
                    return (status, console.output, console.errors)
                },
                directory
            )
        }
    }

    private static func person(_ id: String, _ name: String) -> Gongzhi_Host_V1_Object {
        .with {
            $0.kind = "Person"
            $0.id = id
            $0.data = try! Gongzhi_Core_V1_Person.with {
                $0.id = id
                $0.name = name
            }
            .serializedBytes()
        }
    }

    private static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func testEveryVerbCallsItsMethodAndPrintsWhatItsRendererDoes() async throws {
        let t = Fixtures.time
        let mediation = FakeMediationService()
        let objects = FakeObjects()
        objects.seed([Self.person("wang-xiuying", "王秀英"), Self.person("li-qiang", "李强")])
        try await withFakeHost(mediation: mediation, objects: objects) { run, directory in
            let agreementFile = directory.file("agreement.json")
            try Self.write(
                #"{"party_ids": ["p1", "p2"], "responsibilities": "李娜负责", "obligations": [{"id": "o1", "method": "转账", "deadline": "2025-12-31"}]}"#,
                to: agreementFile
            )
            let notes = directory.file("notes.txt")
            try Self.write("双方陈述。\n李娜同意维修。\n", to: notes)
            let partiesFile = directory.file("parties.json")
            try Self.write(
                #"[{"name": "张伟", "role": "PARTY_ROLE_APPLICANT", "kind": "PARTY_KIND_RESIDENT"}, {"name": "李娜", "role": "PARTY_ROLE_RESPONDENT", "kind": "PARTY_KIND_RESIDENT"}]"#,
                to: partiesFile
            )
            func after(
                _ action: Gongzhi_Mediation_V1_Action,
                to state: Gongzhi_Mediation_V1_DisputeState = .agreed,
                note: String = ""
            ) -> String {
                var d = MediationFixtures.agreed
                d.history.append(MediationFixtures.step(action, .agreed, state, at: MediationFixtures.now, note: note))
                d.state = state
                return MediationOutput.stepped(d, time: t)
            }
            let cases: [([String], String)] = [
                (
                    [
                        "apply", "--type", "neighbour", "--place", "330106001001003", "--title", "楼上漏水", "--party",
                        "applicant:resident:张伟:R0001", "--party", "respondent:resident:李娜:R0002", "--key", "k-1",
                    ],
                    MediationOutput.opened(MediationFixtures.applied, time: t)
                ),
                (
                    ["hand-off", "C1a2b3", "--parties-file", partiesFile],
                    "Handed grid case C1a2b3 to mediation: dispute \(id), 楼上漏水 (neighbour), applied in "
                        + "330106001001003.\n"
                ),
                (
                    ["accept", id, "--consent", "p1", "--consent", "p2"],
                    MediationOutput.stepped(MediationFixtures.accepted, time: t)
                ),
                (["refuse", id, "--party", "p2"], after(.refuse, to: .refused, note: "李娜 refused mediation.")),
                (
                    ["assign", id, "--mediator", "王秀英", "--chosen-by", "p1"],
                    after(.assignMediators, note: "王秀英")
                ),
                (
                    [
                        "session", id, "--mediator", "wang-xiuying", "--party", "p1", "--party", "p2", "--location",
                        "社区调解室", "--record-file", notes, "--recorder", "李强", "--at", "2025-11-21T14:00",
                    ],
                    after(.recordSession, note: "session 2")
                ),
                (["draft", id, "--file", agreementFile], after(.draftAgreement, to: .agreementDrafted)),
                (["sign", id, "--mediator", "王秀英"], after(.sign, to: .agreementDrafted, note: "张伟 (p1) signed")),
                (
                    ["seal", id, "--number", "(2025)西溪调字第12号"],
                    after(.seal, note: "sealed by the committee; the agreement takes effect")
                ),
                (
                    [
                        "fail", id, "--reason", "分歧过大", "--route", "judicial", "--route", "arbitration", "--told", "p1",
                        "--told", "p2",
                    ],
                    after(.fail, to: .failed, note: "routes told: judicial, arbitration")
                ),
                (
                    ["extend", id, "--days", "15", "--consent", "p1", "--consent", "p2"],
                    after(.extend, note: "extended by 15 days")
                ),
                (["inform", id, "--party", "p1", "--party", "p2"], after(.informConfirmation)),
                (
                    ["apply-confirmation", id, "--court", "西湖区人民法院"],
                    after(.applyForConfirmation, note: "applied jointly to 西湖区人民法院")
                ),
                (["court", id, "confirmed", "--number", "(2025)浙0106民特123号"], after(.recordCourtDecision)),
                (["remediate", id], after(.remediate, to: .mediating)),
                (
                    ["follow-up", id, "--obligation", "o1", "--finding", "已赔偿", "--visitor", "li-qiang"],
                    after(.recordFollowUp, note: "follow-up visit on obligation o1")
                ),
                (
                    ["performance", id, "--obligation", "o1", "performed"],
                    after(.recordPerformance, note: "obligation o1 performed")
                ),
                (["show", id], DisputeDetail(MediationFixtures.agreed, withheld: []).text(time: t)),
                (
                    ["list", "--state", "agreed", "--mediator", "王秀英"],
                    MediationOutput.list(
                        .with {
                            $0.disputes = [MediationFixtures.agreed, MediationFixtures.applied]
                            $0.nextPageToken = "t2"
                        },
                        time: t
                    )
                ),
                (
                    ["due", "--within", "3d"],
                    MediationOutput.due(MediationFixtures.due, withinHours: 72, time: t)
                ),
                (["stats", "--from", "2025-01"], MediationOutput.stats(MediationFixtures.stats)),
                (["summary", id], MediationOutput.summary(MediationFixtures.summary, time: t)),
                (
                    ["summaries", "--overdue"],
                    MediationOutput.summaries(.with { $0.summaries = [MediationFixtures.summary] }, time: t)
                ),
            ]
            for (arguments, expected) in cases {
                let (status, output, errors) = await run(["mediation"] + arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
                XCTAssertEqual(errors, "", "\(arguments)")
                XCTAssertTrue(output.hasPrefix(expected), "\(arguments):\n\(output)\nexpected:\n\(expected)")
            }
        }
        XCTAssertEqual(
            mediation.requests.withLock { $0 },
            [
                "Apply type=2 source=1 place=330106001001003 title=楼上漏水 "
                    + "parties=1:1:张伟:R0001,2:1:李娜:R0002 key=k-1",
                "HandOff C1a2b3 parties=1:1:张伟:,2:1:李娜:",
                "Accept \(id) p1=yes p2=yes",
                "Refuse \(id) p2",
                "AssignMediators \(id) wang-xiuying:2:p1",
                "RecordSession \(id) mediators=wang-xiuying parties=p1+p2 at=\(MediationFixtures.at(2025, 11, 21, 14, 0)) "
                    + "location=社区调解室 recorder=li-qiang record=双方陈述。\n李娜同意维修。\n",
                "DraftAgreement \(id) obligations=[\"o1\"]",
                "Sign \(id) role=2 signer=wang-xiuying",
                "Seal \(id) number=(2025)西溪调字第12号",
                "Fail \(id) reason=分歧过大 routes=[3, 1] told=p1+p2",
                "Extend \(id) days=15 consent=p1+p2",
                "InformConfirmation \(id) p1+p2",
                "ApplyForConfirmation \(id) court=西湖区人民法院 at=0",
                "RecordCourtDecision \(id) step=3 number=(2025)浙0106民特123号 reason= at=0",
                "Remediate \(id) note=",
                "RecordFollowUp \(id) obligation=o1 visitor=li-qiang finding=已赔偿",
                "RecordPerformance \(id) o1=1 note=",
                "GetDispute \(id)",
                "ListDisputes states=[5] type=0 mediator=wang-xiuying place= overdue=false size=0 page=",
                "Due within=72 place=",
                "Stats place= from=\(MediationFixtures.at(2025, 1, 1)) to=0",
                "GetSummary \(id)",
                "ListSummaries states=[] type=0 mediator= place= overdue=true size=0 page=",
            ]
        )
        XCTAssertEqual(Set(mediation.callers.withLock { $0 }), ["token=- as=-"])
    }

    func testShowSaysPlainlyWhatTheHostWithheld() async throws {
        try await withFakeHost(mediation: FakeMediationService(redacting: true)) { run, _ in
            let (status, output, errors) = await run(["mediation", "show", id])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(errors, "", "show tells it in its own output")
            XCTAssertEqual(
                output,
                DisputeDetail(MediationFixtures.redacted, withheld: MediationFixtures.redactedPaths)
                    .text(time: Fixtures.time)
            )
            XCTAssertTrue(
                output.contains(
                    "withheld:         agreement.facts, agreement.matters.summary, agreement.obligations.content, "
                ),
                output
            )
            XCTAssertTrue(output.contains("facts:            withheld\n"), output)
            XCTAssertFalse(output.contains("13800000001"), "no phone")
            XCTAssertFalse(output.contains("李娜同意维修"), "no record")

            // Scripts get the answer as the host gave it, and the note on standard error.
            let json = await run(["mediation", "show", id, "-o", "json"])
            XCTAssertEqual(json.status, 0, json.errors)
            XCTAssertEqual(try Gongzhi_Mediation_V1_Dispute(jsonString: json.output), MediationFixtures.redacted)
            XCTAssertEqual(
                json.errors,
                "note: the host withheld personal data from the answer: \(MediationFixtures.redactedPaths.joined(separator: ", ")) "
                    + "(reading it needs a role that shows personal data where the dispute lies, such as mediator, or "
                    + "the personal-data grant)\n"
            )
            // A step and a list note it too.
            let step = await run(["mediation", "refuse", id, "--party", "p2"])
            XCTAssertEqual(step.status, 0, step.errors)
            XCTAssertTrue(
                step.errors.hasPrefix("note: the host withheld personal data from the answer: agreement.facts")
            )
            let list = await run(["mediation", "list"])
            XCTAssertTrue(list.errors.hasPrefix("note: the host withheld personal data"), list.errors)
        }
        try await withFakeHost { run, _ in
            let shown = await run(["mediation", "show", id])
            XCTAssertFalse(shown.output.contains("withheld"), "nothing withheld, nothing said")
            XCTAssertTrue(shown.output.contains("13800000001"))
        }
    }

    func testJSONIsProtobufsMappingWithTheProtosFieldNames() async throws {
        try await withFakeHost { run, _ in
            let show = await run(["mediation", "show", id, "-o", "json"])
            XCTAssertEqual(show.status, 0, show.errors)
            XCTAssertEqual(show.output, PluginOutput.json(MediationFixtures.agreed))
            for field in [
                "\"state\":\"DISPUTE_STATE_AGREED\"", "\"place_code\":\"330106001001003\"",
                "\"applied_at_ms\":\"\(MediationFixtures.at(2025, 10, 20, 9, 30))\"", "\"party_ids\":[\"p1\",\"p2\"]",
            ] {
                XCTAssertTrue(show.output.contains(field), "\(field) in \(show.output)")
            }
            let stats = await run(["mediation", "stats", "-o", "json"])
            XCTAssertEqual(try Gongzhi_Mediation_V1_StatsResponse(jsonString: stats.output), MediationFixtures.stats)
            let step = await run(["mediation", "accept", id, "--consent", "p1", "--consent", "p2", "-o", "json"])
            XCTAssertEqual(try Gongzhi_Mediation_V1_Dispute(jsonString: step.output), MediationFixtures.accepted)
            let yaml = await run(["mediation", "list", "-o", "yaml"])
            XCTAssertEqual(yaml.status, ControlExitCode.usage)
            XCTAssertEqual(yaml.errors, "error: -o yaml is for the object commands; use -o json or -o table\n")
        }
    }

    func testThePluginsRefusalsAreItsStatusAndMessage() async throws {
        try await withFakeHost { run, _ in
            let unknown = await run(["mediation", "show", "MD-000000000000"])
            XCTAssertEqual(unknown.status, ControlExitCode.notFound)
            XCTAssertEqual(unknown.output, "")
            XCTAssertEqual(unknown.errors, "error: there is no dispute MD-000000000000\n")

            let illegal = await run(["mediation", "decline", id, "--reason", "x"])
            XCTAssertEqual(illegal.status, ControlExitCode.failed)
            XCTAssertEqual(
                illegal.errors,
                "error: dispute \(id) is agreed: it cannot decline; the steps it allows: inform confirmation, apply "
                    + "for confirmation, record court decision, remediate, fail, record follow-up, record performance\n"
            )
            let invalid = await run(["mediation", "accept", id, "--consent", "p1"])
            XCTAssertEqual(invalid.status, ControlExitCode.failed)
            XCTAssertEqual(invalid.errors, "error: acceptance records every party's consent; no answer from 李娜 (p2)\n")

            let handed = await run([
                "mediation", "hand-off", "C-handed", "--party", "applicant:resident:a", "--party",
                "respondent:resident:b",
            ])
            XCTAssertEqual(handed.status, ControlExitCode.failed)
            XCTAssertEqual(
                handed.errors,
                "error: grid case C-handed was handed to mediation before: dispute \(id)\n"
            )

            // check: the problems, and exit 1.
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let file = directory.file("draft.json")
            try Self.write(#"{"obligations": [{"id": "o1"}]}"#, to: file)
            let check = await run(["mediation", "check", id, "--file", file])
            XCTAssertEqual(check.status, ControlExitCode.failed)
            XCTAssertEqual(
                check.output,
                """
                the checker found 2 problems:
                  - the parties' responsibilities (各方当事人的责任) are missing
                  - obligation o1 has no method of performance (履行方式)

                """
            )
            XCTAssertEqual(check.errors, "error: the agreement cannot be signed as it is: 2 problems (listed above)\n")
            let checkJSON = await run(["mediation", "check", id, "--file", file, "-o", "json"])
            XCTAssertEqual(checkJSON.status, ControlExitCode.failed)
            XCTAssertEqual(
                try Gongzhi_Mediation_V1_CheckAgreementResponse(jsonString: checkJSON.output).problems.count,
                2
            )
            try Self.write(
                #"{"responsibilities": "李娜负责", "obligations": [{"id": "o1", "method": "转账"}]}"#,
                to: file
            )
            let clean = await run(["mediation", "check", id, "--file", file])
            XCTAssertEqual(clean.status, 0, clean.errors)
            XCTAssertEqual(clean.output, "the checker found no problems: the agreement may be signed\n")

            // A file that does not read is refused before any call.
            let missing = await run(["mediation", "draft", id, "--file", directory.file("nope.json")])
            XCTAssertEqual(missing.status, ControlExitCode.failed)
            XCTAssertEqual(
                missing.errors,
                "error: cannot read \(directory.file("nope.json")): no such file or directory\n"
            )
        }
    }

    func testFilesAreReadWholeBeforeAnythingIsSent() async throws {
        let mediation = FakeMediationService()
        try await withFakeHost(mediation: mediation) { run, directory in
            let one = directory.file("one.json")
            try Self.write(#"[{"name": "张伟", "role": "PARTY_ROLE_APPLICANT", "kind": "PARTY_KIND_RESIDENT"}]"#, to: one)
            let handOff = await run(["mediation", "hand-off", "C1", "--parties-file", one])
            XCTAssertEqual(handOff.status, ControlExitCode.failed)
            XCTAssertEqual(handOff.errors, "error: \(one) holds 1 party; a dispute needs at least 2\n")
            let bad = directory.file("bad.json")
            try Self.write(#"{"party_ids": ["p1"], "obligations": [{"id": "o1", "deadline": "soon"}]}"#, to: bad)
            let draft = await run(["mediation", "draft", id, "--file", bad])
            XCTAssertEqual(draft.status, ControlExitCode.failed)
            XCTAssertEqual(
                draft.errors,
                "error: \(bad) obligation 1, line 1: deadline is the last day, written \"2026-12-31\"\n"
            )
            let empty = directory.file("empty.txt")
            try Self.write("\n", to: empty)
            let session = await run(["mediation", "session", id, "--mediator", "m-1", "--record-file", empty])
            XCTAssertEqual(session.status, ControlExitCode.failed)
            XCTAssertEqual(session.errors, "error: \(empty) is empty; it should hold the session's record\n")
        }
        XCTAssertEqual(mediation.requests.withLock { $0 }, [], "nothing was sent")
        // Standard input, for the record and the parties.
        try await withFakeHost(mediation: mediation, input: Array("笔录：双方到场。".utf8)) { run, _ in
            let session = await run(["mediation", "session", id, "--mediator", "m-1", "--record-file", "-"])
            XCTAssertEqual(session.status, 0, session.errors)
        }
        XCTAssertEqual(
            mediation.requests.withLock { $0 },
            ["RecordSession \(id) mediators=m-1 parties= at=0 location= recorder= record=笔录：双方到场。"]
        )
    }

    func testTheModuleNotDeployedIsOneLineForEveryVerb() async throws {
        let notDeployed = FakeMediationService(
            failure: RPCError(
                code: .unimplemented,
                message: "no plugin serves gongzhi.mediation.v1.Mediation (served here: gongzhi.host.v1.Admin)"
            )
        )
        try await withFakeHost(mediation: notDeployed) { run, directory in
            let file = directory.file("agreement.json")
            try Self.write("{}", to: file)
            let verbs: [[String]] = [
                [
                    "apply", "--type", "family", "--place", "330106001001", "--title", "t", "--party",
                    "applicant:resident:a", "--party", "respondent:resident:b",
                ],
                ["hand-off", "C1", "--party", "applicant:resident:a", "--party", "respondent:resident:b"],
                ["accept", id, "--consent", "p1"], ["decline", id, "--reason", "r"], ["refuse", id, "--party", "p1"],
                ["assign", id, "--mediator", "m-1"], ["session", id, "--mediator", "m-1", "--record", "r"],
                ["draft", id, "--file", file], ["check", id, "--file", file], ["sign", id, "--party", "p1"],
                ["seal", id], ["fail", id, "--reason", "r", "--route", "judicial", "--told", "p1"],
                ["extend", id, "--days", "1", "--consent", "p1"], ["inform", id, "--party", "p1"],
                ["apply-confirmation", id, "--court", "c"], ["court", id, "accepted"], ["remediate", id],
                ["follow-up", id, "--finding", "f"], ["performance", id, "--obligation", "o1", "performed"],
                ["show", id], ["list"], ["due"], ["stats"], ["print", id, "--out", directory.file("a.html")],
                ["package", id, "--court", "c", "--out", directory.file("p.html")], ["summary", id], ["summaries"],
            ]
            XCTAssertEqual(verbs.count, 27, "every verb")
            for arguments in verbs {
                let (status, output, errors) = await run(["mediation"] + arguments)
                XCTAssertEqual(status, ControlExitCode.failed, "\(arguments)")
                XCTAssertEqual(output, "", "\(arguments)")
                XCTAssertEqual(
                    errors,
                    "error: the mediation plugin is not deployed on this host (no plugin serves "
                        + "gongzhi.mediation.v1.Mediation); install it with Deploy/install-plugin.sh, add "
                        + "[plugins.mediation] to the host's config and reload the host\n",
                    "\(arguments)"
                )
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("a.html")), "nothing written")
        }
        XCTAssertEqual(
            Set(notDeployed.requests.withLock { $0 }.map { String($0.prefix { $0 != " " }) }),
            [
                "Apply", "HandOff", "Accept", "Decline", "Refuse", "AssignMediators", "RecordSession", "DraftAgreement",
                "CheckAgreement", "Sign", "Seal", "Fail", "Extend", "InformConfirmation", "ApplyForConfirmation",
                "RecordCourtDecision", "Remediate", "RecordFollowUp", "RecordPerformance", "GetDispute", "ListDisputes",
                "Due", "Stats", "Print", "ConfirmationPackage", "GetSummary", "ListSummaries",
            ],
            "each verb called its own method"
        )
        XCTAssertEqual(notDeployed.requests.withLock { $0 }.count, 27, "once each")
    }

    func testPrintAndPackageWriteTheirHTMLForTheOwnerAlone() async throws {
        try await withFakeHost { run, directory in
            let file = directory.file("协议书.html")
            let printed = await run(["mediation", "print", id, "--out", file])
            XCTAssertEqual(printed.status, 0, printed.errors)
            XCTAssertEqual(
                printed.output,
                "wrote the agreement of \(id) (人民调解协议书) to \(file): it holds personal data\n"
            )
            XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), MediationFixtures.agreementHTML)
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, "personal data: the owner's")
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("partial") },
                [],
                "no temporary file is left"
            )

            let stdout = await run(["mediation", "print", id, "--out", "-"])
            XCTAssertEqual(stdout.output, MediationFixtures.agreementHTML)
            let json = await run(["mediation", "print", id, "-o", "json"])
            XCTAssertEqual(
                try Gongzhi_Mediation_V1_PrintResponse(jsonString: json.output).fileName,
                "\(id)-agreement.html"
            )
            let jsonFile = await run(["mediation", "print", id, "--out", file, "-o", "json"])
            XCTAssertEqual(jsonFile.output, "{\"file\":\"\(file)\",\"dispute_id\":\"\(id)\"}\n")

            let package = directory.file("package.html")
            let packaged = await run(["mediation", "package", id, "--court", "西湖区人民法院", "--out", package])
            XCTAssertEqual(packaged.status, 0, packaged.errors)
            XCTAssertEqual(
                packaged.output,
                MediationOutput.packaged(
                    MediationFixtures.package,
                    disputeID: id,
                    file: package,
                    court: "西湖区人民法院",
                    time: Fixtures.time
                )
            )
            XCTAssertEqual(
                try String(contentsOfFile: package, encoding: .utf8),
                PackageDocument.html(
                    application: MediationFixtures.applicationHTML,
                    agreement: MediationFixtures.agreementHTML,
                    title: "司法确认申请材料 \(id)"
                )
            )
            let folder = await run(["mediation", "print", id, "--out", directory.path])
            XCTAssertEqual(folder.status, ControlExitCode.failed)
            XCTAssertEqual(folder.errors, "error: cannot write \(directory.path): it is a folder; name a file in it\n")
        }
        // Without --out, in the current folder, by the dispute's id.
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try await withFakeHost { run, _ in
            let printed = await run(["mediation", "print", id])
            XCTAssertEqual(printed.status, 0, printed.errors)
            let packaged = await run(["mediation", "package", id, "--court", "西湖区人民法院"])
            XCTAssertEqual(packaged.status, 0, packaged.errors)
        }
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
            ["\(id)-agreement.html", "\(id)-confirmation.html"]
        )
        // A caller who may not see the agreement's personal data gets the plugin's refusal, and no file.
        let objects = FakeObjects()
        objects.seed([Self.person("wang-fang", "王芳")])
        try await withFakeHost(mediation: FakeMediationService(redacting: true), objects: objects) { run, directory in
            let refused = await run(["mediation", "--as", "王芳", "print", id, "--out", directory.file("x.html")])
            XCTAssertEqual(refused.status, ControlExitCode.permissionDenied)
            XCTAssertEqual(
                refused.errors,
                "error: permission denied: the agreement holds personal data: printing it needs a role that shows "
                    + "personal data where the dispute lies, such as mediator, or the personal-data grant\n"
            )
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("x.html")))
        }
    }

    func testPeopleAreFoundByNameAndAnIdGoesAsTypedWhenPeopleMayNotBeRead() async throws {
        let mediation = FakeMediationService()
        let objects = FakeObjects()
        objects.seed([Self.person("wang-xiuying", "王秀英"), Self.person("li-qiang", "李强")])
        try await withFakeHost(mediation: mediation, objects: objects) { run, _ in
            let byName = await run(["mediation", "assign", id, "--mediator", "王秀英", "--as", "李强"])
            XCTAssertEqual(byName.status, 0, byName.errors)
            let nobody = await run(["mediation", "sign", id, "--mediator", "zhao-min"])
            XCTAssertEqual(nobody.status, 0, "a person nobody has goes as typed, for the plugin to answer")
        }
        XCTAssertEqual(
            mediation.requests.withLock { $0 },
            ["AssignMediators \(id) wang-xiuying:1:", "Sign \(id) role=2 signer=zhao-min"]
        )
        XCTAssertEqual(mediation.callers.withLock { $0 }, ["token=- as=li-qiang", "token=- as=-"])

        // A mediator's roles do not read Person objects: an id goes as typed; a name cannot be found.
        let refused = FakeMediationService()
        try await withFakeHost(mediation: refused, objects: RefusingObjects()) { run, _ in
            let byID = await run(["mediation", "session", id, "--mediator", "wang-xiuying", "--record", "r"])
            XCTAssertEqual(byID.status, 0, byID.errors)
            let byName = await run(["mediation", "session", id, "--mediator", "王秀英", "--record", "r"])
            XCTAssertEqual(byName.status, ControlExitCode.usage)
            XCTAssertEqual(
                byName.errors,
                "error: --mediator 王秀英 is a name, and you may not read people to find their id: give the person's "
                    + "id (the committee's clerk or gongzhictl people list shows it)\n"
            )
        }
        XCTAssertEqual(refused.requests.withLock { $0 }.count, 1, "the name was not sent")
    }

    func testLoggedInTheMediationIsCalledOnHostSockWithTheToken() async throws {
        let adminMediation = FakeMediationService()
        let hostMediation = FakeMediationService()
        let token = "gzt_t1hw_c2VjcmV0"
        let people = FakePeople(tokens: [token: .with { $0.principal = "person:wang-xiuying" }])
        try await TwoSocketHost.with(
            admin: [adminMediation, FakeObjects()],
            host: [hostMediation, people, FakeObjects()],
            commandLine: MediationCommandLine.self
        ) { sockets in
            let login = await sockets.run(["login"], input: Array(token.utf8))
            XCTAssertEqual(login.status, 0, login.errors)
            let show = await sockets.run(["mediation", "show", MediationFixtures.id])
            XCTAssertEqual(show.status, 0, show.errors)
            let forced = await sockets.run(["mediation", "stats", "--admin"])
            XCTAssertEqual(forced.status, 0, forced.errors)
            XCTAssertEqual(hostMediation.requests.withLock { $0 }, ["GetDispute \(MediationFixtures.id)"])
            XCTAssertEqual(Set(hostMediation.callers.withLock { $0 }), ["token=\(token) as=-"])
            XCTAssertEqual(adminMediation.requests.withLock { $0 }, ["Stats place= from=0 to=0"])
        }
    }
}
