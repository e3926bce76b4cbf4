import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// The honour roll, a period's totals and the CSV export.
final class PointsReportsTests: XCTestCase {
    typealias F = PointsFixtures

    /// March's earnings: Carol 50 (another community), Alice 30, Bob 35 less a correction of 5, the team 20, the
    /// neighbour 12, the worker 10; a gift, a redemption and points earned in April.
    func bookWithMarch() -> PointsBook {
        var book = F.book()
        XCTAssertResult(book.grant("carol", to: F.carol, 50, from: F.otherIssuer, now: F.t0), .ok)
        XCTAssertResult(book.grant("alice1", to: F.alice, 20, now: F.t0), .ok)
        XCTAssertResult(book.grant("alice2", to: F.alice, 10, rule: "volunteer-hour", now: F.t0 + F.day), .ok)
        let bob = book.grant("bob", to: F.bob, 35, rule: "grid-case", now: F.t0)
        XCTAssertResult(bob, .ok)
        XCTAssertResult(book.submit(F.reversal("bob-fix", of: bob.transfer, 5), now: F.t0 + F.hour), .ok)
        XCTAssertResult(book.grant("team", to: F.team, 20, rule: "grid-case", now: F.t0), .ok)
        XCTAssertResult(book.grant("neighbour", to: F.neighbour, 12, now: F.t0), .ok)
        XCTAssertResult(book.grant("worker", to: F.worker, 10, now: F.t0), .ok)
        // Not earnings: a gift, and a redemption.
        XCTAssertResult(book.submit(F.transfer("gift", from: F.carol, to: F.worker, 40), now: F.t0), .ok)
        XCTAssertNotNil(try? book.put(good: F.good("rice", price: 7, stock: 9), now: F.t0).get())
        _ = book.redeem(
            id: "r1",
            accountID: F.alice,
            goodID: "rice",
            quantity: 2,
            timeoutSeconds: 0,
            note: "",
            now: F.t0,
            by: "person:li-mei"
        )
        _ = book.resolve("r1", confirm: true, now: F.t0 + 1, by: "person:clerk", note: "")
        _ = book.redeem(
            id: "r2",
            accountID: F.bob,
            goodID: "rice",
            quantity: 1,
            timeoutSeconds: 0,
            note: "",
            now: F.t0,
            by: "person:wang"
        )
        // April.
        XCTAssertResult(book.grant("april", to: F.team, 100, now: F.april), .ok)
        return book
    }

    func testTheHonourRollRanksEarningsLessCorrectionsAndTiesShareARank() {
        let book = bookWithMarch()
        let march = (from: Int64(1_772_294_400_000), to: F.april)
        let roll = book.honourRoll(ledger: "volunteer", community: "", from: march.from, to: march.to, limit: 10)
        XCTAssertEqual(roll.map(\.accountID), [F.carol, F.alice, F.bob, F.team, F.neighbour, F.worker])
        XCTAssertEqual(roll.map(\.points), [50, 30, 30, 20, 12, 10])
        XCTAssertEqual(roll.map(\.rank), [1, 2, 2, 4, 5, 6])
        XCTAssertEqual(roll[1].holderName, "李梅")
        XCTAssertEqual(roll[1].holderKind, .resident)
        XCTAssertEqual(roll[1].holderID, "R0001")
        XCTAssertEqual(roll[1].communityCode, F.community)

        let ours = book.honourRoll(
            ledger: "volunteer",
            community: F.community,
            from: march.from,
            to: march.to,
            limit: 3
        )
        XCTAssertEqual(ours.map(\.accountID), [F.alice, F.bob, F.team])
        XCTAssertEqual(ours.map(\.rank), [1, 1, 3])

        let april = book.honourRoll(ledger: "volunteer", community: "", from: F.april, to: F.april + F.day, limit: 10)
        XCTAssertEqual(april.map(\.accountID), [F.team])
        XCTAssertEqual(april.map(\.points), [100])
        XCTAssertEqual(book.honourRoll(ledger: "party", community: "", from: march.from, to: march.to, limit: 10), [])
    }

