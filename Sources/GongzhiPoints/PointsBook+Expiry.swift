import GongzhiCalendar
import GongzhiPointsSchemas

/// Expiry of lots, and the timeouts of pending transfers and redemptions: written as explicit transfers.
extension PointsBook {
    /// Who the transfers the plugin writes by itself are recorded by.
    public static let systemActor = "gongzhi-points"

    /// An id for a transfer the book writes itself: `base`, or — when a transfer has that id already (a client chose
    /// it, or the same account expired twice in one millisecond) — `base` followed by the next sequence number.
    func unusedTransferID(_ base: String) -> String {
        var id = base
        var sequence = headSequence + 1
        while transfer(id) != nil {
            id = "\(base):\(sequence)"
            sequence += 1
        }
        return id
    }

    /// True when the account has points of a lot whose expiry has come.
    func hasDueLots(_ account: Account, at now: Int64) -> Bool {
        account.lots.contains { $0.expiresAtMs > 0 && $0.expiresAtMs <= now && $0.remaining > 0 }
    }

    /// Moves the points of an account's due lots to its ledger's expiry account, in one transfer.
    mutating func expireLots(of accountID: String, at now: Int64) {
        guard let account = accounts[accountID] else { return }
        let due = account.lots.filter { $0.expiresAtMs > 0 && $0.expiresAtMs <= now && $0.remaining > 0 }
        let amount = due.reduce(Int64(0)) { $0 + $1.remaining }
        guard amount > 0 else { return }
        let expiry = ensureAccount(
            AccountID(ledger: account.ledger, holderKind: .expiry, holderID: ""),
            holderName: "过期积分",
            communityCode: "",
            now: now
        )
        var transfer = Transfer()
        transfer.id = unusedTransferID("expiry:\(accountID):\(now)")
        transfer.debitAccountID = accountID
        transfer.creditAccountID = expiry
        transfer.amount = amount
        transfer.ledger = account.ledger
        transfer.code = Self.expiryCode
        transfer.memo =
            "lots expired: "
            + due.map { "\($0.remaining) of \(ChinaCalendar.date(at: $0.earnedAtMs))" }
            .joined(separator: ", ")
        transfer.timestampMs = now
        transfer.recordedBy = Self.systemActor
        _ = record(transfer)
    }

    /// What a sweep did.
    public struct Sweep: Sendable, Equatable {
        public var expiredAccounts = 0
        public var expiredPoints: Int64 = 0
        public var expiredRedemptions = 0
        public var voidedPending = 0
        public init() {}
    }

    /// Expires every due lot and voids every pending transfer and redemption whose timeout has come.
    public mutating func sweep(now: Int64) -> Sweep {
        var done = Sweep()
        for id in redemptions.keys.sorted() {
            guard let redemption = redemptions[id], redemption.state == .held else { continue }
            if let status = pending[redemption.pendingTransferID]?.status, status != .pending {
                // Its hold was posted or voided by a transfer of its own: it follows, timed out or not.
                _ = follow(redemption)
                continue
            }
            guard redemption.expiresAtMs > 0, redemption.expiresAtMs <= now else { continue }
            if case .success = resolve(id, confirm: false, now: now, by: Self.systemActor, note: "timed out") {
                done.expiredRedemptions += 1
            }
        }
        for id in pending.keys.sorted() {
            guard let state = pending[id], state.status == .pending, state.expiresAtMs > 0, state.expiresAtMs <= now
            else { continue }
            var void = Transfer()
            void.id = unusedTransferID("timeout:\(id)")
            void.voidPending = true
            void.pendingID = id
            void.memo = "timed out"
            let results = createTransfers([void], now: now, recordedBy: Self.systemActor)
            if results.first?.result == .ok { done.voidedPending += 1 }
        }
        for id in accounts.keys.sorted() {
            guard let account = accounts[id], AccountID.isHolder(account.holderKind), hasDueLots(account, at: now)
            else { continue }
            let before = Self.balance(of: account)
            expireLots(of: id, at: now)
            done.expiredAccounts += 1
            done.expiredPoints += before - Self.balance(of: accounts[id] ?? account)
        }
        return done
    }

    /// The lots that expire before `now + within` (those already due included), soonest first.
    public func expiring(
        within: Int64,
        now: Int64,
        ledger: String = "",
        community: String = ""
    ) -> [Gongzhi_Points_V1_ExpiringLot] {
        // A window reaching past the end of time lists every lot that expires at all.
        let (end, overflow) = now.addingReportingOverflow(within)
        let horizon = overflow ? (within > 0 ? Int64.max : Int64.min) : end
        var found: [Gongzhi_Points_V1_ExpiringLot] = []
        for account in accounts.values where AccountID.isHolder(account.holderKind) {
            if !ledger.isEmpty && account.ledger != ledger { continue }
            if !community.isEmpty && !account.communityCode.hasPrefix(community) { continue }
            for lot in account.lots where lot.expiresAtMs > 0 && lot.expiresAtMs <= horizon {
                let points = lot.remaining + lot.held
                guard points > 0 else { continue }
                var entry = Gongzhi_Points_V1_ExpiringLot()
                entry.accountID = account.id
                entry.holderName = account.holderName
                entry.holderKind = account.holderKind
                entry.holderID = account.holderID
                entry.communityCode = account.communityCode
                entry.points = points
                entry.expiresAtMs = lot.expiresAtMs
                found.append(entry)
            }
        }
        return found.sorted { ($0.expiresAtMs, $0.accountID) < ($1.expiresAtMs, $1.accountID) }
    }
}
