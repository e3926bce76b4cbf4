import ArgumentParser
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPointsControl

/// `gongzhictl points …` without a host: parsing, the requests built from arguments, and what is printed.
final class PointsCommandTests: XCTestCase {
    private func parse<Command: ParsableCommand>(_ arguments: [String], as type: Command.Type) throws -> Command {
        let parsed = try PointsCommandLine.parseAsRoot(["points"] + arguments)
        return try XCTUnwrap(parsed as? Command, "parsed \(arguments) as \(Swift.type(of: parsed))")
    }

    private typealias Points = PointsCommand
    private let time = Fixtures.time
    private let now = Fixtures.nowMs

    // MARK: Requests

    func testLedgersAndAccountsBuildTheirRequests() throws {
        _ = try parse(["ledgers"], as: Points.Ledgers.self)
        let create = try parse(
            ["ledger", "create", "party", "--name", "党员积分", "--lot-months", "0", "--description", "党员义务"],
            as: Points.Ledger.Create.self
        )
        XCTAssertEqual(
            create.request,
            .with {
                $0.code = "party"
                $0.name = "党员积分"
                $0.description_p = "党员义务"
            }
        )
        XCTAssertEqual(
            try parse(["ledger", "create", "volunteer", "--name", "志愿者积分"], as: Points.Ledger.Create.self)
                .request.lotMonths,
            12,
            "points expire at the end of the twelfth month unless told otherwise"
        )

        // accounts alone lists; its filters go to the list.
        let list = try parse(
            ["accounts", "--ledger", "volunteer", "--holder-kind", "partner", "--community", "330106001001"],
            as: Points.Accounts.List.self
        )
        XCTAssertEqual(
            list.request,
            .with {
                $0.ledger = "volunteer"
                $0.holderKind = .partner
                $0.communityCode = "330106001001"
            }
        )
        XCTAssertEqual(
            try parse(["accounts", "list", "--limit", "5"], as: Points.Accounts.List.self).request.limit,
            5
        )

        let open = try parse(
            [
                "accounts", "open", "volunteer:resident:R0001", "volunteer:issuer:330106001001", "volunteer:expiry",
                "volunteer:venue:V01", "--community", "330106001001",
            ],
            as: Points.Accounts.Open.self
        )
        let accounts = open.request.accounts
        XCTAssertEqual(
            accounts.map(\.id),
            [
                "volunteer:resident:R0001", "volunteer:issuer:330106001001", "volunteer:expiry", "volunteer:venue:V01",
            ]
        )
        XCTAssertEqual(accounts.map(\.holderKind), [.resident, .issuer, .expiry, .venue])
        XCTAssertEqual(accounts.map(\.holderID), ["R0001", "330106001001", "", "V01"])
        XCTAssertEqual(Set(accounts.map(\.ledger)), ["volunteer"])
        XCTAssertEqual(Set(accounts.map(\.communityCode)), ["330106001001"])
        XCTAssertEqual(
            accounts.map(\.debitsMustNotExceedCredits),
            [true, false, false, false],
            "a holder cannot spend more than they were given; the issuer goes below zero"
        )
        let named = try parse(
            ["accounts", "open", "party:person:hu-wei", "--name", "胡伟"],
            as: Points.Accounts.Open.self
        ).request.accounts
        XCTAssertEqual(named.map(\.holderName), ["胡伟"])
        XCTAssertEqual(named.map(\.debitsMustNotExceedCredits), [true])

        XCTAssertEqual(
            AccountClosing.request(id: "volunteer:resident:R0001", closed: true),
            .with {
                $0.accountID = "volunteer:resident:R0001"
                $0.closed = true
            }
        )
        XCTAssertEqual(
            try parse(["accounts", "reopen", "volunteer:resident:R0001"], as: Points.Accounts.Reopen.self).id,
            "volunteer:resident:R0001"
        )
        _ = try parse(["accounts", "close", "volunteer:resident:R0001"], as: Points.Accounts.Close.self)
    }

    func testBalanceAndHistoryBuildTheirRequests() throws {
        XCTAssertEqual(
            try parse(["balance", "volunteer:resident:R0001"], as: Points.Balance.self).request(),
            .with { $0.accountID = "volunteer:resident:R0001" }
        )
        XCTAssertEqual(
            try parse(["balance", "--partner", "P0003", "--ledger", "party"], as: Points.Balance.self).request(),
            .with {
                $0.holderKind = .partner
                $0.holderID = "P0003"
                $0.ledger = "party"
            }
        )
        XCTAssertEqual(
            try parse(["balance", "--resident", "R0001"], as: Points.Balance.self).request(),
            .with {
                $0.holderKind = .resident
                $0.holderID = "R0001"
            },
            "the plugin's default ledger"
        )
        // A person typed by name goes by the id it was found as.
        XCTAssertEqual(
            try parse(["balance", "--person", "胡伟"], as: Points.Balance.self).request(person: "hu-wei").holderID,
            "hu-wei"
        )
        XCTAssertEqual(
            try parse(
                ["history", "volunteer:resident:R0001", "--limit", "20", "--before", "1203"],
                as: Points.History.self
            )
            .request,
            .with {
                $0.accountID = "volunteer:resident:R0001"
                $0.limit = 20
                $0.beforeSequence = 1_203
            }
        )
    }

