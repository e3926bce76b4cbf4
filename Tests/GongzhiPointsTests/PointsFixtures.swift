import GongzhiPointsSchemas
import GongzhiTestSeeds
import XCTest

@testable import GongzhiPoints

/// A street's points book for the tests: two ledgers, earning rules with caps of every period, a community's
/// issuing account, residents, partners and a supermarket, and a clock in China Standard Time.
enum PointsFixtures {
    static let second: Int64 = 1_000
    static let minute: Int64 = 60 * second
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour

    /// 2026-03-10 10:00 in China (a Tuesday), written out rather than computed by the calendar under test.
    static let t0: Int64 = 1_773_108_000_000
    /// 2026-04-01 00:00 in China.
    static let april: Int64 = 1_774_972_800_000
    /// 2027-04-01 00:00 in China: when volunteer points earned in March 2026 expire (twelve months after March).
    static let marchLotsExpire: Int64 = 1_806_508_800_000

    static let community = "330106001001"
    static let otherCommunity = "330106002001"
    static let issuer = "volunteer:issuer:330106001001"
    static let otherIssuer = "volunteer:issuer:330106002001"
    static let alice = "volunteer:resident:R0001"
    static let bob = "volunteer:resident:R0002"
    static let carol = "volunteer:resident:R0003"
    static let team = "volunteer:partner:P0003"
    static let neighbour = "volunteer:partner:P0004"
    static let worker = "volunteer:person:hu-wei"
    static let venue = "volunteer:venue:V1"
    static let expiry = "volunteer:expiry"
    static let partyIssuer = "party:issuer:330106001001"
    static let partyAlice = "party:resident:R0001"
    static let staff = "person:zhao-min"

    static func ledger(_ code: String, name: String, lotMonths: Int32) -> Ledger {
        var ledger = Ledger()
        ledger.code = code
        ledger.name = name
        ledger.lotMonths = lotMonths
        return ledger
    }

    static func rule(
        _ code: String,
        ledger: String = "volunteer",
        points: Int64,
        cap: Int64 = 0,
        period: Gongzhi_Points_V1_Period = .unspecified,
        active: Bool = true
    ) -> EarningRule {
        var rule = EarningRule()
        rule.code = code
        rule.name = code
        rule.ledger = ledger
        rule.source = .manual
        rule.points = points
        rule.cap = cap
        rule.capPeriod = period
        rule.active = active
        return rule
    }

    static func venue(_ id: String = "V1", community: String = community) -> Venue {
        var venue = Venue()
        venue.id = id
        venue.name = "东新积分超市"
        venue.communityCode = community
        return venue
    }

    static func good(
        _ id: String,
        price: Int64,
        stock: Int64,
        minimumBalance: Int64 = 0,
        venue: String = "V1",
        ledger: String = "volunteer"
    ) -> Good {
        var good = Good()
        good.id = id
        good.venueID = venue
        good.name = id
        good.ledger = ledger
        good.price = price
        good.stock = stock
        good.minimumBalance = minimumBalance
        good.active = true
        return good
    }

    /// The book every test starts from: ledgers, rules, the community's accounts and a venue, no transfers.
    static func book() -> PointsBook {
        var book = PointsBook()
        book.put(ledger: ledger("volunteer", name: "志愿者积分", lotMonths: 12))
        book.put(ledger: ledger("party", name: "党员积分", lotMonths: 0))
        book.put(rule: rule("deliberation", points: 5))
        book.put(rule: rule("volunteer-hour", points: 10, cap: 30, period: .day))
        book.put(rule: rule("training", points: 20, cap: 50, period: .week))
        book.put(rule: rule("grid-case", points: 40, cap: 100, period: .month))
        book.put(rule: rule("annual-review", points: 100, cap: 200, period: .year))
        book.put(rule: rule("retired-rule", points: 5, active: false))
        book.put(rule: rule("party-duty", ledger: "party", points: 10))
        book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .issuer, holderID: community),
            holderName: "东新社区",
            communityCode: community,
            now: t0
        )
        book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .issuer, holderID: otherCommunity),
            holderName: "西湖社区",
            communityCode: otherCommunity,
            now: t0
        )
        book.ensureAccount(
            AccountID(ledger: "party", holderKind: .issuer, holderID: community),
            holderName: "东新社区党委",
            communityCode: community,
            now: t0
        )
        let residents = [("R0001", "李梅", community), ("R0002", "王强", community), ("R0003", "陈静", otherCommunity)]
        for (id, name, place) in residents {
            book.ensureAccount(
                AccountID(ledger: "volunteer", holderKind: .resident, holderID: id),
                holderName: name,
                communityCode: place,
                now: t0
            )
        }
        book.ensureAccount(
            AccountID(ledger: "party", holderKind: .resident, holderID: "R0001"),
            holderName: "李梅",
            communityCode: community,
            now: t0
        )
        book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .partner, holderID: "P0003"),
            holderName: "红马甲志愿队",
            communityCode: community,
            partnerType: "team",
            now: t0
        )
        book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .partner, holderID: "P0004"),
            holderName: "张阿姨",
            communityCode: community,
            partnerType: "neighbour",
            now: t0
        )
        book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .person, holderID: "hu-wei"),
            holderName: "胡伟",
            communityCode: community,
            now: t0
        )
        book.put(venue: venue())
        book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .venue, holderID: "V1"),
            holderName: "东新积分超市",
            communityCode: community,
            now: t0
        )
        _ = book.takeChanges()
        return book
    }

    /// A transfer as a client sends it.
    static func transfer(
        _ id: String,
        from debit: String,
        to credit: String,
        _ amount: Int64,
        code: String = "gift",
        _ configure: (inout Transfer) -> Void = { _ in }
    ) -> Transfer {
        var transfer = Transfer()
        transfer.id = id
        transfer.debitAccountID = debit
        transfer.creditAccountID = credit
        transfer.amount = amount
        transfer.code = code
        configure(&transfer)
        return transfer
    }

    /// A post (`amount` 0: all of it) or a void of a pending transfer.
    static func resolution(_ id: String, post: Bool, pending: String, amount: Int64 = 0) -> Transfer {
        var transfer = Transfer()
        transfer.id = id
        transfer.postPending = post
        transfer.voidPending = !post
        transfer.pendingID = pending
        transfer.amount = amount
        return transfer
    }

    /// A correction of `original`: its accounts swapped.
    static func reversal(_ id: String, of original: Transfer, _ amount: Int64) -> Transfer {
        transfer(id, from: original.creditAccountID, to: original.debitAccountID, amount, code: "correction") {
            $0.reversesID = original.id
        }
    }
}

