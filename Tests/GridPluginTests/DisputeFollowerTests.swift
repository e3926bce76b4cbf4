import Foundation
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Logging
import SwiftProtobuf
import XCTest

@testable import gongzhi_grid

/// The grid's side of the mediation module: which writes a dispute calls for (decided without I/O), those writes
/// through the desk of the in-process grid plugin, and the follower's list, watch and retry when the host learns
/// the kind Dispute late.
final class DisputeFollowerTests: XCTestCase {
    static let disputeID = "MD-0123456789ab"
    static let grid = GridWorld.grids[0].code
    static let now: Int64 = GridWorld.startMs + 86_400_000

    /// What a dispute holds that is personal data, and must never reach a case.
    static let personalData = [
        "刘建国", "13912345678", "幸福里3幢402室", "330102196501011234", "王秀英", "13700001111",
        "卫生间防水层老化", "赔偿维修费2000元", "称未收到款项", "双方情绪激动",
    ]

    /// A dispute as the mediation module keeps it, with parties, facts and an agreement full of personal data.
    static func dispute(
        _ state: Gongzhi_Mediation_V1_DisputeState = .mediating,
        source: Gongzhi_Mediation_V1_DisputeSource = .gridCase,
        referral: String = "",
        missed: [String] = []
    ) -> Gongzhi_Mediation_V1_Dispute {
        var dispute = Gongzhi_Mediation_V1_Dispute()
        dispute.id = disputeID
        dispute.state = state
        dispute.source = source
        dispute.referralID = referral
        dispute.placeCode = grid
        dispute.gridCode = grid
        dispute.communityCode = String(grid.prefix(12))
        dispute.streetCode = String(grid.prefix(9))
        dispute.type = .neighbour
        dispute.title = "楼上漏水"
        dispute.facts = "402室卫生间防水层老化，渗水至302室"
        dispute.narrative = "双方情绪激动"
        for (index, (name, phone)) in [("刘建国", "13912345678"), ("王秀英", "13700001111")].enumerated() {
            var party = Gongzhi_Mediation_V1_Party()
            party.id = "p\(index + 1)"
            party.kind = .resident
            party.name = name
            party.phone = phone
            party.address = "幸福里3幢402室"
            party.idNumber = "330102196501011234"
            party.role = index == 0 ? .applicant : .respondent
            dispute.parties.append(party)
        }
        for (index, obligation) in missed.enumerated() {
            var owed = Gongzhi_Mediation_V1_Obligation()
            owed.id = obligation
            owed.partyID = "p2"
            owed.content = "赔偿维修费2000元"
            owed.deadlineMs = GridWorld.startMs + Int64(index) * 1_000
            dispute.agreement.obligations.append(owed)
            var performance = Gongzhi_Mediation_V1_Performance()
            performance.obligationID = obligation
            performance.outcome = .missed
            performance.note = "刘建国称未收到款项"
            performance.gridCaseID = "\(disputeID)-\(obligation)"
            dispute.performances.append(performance)
        }
        return dispute
    }

    /// A registered case of 邻里纠纷 (E0701) in the world's first grid, as the grid keeps it; `closed`: set
    /// closed (the path it took there does not matter to a dispute).
    static func neighbourCase(closed: Bool = false) throws -> Gongzhi_Grid_V1_Case {
        let catalogue = CategoryCatalogue.standard
        let place = GridPlace(
            gridCode: grid,
            communityCode: String(grid.prefix(12)),
            streetCode: String(grid.prefix(9)),
            worker: nil
        )
        let actor = CaseActor(id: "sun-li", name: "孙丽", principal: "person:sun-li")
        let report = ReportInput(source: .visit, categoryCode: "E0701", description: "楼上漏水，邻里争执")
        let reported = try CaseWorkflow.open(
            report,
            id: "C1",
            place: place,
            by: actor,
            at: GridWorld.startMs,
            catalogue: catalogue
        )
        var c = try CaseWorkflow.apply(
            .register(note: "", tier: nil),
            to: reported,
            by: actor,
            at: GridWorld.startMs,
            catalogue: catalogue
        )
        if closed {
            c.state = .closed
        }
        return c
    }

