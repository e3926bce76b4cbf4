import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Every result a transfer can get, with the figures and the field it names, and a refused transfer leaving the
/// book exactly as it was.
final class TransferResultTests: XCTestCase {
    typealias F = PointsFixtures

    /// Submits a transfer that must be refused with `expected`, checks that nothing changed, and answers the result.
    @discardableResult
    func refused(
        _ transfer: Transfer,
        in book: inout PointsBook,
        _ expected: Gongzhi_Points_V1_Result,
        now: Int64 = F.t0,
        file: StaticString = #filePath,
        line: UInt = #line
    ) -> TransferResult {
        let before = BookSnapshot(book)
        let result = book.submit(transfer, now: now)
        XCTAssertResult(result, expected, file: file, line: line)
        XCTAssertEqual(result.id, transfer.id, file: file, line: line)
        XCTAssertFalse(result.message.isEmpty, "a refusal says why", file: file, line: line)
        XCTAssertFalse(result.hasTransfer, "a refusal carries no recorded transfer", file: file, line: line)
        XCTAssertEqual(BookSnapshot(book), before, "a refused transfer changes nothing", file: file, line: line)
        if expected != .existsWithDifferentField {
            XCTAssertNil(book.transfer(transfer.id), file: file, line: line)
        }
        return result
    }

    func testOKRecordsTheTransferMovesBothBalancesAndChainsIt() {
        var book = F.book()
        let result = book.grant("t1", to: F.alice, 10, now: F.t0)
        XCTAssertResult(result, .ok)
        XCTAssertEqual(result.index, 0)
        XCTAssertEqual(result.transfer.sequence, 1)
        XCTAssertEqual(result.transfer.ledger, "volunteer", "the ledger is filled in from the accounts")
        XCTAssertEqual(result.transfer.timestampMs, F.t0)
        XCTAssertEqual(result.transfer.recordedBy, F.staff)
        XCTAssertEqual(Array(result.transfer.previousHash), TransferHash.genesis)
        XCTAssertEqual(Array(result.transfer.hash), TransferHash.compute(result.transfer))
        XCTAssertEqual(book.headSequence, 1)
        XCTAssertEqual(book.headHash, Array(result.transfer.hash))
        XCTAssertEqual(book.postedBalance(F.alice), 10)
        XCTAssertEqual(book.postedBalance(F.issuer), -10)
        XCTAssertEqual(book.accounts[F.alice]?.creditsPosted, 10)
        XCTAssertEqual(book.accounts[F.issuer]?.debitsPosted, 10)
        XCTAssertEqual(book.transfer("t1"), result.transfer)
        XCTAssertEqual(book.changes.transfers.map(\.id), ["t1"])
        XCTAssertEqual(book.changes.accounts, [F.alice, F.issuer])

        let second = book.grant("t2", to: F.alice, 5, now: F.t0 + 1)
        XCTAssertResult(second, .ok)
        XCTAssertEqual(second.transfer.sequence, 2)
        XCTAssertEqual(second.transfer.previousHash, result.transfer.hash)
        XCTAssertEqual(book.postedBalance(F.alice), 15)
        XCTAssertEqual(book.history(of: F.alice, limit: 10).map(\.id), ["t2", "t1"])
        XCTAssertEqual(book.history(of: F.alice, limit: 10, beforeSequence: 2).map(\.id), ["t1"])
        XCTAssertEqual(book.transferCount(of: F.issuer), 2)
    }

