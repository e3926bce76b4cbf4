import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

/// Cases and the mediation module: a case handed over waits on its dispute (no step, no escalation) and closes
/// with its outcome; a missed obligation opens a case that names only the dispute.
final class MediationHandOverTests: XCTestCase {
    typealias F = GridFixtures

    static let dispute = "MD-0123456789ab"
    static let outcome = "调解成功，协议已履行 / agreement performed"
    static let openStates: [Gongzhi_Grid_V1_CaseState] = [
        .reported, .registered, .dispatched, .inProgress, .handled, .verified,
    ]
    static let finalStates: [Gongzhi_Grid_V1_CaseState] = [.rejected, .closed, .evaluated]

    func handedOver(
        _ state: Gongzhi_Grid_V1_CaseState,
        at nowMs: Int64 = F.t0 + 10 * F.hour
    ) throws -> Gongzhi_Grid_V1_Case {
        try XCTUnwrap(CaseWorkflow.handToMediation(try F.caseIn(state), disputeID: Self.dispute, at: nowMs))
    }

    // MARK: Hand-over

    func testAHandOverNamesTheDisputeAndKeepsTheStateFromEveryOpenState() throws {
        for state in Self.openStates {
            let before = try F.caseIn(state)
            let now = F.t0 + 10 * F.hour
            let c = try XCTUnwrap(CaseWorkflow.handToMediation(before, disputeID: Self.dispute, at: now), "\(state)")
            XCTAssertEqual(c.state, state)
            XCTAssertEqual(c.mediation.disputeID, Self.dispute)
            XCTAssertEqual(c.mediation.handedAtMs, now)
            XCTAssertEqual(c.mediation.concludedAtMs, 0)
            XCTAssertEqual(CaseWorkflow.waitingDisputeID(c), Self.dispute)
            XCTAssertEqual(c.history.count, before.history.count + 1)
            let step = try XCTUnwrap(c.history.last)
            XCTAssertEqual(step.action, .handToMediation)
            XCTAssertEqual(step.from, state)
            XCTAssertEqual(step.to, state)
            XCTAssertEqual(step.actor, "gongzhi-grid")
            XCTAssertEqual(step.actorID, "gongzhi-grid")
            XCTAssertEqual(step.atMs, now)
            XCTAssertEqual(step.note, "handed to mediation: dispute \(Self.dispute)")
            // Nothing else of the case changes.
            var unchanged = c
            unchanged.clearMediation()
            unchanged.history.removeLast()
            XCTAssertEqual(unchanged, before)
        }
    }

    func testAHandOverOfACaseNoLongerOpenWritesNothing() throws {
        for state in Self.finalStates {
            let c = try F.caseIn(state)
            XCTAssertNil(CaseWorkflow.handToMediation(c, disputeID: Self.dispute, at: F.t0 + 10 * F.hour), "\(state)")
        }
    }

    func testAHandOverTwiceOrToAnotherDisputeWritesNothing() throws {
        let c = try handedOver(.dispatched)
        XCTAssertNil(CaseWorkflow.handToMediation(c, disputeID: Self.dispute, at: F.t0 + 11 * F.hour))
        XCTAssertNil(
            CaseWorkflow.handToMediation(c, disputeID: "MD-ffffffffffff", at: F.t0 + 11 * F.hour),
            "the first dispute keeps the case"
        )
        XCTAssertNil(CaseWorkflow.handToMediation(try F.caseIn(.registered), disputeID: "", at: F.t0))
    }

    // MARK: Waiting

    func testAWaitingCaseRefusesEveryStepWhateverItsState() throws {
        let message = "waits on dispute \(Self.dispute) in mediation (人民调解): it closes when the dispute ends"
        for state in Self.openStates {
            let c = try handedOver(state)
            for verb in F.verbs {
                let error = workflowError { () throws(WorkflowError) in
                    try F.step(F.command(for: verb), c, by: F.actor(for: verb), at: F.t0 + 12 * F.hour)
                }
                XCTAssertEqual(error?.code, .failedPrecondition, "\(verb) on a waiting \(state) case")
                XCTAssertEqual(error?.message, "case C1 " + message, "\(verb) on a waiting \(state) case")
            }
        }
        // Refused before what the command carries is looked at.
        let registered = try handedOver(.registered)
        let error = workflowError { () throws(WorkflowError) in
            try CaseWorkflow.check(
                .dispatch(assignee: Gongzhi_Grid_V1_Assignee(), deadlineMs: nil, note: ""),
                on: registered,
                by: F.clerk,
                at: F.t0 + 12 * F.hour
            )
        }
        XCTAssertEqual(error?.code, .failedPrecondition)
    }

