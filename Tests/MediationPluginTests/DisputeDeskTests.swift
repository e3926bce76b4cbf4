import GongzhiCalendar
import GongzhiGridSchemas
import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import gongzhi_mediation

/// The plugin's desk, called as the host routes calls to it: what the plugin adds to the procedure of the
/// library — ids, households, mediators read from the people, places, the grid module, alerts, documents.
final class DisputeDeskTests: XCTestCase {
    func testAnApplicationIsStoredWithItsLabelsHouseholdsAndTheVerifiedActor() async throws {
        try await withMediationWorld { world in
            let staff = world.mediation(as: MediationWorld.zhaoMin)
            let applied = try await staff.apply(MediationWorld.application())
            XCTAssertTrue(applied.id.hasPrefix("MD-"))
            XCTAssertEqual(applied.state, .applied)
            XCTAssertEqual(applied.parties.map(\.householdID), ["H1", "H2"], "filled from the Residents")
            XCTAssertEqual(applied.history.map(\.actorID), ["zhao-min"])
            XCTAssertEqual(applied.history.map(\.actor), ["赵敏"])

            let fetched = try await world.objects.get(Gongzhi_Mediation_V1_Dispute.self, id: applied.id)
            let stored = try XCTUnwrap(fetched)
            XCTAssertEqual(stored.message, applied)
            XCTAssertEqual(stored.parent, MediationWorld.grid)
            XCTAssertEqual(
                stored.labels,
                [
                    "state": "applied", "type": "neighbour", "source": "application", "level": "community",
                    "grid": MediationWorld.grid, "community": MediationWorld.community, "street": "330106001",
                ]
            )
            let got = try await staff.getDispute(.with { $0.disputeID = applied.id })
            XCTAssertEqual(got, applied)
        }
    }

    func testARetriedApplicationAnswersTheFirstDispute() async throws {
        try await withMediationWorld { world in
            let staff = world.mediation(as: MediationWorld.zhaoMin)
            let first = try await staff.apply(MediationWorld.application(key: "form-17"))
            let again = try await staff.apply(MediationWorld.application(key: "form-17"))
            XCTAssertEqual(again, first)
            XCTAssertEqual(
                first.id,
                DisputeIdentity.applicationID(principal: "person:zhao-min", idempotencyKey: "form-17")
            )
            // Another caller's same key is another application.
            let other = try await world.mediation(as: MediationWorld.chenLi).apply(
                MediationWorld.application(key: "form-17")
            )
            XCTAssertNotEqual(other.id, first.id)
            XCTAssertEqual(world.desk.disputes.count, 2)
        }
    }

    func testAnApplicationIsRefusedForAnUnknownResidentAPlaceOutsideTheCallersOrAGridCaseSource() async throws {
        try await withMediationWorld { world in
            let staff = world.mediation(as: MediationWorld.zhaoMin)
            var unknown = MediationWorld.application()
            unknown.parties[1].residentID = "R-404"
            let missing = await assertRPCError(.invalidArgument) { try await staff.apply(unknown) }
            XCTAssertEqual(missing?.message, "there is no resident R-404")

            let outside = await assertRPCError(.permissionDenied) {
                try await staff.apply(MediationWorld.application(place: MediationWorld.otherCommunity))
            }
            XCTAssertEqual(
                outside?.message,
                "the dispute lies in 330106001002, outside the places where 赵敏 (zhao-min) may open disputes "
                    + "(330106001001)"
            )
            var gridCase = MediationWorld.application()
            gridCase.source = .gridCase
            gridCase.referralID = "C1"
            let handOver = await assertRPCError(.invalidArgument) { try await staff.apply(gridCase) }
            XCTAssertTrue(handOver?.message.contains("hand-off") == true)
            // The library's own refusals keep their code and message.
            var oneParty = MediationWorld.application()
            oneParty.parties.removeLast()
            let few = await assertRPCError(.invalidArgument) { try await staff.apply(oneParty) }
            XCTAssertEqual(few?.message, "a dispute needs at least two parties; 1 given")
            XCTAssertEqual(world.desk.disputes.count, 0)
        }
    }

