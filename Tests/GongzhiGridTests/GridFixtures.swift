import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

/// Shared values for the grid tests: a clock, places, people and cases in every state.
enum GridFixtures {
    static let t0: Int64 = 1_700_000_000_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour

    static let catalogue = CategoryCatalogue.standard

    static let tiananmen = GeoPoint(longitude: 116.3975, latitude: 39.9087)

    static let worker = assignee(.gridWorker, "wang-fang", name: "王芳")
    static let place = GridPlace(
        gridCode: "110101001001001",
        communityCode: "110101001001",
        streetCode: "110101001",
        worker: worker
    )
    static let placeWithoutWorker = GridPlace(
        gridCode: "110101001001002",
        communityCode: "110101001001",
        streetCode: "110101001",
        worker: nil
    )

    /// People as the host verifies them: a call-taker through the hotline's front end, a clerk, the grid worker
    /// and a community worker who checks, each with their own token but for the first.
    static let reporterActor = CaseActor(id: "li-ming", name: "李明", principal: "client:hotline as person:li-ming")
    static let clerk = CaseActor(id: "zhao-min", name: "赵敏", principal: "person:zhao-min")
    static let handlerActor = CaseActor(id: "wang-fang", name: "王芳", principal: "person:wang-fang")
    static let checker = CaseActor(id: "chen-gang", name: "陈刚", principal: "person:chen-gang")

    static func assignee(
        _ kind: Gongzhi_Grid_V1_Assignee.Kind,
        _ id: String,
        name: String? = nil
    ) -> Gongzhi_Grid_V1_Assignee {
        var assignee = Gongzhi_Grid_V1_Assignee()
        assignee.kind = kind
        assignee.id = id
        assignee.name = name ?? id
        return assignee
    }

    static func reporter(_ name: String, phone: String = "13800000000") -> Gongzhi_Grid_V1_Reporter {
        var reporter = Gongzhi_Grid_V1_Reporter()
        reporter.name = name
        reporter.phone = phone
        return reporter
    }

    /// A report of a broken street light (P0115: community tier, 72 h, not auto-dispatched).
    static func report(
        category: String = "P0115",
        description: String = "路灯不亮",
        location: GeoPoint? = tiananmen,
        key: String = ""
    ) -> ReportInput {
        ReportInput(
            source: .hotline,
            categoryCode: category,
            description: description,
            location: location,
            media: ["photos/1.jpg"],
            reporter: reporter("李明"),
            idempotencyKey: key
        )
    }

    static func open(
        _ report: ReportInput = report(),
        id: String = "C1",
        place: GridPlace = place,
        at nowMs: Int64 = t0
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_Case {
        try CaseWorkflow.open(report, id: id, place: place, by: reporterActor, at: nowMs, catalogue: catalogue)
    }

    static func step(
        _ command: WorkflowCommand,
        _ c: Gongzhi_Grid_V1_Case,
        by actor: CaseActor = clerk,
        at nowMs: Int64 = t0 + hour
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_Case {
        try CaseWorkflow.apply(command, to: c, by: actor, at: nowMs, catalogue: catalogue)
    }

    /// A valid command for each person's verb.
    static func command(for action: Gongzhi_Grid_V1_Action) -> WorkflowCommand {
        switch action {
        case .register: .register(note: "立案", tier: nil)
        case .reject: .reject(reason: "不属于受理范围")
        case .dispatch: .dispatch(assignee: worker, deadlineMs: nil, note: "")
        case .start: .start(note: "")
        case .handle: .handle(notes: "已更换灯泡", media: ["photos/after.jpg"])
        case .verify: .verify(note: "现场核实")
        case .sendBack: .sendBack(reason: "照片看不清")
        case .close: .close(note: "")
        case .evaluate: .evaluate(satisfaction: .satisfied, comment: "很好")
        default: fatalError("not a person's verb: \(action)")
        }
    }

    /// The actor for a verb: the handler handles, someone else verifies, the clerk does the rest.
    static func actor(for action: Gongzhi_Grid_V1_Action) -> CaseActor {
        switch action {
        case .start, .handle: handlerActor
        case .verify: checker
        default: clerk
        }
    }

    /// The person's verbs, in workflow order.
    static let verbs: [Gongzhi_Grid_V1_Action] = [
        .register, .reject, .dispatch, .start, .handle, .verify, .sendBack, .close, .evaluate,
    ]

    /// The states a case can be in.
    static let states: [Gongzhi_Grid_V1_CaseState] = [
        .reported, .registered, .rejected, .dispatched, .inProgress, .handled, .verified, .closed, .evaluated,
    ]

    /// A case brought to `state` through the workflow.
    static func caseIn(_ state: Gongzhi_Grid_V1_CaseState) throws -> Gongzhi_Grid_V1_Case {
        let path: [Gongzhi_Grid_V1_Action] =
            switch state {
            case .reported: []
            case .registered: [.register]
            case .rejected: [.reject]
            case .dispatched: [.register, .dispatch]
            case .inProgress: [.register, .dispatch, .start]
            case .handled: [.register, .dispatch, .start, .handle]
            case .verified: [.register, .dispatch, .start, .handle, .verify]
            case .closed: [.register, .dispatch, .start, .handle, .verify, .close]
            case .evaluated: [.register, .dispatch, .start, .handle, .verify, .close, .evaluate]
            default: fatalError("no path to \(state)")
            }
        var c = try open()
        for (index, action) in path.enumerated() {
            c = try step(command(for: action), c, by: actor(for: action), at: t0 + Int64(index + 1) * hour)
        }
        XCTAssertEqual(c.state, state)
        return c
    }
}

/// Runs `body` and returns the WorkflowError it throws, failing when it throws none.
func workflowError<T>(
    _ body: () throws(WorkflowError) -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) -> WorkflowError? {
    do {
        _ = try body()
        XCTFail("expected a WorkflowError", file: file, line: line)
        return nil
    } catch {
        return error
    }
}
