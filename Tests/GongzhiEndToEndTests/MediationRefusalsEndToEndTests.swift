import Foundation
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// What the mediation plugin refuses, through the real host: every step a dispute's state does not allow
/// (FAILED_PRECONDITION naming the state and the steps it allows, in each of the nine states), mediators who may
/// not mediate the dispute, an unknown dispute (NOT_FOUND) and malformed requests (INVALID_ARGUMENT) — after which
/// the plugin and the host still serve.
final class MediationRefusalsEndToEndTests: XCTestCase {
    typealias World = MediationWorld
    typealias Step = (name: String, call: (String) async throws -> Gongzhi_Mediation_V1_Dispute)

    /// Every step of the procedure, each with a request that is right in itself, as 胡伟 takes it.
    func steps(_ world: MediationWorld) -> [Step] {
        let hu = world.mediation(as: World.mediator)
        let agreement = World.agreement(repairBy: World.china(2026, 3, 10), payBy: World.china(2026, 3, 20))
        return [
            ("accept", { id in try await world.accept(id) }),
            (
                "decline",
                { id in
                    try await hu.decline(
                        .with {
                            $0.disputeID = id
                            $0.reason = "不属于调解范围"
                        }
                    )
                }
            ),
            (
                "refuse",
                { id in
                    try await hu.refuse(
                        .with {
                            $0.disputeID = id
                            $0.partyID = "p1"
                        }
                    )
                }
            ),
            ("assign mediators", { id in try await world.assign(id) }),
            ("record session", { id in try await world.session(id) }),
            ("draft agreement", { id in try await world.draft(id, agreement) }),
            ("sign", { id in try await world.sign(id, .party, "p1") }),
            ("seal", { id in try await world.seal(id) }),
            ("fail", { id in try await world.fail(id) }),
            (
                "extend",
                { id in
                    try await hu.extend(
                        .with {
                            $0.disputeID = id
                            $0.days = 10
                            $0.consentingPartyIds = ["p1", "p2"]
                        }
                    )
                }
            ),
            (
                "inform confirmation",
                { id in
                    try await hu.informConfirmation(
                        .with {
                            $0.disputeID = id
                            $0.partyIds = ["p1"]
                        }
                    )
                }
            ),
            (
                "apply for confirmation",
                { id in
                    try await hu.applyForConfirmation(
                        .with {
                            $0.disputeID = id
                            $0.court = "某区人民法院"
                        }
                    )
                }
            ),
            (
                "record court decision",
                { id in
                    try await hu.recordCourtDecision(
                        .with {
                            $0.disputeID = id
                            $0.step = .accepted
                        }
                    )
                }
            ),
            (
                "remediate",
                { id in
                    try await hu.remediate(
                        .with {
                            $0.disputeID = id
                            $0.note = "重新调解"
                        }
                    )
                }
            ),
            (
                "record follow-up",
                { id in
                    try await hu.recordFollowUp(
                        .with {
                            $0.disputeID = id
                            $0.followUp.finding = "回访"
                        }
                    )
                }
            ),
            ("record performance", { id in try await world.perform(id, "o1") }),
        ]
    }

    /// Every step in every state that does not allow it: refused with the state and the steps it allows, as
    /// Docs/mediation.md's table gives them, and nothing changes.
    func testEveryStepTheStateDoesNotAllowIsRefusedNamingTheStateAndTheStepsItAllows() async throws {
        let world = try await MediationWorld.start(self)
        let all = steps(world)
        XCTAssertEqual(all.count, 16, "every verb but apply")
        let table: [(state: Gongzhi_Mediation_V1_DisputeState, word: String, allowed: [String])] = [
            (.applied, "applied", ["accept", "decline", "refuse"]),
            (.accepted, "accepted", ["assign mediators", "refuse", "fail", "extend"]),
            (
                .mediating, "mediating",
                ["assign mediators", "record session", "draft agreement", "refuse", "fail", "extend"]
            ),
            (
                .agreementDrafted, "agreement drafted",
                ["draft agreement", "sign", "seal", "record session", "refuse", "fail", "extend"]
            ),
            (
                .agreed, "agreed",
                [
                    "inform confirmation", "apply for confirmation", "record court decision", "remediate", "fail",
                    "record follow-up", "record performance",
                ]
            ),
            (
                .performed, "performed",
                ["inform confirmation", "apply for confirmation", "record court decision", "record follow-up"]
            ),
            (.failed, "failed", []),
            (.refused, "refused", []),
            (.declined, "declined", []),
        ]
        var refused = 0
        for entry in table {
            let value = try await world.dispute(in: entry.state)
            XCTAssertEqual(value.state, entry.state)
            let allows = entry.allowed.isEmpty ? "none: it is final" : entry.allowed.joined(separator: ", ")
            for step in all where !entry.allowed.contains(step.name) {
                let message = await assertRPCError(.failedPrecondition, saying: []) { try await step.call(value.id) }
                XCTAssertEqual(
                    message,
                    "dispute \(value.id) is \(entry.word): it cannot \(step.name); the steps it allows: \(allows)"
                )
                refused += 1
            }
            let after = try await world.get(value.id)
            XCTAssertEqual(after, value, "the refused steps changed nothing in the \(entry.word) dispute")
        }
        XCTAssertEqual(refused, 113, "every step each of the nine states does not allow")
        let status = try await world.host.status("mediation")
        XCTAssertEqual(status.state, "ready")
        XCTAssertEqual(status.restarts, 0)
    }

