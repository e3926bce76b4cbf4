import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Corrections: a transfer is never changed; a reversing transfer names it and moves points back, in part or whole,
/// never more than it moved.
final class ReversalTests: XCTestCase {
    typealias F = PointsFixtures

    func testPartialThenWholeAndNothingBeyond() {
        var book = F.book()
        let credit = book.grant("c1", to: F.alice, 50, now: F.t0)
        XCTAssertResult(credit, .ok)

        let part = book.submit(F.reversal("fix1", of: credit.transfer, 20), now: F.t0 + F.hour)
        XCTAssertResult(part, .ok)
        XCTAssertEqual(part.transfer.reversesID, "c1")
        XCTAssertEqual(part.transfer.debitAccountID, F.alice)
        XCTAssertEqual(part.transfer.creditAccountID, F.issuer)
        XCTAssertEqual(book.postedBalance(F.alice), 30)
        XCTAssertEqual(book.postedBalance(F.issuer), -30)
        XCTAssertEqual(book.reversed["c1"], 20)

        XCTAssertResult(book.submit(F.reversal("fix2", of: credit.transfer, 30), now: F.t0 + 2 * F.hour), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 0)
        XCTAssertEqual(book.postedBalance(F.issuer), 0)
        XCTAssertEqual(book.lots(of: F.alice), [])

        let beyond = book.submit(F.reversal("fix3", of: credit.transfer, 1), now: F.t0 + 3 * F.hour)
        XCTAssertResult(beyond, .exceedsReversedAmount)
        XCTAssertTrue(beyond.message.contains("50"), beyond.message)
        XCTAssertEqual(book.transfer("c1")?.amount, 50, "the original is never changed")
        XCTAssertEqual(book.history(of: F.alice, limit: 10).map(\.id), ["fix2", "fix1", "c1"])
    }

    func testAReversalTakesBackPointsFromTheLotTheyWereGrantedIn() {
        var book = F.book()
        let march = book.grant("m1", to: F.alice, 10, now: F.t0)
        XCTAssertResult(march, .ok)
        XCTAssertResult(book.grant("a1", to: F.alice, 10, now: F.april), .ok)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [10, 10])
        let april = book.transfer("a1")!
        XCTAssertResult(book.submit(F.reversal("fix", of: april, 4), now: F.april + 1), .ok)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining), [10, 6], "not the soonest-expiring lot")
        XCTAssertEqual(book.postedBalance(F.alice), 16)
    }

    func testAReversalCannotTakeBackPointsAlreadySpent() {
        var book = F.book()
        let credit = book.grant("c1", to: F.alice, 10, now: F.t0)
        XCTAssertResult(book.submit(F.transfer("spent", from: F.alice, to: F.bob, 8), now: F.t0), .ok)
        let result = book.submit(F.reversal("fix", of: credit.transfer, 10), now: F.t0 + 1)
        XCTAssertResult(result, .exceedsCredits)
        XCTAssertEqual(result.shortfall, 8)
        XCTAssertResult(book.submit(F.reversal("fix", of: credit.transfer, 2), now: F.t0 + 1), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 0)
    }

    func testAPostedRedemptionIsReversedButAVoidedOneIsNot() {
        var book = F.book()
        XCTAssertResult(book.grant("c1", to: F.alice, 100, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("p1", from: F.alice, to: F.venue, 30) { $0.pending = true }, now: F.t0),
            .ok
        )
        XCTAssertResult(
            book.submit(F.transfer("p2", from: F.alice, to: F.venue, 20) { $0.pending = true }, now: F.t0),
            .ok
        )
        let post = book.submit(F.resolution("post1", post: true, pending: "p1"), now: F.t0 + 1)
        let void = book.submit(F.resolution("void2", post: false, pending: "p2"), now: F.t0 + 1)
        XCTAssertResult(post, .ok)
        XCTAssertResult(void, .ok)
        XCTAssertEqual(book.postedBalance(F.venue), 30)
        XCTAssertEqual(book.postedBalance(F.alice), 70)

        // A void moved no points: reversing it would make points out of nothing.
        let voidReversal = book.submit(F.reversal("undo-void", of: void.transfer, 20), now: F.t0 + 2)
        XCTAssertResult(voidReversal, .reversalMustMatch)
        XCTAssertEqual(book.postedBalance(F.venue), 30)
        XCTAssertEqual(book.postedBalance(F.alice), 70)

        // The goods came back: the posted points go back to Alice.
        XCTAssertResult(book.submit(F.reversal("refund", of: post.transfer, 30), now: F.t0 + 3), .ok)
        XCTAssertEqual(book.postedBalance(F.venue), 0)
        XCTAssertEqual(book.postedBalance(F.alice), 100)
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining).reduce(0, +), 100)
        XCTAssertResult(
            book.submit(F.reversal("refund-again", of: post.transfer, 1), now: F.t0 + 4),
            .exceedsReversedAmount
        )
    }
}