/// Everything of a book that a refused transfer or a failed chain must leave as it was.
struct BookSnapshot: Equatable {
    var accounts: [String: Account]
    var transferCount: Int
    var lastTransferID: String?
    var headSequence: Int64
    var headHash: [UInt8]
    var pending: [String: PointsBook.Pending]
    var reversed: [String: Int64]
    var capUsage: [PointsBook.CapKey: Int64]
    var goods: [String: Good]
    var redemptions: [String: Redemption]
    var changedTransfers: [String]
    var changedAccounts: Set<String>
    var changedGoods: Set<String>
    var changedRedemptions: Set<String>

    init(_ book: PointsBook) {
        accounts = book.accounts
        transferCount = book.transfers.count
        lastTransferID = book.transfers.last?.id
        headSequence = book.headSequence
        headHash = book.headHash
        pending = book.pending
        reversed = book.reversed
        capUsage = book.capUsage
        goods = book.goods
        redemptions = book.redemptions
        changedTransfers = book.changes.transfers.map(\.id)
        changedAccounts = book.changes.accounts
        changedGoods = book.changes.goods
        changedRedemptions = book.changes.redemptions
    }
}

extension PointsBook {
    /// Records one transfer by the fixtures' staff member and answers its result.
    mutating func submit(_ transfer: Transfer, now: Int64) -> TransferResult {
        createTransfers([transfer], now: now, recordedBy: PointsFixtures.staff)[0]
    }

    /// Credits a holder from their community's issuing account by a rule.
    mutating func grant(
        _ id: String,
        to account: String,
        _ amount: Int64,
        rule: String = "deliberation",
        from issuer: String = PointsFixtures.issuer,
        now: Int64
    ) -> TransferResult {
        submit(PointsFixtures.transfer(id, from: issuer, to: account, amount, code: rule), now: now)
    }

    func postedBalance(_ id: String) -> Int64 {
        accounts[id].map(Self.balance(of:)) ?? 0
    }

    func spendable(_ id: String) -> Int64 {
        accounts[id].map(Self.available(of:)) ?? 0
    }

    func lots(of id: String) -> [Gongzhi_Points_V1_Lot] {
        accounts[id]?.lots ?? []
    }
}

/// Asserts a transfer's result code, showing its message when it is another.
func XCTAssertResult(
    _ result: TransferResult,
    _ expected: Gongzhi_Points_V1_Result,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertEqual(result.result, expected, "transfer \(result.id): \(result.message)", file: file, line: line)
}

extension XCTestCase {
    /// A generator drawing from a fixed seed, so that a failure reproduces: `GONGZHI_TEST_SEED` replaces it to try
    /// others. The seed is printed before the test draws anything.
    func fixedSeedRandom(_ seed: UInt64) -> SplitMix64 {
        var chosen = seed
        if let text = ProcessInfo.processInfo.environment[TestSeed.variable], !text.isEmpty {
            guard let parsed = TestSeed.parse(text) else {
                XCTFail("\(TestSeed.variable)=\(text) is not a seed (decimal, or hexadecimal starting with 0x)")
                return SplitMix64(seed: seed)
            }
            chosen = parsed
        }
        print(TestSeed.replayHint(chosen, test: name))
        return SplitMix64(seed: chosen)
    }
}
