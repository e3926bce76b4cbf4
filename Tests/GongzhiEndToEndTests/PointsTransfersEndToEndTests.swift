import Foundation
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Transfers through the points plugin under the real host: retries in a storm of duplicates, every result code,
/// linked chains, caps per month, and bad input.
final class PointsTransfersEndToEndTests: XCTestCase {
    typealias Transfer = Gongzhi_Points_V1_Transfer
    typealias TransferResult = Gongzhi_Points_V1_TransferResult

    static func batch(_ transfers: [Transfer]) -> Gongzhi_Points_V1_CreateTransfersRequest {
        var request = Gongzhi_Points_V1_CreateTransfersRequest()
        request.transfers = transfers
        return request
    }

    // MARK: Retries

    /// 32 clients, each on its own connection, send the same 200 transfers (single credits and linked pairs) three
    /// times over in their own order: each id is answered OK exactly once and EXISTS with the original otherwise,
    /// and every balance and count is exact.
    func testAStormOfDuplicatesRecordsEachTransferOnce() async throws {
        let world = try await PointsWorld.start(self)
        try await world.openIssuer()
        let holders = (0..<8).map { "volunteer:resident:S\($0)" }
        try await world.openAccounts(holders)

        // 120 single credits and 40 linked pairs (a credit, then a gift to the next holder): 200 transfers.
        var units: [[Transfer]] = []
        var expected: [String: Int64] = [:]
        for index in 0..<120 {
            let holder = holders[index % 8]
            let amount = Int64(index % 7 + 1)
            units.append([
                PointsWorld.transfer(
                    "storm-\(index)",
                    from: PointsWorld.issuer,
                    to: holder,
                    amount,
                    code: "deliberation"
                )
            ])
            expected[holder, default: 0] += amount
        }
        for index in 0..<40 {
            let holder = holders[index % 8]
            let next = holders[(index + 1) % 8]
            units.append([
                PointsWorld.transfer(
                    "storm-pair-\(index)-credit",
                    from: PointsWorld.issuer,
                    to: holder,
                    10,
                    code: "deliberation",
                    linked: true
                ),
                PointsWorld.transfer("storm-pair-\(index)-gift", from: holder, to: next, 10),
            ])
            expected[holder, default: 0] += 10
            expected[holder, default: 0] -= 10
            expected[next, default: 0] += 10
        }
        let ids = units.flatMap { $0.map(\.id) }
        XCTAssertEqual(Set(ids).count, 200)

        let storm = units
        let answers = try await withThrowingTaskGroup(of: [TransferResult].self) { group in
            for client in 0..<32 {
                let points = world.ownConnection(self)
                group.addTask {
                    var generator = SeededGenerator(seed: UInt64(client + 1))
                    var results: [TransferResult] = []
                    for _ in 0..<3 {
                        let order = storm.shuffled(using: &generator)
                        for start in stride(from: 0, to: order.count, by: 10) {
                            let batch = Self.batch(order[start..<min(start + 10, order.count)].flatMap { $0 })
                            results += try await points.createTransfers(batch).results
                        }
                    }
                    return results
                }
            }
            var all: [TransferResult] = []
            for try await results in group { all += results }
            return all
        }
        XCTAssertEqual(answers.count, 32 * 3 * 200)
        XCTAssertEqual(answers.filter { $0.result != .ok && $0.result != .exists }.map(\.message), [])
        let firsts = Dictionary(grouping: answers.filter { $0.result == .ok }, by: \.id)
        XCTAssertEqual(Set(firsts.keys), Set(ids), "every transfer was recorded")
        XCTAssertEqual(firsts.values.filter { $0.count != 1 }.map { $0[0].id }, [], "and recorded once")
        // Every EXISTS answers the transfer as it was recorded.
        for answer in answers where answer.result == .exists {
            guard let original = firsts[answer.id]?.first?.transfer else { continue }
            XCTAssertEqual(answer.transfer, original, answer.id)
        }

        for holder in holders {
            let balance = try await world.balance(holder)
            XCTAssertEqual(balance, expected[holder], holder)
            let own = try await world.history(holder).map(\.id).filter { $0.hasPrefix("storm") }
            let involving = units.flatMap { $0 }.filter { $0.debitAccountID == holder || $0.creditAccountID == holder }
            XCTAssertEqual(Set(own), Set(involving.map(\.id)), holder)
            XCTAssertEqual(own.count, involving.count, "\(holder): no transfer twice")
        }
        let issued = try await world.balance(PointsWorld.issuer)
        let singles = (0..<120).map { Int64($0 % 7 + 1) }.reduce(0, +)
        XCTAssertEqual(issued, -(5 + singles + 40 * 10), "the first credit, the single credits and the pairs'")
        let status = try await world.points.status(Gongzhi_Points_V1_StatusRequest())
        XCTAssertEqual(status.transfers, 201, "200 and the first credit that opened the issuing account")
        let stored = try await world.storedTransfers()
        XCTAssertEqual(stored.count, 201)
        try await world.checkBalancesAgainstTransfers()
    }

