import GongzhiCalendar
import GongzhiPointsSchemas
import GongzhiTestSeeds
import XCTest

@testable import GongzhiPoints

/// Thousands of random operations — credits under caps, gifts, linked chains with random failures, pending
/// transfers posted and voided, corrections, redemptions, sweeps, retries — with time moving forward over two
/// years, after which the ledger's invariants hold.
final class PointsBookPropertyTests: XCTestCase {
    typealias F = PointsFixtures

    static let holders = [
        F.alice, F.bob, F.carol, F.team, F.neighbour, F.worker, "volunteer:resident:R0010", "volunteer:resident:R0011",
    ]
    static let rules = ["deliberation", "volunteer-hour", "training", "grid-case", "annual-review"]
    static let initialStock: [String: Int64] = ["rice": 40, "oil": 6, "towel": 15]

    /// The run's state besides the book: what was asked for, to draw retries, posts and corrections from.
    struct Run {
        var random: SplitMix64
        var book: PointsBook
        var now = PointsFixtures.t0
        var nextID = 0
        /// Every batch sent, as it was sent.
        var sent: [[Transfer]] = []
        var pendingIDs: [String] = []
        var redemptionIDs: [String] = []
        var tally: [String: Int] = [:]

        mutating func id(_ prefix: String) -> String {
            nextID += 1
            return "\(prefix)-\(nextID)"
        }

        mutating func pick<T>(_ values: [T]) -> T {
            values[Int.random(in: 0..<values.count, using: &random)]
        }

        mutating func chance(_ percent: Int) -> Bool {
            Int.random(in: 0..<100, using: &random) < percent
        }

        mutating func amount(_ range: ClosedRange<Int64>) -> Int64 {
            Int64.random(in: range, using: &random)
        }

        func issuer(of holder: String) -> String {
            book.accounts[holder]?.communityCode == PointsFixtures.otherCommunity
                ? PointsFixtures.otherIssuer : PointsFixtures.issuer
        }

        mutating func note(_ results: [TransferResult]) {
            for result in results { tally["\(result.result)", default: 0] += 1 }
        }
    }

    func makeRun() -> Run {
        var book = F.book()
        // Points expire at the end of the second month after they were earned: many lots expire in two years.
        book.put(ledger: F.ledger("volunteer", name: "志愿者积分", lotMonths: 2))
        for (id, community) in [("R0010", F.community), ("R0011", F.otherCommunity)] {
            book.ensureAccount(
                AccountID(ledger: "volunteer", holderKind: .resident, holderID: id),
                holderName: id,
                communityCode: community,
                now: F.t0
            )
        }
        for (id, stock) in Self.initialStock {
            let price: Int64 = id == "oil" ? 45 : id == "rice" ? 12 : 6
            let good = F.good(id, price: price, stock: stock, minimumBalance: id == "oil" ? 80 : 0)
            XCTAssertNotNil(try? book.put(good: good, now: F.t0).get())
        }
        return Run(random: fixedSeedRandom(0x9017_5EED_2026), book: book)
    }

