import ArgumentParser
import GongzhiCalendar
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiMediationSchemas
import XCTest

@testable import GongzhiMediationControl

/// `gongzhictl mediation …` without a host: parsing, the requests built from arguments, and the values and files
/// they read.
final class MediationCommandTests: XCTestCase {
    private typealias Mediation = MediationCommand
    private let id = MediationFixtures.id

    private func parse<Command: ParsableCommand>(_ arguments: [String], as type: Command.Type) throws -> Command {
        let parsed = try MediationCommandLine.parseAsRoot(["mediation"] + arguments)
        return try XCTUnwrap(parsed as? Command, "parsed \(arguments) as \(Swift.type(of: parsed))")
    }

    private static func at(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0) -> Int64
    {
        MediationFixtures.at(year, month, day, hour, minute)
    }

    // MARK: Requests

    func testApplyAndHandOffBuildTheirRequests() throws {
        let apply = try parse(
            [
                "apply", "--type", "neighbour", "--place", "330106001001003", "--title", "楼上漏水", "--building",
                "B-12", "--compound", "西溪花园", "--level", "grid", "--facts", "漏水", "--narrative", "两周",
                "--party", "applicant:resident:张伟:R0001:13800000001", "--party", "respondent:organization:绿城物业:O-7",
                "--party", "other:resident:王芳", "--key", "walk-in-7", "--as", "李强",
            ],
            as: Mediation.Apply.self
        )
        XCTAssertEqual(apply.options.actAs, "李强", "who applies is the global --as, not a field of the request")
        XCTAssertEqual(
            apply.request(parties: apply.parties.parties.map(\.party)),
            .with {
                $0.type = .neighbour
                $0.source = .application
                $0.placeCode = "330106001001003"
                $0.buildingID = "B-12"
                $0.compound = "西溪花园"
                $0.level = .grid
                $0.title = "楼上漏水"
                $0.facts = "漏水"
                $0.narrative = "两周"
                $0.parties = [
                    .with {
                        $0.role = .applicant
                        $0.kind = .resident
                        $0.name = "张伟"
                        $0.residentID = "R0001"
                        $0.phone = "13800000001"
                    },
                    .with {
                        $0.role = .respondent
                        $0.kind = .organization
                        $0.name = "绿城物业"
                        $0.organizationID = "O-7"
                    },
                    .with {
                        $0.role = .other
                        $0.kind = .resident
                        $0.name = "王芳"
                    },
                ]
                $0.idempotencyKey = "walk-in-7"
            }
        )
        let referral = try parse(
            [
                "apply", "--type", "labour", "--source", "police", "--referral", "公(西)调字[2025]8号", "--place",
                "330106001001", "--title", "欠薪", "--party", "applicant:resident:赵六", "--party",
                "respondent:organisation:某装修队",
            ],
            as: Mediation.Apply.self
        )
        let request = referral.request(parties: referral.parties.parties.map(\.party))
        XCTAssertEqual(request.source, .police)
        XCTAssertEqual(request.referralID, "公(西)调字[2025]8号")
        XCTAssertEqual(request.level, .unspecified, "the plugin's default, the community's committee")
        XCTAssertEqual(request.parties.map(\.kind), [.resident, .organization], "organisation is taken too")

        let handOff = try parse(
            [
                "hand-off", "C1a2b3", "--party", "applicant:resident:张伟:R0001", "--party",
                "respondent:resident:李娜:R0002", "--type", "renovation", "--level", "community", "--note", "网格转来",
            ],
            as: Mediation.HandOff.self
        )
        XCTAssertEqual(
            handOff.request(parties: handOff.parties.parties.map(\.party)),
            .with {
                $0.caseID = "C1a2b3"
                $0.parties = handOff.parties.parties.map(\.party)
                $0.type = .renovation
                $0.level = .community
                $0.note = "网格转来"
            }
        )
    }

