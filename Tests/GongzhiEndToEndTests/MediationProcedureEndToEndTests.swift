import Foundation
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// The procedure of people's mediation through the real host and the real mediation plugin, each step taken by a
/// mediator the host verified: a neighbour dispute from the application to a performed agreement and its
/// follow-up, a party who refuses at acceptance or later (Art 17, Art 23), a failure with the other routes told
/// (Art 26), and the agreement checker's refusals before signing (Art 29; 法释〔2011〕5号 Art 4).
final class MediationProcedureEndToEndTests: XCTestCase {
    typealias World = MediationWorld

    func testALeakingCeilingGoesFromApplicationToAPerformedAgreementAndItsFollowUp() async throws {
        let world = try await MediationWorld.start(self)
        let hu = world.mediation(as: World.mediator)

        // 张桂兰 applies at the committee's desk; 胡伟 records it. A retry with the same key answers the same dispute.
        let applied = try await world.apply(by: hu, World.application(key: "desk-2026-03-02-1"))
        let id = applied.id
        XCTAssertNotNil(id.wholeMatch(of: /MD-[0-9a-f]{12}/), id)
        XCTAssertEqual(applied.state, .applied)
        XCTAssertEqual(applied.placeCode, World.grid)
        XCTAssertEqual(applied.gridCode, World.grid)
        XCTAssertEqual(applied.communityCode, World.community)
        XCTAssertEqual(applied.streetCode, World.street)
        XCTAssertEqual(applied.parties.map(\.householdID), ["H1", "H2"], "filled in from the residents")
        XCTAssertEqual(applied.parties.map(\.phone), [World.applicantPhone, World.respondentPhone])
        XCTAssertEqual(applied.facts, World.facts, "the mediator sees the facts")
        XCTAssertEqual(applied.appliedAtMs, World.start)
        let retried = try await world.apply(by: hu, World.application(key: "desk-2026-03-02-1"))
        XCTAssertEqual(retried.id, id)
        XCTAssertEqual(retried.history.count, 1, "the retry opened nothing new")

        // Both consent: accepted, the month runs.
        let accepted = try await world.accept(id)
        XCTAssertEqual(accepted.state, .accepted)
        XCTAssertEqual(accepted.acceptedAtMs, World.start)
        XCTAssertEqual(accepted.consents.map(\.consents), [true, true])

        try world.setClock(World.start + 2 * 3_600_000)
        let assigned = try await world.assign(id)
        XCTAssertEqual(assigned.state, .mediating)
        XCTAssertEqual(assigned.mediators.map(\.personID), [World.mediator])
        XCTAssertEqual(assigned.mediators.map(\.name), ["胡伟"], "the name is the Person's")
        XCTAssertEqual(assigned.mediators.first?.assignedAtMs, World.start + 2 * 3_600_000)
        let met = try await world.session(id)
        XCTAssertEqual(met.state, .mediating)
        XCTAssertEqual(met.sessions.map(\.number), [1])
        XCTAssertEqual(met.sessions.first?.record, World.record)
        let repairBy = World.china(2026, 3, 10)
        let payBy = World.china(2026, 3, 20)
        let drafted = try await world.draft(id, World.agreement(repairBy: repairBy, payBy: payBy))
        XCTAssertEqual(drafted.state, .agreementDrafted)
        XCTAssertEqual(drafted.agreement.obligations.map(\.id), ["o1", "o2"])

        // Three signatures and the seal: the agreement takes effect with the last of them.
        for (role, signer) in [
            (Gongzhi_Mediation_V1_Signature.Role.party, "p1"), (.party, "p2"), (.mediator, World.mediator),
        ] {
            let signed = try await world.sign(id, role, signer)
            XCTAssertEqual(signed.state, .agreementDrafted, "signed by \(signer), not yet sealed")
            XCTAssertEqual(signed.agreement.effectiveAtMs, 0)
        }
        try world.setClock(World.start + 3 * 3_600_000)
        let sealed = try await world.seal(id)
        XCTAssertEqual(sealed.state, .agreed)
        XCTAssertEqual(sealed.agreement.signatures.map(\.signerID), ["p1", "p2", World.mediator])
        XCTAssertEqual(sealed.agreement.sealedByID, World.mediator)
        XCTAssertEqual(sealed.agreement.number, "（2026）幸调字第7号")
        XCTAssertEqual(sealed.agreement.effectiveAtMs, World.start + 3 * 3_600_000)

        var inform = Gongzhi_Mediation_V1_InformConfirmationRequest()
        inform.disputeID = id
        inform.partyIds = ["p1", "p2"]
        let informed = try await hu.informConfirmation(inform)
        XCTAssertEqual(informed.confirmation.informedPartyIds, ["p1", "p2"])
        XCTAssertEqual(informed.state, .agreed)

        // Each obligation performed: the second ends the dispute.
        try world.setClock(World.china(2026, 3, 9, 18))
        let repaired = try await world.perform(id, "o1")
        XCTAssertEqual(repaired.state, .agreed)
        try world.setClock(World.china(2026, 3, 15, 9))
        let paid = try await world.perform(id, "o2")
        XCTAssertEqual(paid.state, .performed)
        XCTAssertEqual(paid.closedAtMs, World.china(2026, 3, 15, 9))
        XCTAssertEqual(paid.performances.map(\.obligationID), ["o1", "o2"])
        XCTAssertEqual(paid.performances.map(\.outcome), [.performed, .performed])

        // The follow-up visit (回访) after it.
        try world.setClock(World.china(2026, 3, 25, 15))
        var visit = Gongzhi_Mediation_V1_RecordFollowUpRequest()
        visit.disputeID = id
        visit.followUp.obligationID = "o1"
        visit.followUp.finding = "回访：天花板已干燥，张桂兰满意"
        let followed = try await hu.recordFollowUp(visit)
        XCTAssertEqual(followed.state, .performed)
        XCTAssertEqual(followed.followUps.map(\.visitorID), [World.mediator])
        XCTAssertEqual(followed.followUps.first?.atMs, World.china(2026, 3, 25, 15))

        // The whole history, every step by the person the host verified.
        let shown = try await world.get(id)
        XCTAssertEqual(
            shown.history.map(\.action),
            [
                .apply, .accept, .assignMediators, .recordSession, .draftAgreement, .sign, .sign, .sign, .seal,
                .informConfirmation, .recordPerformance, .recordPerformance, .recordFollowUp,
            ]
        )
        XCTAssertEqual(Set(shown.history.map(\.actorID)), [World.mediator])
        XCTAssertEqual(Set(shown.history.map(\.actor)), ["胡伟"])
        XCTAssertEqual(shown.history.last?.to, .performed)
        XCTAssertTrue(shown.history[8].note.contains("takes effect"), shown.history[8].note)

        // The host stores it as an object of the plugin's kind, in its place, labelled for selection.
        var get = Gongzhi_Host_V1_GetRequest()
        get.kind = "Dispute"
        get.id = id
        let stored = try await world.objects.get(get)
        XCTAssertEqual(stored.owner, "mediation")
        XCTAssertEqual(stored.parent, World.grid)
        XCTAssertEqual(stored.labels["state"], "performed")
        XCTAssertEqual(stored.labels["type"], "neighbour")
        XCTAssertEqual(stored.labels["grid"], World.grid)
        XCTAssertEqual(stored.labels["community"], World.community)
        XCTAssertEqual(try Gongzhi_Mediation_V1_Dispute(serializedBytes: stored.data), shown)

        // The agreement prints for the mediator as a document naming the parties.
        var print = Gongzhi_Mediation_V1_PrintRequest()
        print.disputeID = id
        let printed = try await hu.print(print)
        XCTAssertEqual(printed.fileName, "\(id)-agreement.html")
        for text in ["人民调解协议书", "张桂兰", "李建国", "（2026）幸调字第7号"] {
            XCTAssertTrue(printed.html.contains(text), "the printed agreement names \(text):\n\(printed.html)")
        }
    }