    func testRandomOperationsKeepTheLedgerSound() {
        var run = makeRun()
        let steps = 4_000
        for step in 1...steps {
            run.now += run.chance(3) ? run.amount(1...20) * F.day : run.amount(0...(6 * F.hour))
            let dice = Int.random(in: 0..<100, using: &run.random)
            switch dice {
            case 0..<22: credit(&run)
            case 22..<32: gift(&run)
            case 32..<44: chain(&run)
            case 44..<52: hold(&run)
            case 52..<63: resolvePending(&run)
            case 63..<69: correct(&run)
            case 69..<79: redeem(&run)
            case 79..<85: resolveRedemption(&run)
            case 85..<87: resolveHoldDirectly(&run)
            case 87..<95: retry(&run)
            default: sweep(&run)
            }
            assertSound(run, full: step % 250 == 0 || step == steps, step: step)
            if let progress = testRun, progress.totalFailureCount > 0 { break }
        }
        let report = LedgerVerification.verify(transfers: run.book.transfers, accounts: Array(run.book.accounts.values))
        XCTAssertTrue(report.ok, report.problem ?? "")
        assertReplayGivesTheSameBook(run.book)
        let states = Dictionary(grouping: run.book.redemptions.values, by: { PointsBook.word($0.state) }).mapValues(
            \.count
        )
        print(
            "after \(steps) operations: \(run.book.transfers.count) transfers, results "
                + "\(run.tally.sorted { $0.key < $1.key }), redemptions \(states.sorted { $0.key < $1.key })"
        )
        // The run went where it should: every kind of outcome happened.
        for result in [
            "ok", "exists", "capReached", "exceedsCredits", "linkedEventFailed", "pendingTransferExpired",
            "exceedsReversedAmount",
        ] {
            XCTAssertGreaterThan(run.tally[result, default: 0], 0, "no \(result) in the run")
        }
        XCTAssertGreaterThan(run.book.transfers.filter { $0.code == PointsBook.expiryCode }.count, 10)
        XCTAssertGreaterThan(run.book.redemptions.values.filter { $0.state == .confirmed }.count, 5)
        XCTAssertGreaterThan(run.book.redemptions.values.filter { $0.state == .expired }.count, 0)
    }

    // MARK: - Operations

    func credit(_ run: inout Run) {
        let holder = run.pick(Self.holders)
        let rule = run.chance(3) ? "retired-rule" : run.pick(Self.rules)
        let amount = run.amount(1...40)
        let transfer = F.transfer(run.id("credit"), from: run.issuer(of: holder), to: holder, amount, code: rule)
        let before = BookSnapshot(run.book)
        let result = run.book.submit(transfer, now: run.now)
        run.sent.append([transfer])
        run.note([result])
        switch result.result {
        case .ok:
            XCTAssertNotEqual(rule, "retired-rule")
        case .capReached:
            XCTAssertGreaterThan(result.earned + amount, result.cap, result.message)
            XCTAssertEqual(result.cap, run.book.rules[rule]?.cap)
            XCTAssertEqual(BookSnapshot(run.book), before)
        case .ruleInactive:
            XCTAssertEqual(rule, "retired-rule")
            XCTAssertEqual(BookSnapshot(run.book), before)
        default:
            XCTFail("credit \(transfer.id): \(result.result) \(result.message)")
        }
    }

    func gift(_ run: inout Run) {
        let from = run.pick(Self.holders)
        var to = run.pick(Self.holders)
        if to == from { to = F.venue }
        let amount = run.amount(1...60)
        let transfer = F.transfer(run.id("gift"), from: from, to: to, amount)
        let result = run.book.submit(transfer, now: run.now)
        run.sent.append([transfer])
        run.note([result])
        switch result.result {
        case .ok: break
        case .exceedsCredits:
            XCTAssertGreaterThan(result.shortfall, 0)
            XCTAssertLessThanOrEqual(result.shortfall, amount)
            XCTAssertEqual(result.shortfall, amount - run.book.spendable(from), "after any due lots expired")
        default: XCTFail("gift \(transfer.id): \(result.result) \(result.message)")
        }
    }

