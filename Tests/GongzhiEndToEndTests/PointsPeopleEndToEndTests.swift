import Foundation
import GongzhiPluginSDK
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// People using the points module through the real host with the built-in roles: a resident (居民) on their own
/// points, a team leader (团队负责人) confirming others' service, a redemption clerk (积分兑换点) within their
/// place, and an administrator acting as a person — each recorded by the person the host verified.
///
/// Besides ``PointsWorld``'s: 王小红 (person `wang-xiaohong`, resident R1, role `resident`), 赵刚 (`zhao-gang`,
/// resident R2, `team-leader`), 李店员 (`clerk-li`, `redemption-clerk`) and 陈社工 (`chen`, `community-staff`),
/// all in community 330199001001; venue `market-2` of community 330199001002 sells soap.
final class PointsPeopleEndToEndTests: XCTestCase {
    let r1 = "volunteer:resident:R1"
    let r2 = "volunteer:resident:R2"

    func startWorld() async throws -> PointsWorld {
        let world = try await PointsWorld.start(self)
        for (id, name, resident, role) in [
            ("wang-xiaohong", "王小红", "R1", "resident"), ("zhao-gang", "赵刚", "R2", "team-leader"),
            ("clerk-li", "李店员", "", "redemption-clerk"), ("chen", "陈社工", "", "community-staff"),
        ] {
            var person = Gongzhi_Core_V1_Person()
            person.id = id
            person.name = name
            person.residentID = resident
            try await PointsWorld.create(world.objects, "Person", id, person)
            var binding = Gongzhi_Core_V1_RoleBinding()
            binding.personID = id
            binding.role = role
            binding.placeCode = PointsWorld.community
            try await PointsWorld.create(world.objects, "RoleBinding", "\(id).\(role).\(binding.placeCode)", binding)
        }
        var venue = Gongzhi_Points_V1_Venue()
        venue.id = "market-2"
        venue.name = "东社区积分超市"
        venue.communityCode = PointsWorld.otherCommunity
        _ = try await world.points.putVenue(venue)
        var soap = Gongzhi_Points_V1_Good()
        soap.id = "soap"
        soap.venueID = "market-2"
        soap.name = "肥皂"
        soap.ledger = "volunteer"
        soap.price = 5
        soap.stock = 10
        soap.active = true
        _ = try await world.points.putGood(soap)
        try await world.openIssuer()
        try await world.openAccounts([r2])
        try await world.credit([r1: 45, r2: 50])
        return world
    }

    /// The points service as `person` calls it with a token of their own.
    func client(_ world: PointsWorld, as person: String) async throws -> Gongzhi_Points_V1_PointsClient {
        var request = Gongzhi_Host_V1_IssueTokenRequest()
        request.kind = .person
        request.subject = person
        let token = try await world.host.adminClient.issueToken(request)
        let channel = world.host.channel(token: token.token)
        addTeardownBlock { await channel.close() }
        return Gongzhi_Points_V1_PointsClient(channel: channel)
    }

    func expectDenied<T>(
        containing text: String,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> T
    ) async {
        let error = await assertRPCError(.permissionDenied, file: file, line: line, body)
        if let error {
            XCTAssertTrue(error.message.contains(text), "\"\(error.message)\" says \"\(text)\"", file: file, line: line)
        }
    }

