import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiPointsSchemas
import GongzhiRPC
import Synchronization

@testable import GongzhiPointsControl

/// Accounts, transfers, rules, records, goods and reports of the points plugin, built by hand, for the points
/// commands' tests. The clock is the fixtures' (2025-11-21 23:00 in China Standard Time).
enum PointsFixtures {
    static let now = Fixtures.nowMs
    static let day: Int64 = 86_400_000

    /// 2025-01-15 10:00 and 2025-11-20 09:00 (+08:00).
    static let januaryMs: Int64 = 1_736_906_400_000
    static let novemberMs: Int64 = 1_763_600_400_000
    /// The ends of the twelfth months after them: 2026-02-01 00:00 and 2026-12-01 00:00 (+08:00).
    static let januaryExpiryMs: Int64 = 1_769_875_200_000
    static let novemberExpiryMs: Int64 = 1_796_054_400_000

    static let ledgers = Gongzhi_Points_V1_ListLedgersResponse.with {
        $0.ledgers = [
            .with {
                $0.code = "volunteer"
                $0.name = "志愿者积分"
                $0.lotMonths = 12
                $0.createdAtMs = januaryMs
            },
            .with {
                $0.code = "party"
                $0.name = "党员积分"
                $0.createdAtMs = januaryMs
            },
        ]
    }

    /// 张伟's account: 200 credited, 80 spent, 40 held by a redemption.
    static let resident = Gongzhi_Points_V1_AccountView.with {
        $0.account = .with {
            $0.id = "volunteer:resident:R0001"
            $0.ledger = "volunteer"
            $0.holderKind = .resident
            $0.holderID = "R0001"
            $0.holderName = "张伟"
            $0.communityCode = "330106001001"
            $0.debitsMustNotExceedCredits = true
            $0.creditsPosted = 200
            $0.debitsPosted = 80
            $0.debitsPending = 40
            $0.createdAtMs = januaryMs
            $0.lots = [
                .with {
                    $0.transferID = "credit-20250115T100000-0a1b2c3d"
                    $0.amount = 100
                    $0.remaining = 20
                    $0.held = 20
                    $0.earnedAtMs = januaryMs
                    $0.expiresAtMs = januaryExpiryMs
                },
                .with {
                    $0.transferID = "SR-1120-01"
                    $0.amount = 100
                    $0.remaining = 100
                    $0.held = 20
                    $0.earnedAtMs = novemberMs
                    $0.expiresAtMs = novemberExpiryMs
                },
            ]
        }
        $0.balance = 120
        $0.available = 80
    }

    /// The community's issuing account, below zero by what it issued.
    static let issuer = Gongzhi_Points_V1_AccountView.with {
        $0.account = .with {
            $0.id = "volunteer:issuer:330106001001"
            $0.ledger = "volunteer"
            $0.holderKind = .issuer
            $0.holderID = "330106001001"
            $0.holderName = "西溪社区"
            $0.communityCode = "330106001001"
            $0.debitsPosted = 12_400
        }
        $0.balance = -12_400
        $0.available = -12_400
    }

    /// The points supermarket's account, with a redemption's points on their way in.
    static let venueAccount = Gongzhi_Points_V1_AccountView.with {
        $0.account = .with {
            $0.id = "volunteer:venue:V01"
            $0.ledger = "volunteer"
            $0.holderKind = .venue
            $0.holderID = "V01"
            $0.holderName = "西溪积分超市"
            $0.communityCode = "330106001001"
            $0.creditsPosted = 880
            $0.creditsPending = 40
        }
        $0.balance = 880
        $0.available = 880
    }

    /// A credit of 20 points for service on 2025-11-20.
    static let credit = Gongzhi_Points_V1_Transfer.with {
        $0.id = "SR-1120-01"
        $0.debitAccountID = issuer.account.id
        $0.creditAccountID = resident.account.id
        $0.amount = 20
        $0.ledger = "volunteer"
        $0.code = "volunteer-hour"
        $0.reference = "service record SR-1120-01"
        $0.timestampMs = novemberMs
        $0.sequence = 1_203
    }

    /// The redemption's pending transfer, 40 points held for the venue.
    static let held = Gongzhi_Points_V1_Transfer.with {
        $0.id = "redeem-7"
        $0.debitAccountID = resident.account.id
        $0.creditAccountID = "volunteer:venue:V01"
        $0.amount = 40
        $0.ledger = "volunteer"
        $0.code = "redemption"
        $0.pending = true
        $0.timeoutSeconds = 7 * 86_400
        $0.timestampMs = now - 3 * 3_600_000
        $0.sequence = 1_204
    }

