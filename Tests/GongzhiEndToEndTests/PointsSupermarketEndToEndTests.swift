import Foundation
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// The points supermarket (积分超市) and expiry through the points plugin under the real host: redemptions
/// posted at the hand-over, voided when cancelled or timed out, the last item under 64 concurrent redeemers, and
/// lots that expire with an explicit transfer.
final class PointsSupermarketEndToEndTests: XCTestCase {
    let r1 = "volunteer:resident:R1"

    /// A held redemption is a pending transfer and a reserved item: posted at the hand-over (the good leaves the
    /// stock), voided at a cancel (the item is free again), and voided by the plugin once the clock passes its
    /// timeout (expired, the points back, the item free).
    func testARedemptionIsPostedAtHandOverVoidedAtCancelAndExpiresAtItsTimeout() async throws {
        let world = try await PointsWorld.start(self)
        try await world.openIssuer()
        try await world.credit([r1: 95])

        // Post: the clerk confirms the hand-over.
        let held = try await world.redeem("order-post")
        XCTAssertEqual(held.redemption.state, .held)
        XCTAssertEqual(held.transfer.result, .ok)
        XCTAssertTrue(held.transfer.transfer.pending)
        XCTAssertEqual(held.redemption.expiresAtMs, PointsWorld.start + 7 * 86_400_000, "7 days unless said")
        XCTAssertEqual(held.balance.balance, 100)
        XCTAssertEqual(held.balance.available, 70)
        XCTAssertEqual(held.good.stock, 2)
        XCTAssertEqual(held.good.reserved, 1)
        let venue = try await world.account("volunteer:venue:market-1")
        XCTAssertEqual(venue.account.creditsPending, 30)
        XCTAssertEqual(venue.balance, 0)
        let posted = try await world.confirmRedemption("order-post")
        XCTAssertEqual(posted.redemption.state, .confirmed)
        XCTAssertEqual(posted.transfer.transfer.id, "redeem:order-post:post")
        XCTAssertTrue(posted.transfer.transfer.postPending)
        XCTAssertEqual(posted.balance.balance, 70)
        XCTAssertEqual(posted.balance.available, 70)
        XCTAssertEqual(posted.good.stock, 1)
        XCTAssertEqual(posted.good.reserved, 0)
        let venueAfter = try await world.account("volunteer:venue:market-1")
        XCTAssertEqual(venueAfter.balance, 30)
        XCTAssertEqual(venueAfter.account.creditsPending, 0)
        let confirmedAgain = try await world.confirmRedemption("order-post")
        XCTAssertEqual(confirmedAgain.transfer.result, .exists, "a repeated confirmation changes nothing")
        XCTAssertEqual(confirmedAgain.good.stock, 1)
        let cancelConfirmed = await assertRPCError(.failedPrecondition) {
            try await world.cancelRedemption("order-post")
        }
        XCTAssertTrue(cancelConfirmed?.message.contains("confirmed") == true, cancelConfirmed?.message ?? "")

        // Void: cancelled before the hand-over.
        let toCancel = try await world.redeem("order-void")
        XCTAssertEqual(toCancel.balance.available, 40)
        XCTAssertEqual(toCancel.good.reserved, 1)
        let voided = try await world.cancelRedemption("order-void")
        XCTAssertEqual(voided.redemption.state, .cancelled)
        XCTAssertEqual(voided.transfer.transfer.id, "redeem:order-void:void")
        XCTAssertTrue(voided.transfer.transfer.voidPending)
        XCTAssertEqual(voided.balance.balance, 70)
        XCTAssertEqual(voided.balance.available, 70)
        XCTAssertEqual(voided.good.stock, 1)
        XCTAssertEqual(voided.good.reserved, 0)
        await assertRPCError(.failedPrecondition) { try await world.confirmRedemption("order-void") }

        // Timeout: nobody comes for an hour.
        let waiting = try await world.redeem("order-timeout", timeoutSeconds: 3_600)
        let expiresAt = waiting.redemption.expiresAtMs
        XCTAssertEqual(expiresAt, PointsWorld.start + 3_600_000)
        XCTAssertEqual(waiting.good.reserved, 1)
        XCTAssertEqual(waiting.balance.available, 40)
        try world.setClock(expiresAt - 1)
        try await Task.sleep(for: .milliseconds(400))
        let stillHeld = try await world.redemption("order-timeout")
        XCTAssertEqual(stillHeld.state, .held, "not before its time")
        try world.setClock(expiresAt)
        try await pollUntil("the plugin voids the timed-out redemption") {
            try await world.redemption("order-timeout").state != .held
        }
        let expired = try await world.redemption("order-timeout")
        XCTAssertEqual(expired.state, .expired)
        XCTAssertEqual(expired.resolvedBy, "gongzhi-points")
        XCTAssertEqual(expired.resolutionTransferID, "redeem:order-timeout:void")
        let account = try await world.account(r1)
        XCTAssertEqual(account.balance, 70)
        XCTAssertEqual(account.available, 70, "the points are back")
        let rice = try await world.good()
        XCTAssertEqual(rice.stock, 1)
        XCTAssertEqual(rice.reserved, 0, "the item is free")
        let late = await assertRPCError(.failedPrecondition) { try await world.confirmRedemption("order-timeout") }
        XCTAssertTrue(late?.message.contains("expired") == true, late?.message ?? "")
        let history = try await world.history(r1)
        let void = try XCTUnwrap(history.first { $0.id == "redeem:order-timeout:void" })
        XCTAssertTrue(void.voidPending)
        XCTAssertEqual(void.recordedBy, "gongzhi-points")
        // The freed item is there for the next one.
        let next = try await world.redeem("order-next")
        XCTAssertEqual(next.redemption.state, .held)
        XCTAssertEqual(next.good.reserved, 1)
        try await world.checkBalancesAgainstTransfers()
    }