    func testAResidentActsOnTheirOwnPointsOnly() async throws {
        let world = try await startWorld()
        let wang = try await client(world, as: "wang-xiaohong")

        var own = Gongzhi_Points_V1_GetAccountRequest()
        own.holderKind = .resident
        own.holderID = "R1"
        let mine = try await wang.getAccount(own)
        XCTAssertEqual(mine.account.id, r1)
        XCTAssertEqual(mine.balance, 50)
        var other = Gongzhi_Points_V1_GetAccountRequest()
        other.accountID = r2
        await expectDenied(containing: "own points only") { try await wang.getAccount(other) }
        var history = Gongzhi_Points_V1_HistoryRequest()
        history.accountID = r2
        await expectDenied(containing: "own points only") { try await wang.history(history) }
        history.accountID = r1
        let ownHistory = try await wang.history(history).transfers.map(\.id)
        XCTAssertEqual(ownHistory, ["grant:\(r1)", "open-issuer"])
        // Listing every account is staff's (the host refuses it to a resident).
        await assertRPCError(.permissionDenied) { try await wang.listAccounts(Gongzhi_Points_V1_ListAccountsRequest()) }

        // Redeeming and cancelling their own, not another's.
        let held = try await world.redeem("wang-rice", by: wang)
        XCTAssertEqual(held.redemption.state, .held)
        XCTAssertEqual(held.redemption.requestedBy, "wang-xiaohong")
        await expectDenied(containing: "own points only") {
            try await world.redeem("for-zhao", account: self.r2, by: wang)
        }
        let heldForZhao = try await world.redeem("zhao-rice", account: r2)
        await expectDenied(containing: "own points only") { try await world.cancelRedemption("zhao-rice", by: wang) }
        // Their hand-over is confirmed by the clerk, not by them (the host refuses: not a resident's method).
        await assertRPCError(.permissionDenied) { try await world.confirmRedemption("wang-rice", by: wang) }
        let cancelled = try await world.cancelRedemption("wang-rice", by: wang)
        XCTAssertEqual(cancelled.redemption.state, .cancelled)
        XCTAssertEqual(cancelled.redemption.resolvedBy, "wang-xiaohong")
        let stillHeld = try await world.redemption(heldForZhao.redemption.id)
        XCTAssertEqual(stillHeld.state, .held)
        let listed = try await wang.listRedemptions(Gongzhi_Points_V1_ListRedemptionsRequest()).redemptions
        XCTAssertEqual(listed.map(\.id), ["wang-rice"], "their own redemptions and no other")

        // Their own service, recorded; another's, refused; confirming their own, not theirs to do.
        let recorded = try await world.recordService("wang-service", by: wang)
        XCTAssertEqual(recorded.recordedBy, "wang-xiaohong")
        await expectDenied(containing: "own points only") {
            try await world.recordService("wang-for-zhao", resident: "R2", by: wang)
        }
        await assertRPCError(.permissionDenied) { try await world.confirmService("wang-service", by: wang) }
        // Moving points and reading the ledger's reports are not a resident's.
        var gift = Gongzhi_Points_V1_CreateTransfersRequest()
        gift.transfers = [PointsWorld.transfer("wang-gift", from: r1, to: r2, 1)]
        await assertRPCError(.permissionDenied) { try await wang.createTransfers(gift) }
        await assertRPCError(.permissionDenied) { try await wang.report(Gongzhi_Points_V1_ReportRequest()) }
        let balances = (try await world.balance(r1), try await world.balance(r2))
        XCTAssertEqual(balances.0, 50)
        XCTAssertEqual(balances.1, 50)
    }

