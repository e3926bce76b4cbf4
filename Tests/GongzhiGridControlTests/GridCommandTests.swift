import ArgumentParser
import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiGridControl

/// `gongzhictl grid …` without a host: parsing, the requests built from arguments, and what is printed.
final class GridCommandTests: XCTestCase {
    private func parse<Command: ParsableCommand>(_ arguments: [String], as type: Command.Type) throws -> Command {
        let parsed = try GridCommandLine.parseAsRoot(["grid"] + arguments)
        return try XCTUnwrap(parsed as? Command, "parsed \(arguments) as \(Swift.type(of: parsed))")
    }

    private typealias Grid = GridCommand
    private let time = Fixtures.time

    // MARK: Parsing

    func testEveryCommandParses() throws {
        let importing = try parse(["import", "xixi.geojson", "--dry-run"], as: Grid.Import.self)
        XCTAssertEqual(importing.file, "xixi.geojson")
        XCTAssertTrue(importing.dryRun)
        XCTAssertFalse(try parse(["import", "-"], as: Grid.Import.self).dryRun)
        XCTAssertEqual(
            try parse(["locate", "120.1551", "30.2741"], as: Grid.Locate.self).point,
            GridPoint(longitude: 120.1551, latitude: 30.2741)
        )
        XCTAssertEqual(
            try parse(["locate", "-73.98", "40.75"], as: Grid.Locate.self).point,
            GridPoint(longitude: -73.98, latitude: 40.75)
        )
        _ = try parse(
            ["report", "--source", "patrol", "--category", "E0101", "--grid", "330106001001003"],
            as: Grid.Report.self
        )
        _ = try parse(["list"], as: Grid.List.self)
        XCTAssertEqual(try parse(["show", "C7f3a9"], as: Grid.Show.self).id, "C7f3a9")
        XCTAssertEqual(try parse(["register", "C1"], as: Grid.Register.self).step.id, "C1")
        _ = try parse(["reject", "C1", "--reason", "重复"], as: Grid.Reject.self)
        _ = try parse(["dispatch", "C1", "--to", "team:P-0007"], as: Grid.Dispatch.self)
        _ = try parse(["start", "C1"], as: Grid.Start.self)
        _ = try parse(["handle", "C1", "--notes", "已清运"], as: Grid.Handle.self)
        _ = try parse(["verify", "C1"], as: Grid.Verify.self)
        _ = try parse(["send-back", "C1", "--reason", "仍有垃圾"], as: Grid.SendBack.self)
        _ = try parse(["close", "C1"], as: Grid.Close.self)
        _ = try parse(["evaluate", "C1", "--satisfaction", "not-fixed"], as: Grid.Evaluate.self)
        _ = try parse(["stats"], as: Grid.Stats.self)
        _ = try parse(["categories", "-o", "json"], as: Grid.Categories.self)
    }