    /// 64 people redeem the last item at once, each on a connection of their own: one redemption is held, 63 are
    /// told it is sold out, and stock, reservations and balances are exact.
    func testSixtyFourRedeemersOfTheLastItemGetOneHeldAndSixtyThreeSoldOut() async throws {
        let world = try await PointsWorld.start(self)
        try await world.openIssuer()
        let accounts = (0..<64).map { "volunteer:resident:Q\($0)" }
        try await world.openAccounts(accounts)
        try await world.credit(Dictionary(uniqueKeysWithValues: accounts.map { ($0, 40) }))
        var lamp = Gongzhi_Points_V1_Good()
        lamp.id = "lamp"
        lamp.venueID = "market-1"
        lamp.name = "台灯"
        lamp.ledger = "volunteer"
        lamp.price = 30
        lamp.stock = 1
        lamp.active = true
        _ = try await world.points.putGood(lamp)

        let outcomes = await withTaskGroup(of: (String, Result<Gongzhi_Points_V1_RedemptionResult, any Error>).self) {
            group in
            for (index, account) in accounts.enumerated() {
                let points = world.ownConnection(self)
                group.addTask {
                    var request = Gongzhi_Points_V1_RedeemRequest()
                    request.id = "last-\(index)"
                    request.accountID = account
                    request.goodID = "lamp"
                    request.quantity = 1
                    return (account, await outcome { try await points.redeem(request) })
                }
            }
            var all: [(String, Result<Gongzhi_Points_V1_RedemptionResult, any Error>)] = []
            for await entry in group { all.append(entry) }
            return all
        }
        var winners: [String] = []
        var soldOut = 0
        for (account, result) in outcomes {
            switch result {
            case .success(let answer):
                XCTAssertEqual(answer.redemption.state, .held)
                XCTAssertEqual(answer.good.reserved, 1)
                winners.append(account)
            case .failure(let error as RPCError):
                XCTAssertEqual(error.code, .failedPrecondition, error.message)
                XCTAssertTrue(error.message.contains("sold out"), error.message)
                soldOut += 1
            case .failure(let error):
                XCTFail("\(account): \(error)")
            }
        }
        XCTAssertEqual(winners.count, 1, "\(winners)")
        XCTAssertEqual(soldOut, 63)
        let winner = try XCTUnwrap(winners.first)
        let reserved = try await world.good("lamp")
        XCTAssertEqual(reserved.stock, 1)
        XCTAssertEqual(reserved.reserved, 1)
        for account in accounts {
            let view = try await world.account(account)
            XCTAssertEqual(view.balance, 40)
            XCTAssertEqual(view.available, account == winner ? 10 : 40, account)
        }
        var held = Gongzhi_Points_V1_ListRedemptionsRequest()
        held.state = .held
        let listed = try await world.points.listRedemptions(held).redemptions
        XCTAssertEqual(listed.map(\.accountID), [winner])

        let handedOver = try await world.confirmRedemption(listed[0].id)
        XCTAssertEqual(handedOver.good.stock, 0)
        XCTAssertEqual(handedOver.good.reserved, 0)
        let after = await assertRPCError(.failedPrecondition) {
            try await world.redeem("too-late", account: accounts[0], good: "lamp")
        }
        XCTAssertTrue(after?.message.contains("sold out") == true, after?.message ?? "")
        let venue = try await world.balance("volunteer:venue:market-1")
        XCTAssertEqual(venue, 30)
        try await world.checkBalancesAgainstTransfers()
    }