    func testAPartyWhoDoesNotConsentEndsTheDisputeAndAPartyMayRefuseLater() async throws {
        let world = try await MediationWorld.start(self)

        // At acceptance: 李建国 does not consent. It may not be mediated (Art 17).
        let unwilling = try await world.apply()
        let refused = try await world.accept(unwilling.id, refusing: "p2")
        XCTAssertEqual(refused.state, .refused)
        XCTAssertEqual(refused.refusal.partyID, "p2")
        XCTAssertEqual(refused.refusal.reason, "不同意调解，要去法院起诉")
        XCTAssertEqual(refused.closedAtMs, World.start)
        XCTAssertEqual(refused.acceptedAtMs, 0, "never accepted")
        XCTAssertEqual(refused.history.last?.action, .accept)
        XCTAssertTrue(refused.history.last?.note.contains("Art 17") == true, refused.history.last?.note ?? "")
        await assertRPCError(.failedPrecondition, saying: ["is refused", "none: it is final"]) {
            try await world.assign(unwilling.id)
        }

        // Later, in the middle of mediation: 张桂兰 decides to sue instead (Art 23).
        let mediating = try await world.dispute(in: .mediating)
        var refuse = Gongzhi_Mediation_V1_RefuseRequest()
        refuse.disputeID = mediating.id
        refuse.partyID = "p9"
        refuse.reason = "决定向法院起诉"
        let hu = world.mediation(as: World.mediator)
        await assertRPCError(.invalidArgument, saying: ["no party \"p9\"", "p1, p2"]) { try await hu.refuse(refuse) }
        refuse.partyID = "p1"
        try world.setClock(World.start + 86_400_000)
        let ended = try await hu.refuse(refuse)
        XCTAssertEqual(ended.state, .refused)
        XCTAssertEqual(ended.refusal.partyID, "p1")
        XCTAssertEqual(ended.closedAtMs, World.start + 86_400_000)
        XCTAssertEqual(ended.sessions.count, 1, "what was recorded stays")
        XCTAssertEqual(ended.history.last?.from, .mediating)
        XCTAssertEqual(ended.history.last?.to, .refused)
        await assertRPCError(.failedPrecondition, saying: ["is refused"]) { try await world.session(mediating.id) }
        var summary = Gongzhi_Mediation_V1_GetDisputeRequest()
        summary.disputeID = mediating.id
        let followed = try await world.mediation(as: World.staff).getSummary(summary)
        XCTAssertEqual(followed.state, .refused)
        XCTAssertEqual(followed.nextDeadlineMs, 0, "no clock runs for a refused dispute")
    }

