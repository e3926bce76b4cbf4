import GongzhiPointsSchemas

/// The lots of a holder's account: points granted together that expire together, one lot per expiry date
/// (credits expiring on the same date join one lot), spent soonest-expiring first (oldest first, under one rule
/// for the whole ledger). Pending debits hold points of lots until they are posted (spent) or voided (released).
enum Lots {
    /// The order lots are spent in: sooner expiry first, lots that never expire last.
    static func spendOrder(_ a: Gongzhi_Points_V1_Lot, _ b: Gongzhi_Points_V1_Lot) -> Bool {
        let x = a.expiresAtMs == 0 ? Int64.max : a.expiresAtMs
        let y = b.expiresAtMs == 0 ? Int64.max : b.expiresAtMs
        return x != y ? x < y : a.earnedAtMs < b.earnedAtMs
    }

    /// Adds a credit's points to the lot of its expiry date, or opens one.
    static func add(_ amount: Int64, expiringAt expiry: Int64, from transfer: Transfer, to account: inout Account) {
        if let index = account.lots.firstIndex(where: { $0.expiresAtMs == expiry }) {
            account.lots[index].amount &+= amount
            account.lots[index].remaining &+= amount
            return
        }
        var lot = Gongzhi_Points_V1_Lot()
        lot.transferID = transfer.id
        lot.amount = amount
        lot.remaining = amount
        lot.earnedAtMs = transfer.timestampMs
        lot.expiresAtMs = expiry
        account.lots.append(lot)
        account.lots.sort(by: spendOrder)
    }

    /// Spends points: from the lot expiring at `preferring` first (a reversal takes back the points it
    /// reverses), then in spending order; an expiry (`expiredBy` at or after a lot's expiry) naturally takes the
    /// expired lots, which come first.
    static func consume(_ amount: Int64, from account: inout Account, preferring: Int64?, expiredBy now: Int64) {
        var left = amount
        if let preferring, let index = account.lots.firstIndex(where: { $0.expiresAtMs == preferring }) {
            let take = min(left, account.lots[index].remaining)
            account.lots[index].remaining -= take
            left -= take
        }
        var index = 0
        while left > 0 && index < account.lots.count {
            let take = min(left, account.lots[index].remaining)
            account.lots[index].remaining -= take
            left -= take
            index += 1
        }
        prune(&account)
    }

    /// Holds points for a pending debit, in spending order; returns what it holds of which lot.
    static func hold(_ amount: Int64, in account: inout Account) -> [PointsBook.Hold] {
        var left = amount
        var holds: [PointsBook.Hold] = []
        for index in account.lots.indices where left > 0 {
            let take = min(left, account.lots[index].remaining)
            if take == 0 { continue }
            account.lots[index].remaining -= take
            account.lots[index].held += take
            holds.append(PointsBook.Hold(lotExpiresAtMs: account.lots[index].expiresAtMs, amount: take))
            left -= take
        }
        return holds
    }

    /// Settles a pending debit's holds: `consuming` points are spent, the rest released to their lots.
    static func settle(_ holds: [PointsBook.Hold], consuming: Int64, in account: inout Account) {
        var spend = consuming
        for hold in holds {
            guard let index = account.lots.firstIndex(where: { $0.expiresAtMs == hold.lotExpiresAtMs }) else {
                continue
            }
            let spent = min(spend, hold.amount)
            spend -= spent
            account.lots[index].held -= hold.amount
            account.lots[index].remaining += hold.amount - spent
        }
        prune(&account)
    }

    /// Drops lots with nothing left or held.
    static func prune(_ account: inout Account) {
        account.lots.removeAll { $0.remaining <= 0 && $0.held <= 0 }
    }
}
