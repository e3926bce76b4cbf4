import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// The points supermarket (积分超市): goods, and redemptions that hold points and stock until the hand-over.
final class SupermarketTests: XCTestCase {
    typealias F = PointsFixtures

    func refusal<Value>(_ result: Result<Value, PointsRefusal>) -> PointsRefusal? {
        if case .failure(let refusal) = result { return refusal }
        return nil
    }

    func outcome(
        _ result: Result<PointsBook.RedemptionOutcome, PointsRefusal>,
        file: StaticString = #filePath,
        line: UInt = #line
    ) -> PointsBook.RedemptionOutcome? {
        switch result {
        case .success(let outcome): return outcome
        case .failure(let refusal):
            XCTFail("refused: \(refusal.message)", file: file, line: line)
            return nil
        }
    }

    /// A book with a good (rice, 10 points, 5 in stock) and Alice holding `points`.
    func shop(points: Int64 = 100, rice: Good = PointsFixtures.good("rice", price: 10, stock: 5)) -> PointsBook {
        var book = F.book()
        if points > 0 { XCTAssertResult(book.grant("g1", to: F.alice, points, now: F.t0), .ok) }
        XCTAssertNotNil(try? book.put(good: rice, now: F.t0).get())
        _ = book.takeChanges()
        return book
    }

    func redeem(
        _ book: inout PointsBook,
        _ id: String,
        account: String = PointsFixtures.alice,
        good: String = "rice",
        quantity: Int64 = 1,
        timeout: Int64 = 0,
        at now: Int64 = PointsFixtures.t0
    ) -> Result<PointsBook.RedemptionOutcome, PointsRefusal> {
        book.redeem(
            id: id,
            accountID: account,
            goodID: good,
            quantity: quantity,
            timeoutSeconds: timeout,
            note: "",
            now: now,
            by: "person:li-mei"
        )
    }

    func testPutGoodChecksWhatItIsGiven() {
        var book = F.book()
        var changed = F.good("rice", price: 10, stock: 5)
        changed.reserved = 99
        changed.communityCode = "elsewhere"
        let put = try? book.put(good: changed, now: F.t0).get()
        XCTAssertEqual(put?.reserved, 0, "the reserved count is the book's")
        XCTAssertEqual(put?.communityCode, F.community, "a good is where its venue is")
        XCTAssertEqual(book.goods["rice"], put)
        XCTAssertEqual(book.changes.goods, ["rice"])

        let cases: [(PointsRefusal.Code, (inout Good) -> Void)] = [
            (.invalidArgument, { $0.id = "" }),
            (.invalidArgument, { $0.id = "a good" }),
            (.invalidArgument, { $0.name = "  " }),
            (.notFound, { $0.venueID = "V9" }),
            (.notFound, { $0.ledger = "ghost" }),
            (.invalidArgument, { $0.price = 0 }),
            (.invalidArgument, { $0.stock = -1 }),
            (.invalidArgument, { $0.minimumBalance = -1 }),
            (.failedPrecondition, { $0.ledger = "party" }),
        ]
        for (code, change) in cases {
            var good = F.good("rice", price: 10, stock: 5)
            change(&good)
            let refused = refusal(book.put(good: good, now: F.t0))
            XCTAssertEqual(refused?.code, code, "\(good)")
            XCTAssertFalse(refused?.message.isEmpty ?? true)
        }
        book.put(venue: F.venue("V2"))
        var moved = F.good("rice", price: 10, stock: 5)
        moved.venueID = "V2"
        XCTAssertEqual(refusal(book.put(good: moved, now: F.t0))?.code, .failedPrecondition)
        XCTAssertEqual(book.goods["rice"]?.venueID, "V1")

        // Price, stock and threshold change; stock not below what held redemptions reserve.
        XCTAssertResult(book.grant("g1", to: F.alice, 100, now: F.t0), .ok)
        XCTAssertNotNil(outcome(redeem(&book, "r1", quantity: 3))?.redemption)
        var fewer = F.good("rice", price: 12, stock: 2)
        let tooFew = refusal(book.put(good: fewer, now: F.t0))
        XCTAssertEqual(tooFew?.code, .failedPrecondition)
        XCTAssertTrue(tooFew?.message.contains("3 reserved") ?? false, tooFew?.message ?? "")
        fewer.stock = 3
        XCTAssertEqual(try? book.put(good: fewer, now: F.t0).get().reserved, 3)
        XCTAssertEqual(book.goods["rice"]?.price, 12)
    }