    func testAFailedMediationRecordsTheRoutesEveryPartyWasToldOf() async throws {
        let world = try await MediationWorld.start(self)
        let id = try await world.dispute(in: .mediating).id
        let hu = world.mediation(as: World.mediator)
        var fail = Gongzhi_Mediation_V1_FailRequest()
        fail.disputeID = id
        fail.reason = "双方对赔偿金额分歧过大"
        fail.toldPartyIds = ["p1", "p2"]
        await assertRPCError(.invalidArgument, saying: ["routes", "Art 26"]) { try await hu.fail(fail) }
        fail.routes = [.judicial, .administrative]
        fail.toldPartyIds = ["p1"]
        await assertRPCError(.invalidArgument, saying: ["not told", "李建国 (p2)"]) { try await hu.fail(fail) }
        fail.toldPartyIds = ["p1", "p2"]
        fail.reason = " "
        await assertRPCError(.invalidArgument, saying: ["reason"]) { try await hu.fail(fail) }
        let unchanged = try await world.get(id)
        XCTAssertEqual(unchanged.state, .mediating, "the refused steps changed nothing")

        fail.reason = "双方对赔偿金额分歧过大"
        try world.setClock(World.start + 7 * 86_400_000)
        let failed = try await hu.fail(fail)
        XCTAssertEqual(failed.state, .failed)
        XCTAssertEqual(failed.failure.routes, [.judicial, .administrative])
        XCTAssertEqual(failed.failure.toldPartyIds, ["p1", "p2"])
        XCTAssertEqual(failed.failure.reason, "双方对赔偿金额分歧过大")
        XCTAssertEqual(failed.failure.atMs, World.start + 7 * 86_400_000)
        XCTAssertEqual(failed.closedAtMs, World.start + 7 * 86_400_000)
        XCTAssertEqual(failed.history.last?.action, .fail)
        XCTAssertEqual(failed.history.last?.note, "routes told: judicial, administrative")
        XCTAssertEqual(failed.history.last?.actorID, World.mediator)
        await assertRPCError(.failedPrecondition, saying: ["is failed", "none: it is final"]) {
            try await world.session(id)
        }
        // An agreement in effect does not fail while it stands.
        let agreed = try await world.dispute(in: .agreed)
        fail.disputeID = agreed.id
        await assertRPCError(.failedPrecondition, saying: ["in effect", "court"]) { try await hu.fail(fail) }
        let stats = try await world.admin.stats(Gongzhi_Mediation_V1_StatsRequest())
        XCTAssertEqual(stats.disputes, 2)
        XCTAssertEqual(stats.concluded, 2, "the failed and the agreed")
        XCTAssertEqual(stats.resolved, 1)
    }