    func testBadValuesAreUsageErrorsThatSayWhatToWrite() async {
        let cases: [([String], String)] = [
            (
                ["dispatch", "C1", "--to", "boss:李"],
                "error: The value 'boss:李' is invalid for '--to <assignee>': write worker:NAME (a grid worker), "
                    + "team:PARTNER_ID (a partner team) or department:DEPT_ID"
            ),
            (["dispatch", "C1", "--to", "王芳"], "team:PARTNER_ID (a partner team) or department:DEPT_ID"),
            (["dispatch", "C1", "--to", "worker:"], "say who after worker:"),
            (
                ["dispatch", "C1", "--to", "worker:王芳", "--deadline", "tomorrow"],
                "error: The value 'tomorrow' is invalid for '--deadline <deadline>': write how long from now, "
                    + "e.g. 2h, 3d or 90m, or a time, e.g. 2026-11-23T10:00 (local) or 2026-11-23T10:00+08:00"
            ),
            (["dispatch", "C1", "--to", "worker:王芳", "--deadline", "0h"], "a deadline must be later than now"),
            (["dispatch", "C1", "--to", "worker:王芳", "--deadline", "2026-11-23"], "write how long from now"),
            (
                ["dispatch", "C1", "--to", "worker:王芳", "--deadline", "2025-11-21T22:00"],
                "error: --deadline 2025-11-21T22:00:00+08:00 has passed; give a later time, or leave it out for the "
                    + "category's deadline"
            ),
            (
                ["evaluate", "C1", "--satisfaction", "happy"],
                "error: The value 'happy' is invalid for '--satisfaction <satisfaction>'. Please provide one of "
                    + "'satisfied', 'acceptable', 'unsatisfied' or 'not-fixed'."
            ),
            (
                ["report", "--source", "patrol", "--category", "E0101", "--at", "120.1551"],
                "error: The value '120.1551' is invalid for '--at <lon,lat>': write LON,LAT in degrees, longitude "
                    + "first, e.g. 120.1551,30.2741"
            ),
            (
                ["report", "--source", "patrol", "--category", "E0101", "--at", "30.27,120.15"],
                "latitude 120.15 is not between -90 and 90 (longitude comes first)"
            ),
            (["report", "--source", "patrol", "--category", "E0101", "--at", "nan,30"], "write LON,LAT in degrees"),
            (
                ["report", "--source", "patrol", "--category", "E0101"],
                "error: say where: --at LON,LAT, or --grid CODE when only the grid is known"
            ),
            (
                [
                    "report", "--source", "patrol", "--category", "E0101", "--at", "120.1,30.2", "--grid",
                    "330106001001003",
                ],
                "error: give either --at or --grid, not both"
            ),
            (
                ["report", "--category", "E0101", "--grid", "1", "--source", "phone"],
                "error: The value 'phone' is invalid for '--source <source>'"
            ),
            (
                ["report", "--category", "E0101", "--grid", "330106001001003"],
                "error: Missing expected argument '--source <source>'"
            ),
            (["locate", "120.1551"], "error: give the point as two numbers, longitude then latitude"),
            (
                ["locate", "120.1551", "north"],
                "error: 120.1551 north is not a point: write the longitude and the latitude in degrees"
            ),
            (["list", "--state", "open"], "error: The value 'open' is invalid for '--state <state>'"),
            (["list", "--limit", "0"], "error: --limit must be 1 or more"),
            (["stats", "--level", "district"], "Please provide one of 'grid', 'community' or 'street'."),
            (["stats", "--since", "last week"], "or how long ago, e.g. 7d or 12h"),
            (
                ["stats", "--since", "2025-11-02", "--until", "2025-11-01"],
                "error: --since 2025-11-02T00:00:00+08:00 is not before --until 2025-11-01T00:00:00+08:00"
            ),
            (["register", "C1", "--revision", "0"], "error: --revision must be 1 or more"),
            (["register", "C1", "--tier", "district"], "'grid', 'community', 'street' or 'joint'"),
            (["reject", "C1"], "error: Missing expected argument '--reason <text>'"),
            (["reject", "C1", "--reason", " "], "error: --reason needs the reason for rejecting"),
            (["handle", "C1"], "error: Missing expected argument '--notes <text>'"),
        ]
        for (arguments, expected) in cases {
            // No host: a usage error is found before anything is called.
            let console = TestConsole(
                GridCommandLine.self,
                environment: ["GONGZHI_ADMIN_SOCKET": "/nonexistent/admin.sock"]
            )
            let status = await console.run(["grid"] + arguments)
            XCTAssertEqual(status, ControlExitCode.usage, "\(arguments): \(console.errors)")
            XCTAssertTrue(console.errors.contains(expected), "\(arguments): \(console.errors)")
            XCTAssertEqual(console.output, "", "\(arguments)")
        }
    }

    // MARK: Requests