    static let rules = Gongzhi_Points_V1_ListRulesResponse.with {
        $0.rules = [
            .with {
                $0.rule = .with {
                    $0.code = "volunteer-hour"
                    $0.name = "志愿服务"
                    $0.ledger = "volunteer"
                    $0.source = .serviceRecord
                    $0.points = 10
                    $0.perHour = true
                    $0.cap = 100
                    $0.capPeriod = .month
                    $0.evidence = "签到表"
                    $0.active = true
                }
                $0.status = "active"
            },
            .with {
                $0.rule = .with {
                    $0.code = "case-satisfied"
                    $0.name = "网格案件满意"
                    $0.ledger = "volunteer"
                    $0.source = .gridCase
                    $0.points = 5
                    $0.active = true
                }
                $0.status = "idle: the grid module is not deployed"
            },
        ]
    }

    /// 张伟's two hours of service, waiting to be confirmed.
    static let record = Gongzhi_Points_V1_ServiceRecord.with {
        $0.id = "SR-1120-01"
        $0.ruleCode = "volunteer-hour"
        $0.holderKind = .resident
        $0.holderID = "R0001"
        $0.holderName = "张伟"
        $0.teamPartnerID = "P0003"
        $0.communityCode = "330106001001"
        $0.servedAtMs = novemberMs
        $0.minutes = 120
        $0.description_p = "社区环境清洁"
        $0.evidence = ["oss://sign-in/1120.jpg"]
        $0.state = .recorded
        $0.recordedBy = "wang-fang"
        $0.recordedAtMs = novemberMs + 3_600_000
    }

    static let venue = Gongzhi_Points_V1_Venue.with {
        $0.id = "V01"
        $0.name = "西溪积分超市"
        $0.communityCode = "330106001001"
        $0.address = "文二西路1号"
        $0.openingHours = "周二至周日 9:00-17:00"
    }

    static let good = Gongzhi_Points_V1_Good.with {
        $0.id = "G-rice-5kg"
        $0.venueID = "V01"
        $0.name = "大米5kg"
        $0.ledger = "volunteer"
        $0.price = 40
        $0.stock = 12
        $0.reserved = 1
        $0.minimumBalance = 100
        $0.unit = "袋"
        $0.active = true
        $0.communityCode = "330106001001"
    }

    /// 张伟's redemption of a bag of rice, held since three hours ago.
    static let redemption = Gongzhi_Points_V1_Redemption.with {
        $0.id = "redeem-7"
        $0.accountID = resident.account.id
        $0.holderName = "张伟"
        $0.goodID = good.id
        $0.goodName = good.name
        $0.venueID = "V01"
        $0.quantity = 1
        $0.points = 40
        $0.state = .held
        $0.pendingTransferID = "redeem-7"
        $0.heldAtMs = now - 3 * 3_600_000
        $0.expiresAtMs = now - 3 * 3_600_000 + 7 * day
        $0.requestedBy = "R0001"
        $0.communityCode = "330106001001"
    }

    static let expiring = Gongzhi_Points_V1_ExpiringResponse.with {
        $0.lots = [
            .with {
                $0.accountID = resident.account.id
                $0.holderName = "张伟"
                $0.holderKind = .resident
                $0.holderID = "R0001"
                $0.communityCode = "330106001001"
                $0.points = 20
                $0.expiresAtMs = januaryExpiryMs
            },
            .with {
                $0.accountID = "volunteer:partner:P0003"
                $0.holderName = "绿城志愿队"
                $0.holderKind = .partner
                $0.holderID = "P0003"
                $0.communityCode = "330106001001"
                $0.points = 1_150
                $0.expiresAtMs = januaryExpiryMs
            },
        ]
        $0.totalPoints = 1_170
    }

    /// November 2025 (+08:00).
    static let novemberFromMs: Int64 = 1_761_926_400_000
    static let novemberToMs: Int64 = 1_764_518_400_000

