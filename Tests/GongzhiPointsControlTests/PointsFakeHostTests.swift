import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiPointsControl

/// The points commands against an in-process host on a real socket: the points plugin's service as the host
/// routes it, and the Objects service in memory (for the people `--as` and `--person` name).
final class PointsFakeHostTests: XCTestCase {
    private typealias Run = ([String]) async -> (status: Int32, output: String, errors: String)

    private func withFakeHost(
        points: FakePointsService = FakePointsService(),
        objects: FakeObjects = FakeObjects(),
        input: [UInt8] = [],
        _ body: (_ run: @escaping Run, _ directory: TemporaryDirectory) async throws -> Void
    ) async throws {
        try await withRPCServer(services: [points, objects]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments in
                    let console = TestConsole(
                        PointsCommandLine.self,
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

    func testEveryVerbPrintsWhatItsRendererDoes() async throws {
        let t = Fixtures.time
        let points = FakePointsService()
        let resident = PointsFixtures.resident
        let history = Gongzhi_Points_V1_HistoryResponse.with {
            $0.account = resident
            $0.transfers = [PointsFixtures.held, PointsFixtures.credit]
        }
        var credited = PointsFixtures.record
        credited.state = .credited
        credited.confirmedBy = "li-qiang"
        credited.points = 20
        credited.transferID = "SR-1120-01"
        try await withFakeHost(points: points) { run, _ in
            let cases: [([String], String)] = [
                (["points", "ledgers"], PointsOutput.ledgers(PointsFixtures.ledgers)),
                (
                    ["points", "ledger", "create", "party", "--name", "党员积分", "--lot-months", "0"],
                    "ledger party (党员积分): its points never expire\n"
                ),
                (
                    ["points", "accounts", "--ledger", "volunteer"],
                    PointsOutput.accounts(.with { $0.accounts = [resident, PointsFixtures.issuer] })
                ),
                (
                    ["points", "accounts", "open", "volunteer:resident:R0001", "--name", "张伟"],
                    "volunteer:resident:R0001: exists (already open, as asked)\n"
                ),
                (
                    ["points", "accounts", "close", "volunteer:resident:R0001"],
                    "volunteer:resident:R0001 closed: it takes no new transfers (pending ones may still be voided)\n"
                ),
                (
                    ["points", "accounts", "reopen", "volunteer:resident:R0001"],
                    "volunteer:resident:R0001 reopened: it takes transfers again\n"
                ),
                (["points", "balance", "volunteer:resident:R0001"], PointsOutput.balance(resident, time: t)),
                (["points", "balance", "--resident", "R0001"], PointsOutput.balance(resident, time: t)),
                (
                    ["points", "history", "volunteer:resident:R0001", "--limit", "2"],
                    PointsOutput.history(history, limit: 2)
                ),
                (
                    [
                        "points", "credit", "--rule", "volunteer-hour", "--resident", "R0001", "--amount", "2", "--id",
                        "c-1",
                    ],
                    "c-1: ok: 2 points volunteer:issuer:330106001001 → volunteer:resident:R0001\n\nACCOUNT"
                ),
                (
                    [
                        "points", "transfer", "--from", "volunteer:issuer:330106001001", "--to",
                        "volunteer:resident:R0001", "--amount", "50", "--code", "grant", "--id", "g-1",
                    ],
                    "g-1: ok: 50 points volunteer:issuer:330106001001 → volunteer:resident:R0001\n"
                ),
                (
                    ["points", "correct", "SR-1120-01", "--reason", "重复录入", "--amount", "10", "--id", "fix-1"],
                    "fix-1: ok: 10 points volunteer:resident:R0001 → volunteer:issuer:330106001001, reverses "
                        + "SR-1120-01\n"
                ),
                (["points", "rules"], PointsOutput.rules(PointsFixtures.rules)),
                (
                    [
                        "points", "rules", "put", "volunteer-hour", "--ledger", "volunteer", "--name", "志愿服务",
                        "--source", "service-record", "--points", "10", "--per-hour", "--cap", "100", "--per", "month",
                        "--evidence", "签到表",
                    ],
                    PointsOutput.rule(PointsFixtures.rules.rules[0].rule)
                ),
                (
                    ["points", "records", "--state", "recorded"],
                    PointsOutput.records(.with { $0.records = [PointsFixtures.record] })
                ),
                (
                    [
                        "points", "records", "add", "--rule", "volunteer-hour", "--resident", "R0001", "--hours", "2",
                        "--served-at", "2025-11-20T09:00", "--description", "社区环境清洁", "--id", "SR-1120-01",
                    ],
                    PointsOutput.record(PointsFixtures.record)
                ),
                (["points", "records", "confirm", "SR-1120-01"], PointsOutput.record(credited)),
                (
                    ["points", "records", "reject", "SR-1120-01", "--reason", "签到表缺失"],
                    "SR-1120-01 rejected: 签到表缺失\n"
                ),
                (
                    [
                        "points", "venues", "put", "V01", "--name", "西溪积分超市", "--community", "330106001001",
                        "--address", "文二西路1号", "--opening-hours", "周二至周日 9:00-17:00",
                    ],
                    PointsOutput.venue(PointsFixtures.venue)
                ),
                (
                    [
                        "points", "goods", "put", "G-rice-5kg", "--venue", "V01", "--name", "大米5kg", "--price", "40",
                        "--stock", "12", "--minimum-balance", "100",
                    ],
                    "good G-rice-5kg saved: 大米5kg at venue V01, 40 points each, 12 in stock, for balances of 100 or "
                        + "more\n"
                ),
                (
                    ["points", "catalogue", "--venue", "V01"],
                    PointsOutput.catalogue(
                        .with {
                            $0.venues = [PointsFixtures.venue]
                            $0.goods = [PointsFixtures.good]
                        }
                    )
                ),
                (
                    ["points", "redeem", "volunteer:resident:R0001", "G-rice-5kg", "--id", "redeem-7"],
                    "redeem-7 held: 1 × 大米5kg (G-rice-5kg) for 40 points at venue V01; confirm the hand-over by "
                        + "2025-11-28 20:00 (in 6d 21h), or it is cancelled\n"
                        + "volunteer:resident:R0001: balance 120, available 80\n"
                ),
                (
                    ["points", "confirm", "redeem-7", "--note", "已领取"],
                    "redeem-7 confirmed: 1 × 大米5kg (G-rice-5kg) handed over, 40 points posted to venue V01\n"
                ),
                (
                    ["points", "cancel", "redeem-7"],
                    "redeem-7 cancelled: 40 points released to volunteer:resident:R0001\n"
                ),
                (
                    ["points", "redemptions", "--state", "held", "--venue", "V01"],
                    PointsOutput.redemptions(.with { $0.redemptions = [PointsFixtures.redemption] }, time: t)
                ),
                (
                    ["points", "expiring", "--within", "90d", "--community", "330106001001"],
                    PointsOutput.expiring(PointsFixtures.expiring, within: 90 * 86_400, time: t)
                ),
                (["points", "honour-roll", "--month", "2025-11"], PointsOutput.honourRoll(PointsFixtures.honourRoll)),
                (["points", "report", "--month", "2025-11"], PointsOutput.report(PointsFixtures.report)),
                (["points", "export", "--month", "2025-11"], PointsFixtures.csv),
                (
                    ["points", "verify"],
                    "ledger verified: 1,204 transfers, 388 accounts, head \(PointsOutput.hex(PointsFixtures.headHash))\n"
                ),
                (["points", "status"], PointsOutput.status(PointsFixtures.status)),
            ]
            for (arguments, expected) in cases {
                let (status, output, errors) = await run(arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
                XCTAssertEqual(errors, "", "\(arguments)")
                XCTAssertTrue(output.hasPrefix(expected), "\(arguments):\n\(output)\nexpected:\n\(expected)")
            }
        }
        let november = "from=\(PointsFixtures.novemberFromMs) to=\(PointsFixtures.novemberToMs)"
        XCTAssertEqual(
            points.requests.withLock { $0 },
            [
                "ListLedgers", "CreateLedger party months=0", "ListAccounts ledger=volunteer kind=0 community= limit=0",
                "CreateAccounts volunteer:resident:R0001", "SetAccountClosed volunteer:resident:R0001 closed=true",
                "SetAccountClosed volunteer:resident:R0001 closed=false",
                "GetAccount id=volunteer:resident:R0001 holder=0: ledger=", "GetAccount id= holder=1:R0001 ledger=",
                "History volunteer:resident:R0001 limit=2 before=0",
                "Credit c-1 rule=volunteer-hour holder=1:R0001 amount=2",
                "CreateTransfers g-1", "Correct SR-1120-01 id=fix-1 amount=10", "ListRules", "PutRule volunteer-hour",
                "ListServiceRecords state=1 holder=", "RecordService SR-1120-01 minutes=120",
                "ConfirmService SR-1120-01", "RejectService SR-1120-01", "PutVenue V01",
                "PutGood G-rice-5kg price=40 stock=12",
                "Catalogue venue=V01 for=", "Redeem redeem-7 volunteer:resident:R0001 G-rice-5kg x1",
                "ConfirmRedemption redeem-7 note=已领取", "CancelRedemption redeem-7 note=",
                "ListRedemptions state=1 venue=V01", "Expiring within=7776000 community=330106001001",
                "HonourRoll \(november) limit=0", "Report ledger= \(november)", "Export ledger= \(november)", "Verify",
                "Status",
            ]
        )
    }

    func testJSONIsProtobufsMappingWithInt64AsStrings() async throws {
        try await withFakeHost { run, _ in
            let balance = await run(["points", "balance", "volunteer:resident:R0001", "-o", "json"])
            XCTAssertEqual(balance.status, 0, balance.errors)
            XCTAssertEqual(balance.output, PluginOutput.json(PointsFixtures.resident))
            for field in [
                "\"balance\":\"120\"", "\"available\":\"80\"", "\"debits_pending\":\"40\"",
                "\"holder_kind\":\"HOLDER_KIND_RESIDENT\"",
                "\"expires_at_ms\":\"1769875200000\"", "\"debits_must_not_exceed_credits\":true",
            ] {
                XCTAssertTrue(balance.output.contains(field), "\(field) in \(balance.output)")
            }
            let decoded = try Gongzhi_Points_V1_AccountView(jsonString: balance.output)
            XCTAssertEqual(decoded, PointsFixtures.resident, "the JSON reads back as the answer")

            let credit = await run([
                "points", "credit", "--rule", "volunteer-hour", "--resident", "R0001", "--id", "c-2", "-o", "json",
            ])
            XCTAssertEqual(credit.status, 0, credit.errors)
            let response = try Gongzhi_Points_V1_CreateTransfersResponse(jsonString: credit.output)
            XCTAssertEqual(response.results.map(\.result), [.ok])
            // RESULT_OK is the enum's zero: left out, as proto3's JSON mapping leaves out every default.
            XCTAssertFalse(credit.output.contains("\"result\""), credit.output)
            XCTAssertTrue(credit.output.contains("\"amount\":\"5\""), credit.output)

            let verify = await run(["points", "verify", "-o", "json"])
            XCTAssertEqual(verify.status, 0)
            XCTAssertTrue(verify.output.contains("\"transfers\":\"1204\""), verify.output)
            XCTAssertTrue(verify.output.contains("\"head_hash\":\"\(PointsFixtures.headHash.base64EncodedString())\""))

            let yaml = await run(["points", "ledgers", "-o", "yaml"])
            XCTAssertEqual(yaml.status, ControlExitCode.usage)
            XCTAssertEqual(yaml.errors, "error: -o yaml is for the object commands; use -o json or -o table\n")
        }
    }

    func testAnUnknownAccountIsTheHostsNotFound() async throws {
        try await withFakeHost { run, _ in
            for arguments in [
                ["points", "balance", "volunteer:resident:R9999"], ["points", "balance", "--partner", "R9999"],
                ["points", "history", "volunteer:resident:R9999"],
                ["points", "accounts", "close", "volunteer:resident:R9999"],
                ["points", "redeem", "volunteer:resident:R9999", "G-rice-5kg", "--id", "r-1"],
            ] {
                let (status, output, errors) = await run(arguments)
                XCTAssertEqual(status, ControlExitCode.notFound, "\(arguments): \(errors)")
                XCTAssertEqual(output, "", "\(arguments)")
                XCTAssertTrue(errors.hasPrefix("error: there is no account volunteer:"), "\(arguments): \(errors)")
                XCTAssertTrue(errors.hasSuffix("R9999\n"), "\(arguments): \(errors)")
            }
            let record = await run(["points", "records", "confirm", "SR-0"])
            XCTAssertEqual(record.status, ControlExitCode.notFound)
            XCTAssertEqual(record.errors, "error: there is no service record SR-0\n")
            let redemption = await run(["points", "confirm", "redeem-0"])
            XCTAssertEqual(redemption.status, ControlExitCode.notFound)
            XCTAssertEqual(redemption.errors, "error: there is no redemption redeem-0\n")
        }
    }

    func testRefusedTransfersExitOneWithTheirResultsInWords() async throws {
        try await withFakeHost { run, _ in
            // One transfer: its result is the error.
            let short = await run([
                "points", "transfer", "--from", "volunteer:resident:R0001", "--to", "volunteer:issuer:330106001001",
                "--amount", "120", "--code", "fine", "--id", "t-short",
            ])
            XCTAssertEqual(short.status, ControlExitCode.failed)
            XCTAssertEqual(short.output, "")
            XCTAssertEqual(
                short.errors,
                "error: the transfer was not recorded: t-short: exceeds credits: short by 40 points "
                    + "(volunteer:resident:R0001 has 80 points available)\n"
            )
            let cap = await run(["points", "credit", "--rule", "meeting", "--resident", "R0001", "--id", "m-1"])
            XCTAssertEqual(cap.status, ControlExitCode.failed)
            XCTAssertEqual(
                cap.errors,
                "error: the credit was not recorded: m-1: cap reached: at most 20 a month, 20 earned "
                    + "(R0001 has earned 20 of 20 points a month by rule meeting)\n"
            )
            let missing = await run(["points", "correct", "t-0", "--reason", "错", "--id", "fix-0"])
            XCTAssertEqual(missing.status, ControlExitCode.failed)
            XCTAssertEqual(
                missing.errors,
                "error: the correction was not recorded: fix-0: reversed transfer not found (there is no transfer t-0)\n"
            )
            // With -o json the answer is printed for the script, and the exit status says it failed.
            let json = await run([
                "points", "credit", "--rule", "meeting", "--resident", "R0001", "--id", "m-1", "-o", "json",
            ])
            XCTAssertEqual(json.status, ControlExitCode.failed)
            XCTAssertEqual(
                try Gongzhi_Points_V1_CreateTransfersResponse(jsonString: json.output).results.map(\.result),
                [.capReached]
            )
            XCTAssertTrue(json.errors.hasPrefix("error: the credit was not recorded: m-1: cap reached"), json.errors)
            // A redemption beyond the balance, and a cancellation of one that already expired.
            let redeem = await run([
                "points", "redeem", "volunteer:resident:R0001", "G-rice-5kg", "--quantity", "3", "--id", "r-3",
            ])
            XCTAssertEqual(redeem.status, ControlExitCode.failed)
            XCTAssertEqual(
                redeem.errors,
                "error: the redemption was not recorded: r-3: exceeds credits: short by 40 points "
                    + "(volunteer:resident:R0001 has 80 points available)\n"
            )
            let redeemJSON = await run([
                "points", "redeem", "volunteer:resident:R0001", "G-rice-5kg", "--quantity", "3", "--id", "r-3", "-o",
                "json",
            ])
            XCTAssertEqual(redeemJSON.status, ControlExitCode.failed)
            let refusedRedemption = try Gongzhi_Points_V1_RedemptionResult(jsonString: redeemJSON.output)
            XCTAssertEqual(refusedRedemption.transfer.result, .exceedsCredits)
            XCTAssertEqual(refusedRedemption.transfer.shortfall, 40)
            XCTAssertTrue(
                redeemJSON.errors.hasPrefix("error: the redemption was not recorded: r-3:"),
                redeemJSON.errors
            )
            let late = await run(["points", "cancel", "redeem-late"])
            XCTAssertEqual(late.status, ControlExitCode.failed)
            XCTAssertEqual(
                late.errors,
                "error: the cancellation was not recorded: redeem-late:void: pending transfer expired "
                    + "(redeem-late expired on 2025-11-20 and was voided then)\n"
            )
            // Accounts: each result, then how many were not opened.
            let open = await run([
                "points", "accounts", "open", "volunteer:resident:R0001", "nope:resident:R0002",
                "volunteer:resident:R0003",
            ])
            XCTAssertEqual(open.status, ControlExitCode.failed)
            XCTAssertEqual(
                open.output,
                """
                volunteer:resident:R0001: account exists with a different holder_name
                nope:resident:R0002: ledger not found (there is no ledger nope)
                volunteer:resident:R0003: opened

                """
            )
            XCTAssertEqual(open.errors, "error: 2 of 3 accounts were not opened (listed above)\n")
        }
    }

    private static let batch = """
        [
          {"id": "g-1", "debit_account_id": "volunteer:issuer:330106001001",
           "credit_account_id": "volunteer:resident:R0001", "amount": "50", "code": "grant"},
          {"id": "again-g-0", "debit_account_id": "volunteer:issuer:330106001001",
           "credit_account_id": "volunteer:resident:R0001", "amount": 30, "code": "grant"},
          {"id": "g-2", "debit_account_id": "volunteer:resident:R0001",
           "credit_account_id": "volunteer:venue:V99", "amount": "10", "code": "redemption", "linked": true},
          {"id": "g-3", "debit_account_id": "volunteer:resident:R0001",
           "credit_account_id": "volunteer:issuer:330106001001", "amount": "500", "code": "fine"}
        ]
        """

    func testABatchPrintsALineAResultAndExitsOneWhenOneIsRefused() async throws {
        let points = FakePointsService()
        try await withFakeHost(points: points) { run, directory in
            let file = directory.file("batch.json")
            try Data(Self.batch.utf8).write(to: URL(fileURLWithPath: file))
            let (status, output, errors) = await run(["points", "transfers", "--file", file])
            XCTAssertEqual(status, ControlExitCode.failed, errors)
            XCTAssertEqual(
                output,
                """
                g-1: ok: 50 points volunteer:issuer:330106001001 → volunteer:resident:R0001
                again-g-0: exists (recorded earlier with this id; nothing new was written): 30 points volunteer:issuer:330106001001 → volunteer:resident:R0001
                g-2: account not found (credit_account_id) (there is no account volunteer:venue:V99)
                g-3: exceeds credits: short by 420 points (volunteer:resident:R0001 has 80 points available)

                ACCOUNT                        HOLDER    BALANCE  AVAILABLE  PENDING
                volunteer:issuer:330106001001  西溪社区  -12,400  -12,400    -
                volunteer:resident:R0001       张伟      120      80         -40

                """
            )
            XCTAssertEqual(errors, "error: 2 of 4 transfers were not recorded (listed above)\n")
            XCTAssertEqual(points.requests.withLock { $0 }, ["CreateTransfers g-1 again-g-0 g-2 g-3"])

            // All recorded: exit 0. From standard input, as {"transfers": [...]}.
            let good = directory.file("good.json")
            try Data(
                #"{"transfers": [{"id": "g-9", "debit_account_id": "volunteer:issuer:330106001001", "credit_account_id": "volunteer:resident:R0001", "amount": "5", "code": "grant"}]}"#
                    .utf8
            )
            .write(to: URL(fileURLWithPath: good))
            let recorded = await run(["points", "transfers", "--file", good, "-o", "json"])
            XCTAssertEqual(recorded.status, 0, recorded.errors)
            XCTAssertEqual(
                try Gongzhi_Points_V1_CreateTransfersResponse(jsonString: recorded.output).results.map(\.id),
                ["g-9"]
            )
        }
        let stdin = Array(
            #"[{"id": "s-1", "debit_account_id": "volunteer:issuer:330106001001", "credit_account_id": "volunteer:resident:R0001", "amount": 5, "code": "grant"}]"#
                .utf8
        )
        try await withFakeHost(input: stdin) { run, _ in
            let (status, output, errors) = await run(["points", "transfers", "--file", "-"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertTrue(output.hasPrefix("s-1: ok: 5 points"), output)
        }
    }

    func testABatchFileThatDoesNotReadIsRefusedBeforeAnyCall() async throws {
        let points = FakePointsService()
        try await withFakeHost(points: points) { run, directory in
            let cases: [(String, String)] = [
                ("[]", "holds no transfers"),
                ("{\"transfers\": 3}", "is not a list of transfers: a value has the wrong type for its field"),
                ("id,amount\n", "is not a JSON list of transfers (it should start with [)"),
                (
                    #"[{"id": "a"}, {"id": "b", "amout": 5}]"#,
                    "transfer 2 (id b): unknown field \"amout\" (fields are named as in the .proto, e.g. debit_account_id)"
                ),
                (#"[{"id": "a"}, 7]"#, "transfer 2 is not a JSON object"),
                (#"[{"id": "a", "amount": "ten"}]"#, "transfer 1 (id a): a number is not a whole number in range"),
                ("[{\"id\": ", "is not a list of transfers: the JSON ends too soon"),
            ]
            for (index, (text, expected)) in cases.enumerated() {
                let file = directory.file("bad-\(index).json")
                try Data(text.utf8).write(to: URL(fileURLWithPath: file))
                let (status, output, errors) = await run(["points", "transfers", "--file", file])
                XCTAssertEqual(status, ControlExitCode.failed, text)
                XCTAssertEqual(output, "", text)
                XCTAssertEqual(errors, "error: \(file) \(expected)\n", text)
            }
            let tooMany = directory.file("many.json")
            let one = #"{"id": "x", "amount": "1"}"#
            try Data(("[" + Array(repeating: one, count: 8_191).joined(separator: ",") + "]").utf8)
                .write(to: URL(fileURLWithPath: tooMany))
            let many = await run(["points", "transfers", "--file", tooMany])
            XCTAssertEqual(many.status, ControlExitCode.failed)
            XCTAssertEqual(
                many.errors,
                "error: \(tooMany) holds 8,191 transfers; one call takes at most 8,190: split the file\n"
            )
            let absent = await run(["points", "transfers", "--file", directory.file("absent.json")])
            XCTAssertEqual(absent.status, ControlExitCode.failed)
            XCTAssertEqual(
                absent.errors,
                "error: cannot read \(directory.file("absent.json")): no such file or directory\n"
            )
        }
        XCTAssertEqual(points.requests.withLock { $0 }, [], "nothing reached the plugin")
    }

    func testAMadeIdIsShownAndNamedForTheRetryWhenTheCallFails() async throws {
        let points = FakePointsService()
        try await withFakeHost(points: points) { run, _ in
            let (status, output, errors) = await run([
                "points", "credit", "--rule", "volunteer-hour", "--resident", "R0001",
            ])
            XCTAssertEqual(status, 0, errors)
            let sent = try XCTUnwrap(points.requests.withLock { $0 }.first)
            let id = try XCTUnwrap(sent.split(separator: " ").dropFirst().first.map(String.init))
            XCTAssertTrue(id.hasPrefix("credit-20251121T230000-"), id)
            XCTAssertTrue(output.hasPrefix("\(id): ok: 5 points"), "the made id is shown: \(output)")

            // Running it again with that id sends the same id.
            let again = await run(["points", "credit", "--rule", "volunteer-hour", "--resident", "R0001", "--id", id])
            XCTAssertEqual(again.status, 0, again.errors)
            XCTAssertEqual(points.requests.withLock { $0 }.last?.hasPrefix("Credit \(id) "), true)
        }
        // A call that fails names the made id; one given with --id is the caller's to know.
        let down = FakePointsService(
            failure: RPCError(code: .deadlineExceeded, message: "the plugin did not answer within 10s")
        )
        try await withFakeHost(points: down) { run, _ in
            for (arguments, noun) in [
                (["points", "credit", "--rule", "volunteer-hour", "--resident", "R0001"], "credit"),
                (["points", "redeem", "volunteer:resident:R0001", "G-rice-5kg"], "redemption"),
                (["points", "correct", "SR-1120-01", "--reason", "错"], "correction"),
                (
                    [
                        "points", "transfer", "--from", "volunteer:issuer:330106001001", "--to",
                        "volunteer:resident:R0001", "--amount", "5", "--code", "grant",
                    ], "transfer"
                ),
                (
                    [
                        "points", "records", "add", "--rule", "volunteer-hour", "--resident", "R0001", "--minutes",
                        "30",
                        "--served-at", "2025-11-20", "--description", "巡逻",
                    ], "record"
                ),
            ] {
                let (status, _, errors) = await run(arguments)
                XCTAssertEqual(status, ControlExitCode.failed, "\(arguments)")
                // The id the request carried: `id=…` where the fake names it so, else its first word.
                let words = try XCTUnwrap(down.requests.withLock { $0 }.last).split(separator: " ").dropFirst()
                let id = try XCTUnwrap(
                    words.first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) } ?? words.first.map(String.init)
                )
                XCTAssertEqual(
                    errors,
                    "error: the host did not answer in time: the plugin did not answer within 10s (the \(noun)'s id was "
                        + "\(id): run the command again with --id \(id) to retry it without doing it twice)\n",
                    "\(arguments)"
                )
            }
            let given = await run([
                "points", "credit", "--rule", "volunteer-hour", "--resident", "R0001", "--id", "c-9",
            ])
            XCTAssertEqual(
                given.errors,
                "error: the host did not answer in time: the plugin did not answer within 10s\n"
            )
        }
    }

    func testVerifyExitsOneNamingTheFirstBadTransfer() async throws {
        try await withFakeHost(points: FakePointsService(broken: true)) { run, _ in
            let (status, output, errors) = await run(["points", "verify"])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(
                output,
                "ledger does NOT verify at transfer SR-1120-01 (sequence 1203): its hash does not match its content: "
                    + "amount or accounts were changed (1,204 transfers checked)\n"
            )
            XCTAssertEqual(errors, "")
            let json = await run(["points", "verify", "-o", "json"])
            XCTAssertEqual(json.status, ControlExitCode.failed)
            XCTAssertEqual(try Gongzhi_Points_V1_VerifyResponse(jsonString: json.output).firstBadSequence, 1_203)
        }
    }

    func testExportWritesTheCSVToAFileWholly() async throws {
        try await withFakeHost { run, directory in
            let file = directory.file("volunteer-2025-11.csv")
            let (status, output, errors) = await run([
                "points", "export", "--ledger", "volunteer", "--month", "2025-11", "--csv", file,
            ])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(output, "wrote 1 transfer to \(file)\n")
            XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), PointsFixtures.csv)
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("partial") },
                [],
                "no temporary file is left"
            )
            let json = await run(["points", "export", "--csv", file, "-o", "json"])
            XCTAssertEqual(json.status, 0, json.errors)
            XCTAssertEqual(json.output, "{\"file\":\"\(file)\",\"transfers\":\"1\"}\n")
            let stdout = await run(["points", "export", "-o", "json"])
            XCTAssertEqual(
                try Gongzhi_Points_V1_ExportResponse(jsonString: stdout.output).csv,
                PointsFixtures.csv
            )
            let nowhere = await run(["points", "export", "--csv", directory.file("missing/out.csv")])
            XCTAssertEqual(nowhere.status, ControlExitCode.failed)
            XCTAssertEqual(
                nowhere.errors,
                "error: cannot write \(directory.file("missing/out.csv")): no such file or directory\n"
            )
            let folder = await run(["points", "export", "--csv", directory.path])
            XCTAssertEqual(folder.status, ControlExitCode.failed)
            XCTAssertEqual(folder.errors, "error: cannot write \(directory.path): it is a folder; name a file in it\n")
        }
    }

    func testRulesPutReadsARuleFile() async throws {
        let points = FakePointsService()
        try await withFakeHost(points: points) { run, directory in
            let file = directory.file("rule.json")
            try Data(
                #"{"code": "training", "ledger": "volunteer", "name": "培训", "source": "RULE_SOURCE_MANUAL", "points": "3", "active": true}"#
                    .utf8
            )
            .write(to: URL(fileURLWithPath: file))
            let (status, output, errors) = await run(["points", "rules", "put", "--file", file])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(output, "rule training (培训) saved: 3 points on ledger volunteer from manual; active\n")
            let bad = directory.file("bad.json")
            try Data(#"{"code": "x", "source": "MANUAL"}"#.utf8).write(to: URL(fileURLWithPath: bad))
            let refused = await run(["points", "rules", "put", "--file", bad])
            XCTAssertEqual(refused.status, ControlExitCode.failed)
            XCTAssertEqual(
                refused.errors,
                "error: \(bad) is not an earning rule: a value is not one of its enum's names\n"
            )
        }
        XCTAssertEqual(points.requests.withLock { $0 }, ["PutRule training"])
    }

    func testTheModuleNotDeployedIsOneLineForEveryVerb() async throws {
        let notDeployed = FakePointsService(
            failure: RPCError(
                code: .unimplemented,
                message: "no plugin serves gongzhi.points.v1.Points (served here: gongzhi.host.v1.Admin)"
            )
        )
        try await withFakeHost(points: notDeployed) { run, directory in
            let batch = directory.file("batch.json")
            try Data(#"[{"id": "g-1", "amount": "1"}]"#.utf8).write(to: URL(fileURLWithPath: batch))
            for arguments in [
                ["ledgers"], ["ledger", "create", "v", "--name", "志愿"], ["accounts"],
                ["accounts", "open", "v:resident:R1"],
                ["accounts", "close", "v:resident:R1"], ["accounts", "reopen", "v:resident:R1"],
                ["balance", "v:resident:R1"],
                ["history", "v:resident:R1"], ["credit", "--rule", "r", "--resident", "R1", "--id", "c"],
                [
                    "transfer", "--from", "v:issuer:c", "--to", "v:resident:R1", "--amount", "1", "--code", "g", "--id",
                    "t",
                ],
                ["transfers", "--file", batch], ["correct", "t", "--reason", "r", "--id", "c"], ["rules"],
                ["rules", "put", "r", "--ledger", "v", "--name", "n", "--source", "manual", "--points", "1"],
                ["records"],
                [
                    "records", "add", "--rule", "r", "--resident", "R1", "--minutes", "5", "--served-at", "2025-11-20",
                    "--description", "d", "--id", "s",
                ],
                ["records", "confirm", "s"], ["records", "reject", "s", "--reason", "r"],
                ["venues", "put", "V1", "--name", "n", "--community", "c"],
                ["goods", "put", "G1", "--venue", "V1", "--name", "n", "--price", "1", "--stock", "1"], ["catalogue"],
                ["redeem", "v:resident:R1", "G1", "--id", "r"], ["confirm", "r"], ["cancel", "r"], ["redemptions"],
                ["expiring", "--within", "30d"], ["honour-roll"], ["report"], ["export"], ["verify"], ["status"],
            ] {
                let (status, output, errors) = await run(["points"] + arguments)
                XCTAssertEqual(status, ControlExitCode.failed, "\(arguments)")
                XCTAssertEqual(output, "", "\(arguments)")
                XCTAssertEqual(
                    errors,
                    "error: the points plugin is not deployed on this host (no plugin serves gongzhi.points.v1.Points); "
                        + "install it with Deploy/install-plugin.sh, add [plugins.points] to the host's config and "
                        + "reload the host\n",
                    "\(arguments)"
                )
            }
        }
        XCTAssertEqual(notDeployed.requests.withLock { $0 }.count, 31, "each verb called its method once")
    }

    func testAsActsForThePersonAndPersonIsFoundByName() async throws {
        let points = FakePointsService()
        let objects = FakeObjects()
        objects.seed([Self.person("li-qiang", "李强"), Self.person("zhang-wei", "张伟"), Self.person("hu-wei", "胡伟")])
        try await withFakeHost(points: points, objects: objects) { run, _ in
            let confirm = await run(["points", "records", "confirm", "SR-1120-01", "--as", "李强"])
            XCTAssertEqual(confirm.status, 0, confirm.errors)
            // The plugin refuses a person who confirms their own service.
            let own = await run(["points", "--as", "zhang-wei", "records", "confirm", "SR-1120-01"])
            XCTAssertEqual(own.status, ControlExitCode.permissionDenied)
            XCTAssertEqual(
                own.errors,
                "error: permission denied: 张伟 may not confirm their own service record SR-1120-01\n"
            )
            let byName = await run(["points", "balance", "--person", "胡伟"])
            XCTAssertEqual(byName.status, ControlExitCode.notFound, "the fake has no account for hu-wei")
            XCTAssertEqual(byName.errors, "error: there is no account volunteer:person:hu-wei\n")
            XCTAssertEqual(
                points.callers.withLock { $0 },
                ["token=- as=li-qiang", "token=- as=zhang-wei", "token=- as=-"]
            )
            XCTAssertEqual(
                points.requests.withLock { $0 }.last,
                "GetAccount id= holder=3:hu-wei ledger=",
                "the person goes by id"
            )
        }
    }

    func testLoggedInThePointsAreCalledOnHostSockWithTheToken() async throws {
        let adminPoints = FakePointsService()
        let hostPoints = FakePointsService()
        let token = "gzt_t1hw_c2VjcmV0"
        let people = FakePeople(tokens: [token: .with { $0.principal = "person:zhang-wei" }])
        try await TwoSocketHost.with(
            admin: [adminPoints, FakeObjects()],
            host: [hostPoints, people, FakeObjects()],
            commandLine: PointsCommandLine.self
        ) { sockets in
            let login = await sockets.run(["login"], input: Array(token.utf8))
            XCTAssertEqual(login.status, 0, login.errors)
            let balance = await sockets.run(["points", "balance", "--resident", "R0001"])
            XCTAssertEqual(balance.status, 0, balance.errors)
            let redeem = await sockets.run([
                "points", "redeem", "volunteer:resident:R0001", "G-rice-5kg", "--id", "r-1",
            ])
            XCTAssertEqual(redeem.status, 0, redeem.errors)
            let forced = await sockets.run(["points", "status", "--admin"])
            XCTAssertEqual(forced.status, 0, forced.errors)
            XCTAssertEqual(
                hostPoints.requests.withLock { $0 },
                ["GetAccount id= holder=1:R0001 ledger=", "Redeem r-1 volunteer:resident:R0001 G-rice-5kg x1"]
            )
            XCTAssertEqual(Set(hostPoints.callers.withLock { $0 }), ["token=\(token) as=-"])
            XCTAssertEqual(adminPoints.requests.withLock { $0 }, ["Status"])
        }
    }
}