    func testMediatorsWhoAreNoPersonSuspendedNotMediatorsHereOrRelatedToAPartyAreRefused() async throws {
        let world = try await MediationWorld.start(self)
        let id = try await world.dispute(in: .accepted).id
        await assertRPCError(.failedPrecondition, saying: ["there is no person nobody"]) {
            try await world.assign(id, mediator: "nobody")
        }
        // A grid worker is not a mediator; the message says how to make one.
        await assertRPCError(
            .failedPrecondition,
            saying: [
                "\(World.gridWorker) is not a mediator for \(World.grid)",
                "gongzhictl people bind \(World.gridWorker) --role mediator --place \(World.community)",
            ]
        ) { try await world.assign(id, mediator: World.gridWorker) }
        // A mediator of the other community is not one here.
        await assertRPCError(.failedPrecondition, saying: ["\(World.otherMediator) is not a mediator for"]) {
            try await world.assign(id, mediator: World.otherMediator)
        }
        // 张军 mediates in this community, but lives in 张桂兰's household (Art 19 read with Art 20).
        await assertRPCError(.failedPrecondition, saying: ["张军", "household", "张桂兰"]) {
            try await world.assign(id, mediator: World.relatedMediator)
        }
        // A mediator of this community who is suspended.
        var suspended = Gongzhi_Core_V1_Person()
        suspended.id = "zhao-lei"
        suspended.name = "赵磊"
        suspended.state = .suspended
        suspended.suspendedReason = "调离"
        try await PointsWorld.create(world.objects, "Person", suspended.id, suspended)
        var binding = Gongzhi_Core_V1_RoleBinding()
        binding.personID = suspended.id
        binding.role = "mediator"
        binding.placeCode = World.community
        try await PointsWorld.create(world.objects, "RoleBinding", "zhao-lei.mediator.\(World.community)", binding)
        await assertRPCError(.failedPrecondition, saying: ["赵磊 (zhao-lei) is suspended", "调离"]) {
            try await world.assign(id, mediator: "zhao-lei")
        }
        let unchanged = try await world.get(id)
        XCTAssertEqual(unchanged.state, .accepted)
        XCTAssertEqual(unchanged.mediators, [])
        let assigned = try await world.assign(id)
        XCTAssertEqual(assigned.state, .mediating)
    }

