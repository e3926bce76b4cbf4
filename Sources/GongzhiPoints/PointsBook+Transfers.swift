import GongzhiCalendar
import GongzhiPointsSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Transfers: validation with TigerBeetle's result codes, linked chains, two-phase transfers, reversals, caps,
/// lots, and the hash chain.
extension PointsBook {
    /// The most transfers one call may carry (TigerBeetle's batch size).
    public static let maximumBatch = 8_190
    /// Codes the plugin writes itself.
    public static let expiryCode = "expiry"
    public static let redemptionCode = "redemption"
    public static let correctionCode = "correction"

    /// Records a batch of transfers in order, each with its result; a linked chain succeeds or fails together.
    /// `now` stamps the transfers and decides timeouts and caps; `recordedBy` names who asked.
    public mutating func createTransfers(
        _ batch: [Transfer],
        now: Int64,
        recordedBy: String,
        mayImport: Bool = true
    ) -> [TransferResult] {
        self.mayImport = mayImport
        defer { self.mayImport = true }
        var results: [TransferResult] = []
        results.reserveCapacity(batch.count)
        var start = 0
        while start < batch.count {
            var end = start
            while end < batch.count - 1 && batch[end].linked { end += 1 }
            if start == end && !batch[start].linked {
                results.append(create(batch[start], index: start, now: now, recordedBy: recordedBy))
                start += 1
                continue
            }
            journal = []
            var chain: [TransferResult] = []
            var failure: Int?
            for index in start...end {
                let result = create(batch[index], index: index, now: now, recordedBy: recordedBy)
                chain.append(result)
                if result.result != .ok && result.result != .exists {
                    failure = index
                    break
                }
            }
            if failure == nil && batch[end].linked {
                var open = TransferResult()
                open.index = Int32(end)
                open.id = batch[end].id
                open.result = .linkedEventChainOpen
                open.message =
                    "transfer \(batch[end].id) is linked to a next transfer, but the batch ends with it; "
                    + "clear `linked` on the last transfer of a chain"
                chain[chain.count - 1] = open
                failure = end
            }
            if let failure {
                rollBack()
                let failed = chain[failure - start]
                for index in start...end {
                    if index == failure {
                        results.append(failed)
                    } else {
                        var linked = TransferResult()
                        linked.index = Int32(index)
                        linked.id = batch[index].id
                        linked.result = .linkedEventFailed
                        linked.message =
                            "not recorded: transfer \(failed.id) of its linked chain failed (\(failed.message))"
                        results.append(linked)
                    }
                }
            } else {
                journal = nil
                results.append(contentsOf: chain)
            }
            start = end + 1
        }
        return results
    }