    /// A linked chain of 2 to 6 transfers, sometimes with one that must fail.
    func chain(_ run: inout Run) {
        let length = Int.random(in: 2...6, using: &run.random)
        var transfers: [Transfer] = []
        for _ in 0..<length {
            let holder = run.pick(Self.holders)
            if run.chance(50) {
                let rule = run.pick(Self.rules)
                transfers.append(
                    F.transfer(
                        run.id("chain"),
                        from: run.issuer(of: holder),
                        to: holder,
                        run.amount(1...15),
                        code: rule
                    )
                )
            } else {
                var other = run.pick(Self.holders)
                if other == holder { other = F.venue }
                var transfer = F.transfer(run.id("chain"), from: holder, to: other, run.amount(1...10))
                transfer.pending = run.chance(20)
                if transfer.pending && run.chance(50) { transfer.timeoutSeconds = run.amount(60...86_400) }
                transfers.append(transfer)
            }
        }
        let failing = run.chance(40) ? Int.random(in: 0..<length, using: &run.random) : nil
        if let failing {
            switch Int.random(in: 0..<4, using: &run.random) {
            case 0: transfers[failing].creditAccountID = "volunteer:resident:R9999"
            case 1:
                transfers[failing].debitAccountID = run.pick(Self.holders)
                transfers[failing].creditAccountID = F.venue
                transfers[failing].code = "gift"
                transfers[failing].amount = 1_000_000
            case 2:
                transfers[failing].debitAccountID = F.issuer
                transfers[failing].creditAccountID = F.alice
                transfers[failing].code = "retired-rule"
            default:
                transfers[failing] = F.resolution(transfers[failing].id, post: true, pending: "no-such-pending")
            }
        }
        for index in 0..<(length - 1) { transfers[index].linked = true }
        let before = BookSnapshot(run.book)
        let results = run.book.createTransfers(transfers, now: run.now, recordedBy: F.staff)
        run.sent.append(transfers)
        run.note(results)
        let failed = results.filter { $0.result != .ok }
        if failing != nil {
            XCTAssertEqual(
                failed.count,
                length,
                "a chain with a failing transfer fails whole: \(transfers[failing!]) \(results.map(\.result))"
            )
        }
        if failed.isEmpty {
            for transfer in transfers where transfer.pending { run.pendingIDs.append(transfer.id) }
        } else {
            XCTAssertEqual(failed.count, length, "\(results.map(\.result))")
            XCTAssertEqual(failed.filter { $0.result != .linkedEventFailed }.count, 1)
            let cause = failed.first { $0.result != .linkedEventFailed }!
            for result in failed where result.result == .linkedEventFailed {
                XCTAssertTrue(result.message.contains(cause.id), result.message)
            }
            XCTAssertEqual(BookSnapshot(run.book), before, "a failed chain leaves no trace")
        }
    }

    func hold(_ run: inout Run) {
        let holder = run.pick(Self.holders)
        var to = run.chance(70) ? F.venue : run.pick(Self.holders)
        if to == holder { to = F.venue }
        let transfer = F.transfer(run.id("hold"), from: holder, to: to, run.amount(1...30)) {
            $0.pending = true
            $0.timeoutSeconds = run.pick([0, 3_600, 10_800, 43_200])
        }
        let result = run.book.submit(transfer, now: run.now)
        run.sent.append([transfer])
        run.note([result])
        XCTAssertTrue([.ok, .exceedsCredits].contains(result.result), "\(result.result) \(result.message)")
        if result.result == .ok { run.pendingIDs.append(transfer.id) }
    }

    func resolvePending(_ run: inout Run) {
        guard !run.pendingIDs.isEmpty else { return }
        // Mostly one still pending; sometimes one resolved already.
        let open = run.pendingIDs.filter { run.book.pending[$0]?.status == .pending }
        let pendingID = run.pick(open.isEmpty || run.chance(25) ? run.pendingIDs : open)
        guard let state = run.book.pending[pendingID] else { return XCTFail("pending \(pendingID) is gone") }
        let post = run.chance(60)
        let amount = post && run.chance(50) ? run.amount(0...state.amount) : 0
        let transfer = F.resolution(run.id(post ? "post" : "void"), post: post, pending: pendingID, amount: amount)
        let result = run.book.submit(transfer, now: run.now)
        run.sent.append([transfer])
        run.note([result])
        let expected: Gongzhi_Points_V1_Result
        switch state.status {
        case .posted: expected = .pendingTransferAlreadyPosted
        case .voided: expected = .pendingTransferAlreadyVoided
        case .pending:
            expected = post && state.expiresAtMs > 0 && run.now >= state.expiresAtMs ? .pendingTransferExpired : .ok
        }
        XCTAssertResult(result, expected)
        if result.result == .ok {
            XCTAssertEqual(result.transfer.amount, amount == 0 || !post ? state.amount : amount)
            XCTAssertEqual(run.book.pending[pendingID]?.status, post ? .posted : .voided)
        }
    }

