import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

final class CaseWorkflowTests: XCTestCase {
    typealias F = GridFixtures

    // MARK: - Opening

    func testAReportOpensAReportedCase() throws {
        let c = try F.open()
        XCTAssertEqual(c.id, "C1")
        XCTAssertEqual(c.state, .reported)
        XCTAssertEqual(c.source, .hotline)
        XCTAssertEqual(c.categoryCode, "P0115")
        XCTAssertEqual(c.categoryName, "路灯")
        XCTAssertEqual(c.categoryType, .part)
        XCTAssertEqual(c.tier, .community)
        XCTAssertEqual(c.description_p, "路灯不亮")
        XCTAssertEqual(c.media, ["photos/1.jpg"])
        XCTAssertEqual(c.location.longitude, F.tiananmen.longitude)
        XCTAssertEqual(c.location.latitude, F.tiananmen.latitude)
        XCTAssertEqual(c.gridCode, "110101001001001")
        XCTAssertEqual(c.communityCode, "110101001001")
        XCTAssertEqual(c.streetCode, "110101001")
        XCTAssertEqual(c.reporter.name, "李明")
        XCTAssertEqual(c.reporter.principal, "client:hotline as person:li-ming")
        XCTAssertEqual(c.reporter.reportedAtMs, F.t0)
        XCTAssertEqual(c.reporter.source, .hotline)
        XCTAssertEqual(c.createdAtMs, F.t0)
        XCTAssertEqual(c.deadlineMs, 0)
        XCTAssertFalse(c.hasAssignee)
        XCTAssertEqual(c.history.count, 1)
        XCTAssertEqual(c.history[0].action, .report)
        XCTAssertEqual(c.history[0].from, .unspecified)
        XCTAssertEqual(c.history[0].to, .reported)
        XCTAssertEqual(c.history[0].actor, "李明")
        XCTAssertEqual(c.history[0].actorID, "li-ming")
        XCTAssertEqual(c.history[0].principal, "client:hotline as person:li-ming")
        XCTAssertEqual(c.history[0].atMs, F.t0)
    }

    func testAReportWithoutALocationKeepsNone() throws {
        let c = try F.open(F.report(location: nil))
        XCTAssertFalse(c.hasLocation)
    }

    func testASmallGridMatterIsDispatchedToTheGridsWorkerAtOnce() throws {
        // E0101 暴露垃圾: grid tier, 24 h, auto-dispatch.
        let c = try F.open(F.report(category: "E0101", description: "垃圾堆在路边"))
        XCTAssertEqual(c.state, .dispatched)
        XCTAssertEqual(c.tier, .grid)
        XCTAssertEqual(c.assignee, F.worker)
        XCTAssertEqual(c.deadlineMs, F.t0 + F.day)
        XCTAssertEqual(c.dispatchedAtMs, F.t0)
        XCTAssertEqual(c.history.map(\.action), [.report, .register, .dispatch])
        XCTAssertEqual(c.history.map(\.from), [.unspecified, .reported, .registered])
        XCTAssertEqual(c.history.map(\.to), [.reported, .registered, .dispatched])
        XCTAssertEqual(c.history.map(\.actor), ["李明", "gongzhi-grid", "gongzhi-grid"])
        XCTAssertEqual(c.history.map(\.actorID), ["li-ming", "gongzhi-grid", "gongzhi-grid"])
        XCTAssertEqual(c.history.map(\.principal), Array(repeating: "client:hotline as person:li-ming", count: 3))
        XCTAssertTrue(c.history[2].note.contains("王芳"), c.history[2].note)
    }

    func testAutoDispatchNeedsAWorkerAndAnAutoDispatchCategory() throws {
        let noWorker = try F.open(F.report(category: "E0101"), place: F.placeWithoutWorker)
        XCTAssertEqual(noWorker.state, .reported)
        XCTAssertEqual(noWorker.history.count, 1)

        let notAuto = try F.open(F.report(category: "E0502"))  // 占道经营: grid tier, not auto-dispatched
        XCTAssertEqual(notAuto.state, .reported)
    }