    // MARK: Result codes

    /// One refusal (or answer) per result code of `Result`, through the service: each with its code and the field,
    /// shortfall or cap that explains it; the refused ones change nothing.
    func testEveryResultCodeIsReachedThroughTheService() async throws {
        // The sweep stays away, so that a pending transfer past its timeout is still there to be refused.
        let world = try await PointsWorld.start(self, sweepIntervalMs: 600_000)
        let points = world.points
        try await world.openIssuer()
        var party = Gongzhi_Points_V1_Ledger()
        party.code = "party"
        party.name = "党员积分"
        _ = try await points.createLedger(party)
        var retired = Gongzhi_Points_V1_EarningRule()
        retired.code = "retired"
        retired.name = "旧规则"
        retired.ledger = "volunteer"
        retired.source = .manual
        retired.points = 1
        retired.active = false
        _ = try await points.putRule(retired)
        let r2 = "volunteer:resident:R2"
        let team = "volunteer:partner:P-TEAM"
        let closed = "volunteer:resident:R9"
        try await world.openAccounts([r2, team, closed, "party:resident:R1"])
        var capped = Gongzhi_Points_V1_CreateAccountsRequest()
        capped.accounts = [Gongzhi_Points_V1_Account()]
        capped.accounts[0].id = "volunteer:venue:P-CAPPED"
        capped.accounts[0].creditsMustNotExceedDebits = true
        capped.accounts[0].communityCode = PointsWorld.community
        let cappedOpened = try await points.createAccounts(capped).results.map(\.result)
        XCTAssertEqual(cappedOpened, [.ok])
        var close = Gongzhi_Points_V1_SetAccountClosedRequest()
        close.accountID = closed
        close.closed = true
        _ = try await points.setAccountClosed(close)
        try await world.credit([r2: 50])
        // Pending transfers: one held, one posted, one voided, one that times out in a minute.
        func pending(_ id: String, timeout: Int64 = 0) -> Transfer {
            var transfer = PointsWorld.transfer(id, from: r2, to: team, 5)
            transfer.pending = true
            transfer.timeoutSeconds = timeout
            return transfer
        }
        func resolve(_ id: String, _ pendingID: String, post: Bool, amount: Int64 = 0) -> Transfer {
            var transfer = Transfer()
            transfer.id = id
            transfer.pendingID = pendingID
            transfer.postPending = post
            transfer.voidPending = !post
            transfer.amount = amount
            return transfer
        }
        let setUp = try await points.createTransfers(
            Self.batch([
                pending("hold-1"), pending("hold-posted"), pending("hold-voided"),
                pending("hold-expiring", timeout: 60),
                resolve("post-1", "hold-posted", post: true), resolve("void-1", "hold-voided", post: false),
                PointsWorld.transfer("ok-1", from: r2, to: team, 1),
            ])
        )
        XCTAssertEqual(setUp.results.filter { $0.result != .ok }.map(\.message), [])
        let okSequence = try XCTUnwrap(setUp.results.last?.transfer.sequence)
        try world.setClock(PointsWorld.start + 61_000)
        let before = try await world.storedTransfers().count
        let r2Before = try await world.account(r2)

        struct Expectation {
            var result: Gongzhi_Points_V1_Result
            var transfers: [Transfer]
            var field = ""
            /// Which answer of the batch is the one that tells.
            var index = -1
            var check: (@Sendable (TransferResult) -> Void)?
        }
        var misdirected = pending("x")
        misdirected.postPending = true
        var withPendingID = PointsWorld.transfer("with-pending-id", from: r2, to: team, 1)
        withPendingID.pendingID = "hold-1"
        var otherLedger = PointsWorld.transfer("other-ledger", from: r2, to: team, 1)
        otherLedger.ledger = "party"
        var withTimeout = PointsWorld.transfer("with-timeout", from: r2, to: team, 1)
        withTimeout.timeoutSeconds = 5
        var wrongAccounts = resolve("wrong-accounts", "hold-1", post: true)
        wrongAccounts.debitAccountID = "volunteer:resident:R1"
        func reversal(
            _ id: String,
            of original: String,
            from debit: String,
            to credit: String,
            _ amount: Int64
        )
            -> Transfer
        {
            var transfer = PointsWorld.transfer(id, from: debit, to: credit, amount, code: "correction")
            transfer.reversesID = original
            return transfer
        }
        var imported = PointsWorld.transfer("imported-1", from: r2, to: team, 1)
        imported.imported = true
        let available = r2Before.available
        let expectations: [Expectation] = [
            Expectation(
                result: .exists,
                transfers: [PointsWorld.transfer("ok-1", from: r2, to: team, 1)],
                check: { XCTAssertEqual($0.transfer.sequence, okSequence, "the original's answer") }
            ),
            Expectation(
                result: .existsWithDifferentField,
                transfers: [PointsWorld.transfer("ok-1", from: r2, to: team, 2)],
                field: "amount"
            ),
            Expectation(
                result: .linkedEventFailed,
                transfers: [
                    PointsWorld.transfer("chain-1", from: r2, to: team, 1, linked: true),
                    PointsWorld.transfer("chain-2", from: r2, to: team, 10_000),
                ],
                index: 0,
                check: { XCTAssertTrue($0.message.contains("chain-2"), $0.message) }
            ),
            Expectation(
                result: .linkedEventChainOpen,
                transfers: [PointsWorld.transfer("open-1", from: r2, to: team, 1, linked: true)]
            ),
            Expectation(result: .idInvalid, transfers: [PointsWorld.transfer("bad id!", from: r2, to: team, 1)]),
            Expectation(
                result: .accountNotFound,
                transfers: [PointsWorld.transfer("to-nobody", from: r2, to: "volunteer:resident:NOBODY", 1)],
                field: "credit_account_id"
            ),
            Expectation(
                result: .accountNotFound,
                transfers: [PointsWorld.transfer("from-nobody", from: "volunteer:resident:NOBODY", to: r2, 1)],
                field: "debit_account_id"
            ),
            Expectation(
                result: .accountsMustBeDifferent,
                transfers: [PointsWorld.transfer("to-self", from: r2, to: r2, 1)]
            ),
            Expectation(
                result: .accountsMustHaveTheSameLedger,
                transfers: [PointsWorld.transfer("across", from: r2, to: "party:resident:R1", 1)]
            ),
            Expectation(result: .transferMustHaveTheSameLedgerAsAccounts, transfers: [otherLedger], field: "ledger"),
            Expectation(
                result: .amountMustNotBeZero,
                transfers: [PointsWorld.transfer("zero", from: r2, to: team, 0)],
                field: "amount"
            ),
            Expectation(
                result: .accountClosed,
                transfers: [PointsWorld.transfer("to-closed", from: r2, to: closed, 1)],
                field: "credit_account_id"
            ),
            Expectation(
                result: .exceedsCredits,
                transfers: [PointsWorld.transfer("too-much", from: r2, to: team, 1_000)],
                check: { XCTAssertEqual($0.shortfall, 1_000 - available) }
            ),
            Expectation(
                result: .exceedsDebits,
                transfers: [PointsWorld.transfer("to-capped", from: r2, to: "volunteer:venue:P-CAPPED", 3)],
                check: { XCTAssertEqual($0.shortfall, 3) }
            ),
            Expectation(result: .flagsAreMutuallyExclusive, transfers: [misdirected]),
            Expectation(result: .pendingIDMustBeEmpty, transfers: [withPendingID], field: "pending_id"),
            Expectation(
                result: .pendingIDRequired,
                transfers: [resolve("post-nothing", "", post: true)],
                field: "pending_id"
            ),
            Expectation(
                result: .pendingTransferNotFound,
                transfers: [resolve("post-missing", "no-such-hold", post: true)],
                field: "pending_id"
            ),
            Expectation(
                result: .pendingTransferNotPending,
                transfers: [resolve("post-plain", "ok-1", post: true)],
                field: "pending_id"
            ),
            Expectation(
                result: .pendingTransferAlreadyPosted,
                transfers: [resolve("post-again", "hold-posted", post: true)]
            ),
            Expectation(
                result: .pendingTransferAlreadyVoided,
                transfers: [resolve("void-again", "hold-voided", post: false)]
            ),
            Expectation(
                result: .pendingTransferExpired,
                transfers: [resolve("post-late", "hold-expiring", post: true)]
            ),
            Expectation(result: .pendingTransferHasDifferentAccounts, transfers: [wrongAccounts]),
            Expectation(
                result: .exceedsPendingTransferAmount,
                transfers: [resolve("post-more", "hold-1", post: true, amount: 6)],
                field: "amount"
            ),
            Expectation(
                result: .timeoutReservedForPendingTransfer,
                transfers: [withTimeout],
                field: "timeout_seconds"
            ),
            Expectation(
                result: .reversedTransferNotFound,
                transfers: [reversal("undo-missing", of: "no-such-transfer", from: team, to: r2, 1)],
                field: "reverses_id"
            ),
            Expectation(
                result: .reversalMustMatch,
                transfers: [reversal("undo-forward", of: "ok-1", from: r2, to: team, 1)]
            ),
            Expectation(
                result: .exceedsReversedAmount,
                transfers: [reversal("undo-more", of: "ok-1", from: team, to: r2, 2)],
                field: "amount"
            ),
            Expectation(
                result: .capReached,
                transfers: [
                    PointsWorld.transfer("hours-1", from: PointsWorld.issuer, to: r2, 60, code: "volunteer-hour"),
                    PointsWorld.transfer("hours-2", from: PointsWorld.issuer, to: r2, 50, code: "volunteer-hour"),
                ],
                check: { answer in
                    XCTAssertEqual(answer.cap, 100)
                    XCTAssertEqual(answer.period, .month)
                    XCTAssertEqual(answer.earned, 60)
                }
            ),
            Expectation(
                result: .ruleNotFound,
                transfers: [PointsWorld.transfer("issue-gift", from: PointsWorld.issuer, to: r2, 1)],
                field: "code"
            ),
            Expectation(
                result: .ruleInactive,
                transfers: [PointsWorld.transfer("issue-old", from: PointsWorld.issuer, to: r2, 1, code: "retired")],
                field: "code"
            ),
            Expectation(
                result: .overflows,
                transfers: [
                    PointsWorld.transfer("issue-all", from: PointsWorld.issuer, to: r2, .max, code: "deliberation")
                ],
                field: "amount"
            ),
            Expectation(
                result: .codeRequired,
                transfers: [PointsWorld.transfer("no-code", from: r2, to: team, 1, code: "")],
                field: "code"
            ),
            Expectation(result: .importedTimestampInvalid, transfers: [imported], field: "timestamp_ms"),
        ]
        var seen: Set<Gongzhi_Points_V1_Result> = [.ok]
        var recorded = 0
        for expectation in expectations {
            let answer = try await points.createTransfers(Self.batch(expectation.transfers))
            recorded += answer.results.filter { $0.result == .ok }.count
            let index = expectation.index < 0 ? answer.results.count - 1 : expectation.index
            guard answer.results.count == expectation.transfers.count, index < answer.results.count else {
                XCTFail("\(expectation.result): \(answer.results)")
                continue
            }
            let result = answer.results[index]
            XCTAssertEqual(result.result, expectation.result, result.message)
            XCTAssertEqual(result.field, expectation.field, "\(expectation.result): \(result.message)")
            XCTAssertFalse(result.message.isEmpty, "\(expectation.result) says why")
            expectation.check?(result)
            seen.insert(result.result)
        }
        XCTAssertEqual(recorded, 1, "only hours-1 of the cap's batch was recorded")

        // Imports are for administrators and API clients: a street administrator acting through the host is not.
        var admin = Gongzhi_Core_V1_Person()
        admin.name = "钱主任"
        try await PointsWorld.create(world.objects, "Person", "qian", admin)
        var binding = Gongzhi_Core_V1_RoleBinding()
        binding.personID = "qian"
        binding.role = "street-admin"
        binding.placeCode = "330199001"
        try await PointsWorld.create(world.objects, "RoleBinding", "qian.street-admin.330199001", binding)
        let asQian = Gongzhi_Points_V1_PointsClient(
            channel: world.host.admin.addingMetadata(["gongzhi-act-as": "qian"])
        )
        var importedByPerson = imported
        importedByPerson.timestampMs = PointsWorld.start
        let refusedImport = try await asQian.createTransfers(Self.batch([importedByPerson])).results
        XCTAssertEqual(refusedImport.map(\.result), [.importNotAllowed], "\(refusedImport)")
        seen.insert(.importNotAllowed)

        // The account results.
        func open(_ account: Gongzhi_Points_V1_Account) async throws -> Gongzhi_Points_V1_AccountResult {
            var request = Gongzhi_Points_V1_CreateAccountsRequest()
            request.accounts = [account]
            let results = try await points.createAccounts(request).results
            return try XCTUnwrap(results.first)
        }
        var unlimited = Gongzhi_Points_V1_Account()
        unlimited.id = r2
        // A holder's account may not go below zero.
        let unlimitedHolder = try await open(unlimited)
        XCTAssertEqual(unlimitedHolder.result, .flagsInvalid, unlimitedHolder.message)
        XCTAssertEqual(unlimitedHolder.field, "flags")
        unlimited.debitsMustNotExceedCredits = true
        unlimited.communityCode = PointsWorld.otherCommunity
        let differs = try await open(unlimited)
        XCTAssertEqual(differs.result, .accountExistsWithDifferentField, differs.message)
        XCTAssertEqual(differs.field, "community_code")
        unlimited.communityCode = ""
        let same = try await open(unlimited)
        XCTAssertEqual(same.result, .exists, same.message)
        var both = Gongzhi_Points_V1_Account()
        both.id = "volunteer:resident:R5"
        both.debitsMustNotExceedCredits = true
        both.creditsMustNotExceedDebits = true
        let flags = try await open(both)
        XCTAssertEqual(flags.result, .flagsInvalid, flags.message)
        XCTAssertEqual(flags.field, "flags")
        var misnamed = Gongzhi_Points_V1_Account()
        misnamed.id = "volunteer:resident:R5"
        misnamed.holderID = "R6"
        let holder = try await open(misnamed)
        XCTAssertEqual(holder.result, .holderInvalid, holder.message)
        var nowhere = Gongzhi_Points_V1_Account()
        nowhere.id = "nowhere:resident:R1"
        let ledger = try await open(nowhere)
        XCTAssertEqual(ledger.result, .ledgerNotFound, ledger.message)
        XCTAssertEqual(ledger.field, "ledger")
        var badID = Gongzhi_Points_V1_Account()
        badID.id = "volunteer:neighbour:R1"
        let idResult = try await open(badID)
        XCTAssertEqual(idResult.result, .idInvalid, idResult.message)
        seen.formUnion([differs.result, flags.result, holder.result, ledger.result, idResult.result])

        XCTAssertEqual(
            Set(Gongzhi_Points_V1_Result.allCases).subtracting(seen),
            [],
            "every result code was reached"
        )
        // Nothing refused was written: one transfer more than before (hours-1), R2's balance up by its 60.
        let after = try await world.storedTransfers().count
        XCTAssertEqual(after, before + 1)
        let r2After = try await world.account(r2)
        XCTAssertEqual(r2After.balance, r2Before.balance + 60)
        XCTAssertEqual(r2After.available, r2Before.available + 60)
        try await world.checkBalancesAgainstTransfers()
    }

