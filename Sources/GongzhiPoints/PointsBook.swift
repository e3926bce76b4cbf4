import GongzhiPointsSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

public typealias Ledger = Gongzhi_Points_V1_Ledger
public typealias Account = Gongzhi_Points_V1_Account
public typealias Transfer = Gongzhi_Points_V1_Transfer
public typealias TransferResult = Gongzhi_Points_V1_TransferResult
public typealias EarningRule = Gongzhi_Points_V1_EarningRule
public typealias Good = Gongzhi_Points_V1_Good
public typealias Venue = Gongzhi_Points_V1_Venue
public typealias Redemption = Gongzhi_Points_V1_Redemption
public typealias ServiceRecord = Gongzhi_Points_V1_ServiceRecord

/// The whole points ledger as a value: ledgers, earning rules, accounts with their balances and lots, every
/// transfer in the order it was recorded with the hash chain's head, pending transfers, the venues' goods and the
/// redemptions. Every change goes through it one at a time — which is what makes balance limits, caps and stock
/// hold under any concurrency — and is collected in ``changes`` for the plugin to write to the host in one
/// transaction. It has no I/O and no clock: time comes in as a parameter.
public struct PointsBook: Sendable {
    /// A pending transfer and what became of it.
    public struct Pending: Sendable, Hashable {
        public enum Status: Sendable, Hashable {
            case pending, posted, voided
        }
        public var amount: Int64
        public var debitAccountID: String
        public var creditAccountID: String
        public var ledger: String
        public var code: String
        /// When it voids itself; 0: never.
        public var expiresAtMs: Int64
        public var status: Status
        /// What it holds of the debit account's lots, by the lots' expiry.
        var holds: [Hold]
    }

    struct Hold: Sendable, Hashable {
        var lotExpiresAtMs: Int64
        var amount: Int64
    }

    /// A holder's earnings by one rule in one period, as caps count them.
    struct CapKey: Hashable, Sendable {
        var accountID: String
        var code: String
        var periodStartMs: Int64
    }

    /// What changed since the plugin last took the changes: to be written in one transaction.
    public struct Changes: Sendable {
        public var transfers: [Transfer] = []
        public var accounts: Set<String> = []
        public var goods: Set<String> = []
        public var redemptions: Set<String> = []
        public var ledgers: Set<String> = []
        public var rules: Set<String> = []
        public var venues: Set<String> = []
        public var records: Set<String> = []
        public var isEmpty: Bool {
            transfers.isEmpty && accounts.isEmpty && goods.isEmpty && redemptions.isEmpty && ledgers.isEmpty
                && rules.isEmpty && venues.isEmpty && records.isEmpty
        }
        public init() {}
    }

    public internal(set) var ledgers: [String: Ledger] = [:]
    public internal(set) var rules: [String: EarningRule] = [:]
    public internal(set) var accounts: [String: Account] = [:]
    /// Every transfer, in the order of the chain (`sequence` 1 first).
    public internal(set) var transfers: [Transfer] = []
    var transferIndex: [String: Int] = [:]
    /// Positions in `transfers` of each account's transfers, oldest first.
    var accountTransfers: [String: [Int]] = [:]
    public internal(set) var pending: [String: Pending] = [:]
    /// How much of each transfer later transfers reversed.
    var reversed: [String: Int64] = [:]
    var capUsage: [CapKey: Int64] = [:]
    public internal(set) var venues: [String: Venue] = [:]
    public internal(set) var goods: [String: Good] = [:]
    public internal(set) var redemptions: [String: Redemption] = [:]
    public internal(set) var records: [String: ServiceRecord] = [:]
    /// The chain's head: the last transfer's sequence and hash.
    public internal(set) var headSequence: Int64 = 0
    public internal(set) var headHash: [UInt8] = TransferHash.genesis
    public internal(set) var changes = Changes()
    /// Undo entries of the linked chain being applied; nil outside one.
    var journal: [Undo]?
    /// Whether the caller of the batch being applied may import past transfers.
    var mayImport = true

    public init() {}