    func testReportBuildsItsRequest() throws {
        let report = try parse(
            [
                "report", "--source", "patrol", "--category", "E0101", "--at", "120.1551,30.2741", "--description",
                "路边堆放生活垃圾",
                "--source", "hotline", "--reporter", "张伟", "--phone", "13800000000", "--resident", "R-88",
                "--media", "oss://a.jpg", "--media", "oss://b.jpg", "--key", "hotline-0042", "--as", "李强",
            ],
            as: Grid.Report.self
        )
        // --as is the global option: the host is told whom the call is for, the request names nobody.
        XCTAssertEqual(report.options.actAs, "李强")
        let at = report.request
        XCTAssertEqual(
            at,
            Gongzhi_Grid_V1_ReportRequest.with {
                $0.source = .hotline
                $0.categoryCode = "E0101"
                $0.description_p = "路边堆放生活垃圾"
                $0.location = .with {
                    $0.longitude = 120.1551
                    $0.latitude = 30.2741
                }
                $0.media = ["oss://a.jpg", "oss://b.jpg"]
                $0.reporter = .with {
                    $0.name = "张伟"
                    $0.phone = "13800000000"
                    $0.residentID = "R-88"
                }
                $0.idempotencyKey = "hotline-0042"
            }
        )
        let grid = try parse(
            ["report", "--category", "P0203", "--grid", "330106001001003", "--source", "patrol"],
            as: Grid.Report.self
        ).request
        XCTAssertFalse(grid.hasLocation)
        XCTAssertFalse(grid.hasReporter)
        XCTAssertEqual(grid.gridCode, "330106001001003")
        XCTAssertEqual(grid.source, .patrol)
        // A negative longitude is a value, not an option.
        let west = try parse(
            ["report", "--source", "patrol", "--category", "E0101", "--at", "-73.98,40.75"],
            as: Grid.Report.self
        )
        XCTAssertEqual(west.request.location.longitude, -73.98)
        XCTAssertEqual(west.request.source, .patrol)
    }

    func testDispatchBuildsItsRequest() throws {
        let dispatch = try parse(
            [
                "dispatch", "C1", "--to", "worker:王芳", "--deadline", "24h", "--note", "尽快", "--as", "李强",
                "--revision", "812",
            ],
            as: Grid.Dispatch.self
        )
        XCTAssertEqual(dispatch.options.actAs, "李强")
        let worker = try dispatch.request(at: time)
        XCTAssertEqual(
            worker,
            Gongzhi_Grid_V1_DispatchRequest.with {
                $0.ref = .with {
                    $0.caseID = "C1"
                    $0.expectedRevision = 812
                }
                $0.assignee = .with {
                    $0.kind = .gridWorker
                    $0.id = "王芳"
                }
                $0.deadlineMs = Fixtures.nowMs + 24 * 3_600_000
                $0.note = "尽快"
            }
        )
        let team = try parse(
            ["dispatch", "C1", "--to", "team:P-0007", "--name", "绿城物业", "--deadline", "2025-11-23T10:00"],
            as: Grid.Dispatch.self
        ).request(at: time)
        XCTAssertEqual(team.assignee.kind, .partnerTeam)
        XCTAssertEqual(team.assignee.id, "P-0007")
        XCTAssertEqual(team.assignee.name, "绿城物业")
        // 10:00 at +08:00 is 02:00 UTC.
        XCTAssertEqual(team.deadlineMs, 1_763_863_200_000)
        XCTAssertEqual(team.ref.actor, "")
        XCTAssertEqual(team.ref.expectedRevision, 0)
        let department = try parse(
            ["dispatch", "C1", "--to", "department:D-城管", "--deadline", "2025-11-23T02:00Z"],
            as: Grid.Dispatch.self
        ).request(at: time)
        XCTAssertEqual(department.assignee.kind, .department)
        XCTAssertEqual(department.deadlineMs, 1_763_863_200_000)
        XCTAssertEqual(
            try parse(["dispatch", "C1", "--to", "worker:王芳"], as: Grid.Dispatch.self).request(at: time).deadlineMs,
            0,
            "the category's deadline"
        )
    }