    func testCreditTransferAndCorrectBuildTheirRequests() throws {
        let credit = try parse(
            [
                "credit", "--rule", "meeting", "--resident", "R0001", "--amount", "2", "--id", "mtg-1121-R0001",
                "--reference", "议事会-2025-11", "--memo", "两次", "--as", "李强",
            ],
            as: Points.Credit.self
        )
        XCTAssertEqual(credit.options.actAs, "李强", "who credits is the global --as, not a field of the request")
        XCTAssertEqual(credit.id, "mtg-1121-R0001")
        XCTAssertEqual(
            credit.request(id: "mtg-1121-R0001"),
            .with {
                $0.id = "mtg-1121-R0001"
                $0.ruleCode = "meeting"
                $0.holderKind = .resident
                $0.holderID = "R0001"
                $0.amount = 2
                $0.reference = "议事会-2025-11"
                $0.memo = "两次"
            }
        )
        let byRule = try parse(["credit", "--rule", "volunteer-hour", "--partner", "P0003"], as: Points.Credit.self)
        XCTAssertNil(byRule.id)
        XCTAssertEqual(byRule.request(id: "x").amount, 0, "the rule's points once")
        XCTAssertEqual(byRule.request(id: "x").holderKind, .partner)

        let transfer = try parse(
            [
                "transfer", "--from", "volunteer:resident:R0001", "--to", "volunteer:venue:V01", "--amount", "40",
                "--code", "redemption", "--pending", "--timeout", "7d", "--id", "hold-1", "--reference", "counter",
            ],
            as: Points.Transfer.self
        )
        XCTAssertEqual(
            transfer.request(id: "hold-1"),
            .with {
                $0.transfers = [
                    .with {
                        $0.id = "hold-1"
                        $0.debitAccountID = "volunteer:resident:R0001"
                        $0.creditAccountID = "volunteer:venue:V01"
                        $0.amount = 40
                        $0.ledger = "volunteer"
                        $0.code = "redemption"
                        $0.pending = true
                        $0.timeoutSeconds = 604_800
                        $0.reference = "counter"
                    }
                ]
            }
        )

        let correct = try parse(
            ["correct", "SR-1120-01", "--reason", "重复录入", "--amount", "10", "--id", "fix-1"],
            as: Points.Correct.self
        )
        XCTAssertEqual(
            correct.request(id: "fix-1"),
            .with {
                $0.id = "fix-1"
                $0.transferID = "SR-1120-01"
                $0.amount = 10
                $0.reason = "重复录入"
            }
        )
        XCTAssertEqual(
            try parse(["correct", "SR-1120-01", "--reason", "错"], as: Points.Correct.self).request(id: "x").amount,
            0,
            "all that is not reversed yet"
        )
    }

    func testAnIdIsMadeWhenNoneIsGiven() throws {
        let given: String? = "mine"
        XCTAssertEqual(given.identifier("credit", noun: "credit", nowMs: now).id, "mine")
        XCTAssertNil(given.identifier("credit", noun: "credit", nowMs: now).made)
        let none: String? = nil
        let (id, made) = none.identifier("credit", noun: "credit", nowMs: now)
        // 23:00 in China Standard Time, and 8 hex digits.
        XCTAssertTrue(id.hasPrefix("credit-20251121T230000-"), id)
        XCTAssertEqual(id.count, "credit-20251121T230000-".count + 8)
        XCTAssertNil(PointsIdentifier.problem(id, option: "--id"), "a made id is a good one")
        XCTAssertEqual(made, MadeIdentifier(id: id, noun: "credit"))
        XCTAssertNotEqual(none.identifier("credit", noun: "credit", nowMs: now).id, id, "each run makes its own")
        XCTAssertEqual(
            MadeIdentifier(id: "credit-1", noun: "credit").retryHint,
            "(the credit's id was credit-1: run the command again with --id credit-1 to retry it without doing it "
                + "twice)"
        )
    }

    func testRulesAndRecordsBuildTheirRequests() throws {
        _ = try parse(["rules"], as: Points.Rules.List.self)
        let put = try parse(
            [
                "rules", "put", "volunteer-hour", "--ledger", "volunteer", "--name", "志愿服务", "--source",
                "service-record", "--points", "10", "--per-hour", "--cap", "100", "--per", "month", "--evidence",
                "签到表", "--description", "每小时10分",
            ],
            as: Points.Rules.Put.self
        )
        XCTAssertEqual(
            put.rule,
            .with {
                $0.code = "volunteer-hour"
                $0.name = "志愿服务"
                $0.ledger = "volunteer"
                $0.source = .serviceRecord
                $0.points = 10
                $0.perHour = true
                $0.cap = 100
                $0.capPeriod = .month
                $0.evidence = "签到表"
                $0.active = true
                $0.description_p = "每小时10分"
            }
        )
        let idle = try parse(
            [
                "rules", "put", "case-satisfied", "--ledger", "volunteer", "--name", "网格案件满意", "--source",
                "grid-case", "--points", "5", "--include-acceptable", "--inactive",
            ],
            as: Points.Rules.Put.self
        ).rule
        XCTAssertEqual(idle.source, .gridCase)
        XCTAssertTrue(idle.includeAcceptable)
        XCTAssertFalse(idle.active)
        XCTAssertEqual(idle.capPeriod, .unspecified)
        XCTAssertEqual(try parse(["rules", "put", "--file", "rule.json"], as: Points.Rules.Put.self).file, "rule.json")

        XCTAssertEqual(
            try parse(["records", "--state", "not-credited", "--holder", "R0001"], as: Points.Records.List.self)
                .request,
            .with {
                $0.state = .notCredited
                $0.holderID = "R0001"
            }
        )
        let add = try parse(
            [
                "records", "add", "--rule", "volunteer-hour", "--resident", "R0001", "--team", "P0003", "--hours",
                "1.5", "--served-at", "2025-11-20T09:00", "--description", "社区环境清洁", "--evidence", "oss://a.jpg",
                "--evidence", "oss://b.jpg",
            ],
            as: Points.Records.Add.self
        )
        XCTAssertEqual(
            add.request(id: "SR-1"),
            .with {
                $0.id = "SR-1"
                $0.ruleCode = "volunteer-hour"
                $0.holderKind = .resident
                $0.holderID = "R0001"
                $0.teamPartnerID = "P0003"
                $0.servedAtMs = PointsFixtures.novemberMs
                $0.minutes = 90
                $0.description_p = "社区环境清洁"
                $0.evidence = ["oss://a.jpg", "oss://b.jpg"]
            }
        )
        let partner = try parse(
            [
                "records", "add", "--rule", "volunteer-hour", "--partner", "P0003", "--minutes", "45", "--served-at",
                "2025-11-20T01:00Z", "--description", "巡逻",
            ],
            as: Points.Records.Add.self
        ).request(id: "SR-2")
        XCTAssertEqual(partner.holderKind, .partner)
        XCTAssertEqual(partner.minutes, 45)
        XCTAssertEqual(partner.servedAtMs, PointsFixtures.novemberMs, "01:00Z is 09:00 in China")
        XCTAssertEqual(try parse(["records", "confirm", "SR-1"], as: Points.Records.ConfirmRecord.self).id, "SR-1")
        XCTAssertEqual(
            try parse(["records", "reject", "SR-1", "--reason", "签到表缺失"], as: Points.Records.RejectRecord.self)
                .request,
            .with {
                $0.id = "SR-1"
                $0.reason = "签到表缺失"
            }
        )
    }

