import Foundation
import GongzhiHost
import GongzhiPluginTesting
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// The points plugin (`gongzhi-points`) under the real host, as the points module's end-to-end tests start it:
/// on a clock file the test moves, with the world's places and holders and a volunteer ledger with its rules, a
/// venue and a good.
///
/// The world: district 330199, street 330199001 with communities 330199001001 (grid …001001) and 330199001002;
/// residents 王小红 (R1) and 赵刚 (R2) of the first community, and its volunteer team 红马甲志愿队 (P-TEAM). The
/// ledger `volunteer` (lots of 12 months) has the rules `volunteer-hour` (service records, 10 points an hour, at
/// most 100 a month) and `deliberation` (by hand, 5 points); venue `market-1` of the first community sells
/// `rice-5kg` for 30 points, 2 in stock.
struct PointsWorld {
    static let community = "330199001001"
    static let otherCommunity = "330199001002"
    static let issuer = "volunteer:issuer:330199001001"

    /// 2025-11-16 10:00 in China.
    static let start: Int64 = 1_763_258_400_000
    /// 2025-12-01 00:00 in China: the first moment of the next month.
    static let nextMonth: Int64 = 1_764_518_400_000
    /// 2026-12-01 00:00 in China: when points earned in November 2025 expire (lots of 12 months).
    static let novemberLotsExpire: Int64 = 1_796_054_400_000

    var host: HostUnderTest
    var points: Gongzhi_Points_V1_PointsClient
    var objects: Gongzhi_Host_V1_ObjectsClient
    var clockFile: String

    static let pointsGrants = [
        "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
        "gongzhi.host.v1.Objects/Txn", "gongzhi.host.v1.Objects/RegisterKind",
    ]

    static func pointsPlugin(environment: [String: String]) throws -> TestPlugin {
        TestPlugin(
            name: "points",
            executable: try BuiltExecutables.path("gongzhi-points"),
            services: ["gongzhi.points.v1.Points"],
            requestedGrants: pointsGrants,
            environment: environment
        )
    }

    /// Starts a host with the points plugin (and, with `grid`, the grid plugin first, its world and then the points
    /// plugin, so that the points plugin finds the grid's kind Case from its start), creates the world and the
    /// ledger, in `directory` when given. The host stops at the end of `test`.
    static func start(
        _ test: XCTestCase,
        clockMs: Int64 = PointsWorld.start,
        sweepIntervalMs: Int = 100,
        grid: Bool = false,
        directory: TemporaryDirectory? = nil
    ) async throws -> PointsWorld {
        let files = try TemporaryDirectory(prefix: "gzpointsclock")
        let clockFile = files.file("now")
        try String(clockMs).write(toFile: clockFile, atomically: true, encoding: .utf8)
        let plugin = try pointsPlugin(environment: [
            "POINTS_CLOCK_FILE": clockFile, "POINTS_SWEEP_INTERVAL_MS": String(sweepIntervalMs),
        ])
        let host: HostUnderTest
        if grid {
            host = try await HostUnderTest(
                plugins: [try GridEndToEndTests.gridPlugin(environment: [:])],
                directory: directory
            )
        } else {
            host = try await HostUnderTest(plugins: [plugin], directory: directory)
        }
        test.addTeardownBlock {
            await host.stop()
            _ = files
        }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        if grid {
            try await host.waitUntil("grid")
            try await GridEndToEndTests.createWorld(objects)
            try host.reconfigure(host.plugins + [plugin])
        }
        try await createWorld(objects)
        try await host.waitUntil("points")
        let points = Gongzhi_Points_V1_PointsClient(channel: host.admin)
        try await setUpLedger(points)
        return PointsWorld(host: host, points: points, objects: objects, clockFile: clockFile)
    }

    static func create(
        _ objects: Gongzhi_Host_V1_ObjectsClient,
        _ kind: String,
        _ id: String,
        _ message: some SwiftProtobuf.Message
    ) async throws {
        var request = Gongzhi_Host_V1_CreateRequest()
        request.object.kind = kind
        request.object.id = id
        request.object.data = try message.serializedBytes()
        do {
            _ = try await objects.create(request)
        } catch let error as RPCError where error.code == .alreadyExists {}
    }