    func testATeamLeaderConfirmsOthersServiceButNotTheirOwnAndActingAsAPersonRecordsThatPerson() async throws {
        let world = try await startWorld()
        let zhao = try await client(world, as: "zhao-gang")

        let othersRecord = try await world.recordService("r1-service", resident: "R1", by: zhao)
        XCTAssertEqual(othersRecord.recordedBy, "zhao-gang")
        let confirmed = try await world.confirmService("r1-service", by: zhao)
        XCTAssertEqual(confirmed.state, .credited, confirmed.creditResult)
        XCTAssertEqual(confirmed.confirmedBy, "zhao-gang")
        let r1History = try await world.history(r1)
        let credit = try XCTUnwrap(r1History.first)
        XCTAssertEqual(credit.id, "service:r1-service")
        XCTAssertEqual(credit.recordedBy, "zhao-gang")

        let ownRecord = try await world.recordService("r2-service", resident: "R2", by: zhao)
        XCTAssertEqual(ownRecord.state, .recorded)
        await expectDenied(containing: "own service") { try await world.confirmService("r2-service", by: zhao) }
        // Named by an administrator, still the same person: still refused.
        let asZhao = Gongzhi_Points_V1_PointsClient(
            channel: world.host.admin.addingMetadata(["gongzhi-act-as": "zhao-gang"])
        )
        await expectDenied(containing: "own service") { try await world.confirmService("r2-service", by: asZhao) }
        let unconfirmed = try await world.balance(r2)
        XCTAssertEqual(unconfirmed, 50)
        // A team leader credits nothing by hand.
        var credit2 = Gongzhi_Points_V1_CreditRequest()
        credit2.id = "zhao-credit"
        credit2.ruleCode = "deliberation"
        credit2.holderKind = .resident
        credit2.holderID = "R2"
        await assertRPCError(.permissionDenied) { try await zhao.credit(credit2) }

        // An administrator acting as 陈社工 confirms it: recorded as 陈社工, not as the administrator.
        let asChen = Gongzhi_Points_V1_PointsClient(
            channel: world.host.admin.addingMetadata(["gongzhi-act-as": "chen"])
        )
        let confirmedByChen = try await world.confirmService("r2-service", by: asChen)
        XCTAssertEqual(confirmedByChen.state, .credited, confirmedByChen.creditResult)
        XCTAssertEqual(confirmedByChen.confirmedBy, "chen")
        let r2History = try await world.history(r2)
        let r2Credit = try XCTUnwrap(r2History.first)
        XCTAssertEqual(r2Credit.id, "service:r2-service")
        XCTAssertEqual(r2Credit.recordedBy, "chen")
        let byHand = try await asChen.credit(credit2)
        XCTAssertEqual(byHand.results.map(\.result), [.ok])
        XCTAssertEqual(byHand.results.first?.transfer.recordedBy, "chen")
        // The administrator as themself is recorded as the administrator.
        credit2.id = "admin-credit"
        let byAdmin = try await world.points.credit(credit2)
        let adminActor = byAdmin.results.first?.transfer.recordedBy ?? ""
        XCTAssertTrue(adminActor.hasPrefix("admin:uid="), adminActor)
        // Acting as a person outside the community: 陈社工 manages 330199001001 only.
        var elsewhere = Gongzhi_Points_V1_Venue()
        elsewhere.id = "market-3"
        elsewhere.name = "西社区积分超市"
        elsewhere.communityCode = PointsWorld.otherCommunity
        await expectDenied(containing: "outside the places") { try await asChen.putVenue(elsewhere) }
    }

    func testARedemptionClerkConfirmsHandOversWithinTheirPlaceOnly() async throws {
        let world = try await startWorld()
        let clerk = try await client(world, as: "clerk-li")
        _ = try await world.redeem("rice-here", account: r1)
        _ = try await world.redeem("soap-there", account: r1, good: "soap")

        let handed = try await world.confirmRedemption("rice-here", by: clerk)
        XCTAssertEqual(handed.redemption.state, .confirmed)
        XCTAssertEqual(handed.redemption.resolvedBy, "clerk-li")
        XCTAssertEqual(handed.good.stock, 1)
        let r1History = try await world.history(r1)
        let post = try XCTUnwrap(r1History.first)
        XCTAssertEqual(post.id, "redeem:rice-here:post")
        XCTAssertEqual(post.recordedBy, "clerk-li")

        await expectDenied(containing: "outside the places") {
            try await world.confirmRedemption("soap-there", by: clerk)
        }
        await expectDenied(containing: "outside the places") {
            try await world.cancelRedemption("soap-there", by: clerk)
        }
        let untouched = try await world.redemption("soap-there")
        XCTAssertEqual(untouched.state, .held, "the refused steps changed nothing")
        // At the counter, the clerk redeems for a resident at their own venue, not at another's.
        let atCounter = try await world.redeem("counter-rice", account: r2, by: clerk)
        XCTAssertEqual(atCounter.redemption.requestedBy, "clerk-li")
        await expectDenied(containing: "account \(r2)") {
            try await world.redeem("counter-soap", account: self.r2, good: "soap", by: clerk)
        }
        // Nor does the clerk credit or move points.
        var gift = Gongzhi_Points_V1_CreateTransfersRequest()
        gift.transfers = [PointsWorld.transfer("clerk-gift", from: r1, to: r2, 1)]
        await assertRPCError(.permissionDenied) { try await clerk.createTransfers(gift) }
        try await world.checkBalancesAgainstTransfers()
    }
}