    func testTheSupermarketBuildsItsRequests() throws {
        XCTAssertEqual(
            try parse(
                [
                    "venues", "put", "V01", "--name", "西溪积分超市", "--community", "330106001001", "--address",
                    "文二西路1号", "--opening-hours", "周二至周日 9:00-17:00",
                ],
                as: Points.Venues.Put.self
            ).request,
            PointsFixtures.venue
        )
        XCTAssertEqual(
            try parse(
                [
                    "goods", "put", "G-rice-5kg", "--venue", "V01", "--name", "大米5kg", "--price", "40", "--stock", "12",
                    "--minimum-balance", "100", "--ledger", "volunteer", "--unit", "袋",
                ],
                as: Points.Goods.Put.self
            ).request,
            .with {
                $0.id = "G-rice-5kg"
                $0.venueID = "V01"
                $0.name = "大米5kg"
                $0.ledger = "volunteer"
                $0.price = 40
                $0.stock = 12
                $0.minimumBalance = 100
                $0.unit = "袋"
                $0.active = true
            }
        )
        XCTAssertEqual(
            try parse(["catalogue", "--venue", "V01", "--for", "volunteer:resident:R0001"], as: Points.Catalogue.self)
                .request,
            .with {
                $0.venueID = "V01"
                $0.affordableForAccount = "volunteer:resident:R0001"
            }
        )
        XCTAssertEqual(
            try parse(
                [
                    "redeem", "volunteer:resident:R0001", "G-rice-5kg", "--quantity", "2", "--timeout", "3d", "--note",
                    "周六取",
                ],
                as: Points.Redeem.self
            ).request(id: "redeem-9"),
            .with {
                $0.id = "redeem-9"
                $0.accountID = "volunteer:resident:R0001"
                $0.goodID = "G-rice-5kg"
                $0.quantity = 2
                $0.timeoutSeconds = 259_200
                $0.note = "周六取"
            }
        )
        XCTAssertEqual(
            try parse(["redeem", "volunteer:resident:R0001", "G-rice-5kg"], as: Points.Redeem.self).request(id: "r")
                .timeoutSeconds,
            0,
            "the plugin's default, 7 days"
        )
        XCTAssertEqual(try parse(["confirm", "redeem-7", "--note", "已领取"], as: Points.Confirm.self).note, "已领取")
        XCTAssertEqual(try parse(["cancel", "redeem-7"], as: Points.Cancel.self).id, "redeem-7")
        XCTAssertEqual(
            try parse(
                ["redemptions", "--state", "held", "--venue", "V01", "--account", "volunteer:resident:R0001"],
                as: Points.Redemptions.self
            ).request,
            .with {
                $0.state = .held
                $0.venueID = "V01"
                $0.accountID = "volunteer:resident:R0001"
            }
        )
    }

    func testReportsTakeTheirPeriodInChinaStandardTime() throws {
        XCTAssertEqual(
            try parse(
                ["expiring", "--within", "30d", "--ledger", "volunteer", "--community", "330106001001"],
                as: Points.Expiring.self
            )
            .request,
            .with {
                $0.withinSeconds = 2_592_000
                $0.ledger = "volunteer"
                $0.communityCode = "330106001001"
            }
        )
        // The fixtures' now is 2025-11-21 23:00 in China: the current month is November.
        let current = try parse(["honour-roll", "--limit", "10"], as: Points.HonourRoll.self).request(nowMs: now)
        XCTAssertEqual(current.fromMs, PointsFixtures.novemberFromMs)
        XCTAssertEqual(current.toMs, PointsFixtures.novemberToMs)
        XCTAssertEqual(current.limit, 10)
        let november = try parse(["report", "--month", "2025-11", "--ledger", "party"], as: Points.Report.self)
            .request(nowMs: now)
        XCTAssertEqual(
            november,
            .with {
                $0.ledger = "party"
                $0.fromMs = PointsFixtures.novemberFromMs
                $0.toMs = PointsFixtures.novemberToMs
            }
        )
        // --to counts its whole day: 1 to 15 November is [11-01 00:00, 11-16 00:00).
        let days = try parse(["export", "--from", "2025-11-01", "--to", "2025-11-15"], as: Points.Export.self)
            .request(nowMs: now)
        XCTAssertEqual(days.fromMs, PointsFixtures.novemberFromMs)
        XCTAssertEqual(days.toMs, 1_763_222_400_000)
        // Months at both ends: October through November.
        let months = try parse(["honour-roll", "--from", "2025-10", "--to", "2025-11"], as: Points.HonourRoll.self)
            .request(nowMs: now)
        XCTAssertEqual(months.fromMs, 1_759_248_000_000)
        XCTAssertEqual(months.toMs, PointsFixtures.novemberToMs)
        // --from alone runs through today (the 21st, in China).
        let sinceFifteenth = try parse(["report", "--from", "2025-11-15"], as: Points.Report.self).request(nowMs: now)
        XCTAssertEqual(sinceFifteenth.toMs, 1_763_740_800_000)
        // December runs into the next year.
        let december = try parse(["report", "--month", "2025-12"], as: Points.Report.self).request(nowMs: now)
        XCTAssertEqual(december.toMs, 1_767_196_800_000)
        XCTAssertEqual(try parse(["export", "--csv", "nov.csv"], as: Points.Export.self).csv, "nov.csv")
        _ = try parse(["verify"], as: Points.Verify.self)
        _ = try parse(["status", "-o", "json"], as: Points.Status.self)
    }