    /// One transfer: the original's answer when its id is recorded, else its checks, then its effects.
    mutating func create(_ request: Transfer, index: Int, now: Int64, recordedBy: String) -> TransferResult {
        var result = TransferResult()
        result.index = Int32(index)
        result.id = request.id
        func refuse(_ code: Gongzhi_Points_V1_Result, _ message: String, field: String = "") -> TransferResult {
            result.result = code
            result.message = message
            result.field = field
            return result
        }
        if let problem = AccountID.problem(withID: request.id, what: "the transfer") {
            return refuse(.idInvalid, problem)
        }
        if let existing = transfer(request.id) {
            if let field = differingField(request, existing) {
                return refuse(
                    .existsWithDifferentField,
                    "transfer \(request.id) is already recorded with a different \(field); "
                        + "use a new id for a different transfer",
                    field: field
                )
            }
            result.result = .exists
            result.message = "transfer \(request.id) is already recorded (sequence \(existing.sequence)); nothing new"
            result.transfer = existing
            return result
        }
        var now = now
        if request.imported {
            if !mayImport {
                return refuse(.importNotAllowed, "only administrators and API clients import past transfers")
            }
            let last = transfers.last?.timestampMs ?? 0
            if request.timestampMs <= 0 || request.timestampMs > now || request.timestampMs < last {
                return refuse(
                    .importedTimestampInvalid,
                    "an imported transfer carries its own timestamp_ms, no earlier than the last recorded "
                        + "transfer's (\(last)) and not in the future",
                    field: "timestamp_ms"
                )
            }
            now = request.timestampMs
        }
        let phases = [request.pending, request.postPending, request.voidPending].filter { $0 }.count
        if phases > 1 || (phases == 1 && !request.reversesID.isEmpty) {
            return refuse(
                .flagsAreMutuallyExclusive,
                "a transfer is at most one of pending, post_pending, void_pending and a reversal"
            )
        }
        if request.timeoutSeconds != 0 && !request.pending {
            return refuse(
                .timeoutReservedForPendingTransfer,
                "only a pending transfer has a timeout",
                field: "timeout_seconds"
            )
        }
        if request.timeoutSeconds < 0 || request.expiresAtMs < 0 {
            return refuse(
                .overflows,
                "timeouts and expiry times may not be negative",
                field: request.timeoutSeconds < 0 ? "timeout_seconds" : "expires_at_ms"
            )
        }
        var transfer = request
        if request.postPending || request.voidPending {
            switch resolvePending(&transfer, now: now) {
            case .success: break
            case .failure(let refusal): return refuse(refusal.code, refusal.message, field: refusal.field)
            }
        } else {
            if !request.pendingID.isEmpty {
                return refuse(
                    .pendingIDMustBeEmpty,
                    "pending_id is only for a transfer that posts or voids a pending one",
                    field: "pending_id"
                )
            }
            switch checkPlain(&transfer, now: now) {
            case .success: break
            case .failure(let refusal):
                result.shortfall = refusal.shortfall
                result.cap = refusal.cap
                result.period = refusal.period
                result.earned = refusal.earned
                return refuse(refusal.code, refusal.message, field: refusal.field)
            }
        }
        transfer.timestampMs = now
        transfer.recordedBy = recordedBy
        // A credit to a holder carries its lot's expiry, so that the ledger's rule may change later.
        if !transfer.pending, transfer.expiresAtMs == 0, transfer.reversesID.isEmpty,
            let credit = accounts[transfer.creditAccountID], AccountID.isHolder(credit.holderKind)
        {
            transfer.expiresAtMs = lotExpiry(of: transfer)
        }
        let recorded = record(transfer)
        result.result = .ok
        result.message = "recorded (sequence \(recorded.sequence))"
        result.transfer = recorded
        return result
    }

    /// Why a transfer is refused, with the figures a person needs.
    struct Refusal: Error {
        var code: Gongzhi_Points_V1_Result
        var message: String
        var field = ""
        var shortfall: Int64 = 0
        var cap: Int64 = 0
        var period: Gongzhi_Points_V1_Period = .unspecified
        var earned: Int64 = 0
    }

    /// Checks a post or void against its pending transfer, and fills in its accounts, ledger, code and amount.
    func resolvePending(_ transfer: inout Transfer, now: Int64) -> Result<Void, Refusal> {
        let verb = transfer.postPending ? "post" : "void"
        if transfer.pendingID.isEmpty {
            return .failure(
                Refusal(code: .pendingIDRequired, message: "a \(verb) names the pending transfer", field: "pending_id")
            )
        }
        guard let original = self.transfer(transfer.pendingID) else {
            return .failure(
                Refusal(
                    code: .pendingTransferNotFound,
                    message: "there is no transfer \(transfer.pendingID) to \(verb)",
                    field: "pending_id"
                )
            )
        }
        guard original.pending, let state = pending[transfer.pendingID] else {
            return .failure(
                Refusal(
                    code: .pendingTransferNotPending,
                    message:
                        "transfer \(transfer.pendingID) is not pending; only a pending transfer is posted or voided",
                    field: "pending_id"
                )
            )
        }
        switch state.status {
        case .posted:
            return .failure(
                Refusal(
                    code: .pendingTransferAlreadyPosted,
                    message: "pending transfer \(transfer.pendingID) is already posted"
                )
            )
        case .voided:
            return .failure(
                Refusal(
                    code: .pendingTransferAlreadyVoided,
                    message: "pending transfer \(transfer.pendingID) is already voided"
                )
            )
        case .pending: break
        }
        if (!transfer.debitAccountID.isEmpty && transfer.debitAccountID != state.debitAccountID)
            || (!transfer.creditAccountID.isEmpty && transfer.creditAccountID != state.creditAccountID)
        {
            return .failure(
                Refusal(
                    code: .pendingTransferHasDifferentAccounts,
                    message: "pending transfer \(transfer.pendingID) moves \(state.debitAccountID) → "
                        + "\(state.creditAccountID); leave the accounts empty or name those"
                )
            )
        }
        if !transfer.ledger.isEmpty && transfer.ledger != state.ledger {
            return .failure(
                Refusal(
                    code: .transferMustHaveTheSameLedgerAsAccounts,
                    message: "pending transfer \(transfer.pendingID) is of ledger \(state.ledger)",
                    field: "ledger"
                )
            )
        }
        if transfer.amount < 0 || transfer.amount > state.amount
            || (transfer.voidPending && transfer.amount != 0 && transfer.amount != state.amount)
        {
            return .failure(
                Refusal(
                    code: .exceedsPendingTransferAmount,
                    message: "pending transfer \(transfer.pendingID) holds \(state.amount) points; "
                        + (transfer.voidPending
                            ? "a void releases all of them (give 0 or \(state.amount))"
                            : "post at most that (0 posts all of it)"),
                    field: "amount"
                )
            )
        }
        if transfer.postPending && state.expiresAtMs > 0 && now >= state.expiresAtMs {
            return .failure(
                Refusal(
                    code: .pendingTransferExpired,
                    message: "pending transfer \(transfer.pendingID) timed out; it can only be voided"
                )
            )
        }
        if transfer.postPending {
            for (id, field) in [
                (state.debitAccountID, "debit_account_id"), (state.creditAccountID, "credit_account_id"),
            ]
            where accounts[id]?.closed == true {
                return .failure(
                    Refusal(
                        code: .accountClosed,
                        message:
                            "account \(id) is closed; its pending transfer \(transfer.pendingID) can only be voided",
                        field: field
                    )
                )
            }
        }
        if transfer.amount == 0 || transfer.voidPending { transfer.amount = state.amount }
        transfer.debitAccountID = state.debitAccountID
        transfer.creditAccountID = state.creditAccountID
        transfer.ledger = state.ledger
        if transfer.code.isEmpty { transfer.code = state.code }
        return .success(())
    }

