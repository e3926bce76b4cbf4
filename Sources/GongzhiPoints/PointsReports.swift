import GongzhiCalendar
import GongzhiPointsSchemas

/// The honour roll, a period's totals and the CSV export, computed from the book's transfers.
extension PointsBook {
    /// True for a transfer that issued points by an earning rule (a credit from an issuer account).
    func isEarning(_ transfer: Transfer) -> Bool {
        !transfer.pending && !transfer.postPending && !transfer.voidPending && transfer.reversesID.isEmpty
            && accounts[transfer.debitAccountID]?.holderKind == .issuer
    }

    /// True for a correction that took back points a rule issued.
    func isEarningReversal(_ transfer: Transfer) -> Bool {
        guard !transfer.reversesID.isEmpty, let original = self.transfer(transfer.reversesID) else { return false }
        return isEarning(original)
    }

    /// The transfers recorded in [from, to) (by timestamp) of a ledger (empty: every ledger), of which at least
    /// one account passes `accounts` (nil: all).
    func transfers(
        ledger: String,
        from: Int64,
        to: Int64,
        accounts included: ((Account) -> Bool)? = nil
    ) -> [Transfer] {
        transfers.filter { transfer in
            guard
                (ledger.isEmpty || transfer.ledger == ledger) && transfer.timestampMs >= from
                    && transfer.timestampMs < to
            else { return false }
            guard let included else { return true }
            return [transfer.debitAccountID, transfer.creditAccountID].contains { id in
                accounts[id].map(included) ?? false
            }
        }
    }

    /// The top earners of a period: points issued to each holder by rules, less their corrections, highest first.
    public func honourRoll(
        ledger: String,
        community: String,
        from: Int64,
        to: Int64,
        limit: Int
    ) -> [Gongzhi_Points_V1_HonourEntry] {
        var earned: [String: Int64] = [:]
        for transfer in transfers(ledger: ledger, from: from, to: to) {
            if isEarning(transfer) {
                earned[transfer.creditAccountID, default: 0] &+= transfer.amount
            } else if isEarningReversal(transfer) {
                earned[transfer.debitAccountID, default: 0] &-= transfer.amount
            }
        }
        let ranked =
            earned
            .compactMap { id, points -> (Account, Int64)? in
                guard points > 0, let account = accounts[id], AccountID.isHolder(account.holderKind) else { return nil }
                if !community.isEmpty && !account.communityCode.hasPrefix(community) { return nil }
                return (account, points)
            }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.id < $1.0.id }
            .prefix(max(1, limit))
        var entries: [Gongzhi_Points_V1_HonourEntry] = []
        var rank: Int32 = 0
        var previous: Int64?
        for (position, (account, points)) in ranked.enumerated() {
            if points != previous { rank = Int32(position + 1) }
            previous = points
            var entry = Gongzhi_Points_V1_HonourEntry()
            entry.rank = rank
            entry.accountID = account.id
            entry.holderKind = account.holderKind
            entry.holderID = account.holderID
            entry.holderName = account.holderName
            entry.communityCode = account.communityCode
            entry.points = points
            entries.append(entry)
        }
        return entries
    }

    /// A period's totals: issued, redeemed and expired points; per rule, per community, per team, per partner
    /// type, and redemptions per venue.
    /// `accounts`, when given, keeps the report to the transfers that touch an account it passes (a person's
    /// places).
    public func report(
        ledger: String,
        from: Int64,
        to: Int64,
        accounts included: ((Account) -> Bool)? = nil
    ) -> Gongzhi_Points_V1_ReportResponse {
        var response = Gongzhi_Points_V1_ReportResponse()
        response.fromMs = from
        response.toMs = to
        struct Key: Hashable {
            var group: String
            var key: String
        }
        var rows: [Key: Gongzhi_Points_V1_ReportRow] = [:]
        func add(_ group: String, _ key: String, _ name: String, _ points: Int64) {
            let index = Key(group: group, key: key)
            var row = rows[index] ?? Gongzhi_Points_V1_ReportRow()
            row.group = group
            row.key = key
            row.name = name
            row.points &+= points
            row.transfers += 1
            rows[index] = row
        }
        for transfer in transfers(ledger: ledger, from: from, to: to, accounts: included) {
            guard let debit = accounts[transfer.debitAccountID], let credit = accounts[transfer.creditAccountID]
            else { continue }
            if isEarning(transfer) {
                response.issued &+= transfer.amount
                add("rule", transfer.code, rules[transfer.code]?.name ?? transfer.code, transfer.amount)
                add("community", debit.holderID, debit.holderName, transfer.amount)
                if credit.holderKind == .partner {
                    let type = credit.partnerType.isEmpty ? "unspecified" : credit.partnerType
                    add("partner-type", type, type, transfer.amount)
                    if type == "team" { add("team", credit.holderID, credit.holderName, transfer.amount) }
                }
            } else if isEarningReversal(transfer) {
                response.issued &-= transfer.amount
                add("rule", "correction", "corrections", -transfer.amount)
            } else if transfer.code == Self.expiryCode {
                response.expired &+= transfer.amount
            } else if credit.holderKind == .venue && !transfer.pending && !transfer.voidPending {
                response.redeemed &+= transfer.amount
                add("venue", credit.holderID, credit.holderName, transfer.amount)
            }
        }
        response.rows = rows.values.sorted { ($0.group, -$0.points, $0.key) < ($1.group, -$1.points, $1.key) }
        return response
    }

    /// A period's transfers as CSV (RFC 4180), one line per transfer in chain order, for the street's accounts.
    public func exportCSV(
        ledger: String,
        from: Int64,
        to: Int64,
        accounts included: ((Account) -> Bool)? = nil
    ) -> (csv: String, count: Int) {
        var lines = [
            "sequence,id,time,ledger,code,kind,debit_account,credit_account,amount,pending_id,reverses_id,"
                + "reference,memo,recorded_by,hash"
        ]
        let selected = transfers(ledger: ledger, from: from, to: to, accounts: included)
        for transfer in selected {
            let kind =
                transfer.pending
                ? "pending"
                : transfer.postPending
                    ? "post" : transfer.voidPending ? "void" : transfer.reversesID.isEmpty ? "posted" : "reversal"
            let fields = [
                String(transfer.sequence), transfer.id, Self.timestamp(transfer.timestampMs), transfer.ledger,
                transfer.code, kind, transfer.debitAccountID, transfer.creditAccountID, String(transfer.amount),
                transfer.pendingID, transfer.reversesID, transfer.reference, transfer.memo, transfer.recordedBy,
                TransferHash.hex(transfer.hash),
            ]
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return (lines.joined(separator: "\r\n") + "\r\n", selected.count)
    }

    /// `2026-12-07 10:15:00` in China Standard Time.
    public static func timestamp(_ ms: Int64) -> String {
        let date = ChinaCalendar.date(at: ms)
        // Whole seconds rounded down, also before 1970 (where `/` would round towards zero, into the next second).
        let seconds = ChinaCalendar.floorMod(ChinaCalendar.floorDiv(ms + ChinaCalendar.offsetMs, 1000), 86_400)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }

    static func csvField(_ text: String) -> String {
        // By Unicode scalars, not characters: "\r\n" is one character, and so is a quote with a combining mark.
        let special: Set<Unicode.Scalar> = [",", "\"", "\n", "\r"]
        guard text.unicodeScalars.contains(where: special.contains) else { return text }
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in text.unicodeScalars {
            quoted.append(scalar)
            if scalar == "\"" { quoted.append("\"") }
        }
        quoted.append("\"")
        return String(quoted)
    }
}