    func testRedeemHoldsThePointsAndReservesTheStock() {
        var book = shop()
        guard let held = outcome(redeem(&book, "r1", quantity: 3)), let redemption = held.redemption else { return }
        XCTAssertResult(held.transfer, .ok)
        XCTAssertEqual(redemption.state, .held)
        XCTAssertEqual(redemption.points, 30)
        XCTAssertEqual(redemption.quantity, 3)
        XCTAssertEqual(redemption.accountID, F.alice)
        XCTAssertEqual(redemption.holderName, "李梅")
        XCTAssertEqual(redemption.goodName, "rice")
        XCTAssertEqual(redemption.venueID, "V1")
        XCTAssertEqual(redemption.communityCode, F.community)
        XCTAssertEqual(redemption.requestedBy, "person:li-mei")
        XCTAssertEqual(redemption.heldAtMs, F.t0)
        XCTAssertEqual(redemption.expiresAtMs, F.t0 + 7 * F.day, "the default timeout is 7 days")
        XCTAssertEqual(redemption.pendingTransferID, "redeem:r1")

        let hold = book.transfer("redeem:r1")
        XCTAssertEqual(hold?.pending, true)
        XCTAssertEqual(hold?.debitAccountID, F.alice)
        XCTAssertEqual(hold?.creditAccountID, F.venue)
        XCTAssertEqual(hold?.amount, 30)
        XCTAssertEqual(hold?.code, PointsBook.redemptionCode)
        XCTAssertEqual(hold?.timeoutSeconds, PointsBook.defaultRedemptionTimeoutSeconds)
        XCTAssertEqual(hold?.reference, "r1")
        XCTAssertEqual(book.postedBalance(F.alice), 100)
        XCTAssertEqual(book.spendable(F.alice), 70)
        XCTAssertEqual(book.goods["rice"]?.reserved, 3)
        XCTAssertEqual(book.goods["rice"]?.stock, 5)
        XCTAssertEqual(book.redemptions["r1"], redemption)
        XCTAssertEqual(book.changes.goods, ["rice"])
        XCTAssertEqual(book.changes.redemptions, ["r1"])
        XCTAssertEqual(book.changes.transfers.map(\.id), ["redeem:r1"])

        // Quantity 0 is one.
        XCTAssertEqual(outcome(redeem(&book, "r2", quantity: 0))?.redemption?.quantity, 1)
        XCTAssertEqual(book.goods["rice"]?.reserved, 4)
    }

    func testConfirmPostsThePointsAndTakesTheGoods() {
        var book = shop()
        _ = outcome(redeem(&book, "r1", quantity: 2))
        let confirmed = outcome(
            book.resolve("r1", confirm: true, now: F.t0 + F.hour, by: "person:clerk", note: "handed over")
        )
        XCTAssertResult(confirmed?.transfer ?? TransferResult(), .ok)
        let redemption = book.redemptions["r1"]
        XCTAssertEqual(redemption?.state, .confirmed)
        XCTAssertEqual(redemption?.resolutionTransferID, "redeem:r1:post")
        XCTAssertEqual(redemption?.resolvedAtMs, F.t0 + F.hour)
        XCTAssertEqual(redemption?.resolvedBy, "person:clerk")
        XCTAssertEqual(redemption?.note, "handed over")
        XCTAssertEqual(book.pending["redeem:r1"]?.status, .posted)
        XCTAssertEqual(book.postedBalance(F.alice), 80)
        XCTAssertEqual(book.spendable(F.alice), 80)
        XCTAssertEqual(book.postedBalance(F.venue), 20)
        XCTAssertEqual(book.goods["rice"]?.stock, 3)
        XCTAssertEqual(book.goods["rice"]?.reserved, 0)

        // Asked again: answered as it is, nothing more taken.
        let again = outcome(book.resolve("r1", confirm: true, now: F.t0 + 2 * F.hour, by: "person:clerk", note: ""))
        XCTAssertResult(again?.transfer ?? TransferResult(), .exists)
        XCTAssertEqual(again?.transfer.transfer.id, "redeem:r1:post")
        XCTAssertEqual(book.goods["rice"]?.stock, 3)
        XCTAssertEqual(book.postedBalance(F.venue), 20)
        // A confirmed redemption is not cancelled.
        XCTAssertEqual(
            refusal(book.resolve("r1", confirm: false, now: F.t0, by: "person:li-mei", note: ""))?.code,
            .failedPrecondition
        )
        XCTAssertEqual(
            refusal(book.resolve("r9", confirm: true, now: F.t0, by: "person:clerk", note: ""))?.code,
            .notFound
        )
    }

