import GongzhiPointsSchemas

/// Recomputes the ledger from what is stored: the hash chain over every transfer, every account's balances from
/// the transfers that touched it, and each ledger's zero sum. Names the first transfer or account that does not
/// fit.
public enum LedgerVerification {
    public struct Report: Sendable, Equatable {
        public var ok: Bool { problem == nil }
        public var transfers = 0
        public var accounts = 0
        public var firstBadTransferID = ""
        public var firstBadSequence: Int64 = 0
        public var firstBadAccountID = ""
        public var problem: String?
        public var headHash: [UInt8] = TransferHash.genesis
        public var headSequence: Int64 = 0
    }

    /// Checks stored transfers (in any order) against stored accounts.
    public static func verify(transfers stored: [Transfer], accounts: [Account]) -> Report {
        var report = Report()
        report.transfers = stored.count
        report.accounts = accounts.count
        var book = PointsBook()
        for account in accounts { book.load(account: account) }
        for transfer in stored.sorted(by: { $0.sequence < $1.sequence }) {
            if let problem = book.replay(transfer), report.problem == nil {
                report.problem = problem
                report.firstBadTransferID = transfer.id
                report.firstBadSequence = transfer.sequence
            }
        }
        report.headHash = book.headHash
        report.headSequence = book.headSequence
        if report.problem != nil { return report }
        var sums: [String: (debits: Int64, credits: Int64)] = [:]
        for stored in accounts.sorted(by: { $0.id < $1.id }) {
            guard let computed = book.accounts[stored.id] else { continue }
            let fields: [(String, Int64, Int64)] = [
                ("debits_posted", stored.debitsPosted, computed.debitsPosted),
                ("credits_posted", stored.creditsPosted, computed.creditsPosted),
                ("debits_pending", stored.debitsPending, computed.debitsPending),
                ("credits_pending", stored.creditsPending, computed.creditsPending),
            ]
            if let (name, kept, sum) = fields.first(where: { $0.1 != $0.2 }) {
                report.problem =
                    "account \(stored.id) keeps \(name) = \(kept), but its transfers come to \(sum)"
                report.firstBadAccountID = stored.id
                return report
            }
            sums[stored.ledger, default: (0, 0)].debits &+= computed.debitsPosted &+ computed.debitsPending
            sums[stored.ledger, default: (0, 0)].credits &+= computed.creditsPosted &+ computed.creditsPending
        }
        for (ledger, sum) in sums.sorted(by: { $0.key < $1.key }) where sum.debits != sum.credits {
            report.problem = "ledger \(ledger) does not sum to zero: debits \(sum.debits), credits \(sum.credits)"
            return report
        }
        return report
    }
}
