import GongzhiCalendar
import GongzhiPointsSchemas

/// The points supermarket (积分超市): goods with stock, and redemptions in two phases — points held as a pending
/// transfer and stock reserved, then posted at hand-over or voided.
extension PointsBook {
    /// Default time a held redemption waits for its hand-over: 7 days.
    public static let defaultRedemptionTimeoutSeconds: Int64 = 7 * 86_400
    /// The most of one good in one redemption.
    public static let maximumQuantity: Int64 = 1_000

    /// Adds a good or changes its name, price, stock, threshold or whether it is offered. The reserved count is the
    /// book's: stock may not go below what held redemptions reserve.
    public mutating func put(good request: Good, now: Int64) -> Result<Good, PointsRefusal> {
        if request.id.isEmpty || AccountID.problem(withID: request.id, what: "the good") != nil {
            return .failure(PointsRefusal(.invalidArgument, "a good's id is 1 to 128 letters, digits and \".:_-\""))
        }
        if request.name.allSatisfy(\.isWhitespace) {
            return .failure(PointsRefusal(.invalidArgument, "good \(request.id) has no name"))
        }
        guard let venue = venues[request.venueID] else {
            return .failure(PointsRefusal(.notFound, "there is no venue \"\(request.venueID)\" for good \(request.id)"))
        }
        guard ledgers[request.ledger] != nil else {
            return .failure(
                PointsRefusal(.notFound, "there is no ledger \"\(request.ledger)\" to price good \(request.id) in")
            )
        }
        if request.price <= 0 || request.stock < 0 || request.minimumBalance < 0 {
            return .failure(
                PointsRefusal(
                    .invalidArgument,
                    "good \(request.id) needs a price above 0 and no negative stock or threshold"
                )
            )
        }
        var good = request
        good.communityCode = venue.communityCode
        good.reserved = goods[request.id]?.reserved ?? 0
        if let existing = goods[request.id], existing.venueID != request.venueID || existing.ledger != request.ledger {
            return .failure(
                PointsRefusal(
                    .failedPrecondition,
                    "good \(request.id) belongs to venue \(existing.venueID) in ledger "
                        + "\(existing.ledger); add a new good instead of moving it"
                )
            )
        }
        if good.stock < good.reserved {
            return .failure(
                PointsRefusal(
                    .failedPrecondition,
                    "good \(request.id) has \(good.reserved) reserved by held redemptions; stock may not be less"
                )
            )
        }
        setGood(good)
        return .success(good)
    }

    /// What a redemption request came to.
    public struct RedemptionOutcome: Sendable {
        /// The redemption as it is now; nil when the transfer was refused (nothing was written).
        public var redemption: Redemption?
        public var transfer: TransferResult
    }