    func testCancelVoidsThePointsAndReleasesTheStock() {
        var book = shop()
        _ = outcome(redeem(&book, "r1", quantity: 2))
        let cancelled = outcome(book.resolve("r1", confirm: false, now: F.t0 + 1, by: "person:li-mei", note: ""))
        XCTAssertResult(cancelled?.transfer ?? TransferResult(), .ok)
        XCTAssertEqual(book.redemptions["r1"]?.state, .cancelled)
        XCTAssertEqual(book.redemptions["r1"]?.resolutionTransferID, "redeem:r1:void")
        XCTAssertEqual(book.pending["redeem:r1"]?.status, .voided)
        XCTAssertEqual(book.postedBalance(F.alice), 100)
        XCTAssertEqual(book.spendable(F.alice), 100)
        XCTAssertEqual(book.postedBalance(F.venue), 0)
        XCTAssertEqual(book.goods["rice"]?.stock, 5)
        XCTAssertEqual(book.goods["rice"]?.reserved, 0)

        let again = outcome(book.resolve("r1", confirm: false, now: F.t0 + 2, by: "person:li-mei", note: ""))
        XCTAssertResult(again?.transfer ?? TransferResult(), .exists)
        let confirm = refusal(book.resolve("r1", confirm: true, now: F.t0 + 2, by: "person:clerk", note: ""))
        XCTAssertEqual(confirm?.code, .failedPrecondition)
        XCTAssertTrue(confirm?.message.contains("cancelled") ?? false, confirm?.message ?? "")
    }

    func testATimedOutRedemptionExpiresInTheSweepAndCannotBeConfirmed() {
        var book = shop()
        _ = outcome(redeem(&book, "r1", quantity: 2, timeout: 3_600))
        _ = outcome(redeem(&book, "r2", quantity: 1))
        XCTAssertEqual(book.redemptions["r1"]?.expiresAtMs, F.t0 + F.hour)
        let late = refusal(book.resolve("r1", confirm: true, now: F.t0 + F.hour, by: "person:clerk", note: ""))
        XCTAssertEqual(late?.code, .failedPrecondition, "too late even before the sweep")
        XCTAssertEqual(book.redemptions["r1"]?.state, .held)

        let swept = book.sweep(now: F.t0 + F.hour)
        XCTAssertEqual(swept.expiredRedemptions, 1)
        XCTAssertEqual(swept.voidedPending, 0, "the redemption's own void released its pending transfer")
        XCTAssertEqual(book.redemptions["r1"]?.state, .expired)
        XCTAssertEqual(book.redemptions["r1"]?.resolvedBy, PointsBook.systemActor)
        XCTAssertEqual(book.redemptions["r1"]?.note, "timed out")
        XCTAssertEqual(book.pending["redeem:r1"]?.status, .voided)
        XCTAssertEqual(book.redemptions["r2"]?.state, .held)
        XCTAssertEqual(book.goods["rice"]?.reserved, 1)
        XCTAssertEqual(book.goods["rice"]?.stock, 5)
        XCTAssertEqual(book.spendable(F.alice), 90)

        XCTAssertEqual(
            refusal(book.resolve("r1", confirm: true, now: F.t0 + 2 * F.hour, by: "person:clerk", note: ""))?.code,
            .failedPrecondition
        )
        XCTAssertEqual(
            refusal(book.resolve("r1", confirm: false, now: F.t0 + 2 * F.hour, by: "person:li-mei", note: ""))?.code,
            .failedPrecondition
        )
        XCTAssertEqual(book.sweep(now: F.t0 + 7 * F.day).expiredRedemptions, 1)
        XCTAssertEqual(book.redemptions["r2"]?.state, .expired)
        XCTAssertEqual(book.goods["rice"]?.reserved, 0)
        XCTAssertEqual(book.spendable(F.alice), 100)
    }