    func correct(_ run: inout Run) {
        let recorded = run.book.transfers.filter { $0.code != PointsBook.expiryCode }
        guard !recorded.isEmpty else { return }
        let original = run.pick(recorded)
        let amount = run.amount(1...max(1, original.amount))
        let transfer = F.reversal(run.id("fix"), of: original, amount)
        let before = BookSnapshot(run.book)
        let result = run.book.submit(transfer, now: run.now)
        run.sent.append([transfer])
        run.note([result])
        let already = run.book.reversed[original.id] ?? 0
        switch result.result {
        case .ok:
            XCTAssertFalse(original.pending || original.voidPending, "\(original.id) moved no points to take back")
            XCTAssertLessThanOrEqual(already, original.amount)
        case .reversalMustMatch:
            XCTAssertTrue(original.pending || original.voidPending, "\(original.id): \(result.message)")
            XCTAssertEqual(BookSnapshot(run.book), before)
        case .exceedsReversedAmount:
            XCTAssertGreaterThan(already + amount, original.amount)
        case .exceedsCredits, .exceedsDebits, .accountClosed:
            break
        default:
            XCTFail("correction of \(original.id): \(result.result) \(result.message)")
        }
    }

    func redeem(_ run: inout Run) {
        let id = run.id("redemption")
        let holder = run.pick(Self.holders)
        let good = run.pick(Self.initialStock.keys.sorted())
        let outcome = run.book.redeem(
            id: id,
            accountID: holder,
            goodID: good,
            quantity: Int64.random(in: 1...3, using: &run.random),
            timeoutSeconds: run.chance(50) ? 0 : run.amount(3_600...259_200),
            note: "",
            now: run.now,
            by: holder
        )
        switch outcome {
        case .success(let outcome):
            run.note([outcome.transfer])
            if let redemption = outcome.redemption {
                XCTAssertEqual(redemption.state, .held)
                run.redemptionIDs.append(redemption.id)
            } else {
                XCTAssertEqual(outcome.transfer.result, .exceedsCredits, outcome.transfer.message)
            }
        case .failure(let refusal):
            run.tally["refused \(refusal.code)", default: 0] += 1
            XCTAssertEqual(refusal.code, .failedPrecondition, refusal.message)
        }
    }

    func resolveRedemption(_ run: inout Run) {
        guard !run.redemptionIDs.isEmpty else { return }
        // Mostly one still held; sometimes one resolved already.
        let held = run.redemptionIDs.filter { run.book.redemptions[$0]?.state == .held }
        let id = run.pick(held.isEmpty || run.chance(25) ? run.redemptionIDs : held)
        guard let before = run.book.redemptions[id] else { return XCTFail("redemption \(id) is gone") }
        let confirm = run.chance(65)
        let result = run.book.resolve(id, confirm: confirm, now: run.now, by: F.staff, note: "")
        switch result {
        case .success(let outcome):
            let state = outcome.redemption?.state
            if before.state == .held {
                XCTAssertResult(outcome.transfer, .ok)
                XCTAssertEqual(state, confirm ? .confirmed : .cancelled)
                XCTAssertTrue(!confirm || run.now < before.expiresAtMs)
            } else {
                XCTAssertResult(outcome.transfer, .exists)
                XCTAssertEqual(state, before.state)
            }
        case .failure(let refusal):
            XCTAssertEqual(refusal.code, .failedPrecondition, refusal.message)
            XCTAssertEqual(run.book.redemptions[id], before)
            let tooLate = before.state == .held && confirm && run.now >= before.expiresAtMs
            let otherWay = before.state != .held && before.state != (confirm ? .confirmed : .cancelled)
            XCTAssertTrue(tooLate || otherWay, "\(id) \(before.state): \(refusal.message)")
        }
    }