    func testAWaitingCaseRefusesDispatchHandleAndClose() throws {
        let registered = try handedOver(.registered)
        let inProgress = try handedOver(.inProgress)
        let verified = try handedOver(.verified)
        for (command, c, actor) in [
            (F.command(for: .dispatch), registered, F.clerk),
            (F.command(for: .handle), inProgress, F.handlerActor),
            (F.command(for: .close), verified, F.clerk),
        ] {
            let error = workflowError { () throws(WorkflowError) in
                try CaseWorkflow.apply(command, to: c, by: actor, at: F.t0 + 12 * F.hour, catalogue: F.catalogue)
            }
            XCTAssertEqual(error?.code, .failedPrecondition, "\(command.action)")
            XCTAssertEqual(
                error?.message,
                "case C1 waits on dispute \(Self.dispute) in mediation (人民调解): it closes when the dispute ends"
            )
        }
    }

    func testAWaitingCaseIsNeverOverdueNorEscalated() throws {
        let dispatched = try F.caseIn(.dispatched)
        let late = dispatched.deadlineMs + F.day
        XCTAssertNotNil(CaseWorkflow.escalateIfOverdue(dispatched, at: late, catalogue: F.catalogue))
        XCTAssertTrue(CaseQuery.isOverdue(dispatched, at: late))

        for state in [Gongzhi_Grid_V1_CaseState.dispatched, .inProgress] {
            let waiting = try handedOver(state)
            XCTAssertNotEqual(waiting.deadlineMs, 0)
            XCTAssertNil(CaseWorkflow.escalateIfOverdue(waiting, at: late, catalogue: F.catalogue), "\(state)")
            XCTAssertNil(CaseWorkflow.escalateIfOverdue(waiting, at: late + 100 * F.day, catalogue: F.catalogue))
            XCTAssertFalse(CaseQuery.isOverdue(waiting, at: late), "\(state)")

            var request = Gongzhi_Grid_V1_ListCasesRequest()
            request.overdueOnly = true
            let overdue = try CaseQuery.list([waiting, dispatched], request, at: late).cases
            XCTAssertEqual(overdue.map(\.hasMediation), [false], "only the case that does not wait")
            let figures = CaseStatistics.stats([waiting], Gongzhi_Grid_V1_StatsRequest(), at: late)
            XCTAssertEqual(figures.all.overdue, 0)
            XCTAssertEqual(figures.all.open, 1)
        }
    }

    // MARK: Conclusion

    func testTheDisputesEndClosesTheCaseFromEveryOpenState() throws {
        for state in Self.openStates {
            let waiting = try handedOver(state)
            let now = F.t0 + 20 * F.day
            let c = try XCTUnwrap(
                CaseWorkflow.concludeMediation(waiting, disputeState: "performed", outcome: Self.outcome, at: now),
                "\(state)"
            )
            XCTAssertEqual(c.state, .closed)
            XCTAssertEqual(c.closedAtMs, now)
            XCTAssertEqual(c.closedTier, waiting.tier)
            XCTAssertNotEqual(c.closedTier, .unspecified)
            XCTAssertEqual(c.mediation.disputeID, Self.dispute)
            XCTAssertEqual(c.mediation.handedAtMs, waiting.mediation.handedAtMs)
            XCTAssertEqual(c.mediation.concludedAtMs, now)
            XCTAssertEqual(c.mediation.disputeState, "performed")
            XCTAssertEqual(c.mediation.outcome, Self.outcome)
            XCTAssertNil(CaseWorkflow.waitingDisputeID(c))
            XCTAssertEqual(c.history.count, waiting.history.count + 1)
            let step = try XCTUnwrap(c.history.last)
            XCTAssertEqual(step.action, .mediationConcluded)
            XCTAssertEqual(step.from, state)
            XCTAssertEqual(step.to, .closed)
            XCTAssertEqual(step.actor, "gongzhi-grid")
            XCTAssertEqual(step.atMs, now)
            XCTAssertEqual(step.note, Self.outcome)
        }
    }