    func testTheStepsBuildTheirRequests() throws {
        let accept = try parse(
            ["accept", id, "--consent", "p1", "--refuse", "p2", "--reason", "不愿调解", "--note", "当面询问"],
            as: Mediation.Accept.self
        )
        XCTAssertEqual(
            accept.request,
            .with {
                $0.disputeID = id
                $0.consents = [
                    .with {
                        $0.partyID = "p1"
                        $0.consents = true
                    },
                    .with {
                        $0.partyID = "p2"
                        $0.consents = false
                        $0.note = "不愿调解"
                    },
                ]
                $0.note = "当面询问"
            }
        )
        XCTAssertEqual(
            try parse(["decline", id, "--reason", "已起诉"], as: Mediation.Decline.self).request,
            .with {
                $0.disputeID = id
                $0.reason = "已起诉"
            }
        )
        XCTAssertEqual(
            try parse(["refuse", id, "--party", "p2", "--reason", "要求终止"], as: Mediation.Refuse.self).request,
            .with {
                $0.disputeID = id
                $0.partyID = "p2"
                $0.reason = "要求终止"
            }
        )

        let assigned = try parse(["assign", id, "--mediator", "wang-xiuying"], as: Mediation.Assign.self).request()
        XCTAssertEqual(
            assigned,
            .with {
                $0.disputeID = id
                $0.mediators = [
                    .with {
                        $0.personID = "wang-xiuying"
                        $0.appointment = .assigned
                    }
                ]
            }
        )
        let chosen = try parse(
            ["assign", id, "--mediator", "王秀英", "--mediator", "chen-li", "--chosen-by", "p1", "--chosen-by", "p2"],
            as: Mediation.Assign.self
        )
        // A name goes by the id it was found as.
        let mediators = chosen.request(mediatorIDs: ["wang-xiuying", "chen-li"]).mediators
        XCTAssertEqual(mediators.map(\.personID), ["wang-xiuying", "chen-li"])
        XCTAssertEqual(mediators.map(\.appointment), [.chosen, .chosen])
        XCTAssertEqual(mediators.map(\.chosenByPartyIds), [["p1", "p2"], ["p1", "p2"]])

        let session = try parse(
            [
                "session", id, "--mediator", "wang-xiuying", "--party", "p1", "--party", "p2", "--location", "社区调解室",
                "--at", "2025-11-21T14:00", "--recorder", "li-qiang", "--record", "双方陈述",
            ],
            as: Mediation.Session.self
        )
        XCTAssertEqual(
            session.request(record: "双方陈述"),
            .with {
                $0.disputeID = id
                $0.session = .with {
                    $0.heldAtMs = Self.at(2025, 11, 21, 14, 0)
                    $0.mediatorIds = ["wang-xiuying"]
                    $0.partyIds = ["p1", "p2"]
                    $0.location = "社区调解室"
                    $0.record = "双方陈述"
                    $0.recorderID = "li-qiang"
                }
            }
        )
        XCTAssertEqual(try session.recordText(context: .testing()), "双方陈述")

        XCTAssertEqual(
            try parse(["extend", id, "--days", "15", "--consent", "p1", "--consent", "p2"], as: Mediation.Extend.self)
                .request,
            .with {
                $0.disputeID = id
                $0.days = 15
                $0.consentingPartyIds = ["p1", "p2"]
            }
        )
        XCTAssertEqual(
            try parse(
                [
                    "fail", id, "--reason", "分歧过大", "--route", "judicial", "--route", "arbitration", "--told", "p1",
                    "--told", "p2",
                ],
                as: Mediation.Fail.self
            )
            .request,
            .with {
                $0.disputeID = id
                $0.reason = "分歧过大"
                $0.routes = [.judicial, .arbitration]
                $0.toldPartyIds = ["p1", "p2"]
            }
        )
    }