    func testMediatorsAreReadFromThePeopleAndTheirRoles() async throws {
        try await withMediationWorld { world in
            let applied = try await world.mediation.apply(MediationWorld.application())
            _ = try await world.mediation.accept(MediationWorld.accept(applied.id))
            let assign = { (person: String) in
                try await world.mediation.assignMediators(MediationWorld.assign(applied.id, person))
            }
            let nobody = await assertRPCError(.failedPrecondition) { try await assign("nobody") }
            XCTAssertTrue(nobody?.message.hasPrefix("there is no person nobody") == true, nobody?.message ?? "")
            let suspended = await assertRPCError(.failedPrecondition) { try await assign("qian-yu") }
            XCTAssertTrue(suspended?.message.hasPrefix("钱宇 (qian-yu) is suspended (停职)") == true)
            let staff = await assertRPCError(.failedPrecondition) { try await assign("zhao-min") }
            XCTAssertEqual(
                staff?.message,
                "zhao-min is not a mediator for \(MediationWorld.grid): gongzhictl people bind zhao-min --role "
                    + "mediator --place \(MediationWorld.community)"
            )
            let elsewhere = await assertRPCError(.failedPrecondition) { try await assign("liu-yang") }
            XCTAssertTrue(elsewhere?.message.hasPrefix("liu-yang is not a mediator for") == true)
            // A party may not mediate their own dispute: the profile comes from their Person's Resident.
            let party = await assertRPCError(.failedPrecondition) { try await assign("wang-jun") }
            XCTAssertTrue(party?.message.contains("is the party 王军") == true, party?.message ?? "")

            // A community's mediator, a grid's mediator (within the community) and a street admin may.
            let mediating = try await assign("chen-li")
            XCTAssertEqual(mediating.state, .mediating)
            XCTAssertEqual(mediating.mediators.map(\.name), ["陈丽"], "the name comes from the Person")
            let more = try await world.mediation.assignMediators(
                MediationWorld.assign(applied.id, "sun-hua", "zhou-qiang")
            )
            XCTAssertEqual(more.mediators.map(\.personID), ["chen-li", "sun-hua", "zhou-qiang"])
        }
    }

    /// A mediator who acts for a Partner belongs to the Organization behind it: the property company's staff may
    /// not mediate a dispute the property company is a party to.
    func testAMediatorActingForAPartyOrganisationsPartnerIsRefused() async throws {
        try await withMediationWorld { world in
            var company = Gongzhi_Core_V1_Organization()
            company.id = "O-wuye"
            company.name = "翠苑物业"
            company.communityCode = MediationWorld.community
            try await world.objects.create(TypedObject(id: company.id, message: company, parent: company.communityCode))
            var partner = Gongzhi_Core_V1_Partner()
            partner.id = "P-wuye"
            partner.name = "翠苑物业共建"
            partner.type = .builder
            partner.communityCode = MediationWorld.community
            partner.organizationID = company.id
            try await world.objects.create(TypedObject(id: partner.id, message: partner, parent: partner.communityCode))
            var person = Gongzhi_Core_V1_Person()
            person.id = "fang-hui"
            person.name = "方慧"
            person.partnerID = partner.id
            try await world.objects.create(TypedObject(id: person.id, message: person))
            var binding = Gongzhi_Core_V1_RoleBinding()
            binding.id = "fang-hui.mediator.\(MediationWorld.community)"
            binding.personID = person.id
            binding.role = "mediator"
            binding.placeCode = MediationWorld.community
            try await world.objects.create(TypedObject(id: binding.id, message: binding))

            var application = MediationWorld.application()
            application.type = .propertyService
            application.parties[1] = .with {
                $0.kind = .organization
                $0.organizationID = company.id
                $0.name = company.name
                $0.role = .respondent
            }
            let applied = try await world.mediation.apply(application)
            _ = try await world.mediation.accept(MediationWorld.accept(applied.id))
            let refused = await assertRPCError(.failedPrecondition) {
                try await world.mediation.assignMediators(MediationWorld.assign(applied.id, "fang-hui"))
            }
            XCTAssertTrue(
                refused?.message.contains("belongs to the organisation of the party 翠苑物业") == true,
                refused?.message ?? ""
            )
            let assigned = try await world.mediation.assignMediators(MediationWorld.assign(applied.id, "chen-li"))
            XCTAssertEqual(assigned.mediators.map(\.personID), ["chen-li"])
        }
    }