    func testTheReportTotalsAPeriod() {
        let book = bookWithMarch()
        let report = book.report(ledger: "volunteer", from: 1_772_294_400_000, to: F.april)
        XCTAssertEqual(report.fromMs, 1_772_294_400_000)
        XCTAssertEqual(report.toMs, F.april)
        XCTAssertEqual(report.issued, 50 + 30 + 35 - 5 + 20 + 12 + 10)
        XCTAssertEqual(report.redeemed, 14, "the confirmed redemption; the held one is not redeemed yet")
        XCTAssertEqual(report.expired, 0)

        func row(_ group: String, _ key: String) -> Gongzhi_Points_V1_ReportRow? {
            report.rows.first { $0.group == group && $0.key == key }
        }
        XCTAssertEqual(row("rule", "deliberation")?.points, 50 + 20 + 12 + 10)
        XCTAssertEqual(row("rule", "deliberation")?.transfers, 4)
        XCTAssertEqual(row("rule", "grid-case")?.points, 55)
        XCTAssertEqual(row("rule", "volunteer-hour")?.points, 10)
        XCTAssertEqual(row("rule", "correction")?.points, -5)
        XCTAssertEqual(row("community", F.community)?.points, 30 + 35 + 20 + 12 + 10)
        XCTAssertEqual(row("community", F.community)?.name, "东新社区")
        XCTAssertEqual(row("community", F.otherCommunity)?.points, 50)
        XCTAssertEqual(row("partner-type", "team")?.points, 20)
        XCTAssertEqual(row("partner-type", "neighbour")?.points, 12)
        XCTAssertEqual(row("team", "P0003")?.points, 20)
        XCTAssertEqual(row("team", "P0003")?.name, "红马甲志愿队")
        XCTAssertNil(row("team", "P0004"), "a neighbour is no team")
        XCTAssertEqual(row("venue", "V1")?.points, 14)
        XCTAssertEqual(row("venue", "V1")?.transfers, 1)
        let groups = report.rows.map(\.group)
        XCTAssertEqual(groups, groups.sorted(), "rows come grouped")

        // A year on, March's points expire.
        var later = book
        _ = later.sweep(now: F.marchLotsExpire)
        let expiry = later.report(ledger: "volunteer", from: F.marchLotsExpire, to: F.marchLotsExpire + 1)
        XCTAssertEqual(expiry.expired, later.postedBalance(F.expiry))
        XCTAssertGreaterThan(expiry.expired, 0)
        XCTAssertEqual(expiry.issued, 0)
    }

    func testTheCSVExportHasAHeaderAndQuotesWhatNeedsIt() {
        var book = F.book()
        XCTAssertResult(
            book.submit(
                F.transfer("t1", from: F.issuer, to: F.alice, 5, code: "deliberation") {
                    $0.memo = "议事会, \"楼道\" 改造\nsecond line"
                    $0.reference = "plain"
                },
                now: F.t0
            ),
            .ok
        )
        XCTAssertResult(
            book.submit(F.transfer("t2", from: F.alice, to: F.venue, 2) { $0.pending = true }, now: F.t0 + 1),
            .ok
        )
        XCTAssertResult(
            book.grant("t3", to: F.partyAlice, 1, rule: "party-duty", from: F.partyIssuer, now: F.t0 + 2),
            .ok
        )
        XCTAssertResult(book.grant("t4", to: F.alice, 1, now: F.april), .ok)

        let export = book.exportCSV(ledger: "volunteer", from: F.t0, to: F.april)
        XCTAssertEqual(export.count, 2)
        let header =
            "sequence,id,time,ledger,code,kind,debit_account,credit_account,amount,pending_id,reverses_id,reference,memo,"
            + "recorded_by,hash"
        XCTAssertTrue(export.csv.hasPrefix(header + "\r\n"))
        XCTAssertTrue(export.csv.hasSuffix("\r\n"))
        let t1 = book.transfer("t1")!
        let t2 = book.transfer("t2")!
        let expected =
            header + "\r\n"
            + "1,t1,2026-03-10 10:00:00,volunteer,deliberation,posted,\(F.issuer),\(F.alice),5,,,plain,"
            + "\"议事会, \"\"楼道\"\" 改造\nsecond line\",\(F.staff),\(TransferHash.hex(t1.hash))\r\n"
            + "2,t2,2026-03-10 10:00:00,volunteer,gift,pending,\(F.alice),\(F.venue),2,,,,,\(F.staff),"
            + "\(TransferHash.hex(t2.hash))\r\n"
        XCTAssertEqual(export.csv, expected)
        XCTAssertEqual(book.exportCSV(ledger: "", from: F.t0, to: F.april).count, 3)
        XCTAssertEqual(book.exportCSV(ledger: "volunteer", from: 0, to: Int64.max).count, 3)
        XCTAssertEqual(book.exportCSV(ledger: "volunteer", from: F.t0 + 1, to: F.t0 + 2).count, 1)
        XCTAssertEqual(book.exportCSV(ledger: "party", from: F.april, to: Int64.max).csv, header + "\r\n")

        XCTAssertEqual(PointsBook.csvField("plain"), "plain")
        XCTAssertEqual(PointsBook.csvField("a,b"), "\"a,b\"")
        XCTAssertEqual(PointsBook.csvField("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(PointsBook.csvField("a\r\nb"), "\"a\r\nb\"", "a CRLF is one Character in Swift")
        XCTAssertEqual(PointsBook.csvField("\r"), "\"\r\"")
        XCTAssertEqual(
            PointsBook.csvField("\"\u{301}"),
            "\"\"\"\u{301}\"",
            "a quote with a combining mark is one Character, and still doubled"
        )
        XCTAssertEqual(PointsBook.csvField("楼道"), "楼道")
        XCTAssertEqual(PointsBook.csvField(""), "")
    }

    func testTimestampsAreWrittenInChinaTime() {
        XCTAssertEqual(PointsBook.timestamp(F.t0), "2026-03-10 10:00:00")
        XCTAssertEqual(PointsBook.timestamp(F.t0 + 61_999), "2026-03-10 10:01:01")
        XCTAssertEqual(PointsBook.timestamp(0), "1970-01-01 08:00:00")
        XCTAssertEqual(PointsBook.timestamp(-28_800_000), "1970-01-01 00:00:00")
        XCTAssertEqual(PointsBook.timestamp(-28_800_001), "1969-12-31 23:59:59")
        XCTAssertEqual(PointsBook.timestamp(-28_801_500), "1969-12-31 23:59:58")
    }
}