    func testAWorkerWithoutAKindIsAGridWorker() throws {
        var place = F.place
        place.worker?.kind = .unspecified
        let c = try F.open(F.report(category: "E0702"), place: place)
        XCTAssertEqual(c.state, .dispatched)
        XCTAssertEqual(c.assignee.kind, .gridWorker)
    }

    func testAnUnknownCategoryIsRefusedNamingItAndKnownCodes() throws {
        let error = workflowError { () throws(WorkflowError) in try F.open(F.report(category: "E0199")) }
        XCTAssertEqual(error?.code, .invalidArgument)
        let message = error?.message ?? ""
        XCTAssertTrue(message.hasPrefix("unknown category \"E0199\"; known codes include "), message)
        XCTAssertTrue(message.contains("E0101 (暴露垃圾)"), message)
        XCTAssertTrue(message.contains("E0104 (乱堆物堆料)"), message)
        XCTAssertTrue(message.contains("ListCategories lists all 21"), message)
    }

    func testReportsAreValidated() throws {
        func refusal(_ change: (inout ReportInput) -> Void, place: GridPlace = F.place) -> WorkflowError? {
            var report = F.report()
            change(&report)
            return workflowError { () throws(WorkflowError) in
                try CaseWorkflow.open(
                    report,
                    id: "C1",
                    place: place,
                    by: F.reporterActor,
                    at: F.t0,
                    catalogue: F.catalogue
                )
            }
        }
        let cases: [(String, (inout ReportInput) -> Void, String)] = [
            ("blank description", { $0.description = "  " }, "the description is required"),
            (
                "long description", { $0.description = String(repeating: "灯", count: 2_001) },
                "the description has 2001 characters; at most 2000 are allowed"
            ),
            ("21 media", { $0.media = (0...20).map { "m\($0)" } }, "the report has 21 media; at most 20 are allowed"),
            ("empty media", { $0.media = ["a", ""] }, "media[1] is required"),
            (
                "long key", { $0.idempotencyKey = String(repeating: "k", count: 129) },
                "the idempotency key has 129 characters; at most 128 are allowed"
            ),
            ("no source", { $0.source = .unspecified }, "the report's source is required"),
            ("bad location", { $0.location = GeoPoint(longitude: 200, latitude: 0) }, "is not a WGS-84 point"),
            ("long phone", { $0.reporter.phone = String(repeating: "1", count: 33) }, "the reporter's phone has 33"),
        ]
        for (name, change, expected) in cases {
            let error = refusal(change)
            XCTAssertEqual(error?.code, .invalidArgument, name)
            XCTAssertTrue(error?.message.contains(expected) ?? false, "\(name): \(error?.message ?? "")")
        }
        // Exactly at the limits is fine.
        var report = F.report(
            description: String(repeating: "灯", count: 2_000),
            key: String(repeating: "k", count: 128)
        )
        report.media = (0..<20).map { "m\($0)" }
        XCTAssertNoThrow(try F.open(report))

        var nowhere = F.place
        nowhere.gridCode = ""
        let error = refusal({ _ in }, place: nowhere)
        XCTAssertEqual(error?.code, .invalidArgument)
        XCTAssertEqual(error?.message, "the report is in no grid: give a location inside a grid, or a grid code")
    }

    func testTheRequestInitializerCarriesTheReport() {
        var request = Gongzhi_Grid_V1_ReportRequest()
        request.source = .sensor
        request.categoryCode = "E0405"
        request.description_p = "积水 30 cm"
        request.location.longitude = 116.4
        request.location.latitude = 39.9
        request.media = ["s/1"]
        request.reporter.name = "水位计 7"
        request.idempotencyKey = "alert-7"
        let report = ReportInput(request)
        XCTAssertEqual(report.source, .sensor)
        XCTAssertEqual(report.categoryCode, "E0405")
        XCTAssertEqual(report.description, "积水 30 cm")
        XCTAssertEqual(report.location, GeoPoint(longitude: 116.4, latitude: 39.9))
        XCTAssertEqual(report.media, ["s/1"])
        XCTAssertEqual(report.reporter.name, "水位计 7")
        XCTAssertEqual(report.idempotencyKey, "alert-7")
        XCTAssertNil(ReportInput(Gongzhi_Grid_V1_ReportRequest()).location)
    }