    /// Checks a transfer that is neither a post nor a void, and fills in its ledger.
    mutating func checkPlain(_ transfer: inout Transfer, now: Int64) -> Result<Void, Refusal> {
        if transfer.amount <= 0 {
            return .failure(
                Refusal(code: .amountMustNotBeZero, message: "the amount must be more than zero", field: "amount")
            )
        }
        if transfer.code.isEmpty {
            return .failure(
                Refusal(
                    code: .codeRequired,
                    message: "say why points move: an earning rule's code, or redemption, expiry, correction",
                    field: "code"
                )
            )
        }
        if transfer.debitAccountID == transfer.creditAccountID {
            return .failure(
                Refusal(
                    code: .accountsMustBeDifferent,
                    message: "the debit and credit accounts are both \(transfer.debitAccountID)"
                )
            )
        }
        guard let debit = accounts[transfer.debitAccountID] else {
            return .failure(
                Refusal(
                    code: .accountNotFound,
                    message: "there is no account \(transfer.debitAccountID) to debit",
                    field: "debit_account_id"
                )
            )
        }
        guard let credit = accounts[transfer.creditAccountID] else {
            return .failure(
                Refusal(
                    code: .accountNotFound,
                    message: "there is no account \(transfer.creditAccountID) to credit",
                    field: "credit_account_id"
                )
            )
        }
        if debit.ledger != credit.ledger {
            return .failure(
                Refusal(
                    code: .accountsMustHaveTheSameLedger,
                    message: "\(debit.id) is of ledger \(debit.ledger) and \(credit.id) of \(credit.ledger); "
                        + "points of different ledgers never trade"
                )
            )
        }
        if transfer.ledger.isEmpty { transfer.ledger = debit.ledger }
        if transfer.ledger != debit.ledger {
            return .failure(
                Refusal(
                    code: .transferMustHaveTheSameLedgerAsAccounts,
                    message: "the transfer names ledger \(transfer.ledger) but its accounts are of \(debit.ledger)",
                    field: "ledger"
                )
            )
        }
        guard ledgers[transfer.ledger] != nil else {
            return .failure(
                Refusal(code: .ledgerNotFound, message: "there is no ledger \(transfer.ledger)", field: "ledger")
            )
        }
        if debit.closed {
            return .failure(
                Refusal(code: .accountClosed, message: "account \(debit.id) is closed", field: "debit_account_id")
            )
        }
        if credit.closed {
            return .failure(
                Refusal(code: .accountClosed, message: "account \(credit.id) is closed", field: "credit_account_id")
            )
        }
        if !transfer.reversesID.isEmpty {
            guard let original = self.transfer(transfer.reversesID) else {
                return .failure(
                    Refusal(
                        code: .reversedTransferNotFound,
                        message: "there is no transfer \(transfer.reversesID) to reverse",
                        field: "reverses_id"
                    )
                )
            }
            if original.voidPending {
                return .failure(
                    Refusal(
                        code: .reversalMustMatch,
                        message: "transfer \(original.id) voided a pending transfer and moved no points; "
                            + "there is nothing to reverse",
                        field: "reverses_id"
                    )
                )
            }
            if original.pending || original.debitAccountID != transfer.creditAccountID
                || original.creditAccountID != transfer.debitAccountID
            {
                return .failure(
                    Refusal(
                        code: .reversalMustMatch,
                        message: "a reversal of \(original.id) moves points back: from \(original.creditAccountID) "
                            + "to \(original.debitAccountID) (a pending transfer is voided, not reversed)"
                    )
                )
            }
            let already = reversed[original.id] ?? 0
            if already + transfer.amount > original.amount {
                return .failure(
                    Refusal(
                        code: .exceedsReversedAmount,
                        message: "transfer \(original.id) moved \(original.amount) points and \(already) are "
                            + "already reversed; at most \(original.amount - already) can be",
                        field: "amount"
                    )
                )
            }
        } else if debit.holderKind == .issuer {
            // Points are issued only by an earning rule of the ledger, within its cap, in one step: a pending
            // transfer would pass the rule's checks and its cap when posted.
            if transfer.pending {
                return .failure(
                    Refusal(
                        code: .flagsAreMutuallyExclusive,
                        message: "points are issued by an earning rule in one step: a transfer from issuing account "
                            + "\(debit.id) cannot be pending",
                        field: "pending"
                    )
                )
            }
            guard let rule = rules[transfer.code], rule.ledger == transfer.ledger else {
                return .failure(
                    Refusal(
                        code: .ruleNotFound,
                        message: "points are issued by an earning rule of ledger \(transfer.ledger); "
                            + "there is no rule \(transfer.code) in it",
                        field: "code"
                    )
                )
            }
            if !rule.active {
                return .failure(
                    Refusal(code: .ruleInactive, message: "earning rule \(rule.code) is not active", field: "code")
                )
            }
            if rule.cap > 0, let period = ChinaCalendar.Period(rule.capPeriod), AccountID.isHolder(credit.holderKind) {
                let key = CapKey(
                    accountID: credit.id,
                    code: rule.code,
                    periodStartMs: ChinaCalendar.periodBounds(period, at: now).start
                )
                let earned = capUsage[key] ?? 0
                if earned + transfer.amount > rule.cap {
                    return .failure(
                        Refusal(
                            code: .capReached,
                            message: "\(credit.holderName.isEmpty ? credit.id : credit.holderName) earned "
                                + "\(earned) of the cap of \(rule.cap) points per \(period.word) by \(rule.code); "
                                + "\(transfer.amount) more would pass it",
                            cap: rule.cap,
                            period: rule.capPeriod,
                            earned: earned
                        )
                    )
                }
            }
        }
        if transfer.pending && transfer.timeoutSeconds > Int64.max / 1000 - now / 1000 {
            return .failure(Refusal(code: .overflows, message: "the timeout is too long", field: "timeout_seconds"))
        }
        // Due lots expire before the account is debited, so that expired points are never spent.
        if AccountID.isHolder(debit.holderKind) && hasDueLots(debit, at: now) {
            expireLots(of: debit.id, at: now)
        }
        let debitNow = accounts[debit.id]!
        let creditNow = accounts[credit.id]!
        // Posted plus pending plus the amount, on either side, must fit (each is never negative, so the parts do).
        let (debits, debitOverflow) = debitNow.debitsPosted.addingReportingOverflow(debitNow.debitsPending)
        let (debitsAfter, afterOverflow) = debits.addingReportingOverflow(transfer.amount)
        let (credits, creditOverflow) = creditNow.creditsPosted.addingReportingOverflow(creditNow.creditsPending)
        let (creditsAfter, creditsAfterOverflow) = credits.addingReportingOverflow(transfer.amount)
        if debitOverflow || afterOverflow || creditOverflow || creditsAfterOverflow {
            return .failure(
                Refusal(code: .overflows, message: "the amount would overflow an account's balance", field: "amount")
            )
        }
        if debitNow.debitsMustNotExceedCredits && debitsAfter > debitNow.creditsPosted {
            let shortfall = debitsAfter - debitNow.creditsPosted
            return .failure(
                Refusal(
                    code: .exceedsCredits,
                    message: "\(debitNow.holderName.isEmpty ? debitNow.id : debitNow.holderName) has "
                        + "\(Self.available(of: debitNow)) points to spend; \(transfer.amount) is \(shortfall) short",
                    shortfall: shortfall
                )
            )
        }
        if creditNow.creditsMustNotExceedDebits && creditsAfter > creditNow.debitsPosted {
            return .failure(
                Refusal(
                    code: .exceedsDebits,
                    message: "account \(credit.id) may not be credited more than it was debited",
                    shortfall: creditsAfter - creditNow.debitsPosted
                )
            )
        }
        return .success(())
    }