    // MARK: Linked chains

    /// A chain whose last transfer fails leaves no trace — not in balances, history, the chain's sequence or the
    /// host's store — while the transfers around it in the batch are recorded; fixed and sent again, the whole
    /// chain is recorded in order.
    func testALinkedChainThatFailsLeavesNoTrace() async throws {
        let world = try await PointsWorld.start(self)
        let points = world.points
        try await world.openIssuer()
        let r2 = "volunteer:resident:R2"
        let team = "volunteer:partner:P-TEAM"
        try await world.openAccounts([r2, team])
        try await world.credit([r2: 40])
        let issuedBefore = try await world.balance(PointsWorld.issuer)
        let r2History = try await world.history(r2).map(\.id)
        let statusBefore = try await points.status(Gongzhi_Points_V1_StatusRequest())

        var chain = [
            PointsWorld.transfer(
                "chain-credit",
                from: PointsWorld.issuer,
                to: r2,
                10,
                code: "deliberation",
                linked: true
            ),
            PointsWorld.transfer("chain-gift", from: r2, to: team, 45, linked: true),
            PointsWorld.transfer("chain-back", from: team, to: r2, 1_000),
        ]
        let answer = try await points.createTransfers(
            Self.batch(
                [PointsWorld.transfer("before", from: r2, to: team, 1)] + chain
                    + [PointsWorld.transfer("after", from: r2, to: team, 2)]
            )
        )
        XCTAssertEqual(
            answer.results.map(\.result),
            [.ok, .linkedEventFailed, .linkedEventFailed, .exceedsCredits, .ok]
        )
        XCTAssertEqual(answer.results.map(\.index), [0, 1, 2, 3, 4])
        for failed in answer.results[1...2] {
            XCTAssertTrue(failed.message.contains("chain-back"), "names the transfer that failed: \(failed.message)")
            XCTAssertFalse(failed.hasTransfer)
        }
        XCTAssertEqual(answer.results[3].shortfall, 1_000 - 1 - 45, "the team would have had 46 (1 and the gift)")
        let sequences = [answer.results[0].transfer.sequence, answer.results[4].transfer.sequence]
        XCTAssertEqual(sequences[1], sequences[0] + 1, "the chain took no place in the sequence")
        XCTAssertEqual(sequences[0], statusBefore.headSequence + 1)

        let r2Balance = try await world.balance(r2)
        XCTAssertEqual(r2Balance, 40 - 1 - 2)
        let teamBalance = try await world.balance(team)
        XCTAssertEqual(teamBalance, 3)
        let issued = try await world.balance(PointsWorld.issuer)
        XCTAssertEqual(issued, issuedBefore)
        let r2HistoryAfter = try await world.history(r2).map(\.id)
        XCTAssertEqual(r2HistoryAfter, ["after", "before"] + r2History)
        let teamHistory = try await world.history(team).map(\.id)
        XCTAssertEqual(teamHistory, ["after", "before"])
        let stored = try await world.storedTransfers()
        XCTAssertEqual(stored.keys.filter { $0.hasPrefix("chain") }, [])
        // The answers' balances are those of the accounts the recorded transfers touched.
        XCTAssertEqual(Set(answer.balances.map(\.account.id)), [r2, team])
        XCTAssertEqual(answer.balances.first { $0.account.id == team }?.balance, 3)
        let verified = try await world.verify()
        XCTAssertTrue(verified.ok, verified.problem)
        XCTAssertEqual(verified.transfers, statusBefore.transfers + 2)

        // Fixed and sent again with the same ids: all of it, in order.
        chain[2].amount = 40
        let fixed = try await points.createTransfers(Self.batch(chain))
        XCTAssertEqual(fixed.results.map(\.result), [.ok, .ok, .ok], "\(fixed.results.map(\.message))")
        XCTAssertEqual(fixed.results.map(\.transfer.sequence), (1...3).map { sequences[1] + Int64($0) })
        let again = try await points.createTransfers(Self.batch(chain))
        XCTAssertEqual(again.results.map(\.result), [.exists, .exists, .exists])
        let r2Final = try await world.balance(r2)
        XCTAssertEqual(r2Final, 37 + 10 - 45 + 40)
        let teamFinal = try await world.balance(team)
        XCTAssertEqual(teamFinal, 3 + 45 - 40)
        try await world.checkBalancesAgainstTransfers()
    }

