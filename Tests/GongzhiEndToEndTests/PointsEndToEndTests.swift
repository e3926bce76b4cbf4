import Foundation
import GongzhiHost
import GongzhiPluginTesting
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// The points plugin (`gongzhi-points`) under the real host: a ledger, rules, a volunteer's service from record
/// to credit, a redemption from hold to hand-over, refusals with their result codes, a restart, and the
/// verification of the chain — with no grid module deployed.
///
/// The world: street 330199001 with community 330199001001 (grid …001001), residents 王小红 (R1) and 赵刚 (R2).
final class PointsEndToEndTests: XCTestCase {
    static let community = "330199001001"

    struct World {
        var host: HostUnderTest
        var points: Gongzhi_Points_V1_PointsClient
        var objects: Gongzhi_Host_V1_ObjectsClient
        var clockFile: String
    }

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

    /// 2026-11-16 10:00 in China.
    static let start: Int64 = 1_763_258_400_000

    func startWorld(clockMs: Int64 = PointsEndToEndTests.start) async throws -> World {
        let files = try TemporaryDirectory(prefix: "gzpointsclock")
        let clockFile = files.file("now")
        try String(clockMs).write(toFile: clockFile, atomically: true, encoding: .utf8)
        let host = try await HostUnderTest(
            plugins: [
                try Self.pointsPlugin(environment: [
                    "POINTS_CLOCK_FILE": clockFile, "POINTS_SWEEP_INTERVAL_MS": "100",
                ])
            ]
        )
        addTeardownBlock {
            await host.stop()
            _ = files
        }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        try await Self.createWorld(objects)
        try await host.waitUntil("points")
        let points = Gongzhi_Points_V1_PointsClient(channel: host.admin)
        try await Self.setUpLedger(points)
        return World(host: host, points: points, objects: objects, clockFile: clockFile)
    }