    /// Posts or voids a held redemption's hold with a transfer of its own, as staff may: the redemption follows.
    func resolveHoldDirectly(_ run: inout Run) {
        let held = run.redemptionIDs.filter { run.book.redemptions[$0]?.state == .held }
        guard !held.isEmpty else { return }
        let id = run.pick(held)
        let redemption = run.book.redemptions[id]!
        let post = run.chance(50)
        let transfer = F.resolution(run.id("direct"), post: post, pending: redemption.pendingTransferID)
        let result = run.book.submit(transfer, now: run.now)
        run.sent.append([transfer])
        run.note([result])
        guard result.result == .ok else {
            XCTAssertTrue(post && run.now >= redemption.expiresAtMs, "\(result.result) \(result.message)")
            return
        }
        switch run.book.resolve(id, confirm: post, now: run.now, by: F.staff, note: "") {
        case .success(let outcome):
            XCTAssertResult(outcome.transfer, .exists)
            XCTAssertEqual(outcome.redemption?.state, post ? .confirmed : .cancelled)
            XCTAssertEqual(outcome.redemption?.resolutionTransferID, transfer.id)
        case .failure(let refusal):
            XCTFail("\(id) does not follow its hold: \(refusal.message)")
        }
    }

    /// Sends again a batch sent before, as it was: what was recorded is answered EXISTS with the original and
    /// changes nothing.
    func retry(_ run: inout Run) {
        guard !run.sent.isEmpty else { return }
        let batch = run.pick(run.sent)
        let recorded = batch.map { run.book.transfer($0.id) }
        let before = BookSnapshot(run.book)
        let results = run.book.createTransfers(batch, now: run.now, recordedBy: F.staff)
        run.note(results)
        for (result, original) in zip(results, recorded) {
            guard let original else { continue }
            XCTAssertResult(result, .exists)
            XCTAssertEqual(result.transfer, original)
        }
        if recorded.allSatisfy({ $0 != nil }) {
            XCTAssertEqual(BookSnapshot(run.book), before)
        }
    }

    func sweep(_ run: inout Run) {
        let swept = run.book.sweep(now: run.now)
        run.tally["swept points", default: 0] += Int(swept.expiredPoints)
        for account in run.book.accounts.values where AccountID.isHolder(account.holderKind) {
            for lot in account.lots where lot.expiresAtMs > 0 && lot.expiresAtMs <= run.now {
                XCTAssertEqual(lot.remaining, 0, "\(account.id) keeps points of a due lot after the sweep")
            }
        }
        for (id, state) in run.book.pending where state.status == .pending {
            XCTAssertTrue(state.expiresAtMs == 0 || state.expiresAtMs > run.now, "\(id) outlived its timeout")
        }
        for redemption in run.book.redemptions.values where redemption.state == .held {
            XCTAssertGreaterThan(redemption.expiresAtMs, run.now, "\(redemption.id) outlived its timeout")
        }
    }

    // MARK: - Invariants