    static func createWorld(_ objects: Gongzhi_Host_V1_ObjectsClient) async throws {
        for (code, level, parent) in [
            ("330199", Gongzhi_Core_V1_Region.Level.district, ""), ("330199001", .street, "330199"),
            (community, .community, "330199001"), (otherCommunity, .community, "330199001"),
        ] {
            var region = Gongzhi_Core_V1_Region()
            region.code = code
            region.name = "区域 \(code)"
            region.level = level
            region.parentCode = parent
            try await create(objects, "Region", code, region)
        }
        for (id, name) in [("R1", "王小红"), ("R2", "赵刚")] {
            var resident = Gongzhi_Core_V1_Resident()
            resident.id = id
            resident.name = name
            resident.gridCode = community + "001"
            try await create(objects, "Resident", id, resident)
        }
        var team = Gongzhi_Core_V1_Partner()
        team.id = "P-TEAM"
        team.name = "红马甲志愿队"
        team.type = .team
        team.communityCode = community
        try await create(objects, "Partner", team.id, team)
    }

    static func setUpLedger(_ points: Gongzhi_Points_V1_PointsClient) async throws {
        var ledger = Gongzhi_Points_V1_Ledger()
        ledger.code = "volunteer"
        ledger.name = "志愿者积分"
        ledger.lotMonths = 12
        _ = try await points.createLedger(ledger)
        var hours = Gongzhi_Points_V1_EarningRule()
        hours.code = "volunteer-hour"
        hours.name = "志愿服务时长"
        hours.ledger = "volunteer"
        hours.source = .serviceRecord
        hours.points = 10
        hours.perHour = true
        hours.cap = 100
        hours.capPeriod = .month
        hours.active = true
        _ = try await points.putRule(hours)
        var manual = Gongzhi_Points_V1_EarningRule()
        manual.code = "deliberation"
        manual.name = "参加议事会"
        manual.ledger = "volunteer"
        manual.source = .manual
        manual.points = 5
        manual.active = true
        _ = try await points.putRule(manual)
        var venue = Gongzhi_Points_V1_Venue()
        venue.id = "market-1"
        venue.name = "幸福积分超市"
        venue.communityCode = community
        _ = try await points.putVenue(venue)
        var rice = Gongzhi_Points_V1_Good()
        rice.id = "rice-5kg"
        rice.venueID = "market-1"
        rice.name = "大米 5kg"
        rice.ledger = "volunteer"
        rice.price = 30
        rice.stock = 2
        rice.active = true
        _ = try await points.putGood(rice)
    }

    func setClock(_ ms: Int64) throws {
        try String(ms).write(toFile: clockFile, atomically: true, encoding: .utf8)
    }

    /// A client of the points service on a connection of its own to the host's admin socket, closed at the end of
    /// `test`.
    func ownConnection(_ test: XCTestCase) -> Gongzhi_Points_V1_PointsClient {
        let client = RPCClient(socketPath: host.adminSocket)
        test.addTeardownBlock { await client.close() }
        return Gongzhi_Points_V1_PointsClient(channel: client)
    }

    // MARK: Calls

    func account(_ id: String) async throws -> Gongzhi_Points_V1_AccountView {
        var request = Gongzhi_Points_V1_GetAccountRequest()
        request.accountID = id
        return try await points.getAccount(request)
    }

    func balance(_ id: String) async throws -> Int64 {
        try await account(id).balance
    }

    func history(_ id: String, limit: Int32 = 1_000) async throws -> [Gongzhi_Points_V1_Transfer] {
        var request = Gongzhi_Points_V1_HistoryRequest()
        request.accountID = id
        request.limit = limit
        return try await points.history(request).transfers
    }

    func verify() async throws -> Gongzhi_Points_V1_VerifyResponse {
        try await points.verify(Gongzhi_Points_V1_VerifyRequest())
    }

