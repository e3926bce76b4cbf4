import Foundation
import GongzhiGridSchemas
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import gongzhi_grid

/// The grid plugin's desk, called as the host routes calls to it: reports become cases or join one, steps
/// move cases through the loop or are refused, deadlines escalate cases, and reporters' phones reach only
/// callers with the personal-data grant. In-process: the real host's dispatcher and store, no processes.
final class CaseDeskTests: XCTestCase {
    func testACaseGoesFromReportToEvaluationWithEveryStepRecordedUnderTheVerifiedPerson() async throws {
        try await withGridWorld { world in
            let callTaker = world.grid(as: GridWorld.sunLi)
            let staff = world.grid(as: GridWorld.chenJing)
            let worker = world.grid(as: GridWorld.wangFang)
            let category = try world.manualCategory
            let reported = try await callTaker.report(GridWorld.report(category: category.code))
            XCTAssertTrue(reported.created)
            let id = reported.case.id
            XCTAssertEqual(reported.case.state, .reported)
            XCTAssertEqual(reported.case.gridCode, GridWorld.grids[0].code)
            XCTAssertEqual(reported.case.communityCode, "330199001001")
            XCTAssertEqual(reported.case.streetCode, "330199001")
            XCTAssertEqual(reported.case.reporter.name, "刘阿姨", "the member of the public who reported")
            XCTAssertEqual(reported.case.reporter.principal, "person:sun-li")

            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = GridWorld.ref(id)
            let registeredState = try await callTaker.register(register).state
            XCTAssertEqual(registeredState, .registered)
            let dispatched = try await staff.dispatch(GridWorld.dispatch(id, to: "wang-fang"))
            XCTAssertEqual(dispatched.state, .dispatched)
            XCTAssertEqual(dispatched.assignee.id, "wang-fang")
            XCTAssertEqual(dispatched.assignee.name, "王芳", "the Person's name")
            XCTAssertEqual(dispatched.deadlineMs, GridWorld.startMs + Int64(category.deadlineMinutes) * 60_000)
            var start = Gongzhi_Grid_V1_StartRequest()
            start.ref = GridWorld.ref(id)
            let startedState = try await worker.start(start).state
            XCTAssertEqual(startedState, .inProgress)
            try world.setClock(GridWorld.startMs + 3_600_000)
            var handle = Gongzhi_Grid_V1_HandleRequest()
            handle.ref = GridWorld.ref(id)
            handle.notes = "已更换井盖"
            let handled = try await worker.handle(handle)
            XCTAssertEqual(handled.state, .handled)
            XCTAssertEqual(handled.handler, "王芳")
            XCTAssertEqual(handled.handlerID, "wang-fang")
            XCTAssertFalse(handled.handledLate)

            // The handler cannot verify their own work.
            var verify = Gongzhi_Grid_V1_VerifyRequest()
            verify.ref = GridWorld.ref(id)
            let own = await assertRPCError(.failedPrecondition) { try await worker.verify(verify) }
            XCTAssertEqual(
                own?.message,
                "case \(id) was handled by 王芳 (wang-fang), who may not verify their own handling; "
                    + "someone else must verify it"
            )
            let verifiedState = try await staff.verify(verify).state
            XCTAssertEqual(verifiedState, .verified)
            var close = Gongzhi_Grid_V1_CloseRequest()
            close.ref = GridWorld.ref(id)
            let closedState = try await callTaker.close(close).state
            XCTAssertEqual(closedState, .closed)
            // An administrator, not held to places, is recorded by their principal.
            var evaluate = Gongzhi_Grid_V1_EvaluateRequest()
            evaluate.ref = GridWorld.ref(id)
            evaluate.satisfaction = .satisfied
            let evaluatedState = try await world.grid.evaluate(evaluate).state
            XCTAssertEqual(evaluatedState, .evaluated)

            // The book holds what the desk wrote, and the store holds it as an object of the plugin's kind.
            let held = try XCTUnwrap(world.desk.cases[id]).message
            let admin = "admin:uid=\(getuid())"
            XCTAssertEqual(
                held.history.map(\.action),
                [.report, .register, .dispatch, .start, .handle, .verify, .close, .evaluate]
            )
            XCTAssertEqual(held.history.map(\.actor), ["孙丽", "孙丽", "陈静", "王芳", "王芳", "陈静", "孙丽", admin])
            XCTAssertEqual(
                held.history.map(\.actorID),
                ["sun-li", "sun-li", "chen-jing", "wang-fang", "wang-fang", "chen-jing", "sun-li", admin]
            )
            XCTAssertEqual(
                held.history.map(\.principal),
                [
                    "person:sun-li", "person:sun-li", "person:chen-jing", "person:wang-fang", "person:wang-fang",
                    "person:chen-jing", "person:sun-li", admin,
                ]
            )
            XCTAssertEqual(held.history[4].atMs, GridWorld.startMs + 3_600_000)
            var listObjects = Gongzhi_Host_V1_ListRequest()
            listObjects.kind = "Case"
            listObjects.labelSelector = "state=evaluated,grid=\(GridWorld.grids[0].code)"
            let stored = try await world.objects.list(listObjects)
            XCTAssertEqual(stored.objects.map(\.id), [id])
            XCTAssertEqual(stored.objects.first?.owner, "grid")

            var stats = Gongzhi_Grid_V1_StatsRequest()
            stats.level = .grid
            let figures = try await world.grid.stats(stats)
            XCTAssertEqual(figures.all.total, 1)
            XCTAssertEqual(figures.all.closedInGrid, 1)
            XCTAssertEqual(figures.all.medianHandlingMs, 3_600_000)
        }
    }