    // MARK: - Legal moves

    func testTheWholeLoop() throws {
        var c = try F.open()

        c = try F.step(.register(note: "立案", tier: nil), c, at: F.t0 + F.hour)
        XCTAssertEqual(c.state, .registered)
        XCTAssertEqual(c.tier, .community)

        c = try F.step(.dispatch(assignee: F.worker, deadlineMs: nil, note: "请处理"), c, at: F.t0 + 2 * F.hour)
        XCTAssertEqual(c.state, .dispatched)
        XCTAssertEqual(c.assignee, F.worker)
        XCTAssertEqual(c.deadlineMs, F.t0 + 2 * F.hour + 3 * F.day)  // P0115: 72 h
        XCTAssertEqual(c.dispatchedAtMs, F.t0 + 2 * F.hour)

        c = try F.step(.start(note: "出发"), c, by: F.handlerActor, at: F.t0 + 3 * F.hour)
        XCTAssertEqual(c.state, .inProgress)

        c = try F.step(.handle(notes: "已更换灯泡", media: ["after.jpg"]), c, by: F.handlerActor, at: F.t0 + 4 * F.hour)
        XCTAssertEqual(c.state, .handled)
        XCTAssertEqual(c.handler, "王芳")
        XCTAssertEqual(c.handlerID, "wang-fang")
        XCTAssertEqual(c.handlingNotes, "已更换灯泡")
        XCTAssertEqual(c.handledAtMs, F.t0 + 4 * F.hour)
        XCTAssertFalse(c.handledLate)
        XCTAssertEqual(c.media, ["photos/1.jpg", "after.jpg"])

        c = try F.step(.verify(note: "亮了"), c, by: F.checker, at: F.t0 + 5 * F.hour)
        XCTAssertEqual(c.state, .verified)

        c = try F.step(.close(note: "结案"), c, at: F.t0 + 6 * F.hour)
        XCTAssertEqual(c.state, .closed)
        XCTAssertEqual(c.closedAtMs, F.t0 + 6 * F.hour)
        XCTAssertEqual(c.closedTier, .community)

        c = try F.step(.evaluate(satisfaction: .acceptable, comment: "还行"), c, by: F.reporterActor, at: F.t0 + F.day)
        XCTAssertEqual(c.state, .evaluated)
        XCTAssertEqual(c.satisfaction, .acceptable)
        XCTAssertEqual(c.evaluationComment, "还行")
        XCTAssertFalse(CaseWorkflow.isOpen(c.state))

        XCTAssertEqual(
            c.history.map(\.action),
            [.report, .register, .dispatch, .start, .handle, .verify, .close, .evaluate]
        )
        XCTAssertEqual(
            c.history.map(\.to),
            [.reported, .registered, .dispatched, .inProgress, .handled, .verified, .closed, .evaluated]
        )
        XCTAssertEqual(
            c.history.map(\.from),
            [.unspecified, .reported, .registered, .dispatched, .inProgress, .handled, .verified, .closed]
        )
        XCTAssertEqual(c.history.map(\.actor), ["李明", "赵敏", "赵敏", "王芳", "王芳", "陈刚", "赵敏", "李明"])
        XCTAssertEqual(
            c.history.map(\.actorID),
            ["li-ming", "zhao-min", "zhao-min", "wang-fang", "wang-fang", "chen-gang", "zhao-min", "li-ming"]
        )
        XCTAssertEqual(c.history[3].principal, "person:wang-fang")
        XCTAssertEqual(c.history[4].note, "已更换灯泡")
        XCTAssertEqual(c.history[7].atMs, F.t0 + F.day)
    }

