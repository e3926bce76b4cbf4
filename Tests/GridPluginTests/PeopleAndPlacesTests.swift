import Foundation
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import gongzhi_grid

/// The grid plugin with the people the host verifies: a person acts on, reads, lists and counts only the cases
/// within their places; a grid worker a case is dispatched to is a Person bound to its grid; the history records
/// the verified person; a request that names its own actor is refused. Persons call as the host routes their
/// calls (the caller metadata set as the host sets it); administrators and API clients call through the
/// in-process host.
final class PeopleAndPlacesTests: XCTestCase {
    /// A case in the third grid (张敏's), reported by an administrator.
    private func caseInThirdGrid(_ world: GridWorld, dx: Double = 0.5) async throws -> Gongzhi_Grid_V1_Case {
        let category = try world.manualCategory.code
        return try await world.grid.report(
            GridWorld.report(category: category, at: GridWorld.point(inGrid: 2, dx: dx))
        ).case
    }

    func testAPersonOfOneGridIsRefusedEveryStepAndReadingOnACaseOfAnotherAndNothingChanges() async throws {
        try await withGridWorld { world in
            let outsider = world.grid(as: GridWorld.wangFang)
            let owner = world.grid(as: GridWorld.zhangMin)
            let id = try await caseInThirdGrid(world).id
            let ref = GridWorld.ref(id)
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = ref
            var reject = Gongzhi_Grid_V1_RejectRequest()
            reject.ref = ref
            reject.reason = "不属于受理范围"
            var start = Gongzhi_Grid_V1_StartRequest()
            start.ref = ref
            var handle = Gongzhi_Grid_V1_HandleRequest()
            handle.ref = ref
            handle.notes = "已处理"
            var verify = Gongzhi_Grid_V1_VerifyRequest()
            verify.ref = ref
            var sendBack = Gongzhi_Grid_V1_SendBackRequest()
            sendBack.ref = ref
            sendBack.reason = "未处理到位"
            var close = Gongzhi_Grid_V1_CloseRequest()
            close.ref = ref
            var evaluate = Gongzhi_Grid_V1_EvaluateRequest()
            evaluate.ref = ref
            evaluate.satisfaction = .satisfied
            var get = Gongzhi_Grid_V1_GetCaseRequest()
            get.caseID = id
            let dispatch = GridWorld.dispatch(id, to: "zhang-min")

            typealias Step = (name: String, call: (Gongzhi_Grid_V1_GridServiceClient) async throws -> Void)
            // At each state of the loop, the steps it allows: the outsider is refused each, the owner takes one.
            let stages: [(state: Gongzhi_Grid_V1_CaseState, refused: [Step], next: Step)] = [
                (
                    .reported,
                    [
                        ("register", { _ = try await $0.register(register) }),
                        ("reject", { _ = try await $0.reject(reject) }),
                    ],
                    ("register", { _ = try await $0.register(register) })
                ),
                (
                    .registered, [("dispatch", { _ = try await $0.dispatch(dispatch) })],
                    ("dispatch", { _ = try await $0.dispatch(dispatch) })
                ),
                (
                    .dispatched,
                    [("start", { _ = try await $0.start(start) }), ("handle", { _ = try await $0.handle(handle) })],
                    ("handle", { _ = try await $0.handle(handle) })
                ),
                (
                    .handled,
                    [
                        ("verify", { _ = try await $0.verify(verify) }),
                        ("send back", { _ = try await $0.sendBack(sendBack) }),
                    ],
                    // The handler may not verify: an administrator does.
                    ("verify", { _ in _ = try await world.grid.verify(verify) })
                ),
                (
                    .verified, [("close", { _ = try await $0.close(close) })],
                    ("close", { _ = try await $0.close(close) })
                ),
                (
                    .closed, [("evaluate", { _ = try await $0.evaluate(evaluate) })],
                    ("evaluate", { _ = try await $0.evaluate(evaluate) })
                ),
            ]
            var refusals = 0
            for stage in stages {
                let before = try XCTUnwrap(world.desk.cases[id])
                XCTAssertEqual(before.message.state, stage.state)
                for step in stage.refused + [("read", { _ = try await $0.getCase(get) })] {
                    let error = await assertRPCError(.permissionDenied) { try await step.call(outsider) }
                    XCTAssertEqual(
                        error?.message,
                        "case \(id) is in grid 330199001002001, outside the places where 王芳 (wang-fang) may "
                            + "\(step.name) cases (330199001001001)",
                        "\(step.name) in \(stage.state)"
                    )
                    refusals += 1
                }
                XCTAssertEqual(world.desk.cases[id]?.revision, before.revision, "nothing changed in \(stage.state)")
                try await stage.next.call(owner)
            }
            XCTAssertEqual(refusals, 9 + 6, "every verb, and reading in every state")
            XCTAssertEqual(world.desk.cases[id]?.message.state, .evaluated)

            // A person of the whole street may read it; a person with no places may not.
            let streetRead = try await world.grid(as: GridWorld.sunLi).getCase(get).id
            XCTAssertEqual(streetRead, id)
            let nowhere = await assertRPCError(.permissionDenied) {
                try await world.grid(as: GridWorld.qianYu).getCase(get)
            }
            XCTAssertEqual(
                nowhere?.message,
                "case \(id) is in grid 330199001002001, outside the places where 钱宇 (qian-yu) may read cases "
                    + "(nowhere)"
            )
        }
    }