    func testRedeemingAgainWithTheSameIDAnswersTheRedemptionAsItIs() {
        var book = shop()
        let first = outcome(redeem(&book, "r1", quantity: 2))
        _ = book.takeChanges()
        let again = outcome(redeem(&book, "r1", quantity: 2, at: F.t0 + F.minute))
        XCTAssertResult(again?.transfer ?? TransferResult(), .exists)
        XCTAssertEqual(again?.redemption, first?.redemption)
        XCTAssertEqual(again?.transfer.transfer.id, "redeem:r1")
        XCTAssertEqual(book.goods["rice"]?.reserved, 2)
        XCTAssertEqual(book.spendable(F.alice), 80)
        XCTAssertTrue(book.changes.isEmpty)

        let other = refusal(redeem(&book, "r1", quantity: 3))
        XCTAssertEqual(other?.code, .alreadyExists)
        XCTAssertEqual(refusal(redeem(&book, "r1", account: F.bob, quantity: 2))?.code, .alreadyExists)

        _ = outcome(book.resolve("r1", confirm: true, now: F.t0 + F.hour, by: "person:clerk", note: ""))
        let afterConfirm = outcome(redeem(&book, "r1", quantity: 2, at: F.t0 + 2 * F.hour))
        XCTAssertEqual(afterConfirm?.redemption?.state, .confirmed)
        XCTAssertEqual(book.goods["rice"]?.stock, 3, "nothing redeemed twice")
        XCTAssertEqual(book.postedBalance(F.alice), 80)
    }

    func testSoldOutAndOnlySoManyLeft() {
        var book = shop(rice: F.good("rice", price: 10, stock: 3))
        XCTAssertResult(book.grant("g2", to: F.bob, 100, now: F.t0), .ok)
        XCTAssertNotNil(outcome(redeem(&book, "r1", quantity: 2))?.redemption)
        let tooMany = refusal(redeem(&book, "r2", account: F.bob, quantity: 2))
        XCTAssertEqual(tooMany?.code, .failedPrecondition)
        XCTAssertTrue(tooMany?.message.contains("only 1") ?? false, tooMany?.message ?? "")
        XCTAssertNotNil(outcome(redeem(&book, "r3", account: F.bob, quantity: 1))?.redemption)
        let soldOut = refusal(redeem(&book, "r4", account: F.bob, quantity: 1))
        XCTAssertEqual(soldOut?.code, .failedPrecondition)
        XCTAssertTrue(soldOut?.message.contains("sold out") ?? false, soldOut?.message ?? "")
        XCTAssertNil(book.redemptions["r4"])
        XCTAssertNil(book.transfer("redeem:r4"))
        XCTAssertEqual(book.spendable(F.bob), 90)

        // A cancelled redemption frees its stock for the next.
        _ = outcome(book.resolve("r1", confirm: false, now: F.t0, by: "person:li-mei", note: ""))
        XCTAssertNotNil(outcome(redeem(&book, "r4", account: F.bob, quantity: 2))?.redemption)
        XCTAssertEqual(book.goods["rice"]?.reserved, 3)
    }

    func testTheThresholdAsksForAMinimumBalance() {
        var book = shop(points: 99, rice: F.good("rice", price: 10, stock: 5, minimumBalance: 100))
        let below = refusal(redeem(&book, "r1"))
        XCTAssertEqual(below?.code, .failedPrecondition)
        XCTAssertTrue(below?.message.contains("门槛") ?? false, below?.message ?? "")
        XCTAssertTrue(below?.message.contains("99") ?? false, below?.message ?? "")
        XCTAssertNil(book.transfer("redeem:r1"))
        XCTAssertResult(book.grant("g2", to: F.alice, 1, now: F.t0), .ok)
        XCTAssertNotNil(outcome(redeem(&book, "r1"))?.redemption)
        // Points held by a redemption do not count towards the threshold.
        XCTAssertEqual(refusal(redeem(&book, "r2"))?.code, .failedPrecondition)
    }