    func testAnUnknownDisputeIsNotFoundAndMalformedRequestsAreInvalidAndTheServiceGoesOn() async throws {
        let world = try await MediationWorld.start(self)
        let hu = world.mediation(as: World.mediator)
        let known = try await world.dispute(in: .agreementDrafted)

        // Unknown disputes, on reads and on steps.
        let missing = "MD-000000000000"
        let notFound = "there is no dispute \(missing)"
        var get = Gongzhi_Mediation_V1_GetDisputeRequest()
        get.disputeID = missing
        await assertRPCError(.notFound, saying: [notFound]) { try await hu.getDispute(get) }
        await assertRPCError(.notFound, saying: [notFound]) { try await world.admin.getSummary(get) }
        await assertRPCError(.notFound, saying: [notFound]) { try await world.accept(missing) }
        await assertRPCError(.notFound, saying: [notFound]) { try await world.session(missing) }
        await assertRPCError(.notFound, saying: [notFound]) {
            try await hu.print(.with { $0.disputeID = missing })
        }
        await assertRPCError(.notFound, saying: [notFound]) {
            try await hu.checkAgreement(.with { $0.disputeID = missing })
        }

        // Malformed requests: each names what is wrong.
        get.disputeID = ""
        await assertRPCError(.invalidArgument, saying: ["dispute_id is empty"]) { try await hu.getDispute(get) }
        await assertRPCError(.invalidArgument, saying: ["dispute_id is empty"]) { try await world.accept("") }
        var untyped = World.application()
        untyped.type = .unspecified
        await assertRPCError(.invalidArgument, saying: ["type is required"]) { try await world.apply(untyped) }
        var nowhere = World.application()
        nowhere.placeCode = "3301"
        await assertRPCError(.invalidArgument, saying: ["\"3301\"", "neither a grid"]) {
            try await world.apply(nowhere)
        }
        var alone = World.application()
        alone.parties.removeLast()
        await assertRPCError(.invalidArgument, saying: ["at least two parties"]) { try await world.apply(alone) }
        var nameless = World.application()
        nameless.parties[1].name = ""
        nameless.parties[1].residentID = ""
        await assertRPCError(.invalidArgument, saying: ["party 2 (p2) has no name"]) {
            try await world.apply(nameless)
        }
        var stranger = World.application()
        stranger.parties[1].residentID = "R-none"
        await assertRPCError(.invalidArgument, saying: ["there is no resident R-none"]) {
            try await world.apply(stranger)
        }
        var referred = World.application()
        referred.source = .gridCase
        referred.referralID = "C1"
        await assertRPCError(.invalidArgument, saying: ["hand-over"]) { try await world.apply(referred) }

        let appliedOnly = try await world.dispute(in: .applied).id
        var halfAnswered = Gongzhi_Mediation_V1_AcceptRequest()
        halfAnswered.disputeID = appliedOnly
        var onlyHers = Gongzhi_Mediation_V1_Consent()
        onlyHers.partyID = "p1"
        onlyHers.consents = true
        halfAnswered.consents = [onlyHers]
        await assertRPCError(.invalidArgument, saying: ["no answer from 李建国 (p2)"]) {
            try await hu.accept(halfAnswered)
        }
        var extend = Gongzhi_Mediation_V1_ExtendRequest()
        extend.disputeID = known.id
        extend.consentingPartyIds = ["p1", "p2"]
        extend.days = 91
        await assertRPCError(.invalidArgument, saying: ["1 to 90 days", "91"]) { try await hu.extend(extend) }
        var court = Gongzhi_Mediation_V1_RecordCourtDecisionRequest()
        court.disputeID = known.id
        await assertRPCError(.invalidArgument, saying: ["accepted, extended, confirmed or refused"]) {
            try await hu.recordCourtDecision(court)
        }
        await assertRPCError(.invalidArgument, saying: ["party or a mediator"]) {
            try await world.sign(known.id, .unspecified, "p1")
        }
        var blank = Gongzhi_Mediation_V1_RecordSessionRequest()
        blank.disputeID = known.id
        blank.session.mediatorIds = [World.mediator]
        await assertRPCError(.invalidArgument, saying: ["record is required"]) { try await hu.recordSession(blank) }
        var huge = Gongzhi_Mediation_V1_ListDisputesRequest()
        huge.pageSize = 501
        await assertRPCError(.invalidArgument, saying: ["page_size 501"]) { try await hu.listDisputes(huge) }
        var forged = Gongzhi_Mediation_V1_ListDisputesRequest()
        forged.pageToken = "not-a-token"
        await assertRPCError(.invalidArgument, saying: ["page_token"]) { try await hu.listSummaries(forged) }
        var backwards = Gongzhi_Mediation_V1_StatsRequest()
        backwards.fromMs = World.start
        backwards.toMs = World.start - 1
        await assertRPCError(.invalidArgument, saying: ["before it begins"]) { try await hu.stats(backwards) }

        // Nothing was written by any of them, and the plugin and the host go on serving.
        let unchanged = try await world.get(known.id)
        XCTAssertEqual(unchanged, known)
        let status = try await world.host.status("mediation")
        XCTAssertEqual(status.state, "ready")
        XCTAssertEqual(status.restarts, 0)
        let next = try await world.apply()
        XCTAssertEqual(next.state, .applied)
        let listed = try await world.admin.listDisputes(Gongzhi_Mediation_V1_ListDisputesRequest()).disputes
        XCTAssertEqual(Set(listed.map(\.id)), [known.id, appliedOnly, next.id])
        // Newest first: by application time, then id (all three applied at the same moment here).
        XCTAssertEqual(listed.map(\.id), [known.id, appliedOnly, next.id].sorted(by: >))
        // Page by page, as 胡伟 reads them through the host: the same order, each once.
        var paging = Gongzhi_Mediation_V1_ListDisputesRequest()
        paging.pageSize = 1
        var paged: [String] = []
        repeat {
            let page = try await hu.listDisputes(paging)
            XCTAssertLessThanOrEqual(page.disputes.count, 1)
            paged += page.disputes.map(\.id)
            paging.pageToken = page.nextPageToken
        } while !paging.pageToken.isEmpty && paged.count < 10
        XCTAssertEqual(paged, listed.map(\.id))
        var drafted = Gongzhi_Mediation_V1_ListDisputesRequest()
        drafted.states = [.agreementDrafted]
        drafted.mediatorID = World.mediator
        let filtered = try await hu.listDisputes(drafted).disputes.map(\.id)
        XCTAssertEqual(filtered, [known.id])
    }
}