    func testTheOtherVerbsBuildTheirRequests() throws {
        let register = try parse(["register", "C1", "--tier", "street", "--note", "涉及多个小区"], as: Grid.Register.self)
        XCTAssertEqual(register.request.tier, .street)
        XCTAssertEqual(register.request.note, "涉及多个小区")
        XCTAssertEqual(register.request.ref.caseID, "C1")
        XCTAssertEqual(try parse(["register", "C1"], as: Grid.Register.self).request.tier, .unspecified)
        XCTAssertEqual(try parse(["reject", "C1", "--reason", "重复"], as: Grid.Reject.self).request.reason, "重复")
        XCTAssertEqual(try parse(["start", "C1", "--note", "到场"], as: Grid.Start.self).request.note, "到场")
        let handling = try parse(
            ["handle", "C1", "--notes", "已清运", "--media", "oss://after.jpg", "--as", "王芳"],
            as: Grid.Handle.self
        )
        XCTAssertEqual(handling.options.actAs, "王芳")
        let handle = handling.request
        XCTAssertEqual(handle.notes, "已清运")
        XCTAssertEqual(handle.media, ["oss://after.jpg"])
        XCTAssertEqual(handle.ref.actor, "")
        XCTAssertEqual(try parse(["verify", "C1", "--note", "核实"], as: Grid.Verify.self).request.note, "核实")
        XCTAssertEqual(
            try parse(["send-back", "C1", "--reason", "仍有垃圾"], as: Grid.SendBack.self).request.reason,
            "仍有垃圾"
        )
        XCTAssertEqual(
            try parse(["close", "C1", "--revision", "9"], as: Grid.Close.self).request.ref.expectedRevision,
            9
        )
        let evaluate = try parse(
            ["evaluate", "C1", "--satisfaction", "not-fixed", "--comment", "还在"],
            as: Grid.Evaluate.self
        ).request
        XCTAssertEqual(evaluate.satisfaction, .notFixed)
        XCTAssertEqual(evaluate.comment, "还在")
        for (word, satisfaction) in [
            ("satisfied", Gongzhi_Grid_V1_Satisfaction.satisfied), ("acceptable", .acceptable),
            ("unsatisfied", .unsatisfied),
        ] {
            XCTAssertEqual(
                try parse(["evaluate", "C1", "--satisfaction", word], as: Grid.Evaluate.self).request.satisfaction,
                satisfaction
            )
        }
    }

    func testListAndStatsBuildTheirRequests() throws {
        let list = try parse(
            [
                "list", "--state", "dispatched", "--state", "in-progress", "--region", "330106001", "--category",
                "E0101", "--source", "sensor", "--overdue", "--open", "--limit", "20", "--page", "b2Zm",
            ],
            as: Grid.List.self
        ).request
        XCTAssertEqual(
            list,
            Gongzhi_Grid_V1_ListCasesRequest.with {
                $0.states = [.dispatched, .inProgress]
                $0.regionCode = "330106001"
                $0.categoryCode = "E0101"
                $0.source = .sensor
                $0.overdueOnly = true
                $0.openOnly = true
                $0.limit = 20
                $0.pageToken = "b2Zm"
            }
        )
        XCTAssertEqual(try parse(["list"], as: Grid.List.self).request, Gongzhi_Grid_V1_ListCasesRequest())

        let stats = try parse(
            ["stats", "--level", "grid", "--region", "330106001", "--since", "2025-11-01", "--until", "12h"],
            as: Grid.Stats.self
        ).request(at: time)
        XCTAssertEqual(stats.level, .grid)
        XCTAssertEqual(stats.regionCode, "330106001")
        // Midnight at +08:00 is 16:00 UTC the day before.
        XCTAssertEqual(stats.sinceMs, 1_761_926_400_000)
        XCTAssertEqual(stats.untilMs, Fixtures.nowMs - 12 * 3_600_000)
        XCTAssertEqual(try parse(["stats"], as: Grid.Stats.self).request(at: time), Gongzhi_Grid_V1_StatsRequest())
    }