    /// Marks an account to be written again (its stored balances differ from what its transfers come to).
    public mutating func markChanged(account id: String) {
        if accounts[id] != nil { changes.accounts.insert(id) }
    }

    /// Takes what changed since the last call.
    public mutating func takeChanges() -> Changes {
        defer { changes = Changes() }
        return changes
    }

    // MARK: - Reads

    /// The transfer with this id.
    public func transfer(_ id: String) -> Transfer? {
        transferIndex[id].map { transfers[$0] }
    }

    /// An account's balance: credits posted less debits posted.
    public static func balance(of account: Account) -> Int64 {
        account.creditsPosted &- account.debitsPosted
    }

    /// What a holder can spend now: the balance less pending debits.
    public static func available(of account: Account) -> Int64 {
        account.creditsPosted &- account.debitsPosted &- account.debitsPending
    }

    /// An account's transfers, newest first, at most `limit`, recorded before `beforeSequence` (0: any).
    public func history(of accountID: String, limit: Int, beforeSequence: Int64 = 0) -> [Transfer] {
        var found: [Transfer] = []
        for position in (accountTransfers[accountID] ?? []).reversed() {
            let transfer = transfers[position]
            if beforeSequence > 0 && transfer.sequence >= beforeSequence { continue }
            found.append(transfer)
            if found.count >= limit { break }
        }
        return found
    }

    /// How many transfers touched an account.
    public func transferCount(of accountID: String) -> Int {
        accountTransfers[accountID]?.count ?? 0
    }

    // MARK: - Setting up

    /// Adds or replaces a ledger.
    public mutating func put(ledger: Ledger) {
        ledgers[ledger.code] = ledger
        changes.ledgers.insert(ledger.code)
    }

    /// Adds or replaces an earning rule.
    public mutating func put(rule: EarningRule) {
        rules[rule.code] = rule
        changes.rules.insert(rule.code)
    }

    /// Adds or replaces a venue.
    public mutating func put(venue: Venue) {
        venues[venue.id] = venue
        changes.venues.insert(venue.id)
    }

    /// Takes in a service record as stored (at start).
    public mutating func load(record: ServiceRecord) {
        records[record.id] = record
    }

    /// Takes in a good as stored (at start).
    public mutating func load(good: Good) {
        goods[good.id] = good
    }

    /// Takes in a redemption as stored (at start).
    public mutating func load(redemption: Redemption) {
        redemptions[redemption.id] = redemption
    }

    /// Takes in an account as stored, with its balances and lots cleared: replaying the transfers fills them.
    public mutating func load(account: Account) {
        var account = account
        account.debitsPending = 0
        account.debitsPosted = 0
        account.creditsPending = 0
        account.creditsPosted = 0
        account.lots = []
        accounts[account.id] = account
    }

    /// Replays a recorded transfer (at start, in sequence order). Returns what does not fit — a broken chain, an
    /// unknown account — or nil; the transfer is applied in any case, so that balances follow what is stored.
    @discardableResult
    public mutating func replay(_ transfer: Transfer) -> String? {
        var problem: String?
        if transfer.sequence != headSequence + 1 {
            problem = "transfer \(transfer.id) has sequence \(transfer.sequence); \(headSequence + 1) was expected"
        } else if Array(transfer.previousHash) != headHash {
            problem =
                "transfer \(transfer.id) (sequence \(transfer.sequence)) does not name the hash of the one before it"
        } else if Array(transfer.hash) != TransferHash.compute(transfer) {
            problem = "transfer \(transfer.id) (sequence \(transfer.sequence)) does not match its hash: it was changed"
        } else if accounts[transfer.debitAccountID] == nil {
            problem = "transfer \(transfer.id) debits \(transfer.debitAccountID), which is not stored"
        } else if accounts[transfer.creditAccountID] == nil {
            problem = "transfer \(transfer.id) credits \(transfer.creditAccountID), which is not stored"
        }
        if accounts[transfer.debitAccountID] != nil && accounts[transfer.creditAccountID] != nil {
            apply(transfer)
        }
        appendRecorded(transfer)
        return problem
    }
}
