import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Lots: points granted in one month expire together at the end of the ledger's months, are spent soonest-expiring
/// first, and expire as explicit transfers to the ledger's expiry account — never spent once due.
final class LotTests: XCTestCase {
    typealias F = PointsFixtures

    /// 2026-03-31 23:59:59.999 in China: still March.
    let endOfMarch: Int64 = 1_774_972_800_000 - 1
    /// 2027-05-01 00:00 in China: when April 2026's points expire.
    let aprilLotsExpire: Int64 = 1_809_100_800_000

    func testCreditsExpiringInOneMonthJoinOneLot() {
        var book = F.book()
        XCTAssertResult(book.grant("m1", to: F.alice, 10, now: F.t0), .ok)
        XCTAssertResult(book.grant("m2", to: F.alice, 5, now: endOfMarch), .ok)
        XCTAssertResult(book.grant("a1", to: F.alice, 7, now: F.april), .ok)
        XCTAssertResult(
            book.submit(
                F.transfer("x1", from: F.issuer, to: F.alice, 3, code: "deliberation") {
                    $0.expiresAtMs = F.t0 + F.day
                },
                now: F.t0
            ),
            .ok
        )
        let lots = book.lots(of: F.alice)
        XCTAssertEqual(lots.map(\.expiresAtMs), [F.t0 + F.day, F.marchLotsExpire, aprilLotsExpire])
        XCTAssertEqual(lots.map(\.amount), [3, 15, 7])
        XCTAssertEqual(lots.map(\.remaining), [3, 15, 7])
        XCTAssertEqual(lots.map(\.transferID), ["x1", "m1", "a1"])
        XCTAssertEqual(lots.map(\.earnedAtMs), [F.t0, F.t0, F.april])

        // A ledger whose points never expire keeps one lot that never expires.
        XCTAssertResult(book.grant("p1", to: F.partyAlice, 4, rule: "party-duty", from: F.partyIssuer, now: F.t0), .ok)
        XCTAssertResult(
            book.grant("p2", to: F.partyAlice, 6, rule: "party-duty", from: F.partyIssuer, now: F.april),
            .ok
        )
        XCTAssertEqual(book.lots(of: F.partyAlice).map(\.expiresAtMs), [0])
        XCTAssertEqual(book.lots(of: F.partyAlice).map(\.remaining), [10])
        // Issuers and venues keep no lots.
        XCTAssertEqual(book.lots(of: F.issuer), [])
    }

    func testPointsAreSpentSoonestExpiringFirstAndLotsThatNeverExpireLast() {
        var book = F.book()
        XCTAssertResult(book.grant("a1", to: F.alice, 7, now: F.april), .ok)
        XCTAssertResult(book.grant("m1", to: F.alice, 10, now: F.t0), .ok)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [10, 7])
        XCTAssertEqual(book.lots(of: F.alice).map(\.expiresAtMs), [F.marchLotsExpire, aprilLotsExpire])