    func testTimesAndPoints() throws {
        XCTAssertEqual(
            try GridPoint(parsing: " 120.1551 , 30.2741 "),
            GridPoint(longitude: 120.1551, latitude: 30.2741)
        )
        for bad in ["", "120", "120,30,5", "1e2,30", "0x10,30", "inf,30", "120;30", "东经120,30"] {
            XCTAssertThrowsError(try GridPoint(parsing: bad), bad)
        }
        XCTAssertEqual(GridDuration(parsing: "90m")?.seconds, 5400)
        XCTAssertEqual(GridDuration(parsing: "3d")?.seconds, 259_200)
        for bad in ["", "h", "2", "2H", "-2h", "1.5h", "2w", "9999999999d"] {
            XCTAssertNil(GridDuration(parsing: bad), bad)
        }
        let utc = TimeStyle.fixed(nowMs: 0, utcOffsetSeconds: 0)
        for (text, ms) in [
            ("2025-11-23", Int64(1_763_856_000_000)), ("2025-11-23T10:00", 1_763_892_000_000),
            ("2025-11-23 10:00:30", 1_763_892_030_000), ("2025-11-23T10:00+08:00", 1_763_863_200_000),
            ("2025-11-23T10:00+0800", 1_763_863_200_000), ("2025-11-23T10:00-05", 1_763_910_000_000),
            ("2024-02-29T00:00Z", 1_709_164_800_000), ("1969-12-31T23:59:59Z", -1000),
        ] {
            XCTAssertEqual(GridCivilTime(parsing: text)?.milliseconds(in: utc), ms, text)
        }
        for bad in [
            "2025-13-01", "2025-02-29", "2025-11-31", "2025-11-23T24:00", "2025-11-23T10", "2025-11-23T10:60",
            "2025-11-23T10:00+8", "25-11-23", "2025/11/23", "2025-11-23T10:00:00.5",
        ] {
            XCTAssertNil(GridCivilTime(parsing: bad), bad)
        }
    }

    // MARK: Output

    func testStepLines() {
        var c = GridFixtures.dispatched
        XCTAssertEqual(
            GridOutput.stepped(c, time: time),
            "C7f3a9 dispatched to worker 王芳, due 2025-11-22 22:00 (in 23h)\n"
        )
        c.state = .inProgress
        c.assignee = GridFixtures.overdue.assignee
        c.deadlineMs = GridFixtures.overdue.deadlineMs
        XCTAssertEqual(
            GridOutput.stepped(c, time: time),
            "C7f3a9 in progress with team 绿城物业 (P-0007), due 2025-11-21 20:55 (overdue 2h)\n"
        )
        c.state = .registered
        XCTAssertEqual(GridOutput.stepped(c, time: time), "C7f3a9 registered at the grid tier\n")
        c.state = .rejected
        c.rejectionReason = "不属于城市管理范围"
        XCTAssertEqual(GridOutput.stepped(c, time: time), "C7f3a9 rejected: 不属于城市管理范围\n")
        c.state = .handled
        c.handler = "王芳"
        c.handledAtMs = Fixtures.nowMs
        c.handledLate = true
        XCTAssertEqual(GridOutput.stepped(c, time: time), "C7f3a9 handled by 王芳, after the deadline\n")
        c.state = .closed
        c.closedTier = .community
        XCTAssertEqual(GridOutput.stepped(c, time: time), "C7f3a9 closed at the community tier\n")
        c.state = .evaluated
        c.satisfaction = .acceptable
        XCTAssertEqual(GridOutput.stepped(c, time: time), "C7f3a9 evaluated: acceptable\n")
        c.state = .registered
        c.history.append(.with { $0.action = .reopen })
        XCTAssertEqual(
            GridOutput.stepped(c, time: time),
            "C7f3a9 reopened (the reporter says it is not fixed): registered at the grid tier, to be dispatched again\n"
        )
    }