    func testAPersonReportsOnlyWithinTheirPlacesAndJoinsOnlyCasesThere() async throws {
        try await withGridWorld { world in
            let category = try world.manualCategory.code
            let worker = world.grid(as: GridWorld.wangFang)
            let outside = await assertRPCError(.permissionDenied) {
                try await worker.report(GridWorld.report(category: category, at: GridWorld.point(inGrid: 1)))
            }
            XCTAssertEqual(
                outside?.message,
                "the report is in grid 330199001001002, outside the places where 王芳 (wang-fang) may report "
                    + "(330199001001001)"
            )
            var byCode = GridWorld.report(category: category)
            byCode.clearLocation()
            byCode.gridCode = GridWorld.grids[2].code
            await assertRPCError(.permissionDenied) { try await worker.report(byCode) }
            XCTAssertEqual(world.desk.cases.count, 0, "nothing was written")

            // A case just across the border in the second grid: the same report by someone whose places hold
            // both grids joins it; by the worker of the first grid, it opens a case of its own there.
            let across = try await world.grid.report(
                GridWorld.report(category: category, at: GridWorld.point(inGrid: 1, dx: 0.01), key: "across")
            )
            XCTAssertEqual(across.case.gridCode, GridWorld.grids[1].code)
            let near = GridWorld.report(category: category, at: GridWorld.point(inGrid: 0, dx: 0.99))
            let own = try await worker.report(near)
            XCTAssertTrue(own.created)
            XCTAssertEqual(own.case.gridCode, GridWorld.grids[0].code)
            XCTAssertEqual(own.case.history.first?.actorID, "wang-fang")
            XCTAssertEqual(own.case.reporter.principal, "person:wang-fang")
            var again = near
            again.location = GridWorld.point(inGrid: 1, dx: 0.02)
            let joined = try await world.grid(as: GridWorld.chenJing).report(again)
            XCTAssertTrue(joined.duplicate)
            XCTAssertEqual(joined.case.history.last?.actor, "陈静", "the person who reported it again")
            XCTAssertEqual(joined.case.history.last?.actorID, "chen-jing")
        }
    }