        XCTAssertResult(book.submit(F.transfer("s1", from: F.alice, to: F.bob, 8), now: F.april + 1), .ok)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [2, 7])
        XCTAssertResult(book.submit(F.transfer("s2", from: F.alice, to: F.bob, 5), now: F.april + 2), .ok)
        XCTAssertEqual(book.lots(of: F.alice).map(\.expiresAtMs), [aprilLotsExpire], "an empty lot is dropped")
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [4])
        // Bob's points from Alice expire by the ledger's rule from when he got them.
        XCTAssertEqual(book.lots(of: F.bob).map(\.amount), [13])
        XCTAssertEqual(book.lots(of: F.bob).map(\.expiresAtMs), [aprilLotsExpire])

        // Points that never expire are spent after those that do.
        var party = F.book()
        XCTAssertResult(
            party.grant("p1", to: F.partyAlice, 10, rule: "party-duty", from: F.partyIssuer, now: F.t0),
            .ok
        )
        XCTAssertResult(
            party.submit(
                F.transfer("p2", from: F.partyIssuer, to: F.partyAlice, 4, code: "party-duty") {
                    $0.expiresAtMs = F.april
                },
                now: F.t0
            ),
            .ok
        )
        XCTAssertEqual(party.lots(of: F.partyAlice).map(\.expiresAtMs), [F.april, 0])
        XCTAssertResult(
            party.submit(F.transfer("p3", from: F.partyAlice, to: F.partyIssuer, 5, code: "returned"), now: F.t0),
            .ok
        )
        XCTAssertEqual(party.lots(of: F.partyAlice).map(\.expiresAtMs), [0])
        XCTAssertEqual(party.lots(of: F.partyAlice).map(\.remaining), [9])
    }

    func testTheSweepExpiresExactlyTheDueRemainingPointsWithAnExplicitTransfer() {
        var book = F.book()
        XCTAssertResult(book.grant("m1", to: F.alice, 10, now: F.t0), .ok)
        XCTAssertResult(book.grant("m2", to: F.bob, 6, now: F.t0), .ok)
        XCTAssertResult(book.grant("a1", to: F.alice, 7, now: F.april), .ok)
        XCTAssertResult(book.submit(F.transfer("s1", from: F.alice, to: F.carol, 4), now: F.april), .ok)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [6, 7])

        XCTAssertEqual(book.sweep(now: F.marchLotsExpire - 1), PointsBook.Sweep(), "nothing is due a moment before")
        XCTAssertNil(book.accounts[F.expiry])
        _ = book.takeChanges()

        let swept = book.sweep(now: F.marchLotsExpire)
        XCTAssertEqual(swept.expiredAccounts, 2)
        XCTAssertEqual(swept.expiredPoints, 12)
        XCTAssertEqual(book.postedBalance(F.alice), 7)
        XCTAssertEqual(book.postedBalance(F.bob), 0)
        XCTAssertEqual(book.postedBalance(F.expiry), 12)
        XCTAssertEqual(book.lots(of: F.alice).map(\.expiresAtMs), [aprilLotsExpire])
        XCTAssertEqual(book.lots(of: F.bob), [])
        XCTAssertEqual(book.accounts[F.expiry]?.holderKind, .expiry)

        let expiries = book.transfers.filter { $0.code == PointsBook.expiryCode }
        XCTAssertEqual(expiries.map(\.debitAccountID), [F.alice, F.bob])
        XCTAssertEqual(expiries.map(\.creditAccountID), [F.expiry, F.expiry])
        XCTAssertEqual(expiries.map(\.amount), [6, 6])
        XCTAssertEqual(expiries.map(\.recordedBy), [PointsBook.systemActor, PointsBook.systemActor])
        XCTAssertEqual(expiries.map(\.timestampMs), [F.marchLotsExpire, F.marchLotsExpire])
        XCTAssertTrue(expiries[0].memo.contains("6 of 2026-03-10"), expiries[0].memo)
        XCTAssertEqual(book.changes.transfers.map(\.id), expiries.map(\.id))
        XCTAssertTrue(book.changes.accounts.isSuperset(of: [F.alice, F.bob, F.expiry]))

        XCTAssertEqual(book.postedBalance(F.carol), 4, "points passed on expire by when they were received")
        XCTAssertEqual(book.sweep(now: F.marchLotsExpire + F.day), PointsBook.Sweep(), "expired once")
        XCTAssertEqual(book.sweep(now: aprilLotsExpire).expiredPoints, 7 + 4)
        XCTAssertEqual(book.postedBalance(F.alice), 0)
        XCTAssertEqual(book.postedBalance(F.carol), 0)
        XCTAssertEqual(book.postedBalance(F.expiry), 12 + 11)
        XCTAssertTrue(LedgerVerification.verify(transfers: book.transfers, accounts: Array(book.accounts.values)).ok)
    }

    func testADebitExpiresDueLotsFirstSoExpiredPointsAreNeverSpent() {
        var book = F.book()
        XCTAssertResult(book.grant("m1", to: F.alice, 30, now: F.t0), .ok)
        XCTAssertResult(book.grant("a1", to: F.alice, 10, now: F.april), .ok)
        let due = F.marchLotsExpire + F.hour
        XCTAssertEqual(book.postedBalance(F.alice), 40, "not swept yet")

        let refused = book.submit(F.transfer("spend", from: F.alice, to: F.bob, 15), now: due)
        XCTAssertResult(refused, .exceedsCredits)
        XCTAssertEqual(refused.shortfall, 5)
        // The due points expired on the way, as a sweep would have done.
        XCTAssertEqual(book.postedBalance(F.expiry), 30)
        XCTAssertEqual(book.transfer("expiry:\(F.alice):\(due)")?.amount, 30)
        XCTAssertEqual(book.postedBalance(F.alice), 10)

        XCTAssertResult(book.submit(F.transfer("spend-less", from: F.alice, to: F.bob, 10), now: due), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 0)
        XCTAssertEqual(book.postedBalance(F.bob), 10)
        XCTAssertEqual(book.postedBalance(F.expiry), 30)

        // A pending debit expires them too.
        XCTAssertResult(book.grant("m2", to: F.team, 8, now: F.t0), .ok)
        let hold = book.submit(F.transfer("hold", from: F.team, to: F.venue, 1) { $0.pending = true }, now: due)
        XCTAssertResult(hold, .exceedsCredits)
        XCTAssertEqual(book.postedBalance(F.team), 0)
        XCTAssertEqual(book.postedBalance(F.expiry), 38)
    }

    func testHeldPointsOfAnExpiredLotExpireOnceTheirPendingTransferIsVoided() {
        var book = F.book()
        XCTAssertResult(book.grant("m1", to: F.alice, 30, now: F.t0), .ok)
        XCTAssertResult(book.grant("a1", to: F.alice, 10, now: F.april), .ok)
        XCTAssertResult(
            book.submit(F.transfer("hold", from: F.alice, to: F.venue, 20) { $0.pending = true }, now: F.april),
            .ok
        )
        XCTAssertEqual(book.lots(of: F.alice).map(\.held), [20, 0])

        // The lot's free points expire; its held points wait for their transfer.
        XCTAssertEqual(book.sweep(now: F.marchLotsExpire).expiredPoints, 10)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [0, 10])
        XCTAssertEqual(book.lots(of: F.alice).map(\.held), [20, 0])
        XCTAssertEqual(book.postedBalance(F.alice), 30)
        XCTAssertEqual(book.spendable(F.alice), 10)
        XCTAssertEqual(
            book.expiring(within: 0, now: F.marchLotsExpire).map(\.points),
            [20],
            "held points of a due lot are still listed"
        )

        XCTAssertResult(
            book.submit(F.resolution("void", post: false, pending: "hold"), now: F.marchLotsExpire + 1),
            .ok
        )
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [20, 10], "released to their lot, which is due")
        // Released points of a due lot cannot be spent: the next debit expires them first.
        XCTAssertResult(
            book.submit(F.transfer("spend", from: F.alice, to: F.bob, 11), now: F.marchLotsExpire + 2),
            .exceedsCredits
        )
        XCTAssertEqual(book.postedBalance(F.expiry), 30)
        XCTAssertEqual(book.lots(of: F.alice).map(\.expiresAtMs), [aprilLotsExpire])
        XCTAssertEqual(book.sweep(now: F.marchLotsExpire + 3), PointsBook.Sweep())
    }

    func testHeldPointsOfAnExpiredLotArePostedWhenTheTransferIsPosted() {
        var book = F.book()
        XCTAssertResult(book.grant("m1", to: F.alice, 30, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("hold", from: F.alice, to: F.venue, 20) { $0.pending = true }, now: F.t0),
            .ok
        )
        XCTAssertEqual(book.sweep(now: F.marchLotsExpire).expiredPoints, 10)
        XCTAssertResult(book.submit(F.resolution("post", post: true, pending: "hold"), now: F.marchLotsExpire + 1), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 0)
        XCTAssertEqual(book.postedBalance(F.venue), 20)
        XCTAssertEqual(book.lots(of: F.alice), [])
    }

    func testTwoExpiriesOfOneAccountInOneMillisecondAreTwoTransfers() {
        var book = F.book()
        XCTAssertResult(book.grant("m1", to: F.alice, 30, now: F.t0), .ok)
        let due = F.marchLotsExpire
        // A client's transfer already carries the id the first expiry would take.
        XCTAssertResult(book.grant("expiry:\(F.alice):\(due)", to: F.bob, 1, now: F.t0), .ok)
        let batch = book.createTransfers(
            [
                // Expires March's 30, then finds nothing to spend.
                F.transfer("s1", from: F.alice, to: F.bob, 1),
                // A credit whose lot is due at once, spent by the next debit in the same millisecond.
                F.transfer("late", from: F.issuer, to: F.alice, 5, code: "deliberation") { $0.expiresAtMs = due - 1 },
                F.transfer("s2", from: F.alice, to: F.bob, 1),
            ],
            now: due,
            recordedBy: F.staff
        )
        XCTAssertEqual(batch.map(\.result), [.exceedsCredits, .ok, .exceedsCredits])
        let expiries = book.transfers.filter { $0.code == PointsBook.expiryCode }
        XCTAssertEqual(expiries.map(\.amount), [30, 5])
        XCTAssertEqual(Set(book.transfers.map(\.id)).count, book.transfers.count, "every transfer has its own id")
        XCTAssertEqual(book.transfer("expiry:\(F.alice):\(due)")?.creditAccountID, F.bob, "the client's keeps its id")
        XCTAssertTrue(expiries.allSatisfy { $0.id.hasPrefix("expiry:\(F.alice):\(due):") }, "\(expiries.map(\.id))")
        XCTAssertEqual(book.postedBalance(F.expiry), 35)
        XCTAssertEqual(book.postedBalance(F.alice), 0)
        XCTAssertTrue(LedgerVerification.verify(transfers: book.transfers, accounts: Array(book.accounts.values)).ok)
    }

    func testExpiringListsTheLotsDueWithinAWindowSoonestFirst() {
        var book = F.book()
        XCTAssertResult(book.grant("m1", to: F.alice, 10, now: F.t0), .ok)
        XCTAssertResult(book.grant("m2", to: F.bob, 6, now: F.t0), .ok)
        XCTAssertResult(book.grant("a1", to: F.alice, 7, now: F.april), .ok)
        XCTAssertResult(book.grant("w1", to: F.carol, 9, from: F.otherIssuer, now: F.t0), .ok)
        XCTAssertResult(book.grant("p1", to: F.partyAlice, 5, rule: "party-duty", from: F.partyIssuer, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("hold", from: F.bob, to: F.venue, 2) { $0.pending = true }, now: F.t0),
            .ok
        )
        let now = F.marchLotsExpire - 30 * F.day
        let soon = book.expiring(within: 30 * F.day, now: now)
        XCTAssertEqual(soon.map(\.accountID), [F.alice, F.bob, F.carol])
        XCTAssertEqual(soon.map(\.points), [10, 6, 9], "held points are counted: they come back if not spent")
        XCTAssertEqual(soon.map(\.expiresAtMs), [F.marchLotsExpire, F.marchLotsExpire, F.marchLotsExpire])
        XCTAssertEqual(soon.first?.holderName, "李梅")
        XCTAssertEqual(soon.first?.holderKind, .resident)
        XCTAssertEqual(soon.first?.holderID, "R0001")
        XCTAssertEqual(soon.first?.communityCode, F.community)

        XCTAssertEqual(book.expiring(within: 30 * F.day - 1, now: now), [])
        XCTAssertEqual(
            book.expiring(within: 30 * F.day, now: now, community: F.otherCommunity).map(\.accountID),
            [F.carol]
        )
        XCTAssertEqual(book.expiring(within: 30 * F.day, now: now, community: "330106").count, 3)
        XCTAssertEqual(book.expiring(within: 30 * F.day, now: now, ledger: "party"), [])
        let everything = book.expiring(within: Int64.max, now: now)
        XCTAssertEqual(
            everything.map(\.points),
            [10, 6, 9, 7],
            "a window to the end of time lists every lot that expires"
        )
        XCTAssertEqual(everything.last?.expiresAtMs, aprilLotsExpire)
    }
}
