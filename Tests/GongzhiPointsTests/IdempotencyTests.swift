import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Client-chosen ids make retries safe: the same transfer again is answered with the original and changes nothing.
final class IdempotencyTests: XCTestCase {
    typealias F = PointsFixtures

    func batch() -> [Transfer] {
        [
            F.transfer("b1", from: F.issuer, to: F.alice, 10, code: "deliberation"),
            F.transfer("b2", from: F.issuer, to: F.bob, 20, code: "volunteer-hour"),
            F.transfer("b3", from: F.bob, to: F.alice, 5) { $0.linked = true },
            F.transfer("b4", from: F.alice, to: F.venue, 7) {
                $0.pending = true
                $0.timeoutSeconds = 3_600
            },
            F.resolution("b5", post: true, pending: "b4", amount: 3),
        ]
    }

    func testTheSameBatchTwiceIsAnsweredExistsForEachWithTheOriginalsAndNoDoubleCredit() {
        var book = F.book()
        let first = book.createTransfers(batch(), now: F.t0, recordedBy: F.staff)
        XCTAssertEqual(first.map(\.result), [.ok, .ok, .ok, .ok, .ok], first.map(\.message).description)
        XCTAssertEqual(book.postedBalance(F.alice), 12)
        XCTAssertEqual(book.postedBalance(F.bob), 15)
        XCTAssertEqual(book.postedBalance(F.venue), 3)
        _ = book.takeChanges()
        let before = BookSnapshot(book)

        // Later, by someone else: still the same transfers.
        let second = book.createTransfers(batch(), now: F.t0 + F.day, recordedBy: "person:other")
        XCTAssertEqual(second.map(\.result), [.exists, .exists, .exists, .exists, .exists])
        XCTAssertEqual(second.map(\.index), [0, 1, 2, 3, 4])
        XCTAssertEqual(second.map(\.transfer), first.map(\.transfer), "EXISTS answers the original as recorded")
        XCTAssertEqual(second[4].transfer.amount, 3)
        XCTAssertEqual(BookSnapshot(book), before)
        XCTAssertTrue(book.changes.isEmpty)
        XCTAssertEqual(book.capUsage.values.reduce(0, +), 20, "the capped credit counts once")
    }

    func testAPostRetriedAsSentIsExistsEvenThoughItsAccountsWereFilledIn() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("p1", from: F.alice, to: F.venue, 10) { $0.pending = true }, now: F.t0),
            .ok
        )
        let post = F.resolution("post", post: true, pending: "p1")
        let recorded = book.submit(post, now: F.t0)
        XCTAssertResult(recorded, .ok)
        XCTAssertEqual(recorded.transfer.amount, 10)
        XCTAssertEqual(recorded.transfer.debitAccountID, F.alice)
        XCTAssertEqual(recorded.transfer.code, "gift", "a post takes the pending transfer's code")
        XCTAssertResult(book.submit(post, now: F.t0 + 1), .exists)
        var named = post
        named.amount = 10
        named.debitAccountID = F.alice
        named.creditAccountID = F.venue
        XCTAssertResult(book.submit(named, now: F.t0 + 1), .exists)
        var other = post
        other.amount = 9
        let different = book.submit(other, now: F.t0 + 1)
        XCTAssertResult(different, .existsWithDifferentField)
        XCTAssertEqual(different.field, "amount")
        XCTAssertEqual(book.postedBalance(F.venue), 10)
    }

    func testARefusedTransferIsNotRememberedAndGoesThroughOnceItCan() {
        var book = F.book()
        XCTAssertResult(book.submit(F.transfer("t1", from: F.alice, to: F.bob, 5), now: F.t0), .exceedsCredits)
        XCTAssertResult(book.grant("t0", to: F.alice, 5, now: F.t0), .ok)
        XCTAssertResult(book.submit(F.transfer("t1", from: F.alice, to: F.bob, 5), now: F.t0), .ok)
        XCTAssertResult(book.submit(F.transfer("t1", from: F.alice, to: F.bob, 5), now: F.t0), .exists)
        XCTAssertEqual(book.postedBalance(F.bob), 5)
    }

    func testAStormOfDuplicatesCreditsEachTransferOnce() {
        var book = F.book()
        var random = fixedSeedRandom(0x1D3A_7E57)
        let holders = [F.alice, F.bob, F.team, F.neighbour, F.worker]
        let distinct = (0..<300).map { index in
            F.transfer(
                "storm-\(index)",
                from: F.issuer,
                to: holders[index % holders.count],
                Int64(1 + index % 9),
                code: "deliberation"
            )
        }
        var expected: [String: Int64] = [:]
        for transfer in distinct { expected[transfer.creditAccountID, default: 0] += transfer.amount }
        // Every transfer sent eight times, in random order and random batches, some of them at once.
        var sends = (0..<8).flatMap { _ in distinct }
        sends.shuffle(using: &random)
        var results: [String: [Gongzhi_Points_V1_Result]] = [:]
        var now = F.t0
        while !sends.isEmpty {
            let size = min(sends.count, Int.random(in: 1...64, using: &random))
            let batch = Array(sends.prefix(size))
            sends.removeFirst(size)
            now += 1
            for result in book.createTransfers(batch, now: now, recordedBy: F.staff) {
                results[result.id, default: []].append(result.result)
            }
        }
        XCTAssertEqual(results.count, distinct.count)
        for (id, answers) in results {
            XCTAssertEqual(answers.count, 8, id)
            XCTAssertEqual(answers.first, .ok, id)
            XCTAssertEqual(answers.dropFirst().filter { $0 != .exists }, [], id)
        }
        XCTAssertEqual(book.transfers.count, distinct.count, "no transfer is recorded twice")
        XCTAssertEqual(Set(book.transfers.map(\.id)).count, distinct.count)
        for holder in holders {
            XCTAssertEqual(book.postedBalance(holder), expected[holder], holder)
            XCTAssertEqual(book.lots(of: holder).map(\.remaining).reduce(0, +), expected[holder], holder)
        }
        XCTAssertEqual(book.postedBalance(F.issuer), -expected.values.reduce(0, +))
        XCTAssertTrue(LedgerVerification.verify(transfers: book.transfers, accounts: Array(book.accounts.values)).ok)
    }
}