    /// Points earned in November 2025 expire at the start of December 2026 (lots of 12 months): `Expiring` lists
    /// them beforehand; when the clock passes the date the plugin moves what is left of each lot to the ledger's
    /// expiry account with an explicit transfer. Points a held redemption holds stay until it is cancelled, and
    /// expire then.
    func testLotsExpireAsExplicitTransfersToTheExpiryAccountAndAreListedBeforehand() async throws {
        let world = try await PointsWorld.start(self)
        let points = world.points
        let r2 = "volunteer:resident:R2"
        _ = try await world.recordService("svc-nov", minutes: 180)
        let credited = try await world.confirmService("svc-nov")
        XCTAssertEqual(credited.state, .credited, credited.creditResult)
        var credit = Gongzhi_Points_V1_CreditRequest()
        credit.id = "r2-nov"
        credit.ruleCode = "deliberation"
        credit.holderKind = .resident
        credit.holderID = "R2"
        credit.amount = 40
        let r2Credit = try await points.credit(credit).results.map(\.result)
        XCTAssertEqual(r2Credit, [.ok])
        // December 2025: a credit whose lot lasts a month longer.
        try world.setClock(PointsWorld.nextMonth + 9 * 86_400_000)
        credit.id = "r1-dec"
        credit.holderID = "R1"
        credit.amount = 7
        let decemberCredit = try await points.credit(credit).results
        XCTAssertEqual(decemberCredit.map(\.result), [.ok])
        XCTAssertEqual(decemberCredit.first?.transfer.expiresAtMs, 1_798_732_800_000, "2027-01-01 00:00 in China")

        // 2026-11-25: R2 redeems rice for 30 of their 40 points (held until 2 December).
        try world.setClock(PointsWorld.novemberLotsExpire - 6 * 86_400_000)
        let held = try await world.redeem("r2-rice", account: r2)
        XCTAssertEqual(held.redemption.state, .held)
        // Who should be told: the November lots, held points counted too; December's lot is 37 days away.
        var expiring = Gongzhi_Points_V1_ExpiringRequest()
        expiring.withinSeconds = 30 * 86_400
        let soon = try await points.expiring(expiring)
        XCTAssertEqual(soon.lots.map(\.accountID), [r1, r2])
        XCTAssertEqual(soon.lots.map(\.points), [30, 40])
        XCTAssertEqual(soon.lots.map(\.expiresAtMs), [PointsWorld.novemberLotsExpire, PointsWorld.novemberLotsExpire])
        XCTAssertEqual(soon.lots.first?.holderName, "王小红")
        XCTAssertEqual(soon.totalPoints, 70)
        expiring.withinSeconds = 60 * 86_400
        let later = try await points.expiring(expiring)
        XCTAssertEqual(later.lots.map(\.points), [30, 40, 7], "December's lot within 60 days")

        try world.setClock(PointsWorld.novemberLotsExpire)
        try await pollUntil("the plugin expires R1's November points") {
            try await world.balance(r1) == 7
        }
        let history = try await world.history(r1)
        let expiry = try XCTUnwrap(history.first)
        XCTAssertEqual(expiry.code, "expiry")
        XCTAssertEqual(expiry.debitAccountID, r1)
        XCTAssertEqual(expiry.creditAccountID, "volunteer:expiry")
        XCTAssertEqual(expiry.amount, 30)
        XCTAssertEqual(expiry.recordedBy, "gongzhi-points")
        XCTAssertEqual(expiry.timestampMs, PointsWorld.novemberLotsExpire)
        let r1Lots = try await world.account(r1).account.lots
        XCTAssertEqual(r1Lots.map(\.remaining), [7])
        try await pollUntil("the plugin expires R2's free November points") {
            try await world.balance(r2) == 30
        }
        let r2Held = try await world.account(r2)
        XCTAssertEqual(r2Held.available, 0, "the 30 a held redemption holds stay held")
        let expiredSoFar = try await world.balance("volunteer:expiry")
        XCTAssertEqual(expiredSoFar, 30 + 10)

        // Cancelled after the date, the held points come back expired, and expire.
        let cancelled = try await world.cancelRedemption("r2-rice")
        XCTAssertEqual(cancelled.redemption.state, .cancelled)
        try await pollUntil("the plugin expires the points the cancelled redemption released") {
            try await world.balance(r2) == 0
        }
        let expiredAll = try await world.balance("volunteer:expiry")
        XCTAssertEqual(expiredAll, 30 + 40)
        let r2Expiries = try await world.history(r2).filter { $0.code == "expiry" }
        XCTAssertEqual(r2Expiries.map(\.amount).sorted(), [10, 30])
        expiring.withinSeconds = 30 * 86_400
        let nothingLeft = try await points.expiring(expiring)
        XCTAssertEqual(nothingLeft.totalPoints, 0, "January's lot is 31 days away: \(nothingLeft.lots)")
        try await world.checkBalancesAgainstTransfers()
    }
}