    func testAConcludedCaseIsEvaluatedAsAnyClosedCaseAndNotFixedReopensItForTheGrid() throws {
        let waiting = try handedOver(.dispatched)
        let closed = try XCTUnwrap(
            CaseWorkflow.concludeMediation(waiting, disputeState: "failed", outcome: "调解不成", at: F.t0 + F.day)
        )
        let evaluated = try F.step(.evaluate(satisfaction: .acceptable, comment: ""), closed, at: F.t0 + 2 * F.day)
        XCTAssertEqual(evaluated.state, .evaluated)

        let reopened = try F.step(.evaluate(satisfaction: .notFixed, comment: "又漏水了"), closed, at: F.t0 + 2 * F.day)
        XCTAssertEqual(reopened.state, .registered)
        XCTAssertEqual(reopened.mediation.concludedAtMs, F.t0 + F.day, "the mediation stays on record")
        // The grid takes it again; the dispute that ended neither takes it back nor closes it again.
        XCTAssertNil(CaseWorkflow.handToMediation(reopened, disputeID: Self.dispute, at: F.t0 + 3 * F.day))
        XCTAssertNil(
            CaseWorkflow.concludeMediation(reopened, disputeState: "failed", outcome: "调解不成", at: F.t0 + 3 * F.day)
        )
        let dispatched = try F.step(F.command(for: .dispatch), reopened, at: F.t0 + 3 * F.day)
        XCTAssertEqual(dispatched.state, .dispatched)
    }

    func testTheConclusionOfACaseAlreadyClosedOrNeverHandedOverWritesNothing() throws {
        let waiting = try handedOver(.handled)
        let closed = try XCTUnwrap(
            CaseWorkflow.concludeMediation(waiting, disputeState: "refused", outcome: "a party refused", at: F.t0)
        )
        XCTAssertNil(CaseWorkflow.concludeMediation(closed, disputeState: "refused", outcome: "again", at: F.t0 + 1))

        for state in Self.finalStates {
            // Even with a dispute it would wait on, a case no longer open is not written.
            var c = try F.caseIn(state)
            c.mediation.disputeID = Self.dispute
            c.mediation.handedAtMs = F.t0
            XCTAssertNil(
                CaseWorkflow.concludeMediation(c, disputeState: "performed", outcome: Self.outcome, at: F.t0),
                "\(state)"
            )
        }
        for state in Self.openStates {
            XCTAssertNil(
                CaseWorkflow.concludeMediation(
                    try F.caseIn(state),
                    disputeState: "performed",
                    outcome: Self.outcome,
                    at: F.t0
                ),
                "a \(state) case never handed over"
            )
        }
    }

    // MARK: Missed obligations