    func testTheThresholdDoesNotCountPointsThatAreDueToExpire() {
        var book = shop(points: 0, rice: F.good("rice", price: 10, stock: 5, minimumBalance: 50))
        XCTAssertResult(book.grant("march", to: F.alice, 80, now: F.t0), .ok)
        XCTAssertResult(book.grant("april", to: F.alice, 20, now: F.april), .ok)
        // A year later March's points are due (not swept yet): 20 are left, below the threshold.
        let refused = refusal(redeem(&book, "r1", at: F.marchLotsExpire + F.day))
        XCTAssertEqual(refused?.code, .failedPrecondition)
        XCTAssertTrue(refused?.message.contains("门槛") ?? false, refused?.message ?? "")
        XCTAssertNil(book.redemptions["r1"])
        XCTAssertEqual(book.goods["rice"]?.reserved, 0)
        XCTAssertEqual(book.spendable(F.alice), 20)
    }

    func testInsufficientPointsIsTheTransfersResultAndNothingIsReserved() {
        var book = shop(points: 30, rice: F.good("rice", price: 50, stock: 5))
        let before = book.goods["rice"]
        let result = redeem(&book, "r1")
        guard case .success(let outcome) = result else { return XCTFail("a shortfall is a transfer result") }
        XCTAssertNil(outcome.redemption)
        XCTAssertResult(outcome.transfer, .exceedsCredits)
        XCTAssertEqual(outcome.transfer.shortfall, 20)
        XCTAssertEqual(book.goods["rice"], before)
        XCTAssertNil(book.redemptions["r1"])
        XCTAssertNil(book.transfer("redeem:r1"))
        XCTAssertEqual(book.spendable(F.alice), 30)
        XCTAssertTrue(book.changes.goods.isEmpty)
        XCTAssertTrue(book.changes.redemptions.isEmpty)
        // With the points, the same id goes through.
        XCTAssertResult(book.grant("g2", to: F.alice, 20, now: F.t0), .ok)
        XCTAssertEqual(self.outcome(redeem(&book, "r1"))?.redemption?.points, 50)
    }

    func testARedemptionWhoseTransferIDsAClientTookStillGoesThrough() {
        var book = shop()
        XCTAssertResult(book.submit(F.transfer("redeem:r1", from: F.alice, to: F.bob, 1), now: F.t0), .ok)
        XCTAssertResult(book.submit(F.transfer("redeem:r1:post", from: F.alice, to: F.bob, 1), now: F.t0), .ok)
        let held = outcome(redeem(&book, "r1", quantity: 2))
        XCTAssertResult(held?.transfer ?? TransferResult(), .ok)
        let pendingID = held?.redemption?.pendingTransferID ?? ""
        XCTAssertNotEqual(pendingID, "redeem:r1")
        XCTAssertEqual(book.transfer(pendingID)?.pending, true)
        let confirmed = outcome(book.resolve("r1", confirm: true, now: F.t0 + 1, by: "person:clerk", note: ""))
        XCTAssertEqual(confirmed?.redemption?.state, .confirmed)
        XCTAssertNotEqual(confirmed?.redemption?.resolutionTransferID, "redeem:r1:post")
        XCTAssertEqual(book.postedBalance(F.venue), 20)
        XCTAssertEqual(book.postedBalance(F.alice), 100 - 2 - 20)
        XCTAssertEqual(book.goods["rice"]?.stock, 3)
        let again = outcome(book.resolve("r1", confirm: true, now: F.t0 + 2, by: "person:clerk", note: ""))
        XCTAssertResult(again?.transfer ?? TransferResult(), .exists)
        XCTAssertEqual(again?.transfer.transfer.id, confirmed?.redemption?.resolutionTransferID)
    }