    func testBadValuesAreUsageErrorsThatSayWhatToWrite() async {
        let cases: [([String], String)] = [
            (["ledger", "create", "志愿", "--name", "x"], "error: the ledger's code 志愿 may hold only letters"),
            (["ledger", "create", "party", "--name", "x", "--lot-months", "-1"], "--lot-months must be 0"),
            (
                ["accounts", "open", "volunteer:friend:R1"],
                "error: The value 'volunteer:friend:R1' is invalid for '<id>': write LEDGER:KIND:HOLDER, e.g. "
                    + "volunteer:resident:R0001"
            ),
            (["accounts", "open", "volunteer:resident:"], "say whose account after volunteer:resident:"),
            (["accounts", "open", "volunteer:expiry:x"], "an expiry account is LEDGER:expiry"),
            (
                ["accounts", "open", "v:resident:R1", "v:resident:R2", "--name", "张伟"],
                "error: --name names one holder; open the accounts one at a time to name each"
            ),
            (["accounts", "open", "v:resident:R1", "v:resident:R1"], "error: v:resident:R1 is given twice"),
            (
                ["accounts", "--holder-kind", "owner"],
                "Please provide one of the following:\n  - resident\n  - partner"
            ),
            (["accounts", "--limit", "0"], "error: --limit must be 1 or more"),
            (["balance"], "error: name the account: its id, or --resident, --partner or --person"),
            (
                ["balance", "volunteer:resident:R0001", "--resident", "R0001"],
                "error: give the account's id or its holder, not both"
            ),
            (
                ["balance", "--resident", "R1", "--partner", "P1"],
                "error: give one of --resident, --partner, not several"
            ),
            (["balance", "volunteer:resident:R0001", "--ledger", "party"], "error: --ledger goes with a holder"),
            (["history", "v:resident:R1", "--before", "1"], "error: --before must be 2 or more"),
            (["credit", "--rule", "meeting"], "error: say whom to credit: --resident ID, --partner ID or --person ID"),
            (
                ["credit", "--rule", "meeting", "--resident", "R1", "--amount", "0"],
                "error: --amount must be 1 or more"
            ),
            (["credit", "--rule", "meeting", "--resident", "R1", "--amount", "1.5"], "The value '1.5' is invalid"),
            (
                ["credit", "--rule", "meeting", "--resident", "R1", "--id", "a b"],
                "error: --id a b may hold only letters, digits and . : _ -"
            ),
            (
                ["credit", "--rule", "meeting", "--resident", "R1", "--id", String(repeating: "x", count: 129)],
                "error: --id has 129 characters; at most 128 are allowed"
            ),
            (
                [
                    "transfer", "--from", "volunteer:resident:R1", "--to", "party:resident:R1", "--amount", "5",
                    "--code", "g",
                ],
                "error: --from is of ledger volunteer and --to of ledger party; points never move between ledgers"
            ),
            (
                ["transfer", "--from", "v:resident:R1", "--to", "v:resident:R1", "--amount", "5", "--code", "g"],
                "error: --from and --to are the same account"
            ),
            (
                [
                    "transfer", "--from", "v:resident:R1", "--to", "v:venue:V1", "--amount", "5", "--code", "g",
                    "--timeout", "7d",
                ],
                "error: --timeout goes with --pending"
            ),
            (
                [
                    "transfer", "--from", "v:resident:R1", "--to", "v:venue:V1", "--amount", "5", "--code", "g",
                    "--pending",
                    "--timeout", "a week",
                ],
                "error: The value 'a week' is invalid for '--timeout <duration>': write a whole number and a unit, "
                    + "e.g. 30d, 12h or 90m"
            ),
            (
                ["transfer", "--from", "v:resident:R1", "--to", "v:venue:V1", "--amount", "-5", "--code", "g"],
                "error: --amount must be 1 or more"
            ),
            (["transfers"], "error: Missing expected argument '--file <file>'"),
            (["correct", "t-1"], "error: Missing expected argument '--reason <text>'"),
            (["correct", "t-1", "--reason", " "], "error: --reason needs why the transfer is corrected"),
            (["rules", "put"], "error: give the rule's code and flags, or --file rule.json"),
            (
                ["rules", "put", "r1", "--name", "x"],
                "error: rule r1 needs --ledger, --source, --points"
            ),
            (
                [
                    "rules", "put", "r1", "--ledger", "v", "--name", "x", "--source", "manual", "--points", "5",
                    "--cap", "10",
                ],
                "error: --cap needs --per day, week, month or year"
            ),
            (
                [
                    "rules", "put", "r1", "--ledger", "v", "--name", "x", "--source", "manual", "--points", "5",
                    "--per", "day",
                ],
                "error: --per goes with --cap N"
            ),
            (
                ["rules", "put", "r1", "--ledger", "v", "--name", "x", "--source", "hotline", "--points", "5"],
                "Please provide one of 'manual', 'service-record' or 'grid-case'"
            ),
            (
                [
                    "rules", "put", "r1", "--ledger", "v", "--name", "x", "--source", "manual", "--points", "5",
                    "--include-acceptable",
                ],
                "error: --include-acceptable is for grid-case rules"
            ),
            (
                ["rules", "put", "r1", "--file", "rule.json"],
                "error: give the rule with --file or with CODE and flags, not both"
            ),
            (["records", "--state", "open"], "Please provide one of 'recorded', 'confirmed', 'rejected'"),
            (
                [
                    "records", "add", "--rule", "r", "--resident", "R1", "--served-at", "2025-11-20", "--description",
                    "d",
                ],
                "error: say how long: --minutes N or --hours H"
            ),
            (
                [
                    "records", "add", "--rule", "r", "--resident", "R1", "--hours", "1.33", "--served-at", "2025-11-20",
                    "--description", "d",
                ],
                "1.33 hours is not a whole number of minutes; give --minutes instead"
            ),
            (
                [
                    "records", "add", "--rule", "r", "--resident", "R1", "--hours", "2", "--minutes", "5",
                    "--served-at",
                    "2025-11-20", "--description", "d",
                ],
                "error: give --minutes or --hours, not both"
            ),
            (
                ["records", "add", "--rule", "r", "--hours", "2", "--served-at", "2025-11-20", "--description", "d"],
                "error: say who served: --resident ID or --partner ID"
            ),
            (
                [
                    "records", "add", "--rule", "r", "--resident", "R1", "--hours", "2", "--served-at", "yesterday",
                    "--description", "d",
                ],
                "error: The value 'yesterday' is invalid for '--served-at <time>': write an ISO-8601 time such as "
                    + "2026-11-20T09:30 (China Standard Time)"
            ),
            (
                [
                    "records", "add", "--rule", "r", "--partner", "P1", "--hours", "2", "--served-at", "2025-11-31",
                    "--description", "d",
                ],
                "write an ISO-8601 time"
            ),
            (["records", "reject", "SR-1"], "error: Missing expected argument '--reason <text>'"),
            (["venues", "put", "V 1", "--name", "x", "--community", "c"], "the venue's id V 1 may hold only letters"),
            (
                ["goods", "put", "G1", "--venue", "V01", "--name", "米", "--price", "0", "--stock", "1"],
                "error: --price must be 1 point or more"
            ),
            (
                ["goods", "put", "G1", "--venue", "V01", "--name", "米", "--price", "5", "--stock", "-1"],
                "error: --stock must be 0 or more"
            ),
            (["redeem", "v:resident:R1", "G1", "--quantity", "0"], "error: --quantity must be 1 or more"),
            (["redeem", "v:resident:R1"], "error: Missing expected argument '<good-id>'"),
            (
                ["redemptions", "--state", "pending"],
                "Please provide one of 'held', 'confirmed', 'cancelled' or 'expired'"
            ),
            (["expiring"], "error: Missing expected argument '--within <duration>'"),
            (["expiring", "--within", "0d"], "a duration must be more than zero"),
            (["expiring", "--within", "1w"], "write a whole number and a unit, e.g. 30d, 12h or 90m"),
            (
                ["honour-roll", "--month", "2025-11-01"],
                "error: The value '2025-11-01' is invalid for '--month <month>': write a month as YYYY-MM"
            ),
            (["honour-roll", "--month", "2025-13"], "2025-13 has no month 13"),
            (
                ["honour-roll", "--month", "2025-11", "--from", "2025-11-01"],
                "error: give either --month or --from/--to, not both"
            ),
            (["report", "--to", "2025-11-30"], "error: --to needs --from: the period's first day or month"),
            (["report", "--from", "2025/11/01"], "write a day as YYYY-MM-DD or a month as YYYY-MM"),
            (["report", "--from", "2025-02-29"], "2025-02-29 is not a day of the calendar"),
            (
                ["export", "--from", "2025-11-15", "--to", "2025-11-01"],
                "error: the period from 2025-11-15 to 2025-11-01 ends before it starts"
            ),
            (["export", "--csv", "-"], "error: --csv needs a file name; leave it out to write to standard output"),
        ]
        for (arguments, expected) in cases {
            // No host: a usage error is found before anything is called.
            let console = TestConsole(
                PointsCommandLine.self,
                environment: ["GONGZHI_ADMIN_SOCKET": "/nonexistent/admin.sock"]
            )
            let status = await console.run(["points"] + arguments)
            XCTAssertEqual(status, ControlExitCode.usage, "\(arguments): \(console.errors)")
            XCTAssertTrue(console.errors.contains(expected), "\(arguments): \(console.errors)")
            XCTAssertEqual(console.output, "", "\(arguments)")
        }
    }