    func testTheAgreementAndAfterBuildTheirRequests() throws {
        XCTAssertEqual(
            try parse(["sign", id, "--party", "p1"], as: Mediation.Sign.self).request(),
            .with {
                $0.disputeID = id
                $0.role = .party
                $0.signerID = "p1"
            }
        )
        XCTAssertEqual(
            try parse(["sign", id, "--mediator", "王秀英"], as: Mediation.Sign.self)
                .request(mediatorID: "wang-xiuying"),
            .with {
                $0.disputeID = id
                $0.role = .mediator
                $0.signerID = "wang-xiuying"
            }
        )
        XCTAssertEqual(
            try parse(["seal", id, "--number", "(2026)某调字第12号"], as: Mediation.Seal.self).request,
            .with {
                $0.disputeID = id
                $0.number = "(2026)某调字第12号"
            }
        )
        XCTAssertEqual(try parse(["seal", id], as: Mediation.Seal.self).request.number, "", "a number is not required")
        XCTAssertEqual(
            try parse(["inform", id, "--party", "p1", "--party", "p2"], as: Mediation.Inform.self).request,
            .with {
                $0.disputeID = id
                $0.partyIds = ["p1", "p2"]
            }
        )
        XCTAssertEqual(
            try parse(
                ["apply-confirmation", id, "--court", "西湖区人民法院", "--at", "2025-11-20"],
                as: Mediation.ApplyConfirmation.self
            )
            .request,
            .with {
                $0.disputeID = id
                $0.court = "西湖区人民法院"
                $0.appliedAtMs = Self.at(2025, 11, 20)
            }
        )
        let courtSteps: [([String], Gongzhi_Mediation_V1_RecordCourtDecisionRequest)] = [
            (
                ["accepted"],
                .with {
                    $0.disputeID = id
                    $0.step = .accepted
                }
            ),
            (
                ["extended", "--at", "2025-11-21T09:00+08:00"],
                .with {
                    $0.disputeID = id
                    $0.step = .extended
                    $0.atMs = Self.at(2025, 11, 21, 9, 0)
                }
            ),
            (
                ["confirmed", "--number", "(2025)浙0106民特123号"],
                .with {
                    $0.disputeID = id
                    $0.step = .confirmed
                    $0.decisionNumber = "(2025)浙0106民特123号"
                }
            ),
            (
                ["refused", "--reason", "违反法律"],
                .with {
                    $0.disputeID = id
                    $0.step = .refused
                    $0.reason = "违反法律"
                }
            ),
        ]
        for (arguments, expected) in courtSteps {
            XCTAssertEqual(try parse(["court", id] + arguments, as: Mediation.Court.self).request, expected)
        }
        XCTAssertEqual(
            try parse(["remediate", id, "--note", "重新调解"], as: Mediation.Remediate.self).request,
            .with {
                $0.disputeID = id
                $0.note = "重新调解"
            }
        )
        XCTAssertEqual(
            try parse(
                ["follow-up", id, "--obligation", "o1", "--finding", "已修复", "--at", "2025-11-21T10:00Z"],
                as: Mediation.FollowUp.self
            )
            .request(),
            .with {
                $0.disputeID = id
                $0.followUp = .with {
                    $0.obligationID = "o1"
                    $0.finding = "已修复"
                    $0.atMs = Self.at(2025, 11, 21, 18, 0)
                }
            }
        )
        XCTAssertEqual(
            try parse(
                ["performance", id, "--obligation", "o2", "missed", "--note", "未赔偿"],
                as: Mediation.Performance.self
            )
            .request,
            .with {
                $0.disputeID = id
                $0.performance = .with {
                    $0.obligationID = "o2"
                    $0.outcome = .missed
                    $0.note = "未赔偿"
                }
            }
        )
    }

