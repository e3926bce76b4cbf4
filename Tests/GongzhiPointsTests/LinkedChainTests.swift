import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Linked chains succeed or fail together: a failing transfer leaves no trace of the chain, and the others are
/// answered LINKED_EVENT_FAILED naming it.
final class LinkedChainTests: XCTestCase {
    typealias F = PointsFixtures

    /// A book where Alice has points of a lot that is already due, Bob has points and a pending redemption, and
    /// Alice's earlier credit can be corrected.
    func bookWithHistory() -> PointsBook {
        var book = F.book()
        XCTAssertResult(book.grant("a1", to: F.alice, 40, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(
                F.transfer("a2", from: F.issuer, to: F.alice, 6, code: "deliberation") {
                    $0.expiresAtMs = F.t0 + F.hour
                },
                now: F.t0
            ),
            .ok
        )
        XCTAssertResult(book.grant("b1", to: F.bob, 20, rule: "volunteer-hour", now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("bp", from: F.bob, to: F.venue, 5) { $0.pending = true }, now: F.t0),
            .ok
        )
        XCTAssertNil(book.accounts[F.expiry], "nothing expired yet")
        _ = book.takeChanges()
        return book
    }

    func testAFailingMiddleTransferLeavesNoTraceAndTheOthersNameIt() {
        var book = bookWithHistory()
        let now = F.t0 + 2 * F.hour
        let chain = [
            // Debits Alice, whose due lot expires first (an expiry transfer and the expiry account).
            F.transfer("c1", from: F.alice, to: F.bob, 10) { $0.linked = true },
            // A capped credit.
            F.transfer("c2", from: F.issuer, to: F.bob, 10, code: "volunteer-hour") { $0.linked = true },
            // A post of Bob's pending transfer, and a new pending one.
            F.resolution("c3", post: true, pending: "bp").linkedToNext(),
            F.transfer("c4", from: F.bob, to: F.venue, 3) {
                $0.pending = true
                $0.linked = true
            },
            // A correction.
            F.transfer("c5", from: F.alice, to: F.issuer, 4, code: "correction") {
                $0.reversesID = "a1"
                $0.linked = true
            },
            // Fails: Carol has nothing.
            F.transfer("c6", from: F.carol, to: F.alice, 1) { $0.linked = true },
            F.transfer("c7", from: F.issuer, to: F.alice, 1, code: "deliberation"),
        ]
        let before = BookSnapshot(book)
        let results = book.createTransfers(
            [F.transfer("before", from: F.issuer, to: F.team, 2, code: "deliberation")] + chain
                + [F.transfer("after", from: F.issuer, to: F.team, 3, code: "deliberation")],
            now: now,
            recordedBy: F.staff
        )
        XCTAssertEqual(
            results.map(\.result),
            [
                .ok, .linkedEventFailed, .linkedEventFailed, .linkedEventFailed, .linkedEventFailed, .linkedEventFailed,
                .exceedsCredits, .linkedEventFailed, .ok,
            ],
            results.map(\.message).description
        )
        XCTAssertEqual(results.map(\.index), Array(0...8))
        XCTAssertEqual(results[6].shortfall, 1)
        for result in results where result.result == .linkedEventFailed {
            XCTAssertTrue(result.message.contains("c6"), result.message)
            XCTAssertFalse(result.hasTransfer)
        }

        // Only the transfers outside the chain happened.
        var after = BookSnapshot(book)
        XCTAssertEqual(book.transfers.suffix(3).map(\.id), ["bp", "before", "after"])
        XCTAssertEqual(after.transferCount, before.transferCount + 2)
        XCTAssertEqual(after.changedTransfers, ["before", "after"])
        XCTAssertEqual(after.changedAccounts, [F.issuer, F.team])
        XCTAssertEqual(book.postedBalance(F.team), 5)
        XCTAssertNil(book.accounts[F.expiry], "the expiry account the chain opened is gone again")
        XCTAssertEqual(book.lots(of: F.alice).map(\.remaining).reduce(0, +), 46)
        XCTAssertEqual(book.pending["bp"]?.status, .pending)
        XCTAssertNil(book.pending["c4"])
        for id in chain.map(\.id) { XCTAssertNil(book.transfer(id), id) }
        XCTAssertEqual(book.transferCount(of: F.alice), 2)
        XCTAssertEqual(book.transferCount(of: F.bob), 2)
        // Take the two outside transfers away again: everything else is as it was.
        after.accounts[F.issuer] = before.accounts[F.issuer]
        after.accounts[F.team] = before.accounts[F.team]
        after.transferCount = before.transferCount
        after.lastTransferID = before.lastTransferID
        after.changedTransfers = before.changedTransfers
        after.changedAccounts = before.changedAccounts
        after.headSequence = before.headSequence
        after.headHash = before.headHash
        XCTAssertEqual(after, before)
        XCTAssertEqual(book.headSequence, before.headSequence + 2)
        XCTAssertEqual(book.transfer("after")?.sequence, before.headSequence + 2)
        XCTAssertEqual(
            book.transfer("before").map { Array($0.hash) },
            book.transfer("after").map { Array($0.previousHash) }
        )
        XCTAssertTrue(LedgerVerification.verify(transfers: book.transfers, accounts: Array(book.accounts.values)).ok)

        // The same chain with Carol able to pay goes through whole.
        XCTAssertResult(book.grant("c0", to: F.carol, 1, from: F.otherIssuer, now: now), .ok)
        let retried = book.createTransfers(chain, now: now, recordedBy: F.staff)
        XCTAssertEqual(retried.map(\.result), Array(repeating: .ok, count: 7), retried.map(\.message).description)
        XCTAssertNotNil(book.accounts[F.expiry])
        XCTAssertEqual(book.postedBalance(F.expiry), 6, "Alice's due lot expired before she paid")
        XCTAssertEqual(book.postedBalance(F.alice), 40 - 10 - 4 + 1 + 1)
        XCTAssertEqual(book.postedBalance(F.bob), 20 + 10 + 10 - 5)
        XCTAssertEqual(book.spendable(F.bob), 35 - 3)
        XCTAssertEqual(book.pending["bp"]?.status, .posted)
        XCTAssertEqual(book.reversed["a1"], 4)
    }

    func testAChainWithAFailingFirstOrLastTransferFailsWhole() {
        for failing in [0, 2] {
            var book = bookWithHistory()
            var chain = [
                F.transfer("x0", from: F.issuer, to: F.alice, 1, code: "deliberation"),
                F.transfer("x1", from: F.alice, to: F.bob, 1),
                F.transfer("x2", from: F.bob, to: F.carol, 1),
            ]
            chain[failing].code = "no-such-rule"
            chain[failing].debitAccountID = F.issuer
            chain[0].linked = true
            chain[1].linked = true
            let before = BookSnapshot(book)
            let results = book.createTransfers(chain, now: F.t0, recordedBy: F.staff)
            XCTAssertEqual(results[failing].result, .ruleNotFound, results[failing].message)
            XCTAssertEqual(results.filter { $0.result == .linkedEventFailed }.count, 2)
            XCTAssertEqual(BookSnapshot(book), before)
        }
    }

    func testAChainOpenAtTheEndOfTheBatchIsNotRecorded() {
        var book = bookWithHistory()
        let before = BookSnapshot(book)
        let open = book.createTransfers(
            [
                F.transfer("o1", from: F.issuer, to: F.alice, 1, code: "deliberation") { $0.linked = true },
                F.transfer("o2", from: F.issuer, to: F.bob, 1, code: "deliberation") { $0.linked = true },
            ],
            now: F.t0,
            recordedBy: F.staff
        )
        XCTAssertEqual(open.map(\.result), [.linkedEventFailed, .linkedEventChainOpen])
        XCTAssertTrue(open[0].message.contains("o2"), open[0].message)
        XCTAssertTrue(open[1].message.contains("linked"), open[1].message)
        XCTAssertEqual(BookSnapshot(book), before)

        let single = book.createTransfers(
            [
                F.transfer("s1", from: F.issuer, to: F.alice, 1, code: "deliberation"),
                F.transfer("s2", from: F.issuer, to: F.bob, 1, code: "deliberation") { $0.linked = true },
            ],
            now: F.t0,
            recordedBy: F.staff
        )
        XCTAssertEqual(single.map(\.result), [.ok, .linkedEventChainOpen])
        XCTAssertNotNil(book.transfer("s1"))
        XCTAssertNil(book.transfer("s2"))
    }

    func testTransfersAlreadyRecordedCountAsSuccessInAChain() {
        var book = bookWithHistory()
        let chain = [
            F.transfer("e1", from: F.issuer, to: F.alice, 3, code: "deliberation") { $0.linked = true },
            F.transfer("e2", from: F.alice, to: F.bob, 3),
        ]
        XCTAssertEqual(
            book.createTransfers([chain[0].standalone()], now: F.t0, recordedBy: F.staff).map(\.result),
            [.ok]
        )
        // e1 was recorded unlinked: linked now, it differs in its flags and fails the chain.
        let differing = book.createTransfers(chain, now: F.t0, recordedBy: F.staff)
        XCTAssertEqual(differing.map(\.result), [.existsWithDifferentField, .linkedEventFailed])
        XCTAssertEqual(differing[0].field, "flags")

        let whole = [
            F.transfer("f1", from: F.issuer, to: F.alice, 3, code: "deliberation") { $0.linked = true },
            F.transfer("f2", from: F.alice, to: F.bob, 3),
        ]
        XCTAssertEqual(book.createTransfers(whole, now: F.t0, recordedBy: F.staff).map(\.result), [.ok, .ok])
        XCTAssertEqual(book.createTransfers(whole, now: F.t0, recordedBy: F.staff).map(\.result), [.exists, .exists])
        XCTAssertEqual(book.postedBalance(F.bob), 20 + 3)
    }

    func testChainsAcrossAFullBatch() {
        var book = F.book()
        let size = PointsBook.maximumBatch
        XCTAssertEqual(size, 8_190)
        XCTAssertResult(book.grant("seed", to: F.alice, Int64(size), now: F.t0), .ok)

        // One chain as long as the batch: the last transfer fails, and none is recorded.
        var chain = (0..<size).map { index in
            F.transfer("long-\(index)", from: F.alice, to: index % 2 == 0 ? F.bob : F.team, 1) { $0.linked = true }
        }
        chain[size - 1].linked = false
        chain[size - 1].amount = 2
        chain[size - 1].debitAccountID = F.carol
        let before = BookSnapshot(book)
        let failed = book.createTransfers(chain, now: F.t0, recordedBy: F.staff)
        XCTAssertEqual(failed.count, size)
        XCTAssertEqual(failed.last?.result, .exceedsCredits)
        XCTAssertEqual(failed.dropLast().filter { $0.result != .linkedEventFailed }.count, 0)
        XCTAssertEqual(BookSnapshot(book), before)

        // The same chain ending well: all of it.
        chain[size - 1].debitAccountID = F.alice
        chain[size - 1].amount = 1
        let recorded = book.createTransfers(chain, now: F.t0 + 1, recordedBy: F.staff)
        XCTAssertEqual(recorded.filter { $0.result == .ok }.count, size)
        XCTAssertEqual(book.postedBalance(F.alice), 0)
        XCTAssertEqual(book.postedBalance(F.bob) + book.postedBalance(F.team), Int64(size))
        XCTAssertEqual(book.headSequence, Int64(size) + 1)

        // A batch of short chains, every third one failing: exactly the others are recorded.
        var shortChains: [Transfer] = []
        for chainIndex in 0..<(size / 3) {
            for step in 0..<3 {
                var transfer = F.transfer(
                    "short-\(chainIndex)-\(step)",
                    from: F.issuer,
                    to: F.worker,
                    1,
                    code: "deliberation"
                )
                transfer.linked = step < 2
                if chainIndex % 3 == 2 && step == 1 { transfer.code = "retired-rule" }
                shortChains.append(transfer)
            }
        }
        XCTAssertEqual(shortChains.count, size)
        let mixed = book.createTransfers(shortChains, now: F.t0 + 2, recordedBy: F.staff)
        let failedChains = (0..<(size / 3)).filter { $0 % 3 == 2 }.count
        XCTAssertEqual(mixed.filter { $0.result == .ruleInactive }.count, failedChains)
        XCTAssertEqual(mixed.filter { $0.result == .linkedEventFailed }.count, 2 * failedChains)
        XCTAssertEqual(mixed.filter { $0.result == .ok }.count, size - 3 * failedChains)
        XCTAssertEqual(book.postedBalance(F.worker), Int64(size - 3 * failedChains))
        for (index, result) in mixed.enumerated() {
            XCTAssertEqual(result.index, Int32(index))
            XCTAssertEqual(result.result == .ok, (index / 3) % 3 != 2, result.id)
        }
        XCTAssertTrue(LedgerVerification.verify(transfers: book.transfers, accounts: Array(book.accounts.values)).ok)
    }
}

extension Transfer {
    /// The transfer linked to the next one of its batch.
    func linkedToNext() -> Transfer {
        var copy = self
        copy.linked = true
        return copy
    }

    /// The transfer on its own, not linked to the next one.
    func standalone() -> Transfer {
        var copy = self
        copy.linked = false
        return copy
    }
}