    // MARK: Values

    func testDurationsDatesMomentsAndHours() throws {
        XCTAssertEqual(try PointsDuration(parsing: "30d").seconds, 2_592_000)
        XCTAssertEqual(try PointsDuration(parsing: "12h").seconds, 43_200)
        XCTAssertEqual(try PointsDuration(parsing: "90m").seconds, 5_400)
        for bad in ["", "d", "30", "30D", "-3d", "1.5h", "2w", "9999999999d", "0m"] {
            XCTAssertThrowsError(try PointsDuration(parsing: bad), bad)
        }
        XCTAssertEqual(try PointsDate(parsing: "2024-02-29"), PointsDate(year: 2024, month: 2, day: 29))
        XCTAssertEqual(try PointsDate(parsing: "2025-11"), PointsDate(year: 2025, month: 11, day: nil))
        XCTAssertEqual(try PointsDate(parsing: "2025-11").startMs, PointsFixtures.novemberFromMs)
        XCTAssertEqual(try PointsDate(parsing: "2025-11").endMs, PointsFixtures.novemberToMs)
        XCTAssertEqual(try PointsDate(parsing: "2025-11-30").endMs, PointsFixtures.novemberToMs)
        for bad in ["2025", "2025-1", "2025-11-1", "25-11", "2025-00", "2025-11-31", "2025-11-00", "2025-11-01T00:00"] {
            XCTAssertThrowsError(try PointsDate(parsing: bad), bad)
        }
        for (text, ms) in [
            ("2025-11-20", Int64(1_763_568_000_000)), ("2025-11-20T09:00", PointsFixtures.novemberMs),
            ("2025-11-20 09:00:30", PointsFixtures.novemberMs + 30_000),
            ("2025-11-20T01:00Z", PointsFixtures.novemberMs),
            ("2025-11-20T09:00+08:00", PointsFixtures.novemberMs), ("2025-11-20T02:00+0100", PointsFixtures.novemberMs),
            ("2025-11-19T20:00-05", PointsFixtures.novemberMs),
        ] {
            XCTAssertEqual(try PointsMoment(parsing: text).milliseconds, ms, text)
        }
        for bad in [
            "", "2025-11-20T9:00", "2025-11-20T24:00", "2025-11-20T09", "2025-11-20X09:00", "2025-11-20T09:00+8",
        ] {
            XCTAssertThrowsError(try PointsMoment(parsing: bad), bad)
        }
        XCTAssertEqual(try ServiceHours(parsing: "2").minutes, 120)
        XCTAssertEqual(try ServiceHours(parsing: "1.5").minutes, 90)
        XCTAssertEqual(try ServiceHours(parsing: "0.25").minutes, 15)
        XCTAssertEqual(try ServiceHours(parsing: "0.05").minutes, 3)
        for bad in ["", "0", "1.", ".5", "1.333", "1,5", "-1", "1.33"] {
            XCTAssertThrowsError(try ServiceHours(parsing: bad), bad)
        }
        let account = try PointsAccountID(parsing: "volunteer:issuer:330106001001")
        XCTAssertEqual(account.kind, .issuer)
        XCTAssertEqual(account.text, "volunteer:issuer:330106001001")
        XCTAssertEqual(
            try PointsAccountID(parsing: "volunteer:venue:V:01").holderID,
            "V:01",
            "the holder keeps its colons"
        )
        XCTAssertEqual(try PointsAccountID(parsing: "party:expiry").text, "party:expiry")
        for bad in ["volunteer", ":resident:R1", "volunteer:Resident:R1", "volunteer:resident"] {
            XCTAssertThrowsError(try PointsAccountID(parsing: bad), bad)
        }
    }