    func testTheReadsBuildTheirRequests() throws {
        XCTAssertEqual(try parse(["show", id], as: Mediation.Show.self).request, .with { $0.disputeID = id })
        XCTAssertEqual(try parse(["summary", id], as: Mediation.Summary.self).request, .with { $0.disputeID = id })
        let list = try parse(
            [
                "list", "--state", "mediating", "--state", "agreement-drafted", "--type", "neighbour", "--mediator",
                "wang-xiuying", "--place", "330106001001", "--overdue", "--limit", "20", "--page", "t2",
            ],
            as: Mediation.List.self
        )
        XCTAssertEqual(
            list.filters.request(),
            .with {
                $0.states = [.mediating, .agreementDrafted]
                $0.type = .neighbour
                $0.mediatorID = "wang-xiuying"
                $0.placeCode = "330106001001"
                $0.overdueOnly = true
                $0.pageSize = 20
                $0.pageToken = "t2"
            }
        )
        XCTAssertEqual(
            try parse(["summaries", "--overdue"], as: Mediation.Summaries.self).filters.request(),
            .with { $0.overdueOnly = true }
        )
        XCTAssertEqual(
            try parse(["due", "--within", "3d", "--place", "330106001"], as: Mediation.Due.self).request,
            .with {
                $0.withinHours = 72
                $0.placeCode = "330106001"
            }
        )
        XCTAssertEqual(try parse(["due"], as: Mediation.Due.self).request.withinHours, 0, "the plugin's 72 hours")
        // --to counts its whole day, or its whole month.
        XCTAssertEqual(
            try parse(
                ["stats", "--place", "330106001", "--from", "2026-01-01", "--to", "2026-12-31"],
                as: Mediation.Stats.self
            )
            .request,
            .with {
                $0.placeCode = "330106001"
                $0.fromMs = Self.at(2026, 1, 1)
                $0.toMs = Self.at(2027, 1, 1)
            }
        )
        XCTAssertEqual(
            try parse(["stats", "--from", "2025-11", "--to", "2025-12"], as: Mediation.Stats.self).request,
            .with {
                $0.fromMs = Self.at(2025, 11, 1)
                $0.toMs = Self.at(2026, 1, 1)
            }
        )
        XCTAssertEqual(try parse(["stats"], as: Mediation.Stats.self).request, .init(), "open-ended")
        XCTAssertEqual(try parse(["print", id], as: Mediation.Print.self).request, .with { $0.disputeID = id })
        XCTAssertEqual(
            try parse(["package", id, "--court", "西湖区人民法院", "--out", "p.html"], as: Mediation.Package.self).request,
            .with {
                $0.disputeID = id
                $0.court = "西湖区人民法院"
            }
        )
    }