    func testAStepOnADisputeOutsideThePersonsPlacesIsRefusedAndAnUnknownOneIsNotFound() async throws {
        try await withMediationWorld { world in
            let applied = try await world.mediation.apply(MediationWorld.application())
            let outsider = world.mediation(as: MediationWorld.liuYang)
            let denied = await assertRPCError(.permissionDenied) {
                try await outsider.accept(MediationWorld.accept(applied.id))
            }
            XCTAssertEqual(
                denied?.message,
                "dispute \(applied.id) lies in \(MediationWorld.grid), outside the places where 刘洋 (liu-yang) may "
                    + "accept disputes (330106001002)"
            )
            await assertRPCError(.permissionDenied) {
                try await outsider.getDispute(.with { $0.disputeID = applied.id })
            }
            let listed = try await outsider.listDisputes(.init())
            XCTAssertEqual(listed.disputes, [], "a list counts only the disputes within the person's places")
            let unknown = await assertRPCError(.notFound) {
                try await world.mediation.accept(MediationWorld.accept("MD-000000000000"))
            }
            XCTAssertEqual(unknown?.message, "there is no dispute MD-000000000000")
            let empty = await assertRPCError(.invalidArgument) { try await world.mediation.getDispute(.init()) }
            XCTAssertEqual(empty?.message, "name the dispute: dispute_id is empty")
            // A step the state does not allow: the library's message, FAILED_PRECONDITION.
            let early = await assertRPCError(.failedPrecondition) {
                try await world.mediation.recordSession(.with { $0.disputeID = applied.id })
            }
            XCTAssertEqual(
                early?.message,
                "dispute \(applied.id) is applied: it cannot record session; the steps it allows: accept, decline, "
                    + "refuse"
            )
        }
    }

    func testWithoutTheGridModuleAHandOffSaysSoAndAMissedObligationOpensNoCase() async throws {
        try await withMediationWorld { world in
            let refused = await assertRPCError(.failedPrecondition) {
                try await world.mediation.handOff(
                    .with {
                        $0.caseID = "C1"
                        $0.parties = MediationWorld.parties()
                    }
                )
            }
            XCTAssertEqual(
                refused?.message,
                "the grid module is not deployed on this host: there are no grid cases to hand over; open the "
                    + "dispute with `gongzhictl mediation apply`"
            )
            let missed = try await agreedAndMissed(world)
            XCTAssertEqual(missed.performances.last?.gridCaseID, "")
            XCTAssertEqual(
                missed.history.last?.note,
                "obligation o1 missed; no grid case: the grid module is not deployed"
            )
        }
    }

    func testAGridCaseIsHandedOverOnceAndOnlyInADisputeCategoryWhileOpen() async throws {
        try await withMediationWorld(grid: true) { world in
            try await world.writeCase("C-leak")
            try await world.writeCase("C-stall", category: "E0301")
            try await world.writeCase("C-closed", state: .closed)
            try await world.writeCase("C-linked", handedTo: "MD-111111111111")
            func handOff(
                _ id: String,
                parties: [Gongzhi_Mediation_V1_Party] = MediationWorld.parties()
            )
                async throws -> Gongzhi_Mediation_V1_Dispute
            {
                try await world.mediation.handOff(
                    .with {
                        $0.caseID = id
                        $0.parties = parties
                        $0.note = "网格员转交"
                    }
                )
            }
            let dispute = try await handOff("C-leak")
            XCTAssertEqual(dispute.id, DisputeIdentity.handOffID(caseID: "C-leak"))
            XCTAssertEqual(dispute.source, .gridCase)
            XCTAssertEqual(dispute.referralID, "C-leak")
            XCTAssertEqual(dispute.placeCode, MediationWorld.grid)
            XCTAssertEqual(dispute.title, "邻里纠纷")
            XCTAssertEqual(dispute.facts, "楼上漏水，邻里争执")
            XCTAssertEqual(dispute.type, .neighbour)
            XCTAssertEqual(dispute.level, .community)
            XCTAssertEqual(dispute.parties.map(\.householdID), ["H1", "H2"])
            XCTAssertEqual(dispute.history.first?.note, "referred: C-leak; 网格员转交")
            // The case is not written by the mediation plugin.
            let held = try await world.objects.get(Gongzhi_Grid_V1_Case.self, id: "C-leak")
            XCTAssertEqual(held?.message.mediation.disputeID, "")

            let twice = await assertRPCError(.alreadyExists) { try await handOff("C-leak") }
            XCTAssertEqual(twice?.message, "grid case C-leak was handed to mediation before: dispute \(dispute.id)")
            let linked = await assertRPCError(.alreadyExists) { try await handOff("C-linked") }
            XCTAssertTrue(linked?.message.hasSuffix("dispute MD-111111111111") == true)
            let notDispute = await assertRPCError(.failedPrecondition) { try await handOff("C-stall") }
            XCTAssertEqual(
                notDispute?.message,
                "grid case C-stall is in category E0301 (占道经营), which is not a dispute; the dispute categories "
                    + "are E0701, E0704, E0705 (MEDIATION_DISPUTE_CATEGORIES)"
            )
            let closed = await assertRPCError(.failedPrecondition) { try await handOff("C-closed") }
            XCTAssertEqual(closed?.message, "grid case C-closed cannot be handed to mediation: it is closed")
            await assertRPCError(.notFound) { try await handOff("C-none") }
            let few = await assertRPCError(.invalidArgument) {
                try await handOff("C-leak", parties: Array(MediationWorld.parties().prefix(1)))
            }
            XCTAssertEqual(few?.message, "a grid case does not name its parties: give at least two (1 given)")
            let outsider = await assertRPCError(.permissionDenied) {
                try await world.mediation(as: MediationWorld.liuYang).handOff(
                    .with {
                        $0.caseID = "C-leak"
                        $0.parties = MediationWorld.parties()
                    }
                )
            }
            XCTAssertTrue(outsider?.message.hasPrefix("grid case C-leak is in grid") == true)
        }
    }