    func testExistsWithDifferentFieldNamesTheFirstFieldThatDiffers() {
        var book = F.book()
        let original = F.transfer("t1", from: F.issuer, to: F.alice, 10, code: "deliberation") {
            $0.reference = "meeting-7"
            $0.memo = "议事会"
        }
        XCTAssertResult(book.submit(original, now: F.t0), .ok)
        let changes: [(String, (inout Transfer) -> Void)] = [
            ("debit_account_id", { $0.debitAccountID = F.otherIssuer }),
            ("credit_account_id", { $0.creditAccountID = F.bob }),
            ("amount", { $0.amount = 11 }),
            ("code", { $0.code = "training" }),
            ("ledger", { $0.ledger = "party" }),
            ("flags", { $0.pending = true }),
            ("flags", { $0.linked = true }),
            ("timeout_seconds", { $0.timeoutSeconds = 60 }),
            ("reverses_id", { $0.reversesID = "t0" }),
            ("reference", { $0.reference = "meeting-8" }),
            ("memo", { $0.memo = "another" }),
            ("expires_at_ms", { $0.expiresAtMs = F.t0 + F.day }),
        ]
        for (field, change) in changes {
            var retry = original
            change(&retry)
            let result = refused(retry, in: &book, .existsWithDifferentField, now: F.t0 + F.hour)
            XCTAssertEqual(result.field, field)
            XCTAssertTrue(result.message.contains(field), result.message)
        }
        // Two fields differ: the first in the field order is named.
        var both = original
        both.amount = 12
        both.memo = "x"
        XCTAssertEqual(refused(both, in: &book, .existsWithDifferentField).field, "amount")
    }

    func testIDInvalid() {
        var book = F.book()
        for id in ["", "has space", "中文", "slash/es", String(repeating: "a", count: 129)] {
            refused(F.transfer(id, from: F.issuer, to: F.alice, 1, code: "deliberation"), in: &book, .idInvalid)
        }
        XCTAssertResult(book.grant(String(repeating: "a", count: 128), to: F.alice, 1, now: F.t0), .ok)
        XCTAssertResult(book.grant("A-z_0.9:x", to: F.alice, 1, now: F.t0), .ok)
    }

    func testLedgerNotFound() {
        var book = F.book()
        // Accounts of a ledger that is not (or no longer) configured.
        book.ensureAccount(
            AccountID(ledger: "ghost", holderKind: .issuer, holderID: F.community),
            holderName: "",
            communityCode: F.community,
            now: F.t0
        )
        book.ensureAccount(
            AccountID(ledger: "ghost", holderKind: .resident, holderID: "R0001"),
            holderName: "",
            communityCode: F.community,
            now: F.t0
        )
        let result = refused(
            F.transfer("t1", from: "ghost:issuer:\(F.community)", to: "ghost:resident:R0001", 1, code: "x"),
            in: &book,
            .ledgerNotFound
        )
        XCTAssertEqual(result.field, "ledger")
    }

    func testAccountNotFoundNamesWhichAccount() {
        var book = F.book()
        let debit = refused(
            F.transfer("t1", from: "volunteer:resident:R9999", to: F.alice, 1),
            in: &book,
            .accountNotFound
        )
        XCTAssertEqual(debit.field, "debit_account_id")
        XCTAssertTrue(debit.message.contains("volunteer:resident:R9999"), debit.message)
        let credit = refused(
            F.transfer("t2", from: F.issuer, to: "volunteer:resident:R9999", 1, code: "deliberation"),
            in: &book,
            .accountNotFound
        )
        XCTAssertEqual(credit.field, "credit_account_id")
    }