    func testBadFlagsAreRefusedBeforeAnyCallSayingWhatToType() async {
        let cases: [([String], String)] = [
            (
                ["apply", "--type", "noise", "--place", "330106001001", "--title", "t"],
                "Please provide one of the following:\n  - family\n  - neighbour"
            ),
            (
                ["apply", "--type", "neighbour", "--place", "3301", "--title", "t"],
                "error: --place 3301 is neither a grid's code (15 digits) nor a community's (12 digits)"
            ),
            (
                ["apply", "--type", "neighbour", "--place", "330106001001", "--title", "t"],
                "error: name the parties: --party applicant:resident:NAME[:ID] --party respondent:resident:NAME[:ID]"
            ),
            (
                [
                    "apply", "--type", "neighbour", "--place", "330106001001", "--title", "t", "--party",
                    "applicant:resident:张伟",
                ],
                "error: a dispute needs at least two parties; give --party for each (one of them the applicant)"
            ),
            (
                ["apply", "--type", "neighbour", "--place", "330106001001", "--title", "t", "--party", "张伟"],
                "error: The value '张伟' is invalid for '--party <party>': write ROLE:KIND:NAME[:ID[:PHONE]]"
            ),
            (
                [
                    "apply", "--type", "neighbour", "--place", "330106001001", "--title", "t", "--party",
                    "owner:resident:张伟",
                ],
                "owner is not a role: applicant, respondent or other"
            ),
            (
                [
                    "apply", "--type", "neighbour", "--place", "330106001001", "--title", "t", "--party",
                    "applicant:person:张伟",
                ],
                "person is not a kind: resident or organization"
            ),
            (
                [
                    "apply", "--type", "neighbour", "--place", "330106001001", "--title", "t", "--party",
                    "applicant:resident:张伟:R1:call me",
                ],
                "call me is not a phone number"
            ),
            (
                [
                    "apply", "--type", "neighbour", "--place", "330106001001", "--title", "t", "--party",
                    "applicant:resident:张伟:R1:138:x:y",
                ],
                "an address or an ID number goes in --parties-file"
            ),
            (
                [
                    "apply", "--type", "neighbour", "--place", "330106001001", "--title", "t", "--parties-file",
                    "p.json",
                    "--party", "applicant:resident:张伟",
                ],
                "error: give the parties with --party or with --parties-file, not both"
            ),
            (
                ["apply", "--type", "neighbour", "--source", "police", "--place", "330106001001", "--title", "t"],
                "error: a referral from the police needs its reference: --referral REF"
            ),
            (
                ["apply", "--type", "neighbour", "--source", "grid-case", "--place", "330106001001", "--title", "t"],
                "error: a grid case comes to mediation by hand-off: gongzhictl mediation hand-off CASE-ID --party …"
            ),
            (
                ["apply", "--type", "neighbour", "--place", "330106001001", "--title", " "],
                "error: --title needs a short title, e.g. 楼上漏水"
            ),
            (
                ["hand-off", "C1", "--party", "applicant:resident:张伟"],
                "error: a grid case does not name its parties: give at least two"
            ),
            (["accept", id], "error: give every party's answer: --consent p1 --consent p2 (or --refuse p2)"),
            (
                ["accept", id, "--consent", "p1", "--refuse", "p1"],
                "error: p1 is given twice with --consent and --refuse: give each answer once"
            ),
            (
                ["accept", id, "--consent", "p1", "--consent", "p2", "--reason", "x"],
                "error: --reason is the refusing party's reason: it goes with --refuse PARTY"
            ),
            (
                ["accept", "", "--consent", "p1"],
                "error: the dispute's id is empty; mediation list shows the ids (MD-…)"
            ),
            (["decline", id, "--reason", ""], "error: --reason needs the reason for declining"),
            (["assign", id], "error: name the mediators: --mediator PERSON (an id or a name)"),
            (["assign", id, "--mediator", ""], "error: --mediator needs a value, e.g. wang-xiuying"),
            (
                ["session", id, "--mediator", "wang-xiuying"],
                "error: give the session's record (笔录): --record TEXT or --record-file FILE"
            ),
            (
                ["session", id, "--record", "r"],
                "error: name who held it: --mediator PERSON (an assigned mediator, by id or name)"
            ),
            (
                ["session", id, "--mediator", "m", "--record", "r", "--at", "yesterday"],
                "write a time such as 2026-11-20T09:30 (China Standard Time) or 2026-11-20T09:30+08:00, or a day"
            ),
            (["session", id, "--mediator", "m", "--record", "r", "--at", "2025-02-30"], "write a time such as"),
            (["draft", id], "error: Missing expected argument '--file <file>'"),
            (["sign", id], "error: say who signs: --party p1, or --mediator PERSON"),
            (
                ["sign", id, "--party", "p1", "--mediator", "m"],
                "error: one signature at a time: give --party or --mediator, not both"
            ),
            (
                ["fail", id, "--reason", "r", "--told", "p1"],
                "error: record the routes the parties were told of (Art 26): --route judicial"
            ),
            (
                ["fail", id, "--reason", "r", "--route", "lawsuit", "--told", "p1"],
                "error: The value 'lawsuit' is invalid for '--route <route>'. Please provide one of 'arbitration', "
                    + "'administrative' or 'judicial'."
            ),
            (["fail", id, "--reason", "r", "--route", "judicial"], "error: name every party told of the routes"),
            (["extend", id, "--days", "91", "--consent", "p1"], "error: --days adds 1 to 90 days; 91 given"),
            (
                ["extend", id, "--days", "5"],
                "error: an extension needs every party's consent: --consent p1 --consent p2"
            ),
            (["inform", id], "error: name the parties who were told: --party p1 --party p2"),
            (["apply-confirmation", id, "--court", " "], "error: --court needs the court's name"),
            (["court", id, "confirmed"], "error: a confirmation has its number: --number"),
            (["court", id, "refused"], "error: a refusal has its reason: --reason TEXT"),
            (["court", id, "accepted", "--number", "1"], "error: --number goes with confirmed"),
            (
                ["court", id, "dismissed"],
                "Please provide one of 'accepted', 'extended', 'confirmed' or 'refused'."
            ),
            (["follow-up", id, "--finding", ""], "error: --finding needs what the visit found"),
            (
                ["performance", id, "--obligation", "o1", "done"],
                "error: The value 'done' is invalid for '<outcome>'. Please provide one of 'performed', 'partly' or "
                    + "'missed'."
            ),
            (["list", "--state", "open"], "  - agreement-drafted"),
            (["list", "--limit", "501"], "error: --limit must be 1 to 500"),
            (["list", "--place", "西溪"], "error: --place takes a grid's, community's or street's code"),
            (["due", "--within", "90m"], "write whole hours or days, e.g. 72h or 3d"),
            (["due", "--within", "0h"], "the window must be more than zero"),
            (
                ["stats", "--from", "2025-11-15", "--to", "2025-11-01"],
                "error: the period ends (--to) before it starts"
            ),
            (["stats", "--from", "2025/11/01"], "write a day as YYYY-MM-DD or a month as YYYY-MM"),
            (["print", id, "--out", "-", "-o", "json"], "error: --out - writes the HTML to standard output"),
            (["package", id], "error: Missing expected argument '--court <name>'"),
        ]
        for (arguments, expected) in cases {
            // No host: a usage error is found before anything is called.
            let console = TestConsole(
                MediationCommandLine.self,
                environment: ["GONGZHI_ADMIN_SOCKET": "/nonexistent/admin.sock"]
            )
            let status = await console.run(["mediation"] + arguments)
            XCTAssertEqual(status, ControlExitCode.usage, "\(arguments): \(console.errors)")
            XCTAssertTrue(console.errors.contains(expected), "\(arguments):\n\(console.errors)\nexpected: \(expected)")
            XCTAssertEqual(console.output, "", "\(arguments)")
        }
    }