    // MARK: Caps

    /// A rule's cap counts a holder's credits per calendar month in China: the last moment of November still counts
    /// in November, the first of December starts fresh; a correction gives its points back to the cap, and a
    /// restarted plugin counts the same.
    func testCapsCountPerMonthAndANewMonthStartsFresh() async throws {
        let world = try await PointsWorld.start(self)
        let points = world.points
        var training = Gongzhi_Points_V1_EarningRule()
        training.code = "training"
        training.name = "参加培训"
        training.ledger = "volunteer"
        training.source = .manual
        training.points = 20
        training.cap = 50
        training.capPeriod = .month
        training.active = true
        _ = try await points.putRule(training)
        func credit(_ id: String, _ amount: Int64 = 0) async throws -> Gongzhi_Points_V1_TransferResult {
            var request = Gongzhi_Points_V1_CreditRequest()
            request.id = id
            request.ruleCode = "training"
            request.holderKind = .resident
            request.holderID = "R1"
            request.amount = amount
            let results = try await points.credit(request).results
            return try XCTUnwrap(results.first)
        }
        let first = try await credit("t-1")
        XCTAssertEqual(first.result, .ok, first.message)
        XCTAssertEqual(first.transfer.amount, 20, "the rule's points")
        let second = try await credit("t-2").result
        XCTAssertEqual(second, .ok)
        let third = try await credit("t-3")
        XCTAssertEqual(third.result, .capReached, third.message)
        XCTAssertEqual(third.cap, 50)
        XCTAssertEqual(third.period, .month)
        XCTAssertEqual(third.earned, 40)
        XCTAssertTrue(third.message.contains("cap of 50 points per month"), third.message)
        let exact = try await credit("t-3b", 10).result
        XCTAssertEqual(exact, .ok, "up to the cap exactly")
        // Service records by their own rule have a cap of their own: 100 a month.
        _ = try await world.recordService("svc-1", minutes: 600)
        let credited = try await world.confirmService("svc-1")
        XCTAssertEqual(credited.state, .credited, credited.creditResult)
        _ = try await world.recordService("svc-2", minutes: 60)
        let over = try await world.confirmService("svc-2")
        XCTAssertEqual(over.state, .notCredited)
        XCTAssertTrue(over.creditResult.contains("cap of 100"), over.creditResult)

        try world.setClock(PointsWorld.nextMonth - 1)
        let lastMoment = try await credit("t-4", 1)
        XCTAssertEqual(lastMoment.result, .capReached, "23:59:59.999 on 30 November is still November")
        XCTAssertEqual(lastMoment.earned, 50)

        try world.setClock(PointsWorld.nextMonth)
        let december = try await credit("t-5")
        XCTAssertEqual(december.result, .ok, december.message)
        let decemberService = try await world.recordService("svc-3", minutes: 60)
        XCTAssertEqual(decemberService.state, .recorded)
        let decemberCredit = try await world.confirmService("svc-3")
        XCTAssertEqual(decemberCredit.state, .credited, decemberCredit.creditResult)

        // A correction of December's credit gives its 20 back to December's cap.
        var correct = Gongzhi_Points_V1_CorrectRequest()
        correct.id = "t-5-correction"
        correct.transferID = "t-5"
        correct.reason = "记错了人"
        let corrected = try await points.correct(correct).results.map(\.result)
        XCTAssertEqual(corrected, [.ok])
        let full = try await credit("t-6", 50)
        XCTAssertEqual(full.result, .ok, full.message)

        // A restarted plugin rebuilds what each holder earned in each period from the transfers.
        let running = try await world.host.status("points")
        kill(running.pid, SIGKILL)
        try await world.host.waitUntilRestarted("points", from: running.pid)
        let afterRestart = try await credit("t-7", 1)
        XCTAssertEqual(afterRestart.result, .capReached)
        XCTAssertEqual(afterRestart.earned, 50)
        let balance = try await world.balance("volunteer:resident:R1")
        XCTAssertEqual(balance, 20 + 20 + 10 + 100 + 20 + 10 - 20 + 50)
    }