    func testChinaStandardTimeShowsTheLedgersCalendar() {
        XCTAssertEqual(ChinaStandardTime.minute(now), "2025-11-21 23:00")
        XCTAssertEqual(ChinaStandardTime.date(now + 3_600_000), "2025-11-22", "midnight in China")
        XCTAssertEqual(ChinaStandardTime.minute(0), "-")
        XCTAssertEqual(ChinaStandardTime.minute(-1), "1970-01-01 07:59")
        let november = (PointsFixtures.novemberFromMs, PointsFixtures.novemberToMs)
        XCTAssertEqual(ChinaStandardTime.period(fromMs: november.0, toMs: november.1), "2025-11")
        XCTAssertEqual(ChinaStandardTime.period(fromMs: november.0, toMs: 1_763_222_400_000), "2025-11-01 – 2025-11-15")
        XCTAssertEqual(ChinaStandardTime.period(fromMs: november.0, toMs: november.0 + 86_400_000), "2025-11-01")
        XCTAssertEqual(
            ChinaStandardTime.period(fromMs: november.0, toMs: now),
            "2025-11-01 00:00 – 2025-11-21 23:00"
        )
        XCTAssertEqual(ChinaStandardTime.period(fromMs: 1_759_248_000_000, toMs: november.1), "2025-10-01 – 2025-11-30")
    }

    // MARK: Output

    func testAccountsAndBalanceTables() {
        XCTAssertEqual(
            PointsOutput.ledgers(PointsFixtures.ledgers),
            """
            CODE       NAME        POINTS EXPIRE          CREATED
            volunteer  志愿者积分  end of the 12th month  2025-01-15 10:00
            party      党员积分    never                  2025-01-15 10:00

            """
        )
        XCTAssertEqual(
            PointsOutput.ledger(PointsFixtures.ledgers.ledgers[0]),
            "ledger volunteer (志愿者积分): points expire at the end of the 12th month after the month they are "
                + "earned in\n"
        )
        XCTAssertEqual(
            PointsOutput.accounts(.with { $0.accounts = [PointsFixtures.resident, PointsFixtures.issuer] }),
            """
            ACCOUNT                        HOLDER    COMMUNITY     BALANCE  AVAILABLE  PENDING  STATE
            volunteer:resident:R0001       张伟      330106001001  120      80         -40      open
            volunteer:issuer:330106001001  西溪社区  330106001001  -12,400  -12,400    -        open

            2 accounts

            """
        )
        XCTAssertEqual(PointsOutput.accounts(.init()), "no accounts match\n")
        XCTAssertEqual(
            PointsOutput.balance(PointsFixtures.resident, time: time),
            """
            account:          volunteer:resident:R0001
            holder:           张伟 (resident R0001)
            ledger:           volunteer
            community:        330106001001
            balance:          120
            available:        80
            pending debits:   40 (held)
            pending credits:  0
            state:            open
            opened:           2025-01-15 10:00

            Lots (spent oldest first):
            EARNED            POINTS  LEFT  HELD  EXPIRES                        TRANSFER
            2025-01-15 10:00  100     20    20    2026-02-01 00:00 (in 71d 1h)   credit-20250115T100000-0a1b2c3d
            2025-11-20 09:00  100     100   20    2026-12-01 00:00 (in 374d 1h)  SR-1120-01

            """
        )
        let issuer = PointsOutput.balance(PointsFixtures.issuer, time: time)
        XCTAssertTrue(issuer.contains("holder:           西溪社区 (issuer 330106001001)\n"), issuer)
        XCTAssertFalse(issuer.contains("Lots"), "an issuing account has no lots")
        var closed = PointsFixtures.resident.account
        closed.closed = true
        XCTAssertEqual(
            PointsOutput.closed(closed),
            "volunteer:resident:R0001 closed: it takes no new transfers (pending ones may still be voided)\n"
        )
        XCTAssertEqual(
            PointsOutput.closed(PointsFixtures.resident.account),
            "volunteer:resident:R0001 reopened: it takes transfers again\n"
        )
    }

    func testHistoryShowsWhichWayThePointsWent() {
        let response = Gongzhi_Points_V1_HistoryResponse.with {
            $0.account = PointsFixtures.resident
            $0.transfers = [PointsFixtures.held, PointsFixtures.credit]
        }
        XCTAssertEqual(
            PointsOutput.history(response, limit: 2),
            """
            volunteer:resident:R0001 张伟 (resident R0001): balance 120, available 80

            SEQ   WHEN              AMOUNT  CODE            OTHER ACCOUNT                  ID          NOTE
            1204  2025-11-21 20:00  -40     redemption      volunteer:venue:V01            redeem-7    pending
            1203  2025-11-20 09:00  +20     volunteer-hour  volunteer:issuer:330106001001  SR-1120-01  service record SR-1120-01

            the transfers before these: --before 1203

            """
        )
        XCTAssertFalse(PointsOutput.history(response, limit: 20).contains("--before"), "the whole history fits")
        XCTAssertTrue(
            PointsOutput.history(.with { $0.account = PointsFixtures.resident }, limit: nil).hasSuffix("no transfers\n")
        )
    }