    static let honourRoll = Gongzhi_Points_V1_HonourRollResponse.with {
        $0.entries = [
            .with {
                $0.rank = 1
                $0.accountID = "volunteer:partner:P0003"
                $0.holderKind = .partner
                $0.holderID = "P0003"
                $0.holderName = "绿城志愿队"
                $0.communityCode = "330106001001"
                $0.points = 1_320
            },
            .with {
                $0.rank = 2
                $0.accountID = resident.account.id
                $0.holderKind = .resident
                $0.holderID = "R0001"
                $0.holderName = "张伟"
                $0.communityCode = "330106001001"
                $0.points = 120
            },
        ]
        $0.fromMs = novemberFromMs
        $0.toMs = novemberToMs
    }

    static let report = Gongzhi_Points_V1_ReportResponse.with {
        $0.rows = [
            .with {
                $0.group = "team"
                $0.key = "P0003"
                $0.name = "绿城志愿队"
                $0.points = 1_320
                $0.transfers = 66
            },
            .with {
                $0.group = "venue"
                $0.key = "V01"
                $0.name = "西溪积分超市"
                $0.points = 880
                $0.transfers = 22
            },
        ]
        $0.fromMs = novemberFromMs
        $0.toMs = novemberToMs
        $0.issued = 2_440
        $0.redeemed = 880
        $0.expired = 35
    }

    static let csv = """
        id,sequence,time,debit_account_id,credit_account_id,amount,code,reference,memo\r
        SR-1120-01,1203,2025-11-20T09:00:00+08:00,volunteer:issuer:330106001001,volunteer:resident:R0001,20,volunteer-hour,"service record SR-1120-01",\r

        """

    static let headHash = Data((0..<32).map { UInt8($0 * 7 % 256) })

    static let status = Gongzhi_Points_V1_StatusResponse.with {
        $0.transfers = 1_204
        $0.accounts = 388
        $0.pending = 3
        $0.heldRedemptions = 2
        $0.headHash = headHash
        $0.headSequence = 1_204
        $0.integrations = ["service records: live", "grid cases: idle, the grid module is not deployed"]
    }
}

/// The points plugin's service as the host routes it: a small ledger that answers from the fixtures and
/// records what it was asked, refuses what the plugin refuses (unknown accounts, debits beyond the balance,
/// caps), or, as `failure`, the errors the host answers when the plugin is missing or not taking calls.
final class FakePointsService: Gongzhi_Points_V1_PointsHandler {
    let failure: RPCError?
    /// Whether Verify finds the chain broken.
    let broken: Bool
    let requests = Mutex<[String]>([])
    /// Who made each request, as its metadata says (``FakeCaller``).
    let callers = Mutex<[String]>([])

    init(failure: RPCError? = nil, broken: Bool = false) {
        self.failure = failure
        self.broken = broken
    }

    private func record(_ request: String, _ context: ServerCallContext) throws {
        requests.withLock { $0.append(request) }
        callers.withLock { $0.append(FakeCaller.describe(context)) }
        if let failure { throw failure }
    }

    private static let accounts: [String: Gongzhi_Points_V1_AccountView] = [
        PointsFixtures.resident.account.id: PointsFixtures.resident,
        PointsFixtures.issuer.account.id: PointsFixtures.issuer,
        PointsFixtures.venueAccount.account.id: PointsFixtures.venueAccount,
    ]

    private static func account(_ id: String) throws -> Gongzhi_Points_V1_AccountView {
        guard let view = accounts[id] else { throw RPCError(code: .notFound, message: "there is no account \(id)") }
        return view
    }

    /// Applies one transfer to the fixtures' balances: unknown accounts and debits beyond what a holder has
    /// are refused, as the plugin refuses them.
    private static func result(of transfer: Gongzhi_Points_V1_Transfer, index: Int) -> Gongzhi_Points_V1_TransferResult
    {
        var result = Gongzhi_Points_V1_TransferResult.with {
            $0.index = Int32(index)
            $0.id = transfer.id
        }
        for (field, id) in [
            ("debit_account_id", transfer.debitAccountID), ("credit_account_id", transfer.creditAccountID),
        ]
        where accounts[id] == nil {
            result.result = .accountNotFound
            result.field = field
            result.message = "there is no account \(id)"
            return result
        }
        let debited = accounts[transfer.debitAccountID]!
        if debited.account.debitsMustNotExceedCredits && transfer.amount > debited.available {
            result.result = .exceedsCredits
            result.shortfall = transfer.amount - debited.available
            result.message = "\(debited.account.id) has \(debited.available) points available"
            return result
        }
        result.result = transfer.id.hasPrefix("again-") ? .exists : .ok
        result.transfer = transfer
        result.transfer.timestampMs = PointsFixtures.now
        return result
    }