    func testAccountsMustBeDifferentAndOfTheSameLedger() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 10, now: F.t0), .ok)
        refused(F.transfer("t1", from: F.alice, to: F.alice, 1), in: &book, .accountsMustBeDifferent)
        refused(F.transfer("t2", from: F.alice, to: F.partyAlice, 1), in: &book, .accountsMustHaveTheSameLedger)
        let named = refused(
            F.transfer("t3", from: F.alice, to: F.bob, 1) { $0.ledger = "party" },
            in: &book,
            .transferMustHaveTheSameLedgerAsAccounts
        )
        XCTAssertEqual(named.field, "ledger")
    }

    func testAmountMustNotBeZeroNorNegative() {
        var book = F.book()
        XCTAssertEqual(
            refused(
                F.transfer("t1", from: F.issuer, to: F.alice, 0, code: "deliberation"),
                in: &book,
                .amountMustNotBeZero
            )
            .field,
            "amount"
        )
        refused(
            F.transfer("t2", from: F.issuer, to: F.alice, -5, code: "deliberation"),
            in: &book,
            .amountMustNotBeZero
        )
    }

    func testCodeRequired() {
        var book = F.book()
        let result = refused(F.transfer("t1", from: F.issuer, to: F.alice, 5, code: ""), in: &book, .codeRequired)
        XCTAssertEqual(result.field, "code")
    }

    func testAccountClosedNamesWhichAccountAndAPendingTransferCanStillBeVoided() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 50, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("hold", from: F.alice, to: F.venue, 20) { $0.pending = true }, now: F.t0),
            .ok
        )
        XCTAssertEqual(book.setClosed(F.alice, true)?.closed, true)
        XCTAssertTrue(book.accounts[F.alice]?.closed ?? false)

        let debit = refused(F.transfer("t1", from: F.alice, to: F.bob, 1), in: &book, .accountClosed)
        XCTAssertEqual(debit.field, "debit_account_id")
        let credit = refused(
            F.transfer("t2", from: F.issuer, to: F.alice, 1, code: "deliberation"),
            in: &book,
            .accountClosed
        )
        XCTAssertEqual(credit.field, "credit_account_id")

        XCTAssertResult(book.submit(F.resolution("void", post: false, pending: "hold"), now: F.t0 + 1), .ok)
        XCTAssertEqual(book.accounts[F.alice]?.debitsPending, 0)
        XCTAssertEqual(book.spendable(F.alice), 50)

        XCTAssertEqual(book.setClosed(F.alice, false)?.closed, false)
        XCTAssertResult(book.submit(F.transfer("t3", from: F.alice, to: F.bob, 1), now: F.t0 + 2), .ok)
        XCTAssertNil(book.setClosed("volunteer:resident:R9999", true))
    }

    func testExceedsCreditsGivesTheExactShortfallCountingPendingDebits() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("hold", from: F.alice, to: F.venue, 5) { $0.pending = true }, now: F.t0),
            .ok
        )
        XCTAssertEqual(book.postedBalance(F.alice), 30)
        XCTAssertEqual(book.spendable(F.alice), 25)

        let result = refused(F.transfer("t1", from: F.alice, to: F.bob, 40), in: &book, .exceedsCredits)
        XCTAssertEqual(result.shortfall, 15)
        XCTAssertTrue(result.message.contains("25"), result.message)
        XCTAssertTrue(result.message.contains("15"), result.message)
        XCTAssertTrue(result.message.contains("李梅"), result.message)

        let pending = refused(
            F.transfer("t2", from: F.alice, to: F.venue, 26) { $0.pending = true },
            in: &book,
            .exceedsCredits
        )
        XCTAssertEqual(pending.shortfall, 1)
        // Exactly what is available goes through, and then nothing more.
        XCTAssertResult(book.submit(F.transfer("t3", from: F.alice, to: F.bob, 25), now: F.t0), .ok)
        XCTAssertEqual(book.spendable(F.alice), 0)
        XCTAssertEqual(refused(F.transfer("t4", from: F.alice, to: F.bob, 1), in: &book, .exceedsCredits).shortfall, 1)
    }

    func testExceedsDebitsForAnAccountWhoseCreditsMayNotExceedItsDebits() {
        var book = F.book()
        var limited = Account()
        limited.id = "volunteer:venue:V9"
        limited.creditsMustNotExceedDebits = true
        XCTAssertEqual(book.createAccounts([limited], now: F.t0).map(\.result), [.ok])
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        refused(F.transfer("t1", from: F.alice, to: "volunteer:venue:V9", 1), in: &book, .exceedsDebits)
        // Once it was debited, it may be credited as much.
        XCTAssertResult(book.submit(F.transfer("t2", from: "volunteer:venue:V9", to: F.bob, 4), now: F.t0), .ok)
        XCTAssertResult(book.submit(F.transfer("t3", from: F.alice, to: "volunteer:venue:V9", 4), now: F.t0), .ok)
        refused(F.transfer("t4", from: F.alice, to: "volunteer:venue:V9", 1), in: &book, .exceedsDebits)
        XCTAssertEqual(book.postedBalance("volunteer:venue:V9"), 0)
    }

    func testFlagsAreMutuallyExclusive() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        refused(
            F.transfer("t1", from: F.alice, to: F.venue, 5) {
                $0.pending = true
                $0.postPending = true
            },
            in: &book,
            .flagsAreMutuallyExclusive
        )
        var both = F.resolution("t2", post: true, pending: "t0")
        both.voidPending = true
        refused(both, in: &book, .flagsAreMutuallyExclusive)
        refused(
            F.transfer("t3", from: F.alice, to: F.issuer, 5, code: "correction") {
                $0.pending = true
                $0.reversesID = "t0"
            },
            in: &book,
            .flagsAreMutuallyExclusive
        )
        // Points are issued in one step: a pending credit would pass its rule's checks and cap when posted.
        for rule in ["deliberation", "retired-rule", "no-such-rule"] {
            let issued = refused(
                F.transfer("t4-\(rule)", from: F.issuer, to: F.alice, 5, code: rule) { $0.pending = true },
                in: &book,
                .flagsAreMutuallyExclusive
            )
            XCTAssertEqual(issued.field, "pending")
        }
        // Giving points back to the issuer may wait.
        XCTAssertResult(
            book.submit(
                F.transfer("t5", from: F.alice, to: F.issuer, 5, code: "returned") { $0.pending = true },
                now: F.t0
            ),
            .ok
        )
    }

    func testPendingIDRules() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        let mustBeEmpty = refused(
            F.transfer("t1", from: F.alice, to: F.bob, 5) { $0.pendingID = "t0" },
            in: &book,
            .pendingIDMustBeEmpty
        )
        XCTAssertEqual(mustBeEmpty.field, "pending_id")
        let required = refused(F.resolution("t2", post: true, pending: ""), in: &book, .pendingIDRequired)
        XCTAssertEqual(required.field, "pending_id")
        refused(F.resolution("t3", post: false, pending: ""), in: &book, .pendingIDRequired)
        refused(F.resolution("t4", post: true, pending: "nothing-by-this-id"), in: &book, .pendingTransferNotFound)
        refused(F.resolution("t5", post: true, pending: "t0"), in: &book, .pendingTransferNotPending)
        refused(F.resolution("t6", post: false, pending: "t0"), in: &book, .pendingTransferNotPending)
    }

    func testAPendingTransferIsResolvedOnce() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        for id in ["p1", "p2"] {
            XCTAssertResult(
                book.submit(F.transfer(id, from: F.alice, to: F.venue, 5) { $0.pending = true }, now: F.t0),
                .ok
            )
        }
        XCTAssertResult(book.submit(F.resolution("post1", post: true, pending: "p1"), now: F.t0 + 1), .ok)
        XCTAssertResult(book.submit(F.resolution("void2", post: false, pending: "p2"), now: F.t0 + 1), .ok)
        refused(F.resolution("post1b", post: true, pending: "p1"), in: &book, .pendingTransferAlreadyPosted)
        refused(F.resolution("void1", post: false, pending: "p1"), in: &book, .pendingTransferAlreadyPosted)
        refused(F.resolution("post2", post: true, pending: "p2"), in: &book, .pendingTransferAlreadyVoided)
        refused(F.resolution("void2b", post: false, pending: "p2"), in: &book, .pendingTransferAlreadyVoided)
        XCTAssertEqual(book.pending["p1"]?.status, .posted)
        XCTAssertEqual(book.pending["p2"]?.status, .voided)
        XCTAssertEqual(book.postedBalance(F.alice), 25)
        XCTAssertEqual(book.spendable(F.alice), 25)
    }

    func testPendingTransferExpiredCanNoLongerBePosted() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(
                F.transfer("p1", from: F.alice, to: F.venue, 5) {
                    $0.pending = true
                    $0.timeoutSeconds = 60
                },
                now: F.t0
            ),
            .ok
        )
        XCTAssertEqual(book.pending["p1"]?.expiresAtMs, F.t0 + 60 * F.second)
        refused(
            F.resolution("post", post: true, pending: "p1"),
            in: &book,
            .pendingTransferExpired,
            now: F.t0 + F.minute
        )
        // A void still releases it.
        XCTAssertResult(book.submit(F.resolution("void", post: false, pending: "p1"), now: F.t0 + F.minute), .ok)
        XCTAssertEqual(book.spendable(F.alice), 30)
    }

    func testPendingTransferHasDifferentAccountsAndExceedsItsAmount() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        XCTAssertResult(
            book.submit(F.transfer("p1", from: F.alice, to: F.venue, 10) { $0.pending = true }, now: F.t0),
            .ok
        )
        var wrongDebit = F.resolution("r1", post: true, pending: "p1")
        wrongDebit.debitAccountID = F.bob
        refused(wrongDebit, in: &book, .pendingTransferHasDifferentAccounts)
        var wrongCredit = F.resolution("r2", post: true, pending: "p1")
        wrongCredit.creditAccountID = F.bob
        refused(wrongCredit, in: &book, .pendingTransferHasDifferentAccounts)
        var wrongLedger = F.resolution("r3", post: true, pending: "p1")
        wrongLedger.ledger = "party"
        XCTAssertEqual(refused(wrongLedger, in: &book, .transferMustHaveTheSameLedgerAsAccounts).field, "ledger")

        XCTAssertEqual(
            refused(F.resolution("r4", post: true, pending: "p1", amount: 11), in: &book, .exceedsPendingTransferAmount)
                .field,
            "amount"
        )
        refused(F.resolution("r5", post: true, pending: "p1", amount: -1), in: &book, .exceedsPendingTransferAmount)
        refused(F.resolution("r6", post: false, pending: "p1", amount: 4), in: &book, .exceedsPendingTransferAmount)

        // Naming the same accounts is fine; a void may name the whole amount.
        var same = F.resolution("r7", post: false, pending: "p1", amount: 10)
        same.debitAccountID = F.alice
        same.creditAccountID = F.venue
        XCTAssertResult(book.submit(same, now: F.t0), .ok)
    }

    func testTimeoutIsReservedForPendingTransfers() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 30, now: F.t0), .ok)
        let result = refused(
            F.transfer("t1", from: F.alice, to: F.bob, 5) { $0.timeoutSeconds = 60 },
            in: &book,
            .timeoutReservedForPendingTransfer
        )
        XCTAssertEqual(result.field, "timeout_seconds")
        var post = F.resolution("t2", post: true, pending: "t0")
        post.timeoutSeconds = 5
        refused(post, in: &book, .timeoutReservedForPendingTransfer)
    }

    func testReversalResults() {
        var book = F.book()
        let credit = book.grant("t0", to: F.alice, 30, now: F.t0)
        XCTAssertResult(credit, .ok)
        XCTAssertResult(
            book.submit(F.transfer("p1", from: F.alice, to: F.venue, 5) { $0.pending = true }, now: F.t0),
            .ok
        )

        var missing = F.reversal("c1", of: credit.transfer, 5)
        missing.reversesID = "nothing"
        XCTAssertEqual(refused(missing, in: &book, .reversedTransferNotFound).field, "reverses_id")
        // Not the original's accounts swapped.
        refused(
            F.transfer("c2", from: F.alice, to: F.otherIssuer, 5, code: "correction") { $0.reversesID = "t0" },
            in: &book,
            .reversalMustMatch
        )
        refused(
            F.transfer("c3", from: F.issuer, to: F.alice, 5, code: "correction") { $0.reversesID = "t0" },
            in: &book,
            .reversalMustMatch
        )
        // A pending transfer is voided, not reversed.
        refused(
            F.transfer("c4", from: F.venue, to: F.alice, 5, code: "correction") { $0.reversesID = "p1" },
            in: &book,
            .reversalMustMatch
        )
        let tooMuch = refused(F.reversal("c5", of: credit.transfer, 31), in: &book, .exceedsReversedAmount)
        XCTAssertEqual(tooMuch.field, "amount")
        XCTAssertResult(book.submit(F.reversal("c6", of: credit.transfer, 20), now: F.t0 + 1), .ok)
        let rest = refused(F.reversal("c7", of: credit.transfer, 11), in: &book, .exceedsReversedAmount)
        XCTAssertTrue(rest.message.contains("at most 10"), rest.message)
    }

    func testCapReachedGivesTheCapItsPeriodAndWhatWasEarned() {
        var book = F.book()
        XCTAssertResult(book.grant("h1", to: F.alice, 20, rule: "volunteer-hour", now: F.t0), .ok)
        let result = refused(
            F.transfer("h2", from: F.issuer, to: F.alice, 11, code: "volunteer-hour"),
            in: &book,
            .capReached,
            now: F.t0 + F.hour
        )
        XCTAssertEqual(result.cap, 30)
        XCTAssertEqual(result.period, .day)
        XCTAssertEqual(result.earned, 20)
        XCTAssertTrue(result.message.contains("李梅"), result.message)
        XCTAssertTrue(result.message.contains("30"), result.message)
        XCTAssertTrue(result.message.contains("day"), result.message)
        XCTAssertResult(book.grant("h3", to: F.alice, 10, rule: "volunteer-hour", now: F.t0 + F.hour), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 30)
    }

    func testRuleNotFoundAndInactive() {
        var book = F.book()
        XCTAssertEqual(
            refused(F.transfer("t1", from: F.issuer, to: F.alice, 5, code: "no-such-rule"), in: &book, .ruleNotFound)
                .field,
            "code"
        )
        // A rule of another ledger does not issue volunteer points.
        refused(F.transfer("t2", from: F.issuer, to: F.alice, 5, code: "party-duty"), in: &book, .ruleNotFound)
        XCTAssertEqual(
            refused(F.transfer("t3", from: F.issuer, to: F.alice, 5, code: "retired-rule"), in: &book, .ruleInactive)
                .field,
            "code"
        )
        XCTAssertResult(book.grant("t4", to: F.partyAlice, 5, rule: "party-duty", from: F.partyIssuer, now: F.t0), .ok)
        // Points given back to the issuer need no rule.
        XCTAssertResult(
            book.submit(F.transfer("t5", from: F.partyAlice, to: F.partyIssuer, 5, code: "returned"), now: F.t0),
            .ok
        )
    }

    func testOverflows() {
        var book = F.book()
        XCTAssertResult(book.grant("big", to: F.alice, Int64.max, now: F.t0), .ok)
        let result = refused(
            F.transfer("t1", from: F.issuer, to: F.bob, 1, code: "deliberation"),
            in: &book,
            .overflows
        )
        XCTAssertEqual(result.field, "amount")
        refused(F.transfer("t2", from: F.otherIssuer, to: F.alice, 1, code: "deliberation"), in: &book, .overflows)
        refused(
            F.transfer("t3", from: F.alice, to: F.venue, 1) {
                $0.pending = true
                $0.timeoutSeconds = -1
            },
            in: &book,
            .overflows
        )
        refused(
            F.transfer("t4", from: F.alice, to: F.venue, 1) {
                $0.pending = true
                $0.timeoutSeconds = Int64.max / 1000
            },
            in: &book,
            .overflows
        )
        refused(
            F.transfer("t5", from: F.otherIssuer, to: F.bob, 1, code: "deliberation") { $0.expiresAtMs = -1 },
            in: &book,
            .overflows
        )
    }

    func testOverflowOfPendingAmountsIsRefusedRatherThanWrapped() {
        var book = F.book()
        XCTAssertResult(book.grant("t0", to: F.alice, 100, now: F.t0), .ok)
        // An account with no limit on its debits holds nearly everything pending for Bob.
        var unlimited = Account()
        unlimited.id = "volunteer:venue:V8"
        XCTAssertEqual(book.createAccounts([unlimited], now: F.t0).map(\.result), [.ok])
        XCTAssertResult(
            book.submit(
                F.transfer("p1", from: "volunteer:venue:V8", to: F.bob, Int64.max - 5) { $0.pending = true },
                now: F.t0
            ),
            .ok
        )
        // Bob's pending credits would pass the largest number.
        refused(F.transfer("p2", from: F.alice, to: F.bob, 10) { $0.pending = true }, in: &book, .overflows)
        refused(F.transfer("p3", from: F.alice, to: F.bob, 10), in: &book, .overflows)
        // And so would the venue's pending debits.
        refused(
            F.transfer("p4", from: "volunteer:venue:V8", to: F.carol, 10) { $0.pending = true },
            in: &book,
            .overflows
        )
        XCTAssertResult(book.submit(F.transfer("p5", from: F.alice, to: F.bob, 5), now: F.t0), .ok)
        XCTAssertEqual(book.accounts[F.bob]?.creditsPending, Int64.max - 5)
        XCTAssertEqual(book.accounts[F.bob]?.creditsPosted, 5)
        XCTAssertEqual(book.accounts["volunteer:venue:V8"]?.debitsPending, Int64.max - 5)
    }
}
