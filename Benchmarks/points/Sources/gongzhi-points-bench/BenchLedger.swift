import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas

/// Our side's ledger `bench`: `holders` resident accounts `bench:resident:1` to `bench:resident:<holders>`, each
/// with debits_must_not_exceed_credits, and the issuer `bench:issuer:1` without flags, which funds every holder.
/// Points leave an issuing account only by an earning rule of the ledger: the manual rule `bench-grant`, without a
/// cap, is the code of the funding transfers and of the hot account's.
struct BenchLedger: Sendable {
    static let code = "bench"
    static let issuerID = "bench:issuer:1"
    /// The community of the issuer and of every holder.
    static let community = "1"
    /// The code of the transfers between holders, and of those from the issuer (its earning rule).
    static let transferCode = "bench"
    static let issueCode = "bench-grant"
    /// Accounts and transfers per setup call (CreateTransfers takes at most 8,190).
    static let setupChunk = 5_000

    var holders: Int
    var funding: Int64

    static func holderID(_ number: Int) -> String { "\(code):resident:\(number)" }

    /// Holder `number` drawn uniformly (1 to holders), and another one different from it.
    func pair(_ random: inout SplitMix64) -> (debit: Int, credit: Int) {
        let debit = Int(random.next() % UInt64(holders)) + 1
        let credit = (debit - 1 + 1 + Int(random.next() % UInt64(holders - 1))) % holders + 1
        return (debit, credit)
    }

    func holder(_ random: inout SplitMix64) -> Int {
        Int(random.next() % UInt64(holders)) + 1
    }

    /// A transfer of one point (from the issuer: by the ledger's rule).
    static func transfer(id: String, debit: String, credit: String) -> Gongzhi_Points_V1_Transfer {
        var transfer = Gongzhi_Points_V1_Transfer()
        transfer.id = id
        transfer.debitAccountID = debit
        transfer.creditAccountID = credit
        transfer.amount = 1
        transfer.ledger = code
        transfer.code = debit == issuerID ? issueCode : transferCode
        return transfer
    }

    /// What a CreateTransfers call came to: the transfers recorded, and those refused with the first refusal.
    static func outcome(_ response: Gongzhi_Points_V1_CreateTransfersResponse, sent: Int) -> CallOutcome {
        let refusals = response.results.filter { $0.result != .ok }
        var outcome = CallOutcome(done: sent - refusals.count, refused: refusals.count)
        if let first = refusals.first {
            outcome.firstRefusal = "transfer \(first.id): \(first.result) \(first.field) \(first.message)"
        }
        return outcome
    }

    /// Creates the ledger and the accounts, and funds every holder from the issuer.
    func create(on points: Gongzhi_Points_V1_PointsClient) async throws {
        let options = CallOptions(timeout: .seconds(300))
        var ledger = Gongzhi_Points_V1_Ledger()
        ledger.code = Self.code
        ledger.name = "基准测试"
        ledger.description_p = "Accounts and transfers of the points benchmark"
        ledger.lotMonths = 0
        _ = try await points.createLedger(ledger, options: options)
        var rule = Gongzhi_Points_V1_EarningRule()
        rule.code = Self.issueCode
        rule.name = "基准发放"
        rule.ledger = Self.code
        rule.source = .manual
        rule.points = 1
        rule.active = true
        rule.description_p = "Points the benchmark's issuer grants, without a cap"
        _ = try await points.putRule(rule, options: options)

        var accounts: [Gongzhi_Points_V1_Account] = []
        var issuer = Gongzhi_Points_V1_Account()
        issuer.id = Self.issuerID
        issuer.ledger = Self.code
        issuer.holderKind = .issuer
        issuer.holderID = Self.community
        issuer.communityCode = Self.community
        accounts.append(issuer)
        for number in 1...holders {
            var account = Gongzhi_Points_V1_Account()
            account.id = Self.holderID(number)
            account.ledger = Self.code
            account.holderKind = .resident
            account.holderID = String(number)
            account.communityCode = Self.community
            account.debitsMustNotExceedCredits = true
            accounts.append(account)
        }
        for start in stride(from: 0, to: accounts.count, by: Self.setupChunk) {
            var request = Gongzhi_Points_V1_CreateAccountsRequest()
            request.accounts = Array(accounts[start..<min(accounts.count, start + Self.setupChunk)])
            let response = try await points.createAccounts(request, options: options)
            if let refused = response.results.first(where: { $0.result != .ok && $0.result != .exists }) {
                throw BenchFailure("CreateAccounts refused \(refused.id): \(refused.result) \(refused.message)")
            }
        }

        for start in stride(from: 1, through: holders, by: Self.setupChunk) {
            var request = Gongzhi_Points_V1_CreateTransfersRequest()
            for number in start..<min(holders + 1, start + Self.setupChunk) {
                var transfer = Self.transfer(id: "fund-\(number)", debit: Self.issuerID, credit: Self.holderID(number))
                transfer.amount = funding
                request.transfers.append(transfer)
            }
            let response = try await points.createTransfers(request, options: options)
            if let refused = response.results.first(where: { $0.result != .ok && $0.result != .exists }) {
                throw BenchFailure(
                    "funding refused \(refused.id): \(refused.result) \(refused.field) \(refused.message)"
                )
            }
        }
    }
}
