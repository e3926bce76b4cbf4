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
/// The world is ``PointsWorld``'s.
final class PointsEndToEndTests: XCTestCase {
    func testAVolunteersServiceFromRecordToRedemption() async throws {
        let world = try await PointsWorld.start(self)
        let points = world.points
        let recorded = try await world.recordService("svc-1")
        XCTAssertEqual(recorded.state, .recorded)
        let confirmed = try await world.confirmService("svc-1")
        XCTAssertEqual(confirmed.state, .credited, confirmed.creditResult)
        XCTAssertEqual(confirmed.points, 30)
        XCTAssertEqual(confirmed.transferID, "service:svc-1")
        // Confirming again credits nothing more.
        _ = try await world.confirmService("svc-1")
        var view = try await world.account("volunteer:resident:R1")
        XCTAssertEqual(view.balance, 30)
        XCTAssertEqual(view.account.holderName, "王小红")
        XCTAssertEqual(view.account.lots.map(\.remaining), [30])

        let held = try await world.redeem("order-1")
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
        view = try await world.account("volunteer:resident:R1")
        XCTAssertEqual(view.balance, 0)
        let value1 = try await world.balance("volunteer:venue:market-1")
        XCTAssertEqual(value1, 30)

        let verified = try await points.verify(Gongzhi_Points_V1_VerifyRequest())
        XCTAssertTrue(verified.ok, verified.problem)
        XCTAssertEqual(verified.transfers, 3)
        let status = try await points.status(Gongzhi_Points_V1_StatusRequest())
        XCTAssertEqual(status.integrations.first?.hasPrefix("grid cases: idle"), true, "\(status.integrations)")
    }

    func testRefusalsCarryTheirResultCodes() async throws {
        let world = try await PointsWorld.start(self)
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
        let short = try await world.redeem("order-2", account: "volunteer:resident:R2")
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
        let value3 = try await world.balance("volunteer:resident:R2")
        XCTAssertEqual(value3, 5)
        // A cap: 100 per month by volunteer-hour; 10 hours = 100 fits, the next hour does not.
        _ = try await world.recordService("svc-a", resident: "R2", minutes: 600)
        let value4 = try await world.confirmService("svc-a").state
        XCTAssertEqual(value4, .credited)
        _ = try await world.recordService("svc-b", resident: "R2", minutes: 60)
        let capped = try await world.confirmService("svc-b")
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
        let value5 = try await world.balance("volunteer:resident:R2")
        XCTAssertEqual(value5, 105)
    }

    func testTheLedgerSurvivesARestartOfThePlugin() async throws {
        let world = try await PointsWorld.start(self)
        let points = world.points
        _ = try await world.recordService("svc-1")
        _ = try await world.confirmService("svc-1")
        _ = try await world.redeem("order-1")
        let before = try await world.host.status("points")
        kill(before.pid, SIGKILL)
        _ = try await world.host.waitUntilRestarted("points", from: before.pid)
        let view = try await world.account("volunteer:resident:R1")
        XCTAssertEqual(view.balance, 30)
        XCTAssertEqual(view.available, 0)
        var resolve = Gongzhi_Points_V1_ResolveRedemptionRequest()
        resolve.id = "order-1"
        let value6 = try await points.cancelRedemption(resolve).redemption.state
        XCTAssertEqual(value6, .cancelled)
        let value7 = try await world.account("volunteer:resident:R1").available
        XCTAssertEqual(value7, 30)
        let verified = try await points.verify(Gongzhi_Points_V1_VerifyRequest())
        XCTAssertTrue(verified.ok, verified.problem)
        XCTAssertEqual(verified.transfers, 3)
    }
}