    /// The first field in which a retried transfer differs from the recorded one, or nil when it is the same.
    func differingField(_ request: Transfer, _ recorded: Transfer) -> String? {
        let resolves = recorded.postPending || recorded.voidPending
        if request.pending != recorded.pending || request.postPending != recorded.postPending
            || request.voidPending != recorded.voidPending || request.linked != recorded.linked
        {
            return "flags"
        }
        if resolves {
            if request.pendingID != recorded.pendingID { return "pending_id" }
            if !request.debitAccountID.isEmpty && request.debitAccountID != recorded.debitAccountID {
                return "debit_account_id"
            }
            if !request.creditAccountID.isEmpty && request.creditAccountID != recorded.creditAccountID {
                return "credit_account_id"
            }
            if request.amount != 0 && request.amount != recorded.amount { return "amount" }
            if !request.code.isEmpty && request.code != recorded.code { return "code" }
        } else {
            if request.debitAccountID != recorded.debitAccountID { return "debit_account_id" }
            if request.creditAccountID != recorded.creditAccountID { return "credit_account_id" }
            if request.amount != recorded.amount { return "amount" }
            if request.code != recorded.code { return "code" }
            if request.pendingID != recorded.pendingID { return "pending_id" }
        }
        if !request.ledger.isEmpty && request.ledger != recorded.ledger { return "ledger" }
        if request.timeoutSeconds != recorded.timeoutSeconds { return "timeout_seconds" }
        if request.imported != recorded.imported { return "imported" }
        if request.imported && request.timestampMs != recorded.timestampMs { return "timestamp_ms" }
        if request.reversesID != recorded.reversesID { return "reverses_id" }
        if request.reference != recorded.reference { return "reference" }
        if request.memo != recorded.memo { return "memo" }
        if request.expiresAtMs != 0 && request.expiresAtMs != recorded.expiresAtMs { return "expires_at_ms" }
        return nil
    }