    func testAStepTheStateDoesNotAllowOrAStaleRevisionIsRefusedAndChangesNothing() async throws {
        try await withGridWorld { world in
            let id = try await world.grid.report(GridWorld.report(category: try world.manualCategory.code)).case.id
            var start = Gongzhi_Grid_V1_StartRequest()
            start.ref = GridWorld.ref(id)
            let early = await assertRPCError(.failedPrecondition) { try await world.grid.start(start) }
            XCTAssertTrue(early?.message.contains("reported") == true, early?.message ?? "")
            XCTAssertTrue(early?.message.contains("register") == true, early?.message ?? "")

            let before = try XCTUnwrap(world.desk.cases[id])
            let stale = await assertRPCError(.aborted) {
                try await world.desk.step(
                    .register(note: "", tier: nil),
                    ref: GridWorld.ref(id, expectedRevision: before.revision - 1),
                    by: GridWorld.caller("admin:uid=0", kind: "admin")
                )
            }
            XCTAssertEqual(
                stale?.message,
                "case \(id) is at revision \(before.revision), not \(before.revision - 1): read it again"
            )
            let x = GridWorld.caller("client:x")
            await assertRPCError(.notFound) {
                try await world.desk.step(.register(note: "", tier: nil), ref: GridWorld.ref("C-none"), by: x)
            }
            await assertRPCError(.invalidArgument) {
                try await world.desk.step(.register(note: "", tier: nil), ref: GridWorld.ref(""), by: x)
            }
            XCTAssertEqual(world.desk.cases[id]?.revision, before.revision, "nothing was written")
        }
    }

    func testAnOverdueCaseEscalatesOneTierWhenTheClockPassesItsDeadline() async throws {
        try await withGridWorld { world in
            let id = try await world.grid.report(GridWorld.report(category: try world.manualCategory.code)).case.id
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = GridWorld.ref(id)
            _ = try await world.grid.register(register)
            let deadline = GridWorld.startMs + 7_200_000
            _ = try await world.grid.dispatch(GridWorld.dispatch(id, to: "wang-fang", deadlineMs: deadline))

            try world.setClock(deadline - 1)
            let early = await world.desk.escalateOverdue()
            XCTAssertEqual(early, 0)
            XCTAssertEqual(world.desk.cases[id]?.message.tier, .grid)

            try world.setClock(deadline + 1)
            let escalated = await world.desk.escalateOverdue()
            XCTAssertEqual(escalated, 1)
            let value = try XCTUnwrap(world.desk.cases[id]).message
            XCTAssertEqual(value.tier, .community)
            XCTAssertEqual(value.escalations.map(\.from), [.grid])
            XCTAssertEqual(value.escalations.first?.deadlineMs, deadline)
            XCTAssertGreaterThan(value.deadlineMs, deadline + 1, "a new deadline for the new owner")
            XCTAssertEqual(value.history.last?.action, .escalate)
            let again = await world.desk.escalateOverdue()
            XCTAssertEqual(again, 0, "once per deadline")

            try world.setClock(value.deadlineMs + 1)
            _ = await world.desk.escalateOverdue()
            XCTAssertEqual(world.desk.cases[id]?.message.tier, .street)
        }
    }