    func testListsAndNumbersCountOnlyTheCasesWithinThePersonsPlaces() async throws {
        try await withGridWorld { world in
            let category = try world.manualCategory.code
            // Two cases in each grid, far enough apart not to be duplicates.
            var ids: [[String]] = [[], [], []]
            for grid in 0..<3 {
                for dx in [0.2, 0.8] {
                    let opened = try await world.grid.report(
                        GridWorld.report(category: category, at: GridWorld.point(inGrid: grid, dx: dx))
                    )
                    ids[grid].append(opened.case.id)
                }
            }
            func listed(
                _ client: Gongzhi_Grid_V1_GridServiceClient,
                limit: UInt32 = 0
            ) async throws -> (ids: Set<String>, total: UInt32) {
                var request = Gongzhi_Grid_V1_ListCasesRequest()
                request.limit = limit
                var found: Set<String> = []
                var total: UInt32 = 0
                repeat {
                    let page = try await client.listCases(request)
                    found.formUnion(page.cases.map(\.id))
                    total = page.total
                    request.pageToken = page.nextPageToken
                } while !request.pageToken.isEmpty
                return (found, total)
            }
            let worker = try await listed(world.grid(as: GridWorld.wangFang), limit: 1)
            XCTAssertEqual(worker.ids, Set(ids[0]))
            XCTAssertEqual(worker.total, 2, "the total counts only the worker's grid")
            let staff = try await listed(world.grid(as: GridWorld.chenJing))
            XCTAssertEqual(staff.ids, Set(ids[0] + ids[1]))
            XCTAssertEqual(staff.total, 4)
            let street = try await listed(world.grid(as: GridWorld.sunLi))
            XCTAssertEqual(street.total, 6)
            let nobody = try await listed(world.grid(as: GridWorld.qianYu))
            XCTAssertEqual(nobody.total, 0)
            let admin = try await listed(world.grid)
            XCTAssertEqual(admin.total, 6, "an administrator is not held to places")
            // A filter naming a place outside theirs finds nothing.
            var elsewhere = Gongzhi_Grid_V1_ListCasesRequest()
            elsewhere.regionCode = "330199001002"
            let elsewhereTotal = try await world.grid(as: GridWorld.chenJing).listCases(elsewhere).total
            XCTAssertEqual(elsewhereTotal, 0)

            var stats = Gongzhi_Grid_V1_StatsRequest()
            stats.level = .grid
            let staffFigures = try await world.grid(as: GridWorld.chenJing).stats(stats)
            XCTAssertEqual(staffFigures.all.total, 4)
            XCTAssertEqual(staffFigures.rows.map(\.regionCode), [GridWorld.grids[0].code, GridWorld.grids[1].code])
            stats.level = .street
            let workerFigures = try await world.grid(as: GridWorld.liQiang).stats(stats)
            XCTAssertEqual(workerFigures.all.total, 2)
            XCTAssertEqual(workerFigures.rows.map(\.total), [2])
            let allFigures = try await world.grid.stats(stats)
            XCTAssertEqual(allFigures.all.total, 6)
        }
    }

    func testAGridWorkerIsAPersonBoundToTheCasesGrid() async throws {
        try await withGridWorld { world in
            let staff = world.grid(as: GridWorld.chenJing)
            let id = try await world.grid.report(GridWorld.report(category: try world.manualCategory.code)).case.id
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = GridWorld.ref(id)
            _ = try await staff.register(register)
            let registered = try XCTUnwrap(world.desk.cases[id])

            let unknown = await assertRPCError(.notFound) { try await staff.dispatch(GridWorld.dispatch(id, to: "王芳")) }
            XCTAssertEqual(
                unknown?.message,
                "there is no person \"王芳\" to dispatch case \(id) to: a grid worker is named by the id of their "
                    + "Person object"
            )
            let suspended = await assertRPCError(.failedPrecondition) {
                try await staff.dispatch(GridWorld.dispatch(id, to: "zhao-lei"))
            }
            XCTAssertEqual(
                suspended?.message,
                "grid worker 赵磊 (zhao-lei) is suspended (停职调查); dispatch case \(id) in grid 330199001001001 to "
                    + "someone else"
            )
            let otherGrid = await assertRPCError(.failedPrecondition) {
                try await staff.dispatch(GridWorld.dispatch(id, to: "li-qiang"))
            }
            XCTAssertEqual(
                otherGrid?.message,
                "grid worker 李强 (li-qiang) holds no role in grid 330199001001001 (their places: 330199001001002); "
                    + "dispatch case \(id) to a worker of that grid, or bind them to it first"
            )
            let unbound = await assertRPCError(.failedPrecondition) {
                try await world.grid.dispatch(GridWorld.dispatch(id, to: "qian-yu"))
            }
            XCTAssertEqual(
                unbound?.message,
                "grid worker 钱宇 (qian-yu) holds no role in grid 330199001001001 (they hold no role anywhere); "
                    + "dispatch case \(id) to a worker of that grid, or bind them to it first"
            )
            XCTAssertEqual(world.desk.cases[id]?.revision, registered.revision, "nothing was written")

            // A step the case cannot take is refused for that first, before anyone is looked up.
            var early = GridWorld.dispatch(id, to: "nobody")
            early.ref.caseID = try await world.grid.report(
                GridWorld.report(category: try world.manualCategory.code, at: GridWorld.point(inGrid: 1))
            ).case.id
            let notRegistered = await assertRPCError(.failedPrecondition) { try await staff.dispatch(early) }
            XCTAssertTrue(notRegistered?.message.contains("is reported") == true, notRegistered?.message ?? "")

            // Bound at the community, the staff member may take the grid's case; the name is the Person's.
            var toStaff = GridWorld.dispatch(id, to: "chen-jing")
            toStaff.assignee.name = "随便写的名字"
            let dispatched = try await world.grid.dispatch(toStaff)
            XCTAssertEqual(dispatched.state, .dispatched)
            XCTAssertEqual(dispatched.assignee.id, "chen-jing")
            XCTAssertEqual(dispatched.assignee.name, "陈静")
            XCTAssertEqual(dispatched.history.last?.actorID, "admin:uid=\(getuid())")
        }
    }