    // MARK: - Recording

    /// Chains a checked transfer, applies it and keeps it.
    mutating func record(_ transfer: Transfer) -> Transfer {
        var transfer = transfer
        transfer.sequence = headSequence + 1
        transfer.previousHash = Data(headHash)
        transfer.hash = Data()
        transfer.hash = Data(TransferHash.compute(transfer))
        apply(transfer)
        appendRecorded(transfer)
        changes.transfers.append(transfer)
        return transfer
    }

    /// Keeps a recorded transfer and moves the head to it.
    mutating func appendRecorded(_ transfer: Transfer) {
        journal?.append(.transfer(previousHeadSequence: headSequence, previousHeadHash: headHash))
        let position = transfers.count
        transfers.append(transfer)
        transferIndex[transfer.id] = position
        accountTransfers[transfer.debitAccountID, default: []].append(position)
        accountTransfers[transfer.creditAccountID, default: []].append(position)
        headSequence = transfer.sequence
        headHash = Array(transfer.hash)
    }

    /// A transfer's effects on balances, lots, pending transfers, reversals and caps (checked already, or
    /// replayed as recorded).
    mutating func apply(_ transfer: Transfer) {
        let amount = transfer.amount
        guard var debit = accounts[transfer.debitAccountID], var credit = accounts[transfer.creditAccountID] else {
            return
        }
        if transfer.pending {
            debit.debitsPending &+= amount
            credit.creditsPending &+= amount
            var holds: [Hold] = []
            if AccountID.isHolder(debit.holderKind) { holds = Lots.hold(amount, in: &debit) }
            setPending(
                transfer.id,
                Pending(
                    amount: amount,
                    debitAccountID: debit.id,
                    creditAccountID: credit.id,
                    ledger: transfer.ledger,
                    code: transfer.code,
                    expiresAtMs: transfer.timeoutSeconds > 0
                        ? transfer.timestampMs &+ transfer.timeoutSeconds &* 1000 : 0,
                    status: .pending,
                    holds: holds
                )
            )
        } else if transfer.postPending || transfer.voidPending, var state = pending[transfer.pendingID] {
            debit.debitsPending &-= state.amount
            credit.creditsPending &-= state.amount
            let posted = transfer.postPending ? amount : 0
            debit.debitsPosted &+= posted
            credit.creditsPosted &+= posted
            if AccountID.isHolder(debit.holderKind) {
                Lots.settle(state.holds, consuming: posted, in: &debit)
            }
            if posted > 0 && AccountID.isHolder(credit.holderKind) {
                Lots.add(posted, expiringAt: lotExpiry(of: transfer), from: transfer, to: &credit)
            }
            state.status = transfer.postPending ? .posted : .voided
            setPending(transfer.pendingID, state)
        } else {
            debit.debitsPosted &+= amount
            credit.creditsPosted &+= amount
            var preferred: Int64?
            if !transfer.reversesID.isEmpty, let original = self.transfer(transfer.reversesID) {
                preferred = lotExpiry(of: original)
                setReversed(original.id, (reversed[original.id] ?? 0) &+ amount)
                // Only what a rule issued counted towards its cap: taking back anything else frees no room.
                if let period = capPeriod(of: original), AccountID.isHolder(debit.holderKind),
                    original.reversesID.isEmpty, !original.postPending,
                    accounts[original.debitAccountID]?.holderKind == .issuer
                {
                    let key = CapKey(
                        accountID: debit.id,
                        code: original.code,
                        periodStartMs: ChinaCalendar.periodBounds(period, at: original.timestampMs).start
                    )
                    setCapUsage(key, (capUsage[key] ?? 0) &- amount)
                }
            }
            if AccountID.isHolder(debit.holderKind) {
                Lots.consume(amount, from: &debit, preferring: preferred, expiredBy: transfer.timestampMs)
            }
            if AccountID.isHolder(credit.holderKind) {
                Lots.add(
                    amount,
                    expiringAt: transfer.reversesID.isEmpty ? lotExpiry(of: transfer) : preferred ?? 0,
                    from: transfer,
                    to: &credit
                )
                if transfer.reversesID.isEmpty, let period = capPeriod(of: transfer),
                    accounts[transfer.debitAccountID]?.holderKind == .issuer
                {
                    let key = CapKey(
                        accountID: credit.id,
                        code: transfer.code,
                        periodStartMs: ChinaCalendar.periodBounds(period, at: transfer.timestampMs).start
                    )
                    setCapUsage(key, (capUsage[key] ?? 0) &+ amount)
                }
            }
        }
        setAccount(debit)
        setAccount(credit)
    }

    /// When the points a credit grants expire: the transfer's own date, else the ledger's rule, else never.
    func lotExpiry(of transfer: Transfer) -> Int64 {
        if transfer.expiresAtMs > 0 { return transfer.expiresAtMs }
        guard let months = ledgers[transfer.ledger]?.lotMonths, months > 0 else { return 0 }
        return ChinaCalendar.startOfMonth(at: transfer.timestampMs, adding: Int64(months) + 1)
    }

    /// The period of the cap of the rule a transfer was made by, if it has one.
    func capPeriod(of transfer: Transfer) -> ChinaCalendar.Period? {
        guard let rule = rules[transfer.code], rule.cap > 0 else { return nil }
        return ChinaCalendar.Period(rule.capPeriod)
    }
}

extension ChinaCalendar.Period {
    /// The period a rule's cap counts in; nil for none.
    public init?(_ period: Gongzhi_Points_V1_Period) {
        switch period {
        case .day: self = .day
        case .week: self = .week
        case .month: self = .month
        case .year: self = .year
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    /// "day", "week", "month", "year".
    public var word: String {
        switch self {
        case .day: "day"
        case .week: "week"
        case .month: "month"
        case .year: "year"
        }
    }
}
