import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Two-phase transfers: a pending transfer holds points until it is posted (all or part) or voided, by hand or by
/// its timeout.
final class TwoPhaseTests: XCTestCase {
    typealias F = PointsFixtures

    func bookWithAlice(_ points: Int64 = 100) -> PointsBook {
        var book = F.book()
        XCTAssertResult(book.grant("g1", to: F.alice, points, now: F.t0), .ok)
        return book
    }

    func hold(_ id: String, _ amount: Int64, timeout: Int64 = 0) -> Transfer {
        F.transfer(id, from: F.alice, to: F.venue, amount, code: PointsBook.redemptionCode) {
            $0.pending = true
            $0.timeoutSeconds = timeout
        }
    }

    func testAPendingTransferHoldsPointsWithoutMovingTheBalance() {
        var book = bookWithAlice()
        let result = book.submit(hold("p1", 30, timeout: 600), now: F.t0)
        XCTAssertResult(result, .ok)
        XCTAssertTrue(result.transfer.pending)
        let alice = book.accounts[F.alice]
        XCTAssertEqual(alice?.debitsPending, 30)
        XCTAssertEqual(alice?.debitsPosted, 0)
        XCTAssertEqual(book.postedBalance(F.alice), 100)
        XCTAssertEqual(book.spendable(F.alice), 70)
        XCTAssertEqual(book.accounts[F.venue]?.creditsPending, 30)
        XCTAssertEqual(book.postedBalance(F.venue), 0)
        XCTAssertEqual(book.lots(of: F.alice).map(\.held), [30])
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [70])
        let state = book.pending["p1"]
        XCTAssertEqual(state?.status, .pending)
        XCTAssertEqual(state?.amount, 30)
        XCTAssertEqual(state?.expiresAtMs, F.t0 + 600 * F.second)
        XCTAssertEqual(state?.holds, [PointsBook.Hold(lotExpiresAtMs: F.marchLotsExpire, amount: 30)])
    }

    func testPostingAllOfIt() {
        var book = bookWithAlice()
        XCTAssertResult(book.submit(hold("p1", 30), now: F.t0), .ok)
        let post = book.submit(F.resolution("post", post: true, pending: "p1"), now: F.t0 + F.hour)
        XCTAssertResult(post, .ok)
        XCTAssertEqual(post.transfer.amount, 30)
        XCTAssertEqual(post.transfer.debitAccountID, F.alice)
        XCTAssertEqual(post.transfer.creditAccountID, F.venue)
        XCTAssertEqual(post.transfer.ledger, "volunteer")
        XCTAssertEqual(post.transfer.code, PointsBook.redemptionCode)
        XCTAssertEqual(book.accounts[F.alice]?.debitsPending, 0)
        XCTAssertEqual(book.accounts[F.alice]?.debitsPosted, 30)
        XCTAssertEqual(book.accounts[F.venue]?.creditsPending, 0)
        XCTAssertEqual(book.postedBalance(F.alice), 70)
        XCTAssertEqual(book.spendable(F.alice), 70)
        XCTAssertEqual(book.postedBalance(F.venue), 30)
        XCTAssertEqual(book.lots(of: F.alice).map(\.held), [0])
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [70])
        XCTAssertEqual(book.pending["p1"]?.status, .posted)
    }

    func testPostingPartReleasesTheRest() {
        var book = bookWithAlice()
        XCTAssertResult(book.submit(hold("p1", 30), now: F.t0), .ok)
        let post = book.submit(F.resolution("post", post: true, pending: "p1", amount: 12), now: F.t0 + 1)
        XCTAssertResult(post, .ok)
        XCTAssertEqual(post.transfer.amount, 12)
        XCTAssertEqual(book.accounts[F.alice]?.debitsPending, 0)
        XCTAssertEqual(book.postedBalance(F.alice), 88)
        XCTAssertEqual(book.spendable(F.alice), 88)
        XCTAssertEqual(book.postedBalance(F.venue), 12)
        XCTAssertEqual(book.accounts[F.venue]?.creditsPending, 0)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [88])
        XCTAssertEqual(book.lots(of: F.alice).map(\.held), [0])
    }

    func testVoidingReleasesAllOfIt() {
        var book = bookWithAlice()
        XCTAssertResult(book.submit(hold("p1", 30), now: F.t0), .ok)
        let void = book.submit(F.resolution("void", post: false, pending: "p1"), now: F.t0 + 1)
        XCTAssertResult(void, .ok)
        XCTAssertEqual(void.transfer.amount, 30)
        XCTAssertEqual(book.accounts[F.alice]?.debitsPending, 0)
        XCTAssertEqual(book.accounts[F.alice]?.debitsPosted, 0)
        XCTAssertEqual(book.postedBalance(F.alice), 100)
        XCTAssertEqual(book.spendable(F.alice), 100)
        XCTAssertEqual(book.accounts[F.venue]?.creditsPending, 0)
        XCTAssertEqual(book.accounts[F.venue]?.creditsPosted, 0)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [100])
        XCTAssertEqual(book.pending["p1"]?.status, .voided)
    }

    func testAClosedAccountsPendingTransferIsVoidedNotPosted() {
        var book = bookWithAlice()
        XCTAssertResult(book.submit(hold("p1", 30), now: F.t0), .ok)
        _ = book.setClosed(F.venue, true)
        let post = book.submit(F.resolution("post", post: true, pending: "p1"), now: F.t0 + 1)
        XCTAssertResult(post, .accountClosed)
        XCTAssertEqual(post.field, "credit_account_id")
        XCTAssertEqual(book.accounts[F.alice]?.debitsPending, 30)
        XCTAssertResult(book.submit(F.resolution("void", post: false, pending: "p1"), now: F.t0 + 2), .ok)
        XCTAssertEqual(book.spendable(F.alice), 100)
    }

    func testTheSweepVoidsTimedOutTransfersAndAPostAfterwardsIsRefused() {
        var book = bookWithAlice()
        XCTAssertResult(book.submit(hold("short", 30, timeout: 60), now: F.t0), .ok)
        XCTAssertResult(book.submit(hold("long", 20, timeout: 3_600), now: F.t0), .ok)
        XCTAssertResult(book.submit(hold("forever", 10), now: F.t0), .ok)
        XCTAssertEqual(book.spendable(F.alice), 40)

        // Just before its time nothing happens.
        XCTAssertEqual(book.sweep(now: F.t0 + 59_999), PointsBook.Sweep())
        XCTAssertEqual(book.pending["short"]?.status, .pending)

        _ = book.takeChanges()
        let swept = book.sweep(now: F.t0 + F.minute)
        XCTAssertEqual(swept.voidedPending, 1)
        XCTAssertEqual(swept.expiredRedemptions, 0)
        XCTAssertEqual(book.pending["short"]?.status, .voided)
        XCTAssertEqual(book.pending["long"]?.status, .pending)
        let void = book.transfer("timeout:short")
        XCTAssertEqual(void?.voidPending, true)
        XCTAssertEqual(void?.pendingID, "short")
        XCTAssertEqual(void?.recordedBy, PointsBook.systemActor)
        XCTAssertEqual(book.changes.transfers.map(\.id), ["timeout:short"])
        XCTAssertEqual(book.spendable(F.alice), 70)

        let late = book.submit(F.resolution("late", post: true, pending: "long"), now: F.t0 + F.hour)
        XCTAssertResult(late, .pendingTransferExpired)
        XCTAssertEqual(book.sweep(now: F.t0 + F.hour).voidedPending, 1)
        XCTAssertResult(
            book.submit(F.resolution("later", post: true, pending: "long"), now: F.t0 + F.hour),
            .pendingTransferAlreadyVoided
        )
        XCTAssertEqual(book.sweep(now: F.t0 + 300 * F.day).voidedPending, 0, "a pending transfer without timeout waits")
        XCTAssertEqual(book.pending["forever"]?.status, .pending)
        XCTAssertEqual(book.spendable(F.alice), 90)
        XCTAssertEqual(book.postedBalance(F.alice), 100)
        XCTAssertEqual(book.postedBalance(F.venue), 0)
    }

    func testATimeoutVoidsEvenWhenAClientTookTheIDOfItsVoid() {
        var book = bookWithAlice()
        XCTAssertResult(book.submit(hold("p1", 30, timeout: 60), now: F.t0), .ok)
        XCTAssertResult(book.grant("timeout:p1", to: F.bob, 1, now: F.t0), .ok)
        XCTAssertEqual(book.sweep(now: F.t0 + F.minute).voidedPending, 1)
        XCTAssertEqual(book.pending["p1"]?.status, .voided)
        XCTAssertEqual(book.spendable(F.alice), 100)
        let void = book.transfers.last
        XCTAssertEqual(void?.pendingID, "p1")
        XCTAssertNotEqual(void?.id, "timeout:p1")
        XCTAssertEqual(book.transfer("timeout:p1")?.creditAccountID, F.bob)
    }

    func testAPendingCreditToAHolderGivesALotOnlyWhenPosted() {
        var book = F.book()
        XCTAssertResult(book.grant("g1", to: F.bob, 50, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("p1", from: F.bob, to: F.alice, 20) { $0.pending = true }, now: F.t0),
            .ok
        )
        XCTAssertEqual(book.accounts[F.alice]?.creditsPending, 20)
        XCTAssertEqual(book.spendable(F.alice), 0, "points not yet posted cannot be spent")
        XCTAssertEqual(book.lots(of: F.alice), [])
        XCTAssertResult(book.submit(F.transfer("spend", from: F.alice, to: F.carol, 1), now: F.t0), .exceedsCredits)
        XCTAssertResult(book.submit(F.resolution("post", post: true, pending: "p1", amount: 15), now: F.april), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 15)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [15])
        XCTAssertEqual(book.lots(of: F.alice).map(\.earnedAtMs), [F.april])
        XCTAssertEqual(book.postedBalance(F.bob), 35)
    }
}