    func testACaseHandedToMediationSaysWhatItWaitsOnAndHowItEnded() {
        var c = GridFixtures.dispatched
        c.mediation = .with {
            $0.disputeID = "MD-3f2a9c1b7e4d"
            $0.handedAtMs = Fixtures.nowMs - 3_600_000
        }
        XCTAssertTrue(
            GridOutput.detail(c, time: time).contains(
                "mediation:           waits on dispute MD-3f2a9c1b7e4d since 2025-11-21T22:00:00+08:00 (1h ago) "
                    + "(gongzhictl mediation summary MD-3f2a9c1b7e4d)\n"
            ),
            GridOutput.detail(c, time: time)
        )
        c.mediation.concludedAtMs = Fixtures.nowMs
        c.mediation.disputeState = "performed"
        c.mediation.outcome = "调解成功，协议已履行"
        c.state = .closed
        c.history.append(.with { $0.action = .mediationConcluded })
        XCTAssertTrue(
            GridOutput.detail(c, time: time).contains(
                "mediation:           dispute MD-3f2a9c1b7e4d ended performed 2025-11-21T23:00:00+08:00 (just now): 调解成功，协议已履行\n"
            ),
            GridOutput.detail(c, time: time)
        )
        XCTAssertEqual(
            GridOutput.stepped(c, time: time),
            "C7f3a9 closed by mediation (dispute MD-3f2a9c1b7e4d): 调解成功，协议已履行\n"
        )
        var missed = GridFixtures.dispatched
        missed.fromDisputeID = "MD-3f2a9c1b7e4d"
        XCTAssertTrue(
            GridOutput.detail(missed, time: time).contains(
                "from dispute:        MD-3f2a9c1b7e4d (a mediation agreement's missed obligation)\n"
            )
        )
        XCTAssertFalse(GridOutput.detail(GridFixtures.dispatched, time: time).contains("mediation"))
    }

    func testListTableAlignsChineseAndSaysWhereTheNextPageIs() {
        let response = Gongzhi_Grid_V1_ListCasesResponse.with {
            $0.cases = [GridFixtures.dispatched, GridFixtures.overdue]
            $0.total = 37
            $0.nextPageToken = "b2Zmc2V0PTI"
        }
        XCTAssertEqual(
            GridOutput.list(response, time: time),
            """
            ID      STATE        CATEGORY        GRID             TIER       ASSIGNEE                DEADLINE    REPORTED
            C7f3a9  dispatched   E0101 暴露垃圾  330106001001003  grid       worker 王芳             in 23h      2h ago
            C19b2e  in-progress  P0203 井盖破损  330106001001001  community  team 绿城物业 (P-0007)  overdue 2h  2d 2h ago

            2 of 37 cases; the next page: --page b2Zmc2V0PTI

            """
        )
        XCTAssertEqual(GridOutput.list(Gongzhi_Grid_V1_ListCasesResponse(), time: time), "no cases match\n")
    }

    func testShowPrintsEveryFieldAndTheHistory() {
        XCTAssertEqual(
            GridOutput.detail(GridFixtures.dispatched, time: time),
            """
            id:                  C7f3a9
            state:               dispatched
            category:            E0101 暴露垃圾 (event)
            source:              hotline
            description:         路边堆放生活垃圾
            location:            120.1551,30.2741
            grid:                330106001001003
            community:           330106001001
            street:              330106001
            tier:                grid
            reporter:            张伟 13800000000
            reported:            2025-11-21T21:00:00+08:00 (2h ago)
            reported by:         client:hotline-12345
            idempotency key:     hotline-20251121-0042
            media:               oss://cases/C7f3a9/before.jpg
            assignee:            worker 王芳
            deadline:            2025-11-22 22:00 (in 23h)
            dispatched:          2025-11-21T22:00:00+08:00 (1h ago)
            handler:             -
            handling notes:      -
            handled:             -
            rejection reason:    -
            closed:              -
            closed at tier:      -
            satisfaction:        -
            evaluation comment:  -
            reopened:            never
            created:             2025-11-21T21:00:00+08:00 (2h ago)

            History:
            WHEN                       ACTION    FROM → TO                ACTOR                 NOTE
            2025-11-21T21:00:00+08:00  report    - → reported             client:hotline-12345  -
            2025-11-21T21:30:00+08:00  register  reported → registered    李强                  属实
            2025-11-21T22:00:00+08:00  dispatch  registered → dispatched  李强                  -

            Escalations:
              none

            Also reported by:
            REPORTED                   REPORTER  SOURCE  BY
            2025-11-21T21:30:00+08:00  -         sensor  plugin:sensors

            """
        )
        let escalated = GridOutput.detail(GridFixtures.overdue, time: time)
        XCTAssertTrue(
            escalated.contains(
                """
                Escalations:
                WHEN                       FROM → TO         MISSED DEADLINE
                2025-11-20T21:00:00+08:00  grid → community  2025-11-20T21:00:00+08:00
                """
            ),
            escalated
        )
    }