    func testResultsInWords() {
        let ok = Gongzhi_Points_V1_TransferResult.with {
            $0.id = "g-1"
            $0.result = .ok
            $0.transfer = PointsFixtures.credit
        }
        XCTAssertEqual(
            PointsOutput.resultLine(ok),
            "g-1: ok: 20 points volunteer:issuer:330106001001 → volunteer:resident:R0001"
        )
        var again = ok
        again.result = .exists
        XCTAssertEqual(
            PointsOutput.resultLine(again),
            "g-1: exists (recorded earlier with this id; nothing new was written): 20 points "
                + "volunteer:issuer:330106001001 → volunteer:resident:R0001"
        )
        XCTAssertEqual(
            PointsOutput.resultLine(
                .with {
                    $0.id = "g-2"
                    $0.result = .exceedsCredits
                    $0.shortfall = 40
                    $0.message = "volunteer:resident:R0001 has 80 points available"
                }
            ),
            "g-2: exceeds credits: short by 40 points (volunteer:resident:R0001 has 80 points available)"
        )
        XCTAssertEqual(
            PointsOutput.resultLine(
                .with {
                    $0.id = "c-1"
                    $0.result = .capReached
                    $0.cap = 100
                    $0.period = .month
                    $0.earned = 95
                }
            ),
            "c-1: cap reached: at most 100 a month, 95 earned"
        )
        XCTAssertEqual(
            PointsOutput.resultLine(
                .with {
                    $0.index = 3
                    $0.result = .accountNotFound
                    $0.field = "credit_account_id"
                }
            ),
            "transfer 4: account not found (credit_account_id)"
        )
        XCTAssertEqual(
            PointsOutput.resultLine(
                .with {
                    $0.id = "g-1"
                    $0.result = .existsWithDifferentField
                    $0.field = "amount"
                    $0.message = "g-1 was recorded with amount 20"
                }
            ),
            "g-1: exists with a different amount (g-1 was recorded with amount 20)"
        )
        XCTAssertEqual(
            PointsOutput.resultLine(
                .with {
                    $0.id = "g-3"
                    $0.result = .linkedEventFailed
                    $0.message = "g-2 of its chain failed: exceeds credits"
                }
            ),
            "g-3: linked event failed (g-2 of its chain failed: exceeds credits)"
        )
        // Every code has its words.
        for number in 0...36 {
            let words = PointsOutput.words(Gongzhi_Points_V1_Result(rawValue: number)!, field: "")
            XCTAssertFalse(words.isEmpty || words.hasPrefix("result "), "\(number): \(words)")
            XCTAssertEqual(words, words.lowercased(), "\(number)")
        }
        XCTAssertEqual(PointsOutput.words(.UNRECOGNIZED(99), field: ""), "result 99")

        XCTAssertEqual(PointsOutput.summary(PointsFixtures.held).hasSuffix(", pending (voids itself after 7d)"), true)
        XCTAssertEqual(
            PointsOutput.summary(
                .with {
                    $0.postPending = true
                    $0.pendingID = "redeem-7"
                }
            ),
            "posts pending redeem-7"
        )
        XCTAssertEqual(
            PointsOutput.summary(
                .with {
                    $0.voidPending = true
                    $0.pendingID = "redeem-7"
                }
            ),
            "voids pending redeem-7"
        )
        XCTAssertEqual(
            PointsOutput.transfers(
                .with {
                    $0.results = [ok]
                    $0.balances = [PointsFixtures.issuer, PointsFixtures.resident]
                },
                time: time
            ),
            """
            g-1: ok: 20 points volunteer:issuer:330106001001 → volunteer:resident:R0001

            ACCOUNT                        HOLDER    BALANCE  AVAILABLE  PENDING
            volunteer:issuer:330106001001  西溪社区  -12,400  -12,400    -
            volunteer:resident:R0001       张伟      120      80         -40

            """
        )
    }