    func testEveryLegalMove() throws {
        for state in F.states {
            // An evaluated case is evaluated again only as not fixed, which reopens it (its own test).
            for action in CaseWorkflow.allowedActions(in: state) where state != .evaluated {
                let c = try F.caseIn(state)
                let after = try F.step(F.command(for: action), c, by: F.actor(for: action), at: F.t0 + F.day)
                let expected: Gongzhi_Grid_V1_CaseState =
                    switch action {
                    case .register: .registered
                    case .reject: .rejected
                    case .dispatch: .dispatched
                    case .start: .inProgress
                    case .handle: .handled
                    case .verify: .verified
                    case .sendBack: .inProgress
                    case .close: .closed
                    case .evaluate: .evaluated
                    default: .unspecified
                    }
                XCTAssertEqual(after.state, expected, "\(action) from \(state)")
                XCTAssertEqual(after.history.count, c.history.count + 1)
                let last = after.history.last!
                XCTAssertEqual(last.action, action)
                XCTAssertEqual(last.from, state)
                XCTAssertEqual(last.to, expected)
                XCTAssertEqual(last.atMs, F.t0 + F.day)
                XCTAssertEqual(last.actor, F.actor(for: action).name)
                XCTAssertEqual(last.actorID, F.actor(for: action).id)
                XCTAssertEqual(last.principal, F.actor(for: action).principal)
            }
        }
    }

    func testHandlingStraightFromDispatched() throws {
        let c = try F.step(F.command(for: .handle), try F.caseIn(.dispatched), by: F.handlerActor, at: F.t0 + F.day)
        XCTAssertEqual(c.state, .handled)
        XCTAssertEqual(c.handler, "王芳")
    }