    func testStatsTableShowsSharesAsPercentages() {
        XCTAssertEqual(
            GridOutput.stats(GridFixtures.stats),
            """
            REGION        TOTAL  OPEN  OVERDUE  CLOSED  IN GRID %  ON TIME %  MEDIAN HANDLING  SATISFACTION %  ESCALATED
            330106001001  120    14    3        98      82%        90%        5h 20m           96% of 44       4
            330106001002  2      2     0        0       -          -          -                -               0
            ALL           122    16    3        98      82%        90%        5h 20m           96% of 44       4

            """
        )
        XCTAssertEqual(GridOutput.percent(0.045), "4.5%")
        XCTAssertEqual(GridOutput.percent(1), "100%")
        XCTAssertEqual(GridOutput.percent(0), "0%")
    }

    func testCategoriesTableAndTheDuplicateRule() {
        XCTAssertEqual(
            GridOutput.categories(GridFixtures.categories),
            """
            CODE   NAME      TYPE   TIER       DEADLINE  AUTO
            E0101  暴露垃圾  event  grid       2h        yes
            P0203  井盖破损  part   community  2d        no

            A report of the same category within 50 m and 30m of an open case joins that case as a duplicate.

            """
        )
    }

    func testLocateAndReport() {
        XCTAssertEqual(
            GridOutput.located(
                .with {
                    $0.gridCode = "330106001001003"
                    $0.gridName = "西溪社区第三网格"
                    $0.communityCode = "330106001001"
                    $0.streetCode = "330106001"
                }
            ),
            """
            grid:       330106001001003
            name:       西溪社区第三网格
            community:  330106001001
            street:     330106001

            """
        )
        let created = GridOutput.reported(
            .with {
                $0.case = GridFixtures.dispatched
                $0.created = true
            },
            time: time
        )
        XCTAssertEqual(
            created,
            """
            Opened case C7f3a9.
            case:      C7f3a9
            state:     dispatched
            category:  E0101 暴露垃圾
            grid:      330106001001003
            tier:      grid
            assignee:  worker 王芳
            deadline:  in 23h

            """
        )
        let duplicate = GridOutput.reported(
            .with {
                $0.case = GridFixtures.dispatched
                $0.duplicate = true
            },
            time: time
        )
        XCTAssertTrue(duplicate.hasPrefix("Joined open case C7f3a9 as a duplicate report"), duplicate)
        let retry = GridOutput.reported(.with { $0.case = GridFixtures.dispatched }, time: time)
        XCTAssertTrue(retry.hasPrefix("Case C7f3a9 was opened by an earlier report with this idempotency key"), retry)
    }

    // MARK: Import plan

    private func feature(_ index: Int, code: String, name: String = "第一网格") -> GridImportFeature {
        GridImportFeature(
            index: index,
            line: 3 + index * 10,
            code: code,
            name: name,
            communityCode: String(code.prefix(12)),
            polygon: .with {
                $0.outer = .with {
                    $0.points = [(120.0, 30.0), (120.01, 30.0), (120.01, 30.01), (120.0, 30.0)].map { point in
                        .with {
                            $0.longitude = point.0
                            $0.latitude = point.1
                        }
                    }
                }
            }
        )
    }

    private func stored(
        _ feature: GridImportFeature,
        workers: [String] = [],
        revision: Int64
    ) throws
        -> Gongzhi_Host_V1_Object
    {
        let grid = Gongzhi_Core_V1_Grid.with {
            $0.code = feature.code
            $0.name = feature.name
            $0.communityCode = feature.communityCode
            $0.polygon = feature.polygon
            $0.workers = workers.map { name in .with { $0.name = name } }
        }
        let data: Data = try grid.serializedBytes()
        return Gongzhi_Host_V1_Object.with {
            $0.kind = "Grid"
            $0.id = feature.code
            $0.parent = feature.communityCode
            $0.revision = revision
            $0.labels = ["tier": "urban"]
            $0.data = data
        }
    }