    func createLedger(
        request: Gongzhi_Points_V1_Ledger,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_Ledger {
        try record("CreateLedger \(request.code) months=\(request.lotMonths)", context)
        var ledger = request
        ledger.createdAtMs = PointsFixtures.now
        return ledger
    }

    func listLedgers(
        request: Gongzhi_Points_V1_ListLedgersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListLedgersResponse {
        try record("ListLedgers", context)
        return PointsFixtures.ledgers
    }

    func createAccounts(
        request: Gongzhi_Points_V1_CreateAccountsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateAccountsResponse {
        try record("CreateAccounts \(request.accounts.map(\.id).joined(separator: " "))", context)
        return .with {
            $0.results = request.accounts.enumerated().map { index, account in
                .with {
                    $0.index = Int32(index)
                    $0.id = account.id
                    if account.id == PointsFixtures.resident.account.id {
                        $0.result = account.holderName == "张伟" ? .exists : .accountExistsWithDifferentField
                        $0.field = account.holderName == "张伟" ? "" : "holder_name"
                    } else if account.ledger == "nope" {
                        $0.result = .ledgerNotFound
                        $0.message = "there is no ledger nope"
                    }
                }
            }
            $0.accounts = request.accounts
        }
    }

    func setAccountClosed(
        request: Gongzhi_Points_V1_SetAccountClosedRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_Account {
        try record("SetAccountClosed \(request.accountID) closed=\(request.closed)", context)
        var account = try Self.account(request.accountID).account
        account.closed = request.closed
        return account
    }

    func getAccount(
        request: Gongzhi_Points_V1_GetAccountRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_AccountView {
        try record(
            "GetAccount id=\(request.accountID) holder=\(request.holderKind.rawValue):\(request.holderID) "
                + "ledger=\(request.ledger)",
            context
        )
        if request.accountID.isEmpty {
            let ledger = request.ledger.isEmpty ? "volunteer" : request.ledger
            let kind = HolderKindArgument(request.holderKind).rawValue
            return try Self.account("\(ledger):\(kind):\(request.holderID)")
        }
        return try Self.account(request.accountID)
    }

    func listAccounts(
        request: Gongzhi_Points_V1_ListAccountsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListAccountsResponse {
        try record(
            "ListAccounts ledger=\(request.ledger) kind=\(request.holderKind.rawValue) "
                + "community=\(request.communityCode) limit=\(request.limit)",
            context
        )
        return .with { $0.accounts = [PointsFixtures.resident, PointsFixtures.issuer] }
    }

    func history(
        request: Gongzhi_Points_V1_HistoryRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_HistoryResponse {
        try record("History \(request.accountID) limit=\(request.limit) before=\(request.beforeSequence)", context)
        let account = try Self.account(request.accountID)
        return .with {
            $0.account = account
            $0.transfers = [PointsFixtures.held, PointsFixtures.credit]
        }
    }

    func createTransfers(
        request: Gongzhi_Points_V1_CreateTransfersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateTransfersResponse {
        try record("CreateTransfers \(request.transfers.map(\.id).joined(separator: " "))", context)
        let results = request.transfers.enumerated().map { Self.result(of: $1, index: $0) }
        return .with {
            $0.results = results
            $0.balances =
                results.contains { PointsOutput.recorded($0.result) }
                ? [PointsFixtures.issuer, PointsFixtures.resident] : []
        }
    }

    func credit(
        request: Gongzhi_Points_V1_CreditRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateTransfersResponse {
        try record(
            "Credit \(request.id) rule=\(request.ruleCode) holder=\(request.holderKind.rawValue):\(request.holderID) "
                + "amount=\(request.amount)",
            context
        )
        if request.ruleCode == "meeting" {
            return .with {
                $0.results = [
                    .with {
                        $0.id = request.id
                        $0.result = .capReached
                        $0.cap = 20
                        $0.period = .month
                        $0.earned = 20
                        $0.message = "R0001 has earned 20 of 20 points a month by rule meeting"
                    }
                ]
            }
        }
        let transfer = Gongzhi_Points_V1_Transfer.with {
            $0.id = request.id
            $0.debitAccountID = PointsFixtures.issuer.account.id
            $0.creditAccountID = "volunteer:\(HolderKindArgument(request.holderKind).rawValue):\(request.holderID)"
            $0.amount = request.amount == 0 ? 5 : request.amount
            $0.code = request.ruleCode
        }
        return .with {
            $0.results = [Self.result(of: transfer, index: 0)]
            $0.balances = [PointsFixtures.issuer, PointsFixtures.resident]
        }
    }

    func correct(
        request: Gongzhi_Points_V1_CorrectRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateTransfersResponse {
        try record("Correct \(request.transferID) id=\(request.id) amount=\(request.amount)", context)
        guard request.transferID == PointsFixtures.credit.id else {
            return .with {
                $0.results = [
                    .with {
                        $0.id = request.id
                        $0.result = .reversedTransferNotFound
                        $0.message = "there is no transfer \(request.transferID)"
                    }
                ]
            }
        }
        return .with {
            $0.results = [
                .with {
                    $0.id = request.id
                    $0.result = .ok
                    $0.transfer = .with {
                        $0.id = request.id
                        $0.debitAccountID = PointsFixtures.resident.account.id
                        $0.creditAccountID = PointsFixtures.issuer.account.id
                        $0.amount = request.amount == 0 ? 20 : request.amount
                        $0.code = "correction"
                        $0.reversesID = request.transferID
                        $0.memo = request.reason
                    }
                }
            ]
            $0.balances = [PointsFixtures.resident, PointsFixtures.issuer]
        }
    }

    func putRule(
        request: Gongzhi_Points_V1_EarningRule,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_EarningRule {
        try record("PutRule \(request.code)", context)
        return request
    }

    func listRules(
        request: Gongzhi_Points_V1_ListRulesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListRulesResponse {
        try record("ListRules", context)
        return PointsFixtures.rules
    }

    func recordService(
        request: Gongzhi_Points_V1_RecordServiceRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ServiceRecord {
        try record("RecordService \(request.id) minutes=\(request.minutes)", context)
        var record = PointsFixtures.record
        record.id = request.id
        record.minutes = request.minutes
        record.servedAtMs = request.servedAtMs
        return record
    }

    func confirmService(
        request: Gongzhi_Points_V1_ConfirmServiceRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ServiceRecord {
        try record("ConfirmService \(request.id)", context)
        guard request.id == PointsFixtures.record.id else {
            throw RPCError(code: .notFound, message: "there is no service record \(request.id)")
        }
        if FakeCaller.describe(context).hasSuffix("as=zhang-wei") {
            throw RPCError(code: .permissionDenied, message: "张伟 may not confirm their own service record SR-1120-01")
        }
        var record = PointsFixtures.record
        record.state = .credited
        record.confirmedBy = "li-qiang"
        record.points = 20
        record.transferID = "SR-1120-01"
        return record
    }

    func rejectService(
        request: Gongzhi_Points_V1_RejectServiceRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ServiceRecord {
        try record("RejectService \(request.id)", context)
        var record = PointsFixtures.record
        record.state = .rejected
        record.rejectionReason = request.reason
        return record
    }

    func listServiceRecords(
        request: Gongzhi_Points_V1_ListServiceRecordsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListServiceRecordsResponse {
        try record("ListServiceRecords state=\(request.state.rawValue) holder=\(request.holderID)", context)
        return .with { $0.records = [PointsFixtures.record] }
    }

    func putVenue(request: Gongzhi_Points_V1_Venue, context: ServerCallContext) async throws -> Gongzhi_Points_V1_Venue
    {
        try record("PutVenue \(request.id)", context)
        return request
    }

    func putGood(request: Gongzhi_Points_V1_Good, context: ServerCallContext) async throws -> Gongzhi_Points_V1_Good {
        try record("PutGood \(request.id) price=\(request.price) stock=\(request.stock)", context)
        return request
    }

    func catalogue(
        request: Gongzhi_Points_V1_CatalogueRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CatalogueResponse {
        try record("Catalogue venue=\(request.venueID) for=\(request.affordableForAccount)", context)
        return .with {
            $0.venues = [PointsFixtures.venue]
            $0.goods = [PointsFixtures.good]
        }
    }

    func redeem(
        request: Gongzhi_Points_V1_RedeemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        try record("Redeem \(request.id) \(request.accountID) \(request.goodID) x\(request.quantity)", context)
        _ = try Self.account(request.accountID)
        guard request.goodID == PointsFixtures.good.id else {
            throw RPCError(code: .notFound, message: "there is no good \(request.goodID)")
        }
        var held = PointsFixtures.held
        held.id = request.id
        held.amount = PointsFixtures.good.price * request.quantity
        var result = Gongzhi_Points_V1_RedemptionResult.with {
            $0.redemption = PointsFixtures.redemption
            $0.redemption.id = request.id
            $0.redemption.quantity = request.quantity
            $0.redemption.points = held.amount
            $0.transfer = Self.result(of: held, index: 0)
            $0.balance = PointsFixtures.resident
            $0.good = PointsFixtures.good
        }
        if !PointsOutput.recorded(result.transfer.result) { result.redemption = .init() }
        return result
    }

    private func resolve(
        _ request: Gongzhi_Points_V1_ResolveRedemptionRequest,
        to state: Gongzhi_Points_V1_Redemption.State
    ) throws -> Gongzhi_Points_V1_RedemptionResult {
        guard request.id == PointsFixtures.redemption.id else {
            throw RPCError(code: .notFound, message: "there is no redemption \(request.id)")
        }
        return .with {
            $0.redemption = PointsFixtures.redemption
            $0.redemption.state = state
            $0.redemption.resolvedAtMs = PointsFixtures.now
            $0.redemption.note = request.note
            $0.transfer = .with {
                $0.id = "\(request.id):\(state == .confirmed ? "post" : "void")"
                $0.result = .ok
            }
            $0.balance = PointsFixtures.resident
        }
    }

    func confirmRedemption(
        request: Gongzhi_Points_V1_ResolveRedemptionRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        try record("ConfirmRedemption \(request.id) note=\(request.note)", context)
        return try resolve(request, to: .confirmed)
    }

    func cancelRedemption(
        request: Gongzhi_Points_V1_ResolveRedemptionRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        try record("CancelRedemption \(request.id) note=\(request.note)", context)
        if request.id == "redeem-late" {
            return .with {
                $0.transfer = .with {
                    $0.id = "redeem-late:void"
                    $0.result = .pendingTransferExpired
                    $0.message = "redeem-late expired on 2025-11-20 and was voided then"
                }
            }
        }
        return try resolve(request, to: .cancelled)
    }

    func listRedemptions(
        request: Gongzhi_Points_V1_ListRedemptionsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListRedemptionsResponse {
        try record("ListRedemptions state=\(request.state.rawValue) venue=\(request.venueID)", context)
        return .with { $0.redemptions = [PointsFixtures.redemption] }
    }

    func expiring(
        request: Gongzhi_Points_V1_ExpiringRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ExpiringResponse {
        try record("Expiring within=\(request.withinSeconds) community=\(request.communityCode)", context)
        return PointsFixtures.expiring
    }

    func honourRoll(
        request: Gongzhi_Points_V1_HonourRollRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_HonourRollResponse {
        try record("HonourRoll from=\(request.fromMs) to=\(request.toMs) limit=\(request.limit)", context)
        var roll = PointsFixtures.honourRoll
        roll.fromMs = request.fromMs
        roll.toMs = request.toMs
        return roll
    }

    func report(
        request: Gongzhi_Points_V1_ReportRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ReportResponse {
        try record("Report ledger=\(request.ledger) from=\(request.fromMs) to=\(request.toMs)", context)
        return PointsFixtures.report
    }

    func export(
        request: Gongzhi_Points_V1_ExportRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ExportResponse {
        try record("Export ledger=\(request.ledger) from=\(request.fromMs) to=\(request.toMs)", context)
        return .with {
            $0.csv = PointsFixtures.csv
            $0.transfers = 1
        }
    }

    func verify(
        request: Gongzhi_Points_V1_VerifyRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_VerifyResponse {
        try record("Verify", context)
        return .with {
            $0.transfers = 1_204
            $0.accounts = 388
            $0.headHash = PointsFixtures.headHash
            if broken {
                $0.firstBadTransferID = PointsFixtures.credit.id
                $0.firstBadSequence = 1_203
                $0.problem = "its hash does not match its content: amount or accounts were changed"
            } else {
                $0.ok = true
            }
        }
    }

    func status(
        request: Gongzhi_Points_V1_StatusRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_StatusResponse {
        try record("Status", context)
        return PointsFixtures.status
    }
}
