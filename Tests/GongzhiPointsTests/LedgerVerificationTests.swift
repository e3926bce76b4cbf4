import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The hash chain and the verification: the book's own record verifies, and any change to a stored transfer or
/// balance is caught and named; replaying the record gives the same book.
final class LedgerVerificationTests: XCTestCase {
    typealias F = PointsFixtures

    /// A book with every kind of transfer: credits under caps, gifts, pending transfers posted in part and voided,
    /// corrections, redemptions confirmed, cancelled and timed out, and expiry.
    func bookWithHistory() -> PointsBook {
        var book = F.book()
        XCTAssertResult(book.grant("c1", to: F.alice, 50, now: F.t0), .ok)
        XCTAssertResult(book.grant("c2", to: F.bob, 30, rule: "volunteer-hour", now: F.t0), .ok)
        XCTAssertResult(book.grant("c3", to: F.team, 40, rule: "grid-case", now: F.t0 + F.hour), .ok)
        XCTAssertResult(book.grant("c4", to: F.carol, 25, from: F.otherIssuer, now: F.april), .ok)
        XCTAssertResult(book.grant("c5", to: F.partyAlice, 10, rule: "party-duty", from: F.partyIssuer, now: F.t0), .ok)
        XCTAssertResult(book.submit(F.transfer("gift", from: F.alice, to: F.bob, 5), now: F.t0 + 2 * F.hour), .ok)
        let chain = book.createTransfers(
            [
                F.transfer("p1", from: F.bob, to: F.venue, 12) {
                    $0.pending = true
                    $0.linked = true
                },
                F.transfer("p2", from: F.team, to: F.venue, 8) {
                    $0.pending = true
                    $0.timeoutSeconds = 60
                },
            ],
            now: F.t0 + 3 * F.hour,
            recordedBy: F.staff
        )
        XCTAssertEqual(chain.map(\.result), [.ok, .ok])
        XCTAssertResult(
            book.submit(F.resolution("post1", post: true, pending: "p1", amount: 7), now: F.t0 + 4 * F.hour),
            .ok
        )
        XCTAssertResult(book.submit(F.reversal("fix1", of: book.transfer("c2")!, 10), now: F.t0 + 5 * F.hour), .ok)
        XCTAssertNotNil(try? book.put(good: F.good("rice", price: 10, stock: 9), now: F.t0).get())
        for (id, holder) in [("r1", F.alice), ("r2", F.bob), ("r3", F.alice)] {
            _ = book.redeem(
                id: id,
                accountID: holder,
                goodID: "rice",
                quantity: 1,
                timeoutSeconds: 3_600,
                note: "",
                now: F.t0 + 6 * F.hour,
                by: "person:li-mei"
            )
        }
        _ = book.resolve("r1", confirm: true, now: F.t0 + 6 * F.hour + 1, by: "person:clerk", note: "")
        _ = book.resolve("r2", confirm: false, now: F.t0 + 6 * F.hour + 1, by: "person:wang", note: "")
        let swept = book.sweep(now: F.marchLotsExpire)
        XCTAssertEqual(swept.expiredRedemptions, 1)
        XCTAssertEqual(swept.voidedPending, 1)
        XCTAssertGreaterThan(swept.expiredPoints, 0)
        XCTAssertEqual(
            book.redemptions.values.map(\.state).sorted { $0.rawValue < $1.rawValue },
            [.confirmed, .cancelled, .expired]
        )
        return book
    }

    func verify(_ transfers: [Transfer], _ accounts: [Account]) -> LedgerVerification.Report {
        LedgerVerification.verify(transfers: transfers, accounts: accounts)
    }

    func testTheBooksOwnRecordVerifiesInAnyOrder() {
        let book = bookWithHistory()
        let accounts = Array(book.accounts.values)
        let report = verify(book.transfers, accounts)
        XCTAssertTrue(report.ok, report.problem ?? "")
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.transfers, book.transfers.count)
        XCTAssertEqual(report.accounts, book.accounts.count)
        XCTAssertEqual(report.headHash, book.headHash)
        XCTAssertEqual(report.headSequence, book.headSequence)
        XCTAssertEqual(report.headSequence, Int64(book.transfers.count))
        XCTAssertEqual(report.firstBadTransferID, "")
        XCTAssertEqual(report.firstBadAccountID, "")