    func testImportPlanCreatesUpdatesKeepingWorkersAndLeavesTheRestAlone() throws {
        let new = feature(0, code: "330106001001001")
        let renamed = feature(1, code: "330106001001002", name: "第二网格（新）")
        let same = feature(2, code: "330106001001003")
        var before = renamed
        before.name = "第二网格"
        let grids = [
            renamed.code: try stored(before, workers: ["王芳"], revision: 40),
            same.code: try stored(same, workers: ["李强"], revision: 41),
        ]
        let plan = GridImportPlan.make(
            [new, renamed, same],
            file: "xixi.geojson",
            regions: ["330106001001"],
            grids: grids
        )
        XCTAssertEqual(plan.problems, [])
        XCTAssertEqual(plan.steps.map(\.action), [.create, .update(expectedRevision: 40), .unchanged])
        XCTAssertEqual([plan.created, plan.updated, plan.unchanged], [1, 1, 1])
        XCTAssertEqual(plan.writes.map(\.feature.code), [new.code, renamed.code])

        let created = plan.steps[0].object
        XCTAssertEqual(created.kind, "Grid")
        XCTAssertEqual(created.id, new.code)
        XCTAssertEqual(created.parent, "330106001001")
        XCTAssertEqual(created.labels, [:])
        let createdGrid = try Gongzhi_Core_V1_Grid(serializedBytes: created.data)
        XCTAssertEqual(createdGrid.name, "第一网格")
        XCTAssertEqual(createdGrid.polygon, new.polygon)
        XCTAssertEqual(createdGrid.workers, [])

        let updated = plan.steps[1].object
        XCTAssertEqual(updated.labels, ["tier": "urban"], "labels are kept")
        let updatedGrid = try Gongzhi_Core_V1_Grid(serializedBytes: updated.data)
        XCTAssertEqual(updatedGrid.name, "第二网格（新）")
        XCTAssertEqual(updatedGrid.workers.map(\.name), ["王芳"], "workers are kept")

        var moved = same
        moved.polygon.outer.points[1].longitude = 120.02
        XCTAssertEqual(
            GridImportPlan.make([moved], file: "x", regions: ["330106001001"], grids: grids).steps.map(\.action),
            [.update(expectedRevision: 41)]
        )
    }

    func testImportPlanRefusesMissingCommunitiesAndWithheldWorkers() throws {
        let orphan = feature(4, code: "330199001001001")
        let renamed = feature(5, code: "330106001001002", name: "新名字")
        var read = try stored(feature(5, code: "330106001001002"), workers: ["王芳"], revision: 40)
        read.redactedFields = ["workers.phone"]
        let untouched = feature(6, code: "330106001001003")
        var readUntouched = try stored(untouched, revision: 41)
        readUntouched.redactedFields = ["workers.phone"]
        let plan = GridImportPlan.make(
            [orphan, renamed, untouched],
            file: "xixi.geojson",
            regions: ["330106001001"],
            grids: [renamed.code: read, untouched.code: readUntouched]
        )
        XCTAssertEqual(
            plan.problems,
            [
                "xixi.geojson:43: feature 4 (code 330199001001001): community 330199001001 is not a Region; "
                    + "create it first",
                "xixi.geojson:53: feature 5 (code 330106001001002): Grid/330106001001002 was read with its "
                    + "workers.phone withheld, which an update would erase; import as a caller with the "
                    + "gongzhi.host.v1.PersonalData/Read grant",
            ]
        )
        XCTAssertEqual(plan.steps.map(\.action), [.unchanged], "unchanged grids need no personal data")
    }

    func testImportSummaries() {
        let counts = GridImportCounts(created: 3, updated: 2, unchanged: 1_043)
        XCTAssertEqual(
            GridOutput.imported(counts, dryRun: false),
            "1,048 grids: 3 created, 2 updated, 1,043 unchanged\n"
        )
        XCTAssertEqual(
            GridOutput.imported(counts, dryRun: true),
            "1,048 grids: 3 to create, 2 to update, 1,043 unchanged (dry run: nothing was written)\n"
        )
    }
}