    func testTheAllowedActions() {
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .reported), [.register, .reject])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .registered), [.dispatch])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .rejected), [])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .dispatched), [.start, .handle])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .inProgress), [.handle])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .handled), [.verify, .sendBack])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .verified), [.close])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .closed), [.evaluate])
        XCTAssertEqual(CaseWorkflow.allowedActions(in: .evaluated), [.evaluate])
    }

    func testOpenStates() {
        let open = F.states.filter(CaseWorkflow.isOpen)
        XCTAssertEqual(open, [.reported, .registered, .dispatched, .inProgress, .handled, .verified])
    }

    // MARK: - Illegal moves

    func testEveryIllegalMoveNamesTheStateAndTheAllowedSteps() throws {
        let expected: [Gongzhi_Grid_V1_CaseState: String] = [
            .reported: "case C1 is reported; it can be registered or rejected (allowed: register, reject)",
            .registered: "case C1 is registered; it can be dispatched (allowed: dispatch)",
            .rejected: "case C1 is rejected, which is final; it takes no more steps (allowed: none)",
            .dispatched: "case C1 is dispatched; it can be started or handled (allowed: start, handle)",
            .inProgress: "case C1 is in progress; it can be handled (allowed: handle)",
            .handled: "case C1 is handled; it can be verified or sent back (allowed: verify, send back)",
            .verified: "case C1 is verified; it can be closed (allowed: close)",
            .closed: "case C1 is closed; it can be evaluated (allowed: evaluate)",
            .evaluated: "case C1 is evaluated; it can be evaluated (allowed: evaluate)",
        ]
        var illegal = 0
        for state in F.states {
            let c = try F.caseIn(state)
            for action in F.verbs where !CaseWorkflow.allowedActions(in: state).contains(action) {
                illegal += 1
                let error = workflowError { () throws(WorkflowError) in
                    try CaseWorkflow.apply(
                        F.command(for: action),
                        to: c,
                        by: F.actor(for: action),
                        at: F.t0 + F.day,
                        catalogue: F.catalogue
                    )
                }
                XCTAssertEqual(error?.code, .failedPrecondition, "\(action) in \(state)")
                XCTAssertEqual(error?.message, expected[state], "\(action) in \(state)")
            }
        }
        XCTAssertEqual(illegal, 9 * 9 - 11)

        var stateless = try F.open()
        stateless.state = .unspecified
        let error = workflowError { () throws(WorkflowError) in try F.step(.register(note: "", tier: nil), stateless) }
        XCTAssertEqual(error?.code, .failedPrecondition)
        XCTAssertEqual(
            error?.message,
            "case C1 has no state; it was not opened by CaseWorkflow.open and takes no steps (allowed: none)"
        )
    }

    func testAnEvaluatedCaseIsReopenedOnlyByALaterNotFixed() throws {
        let evaluated = try F.step(
            .evaluate(satisfaction: .satisfied, comment: ""),
            try F.caseIn(.closed),
            by: F.reporterActor,
            at: F.t0 + F.day
        )
        XCTAssertEqual(evaluated.state, .evaluated)
        let error = workflowError { () throws(WorkflowError) in
            try F.step(.evaluate(satisfaction: .acceptable, comment: ""), evaluated, by: F.reporterActor)
        }
        XCTAssertEqual(error?.code, .failedPrecondition)
        XCTAssertEqual(
            error?.message,
            "case C1 is evaluated (satisfied); a later evaluation can only say it is not fixed, which reopens it"
        )
        let reopened = try F.step(
            .evaluate(satisfaction: .notFixed, comment: "回访发现又坏了"),
            evaluated,
            by: F.reporterActor,
            at: F.t0 + 2 * F.day
        )
        XCTAssertEqual(reopened.state, .registered)
        XCTAssertEqual(reopened.reopened, 1)
        XCTAssertEqual(reopened.history.suffix(2).map(\.action), [.evaluate, .reopen])
    }

    func testTheHandlerMayNotVerifyTheirOwnHandling() throws {
        let c = try F.caseIn(.handled)
        XCTAssertEqual(c.handlerID, "wang-fang")
        // The same person under another name (an administrator acting as them): refused, by id.
        let error = workflowError { () throws(WorkflowError) in
            try CaseWorkflow.apply(
                .verify(note: ""),
                to: c,
                by: CaseActor(id: "wang-fang", name: "王芳（网格员）", principal: "admin:uid=0 as person:wang-fang"),
                at: F.t0 + F.day,
                catalogue: F.catalogue
            )
        }
        XCTAssertEqual(error?.code, .failedPrecondition)
        XCTAssertEqual(
            error?.message,
            "case C1 was handled by 王芳 (wang-fang), who may not verify their own handling; someone else must verify it"
        )
        // Another person with the same name: allowed, by id.
        let namesake = CaseActor(id: "wang-fang-2", name: "王芳", principal: "person:wang-fang-2")
        XCTAssertEqual(try F.step(.verify(note: ""), c, by: namesake).state, .verified)
        // Checking a step refuses it the same way, and takes nothing.
        let checked = workflowError { () throws(WorkflowError) in
            try CaseWorkflow.check(.verify(note: ""), on: c, by: F.handlerActor, at: F.t0 + F.day)
        }
        XCTAssertEqual(checked, error)
        XCTAssertNoThrow(try CaseWorkflow.check(.verify(note: ""), on: c, by: F.checker, at: F.t0 + F.day))

        // A caller that is not a person: its principal is its id.
        let byPrincipal = try F.step(
            .handle(notes: "", media: []),
            try F.caseIn(.dispatched),
            by: CaseActor(principal: "client:x")
        )
        XCTAssertEqual(byPrincipal.handler, "client:x")
        XCTAssertEqual(byPrincipal.handlerID, "client:x")
        let own = workflowError { () throws(WorkflowError) in
            try F.step(.verify(note: ""), byPrincipal, by: CaseActor(principal: "client:x"))
        }
        XCTAssertEqual(
            own?.message,
            "case C1 was handled by client:x, who may not verify their own handling; someone else must verify it"
        )
        XCTAssertNoThrow(try F.step(.verify(note: ""), byPrincipal, by: CaseActor(principal: "client:y")))
        // A person acting through the same administrator that handled it is someone else.
        let byAdmin = try F.step(
            .handle(notes: "", media: []),
            try F.caseIn(.dispatched),
            by: CaseActor(principal: "admin:uid=0")
        )
        let asPerson = CaseActor(id: "hu-wei", name: "胡伟", principal: "admin:uid=0 as person:hu-wei")
        XCTAssertEqual(try F.step(.verify(note: ""), byAdmin, by: asPerson).state, .verified)
        XCTAssertThrowsError(try F.step(.verify(note: ""), byAdmin, by: CaseActor(principal: "admin:uid=0")))
    }

    func testACaseHandledBeforeIdsWereRecordedIsVerifiedByThePrincipalThatHandledIt() throws {
        // As the plugin wrote it before: the handler a label from the request, the verified caller the principal.
        var legacy = try F.caseIn(.handled)
        legacy.handler = "王芳"
        legacy.handlerID = ""
        for index in legacy.history.indices {
            legacy.history[index].actorID = ""
            legacy.history[index].principal = "admin:uid=1000"
        }
        let own = workflowError { () throws(WorkflowError) in
            try F.step(.verify(note: ""), legacy, by: CaseActor(principal: "admin:uid=1000"))
        }
        XCTAssertEqual(
            own?.message,
            "case C1 was handled by 王芳 (admin:uid=1000), who may not verify their own handling; "
                + "someone else must verify it"
        )
        XCTAssertEqual(try F.step(.verify(note: ""), legacy, by: F.checker).state, .verified)
    }

    func testSendingBackForgetsTheHandlersId() throws {
        let sentBack = try F.step(.sendBack(reason: "照片看不清"), try F.caseIn(.handled), by: F.checker)
        XCTAssertEqual(sentBack.handlerID, "")
        // Handled again by the checker, who then may not verify it; the first handler may.
        let again = try F.step(.handle(notes: "", media: []), sentBack, by: F.checker)
        XCTAssertEqual(again.handlerID, "chen-gang")
        XCTAssertThrowsError(try F.step(.verify(note: ""), again, by: F.checker))
        XCTAssertEqual(try F.step(.verify(note: ""), again, by: F.handlerActor).state, .verified)
    }

    func testMissingReasonsAssigneesAndSatisfactionAreInvalidArguments() throws {
        let reported = try F.caseIn(.reported)
        let registered = try F.caseIn(.registered)
        let handled = try F.caseIn(.handled)
        let closed = try F.caseIn(.closed)
        let refusals: [(WorkflowCommand, Gongzhi_Grid_V1_Case, String)] = [
            (.reject(reason: ""), reported, "a reason for rejecting the case is required"),
            (.reject(reason: " \n"), reported, "a reason for rejecting the case is required"),
            (.sendBack(reason: ""), handled, "a reason for sending the case back is required"),
            (
                .dispatch(assignee: Gongzhi_Grid_V1_Assignee(), deadlineMs: nil, note: ""), registered,
                "dispatch needs an assignee with a kind (grid worker, partner team or department) and an id"
            ),
            (
                .dispatch(assignee: F.assignee(.department, ""), deadlineMs: nil, note: ""), registered,
                "dispatch needs an assignee with an id: the grid worker's Person id, the Partner's or the Department's id"
            ),
            (
                .dispatch(assignee: F.worker, deadlineMs: F.t0, note: ""), registered,
                "the deadline \(F.t0) ms is not after now (\(F.t0 + F.hour) ms); give a later one, or 0 for the category's"
            ),
            (
                .evaluate(satisfaction: .unspecified, comment: ""), closed,
                "an evaluation needs a satisfaction: satisfied, acceptable, unsatisfied or not fixed"
            ),
            (
                .close(note: String(repeating: "x", count: 2_001)), try F.caseIn(.verified),
                "the note has 2001 characters; at most 2000 are allowed"
            ),
            (
                .register(note: "", tier: .UNRECOGNIZED(9)), reported,
                "tier 9 is not one of grid, community, street or joint"
            ),
        ]
        for (command, c, message) in refusals {
            let error = workflowError { () throws(WorkflowError) in
                try CaseWorkflow.apply(command, to: c, by: F.clerk, at: F.t0 + F.hour, catalogue: F.catalogue)
            }
            XCTAssertEqual(error?.code, .invalidArgument, message)
            XCTAssertEqual(error?.message, message)
        }
    }

    func testRejectionRecordsTheReason() throws {
        let c = try F.step(.reject(reason: "重复上报"), try F.open())
        XCTAssertEqual(c.state, .rejected)
        XCTAssertEqual(c.rejectionReason, "重复上报")
        XCTAssertEqual(c.history.last?.note, "重复上报")
    }

    func testRegisteringWithATierOverridesTheCategorys() throws {
        let c = try F.step(.register(note: "", tier: .street), try F.open())
        XCTAssertEqual(c.tier, .street)
        let unspecified = try F.step(.register(note: "", tier: .unspecified), try F.open())
        XCTAssertEqual(unspecified.tier, .community)
    }

    func testDispatchWithAGivenDeadline() throws {
        let deadline = F.t0 + 5 * F.hour
        let c = try F.step(
            .dispatch(assignee: F.assignee(.partnerTeam, "partner-7"), deadlineMs: deadline, note: ""),
            try F.caseIn(.registered)
        )
        XCTAssertEqual(c.deadlineMs, deadline)
        XCTAssertEqual(c.assignee.kind, .partnerTeam)
        let zero = try F.step(.dispatch(assignee: F.worker, deadlineMs: 0, note: ""), try F.caseIn(.registered))
        XCTAssertEqual(zero.deadlineMs, F.t0 + F.hour + 3 * F.day)
    }

    func testHandlingAfterTheDeadlineIsLate() throws {
        let c = try F.caseIn(.dispatched)  // dispatched at t0 + 2 h, deadline t0 + 2 h + 72 h
        let onTheDot = try F.step(.handle(notes: "", media: []), c, by: F.handlerActor, at: c.deadlineMs)
        XCTAssertFalse(onTheDot.handledLate)
        let late = try F.step(.handle(notes: "", media: []), c, by: F.handlerActor, at: c.deadlineMs + 1)
        XCTAssertTrue(late.handledLate)
    }

    func testSendingBackClearsTheHandling() throws {
        let c = try F.step(.sendBack(reason: "照片看不清"), try F.caseIn(.handled), by: F.checker)
        XCTAssertEqual(c.state, .inProgress)
        XCTAssertEqual(c.handler, "")
        XCTAssertEqual(c.handlingNotes, "")
        XCTAssertEqual(c.handledAtMs, 0)
        XCTAssertFalse(c.handledLate)
        XCTAssertEqual(c.history.last?.action, .sendBack)
        XCTAssertEqual(c.history.last?.note, "照片看不清")
        // …and it can be handled and verified again.
        let again = try F.step(.handle(notes: "重新拍照", media: []), c, by: F.handlerActor, at: F.t0 + F.day)
        XCTAssertEqual(again.state, .handled)
        XCTAssertEqual(try F.step(.verify(note: ""), again, by: F.checker).state, .verified)
    }

    func testNotFixedReopensTheCaseAndItGoesRoundAgain() throws {
        let closed = try F.caseIn(.closed)
        let firstDispatch = closed.dispatchedAtMs
        var c = try F.step(
            .evaluate(satisfaction: .notFixed, comment: "灯还是不亮"),
            closed,
            by: F.reporterActor,
            at: F.t0 + F.day
        )
        XCTAssertEqual(c.state, .registered)
        XCTAssertEqual(c.reopened, 1)
        XCTAssertEqual(c.deadlineMs, 0)
        XCTAssertFalse(c.hasAssignee)
        XCTAssertEqual(c.closedAtMs, 0)
        XCTAssertEqual(c.closedTier, .unspecified)
        XCTAssertEqual(c.handledAtMs, 0)
        XCTAssertEqual(c.satisfaction, .notFixed)
        XCTAssertEqual(c.evaluationComment, "灯还是不亮")
        let lastTwo = Array(c.history.suffix(2))
        XCTAssertEqual(lastTwo.map(\.action), [.evaluate, .reopen])
        XCTAssertEqual(lastTwo.map(\.from), [.closed, .evaluated])
        XCTAssertEqual(lastTwo.map(\.to), [.evaluated, .registered])
        XCTAssertEqual(lastTwo.map(\.atMs), [F.t0 + F.day, F.t0 + F.day])
        XCTAssertTrue(CaseWorkflow.isOpen(c.state))

        // Round again: dispatch, handle, verify, close, evaluate.
        let now = F.t0 + 2 * F.day
        c = try F.step(.dispatch(assignee: F.worker, deadlineMs: nil, note: "再派"), c, at: now)
        XCTAssertEqual(c.deadlineMs, now + 3 * F.day)
        XCTAssertEqual(c.dispatchedAtMs, firstDispatch)  // the first dispatch is kept
        c = try F.step(.handle(notes: "换了整套灯具", media: []), c, by: F.handlerActor, at: now + F.hour)
        c = try F.step(.verify(note: ""), c, by: F.checker, at: now + 2 * F.hour)
        c = try F.step(.close(note: ""), c, at: now + 3 * F.hour)
        XCTAssertEqual(c.closedAtMs, now + 3 * F.hour)
        c = try F.step(.evaluate(satisfaction: .satisfied, comment: ""), c, by: F.reporterActor, at: now + F.day)
        XCTAssertEqual(c.state, .evaluated)
        XCTAssertEqual(c.satisfaction, .satisfied)
        XCTAssertEqual(c.reopened, 1)
        XCTAssertEqual(c.history.filter { $0.action == .reopen }.count, 1)
    }

    // MARK: - Duplicates and privacy

    func testLinkingADuplicateReport() throws {
        var again = F.reporter("张伟", phone: "13900000000")
        again.principal = "person:sun-li"
        let callTaker = CaseActor(id: "sun-li", name: "孙丽", principal: "person:sun-li")
        let c = CaseWorkflow.link(duplicate: again, to: try F.caseIn(.dispatched), by: callTaker, at: F.t0 + F.day)
        XCTAssertEqual(c.state, .dispatched)
        XCTAssertEqual(c.alsoReportedBy.count, 1)
        XCTAssertEqual(c.alsoReportedBy[0].name, "张伟")
        XCTAssertEqual(c.alsoReportedBy[0].reportedAtMs, F.t0 + F.day)
        let last = c.history.last!
        XCTAssertEqual(last.action, .report)
        XCTAssertEqual(last.from, .dispatched)
        XCTAssertEqual(last.to, .dispatched)
        XCTAssertEqual(last.actor, "孙丽", "the caller who reported it, not the reporter")
        XCTAssertEqual(last.actorID, "sun-li")
        XCTAssertEqual(last.principal, "person:sun-li")
        XCTAssertEqual(last.note, "reported again (2 reports of this matter); linked as a duplicate")
    }

    func testErrorsDescribeThemselves() {
        XCTAssertEqual(
            WorkflowError.failedPrecondition("case C1 is closed").description,
            "failed precondition: case C1 is closed"
        )
        XCTAssertEqual(WorkflowError.notFound("no case C9").code, .notFound)
        XCTAssertEqual(WorkflowCommand.sendBack(reason: "x").action, .sendBack)
    }
}