    /// Opens holder accounts of the volunteer ledger, which may not go below zero.
    func openAccounts(_ ids: [String], community: String = PointsWorld.community) async throws {
        var request = Gongzhi_Points_V1_CreateAccountsRequest()
        request.accounts = ids.map { id in
            var account = Gongzhi_Points_V1_Account()
            account.id = id
            account.debitsMustNotExceedCredits = true
            account.communityCode = community
            return account
        }
        let results = try await points.createAccounts(request).results
        XCTAssertEqual(results.filter { $0.result != .ok && $0.result != .exists }, [])
    }

    /// Credits `amount` points to each account by `deliberation`, from the community's issuing account, in one
    /// batch (the issuing account must be open: it is once anyone was credited by a rule).
    func credit(_ amounts: [String: Int64], prefix: String = "grant") async throws {
        var request = Gongzhi_Points_V1_CreateTransfersRequest()
        request.transfers = amounts.sorted { $0.key < $1.key }.map { id, amount in
            PointsWorld.transfer("\(prefix):\(id)", from: PointsWorld.issuer, to: id, amount, code: "deliberation")
        }
        let results = try await points.createTransfers(request).results
        XCTAssertEqual(results.filter { $0.result != .ok }.map(\.message), [])
    }

    /// Opens the community's issuing account by crediting R1 once by hand.
    func openIssuer() async throws {
        var credit = Gongzhi_Points_V1_CreditRequest()
        credit.id = "open-issuer"
        credit.ruleCode = "deliberation"
        credit.holderKind = .resident
        credit.holderID = "R1"
        let results = try await points.credit(credit).results
        XCTAssertEqual(results.map(\.result), [.ok])
    }

    func recordService(
        _ id: String,
        resident: String = "R1",
        minutes: Int64 = 180,
        by client: Gongzhi_Points_V1_PointsClient? = nil
    ) async throws -> Gongzhi_Points_V1_ServiceRecord {
        var request = Gongzhi_Points_V1_RecordServiceRequest()
        request.id = id
        request.ruleCode = "volunteer-hour"
        request.holderKind = .resident
        request.holderID = resident
        request.minutes = minutes
        request.servedAtMs = Self.start - 3_600_000
        request.description_p = "清扫楼道"
        return try await (client ?? points).recordService(request)
    }

    func confirmService(
        _ id: String,
        by client: Gongzhi_Points_V1_PointsClient? = nil
    ) async throws -> Gongzhi_Points_V1_ServiceRecord {
        var request = Gongzhi_Points_V1_ConfirmServiceRequest()
        request.id = id
        return try await (client ?? points).confirmService(request)
    }

    func redeem(
        _ id: String,
        account: String = "volunteer:resident:R1",
        good: String = "rice-5kg",
        quantity: Int64 = 1,
        timeoutSeconds: Int64 = 0,
        by client: Gongzhi_Points_V1_PointsClient? = nil
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        var request = Gongzhi_Points_V1_RedeemRequest()
        request.id = id
        request.accountID = account
        request.goodID = good
        request.quantity = quantity
        request.timeoutSeconds = timeoutSeconds
        return try await (client ?? points).redeem(request)
    }

    func confirmRedemption(
        _ id: String,
        by client: Gongzhi_Points_V1_PointsClient? = nil
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        var request = Gongzhi_Points_V1_ResolveRedemptionRequest()
        request.id = id
        return try await (client ?? points).confirmRedemption(request)
    }

    func cancelRedemption(
        _ id: String,
        by client: Gongzhi_Points_V1_PointsClient? = nil
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        var request = Gongzhi_Points_V1_ResolveRedemptionRequest()
        request.id = id
        return try await (client ?? points).cancelRedemption(request)
    }

    func good(_ id: String = "rice-5kg") async throws -> Gongzhi_Points_V1_Good {
        var request = Gongzhi_Points_V1_CatalogueRequest()
        request.venueID = "market-1"
        let goods = try await points.catalogue(request).goods
        return try XCTUnwrap(goods.first { $0.id == id }, "\(goods.map(\.id))")
    }