    static func createWorld(_ objects: Gongzhi_Host_V1_ObjectsClient) async throws {
        func create(_ kind: String, _ id: String, _ message: some SwiftProtobuf.Message) async throws {
            var request = Gongzhi_Host_V1_CreateRequest()
            request.object.kind = kind
            request.object.id = id
            request.object.data = try message.serializedBytes()
            do {
                _ = try await objects.create(request)
            } catch let error as RPCError where error.code == .alreadyExists {}
        }
        for (code, level, parent) in [
            ("330199", Gongzhi_Core_V1_Region.Level.district, ""), ("330199001", .street, "330199"),
            (community, .community, "330199001"),
        ] {
            var region = Gongzhi_Core_V1_Region()
            region.code = code
            region.name = "区域 \(code)"
            region.level = level
            region.parentCode = parent
            try await create("Region", code, region)
        }
        for (id, name) in [("R1", "王小红"), ("R2", "赵刚")] {
            var resident = Gongzhi_Core_V1_Resident()
            resident.id = id
            resident.name = name
            resident.gridCode = community + "001"
            try await create("Resident", id, resident)
        }
        var team = Gongzhi_Core_V1_Partner()
        team.id = "P-TEAM"
        team.name = "红马甲志愿队"
        team.type = .team
        team.communityCode = community
        try await create("Partner", team.id, team)
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

    func setClock(_ world: World, _ ms: Int64) throws {
        try String(ms).write(toFile: world.clockFile, atomically: true, encoding: .utf8)
    }

    func record(
        _ points: Gongzhi_Points_V1_PointsClient,
        _ id: String,
        resident: String = "R1",
        minutes: Int64 = 180
    ) async throws -> Gongzhi_Points_V1_ServiceRecord {
        var request = Gongzhi_Points_V1_RecordServiceRequest()
        request.id = id
        request.ruleCode = "volunteer-hour"
        request.holderKind = .resident
        request.holderID = resident
        request.minutes = minutes
        request.servedAtMs = Self.start - 3_600_000
        request.description_p = "清扫楼道"
        return try await points.recordService(request)
    }

    func confirm(
        _ points: Gongzhi_Points_V1_PointsClient,
        _ id: String
    ) async throws
        -> Gongzhi_Points_V1_ServiceRecord
    {
        var request = Gongzhi_Points_V1_ConfirmServiceRequest()
        request.id = id
        return try await points.confirmService(request)
    }

    func balance(_ points: Gongzhi_Points_V1_PointsClient, _ id: String) async throws -> Gongzhi_Points_V1_AccountView {
        var request = Gongzhi_Points_V1_GetAccountRequest()
        request.accountID = id
        return try await points.getAccount(request)
    }

    func redeem(
        _ points: Gongzhi_Points_V1_PointsClient,
        _ id: String,
        account: String = "volunteer:resident:R1",
        quantity: Int64 = 1
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        var request = Gongzhi_Points_V1_RedeemRequest()
        request.id = id
        request.accountID = account
        request.goodID = "rice-5kg"
        request.quantity = quantity
        return try await points.redeem(request)
    }

    func testAVolunteersServiceFromRecordToRedemption() async throws {
        let world = try await startWorld()
        let points = world.points
        let recorded = try await record(points, "svc-1")
        XCTAssertEqual(recorded.state, .recorded)
        let confirmed = try await confirm(points, "svc-1")
        XCTAssertEqual(confirmed.state, .credited, confirmed.creditResult)
        XCTAssertEqual(confirmed.points, 30)
        XCTAssertEqual(confirmed.transferID, "service:svc-1")
        // Confirming again credits nothing more.
        _ = try await confirm(points, "svc-1")
        var view = try await balance(points, "volunteer:resident:R1")
        XCTAssertEqual(view.balance, 30)
        XCTAssertEqual(view.account.holderName, "王小红")
        XCTAssertEqual(view.account.lots.map(\.remaining), [30])

        let held = try await redeem(points, "order-1")
        XCTAssertEqual(held.redemption.state, .held)
        XCTAssertEqual(held.good.reserved, 1)
        XCTAssertEqual(held.balance.available, 0)
        XCTAssertEqual(held.balance.balance, 30)
        var resolve = Gongzhi_Points_V1_ResolveRedemptionRequest()
        resolve.id = "order-1"
        let handed = try await points.confirmRedemption(resolve)
        XCTAssertEqual(handed.redemption.state, .confirmed)
        XCTAssertEqual(handed.good.stock, 1)
        XCTAssertEqual(handed.good.reserved, 0)
        view = try await balance(points, "volunteer:resident:R1")
        XCTAssertEqual(view.balance, 0)
        let value1 = try await balance(points, "volunteer:venue:market-1").balance
        XCTAssertEqual(value1, 30)

        let verified = try await points.verify(Gongzhi_Points_V1_VerifyRequest())
        XCTAssertTrue(verified.ok, verified.problem)
        XCTAssertEqual(verified.transfers, 3)
        let status = try await points.status(Gongzhi_Points_V1_StatusRequest())
        XCTAssertEqual(status.integrations.first?.hasPrefix("grid cases: idle"), true, "\(status.integrations)")
    }

    func testRefusalsCarryTheirResultCodes() async throws {
        let world = try await startWorld()
        let points = world.points
        // Not enough points: the shortfall is named and nothing is held.
        var credit = Gongzhi_Points_V1_CreditRequest()
        credit.id = "credit-1"
        credit.ruleCode = "deliberation"
        credit.holderKind = .resident
        credit.holderID = "R2"
        let credited = try await points.credit(credit)
        XCTAssertEqual(credited.results.map(\.result), [.ok])
        XCTAssertEqual(credited.balances.first { $0.account.id == "volunteer:resident:R2" }?.balance, 5)
        let short = try await redeem(points, "order-2", account: "volunteer:resident:R2")
        XCTAssertEqual(short.transfer.result, .exceedsCredits)
        XCTAssertEqual(short.transfer.shortfall, 25)
        XCTAssertFalse(short.hasRedemption)
        // The same credit id again: EXISTS, no second credit; with another amount: different field.
        let value2 = try await points.credit(credit).results.map(\.result)
        XCTAssertEqual(value2, [.exists])
        credit.amount = 7
        let different = try await points.credit(credit)
        XCTAssertEqual(different.results.first?.result, .existsWithDifferentField)
        XCTAssertEqual(different.results.first?.field, "amount")
        let value3 = try await balance(points, "volunteer:resident:R2").balance
        XCTAssertEqual(value3, 5)
        // A cap: 100 per month by volunteer-hour; 10 hours = 100 fits, the next hour does not.
        _ = try await record(points, "svc-a", resident: "R2", minutes: 600)
        let value4 = try await confirm(points, "svc-a").state
        XCTAssertEqual(value4, .credited)
        _ = try await record(points, "svc-b", resident: "R2", minutes: 60)
        let capped = try await confirm(points, "svc-b")
        XCTAssertEqual(capped.state, .notCredited)
        XCTAssertTrue(capped.creditResult.contains("cap of 100"), capped.creditResult)
        // Unknown accounts and malformed batches.
        var batch = Gongzhi_Points_V1_CreateTransfersRequest()
        var transfer = Gongzhi_Points_V1_Transfer()
        transfer.id = "t-1"
        transfer.debitAccountID = "volunteer:resident:R2"
        transfer.creditAccountID = "volunteer:resident:NOBODY"
        transfer.amount = 1
        transfer.code = "gift"
        batch.transfers = [transfer]
        let unknown = try await points.createTransfers(batch)
        XCTAssertEqual(unknown.results.first?.result, .accountNotFound)
        XCTAssertEqual(unknown.results.first?.field, "credit_account_id")
        _ = await assertRPCError(.invalidArgument) {
            _ = try await points.createTransfers(Gongzhi_Points_V1_CreateTransfersRequest())
        }
        // A linked chain fails together.
        var first = transfer
        first.id = "t-2"
        first.creditAccountID = "volunteer:issuer:330199001001"
        first.linked = true
        var second = first
        second.id = "t-3"
        second.linked = false
        second.amount = 1_000
        batch.transfers = [first, second]
        let chain = try await points.createTransfers(batch)
        XCTAssertEqual(chain.results.map(\.result), [.linkedEventFailed, .exceedsCredits])
        let value5 = try await balance(points, "volunteer:resident:R2").balance
        XCTAssertEqual(value5, 105)
    }

    func testTheLedgerSurvivesARestartOfThePlugin() async throws {
        let world = try await startWorld()
        let points = world.points
        _ = try await record(points, "svc-1")
        _ = try await confirm(points, "svc-1")
        _ = try await redeem(points, "order-1")
        let before = try await world.host.status("points")
        kill(before.pid, SIGKILL)
        _ = try await world.host.waitUntilRestarted("points", from: before.pid)
        let view = try await balance(points, "volunteer:resident:R1")
        XCTAssertEqual(view.balance, 30)
        XCTAssertEqual(view.available, 0)
        var resolve = Gongzhi_Points_V1_ResolveRedemptionRequest()
        resolve.id = "order-1"
        let value6 = try await points.cancelRedemption(resolve).redemption.state
        XCTAssertEqual(value6, .cancelled)
        let value7 = try await balance(points, "volunteer:resident:R1").available
        XCTAssertEqual(value7, 30)
        let verified = try await points.verify(Gongzhi_Points_V1_VerifyRequest())
        XCTAssertTrue(verified.ok, verified.problem)
        XCTAssertEqual(verified.transfers, 3)
    }
}