    // MARK: Values

    func testTimesAndDaysAreChinaStandardTimeUnlessAnOffsetIsGiven() throws {
        XCTAssertEqual(try MediationTime(parsing: "2025-11-21").milliseconds, Self.at(2025, 11, 21))
        XCTAssertEqual(try MediationTime(parsing: "2025-11-21T23:00").milliseconds, Fixtures.nowMs)
        XCTAssertEqual(try MediationTime(parsing: "2025-11-21 23:00:00").milliseconds, Fixtures.nowMs)
        XCTAssertEqual(try MediationTime(parsing: "2025-11-21T15:00Z").milliseconds, Fixtures.nowMs)
        XCTAssertEqual(try MediationTime(parsing: "2025-11-21T10:00-05:00").milliseconds, Fixtures.nowMs)
        XCTAssertEqual(try MediationTime(parsing: "2025-11-21T23:00:30+0800").milliseconds, Fixtures.nowMs + 30_000)
        for bad in ["2025-11-21T24:00", "2025-11-21T9:00", "2025-11-21X09:00", "21/11/2025", "2025-11-21T09:00+8"] {
            XCTAssertThrowsError(try MediationTime(parsing: bad), bad)
        }
        let day = try MediationDay(parsing: "2024-02-29")
        XCTAssertEqual(day.endMs - day.startMs, ChinaCalendar.dayMs)
        let month = try MediationDay(parsing: "2025-12")
        XCTAssertEqual(month.startMs, Self.at(2025, 12, 1))
        XCTAssertEqual(month.endMs, Self.at(2026, 1, 1))
        XCTAssertThrowsError(try MediationDay(parsing: "2025-02-29"))
        XCTAssertThrowsError(try MediationDay(parsing: "2025-13"))
        XCTAssertEqual(try DueWindow(parsing: "72h").hours, 72)
        XCTAssertEqual(try DueWindow(parsing: "7d").hours, 168)
    }