    func testTheAgreementCheckerNamesEveryProblemBeforeSigningAndDraftingRefusesIt() async throws {
        let world = try await MediationWorld.start(self)
        let hu = world.mediation(as: World.mediator)

        // No agreement before a session.
        let accepted = try await world.dispute(in: .accepted)
        _ = try await world.assign(accepted.id)
        let good = World.agreement(repairBy: World.china(2026, 3, 10), payBy: World.china(2026, 3, 20))
        await assertRPCError(.failedPrecondition, saying: ["no session"]) {
            try await world.draft(accepted.id, good)
        }

        let id = try await world.dispute(in: .mediating).id
        func check(_ agreement: Gongzhi_Mediation_V1_Agreement) async throws -> [String] {
            var request = Gongzhi_Mediation_V1_CheckAgreementRequest()
            request.disputeID = id
            request.agreement = agreement
            return try await hu.checkAgreement(request).problems
        }
        let fine = try await check(good)
        XCTAssertEqual(fine, [])

        // An empty draft: every missing part of Art 29, named at once.
        let empty = try await check(Gongzhi_Mediation_V1_Agreement())
        let expected = ["张桂兰 (p1)", "纠纷的主要事实", "争议事项", "各方当事人的责任", "协议内容", "履行方式、时限"]
        XCTAssertEqual(empty.count, expected.count, "\(empty)")
        for (problem, word) in zip(empty, expected) {
            XCTAssertTrue(problem.contains(word), "\"\(problem)\" names \(word)")
        }
        XCTAssertTrue(empty.first?.contains("李建国 (p2)") == true, "\(empty)")

        // An obligation without its method and deadline.
        var vague = good
        vague.obligations[0].method = ""
        vague.obligations[0].deadlineMs = 0
        let vagueProblems = try await check(vague)
        XCTAssertEqual(vagueProblems.count, 2, "\(vagueProblems)")
        XCTAssertTrue(vagueProblems.allSatisfy { $0.contains("obligation o1") }, "\(vagueProblems)")
        XCTAssertTrue(vagueProblems.contains { $0.contains("履行方式") }, "\(vagueProblems)")
        XCTAssertTrue(vagueProblems.contains { $0.contains("履行期限") }, "\(vagueProblems)")

        // A matter of a marriage relation, which a court will not confirm.
        var marriage = good
        var divorce = Gongzhi_Mediation_V1_Matter()
        divorce.summary = "解除婚姻关系"
        divorce.kind = .marriage
        marriage.matters.append(divorce)
        let marriageProblems = try await check(marriage)
        XCTAssertEqual(marriageProblems.count, 1, "\(marriageProblems)")
        for word in ["解除婚姻关系", "婚姻关系", "法释〔2011〕5号"] {
            XCTAssertTrue(marriageProblems.first?.contains(word) == true, "\(marriageProblems) names \(word)")
        }

        // Drafting refuses the same, naming every problem, and stores nothing.
        await assertRPCError(.failedPrecondition, saying: ["cannot be signed", "婚姻关系"]) {
            try await world.draft(id, marriage)
        }
        await assertRPCError(.failedPrecondition, saying: ["cannot be signed", "履行方式", "履行期限"]) {
            try await world.draft(id, vague)
        }
        await assertRPCError(.failedPrecondition, saying: ["纠纷的主要事实", "争议事项", "协议内容"]) {
            try await world.draft(id, Gongzhi_Mediation_V1_Agreement())
        }
        let after = try await world.get(id)
        XCTAssertEqual(after.state, .mediating)
        XCTAssertFalse(after.hasAgreement, "no refused draft was stored")
        XCTAssertEqual(after.history.map(\.action), [.apply, .accept, .assignMediators, .recordSession])

        // The checker's clean draft is taken; a later draft with a problem leaves the first one in place.
        let drafted = try await world.draft(id, good)
        XCTAssertEqual(drafted.state, .agreementDrafted)
        _ = try await world.sign(id, .party, "p1")
        await assertRPCError(.failedPrecondition, saying: ["婚姻关系"]) { try await world.draft(id, marriage) }
        let kept = try await world.get(id)
        XCTAssertEqual(kept.agreement.signatures.map(\.signerID), ["p1"], "the refused redraft cleared nothing")
    }