    func testAReportOfAnOpenMatterJoinsItsCaseAndRetriesNeverMakeTwoCases() async throws {
        try await withGridWorld { world in
            let grid = world.grid
            let category = try world.manualCategory.code
            let first = try await grid.report(GridWorld.report(category: category, key: "patrol-1"))
            XCTAssertTrue(first.created)
            let retry = try await grid.report(GridWorld.report(category: category, key: "patrol-1"))
            XCTAssertFalse(retry.created)
            XCTAssertFalse(retry.duplicate)
            XCTAssertEqual(retry.case.id, first.case.id)

            // A few metres away: linked to the open case, and its retry is not linked twice.
            let near = GridWorld.report(
                category: category,
                at: GridWorld.point(inGrid: 0, dx: 0.52),
                reporter: "陈先生",
                key: "hotline-7"
            )
            let joined = try await grid.report(near)
            XCTAssertTrue(joined.duplicate)
            XCTAssertEqual(joined.case.id, first.case.id)
            XCTAssertEqual(joined.case.alsoReportedBy.map(\.name), ["陈先生"])
            let linkedOnce = try await grid.report(near).case.alsoReportedBy.count
            XCTAssertEqual(linkedOnce, 1)

            // Far away, or of another category: cases of their own.
            let farCreated = try await grid.report(GridWorld.report(category: category, at: GridWorld.point(inGrid: 2)))
                .created
            XCTAssertTrue(farCreated)
            let otherCategoryCreated = try await grid.report(
                GridWorld.report(category: try world.otherManualCategory.code)
            ).created
            XCTAssertTrue(otherCategoryCreated)
            XCTAssertEqual(world.desk.cases.count, 3)

            // Retries at once make one case; many people at once, a few metres apart, make one case and links.
            var burst = GridWorld.report(category: category, at: GridWorld.point(inGrid: 1), key: "burst")
            burst.source = .online
            let ids = try await withThrowingTaskGroup(of: String.self) { [burst] group in
                for _ in 0..<16 { group.addTask { try await grid.report(burst).case.id } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            XCTAssertEqual(ids.count, 1)
            let crowd = try await withThrowingTaskGroup(of: Gongzhi_Grid_V1_ReportResponse.self) { group in
                for person in 0..<12 {
                    var request = burst
                    request.idempotencyKey = "crowd-\(person)"
                    request.location = GridWorld.point(inGrid: 2, dx: 0.3 + 0.0001 * Double(person), dy: 0.7)
                    group.addTask { try await grid.report(request) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(crowd.filter(\.created).count, 1)
            XCTAssertEqual(crowd.filter(\.duplicate).count, 11)
            XCTAssertEqual(Set(crowd.map(\.case.id)).count, 1)
            XCTAssertEqual(world.desk.cases.count, 5)
        }
    }

    func testLocatingAndBadReportsAnswerWithTheReason() async throws {
        try await withGridWorld { world in
            let grid = world.grid
            var locate = Gongzhi_Grid_V1_LocateRequest()
            locate.point = GridWorld.point(inGrid: 1)
            let insideGrid = try await grid.locate(locate).gridCode
            XCTAssertEqual(insideGrid, GridWorld.grids[1].code)
            // On the border of …001 and …002: the smaller code.
            locate.point = GridWorld.point(inGrid: 1, dx: 0, dy: 0.3)
            let borderGrid = try await grid.locate(locate).gridCode
            XCTAssertEqual(borderGrid, GridWorld.grids[0].code)
            locate.point.longitude = 121.5
            let outside = await assertRPCError(.notFound) { try await grid.locate(locate) }
            XCTAssertTrue(outside?.message.contains("the nearest is 330199001002001") == true, outside?.message ?? "")
            locate.point.longitude = 400
            await assertRPCError(.invalidArgument) { try await grid.locate(locate) }

            let unknown = await assertRPCError(.invalidArgument) {
                try await grid.report(GridWorld.report(category: "9999"))
            }
            XCTAssertTrue(unknown?.message.contains("9999") == true, unknown?.message ?? "")
            var far = GridWorld.point(inGrid: 0)
            far.latitude = 31
            let category = try world.manualCategory.code
            let nowhere = await assertRPCError(.invalidArgument) {
                try await grid.report(GridWorld.report(category: category, at: far))
            }
            XCTAssertTrue(nowhere?.message.contains("no grid contains") == true, nowhere?.message ?? "")
            var noPlace = GridWorld.report(category: category)
            noPlace.clearLocation()
            let missing = await assertRPCError(.invalidArgument) { try await grid.report(noPlace) }
            XCTAssertEqual(missing?.message, "a report needs a location or a grid code")
            XCTAssertEqual(world.desk.cases.count, 0, "nothing was written")
        }
    }

    func testReportersPhonesReachOnlyCallersWithThePersonalDataGrant() async throws {
        try await withGridWorld { world in
            let category = try world.manualCategory.code
            let reported = try await world.grid.report(GridWorld.report(category: category, phone: "13912345678"))
            XCTAssertEqual(reported.case.reporter.phone, "13912345678", "an administrator holds the grant")

            let plain = try await world.grid(scopes: ["gongzhi.grid.v1.GridService/*"])
            var get = Gongzhi_Grid_V1_GetCaseRequest()
            get.caseID = reported.case.id
            let seen = try await plain.getCase(get)
            XCTAssertEqual(seen.reporter.name, "刘阿姨")
            XCTAssertEqual(seen.reporter.phone, "")
            let listed: [UInt8] = try await plain.listCases(Gongzhi_Grid_V1_ListCasesRequest()).serializedBytes()
            XCTAssertNil(listed.firstRange(of: Array("13912345678".utf8)))

            let trusted = try await world.grid(
                scopes: ["gongzhi.grid.v1.GridService/*", "gongzhi.host.v1.PersonalData/Read"]
            )
            let trustedPhone = try await trusted.getCase(get).reporter.phone
            XCTAssertEqual(trustedPhone, "13912345678")
            // The phone is still stored after a step by a caller who could not see it.
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref = GridWorld.ref(reported.case.id)
            let plainStepPhone = try await plain.register(register).reporter.phone
            XCTAssertEqual(plainStepPhone, "")
            XCTAssertEqual(world.desk.cases[reported.case.id]?.message.reporter.phone, "13912345678")
        }
    }
}