    /// Redeems a good for a holder: holds the points as a pending transfer to the venue and reserves the stock.
    /// A redemption id seen before answers the redemption as it is.
    public mutating func redeem(
        id: String,
        accountID: String,
        goodID: String,
        quantity: Int64,
        timeoutSeconds: Int64,
        note: String,
        now: Int64,
        by actor: String
    ) -> Result<RedemptionOutcome, PointsRefusal> {
        if let problem = AccountID.problem(withID: id, what: "the redemption") {
            return .failure(PointsRefusal(.invalidArgument, problem))
        }
        let quantity = quantity == 0 ? 1 : quantity
        if let existing = redemptions[id] {
            if existing.accountID != accountID || existing.goodID != goodID || existing.quantity != quantity {
                return .failure(
                    PointsRefusal(
                        .alreadyExists,
                        "redemption \(id) exists for \(existing.quantity) × \(existing.goodID) by \(existing.accountID); "
                            + "use a new id for another"
                    )
                )
            }
            var result = TransferResult()
            result.id = existing.pendingTransferID
            result.result = .exists
            result.message = "redemption \(id) is already \(Self.word(existing.state))"
            result.transfer = transfer(existing.pendingTransferID) ?? Transfer()
            return .success(RedemptionOutcome(redemption: existing, transfer: result))
        }
        if quantity < 0 || quantity > Self.maximumQuantity {
            return .failure(PointsRefusal(.invalidArgument, "quantity is 1 to \(Self.maximumQuantity)"))
        }
        if timeoutSeconds < 0 || timeoutSeconds > 366 * 86_400 {
            return .failure(PointsRefusal(.invalidArgument, "a redemption waits at most a year for its hand-over"))
        }
        guard var good = goods[goodID] else {
            return .failure(PointsRefusal(.notFound, "there is no good \"\(goodID)\""))
        }
        guard good.active else {
            return .failure(PointsRefusal(.failedPrecondition, "\(good.name) (\(goodID)) is not offered now"))
        }
        guard var account = accounts[accountID] else {
            return .failure(PointsRefusal(.notFound, "there is no account \"\(accountID)\""))
        }
        if account.ledger != good.ledger {
            return .failure(
                PointsRefusal(
                    .invalidArgument,
                    "\(good.name) is priced in \(good.ledger) points; account \(accountID) holds \(account.ledger) points"
                )
            )
        }
        let left = good.stock - good.reserved
        if left < quantity {
            return .failure(
                PointsRefusal(
                    .failedPrecondition,
                    left == 0
                        ? "\(good.name) is sold out (\(good.reserved) reserved by held redemptions)"
                        : "only \(left) of \(good.name) left; \(quantity) asked"
                )
            )
        }
        let (points, overflow) = good.price.multipliedReportingOverflow(by: quantity)
        if overflow { return .failure(PointsRefusal(.invalidArgument, "the price × quantity overflows")) }
        // Points of due lots do not count towards the threshold: they expire before the hold is checked.
        if AccountID.isHolder(account.holderKind) && hasDueLots(account, at: now) {
            expireLots(of: accountID, at: now)
            account = accounts[accountID] ?? account
        }
        if good.minimumBalance > 0 && Self.available(of: account) < good.minimumBalance {
            return .failure(
                PointsRefusal(
                    .failedPrecondition,
                    "\(good.name) is redeemed from a balance of \(good.minimumBalance) points (门槛); "
                        + "\(account.holderName.isEmpty ? accountID : account.holderName) has "
                        + "\(Self.available(of: account)) to spend"
                )
            )
        }
        guard let venue = venues[good.venueID] else {
            return .failure(PointsRefusal(.notFound, "good \(goodID) names venue \(good.venueID), which is gone"))
        }
        let venueAccount = ensureAccount(
            AccountID(ledger: good.ledger, holderKind: .venue, holderID: venue.id),
            holderName: venue.name,
            communityCode: venue.communityCode,
            now: now
        )
        var hold = Transfer()
        hold.id = unusedTransferID("redeem:\(id)")
        hold.debitAccountID = accountID
        hold.creditAccountID = venueAccount
        hold.amount = points
        hold.ledger = good.ledger
        hold.code = Self.redemptionCode
        hold.pending = true
        hold.timeoutSeconds = timeoutSeconds == 0 ? Self.defaultRedemptionTimeoutSeconds : timeoutSeconds
        hold.reference = id
        hold.memo = "\(quantity) × \(good.name)"
        let result = createTransfers([hold], now: now, recordedBy: actor)[0]
        guard result.result == .ok else {
            return .success(RedemptionOutcome(redemption: nil, transfer: result))
        }
        good.reserved += quantity
        setGood(good)
        var redemption = Redemption()
        redemption.id = id
        redemption.accountID = accountID
        redemption.holderName = account.holderName
        redemption.goodID = goodID
        redemption.goodName = good.name
        redemption.venueID = venue.id
        redemption.quantity = quantity
        redemption.points = points
        redemption.state = .held
        redemption.pendingTransferID = hold.id
        redemption.heldAtMs = now
        redemption.expiresAtMs = now + hold.timeoutSeconds * 1000
        redemption.requestedBy = actor
        redemption.communityCode = venue.communityCode
        redemption.note = note
        setRedemption(redemption)
        return .success(RedemptionOutcome(redemption: redemption, transfer: result))
    }