    func assertSound(_ run: Run, full: Bool, step: Int) {
        let book = run.book
        let context = "step \(step)"
        // Double entry: each ledger sums to zero, posted and pending.
        var sums: [String: (dp: Int64, cp: Int64, dpend: Int64, cpend: Int64)] = [:]
        for account in book.accounts.values {
            var sum = sums[account.ledger] ?? (0, 0, 0, 0)
            sum.dp += account.debitsPosted
            sum.cp += account.creditsPosted
            sum.dpend += account.debitsPending
            sum.cpend += account.creditsPending
            sums[account.ledger] = sum
        }
        for (ledger, sum) in sums {
            XCTAssertEqual(sum.dp, sum.cp, "\(context): ledger \(ledger) posted")
            XCTAssertEqual(sum.dpend, sum.cpend, "\(context): ledger \(ledger) pending")
        }
        for account in book.accounts.values {
            if account.debitsMustNotExceedCredits {
                XCTAssertLessThanOrEqual(
                    account.debitsPosted + account.debitsPending,
                    account.creditsPosted,
                    "\(context): \(account.id) spent more than it was given"
                )
            }
            guard AccountID.isHolder(account.holderKind) else {
                XCTAssertEqual(account.lots, [], "\(context): \(account.id)")
                continue
            }
            XCTAssertEqual(
                account.lots.map(\.remaining).reduce(0, +),
                PointsBook.available(of: account),
                "\(context): \(account.id)'s lots do not add up to what it can spend"
            )
            XCTAssertEqual(
                account.lots.map(\.held).reduce(0, +),
                account.debitsPending,
                "\(context): \(account.id)'s held points are not its pending debits"
            )
            XCTAssertTrue(account.lots.allSatisfy { $0.remaining >= 0 && $0.held >= 0 }, "\(context): \(account.id)")
            XCTAssertEqual(Set(account.lots.map(\.expiresAtMs)).count, account.lots.count, "\(context): \(account.id)")
            let order = account.lots.map { $0.expiresAtMs == 0 ? Int64.max : $0.expiresAtMs }
            XCTAssertEqual(order, order.sorted(), "\(context): \(account.id)'s lots are not in spending order")
        }
        // Goods: reserved is what held redemptions reserve, and stock is what was not handed over.
        for (id, good) in book.goods {
            let redemptions = book.redemptions.values.filter { $0.goodID == id }
            let held = redemptions.filter { $0.state == .held }.map(\.quantity).reduce(0, +)
            let handedOver = redemptions.filter { $0.state == .confirmed }.map(\.quantity).reduce(0, +)
            XCTAssertEqual(good.reserved, held, "\(context): \(id) reserved")
            XCTAssertEqual(good.stock, (Self.initialStock[id] ?? 0) - handedOver, "\(context): \(id) stock")
            XCTAssertGreaterThanOrEqual(good.stock, 0, "\(context): \(id) oversold")
            XCTAssertLessThanOrEqual(good.reserved, good.stock, "\(context): \(id) reserved beyond its stock")
        }
        for redemption in book.redemptions.values {
            let status = book.pending[redemption.pendingTransferID]?.status
            let expected: PointsBook.Pending.Status =
                switch redemption.state {
                case .held: .pending
                case .confirmed: .posted
                default: .voided
                }
            XCTAssertEqual(status, expected, "\(context): redemption \(redemption.id) is \(redemption.state)")
        }
        guard full else { return }

        // Every id once; every pending transfer resolved at most once.
        XCTAssertEqual(Set(book.transfers.map(\.id)).count, book.transfers.count, "\(context): an id recorded twice")
        var resolutions: [String: Int] = [:]
        for transfer in book.transfers where transfer.postPending || transfer.voidPending {
            resolutions[transfer.pendingID, default: 0] += 1
        }
        XCTAssertEqual(resolutions.filter { $0.value > 1 }, [:], "\(context): resolved more than once")
        for (id, state) in book.pending {
            XCTAssertEqual(resolutions[id] ?? 0, state.status == .pending ? 0 : 1, "\(context): \(id)")
        }
        // Every balance is the sum of the transfers that touched the account.
        var computed: [String: (dp: Int64, cp: Int64, dpend: Int64, cpend: Int64)] = [:]
        for transfer in book.transfers {
            if transfer.postPending || transfer.voidPending {
                guard let original = book.transfer(transfer.pendingID) else {
                    XCTFail("\(context): \(transfer.id) resolves an unknown transfer")
                    continue
                }
                computed[original.debitAccountID, default: (0, 0, 0, 0)].dpend -= original.amount
                computed[original.creditAccountID, default: (0, 0, 0, 0)].cpend -= original.amount
                if transfer.postPending {
                    computed[transfer.debitAccountID, default: (0, 0, 0, 0)].dp += transfer.amount
                    computed[transfer.creditAccountID, default: (0, 0, 0, 0)].cp += transfer.amount
                }
            } else if transfer.pending {
                computed[transfer.debitAccountID, default: (0, 0, 0, 0)].dpend += transfer.amount
                computed[transfer.creditAccountID, default: (0, 0, 0, 0)].cpend += transfer.amount
            } else {
                computed[transfer.debitAccountID, default: (0, 0, 0, 0)].dp += transfer.amount
                computed[transfer.creditAccountID, default: (0, 0, 0, 0)].cp += transfer.amount
            }
        }
        for account in book.accounts.values {
            let sum = computed[account.id] ?? (0, 0, 0, 0)
            XCTAssertEqual(account.debitsPosted, sum.dp, "\(context): \(account.id) debits posted")
            XCTAssertEqual(account.creditsPosted, sum.cp, "\(context): \(account.id) credits posted")
            XCTAssertEqual(account.debitsPending, sum.dpend, "\(context): \(account.id) debits pending")
            XCTAssertEqual(account.creditsPending, sum.cpend, "\(context): \(account.id) credits pending")
        }
        // No holder earned more by a rule in a period than its cap.
        var earned: [String: Int64] = [:]
        func capKey(_ holder: String, _ rule: String, _ at: Int64) -> String? {
            guard let cap = book.rules[rule], cap.cap > 0, let period = ChinaCalendar.Period(cap.capPeriod) else {
                return nil
            }
            return "\(holder) \(rule) \(ChinaCalendar.periodBounds(period, at: at).start)"
        }
        for transfer in book.transfers
        where !transfer.pending && !transfer.postPending && !transfer.voidPending
            && book.accounts[transfer.debitAccountID]?.holderKind == .issuer
        {
            if transfer.reversesID.isEmpty {
                if let key = capKey(transfer.creditAccountID, transfer.code, transfer.timestampMs) {
                    earned[key, default: 0] += transfer.amount
                }
            }
        }
        for transfer in book.transfers where !transfer.reversesID.isEmpty {
            guard let original = book.transfer(transfer.reversesID),
                book.accounts[original.debitAccountID]?.holderKind == .issuer, original.reversesID.isEmpty,
                let key = capKey(original.creditAccountID, original.code, original.timestampMs)
            else { continue }
            earned[key, default: 0] -= transfer.amount
        }
        for (key, points) in earned {
            let rule = String(key.split(separator: " ")[1])
            XCTAssertLessThanOrEqual(points, book.rules[rule]?.cap ?? 0, "\(context): \(key)")
        }
        var counted: [String: Int64] = [:]
        for (key, points) in book.capUsage where points != 0 {
            counted["\(key.accountID) \(key.code) \(key.periodStartMs)"] = points
        }
        XCTAssertEqual(counted, earned.filter { $0.value != 0 }, "\(context): the book's cap counts and the transfers")
        if step % 1_000 == 0 {
            let report = LedgerVerification.verify(transfers: book.transfers, accounts: Array(book.accounts.values))
            XCTAssertTrue(report.ok, "\(context): \(report.problem ?? "")")
        }
    }

    func assertReplayGivesTheSameBook(_ book: PointsBook) {
        var fresh = PointsBook()
        for ledger in book.ledgers.values { fresh.put(ledger: ledger) }
        for rule in book.rules.values { fresh.put(rule: rule) }
        for account in book.accounts.values { fresh.load(account: account) }
        for transfer in book.transfers {
            if let problem = fresh.replay(transfer) { return XCTFail(problem) }
        }
        XCTAssertEqual(fresh.accounts, book.accounts)
        XCTAssertEqual(fresh.pending, book.pending)
        XCTAssertEqual(fresh.headHash, book.headHash)
        XCTAssertEqual(fresh.capUsage.filter { $0.value != 0 }, book.capUsage.filter { $0.value != 0 })
    }
}