    func testPartiesAreTypedRoleKindNameIdPhone() throws {
        let full = try PartyArgument(parsing: "Applicant : resident : 张伟 : R0001 : +86 138-0000-0001").party
        XCTAssertEqual(full.role, .applicant)
        XCTAssertEqual(full.kind, .resident)
        XCTAssertEqual(full.name, "张伟")
        XCTAssertEqual(full.residentID, "R0001")
        XCTAssertEqual(full.phone, "+86 138-0000-0001")
        let organisation = try PartyArgument(parsing: "respondent:organization:绿城物业:O-7").party
        XCTAssertEqual(organisation.organizationID, "O-7")
        XCTAssertEqual(organisation.residentID, "")
        XCTAssertThrowsError(try PartyArgument(parsing: "applicant:resident:")) { error in
            XCTAssertEqual("\(error)", "the party's name is empty (\(PartyArgument.usage))")
        }
    }

    func testPartiesFileIsAJSONListOfPartyNamingTheItemThatDoesNotRead() throws {
        let parties = try MediationJSONFile.parties(
            in: Array(
                #"""
                [{"name": "张伟", "role": "PARTY_ROLE_APPLICANT", "kind": "PARTY_KIND_RESIDENT", "resident_id": "R0001",
                  "address": "西溪花园3幢501", "id_number": "330106198001010011"},
                 {"name": "绿城物业", "role": "PARTY_ROLE_RESPONDENT", "kind": "PARTY_KIND_ORGANIZATION",
                  "representative": "周经理"}]
                """#.utf8
            ),
            name: "parties.json"
        )
        XCTAssertEqual(parties.map(\.name), ["张伟", "绿城物业"])
        XCTAssertEqual(parties[0].idNumber, "330106198001010011")
        XCTAssertEqual(parties[1].representative, "周经理")
        let wrapped = try MediationJSONFile.parties(
            in: Array(#"{"parties": [{"name": "a"}, {"name": "b"}]}"#.utf8),
            name: "p.json"
        )
        XCTAssertEqual(wrapped.count, 2)
        let cases: [(String, String)] = [
            ("[]", "p.json holds no parties"),
            ("{\"people\": []}", "p.json is not a list of parties"),
            ("[{\"name\": \"a\"}, 7]", "p.json party 2 (line 1) is not a JSON object"),
            (
                "[{\"name\": \"a\"},\n {\"name\": \"b\", \"phon\": \"1\"}]",
                "p.json party 2 (b), line 2: unknown field \"phon\" (fields are named as in the .proto"
            ),
            (
                "[{\"name\": \"a\", \"role\": \"APPLICANT\"}]",
                "p.json party 1 (a), line 1: a value is not one of its enum's names"
            ),
            ("[{\"name\": ", "p.json is not JSON: line 1, column"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try MediationJSONFile.parties(in: Array(text.utf8), name: "p.json"), text) { error in
                let message = (error as? ControlError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix(expected), "\(text): \(message)")
                XCTAssertEqual((error as? ControlError)?.exitCode, ControlExitCode.failed)
            }
        }
    }

    func testTheAgreementFileTakesAnObligationsDeadlineAsItsLastDay() throws {
        let agreement = try MediationJSONFile.agreement(
            in: Array(
                #"""
                {"party_ids": ["p1", "p2"], "facts": "漏水", "matters": [{"summary": "维修费", "kind": "MATTER_KIND_CIVIL"}],
                 "responsibilities": "李娜负责", "terms": "赔偿",
                 "obligations": [
                   {"id": "o1", "party_id": "p2", "content": "赔偿2000元", "method": "转账", "deadline": "2025-11-20"},
                   {"id": "o2", "party_id": "p2", "content": "修复", "method": "物业", "deadline_ms": "1767196800000"}]}
                """#.utf8
            ),
            name: "agreement.json"
        )
        XCTAssertEqual(agreement.partyIds, ["p1", "p2"])
        XCTAssertEqual(agreement.matters.map(\.kind), [.civil])
        // The end of 2025-11-20 in China: the first moment of the next day.
        XCTAssertEqual(agreement.obligations[0].deadlineMs, MediationFixtures.endOf(2025, 11, 20))
        XCTAssertEqual(agreement.obligations[1].deadlineMs, 1_767_196_800_000, "as given")
        let cases: [(String, String)] = [
            ("[]", "a.json is not an agreement: it should be a JSON object"),
            (
                #"{"obligations": [{"id": "o1", "deadline": "2025-11-20", "deadline_ms": "1"}]}"#,
                "a.json obligation 1, line 1: give deadline or deadline_ms, not both"
            ),
            (
                #"{"obligations": [{"id": "o1"}, {"id": "o2", "deadline": "next week"}]}"#,
                "a.json obligation 2, line 1: deadline is the last day, written \"2026-12-31\""
            ),
            (#"{"partys": ["p1"]}"#, "a.json is not an agreement: unknown field \"partys\""),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try MediationJSONFile.agreement(in: Array(text.utf8), name: "a.json"), text) { error in
                let message = (error as? ControlError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix(expected), "\(text): \(message)")
            }
        }
    }

    func testThePackageIsOneDocumentWithBothBodiesAndTheirStyles() {
        let html = PackageDocument.html(
            application: MediationFixtures.applicationHTML,
            agreement: MediationFixtures.agreementHTML,
            title: "司法确认申请材料 <MD-1>"
        )
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"))
        XCTAssertTrue(html.contains("<title>司法确认申请材料 &lt;MD-1&gt;</title>"), html)
        XCTAssertTrue(
            html.contains("<style>h1 { text-align: center; }</style>\n<style>body { font-family: serif; }</style>")
        )
        XCTAssertTrue(
            html.contains(
                "<section class=\"gongzhi-package-part\">\n<h1>司法确认申请书</h1>\n</section>\n"
                    + "<section class=\"gongzhi-package-part\">\n<h1>人民调解协议书</h1><p>张伟 13800000001</p>\n</section>\n"
            ),
            html
        )
        XCTAssertTrue(html.contains("break-before: page"))
        XCTAssertEqual(html.components(separatedBy: "<body").count, 2, "one body")
        XCTAssertTrue(html.hasSuffix("</body>\n</html>\n"))
        // A fragment without a body is taken whole.
        XCTAssertEqual(PackageDocument.Part("<p>申请</p>").body, "<p>申请</p>")
        XCTAssertEqual(PackageDocument.Part("<p>申请</p>").styles, [])
    }

    func testDocumentsGoWhereOutSaysOrToAPlainNameInTheCurrentFolder() {
        XCTAssertEqual(
            DocumentTarget(out: nil, format: .table, suggested: "MD-1-agreement.html", fallback: "f.html"),
            .file("MD-1-agreement.html")
        )
        for unsafe in ["../x.html", "/etc/passwd", "a/b.html", ".hidden", ""] {
            XCTAssertEqual(
                DocumentTarget(out: nil, format: .table, suggested: unsafe, fallback: "MD-1-agreement.html"),
                .file("MD-1-agreement.html"),
                "the plugin does not choose where a file goes: \(unsafe)"
            )
        }
        XCTAssertEqual(
            DocumentTarget(out: "x/y.html", format: .table, suggested: "a", fallback: "b"),
            .file("x/y.html")
        )
        XCTAssertEqual(DocumentTarget(out: "-", format: .table, suggested: "a", fallback: "b"), .standardOutput)
        XCTAssertEqual(DocumentTarget(out: nil, format: .json, suggested: "a", fallback: "b"), .answer)
        XCTAssertEqual(DocumentTarget(out: "o.html", format: .json, suggested: "a", fallback: "b"), .file("o.html"))
    }
}