    func redemption(_ id: String) async throws -> Gongzhi_Points_V1_Redemption {
        let listed = try await points.listRedemptions(Gongzhi_Points_V1_ListRedemptionsRequest()).redemptions
        return try XCTUnwrap(listed.first { $0.id == id }, "\(listed.map(\.id))")
    }

    /// Every transfer the host stores, by id: what survives any crash.
    func storedTransfers() async throws -> [String: Gongzhi_Points_V1_Transfer] {
        var stored: [String: Gongzhi_Points_V1_Transfer] = [:]
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "PointsTransfer"
        list.pageSize = 5_000
        repeat {
            let page = try await objects.list(list)
            for object in page.objects {
                stored[object.id] = try Gongzhi_Points_V1_Transfer(serializedBytes: object.data)
            }
            list.pageToken = page.nextPageToken
        } while !list.pageToken.isEmpty
        return stored
    }

    /// Every account the host stores, by id.
    func storedAccounts() async throws -> [String: Gongzhi_Points_V1_Account] {
        var stored: [String: Gongzhi_Points_V1_Account] = [:]
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "PointsAccount"
        list.pageSize = 5_000
        repeat {
            let page = try await objects.list(list)
            for object in page.objects {
                stored[object.id] = try Gongzhi_Points_V1_Account(serializedBytes: object.data)
            }
            list.pageToken = page.nextPageToken
        } while !list.pageToken.isEmpty
        return stored
    }

    /// Checks that every account's balance, as the plugin answers it and as the host stores it, is the sum of the
    /// posted transfers the host stores, and that the chain verifies; returns the number of accounts checked.
    @discardableResult
    func checkBalancesAgainstTransfers(file: StaticString = #filePath, line: UInt = #line) async throws -> Int {
        let transfers = try await storedTransfers()
        let settled = Set(transfers.values.filter { $0.postPending || $0.voidPending }.map(\.pendingID))
        var sums: [String: Int64] = [:]
        for transfer in transfers.values {
            // A pending transfer moves nothing posted; its post moves what it posts.
            if transfer.pending || transfer.voidPending { continue }
            sums[transfer.debitAccountID, default: 0] -= transfer.amount
            sums[transfer.creditAccountID, default: 0] += transfer.amount
        }
        var listAccounts = Gongzhi_Points_V1_ListAccountsRequest()
        listAccounts.limit = 10_000
        let views = try await points.listAccounts(listAccounts).accounts
        let stored = try await storedAccounts()
        XCTAssertEqual(Set(views.map(\.account.id)), Set(stored.keys), file: file, line: line)
        for view in views {
            let id = view.account.id
            XCTAssertEqual(view.balance, sums[id] ?? 0, "the plugin's balance of \(id)", file: file, line: line)
            if let account = stored[id] {
                XCTAssertEqual(
                    account.creditsPosted - account.debitsPosted,
                    sums[id] ?? 0,
                    "the stored balance of \(id)",
                    file: file,
                    line: line
                )
            }
        }
        let pendingNow = transfers.values.filter { $0.pending && !settled.contains($0.id) }
        let held = pendingNow.reduce(into: [String: Int64]()) { $0[$1.debitAccountID, default: 0] += $1.amount }
        for view in views {
            XCTAssertEqual(view.account.debitsPending, held[view.account.id] ?? 0, file: file, line: line)
        }
        XCTAssertEqual(sums.values.reduce(0, +), 0, "the ledger sums to zero", file: file, line: line)
        let verified = try await verify()
        XCTAssertTrue(verified.ok, verified.problem, file: file, line: line)
        XCTAssertEqual(verified.transfers, Int64(transfers.count), file: file, line: line)
        return views.count
    }

    /// A plain transfer.
    static func transfer(
        _ id: String,
        from debit: String,
        to credit: String,
        _ amount: Int64,
        code: String = "gift",
        linked: Bool = false
    ) -> Gongzhi_Points_V1_Transfer {
        var transfer = Gongzhi_Points_V1_Transfer()
        transfer.id = id
        transfer.debitAccountID = debit
        transfer.creditAccountID = credit
        transfer.amount = amount
        transfer.code = code
        transfer.linked = linked
        return transfer
    }
}