    func testWithTheGridModuleAMissedObligationNamesTheCaseToOpen() async throws {
        try await withMediationWorld(grid: true) { world in
            let missed = try await agreedAndMissed(world)
            XCTAssertEqual(missed.performances.last?.gridCaseID, "\(missed.id)-o1")
            XCTAssertEqual(missed.history.last?.note, "obligation o1 missed; grid case \(missed.id)-o1 opens for it")
        }
    }

    func testTheAlertSweepRecordsEachClockThatRanOutOnce() async throws {
        try await withMediationWorld { world in
            let dispute = try await world.mediatingDispute()
            let deadline = LegalClocks.mediationDeadline(acceptedAtMs: dispute.acceptedAtMs, extensions: [])
            try world.setClock(deadline - 1)
            let none = await world.desk.recordAlerts()
            XCTAssertEqual(none, 0)
            try world.setClock(deadline + 5)
            let first = await world.desk.recordAlerts()
            XCTAssertEqual(first, 1)
            let again = await world.desk.recordAlerts()
            XCTAssertEqual(again, 0)
            let stored = try await world.mediation.getDispute(.with { $0.disputeID = dispute.id })
            XCTAssertEqual(stored.alerts.map(\.kind), [.mediation])
            XCTAssertEqual(stored.alerts.map(\.deadlineMs), [deadline])
            XCTAssertEqual(stored.alerts.map(\.atMs), [deadline + 5])
            XCTAssertEqual(stored.history, dispute.history, "an alert is no step")
            XCTAssertEqual(stored.state, .mediating)
        }
    }

    func testDocumentsGoOnlyToCallersWhoSeePersonalData() async throws {
        try await withMediationWorld { world in
            let dispute = try await world.mediatingDispute()
            let noAgreement = await assertRPCError(.failedPrecondition) {
                try await world.mediation.print(.with { $0.disputeID = dispute.id })
            }
            XCTAssertTrue(noAgreement?.message.hasPrefix("dispute \(dispute.id) has no agreement to print") == true)
            let blind = world.mediation(as: MediationWorld.chenLi, seesPersonalData: false)
            let denied = await assertRPCError(.permissionDenied) {
                try await blind.print(.with { $0.disputeID = dispute.id })
            }
            XCTAssertEqual(
                denied?.message,
                "the agreement holds personal data: printing it needs a role that shows personal data where the "
                    + "dispute lies, such as mediator, or the personal-data grant"
            )
            await assertRPCError(.permissionDenied) {
                try await blind.confirmationPackage(.with { $0.disputeID = dispute.id })
            }
            let early = await assertRPCError(.failedPrecondition) {
                try await world.mediation.confirmationPackage(.with { $0.disputeID = dispute.id })
            }
            XCTAssertTrue(early?.message.contains("has no agreement in effect") == true)

            let agreed = try await agree(dispute, world)
            let printed = try await world.mediation(as: MediationWorld.chenLi).print(.with { $0.disputeID = agreed.id })
            XCTAssertEqual(printed.fileName, "\(agreed.id)-agreement.html")
            XCTAssertTrue(printed.html.contains("人民调解协议书"))
            XCTAssertTrue(printed.html.contains(agreed.agreement.number), "the committee's number")
            let package = try await world.mediation.confirmationPackage(
                .with {
                    $0.disputeID = agreed.id
                    $0.court = "杭州市西湖区人民法院"
                }
            )
            let applyBy = RestDays.standard.moved(
                LegalClocks.confirmationWindowEnd(effectiveAtMs: agreed.agreement.effectiveAtMs)
            )
            XCTAssertEqual(package.applyByMs, applyBy)
            XCTAssertEqual(package.parties, agreed.parties)
            XCTAssertTrue(package.applicationHtml.contains("杭州市西湖区人民法院"))
            XCTAssertFalse(package.agreementHtml.isEmpty)
            try world.setClock(applyBy)
            let late = await assertRPCError(.failedPrecondition) {
                try await world.mediation.confirmationPackage(.with { $0.disputeID = agreed.id })
            }
            XCTAssertTrue(late?.message.contains("the 30 days to apply for judicial confirmation") == true)
        }
    }