    // MARK: Bad input

    /// Bytes that are not the request, a method the service does not have, a batch of 8,191 transfers, an empty one
    /// and one whose answer would not fit in a message are refused with their status; the batch of 8,190 is
    /// recorded; the plugin serves on, never restarted.
    func testBadInputIsRefusedWithTheRightStatusAndThePluginKeepsServing() async throws {
        let world = try await PointsWorld.start(self)
        let points = world.points
        try await world.openIssuer()
        let before = try await world.host.status("points")

        let malformed = await assertRPCError(.invalidArgument) {
            try await world.host.admin.unary(
                service: "gongzhi.points.v1.Points",
                method: "CreateTransfers",
                payload: Data([0x0A, 0x64, 0x01]),
                options: CallOptions()
            )
        }
        XCTAssertTrue(
            malformed?.message.contains("gongzhi.points.v1.CreateTransfersRequest") == true,
            malformed?.message ?? ""
        )
        let unknown = await assertRPCError(.unimplemented) {
            try await world.host.admin.unary(
                service: "gongzhi.points.v1.Points",
                method: "PrintPoints",
                payload: Data(),
                options: CallOptions()
            )
        }
        XCTAssertTrue(unknown?.message.contains("PrintPoints") == true, unknown?.message ?? "")

        let holders = (0..<8).map { "volunteer:resident:B\($0)" }
        try await world.openAccounts(holders)
        func credits(_ count: Int, prefix: String, memo: String = "") -> Gongzhi_Points_V1_CreateTransfersRequest {
            Self.batch(
                (0..<count).map { index in
                    var transfer = PointsWorld.transfer(
                        "\(prefix)-\(index)",
                        from: PointsWorld.issuer,
                        to: holders[index % 8],
                        1,
                        code: "deliberation"
                    )
                    transfer.memo = memo
                    return transfer
                }
            )
        }
        let tooMany = await assertRPCError(.invalidArgument) {
            try await points.createTransfers(credits(8_191, prefix: "over"))
        }
        XCTAssertTrue(tooMany?.message.contains("8191 transfers; at most 8190") == true, tooMany?.message ?? "")
        let empty = await assertRPCError(.invalidArgument) {
            try await points.createTransfers(Gongzhi_Points_V1_CreateTransfersRequest())
        }
        XCTAssertTrue(empty?.message.contains("no transfer") == true, empty?.message ?? "")
        var nameless = Gongzhi_Points_V1_GetAccountRequest()
        nameless.holderID = "R1"
        await assertRPCError(.invalidArgument) { try await points.getAccount(nameless) }
        var missing = Gongzhi_Points_V1_HistoryRequest()
        missing.accountID = "volunteer:resident:NOBODY"
        await assertRPCError(.notFound) { try await points.history(missing) }
        var pointless = Gongzhi_Points_V1_EarningRule()
        pointless.code = "pointless"
        pointless.name = "无分"
        pointless.ledger = "volunteer"
        pointless.source = .manual
        await assertRPCError(.invalidArgument) { try await points.putRule(pointless) }
        var window = Gongzhi_Points_V1_ExpiringRequest()
        window.withinSeconds = -1
        await assertRPCError(.invalidArgument) { try await points.expiring(window) }
        // A batch that fits in a request (3 MiB) but whose answer, every transfer as recorded, would not fit in one
        // message: refused before anything is recorded, rather than recorded and never answered.
        let longID = String(repeating: "x", count: 100)
        let wordy = credits(8_190, prefix: longID, memo: String(repeating: "志愿服务", count: 18))
        let wordyBytes: [UInt8] = try wordy.serializedBytes()
        XCTAssertLessThan(wordyBytes.count, 4 << 20, "the request fits in a message")
        let unanswerable = await assertRPCError(.resourceExhausted) { try await points.createTransfers(wordy) }
        XCTAssertTrue(unanswerable?.message.contains("nothing was recorded") == true, unanswerable?.message ?? "")
        let refusedNothing = try await world.storedTransfers().count
        XCTAssertEqual(refusedNothing, 1, "nothing of the refused calls was recorded")
        // In smaller batches they go through.
        var fewer = wordy
        fewer.transfers = Array(wordy.transfers.prefix(800))
        let answered = try await points.createTransfers(fewer).results
        XCTAssertEqual(answered.map(\.result), Array(repeating: .ok, count: 800))
        XCTAssertEqual(answered.last?.transfer.memo, wordy.transfers[799].memo)

        // The largest batch there is goes through in one call.
        let largest = try await points.createTransfers(credits(8_190, prefix: "max"))
        XCTAssertEqual(largest.results.count, 8_190)
        XCTAssertEqual(largest.results.filter { $0.result != .ok }.count, 0)
        XCTAssertEqual(Set(largest.balances.map(\.account.id)), Set(holders + [PointsWorld.issuer]))
        // 100 each of the 800, and 8,190 = 8 × 1,023 + 6: the first six holders had one more.
        for (index, holder) in holders.enumerated() {
            let balance = try await world.balance(holder)
            XCTAssertEqual(balance, 100 + (index < 6 ? 1_024 : 1_023), holder)
        }

        let after = try await world.host.status("points")
        XCTAssertEqual(after.pid, before.pid)
        XCTAssertEqual(after.restarts, before.restarts)
        XCTAssertEqual(after.state, "ready")
        try await world.checkBalancesAgainstTransfers()
    }