    func testRulesRecordsAndTheSupermarket() {
        XCTAssertEqual(
            PointsOutput.rules(PointsFixtures.rules),
            """
            CODE            NAME          LEDGER     SOURCE          POINTS             CAP          EVIDENCE  STATUS
            volunteer-hour  志愿服务      volunteer  service-record  10 points an hour  100 a month  签到表    active
            case-satisfied  网格案件满意  volunteer  grid-case       5 points           -            -         idle: the grid module is not deployed

            """
        )
        XCTAssertEqual(
            PointsOutput.rule(PointsFixtures.rules.rules[0].rule),
            "rule volunteer-hour (志愿服务) saved: 10 points an hour on ledger volunteer from service-record, at most "
                + "100 a month; active\n"
        )
        XCTAssertEqual(
            PointsOutput.records(.with { $0.records = [PointsFixtures.record] }),
            """
            ID          STATE     HOLDER                 RULE            SERVED            TIME  POINTS  RECORDED BY  CONFIRMED BY
            SR-1120-01  recorded  张伟 (resident R0001)  volunteer-hour  2025-11-20 09:00  2h    -       wang-fang    -

            """
        )
        var record = PointsFixtures.record
        XCTAssertEqual(
            PointsOutput.record(record),
            "SR-1120-01 recorded: 2h of service by 张伟 (resident R0001) on 2025-11-20 09:00 under rule "
                + "volunteer-hour; waiting to be confirmed (by a team leader or staff, not by them)\n"
        )
        record.state = .credited
        record.confirmedBy = "li-qiang"
        record.points = 20
        record.transferID = "SR-1120-01"
        XCTAssertEqual(
            PointsOutput.record(record),
            "SR-1120-01 confirmed by li-qiang and credited: 20 points to 张伟 (resident R0001) (transfer SR-1120-01)\n"
        )
        record.state = .notCredited
        record.creditResult = "cap reached: at most 100 a month, 100 earned"
        XCTAssertEqual(
            PointsOutput.record(record),
            "SR-1120-01 confirmed by li-qiang but not credited: cap reached: at most 100 a month, 100 earned\n"
        )
        record.state = .rejected
        record.rejectionReason = "签到表缺失"
        XCTAssertEqual(PointsOutput.record(record), "SR-1120-01 rejected: 签到表缺失\n")

        XCTAssertEqual(PointsOutput.venue(PointsFixtures.venue), "venue V01 saved: 西溪积分超市, community 330106001001\n")
        XCTAssertEqual(
            PointsOutput.good(PointsFixtures.good),
            "good G-rice-5kg saved: 大米5kg at venue V01, 40 points each, 12 in stock (1 reserved), for balances of "
                + "100 or more\n"
        )
        XCTAssertEqual(
            PointsOutput.catalogue(
                .with {
                    $0.venues = [PointsFixtures.venue]
                    $0.goods = [PointsFixtures.good]
                }
            ),
            """
            VENUE  NAME          COMMUNITY     ADDRESS      OPENING HOURS
            V01    西溪积分超市  330106001001  文二西路1号  周二至周日 9:00-17:00

            GOOD        NAME     VENUE  PRICE  LEFT  MINIMUM BALANCE  LEDGER
            G-rice-5kg  大米5kg  V01    40     11    100              volunteer

            """
        )
        let held = Gongzhi_Points_V1_RedemptionResult.with {
            $0.redemption = PointsFixtures.redemption
            $0.balance = PointsFixtures.resident
        }
        XCTAssertEqual(
            PointsOutput.redemption(held, time: time),
            """
            redeem-7 held: 1 × 大米5kg (G-rice-5kg) for 40 points at venue V01; confirm the hand-over by 2025-11-28 20:00 (in 6d 21h), or it is cancelled
            volunteer:resident:R0001: balance 120, available 80

            """
        )
        var confirmed = held
        confirmed.redemption.state = .confirmed
        XCTAssertTrue(
            PointsOutput.redemption(confirmed, time: time).hasPrefix(
                "redeem-7 confirmed: 1 × 大米5kg (G-rice-5kg) handed over, 40 points posted to venue V01\n"
            )
        )
        confirmed.redemption.state = .cancelled
        XCTAssertTrue(
            PointsOutput.redemption(confirmed, time: time).hasPrefix(
                "redeem-7 cancelled: 40 points released to volunteer:resident:R0001\n"
            )
        )
        XCTAssertEqual(
            PointsOutput.redemptions(.with { $0.redemptions = [PointsFixtures.redemption] }, time: time),
            """
            ID        STATE  ACCOUNT                   HOLDER  GOOD     QTY  POINTS  VENUE  HELD              EXPIRES/RESOLVED
            redeem-7  held   volunteer:resident:R0001  张伟    大米5kg  1    40      V01    2025-11-21 20:00  expires in 6d 21h

            """
        )
    }

    func testExpiryHonourRollReportsAndVerification() {
        XCTAssertEqual(
            PointsOutput.expiring(PointsFixtures.expiring, within: 2_592_000 * 3, time: time),
            """
            ACCOUNT                   HOLDER      COMMUNITY     POINTS  EXPIRES
            volunteer:resident:R0001  张伟        330106001001  20      2026-02-01 00:00 (in 71d 1h)
            volunteer:partner:P0003   绿城志愿队  330106001001  1,150   2026-02-01 00:00 (in 71d 1h)

            1,170 points of 2 accounts expire within 90d

            """
        )
        XCTAssertEqual(PointsOutput.expiring(.init(), within: 2_592_000, time: time), "no points expire within 30d\n")
        XCTAssertEqual(
            PointsOutput.honourRoll(PointsFixtures.honourRoll),
            """
            光荣榜 2025-11
            RANK  HOLDER      KIND      ID     COMMUNITY     POINTS
            1     绿城志愿队  partner   P0003  330106001001  1,320
            2     张伟        resident  R0001  330106001001  120

            """
        )
        XCTAssertEqual(
            PointsOutput.report(PointsFixtures.report),
            """
            period:    2025-11
            issued:    2,440
            redeemed:  880
            expired:   35

            GROUP  KEY    NAME          POINTS  TRANSFERS
            team   P0003  绿城志愿队    1,320   66
            venue  V01    西溪积分超市  880     22

            """
        )
        let head = PointsOutput.hex(PointsFixtures.headHash)
        XCTAssertEqual(head.count, 64)
        XCTAssertTrue(head.hasPrefix("00070e151c232a31"), head)
        XCTAssertEqual(
            PointsOutput.verified(
                .with {
                    $0.ok = true
                    $0.transfers = 1_204
                    $0.accounts = 388
                    $0.headHash = PointsFixtures.headHash
                }
            ),
            "ledger verified: 1,204 transfers, 388 accounts, head \(head)\n"
        )
        XCTAssertEqual(
            PointsOutput.verified(
                .with {
                    $0.transfers = 1_204
                    $0.firstBadAccountID = "volunteer:resident:R0001"
                    $0.problem = "its balance is 120 but its transfers come to 140"
                }
            ),
            "ledger does NOT verify at account volunteer:resident:R0001: its balance is 120 but its transfers come to "
                + "140 (1,204 transfers checked)\n"
        )
        XCTAssertEqual(
            PointsOutput.status(PointsFixtures.status),
            """
            transfers:          1,204
            accounts:           388
            pending transfers:  3
            held redemptions:   2
            chain head:         sequence 1204, \(head)
            integrations:       service records: live
                                grid cases: idle, the grid module is not deployed

            """
        )
        XCTAssertEqual(PointsOutput.ordinal(1), "1st")
        XCTAssertEqual(PointsOutput.ordinal(12), "12th")
        XCTAssertEqual(PointsOutput.ordinal(22), "22nd")
        XCTAssertEqual(PointsOutput.ordinal(113), "113th")
    }
}