    func testStepsOnOneDisputeAtOnceTakeTurnsAndARetriedApplicationOpensOneDispute() async throws {
        let world = try await MediationWorld.start(self)
        // A front end sends the same application five times at once: one dispute.
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<5 {
                group.addTask { try await world.apply(World.application(key: "kiosk-7")).id }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        XCTAssertEqual(ids.count, 1, "\(ids)")
        let id = try XCTUnwrap(ids.first)
        // The same key from another person is another application.
        let another = try await world.apply(
            by: world.mediation(as: World.relatedMediator),
            World.application(key: "kiosk-7")
        )
        XCTAssertNotEqual(another.id, id)
        let listed = try await world.admin.listDisputes(Gongzhi_Mediation_V1_ListDisputesRequest()).disputes
        XCTAssertEqual(Set(listed.map(\.id)), [id, another.id])

        _ = try await world.accept(id)
        _ = try await world.assign(id)
        _ = try await world.session(id)
        _ = try await world.draft(
            id,
            World.agreement(repairBy: World.china(2026, 3, 10), payBy: World.china(2026, 3, 20))
        )
        // Both parties, the mediator and the committee, all at the same moment: each step is kept.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await world.sign(id, .party, "p1") }
            group.addTask { _ = try await world.sign(id, .party, "p2") }
            group.addTask { _ = try await world.sign(id, .mediator, World.mediator) }
            group.addTask { _ = try await world.seal(id) }
            try await group.waitForAll()
        }
        let agreed = try await world.get(id)
        XCTAssertEqual(agreed.state, .agreed)
        XCTAssertEqual(Set(agreed.agreement.signatures.map(\.signerID)), ["p1", "p2", World.mediator])
        XCTAssertGreaterThan(agreed.agreement.sealedAtMs, 0)
        XCTAssertEqual(agreed.history.count, 9)
        XCTAssertEqual(agreed.history.suffix(4).filter { $0.action == .sign }.count, 3)
        XCTAssertEqual(agreed.history.filter { $0.to == .agreed }.count, 1, "it took effect once, with the last")
        XCTAssertEqual(agreed.history.last?.to, .agreed)
    }
}