    /// Confirms a held redemption at hand-over (posts its points, takes the goods from stock), or cancels it
    /// (voids them, releases the stock). Asking again for what was done answers it as it is.
    public mutating func resolve(
        _ id: String,
        confirm: Bool,
        now: Int64,
        by actor: String,
        note: String
    ) -> Result<RedemptionOutcome, PointsRefusal> {
        guard var redemption = redemptions[id] else {
            return .failure(PointsRefusal(.notFound, "there is no redemption \"\(id)\""))
        }
        if redemption.state == .held, let status = pending[redemption.pendingTransferID]?.status, status != .pending {
            redemption = follow(redemption)
        }
        let transferID = unusedTransferID("redeem:\(id):" + (confirm ? "post" : "void"))
        if redemption.state != .held {
            let done = confirm ? redemption.state == .confirmed : redemption.state == .cancelled
            guard done else {
                return .failure(
                    PointsRefusal(
                        .failedPrecondition,
                        "redemption \(id) is \(Self.word(redemption.state)); only a held one is "
                            + (confirm ? "confirmed" : "cancelled")
                    )
                )
            }
            var result = TransferResult()
            result.id = redemption.resolutionTransferID
            result.result = .exists
            result.message = "redemption \(id) is already \(Self.word(redemption.state))"
            result.transfer = transfer(redemption.resolutionTransferID) ?? Transfer()
            return .success(RedemptionOutcome(redemption: redemption, transfer: result))
        }
        if confirm, redemption.expiresAtMs > 0, now >= redemption.expiresAtMs {
            return .failure(
                PointsRefusal(
                    .failedPrecondition,
                    "redemption \(id) timed out at \(ChinaCalendar.date(at: redemption.expiresAtMs)); "
                        + "its points go back to the holder — redeem again"
                )
            )
        }
        var resolution = Transfer()
        resolution.id = transferID
        resolution.postPending = confirm
        resolution.voidPending = !confirm
        resolution.pendingID = redemption.pendingTransferID
        resolution.reference = id
        resolution.memo = note
        journal = []
        let result = createTransfers([resolution], now: now, recordedBy: actor)[0]
        guard result.result == .ok, var good = goods[redemption.goodID] else {
            rollBack()
            return .failure(PointsRefusal(.failedPrecondition, "redemption \(id): \(result.message)"))
        }
        journal = nil
        good.reserved -= redemption.quantity
        if confirm { good.stock -= redemption.quantity }
        setGood(good)
        redemption.state = confirm ? .confirmed : (actor == Self.systemActor ? .expired : .cancelled)
        redemption.resolutionTransferID = transferID
        redemption.resolvedAtMs = now
        redemption.resolvedBy = actor
        if !note.isEmpty { redemption.note = redemption.note.isEmpty ? note : redemption.note + "; " + note }
        setRedemption(redemption)
        return .success(RedemptionOutcome(redemption: redemption, transfer: result))
    }

    /// A held redemption whose hold a transfer of its own posted or voided (staff resolving it with CreateTransfers)
    /// follows the ledger: confirmed, the goods taken from stock, or cancelled (expired, when timed out), the stock
    /// released. Returns the redemption as it is now.
    mutating func follow(_ held: Redemption) -> Redemption {
        guard held.state == .held, let status = pending[held.pendingTransferID]?.status, status != .pending,
            var good = goods[held.goodID]
        else { return held }
        let resolution = transfers.last {
            ($0.postPending || $0.voidPending) && $0.pendingID == held.pendingTransferID
        }
        good.reserved -= held.quantity
        if status == .posted { good.stock -= held.quantity }
        setGood(good)
        var redemption = held
        redemption.state =
            status == .posted ? .confirmed : resolution?.recordedBy == Self.systemActor ? .expired : .cancelled
        redemption.resolutionTransferID = resolution?.id ?? ""
        redemption.resolvedAtMs = resolution?.timestampMs ?? 0
        redemption.resolvedBy = resolution?.recordedBy ?? ""
        setRedemption(redemption)
        return redemption
    }

    /// "held", "confirmed", "cancelled", "expired".
    public static func word(_ state: Redemption.State) -> String {
        switch state {
        case .held: "held"
        case .confirmed: "confirmed"
        case .cancelled: "cancelled"
        case .expired: "expired"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }
}