    func testSummariesCarryNoPersonalDataAndFollowTheListsFilters() async throws {
        try await withMediationWorld { world in
            let mediating = try await world.mediatingDispute()
            let applied = try await world.mediation.apply(MediationWorld.application())
            let viewer = world.mediation(as: MediationWorld.zhaoMin, seesPersonalData: false)
            let summary = try await viewer.getSummary(.with { $0.disputeID = mediating.id })
            XCTAssertEqual(summary, Gongzhi_Mediation_V1_DisputeSummary(mediating, at: MediationWorld.startMs))
            XCTAssertEqual(summary.mediatorNames, ["陈丽"])
            let summaries = try await viewer.listSummaries(.with { $0.states = [.applied] })
            XCTAssertEqual(summaries.summaries.map(\.id), [applied.id])
            let stats = try await viewer.stats(.init())
            XCTAssertEqual(stats.disputes, 2)
            let due = try await viewer.due(.with { $0.withinHours = 24 * 40 })
            XCTAssertEqual(due.clocks.map(\.disputeID), [mediating.id])
        }
    }

    // MARK: Helpers

    /// A dispute taken through a session, an agreement with obligation o1 due in three days, signatures and
    /// the seal.
    func agree(
        _ dispute: Gongzhi_Mediation_V1_Dispute,
        _ world: MediationWorld
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let client = world.mediation
        let id = dispute.id
        _ = try await client.recordSession(
            .with {
                $0.disputeID = id
                $0.session.mediatorIds = ["chen-li"]
                $0.session.partyIds = ["p1", "p2"]
                $0.session.record = "双方同意由李芳维修下水管"
            }
        )
        _ = try await client.draftAgreement(
            .with {
                $0.disputeID = id
                $0.agreement.partyIds = ["p1", "p2"]
                $0.agreement.facts = "601 卫生间下水管渗漏至 501"
                $0.agreement.matters = [
                    .with {
                        $0.summary = "维修与赔偿"
                        $0.kind = .civil
                    }
                ]
                $0.agreement.responsibilities = "李芳负责维修"
                $0.agreement.terms = "李芳于三日内请持证水工维修"
                $0.agreement.obligations = [
                    .with {
                        $0.id = "o1"
                        $0.partyID = "p2"
                        $0.content = "维修下水管"
                        $0.method = "持证水工上门"
                        $0.deadlineMs = MediationWorld.startMs + 3 * 86_400_000
                    }
                ]
            }
        )
        for party in ["p1", "p2"] {
            _ = try await client.sign(
                .with {
                    $0.disputeID = id
                    $0.role = .party
                    $0.signerID = party
                }
            )
        }
        _ = try await client.sign(
            .with {
                $0.disputeID = id
                $0.role = .mediator
                $0.signerID = "chen-li"
            }
        )
        let agreed = try await client.seal(
            .with {
                $0.disputeID = id
                $0.number = "(2026)翠调字第1号"
            }
        )
        XCTAssertEqual(agreed.state, .agreed)
        return agreed
    }

    /// A dispute agreed, then o1 recorded missed after its deadline.
    func agreedAndMissed(_ world: MediationWorld) async throws -> Gongzhi_Mediation_V1_Dispute {
        let agreed = try await agree(try await world.mediatingDispute(), world)
        try world.setClock(MediationWorld.startMs + 4 * 86_400_000)
        return try await world.mediation.recordPerformance(
            .with {
                $0.disputeID = agreed.id
                $0.performance.obligationID = "o1"
                $0.performance.outcome = .missed
                $0.performance.gridCaseID = "C-chosen-by-the-caller"
            }
        )
    }
}