    func testARequestThatNamesItsOwnActorIsRefusedAndChangesNothing() async throws {
        try await withGridWorld { world in
            let category = try world.manualCategory.code
            var labelled = GridWorld.report(category: category)
            labelled.actor = "受理员"
            let report = await assertRPCError(.invalidArgument) { try await world.grid.report(labelled) }
            XCTAssertEqual(
                report?.message,
                "actor (\"受理员\") is no longer accepted: the history records the person the host verified. To act "
                    + "for a person, act as them: gongzhictl grid ... --as PERSON, or the metadata entry "
                    + "gongzhi-act-as: PERSON (the person's id)"
            )
            XCTAssertEqual(world.desk.cases.count, 0)

            let id = try await world.grid.report(GridWorld.report(category: category)).case.id
            let before = try XCTUnwrap(world.desk.cases[id])
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = GridWorld.ref(id)
            register.ref.actor = "王芳"
            // Not even for a person of the grid: the label would name someone else.
            for client in [world.grid, world.grid(as: GridWorld.wangFang)] {
                let step = await assertRPCError(.invalidArgument) { try await client.register(register) }
                XCTAssertTrue(step?.message.hasPrefix("ref.actor (\"王芳\") is no longer accepted") == true)
                XCTAssertTrue(step?.message.contains("gongzhi-act-as") == true, step?.message ?? "")
            }
            XCTAssertEqual(world.desk.cases[id]?.revision, before.revision)
        }
    }

    func testSelfVerificationIsDecidedByTheVerifiedIdNotTheName() async throws {
        try await withGridWorld { world in
            let id = try await world.grid.report(GridWorld.report(category: try world.manualCategory.code)).case.id
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = GridWorld.ref(id)
            _ = try await world.grid.register(register)
            _ = try await world.grid.dispatch(GridWorld.dispatch(id, to: "wang-fang"))
            var handle = Gongzhi_Grid_V1_HandleRequest()
            handle.ref = GridWorld.ref(id)
            _ = try await world.grid(as: GridWorld.wangFang).handle(handle)

            // An administrator acting as the handler is the handler.
            var verify = Gongzhi_Grid_V1_VerifyRequest()
            verify.ref = GridWorld.ref(id)
            let admin = "admin:uid=\(getuid())"
            let asHandler = world.grid(as: GridWorld.wangFang, actingFor: admin)
            let refused = await assertRPCError(.failedPrecondition) { try await asHandler.verify(verify) }
            XCTAssertTrue(refused?.message.contains("王芳 (wang-fang)") == true, refused?.message ?? "")
            // Someone else who happens to have the same name is not.
            let namesake = GridWorld.Person(id: "wang-fang-2", name: "王芳", places: [GridWorld.grids[0].code])
            let verified = try await world.grid(as: namesake, actingFor: admin).verify(verify)
            XCTAssertEqual(verified.state, .verified)
            let last = try XCTUnwrap(verified.history.last)
            XCTAssertEqual(last.actor, "王芳")
            XCTAssertEqual(last.actorID, "wang-fang-2")
            XCTAssertEqual(last.principal, "\(admin) as person:wang-fang-2")
        }
    }

    func testACaseDispatchedAtOnceGoesToTheGridsWorkerByTheirPersonID() {
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = "330199001001001"
        var worker = Gongzhi_Core_V1_GridWorker()
        worker.name = "胡伟"
        worker.personID = "hu-wei"
        worker.partnerID = "P-neighbour-01"
        grid.workers = [worker]
        XCTAssertEqual(GridPlace(grid).worker?.id, "hu-wei")
        XCTAssertEqual(GridPlace(grid).worker?.name, "胡伟")
        // A grid listed without a person keeps going to the partner, else the name.
        grid.workers[0].personID = ""
        XCTAssertEqual(GridPlace(grid).worker?.id, "P-neighbour-01")
        grid.workers[0].partnerID = ""
        XCTAssertEqual(GridPlace(grid).worker?.id, "胡伟")
    }
}