        var shuffled = book.transfers
        var random = fixedSeedRandom(0x5EED_0001)
        shuffled.shuffle(using: &random)
        XCTAssertTrue(verify(shuffled, accounts.shuffled(using: &random)).ok, "stored in any order")
        XCTAssertTrue(verify([], []).ok)
        XCTAssertEqual(verify([], []).headHash, TransferHash.genesis)
    }

    func testAChangedAmountIsNamed() {
        let book = bookWithHistory()
        var transfers = book.transfers
        let index = transfers.firstIndex { $0.id == "gift" }!
        transfers[index].amount = 4
        let report = verify(transfers, Array(book.accounts.values))
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.firstBadTransferID, "gift")
        XCTAssertEqual(report.firstBadSequence, transfers[index].sequence)
        XCTAssertTrue(report.problem?.contains("changed") ?? false, report.problem ?? "")
    }

    func testAChangeWithItsHashRecomputedBreaksTheNextLink() {
        let book = bookWithHistory()
        var transfers = book.transfers
        let index = transfers.firstIndex { $0.id == "gift" }!
        transfers[index].amount = 4
        transfers[index].hash = Data(TransferHash.compute(transfers[index]))
        let report = verify(transfers, Array(book.accounts.values))
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.firstBadTransferID, transfers[index + 1].id)
        XCTAssertEqual(report.firstBadSequence, transfers[index].sequence + 1)
    }

    func testARechainedForgeryIsCaughtByTheBalances() {
        let book = bookWithHistory()
        var transfers = book.transfers
        let index = transfers.firstIndex { $0.id == "gift" }!
        transfers[index].amount = 4
        var previous = index == 0 ? TransferHash.genesis : Array(transfers[index - 1].hash)
        for position in index..<transfers.count {
            transfers[position].previousHash = Data(previous)
            transfers[position].hash = Data(TransferHash.compute(transfers[position]))
            previous = Array(transfers[position].hash)
        }
        let report = verify(transfers, Array(book.accounts.values))
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.firstBadTransferID, "")
        XCTAssertEqual(report.firstBadAccountID, F.alice, "the first account, by id, whose balance does not fit")
        XCTAssertNotEqual(report.headHash, book.headHash)
    }

    func testARemovedTransferIsNamedByTheOneAfterIt() {
        let book = bookWithHistory()
        var transfers = book.transfers
        let index = transfers.firstIndex { $0.id == "post1" }!
        transfers.remove(at: index)
        let report = verify(transfers, Array(book.accounts.values))
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.firstBadTransferID, book.transfers[index + 1].id)
        XCTAssertEqual(report.firstBadSequence, Int64(index + 2))
        XCTAssertTrue(report.problem?.contains("\(index + 1) was expected") ?? false, report.problem ?? "")

        // The last one removed leaves a chain that fits, but not the balances.
        let shortened = Array(book.transfers.dropLast())
        let last = book.transfers.last!
        let tail = verify(shortened, Array(book.accounts.values))
        XCTAssertFalse(tail.ok)
        XCTAssertEqual(tail.firstBadAccountID, [last.debitAccountID, last.creditAccountID].min())
    }

    func testReorderedTransfersAreNamed() {
        let book = bookWithHistory()
        var transfers = book.transfers
        let first = transfers.firstIndex { $0.id == "c3" }!
        let second = transfers.firstIndex { $0.id == "gift" }!
        // Swap their places in the chain.
        let sequence = transfers[first].sequence
        transfers[first].sequence = transfers[second].sequence
        transfers[second].sequence = sequence
        let report = verify(transfers, Array(book.accounts.values))
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.firstBadTransferID, "gift")
        XCTAssertEqual(report.firstBadSequence, sequence)
    }

    func testAChangedStoredBalanceIsNamed() {
        let book = bookWithHistory()
        for field in ["debits_posted", "credits_posted", "debits_pending", "credits_pending"] {
            var accounts = Array(book.accounts.values)
            let index = accounts.firstIndex { $0.id == F.bob }!
            switch field {
            case "debits_posted": accounts[index].debitsPosted += 1
            case "credits_posted": accounts[index].creditsPosted += 1
            case "debits_pending": accounts[index].debitsPending += 1
            default: accounts[index].creditsPending -= 1
            }
            let report = verify(book.transfers, accounts)
            XCTAssertFalse(report.ok, field)
            XCTAssertEqual(report.firstBadAccountID, F.bob, field)
            XCTAssertTrue(report.problem?.contains(field) ?? false, report.problem ?? "")
        }
        // An account the transfers name but the store lacks.
        let accounts = book.accounts.values.filter { $0.id != F.carol }
        let missing = verify(book.transfers, accounts)
        XCTAssertFalse(missing.ok)
        XCTAssertEqual(missing.firstBadTransferID, "c4")
        XCTAssertTrue(missing.problem?.contains(F.carol) ?? false, missing.problem ?? "")
    }

    func testReplayingTheRecordIntoAFreshBookGivesTheSameBook() {
        var book = bookWithHistory()
        var fresh = PointsBook()
        for ledger in book.ledgers.values { fresh.put(ledger: ledger) }
        for rule in book.rules.values { fresh.put(rule: rule) }
        for account in book.accounts.values { fresh.load(account: account) }
        XCTAssertEqual(fresh.accounts[F.alice]?.creditsPosted, 0, "loading clears what the transfers fill")
        for transfer in book.transfers {
            XCTAssertNil(fresh.replay(transfer), transfer.id)
        }
        XCTAssertEqual(fresh.accounts, book.accounts, "the same balances and lots")
        XCTAssertEqual(fresh.headHash, book.headHash)
        XCTAssertEqual(fresh.headSequence, book.headSequence)
        XCTAssertEqual(fresh.pending, book.pending)
        XCTAssertEqual(fresh.reversed, book.reversed)
        XCTAssertEqual(fresh.capUsage.filter { $0.value != 0 }, book.capUsage.filter { $0.value != 0 })
        XCTAssertEqual(fresh.transfers, book.transfers)
        XCTAssertTrue(fresh.changes.transfers.isEmpty, "replayed transfers are not written again")

        // Both go on alike.
        let next = F.transfer("next", from: F.issuer, to: F.bob, 20, code: "volunteer-hour")
        let later = F.marchLotsExpire + F.day
        let original = book.submit(next, now: later)
        let replayed = fresh.submit(next, now: later)
        XCTAssertResult(original, .ok)
        XCTAssertEqual(replayed, original)
        XCTAssertEqual(fresh.accounts, book.accounts)
        // Caps count what the replayed transfers earned: Bob has 20 of 30 on the first day after his correction.
        let capped = F.transfer("capped", from: F.issuer, to: F.bob, 11, code: "volunteer-hour")
        XCTAssertResult(book.submit(capped, now: F.t0 + 7 * F.hour), .capReached)
        XCTAssertResult(fresh.submit(capped, now: F.t0 + 7 * F.hour), .capReached)
        let fits = F.transfer("fits", from: F.issuer, to: F.bob, 10, code: "volunteer-hour")
        XCTAssertResult(book.submit(fits, now: F.t0 + 7 * F.hour), .ok)
        let fitsAfterReplay = fresh.submit(fits, now: F.t0 + 7 * F.hour)
        XCTAssertResult(fitsAfterReplay, .ok)
        XCTAssertEqual(fitsAfterReplay.transfer, book.transfer("fits"))
        XCTAssertEqual(fresh.headHash, book.headHash)
    }

    func testHashesAreSHA256OfTheTransferWithoutItsHash() {
        var transfer = F.transfer("t", from: F.issuer, to: F.alice, 1, code: "deliberation")
        transfer.sequence = 1
        transfer.previousHash = Data(TransferHash.genesis)
        let hash = TransferHash.compute(transfer)
        XCTAssertEqual(hash.count, 32)
        transfer.hash = Data(hash)
        XCTAssertEqual(TransferHash.compute(transfer), hash, "the hash field itself is left out")
        transfer.memo = "x"
        XCTAssertNotEqual(TransferHash.compute(transfer), hash)
        XCTAssertEqual(TransferHash.hex([0x00, 0xAB, 0x0F]), "00ab0f")
        XCTAssertEqual(TransferHash.genesis, [UInt8](repeating: 0, count: 32))
    }
}