    func testARedemptionFollowsItsHoldWhenATransferOfItsOwnPostsOrVoidsIt() {
        var book = shop()
        for (id, quantity) in [("r1", Int64(2)), ("r2", 1), ("r3", 1)] {
            XCTAssertNotNil(outcome(redeem(&book, id, quantity: quantity))?.redemption)
        }
        // A clerk voids r1's hold and posts r2's with CreateTransfers, not through the supermarket.
        XCTAssertResult(book.submit(F.resolution("void-r1", post: false, pending: "redeem:r1"), now: F.t0 + 1), .ok)
        XCTAssertResult(book.submit(F.resolution("post-r2", post: true, pending: "redeem:r2"), now: F.t0 + 1), .ok)

        // Cancelling r1 finds it cancelled already, as the ledger says, and its stock released.
        let cancel = outcome(book.resolve("r1", confirm: false, now: F.t0 + 2, by: "person:li-mei", note: ""))
        XCTAssertResult(cancel?.transfer ?? TransferResult(), .exists)
        XCTAssertEqual(cancel?.transfer.transfer.id, "void-r1")
        XCTAssertEqual(book.redemptions["r1"]?.state, .cancelled)
        XCTAssertEqual(book.redemptions["r1"]?.resolvedBy, F.staff)
        XCTAssertEqual(book.redemptions["r1"]?.resolvedAtMs, F.t0 + 1)
        XCTAssertEqual(book.goods["rice"]?.reserved, 2)
        XCTAssertEqual(
            refusal(book.resolve("r1", confirm: true, now: F.t0 + 2, by: "person:clerk", note: ""))?.code,
            .failedPrecondition
        )

        // The sweep follows r2 without waiting for its timeout: confirmed, its rice taken.
        XCTAssertEqual(book.sweep(now: F.t0 + 3), PointsBook.Sweep())
        XCTAssertEqual(book.redemptions["r2"]?.state, .confirmed)
        XCTAssertEqual(book.redemptions["r2"]?.resolutionTransferID, "post-r2")
        XCTAssertEqual(book.goods["rice"]?.stock, 4)
        XCTAssertEqual(book.goods["rice"]?.reserved, 1)
        XCTAssertEqual(book.redemptions["r3"]?.state, .held)
        XCTAssertEqual(book.postedBalance(F.venue), 10)
        XCTAssertEqual(book.spendable(F.alice), 100 - 10 - 10)
    }

    func testOtherRefusalsOfARedemption() {
        var book = shop()
        var inactive = F.good("tea", price: 5, stock: 5)
        inactive.active = false
        XCTAssertNotNil(try? book.put(good: inactive, now: F.t0).get())
        XCTAssertNotNil(try? book.put(good: F.good("flag", price: 5, stock: 5, ledger: "party"), now: F.t0).get())
        typealias Attempt = (inout PointsBook) -> Result<PointsBook.RedemptionOutcome, PointsRefusal>
        let tooMany = PointsBook.maximumQuantity + 1
        let stranger = "volunteer:resident:R9999"
        let cases: [(PointsRefusal.Code, String, Attempt)] = [
            (.invalidArgument, "an id with a space", { self.redeem(&$0, "bad id") }),
            (.invalidArgument, "a negative quantity", { self.redeem(&$0, "q1", quantity: -1) }),
            (.invalidArgument, "too many", { self.redeem(&$0, "q2", quantity: tooMany) }),
            (.invalidArgument, "a negative timeout", { self.redeem(&$0, "q3", timeout: -1) }),
            (.invalidArgument, "more than a year", { self.redeem(&$0, "q4", timeout: 367 * 86_400) }),
            (.notFound, "an unknown good", { self.redeem(&$0, "q5", good: "caviar") }),
            (.failedPrecondition, "a good not offered", { self.redeem(&$0, "q6", good: "tea") }),
            (.notFound, "an unknown account", { self.redeem(&$0, "q7", account: stranger) }),
            (.invalidArgument, "a good of another ledger", { self.redeem(&$0, "q8", good: "flag") }),
        ]
        for (code, what, attempt) in cases {
            let refused = refusal(attempt(&book))
            XCTAssertEqual(refused?.code, code, what)
            XCTAssertFalse(refused?.message.isEmpty ?? true, what)
        }
        XCTAssertTrue(book.redemptions.isEmpty)
        XCTAssertEqual(book.goods["rice"]?.reserved, 0)
        XCTAssertEqual(book.spendable(F.alice), 100)
    }
}