    func missedObligationCase(
        title: String = "楼上漏水",
        gridCode: String = F.place.gridCode,
        category: String = "E0701"
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_Case {
        try CaseWorkflow.missedObligationCase(
            id: "\(Self.dispute)-o1",
            disputeID: Self.dispute,
            disputeTitle: title,
            obligationID: "o1",
            gridCode: gridCode,
            categoryCode: category,
            at: F.t0,
            catalogue: F.catalogue
        )
    }

    func testAMissedObligationOpensAReportedCaseInTheDisputesGrid() throws {
        let c = try missedObligationCase()
        XCTAssertEqual(c.id, "MD-0123456789ab-o1")
        XCTAssertEqual(c.state, .reported)
        XCTAssertEqual(c.source, .mediation)
        XCTAssertEqual(c.categoryCode, "E0701")
        XCTAssertEqual(c.categoryName, "邻里纠纷")
        XCTAssertEqual(c.categoryType, .event)
        XCTAssertEqual(c.tier, .community)
        XCTAssertEqual(c.gridCode, "110101001001001")
        XCTAssertEqual(c.communityCode, "110101001001")
        XCTAssertEqual(c.streetCode, "110101001")
        XCTAssertEqual(c.fromDisputeID, Self.dispute)
        XCTAssertEqual(c.createdAtMs, F.t0)
        XCTAssertFalse(c.hasMediation, "it does not wait on the dispute: the grid handles it")
        XCTAssertEqual(c.reporter.principal, "plugin:mediation")
        XCTAssertEqual(c.reporter.name, "人民调解委员会")
        XCTAssertEqual(c.reporter.source, .mediation)
        XCTAssertEqual(c.reporter.reportedAtMs, F.t0)
        XCTAssertEqual(c.history.count, 1)
        XCTAssertEqual(c.history[0].action, .report)
        XCTAssertEqual(c.history[0].to, .reported)
        XCTAssertEqual(c.history[0].actor, "gongzhi-grid")
        XCTAssertEqual(c.history[0].principal, "plugin:mediation")
        XCTAssertEqual(c.deadlineMs, 0, "not dispatched automatically")
        XCTAssertFalse(c.hasAssignee)

        // The grid walks it as any case.
        let registered = try F.step(.register(note: "", tier: nil), c, at: F.t0 + F.hour)
        XCTAssertEqual(registered.state, .registered)
        // An auto-dispatch category still leaves it for a person to decide.
        XCTAssertEqual(try missedObligationCase(category: "E0702").state, .reported)
    }

    func testAMissedObligationsCaseHasNoPersonalDataInItsDescription() throws {
        let c = try missedObligationCase()
        XCTAssertEqual(c.description_p, "调解协议未履行：纠纷 MD-0123456789ab（楼上漏水）义务 o1")
        XCTAssertTrue(c.reporter.phone.isEmpty)
        XCTAssertTrue(c.reporter.residentID.isEmpty)
        XCTAssertTrue(c.media.isEmpty)
        XCTAssertFalse(c.hasLocation)
        XCTAssertTrue(c.alsoReportedBy.isEmpty)

        XCTAssertEqual(try missedObligationCase(title: "  ").description_p, "调解协议未履行：纠纷 MD-0123456789ab 义务 o1")
        let long = try missedObligationCase(title: String(repeating: "漏", count: 300))
        XCTAssertEqual(
            long.description_p,
            "调解协议未履行：纠纷 MD-0123456789ab（\(String(repeating: "漏", count: 100))）义务 o1"
        )
    }

    func testAMissedObligationOutsideAGridOrOfAnUnknownCategoryOpensNothing() {
        for place in ["110101001001", "", "11010100100100x", "1101010010010011"] {
            let error = workflowError { () throws(WorkflowError) in try missedObligationCase(gridCode: place) }
            XCTAssertEqual(error?.code, .invalidArgument, place)
            XCTAssertEqual(
                error?.message,
                "dispute \(Self.dispute) lies in \"\(place)\", which is not a grid (15 digits): its missed obligation "
                    + "opens no grid case"
            )
        }
        let unknown = workflowError { () throws(WorkflowError) in try missedObligationCase(category: "E0799") }
        XCTAssertEqual(unknown?.code, .invalidArgument)
        XCTAssertTrue(unknown?.message.hasPrefix("unknown category \"E0799\"; known codes include E07") == true)

        let noObligation = workflowError { () throws(WorkflowError) in
            try CaseWorkflow.missedObligationCase(
                id: "MD-0123456789ab-",
                disputeID: Self.dispute,
                disputeTitle: "",
                obligationID: "",
                gridCode: F.place.gridCode,
                categoryCode: "E0701",
                at: F.t0,
                catalogue: F.catalogue
            )
        }
        XCTAssertEqual(noObligation?.code, .invalidArgument)
    }

    func testAReportCannotClaimTheMediationSource() {
        var report = F.report()
        report.source = .mediation
        let error = workflowError { () throws(WorkflowError) in try F.open(report) }
        XCTAssertEqual(error?.code, .invalidArgument)
        XCTAssertEqual(
            error?.message,
            "the source mediation is for the cases the grid module opens itself for a mediation agreement's missed "
                + "obligation; give patrol, visit, online, hotline, sensor or assigned"
        )
    }
}