    static func writes(
        for dispute: Gongzhi_Mediation_V1_Dispute,
        cases: [Gongzhi_Grid_V1_Case] = []
    ) -> [DisputeFollower.Write] {
        let byID = Dictionary(uniqueKeysWithValues: cases.map { ($0.id, $0) })
        return DisputeFollower.writes(
            for: dispute,
            cases: { byID[$0] },
            missedObligationCategory: "E0701",
            catalogue: .standard,
            at: now
        )
    }

    /// The one update among `writes`; fails the test, and throws, when they are anything else.
    static func updated(
        _ writes: [DisputeFollower.Write],
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> Gongzhi_Grid_V1_Case {
        guard writes.count == 1, case .update(let value) = writes[0] else {
            XCTFail("expected one update, got \(writes)", file: file, line: line)
            throw UnexpectedWrites()
        }
        return value
    }

    struct UnexpectedWrites: Error {}

    // MARK: Decisions

    func testADisputeHandedOverFromACaseMakesTheCaseWaitOnIt() throws {
        let c = try Self.neighbourCase()
        for state in [Gongzhi_Mediation_V1_DisputeState.applied, .accepted, .mediating, .agreementDrafted, .agreed] {
            let writes = Self.writes(for: Self.dispute(state, referral: c.id), cases: [c])
            guard writes.count == 1, case .update(let next) = writes[0] else {
                XCTFail("a \(state) dispute: expected one update, got \(writes)")
                continue
            }
            XCTAssertEqual(next, CaseWorkflow.handToMediation(c, disputeID: Self.disputeID, at: Self.now))
            XCTAssertEqual(next.state, .registered)
            XCTAssertEqual(next.mediation.disputeID, Self.disputeID)
            XCTAssertEqual(next.mediation.handedAtMs, Self.now)
            XCTAssertEqual(next.history.last?.action, .handToMediation)

            // Seen again while it runs: the case is as the dispute says.
            XCTAssertEqual(Self.writes(for: Self.dispute(state, referral: c.id), cases: [next]), [])
        }
    }

    func testAFinalDisputeClosesTheCaseWithAnOutcomeWithoutPersonalData() throws {
        let c = try XCTUnwrap(CaseWorkflow.handToMediation(try Self.neighbourCase(), disputeID: Self.disputeID, at: 1))
        let outcomes: [(Gongzhi_Mediation_V1_DisputeState, String, String)] = [
            (.performed, "performed", "调解成功，协议已履行 / agreement performed"),
            (.failed, "failed", "调解不成 / mediation failed: the parties were told of the other routes"),
            (.refused, "refused", "a party refused mediation"),
            (.declined, "declined", "the committee declined it"),
        ]
        for (state, wording, outcome) in outcomes {
            let dispute = Self.dispute(state, referral: c.id)
            let closed = try Self.updated(Self.writes(for: dispute, cases: [c]))
            XCTAssertEqual(closed.state, .closed, "\(state)")
            XCTAssertEqual(closed.closedAtMs, Self.now)
            XCTAssertEqual(closed.closedTier, .community)
            XCTAssertEqual(closed.mediation.disputeState, wording)
            XCTAssertEqual(closed.mediation.outcome, outcome)
            XCTAssertEqual(closed.mediation.concludedAtMs, Self.now)
            XCTAssertEqual(closed.history.last?.action, .mediationConcluded)
            XCTAssertEqual(closed.history.last?.note, outcome)
            let text = try closed.jsonString()
            for datum in Self.personalData {
                XCTAssertFalse(text.contains(datum), "\(state): the case holds \(datum)")
            }
            // Concluded: seen again, nothing more is written.
            XCTAssertEqual(Self.writes(for: dispute, cases: [closed]), [])
        }
    }

    func testADisputeFirstSeenFinalHandsTheCaseOverAndClosesItInOneWrite() throws {
        let c = try Self.neighbourCase()
        let closed = try Self.updated(Self.writes(for: Self.dispute(.declined, referral: c.id), cases: [c]))
        XCTAssertEqual(closed.state, .closed)
        XCTAssertEqual(Array(closed.history.suffix(2).map(\.action)), [.handToMediation, .mediationConcluded])
        XCTAssertEqual(closed.mediation.handedAtMs, Self.now)
        XCTAssertEqual(closed.mediation.outcome, "the committee declined it")
    }

    func testADisputeWritesNothingToACaseNoLongerOpenOrNotItsOwn() throws {
        let closed = try Self.neighbourCase(closed: true)
        XCTAssertEqual(Self.writes(for: Self.dispute(.mediating, referral: closed.id), cases: [closed]), [])
        XCTAssertEqual(Self.writes(for: Self.dispute(.performed, referral: closed.id), cases: [closed]), [])

        // Waiting on another dispute: that one keeps it, and this one's end does not close it.
        let other = try XCTUnwrap(
            CaseWorkflow.handToMediation(try Self.neighbourCase(), disputeID: "MD-ffffffffffff", at: 1)
        )
        XCTAssertEqual(Self.writes(for: Self.dispute(.failed, referral: other.id), cases: [other]), [])

        // Another source naming the case as its reference (the police's, a court's) takes nothing.
        let c = try Self.neighbourCase()
        XCTAssertEqual(Self.writes(for: Self.dispute(.mediating, source: .police, referral: c.id), cases: [c]), [])
        XCTAssertNil(
            DisputeFollower.referredCase(c, of: Self.dispute(.mediating, source: .court, referral: c.id), at: 1)
        )

        // A case the grid does not have: said, not written.
        XCTAssertEqual(
            Self.writes(for: Self.dispute(.mediating, referral: "C0000000000000000000"), cases: [c]),
            [.skip(caseID: "C0000000000000000000", reason: "the grid has no such case to hand over")]
        )
    }

    func testAMissedObligationOpensItsCaseOnceWithoutPersonalData() throws {
        let dispute = Self.dispute(.agreed, source: .application, missed: ["o1", "o2"])
        let writes = Self.writes(for: dispute)
        XCTAssertEqual(writes.count, 2)
        var created: [Gongzhi_Grid_V1_Case] = []
        for write in writes {
            guard case .create(let value) = write else {
                XCTFail("expected a new case, got \(write)")
                continue
            }
            created.append(value)
        }
        XCTAssertEqual(created.map(\.id), ["\(Self.disputeID)-o1", "\(Self.disputeID)-o2"])
        let first = try XCTUnwrap(created.first)
        XCTAssertEqual(first.state, .reported)
        XCTAssertEqual(first.source, .mediation)
        XCTAssertEqual(first.categoryCode, "E0701")
        XCTAssertEqual(first.gridCode, Self.grid)
        XCTAssertEqual(first.fromDisputeID, Self.disputeID)
        XCTAssertEqual(first.reporter.principal, "plugin:mediation")
        XCTAssertEqual(first.createdAtMs, Self.now)
        XCTAssertEqual(first.description_p, "调解协议未履行：纠纷 \(Self.disputeID)（楼上漏水）义务 o1")
        for value in created {
            let text = try value.jsonString()
            for datum in Self.personalData {
                XCTAssertFalse(text.contains(datum), "case \(value.id) holds \(datum)")
            }
        }

        // Once a case exists (opened before, or before a restart), it is not opened again.
        XCTAssertEqual(Self.writes(for: dispute, cases: [first]), [.create(created[1])])
        XCTAssertEqual(Self.writes(for: dispute, cases: created), [])
    }

    func testOnlyAMissedObligationWithACaseIDOpensACase() throws {
        var dispute = Self.dispute(.agreed, source: .application, missed: ["o1", "o2", "o3", "o4"])
        dispute.performances[0].outcome = .performed
        dispute.performances[1].outcome = .partly
        dispute.performances[2].gridCaseID = ""
        // The same obligation missed twice names one case.
        dispute.performances.append(dispute.performances[3])
        let writes = Self.writes(for: dispute)
        XCTAssertEqual(writes.count, 1)
        guard case .create(let value) = writes.first else { return XCTFail("expected a new case, got \(writes)") }
        XCTAssertEqual(value.id, "\(Self.disputeID)-o4")
    }

    func testAMissedObligationOutsideAGridIsSaidNotOpened() {
        var dispute = Self.dispute(.agreed, source: .application, missed: ["o1"])
        dispute.placeCode = String(Self.grid.prefix(12))
        dispute.gridCode = ""
        XCTAssertEqual(
            Self.writes(for: dispute),
            [
                .skip(
                    caseID: "\(Self.disputeID)-o1",
                    reason: "dispute \(Self.disputeID) lies in \"\(dispute.placeCode)\", which is not a grid (15 "
                        + "digits): its missed obligation opens no grid case"
                )
            ]
        )
    }

    func testTheMissedObligationCategoryMustBeInTheCatalogue() throws {
        let clock = PluginClock(file: nil)
        var settings = GridSettings(categoriesPath: nil, escalationInterval: .seconds(30), clock: clock)
        XCTAssertEqual(try settings.missedObligationCategory(in: .standard).code, "E0701", "the default")
        settings.missedObligationCategory = "E0704"
        XCTAssertEqual(try settings.missedObligationCategory(in: .standard).name, "老旧小区改造纠纷")

        settings.missedObligationCategory = "E0799"
        do {
            _ = try settings.missedObligationCategory(in: .standard)
            XCTFail("E0799 is not in the catalogue")
        } catch {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(
                error.message.hasPrefix("GRID_MISSED_OBLIGATION_CATEGORY: unknown category \"E0799\"; known codes "),
                error.message
            )
            XCTAssertTrue(error.message.hasSuffix("(default E0701)"), error.message)
        }
    }

    // MARK: Through the desk

    /// A follower of the world's plugin, reading as the plugin does.
    static func follower(_ world: GridWorld, logs: LogRecorder = LogRecorder()) throws -> DisputeFollower {
        DisputeFollower(
            desk: world.desk,
            objects: HostObjects(channel: try world.host.pluginChannel("grid")),
            missedObligationCategory: "E0701",
            logger: logs.logger(label: "disputes"),
            retry: .milliseconds(20)
        )
    }

    func testAHandedOverCaseWaitsRefusesStepsIsNotEscalatedAndClosesWithTheDispute() async throws {
        try await withGridWorld { world in
            let follower = try Self.follower(world)
            var report = GridWorld.report(category: "E0701")
            report.description_p = "楼上漏水，邻里争执"
            let id = try await world.grid.report(report).case.id
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = GridWorld.ref(id)
            _ = try await world.grid.register(register)
            let dispatched = try await world.grid.dispatch(GridWorld.dispatch(id, to: "wang-fang"))
            // Another case, dispatched too, that does not wait.
            let other = try await world.grid.report(GridWorld.report(category: "E0502")).case.id
            register.ref = GridWorld.ref(other)
            _ = try await world.grid.register(register)
            _ = try await world.grid.dispatch(GridWorld.dispatch(other, to: "wang-fang"))

            try world.setClock(Self.now)
            await follower.follow(Self.dispute(.accepted, referral: id))
            let waiting = try XCTUnwrap(world.desk.cases[id])
            XCTAssertEqual(waiting.message.mediation.disputeID, Self.disputeID)
            XCTAssertEqual(waiting.message.state, .dispatched)
            // As stored in the host, and again: nothing more is written.
            let stored = try await HostObjects(channel: world.host.adminChannel).get(Gongzhi_Grid_V1_Case.self, id: id)
            XCTAssertEqual(stored?.message.mediation.disputeID, Self.disputeID)
            await follower.follow(Self.dispute(.mediating, referral: id))
            XCTAssertEqual(world.desk.cases[id]?.revision, waiting.revision)

            // Every step is refused, through the service as the host routes it.
            var handle = Gongzhi_Grid_V1_HandleRequest()
            handle.ref = GridWorld.ref(id)
            handle.notes = "已协调"
            let refused = await assertRPCError(.failedPrecondition) {
                try await world.grid(as: GridWorld.wangFang).handle(handle)
            }
            XCTAssertEqual(
                refused?.message,
                "case \(id) waits on dispute \(Self.disputeID) in mediation (人民调解): it closes when the dispute ends"
            )
            var close = Gongzhi_Grid_V1_CloseRequest()
            close.ref = GridWorld.ref(id)
            await assertRPCError(.failedPrecondition) { try await world.grid.close(close) }
            XCTAssertEqual(world.desk.cases[id]?.revision, waiting.revision)

            // Past its deadline, it is not escalated; the other case is.
            try world.setClock(dispatched.deadlineMs + 86_400_000)
            let escalated = await world.desk.escalateOverdue()
            XCTAssertEqual(escalated, 1)
            XCTAssertEqual(world.desk.cases[id]?.revision, waiting.revision)
            XCTAssertEqual(world.desk.cases[other]?.message.escalations.count, 1)

            // The dispute ends: the case closes with its outcome, once.
            await follower.follow(Self.dispute(.performed, referral: id))
            let closed = try XCTUnwrap(world.desk.cases[id])
            XCTAssertEqual(closed.message.state, .closed)
            XCTAssertEqual(closed.message.mediation.outcome, "调解成功，协议已履行 / agreement performed")
            await follower.follow(Self.dispute(.performed, referral: id))
            XCTAssertEqual(world.desk.cases[id]?.revision, closed.revision)

            // The reporter evaluates it as any closed case.
            var evaluate = Gongzhi_Grid_V1_EvaluateRequest()
            evaluate.ref = GridWorld.ref(id)
            evaluate.satisfaction = .satisfied
            let evaluated = try await world.grid.evaluate(evaluate)
            XCTAssertEqual(evaluated.state, .evaluated)
        }
    }

    func testAMissedObligationOpensACaseInTheStoreOnce() async throws {
        try await withGridWorld { world in
            let follower = try Self.follower(world)
            try world.setClock(Self.now)
            await follower.follow(Self.dispute(.agreed, source: .application, missed: ["o1"]))
            let id = "\(Self.disputeID)-o1"
            let opened = try XCTUnwrap(world.desk.cases[id])
            XCTAssertEqual(opened.message.state, .reported)
            XCTAssertEqual(opened.message.source, .mediation)
            XCTAssertEqual(opened.labels["category"], "E0701")
            XCTAssertEqual(opened.labels["grid"], Self.grid)

            // Seen again, or by a follower after a restart: not opened again.
            await follower.follow(Self.dispute(.agreed, source: .application, missed: ["o1"]))
            XCTAssertEqual(world.desk.cases[id]?.revision, opened.revision)

            var list = Gongzhi_Grid_V1_ListCasesRequest()
            list.source = .mediation
            let listed = try await world.grid(as: GridWorld.chenJing).listCases(list)
            XCTAssertEqual(listed.cases.map(\.id), [id])
            XCTAssertEqual(listed.cases.first?.fromDisputeID, Self.disputeID)
        }
    }

    // MARK: Following

    func testTheFollowerWaitsForTheMediationModuleThenListsAndWatchesItsDisputes() async throws {
        // Stands for the mediation module only as the owner of the kind Dispute, which it registers late.
        let mediation = TestPlugin(
            name: "mediation",
            services: [],
            requestedGrants: [
                "gongzhi.host.v1.Objects/RegisterKind", "gongzhi.host.v1.Objects/Create",
                "gongzhi.host.v1.Objects/Update", "gongzhi.host.v1.PersonalData/Read",
            ]
        ) { _ in [] }
        try await withGridWorld(alongside: [mediation]) { world in
            let logs = LogRecorder()
            let follower = try Self.follower(world, logs: logs)
            let following = Task { await follower.run() }
            defer { following.cancel() }
            try await logs.event(whenLogged: "the mediation module is not deployed").wait()

            var report = GridWorld.report(category: "E0701")
            report.description_p = "楼上漏水，邻里争执"
            let id = try await world.grid.report(report).case.id
            let owner = HostObjects(channel: try world.host.pluginChannel("mediation"))
            guard let descriptors = RPCFileDescriptorSet(base64: Gongzhi_Mediation_V1_Mediation.fileDescriptorSetBase64)
            else { return XCTFail("the mediation service's descriptors do not decode") }

            // A dispute written before the follower finds the kind is taken in by its list.
            try await owner.registerKind(
                "Dispute",
                messageName: Gongzhi_Mediation_V1_Dispute.protoMessageName,
                fileDescriptorSet: descriptors.bytes
            )
            var written = try await owner.create(
                TypedObject(id: Self.disputeID, message: Self.dispute(.accepted, referral: id), parent: Self.grid)
            )
            try await eventually("the case waits on the dispute") {
                world.desk.cases[id]?.message.mediation.disputeID == Self.disputeID
            }
            XCTAssertEqual(
                logs.lines.filter { $0.contains("not deployed") }.count,
                1,
                "said once, however often it looked"
            )

            // A change afterwards comes by the watch.
            written.message = Self.dispute(.failed, referral: id)
            written.message.performances = Self.dispute(.failed, missed: ["o1"]).performances
            _ = try await owner.update(written)
            try await eventually("the case is closed and the missed obligation's case opened") {
                world.desk.cases[id]?.message.state == .closed && world.desk.cases["\(Self.disputeID)-o1"] != nil
            }
            XCTAssertEqual(
                world.desk.cases[id]?.message.mediation.outcome,
                "调解不成 / mediation failed: the parties were told of the other routes"
            )
        }
    }
}