    // MARK: Large changes

    /// Changes larger than one host transaction — 1,500 accounts opened in one call, credited in one batch, and
    /// their lots expired by one sweep (which also opens the expiry account) — are written in pieces, all of them:
    /// the balances are the sums of the transfers, and a restarted plugin finds nothing to repair.
    func testChangesLargerThanATransactionAreWrittenWhole() async throws {
        let world = try await PointsWorld.start(self)
        try await world.openIssuer()
        let holders = (0..<1_500).map { "volunteer:resident:L\($0)" }
        try await world.openAccounts(holders)
        let opened = try await world.storedAccounts()
        XCTAssertEqual(Set(holders).subtracting(opened.keys), [], "every account opened is stored")
        let credited = try await world.points.createTransfers(
            Self.batch(
                holders.enumerated().map { index, holder in
                    PointsWorld.transfer(
                        "large-\(index)",
                        from: PointsWorld.issuer,
                        to: holder,
                        Int64(index % 9 + 1),
                        code: "deliberation"
                    )
                }
            )
        )
        XCTAssertEqual(credited.results.filter { $0.result != .ok }.map(\.message), [])
        let issued = holders.indices.map { Int64($0 % 9 + 1) }.reduce(0, +)
        try await world.checkBalancesAgainstTransfers()

        try world.setClock(PointsWorld.novemberLotsExpire)
        try await pollUntil("one sweep expires every holder's lot") {
            (try? await world.balance("volunteer:expiry")) == issued + 5
        }
        let expired = try await world.storedTransfers().values.filter { $0.code == "expiry" }
        XCTAssertEqual(expired.count, holders.count + 1, "the holders and R1")
        try await world.checkBalancesAgainstTransfers()

        let running = try await world.host.status("points")
        kill(running.pid, SIGKILL)
        try await world.host.waitUntilRestarted("points", from: running.pid)
        let status = try await world.points.status(Gongzhi_Points_V1_StatusRequest())
        XCTAssertEqual(status.transfers, Int64(1 + holders.count + holders.count + 1))
        XCTAssertFalse(status.integrations.contains { $0.hasPrefix("hash chain") }, "\(status.integrations)")
        XCTAssertFalse(world.host.log.contains("differ from its transfers"), "nothing to repair")
        try await world.checkBalancesAgainstTransfers()
    }
}

/// A random number generator with a seed, so that a test's shuffles are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
