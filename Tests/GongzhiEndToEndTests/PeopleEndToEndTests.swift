import Foundation
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// People acting through the real host and the real grid plugin, on real sockets: each with their own token (or
/// named by an administrator or a front end), held to the places of their roles on every path.
final class PeopleEndToEndTests: XCTestCase {
    static let grid1 = GridEndToEndTests.grids[0].code
    static let grid2 = GridEndToEndTests.grids[1].code
    static let community = GridEndToEndTests.grids[0].community

    struct World {
        var host: HostUnderTest
        var objects: Gongzhi_Host_V1_ObjectsClient
        var grid: Gongzhi_Grid_V1_GridServiceClient
        /// A case reported in grid 1 and one in grid 2, both dispatched to their grid's worker.
        var case1: String
        var case2: String
    }

    /// The grid world, with people bound to built-in roles: wang-fang is grid 1's grid worker, li-qiang grid 2's
    /// (and a viewer of the whole street), zhou-jie the community's dispatcher; a resident lives in each grid.
    func startWorld() async throws -> World {
        let host = try await HostUnderTest(plugins: [try GridEndToEndTests.gridPlugin(environment: [:])])
        addTeardownBlock { await host.stop() }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        try await GridEndToEndTests.createWorld(objects)
        try await bind(objects, "wang-fang", "grid-worker", Self.grid1)
        try await bind(objects, "li-qiang", "grid-worker", Self.grid2)
        try await bind(objects, "li-qiang", "viewer", "330199001")
        var dispatcher = Gongzhi_Core_V1_Person()
        dispatcher.name = "周杰"
        try await create(objects, "Person", "zhou-jie", dispatcher)
        try await bind(objects, "zhou-jie", "dispatcher", Self.community)
        for (index, code) in [Self.grid1, Self.grid2].enumerated() {
            var resident = Gongzhi_Core_V1_Resident()
            resident.name = ["刘阿姨", "陈大爷"][index]
            resident.phone = "1391234567\(index)"
            resident.idCardNumber = "33019919500101000\(index)"
            resident.gridCode = code
            try await create(objects, "Resident", "r-\(index + 1)", resident)
        }
        try await host.waitUntil("grid")
        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: host.admin)
        try await pollUntil("the plugin sees the grids") {
            var request = Gongzhi_Grid_V1_LocateRequest()
            request.point = GridEndToEndTests.point(inGrid: 1)
            return (try? await grid.locate(request))?.gridCode == Self.grid2
        }
        let categories = try await grid.listCategories(Gongzhi_Grid_V1_ListCategoriesRequest()).categories
        let category = try XCTUnwrap(categories.first { !$0.autoDispatch && $0.tier == .grid })
        var ids: [String] = []
        for (index, worker) in ["wang-fang", "li-qiang"].enumerated() {
            var report = Gongzhi_Grid_V1_ReportRequest()
            report.source = .patrol
            report.categoryCode = category.code
            report.description_p = "井盖缺失"
            report.location = GridEndToEndTests.point(inGrid: index)
            report.reporter.name = "报告人"
            report.reporter.phone = "1380000000\(index)"
            let id = try await grid.report(report).case.id
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref.caseID = id
            _ = try await grid.register(register)
            var dispatch = Gongzhi_Grid_V1_DispatchRequest()
            dispatch.ref.caseID = id
            dispatch.assignee.kind = .gridWorker
            dispatch.assignee.id = worker
            _ = try await grid.dispatch(dispatch)
            ids.append(id)
        }
        return World(host: host, objects: objects, grid: grid, case1: ids[0], case2: ids[1])
    }

    func create(
        _ objects: Gongzhi_Host_V1_ObjectsClient,
        _ kind: String,
        _ id: String,
        _ message: some SwiftProtobuf.Message
    ) async throws {
        var request = Gongzhi_Host_V1_CreateRequest()
        request.object.kind = kind
        request.object.id = id
        request.object.data = try message.serializedBytes()
        _ = try await objects.create(request)
    }

    func bind(_ objects: Gongzhi_Host_V1_ObjectsClient, _ person: String, _ role: String, _ place: String) async throws
    {
        var binding = Gongzhi_Core_V1_RoleBinding()
        binding.personID = person
        binding.role = role
        binding.placeCode = place
        try await create(objects, "RoleBinding", "\(person).\(role).\(place)", binding)
    }

    func personToken(
        _ world: World,
        _ person: String,
        ttlSeconds: UInt64 = 0
    ) async throws -> Gongzhi_Host_V1_IssuedToken {
        var request = Gongzhi_Host_V1_IssueTokenRequest()
        request.kind = .person
        request.subject = person
        request.ttlSeconds = ttlSeconds
        return try await world.host.adminClient.issueToken(request)
    }

    func channel(_ world: World, token: String) -> HostChannel {
        let channel = world.host.channel(token: token)
        addTeardownBlock { await channel.close() }
        return channel
    }

    func audit(_ world: World, person: String) async throws -> [Gongzhi_Host_V1_AuditEntry] {
        var request = Gongzhi_Host_V1_ListAuditRequest()
        request.limit = 1000
        request.person = person
        return try await world.host.adminClient.listAudit(request).entries
    }

    func getCase(_ id: String) -> Gongzhi_Grid_V1_GetCaseRequest {
        var request = Gongzhi_Grid_V1_GetCaseRequest()
        request.caseID = id
        return request
    }

    // MARK: Places

    func testAGridWorkerCannotSeeListWatchOrActOnAnotherGridsCases() async throws {
        let world = try await startWorld()
        let token = try await personToken(world, "wang-fang")
        let channel = channel(world, token: token.token)
        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: channel)
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: channel)

        // The plugin's service: their case, not the other grid's.
        let own = try await grid.getCase(getCase(world.case1))
        XCTAssertEqual(own.gridCode, Self.grid1)
        await expectError(.permissionDenied, containing: "outside") {
            try await grid.getCase(self.getCase(world.case2))
        }
        let listed = try await grid.listCases(Gongzhi_Grid_V1_ListCasesRequest())
        XCTAssertEqual(listed.cases.map(\.id), [world.case1])
        XCTAssertEqual(listed.total, 1)
        var start = Gongzhi_Grid_V1_StartRequest()
        start.ref.caseID = world.case2
        await assertRPCError(.permissionDenied) { try await grid.start(start) }
        let untouched = try await world.grid.getCase(getCase(world.case2))
        XCTAssertEqual(untouched.state, .dispatched, "the refused step changed nothing")
        start.ref.caseID = world.case1
        let started = try await grid.start(start)
        XCTAssertEqual(started.history.last?.actorID, "wang-fang", "the verified person acts")

        // The object store: the same on get, list and watch.
        var get = Gongzhi_Host_V1_GetRequest()
        get.kind = "Case"
        get.id = world.case2
        await expectError(.permissionDenied, containing: "outside the places") { try await objects.get(get) }
        get.id = world.case1
        let got = try await objects.get(get)
        XCTAssertEqual(got.id, world.case1)
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Case"
        list.pageSize = 1
        var seen: [String] = []
        repeat {
            let page = try await objects.list(list)
            seen += page.objects.map(\.id)
            list.pageToken = page.nextPageToken
        } while !list.pageToken.isEmpty
        XCTAssertEqual(seen, [world.case1])

        // A watch from the beginning, after grid 2's case changed too: every event is grid 1's.
        var startOther = Gongzhi_Grid_V1_StartRequest()
        startOther.ref.caseID = world.case2
        _ = try await world.grid.start(startOther)
        var handle = Gongzhi_Grid_V1_HandleRequest()
        handle.ref.caseID = world.case1
        handle.notes = "已修复"
        _ = try await grid.handle(handle)
        var watch = Gongzhi_Host_V1_WatchRequest()
        watch.kind = "Case"
        let events = try await objects.watch(watch) { stream in
            var events: [Gongzhi_Host_V1_WatchEvent] = []
            for try await event in stream {
                events.append(event)
                let value = try Gongzhi_Grid_V1_Case(serializedBytes: event.object.data)
                if value.id == world.case1 && value.state == .handled { break }
            }
            return events
        }
        XCTAssertFalse(events.isEmpty)
        XCTAssertEqual(Set(events.map(\.object.id)), [world.case1], "no event of grid 2's case")

        // Refusals are audited with the person and the roles that decided.
        let refusals = try await audit(world, person: "wang-fang").filter { $0.outcome == "denied" }
        XCTAssertFalse(refusals.isEmpty)
        XCTAssertTrue(refusals.allSatisfy { $0.principal == "person:wang-fang" }, "\(refusals)")
        XCTAssertTrue(
            refusals.contains { $0.detail.contains("网格员 (grid-worker) in \(Self.grid1)") },
            "\(refusals.map(\.detail))"
        )
    }

    func testPersonalDataIsShownAndAuditedInsideAPersonsPlaceAndRedactedOutside() async throws {
        let world = try await startWorld()
        // li-qiang: grid worker (personal data) in grid 2, viewer (none) of the whole street.
        let token = try await personToken(world, "li-qiang")
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: channel(world, token: token.token))
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Resident"
        let residents = try await objects.list(list).objects
        XCTAssertEqual(residents.map(\.id), ["r-1", "r-2"], "a viewer of the street sees both grids' residents")
        let outside = try Gongzhi_Core_V1_Resident(serializedBytes: residents[0].data)
        let inside = try Gongzhi_Core_V1_Resident(serializedBytes: residents[1].data)
        XCTAssertEqual(outside.phone, "", "grid 1 is outside where li-qiang sees personal data")
        XCTAssertEqual(residents[0].redactedFields, ["id_card_number", "phone"])
        XCTAssertEqual(inside.phone, "13912345671", "grid 2 is his as a grid worker")
        XCTAssertEqual(inside.idCardNumber, "330199195001010001")

        let shown = try await audit(world, person: "li-qiang").filter { $0.outcome == "personal-data" }
        XCTAssertEqual(shown.count, 1, "\(shown)")
        XCTAssertEqual(shown.first?.target, "Resident/r-2")
        XCTAssertTrue(shown.first?.detail.contains("shown by role 网格员 (grid-worker) in \(Self.grid2)") == true)

        // The grid worker of grid 1 does not see grid 2's resident at all.
        let wang = try await personToken(world, "wang-fang")
        let theirs = Gongzhi_Host_V1_ObjectsClient(channel: channel(world, token: wang.token))
        let theirList = try await theirs.list(list)
        XCTAssertEqual(theirList.objects.map(\.id), ["r-1"])
    }

    // MARK: Tokens

    func testASuspendedPersonsTokenIsRefusedAtOnceAndAnExpiredOneToo() async throws {
        let world = try await startWorld()
        let token = try await personToken(world, "wang-fang")
        let people = Gongzhi_Host_V1_PeopleClient(channel: channel(world, token: token.token))
        let me = try await people.whoAmI(Gongzhi_Host_V1_WhoAmIRequest())
        XCTAssertEqual(me.principal, "person:wang-fang")
        XCTAssertEqual(me.tokenID, token.info.id)
        XCTAssertTrue(me.grants.contains { $0.role == "grid-worker" && $0.placeCode == Self.grid1 })

        var get = Gongzhi_Host_V1_GetRequest()
        get.kind = "Person"
        get.id = "wang-fang"
        var person = try Gongzhi_Core_V1_Person(serializedBytes: try await world.objects.get(get).data)
        person.state = .suspended
        person.suspendedReason = "离职"
        var update = Gongzhi_Host_V1_UpdateRequest()
        update.object.kind = "Person"
        update.object.id = "wang-fang"
        update.object.data = try person.serializedBytes()
        _ = try await world.objects.update(update)
        // The very next call, with no wait.
        await expectError(.unauthenticated, containing: "suspended") {
            try await people.whoAmI(Gongzhi_Host_V1_WhoAmIRequest())
        }
        await expectError(.failedPrecondition, containing: "suspended") {
            try await self.personToken(world, "wang-fang")
        }

        let short = try await personToken(world, "li-qiang", ttlSeconds: 1)
        let expiring = Gongzhi_Host_V1_PeopleClient(channel: channel(world, token: short.token))
        _ = try await expiring.whoAmI(Gongzhi_Host_V1_WhoAmIRequest())
        try await Task.sleep(for: .milliseconds(max(0, Int(short.info.expiresAtMs - nowMilliseconds()) + 50)))
        await expectError(.unauthenticated, containing: "expired") {
            try await expiring.whoAmI(Gongzhi_Host_V1_WhoAmIRequest())
        }
        await expectError(.notFound, containing: "no person") { try await self.personToken(world, "nobody") }
    }

    // MARK: Acting for someone

    func testImpersonationNeedsTheGrantAndTheAuditNamesBoth() async throws {
        let world = try await startWorld()
        let frontEnd = try await world.host.issueClientToken(scopes: ["gongzhi.grid.v1.GridService/*"])
        let plain = Gongzhi_Grid_V1_GridServiceClient(
            channel: channel(world, token: frontEnd.token).addingMetadata(["gongzhi-act-as": "wang-fang"])
        )
        await expectError(.permissionDenied, containing: "gongzhi.host.v1.People/Impersonate") {
            try await plain.getCase(self.getCase(world.case1))
        }

        let console = try await world.host.issueClientToken(scopes: ["gongzhi.host.v1.People/Impersonate"])
        let acting = Gongzhi_Grid_V1_GridServiceClient(
            channel: channel(world, token: console.token).addingMetadata(["gongzhi-act-as": "wang-fang"])
        )
        let actedOn = try await acting.getCase(getCase(world.case1))
        XCTAssertEqual(actedOn.id, world.case1)
        await assertRPCError(.permissionDenied) { try await acting.getCase(self.getCase(world.case2)) }

        let admin = Gongzhi_Grid_V1_GridServiceClient(
            channel: world.host.admin.addingMetadata(["gongzhi-act-as": "wang-fang"])
        )
        await assertRPCError(.permissionDenied) { try await admin.getCase(self.getCase(world.case2)) }

        let entries = try await audit(world, person: "wang-fang")
        let principals = Set(entries.map(\.principal))
        XCTAssertTrue(principals.contains("client:\(console.info.id) as person:wang-fang"), "\(principals)")
        XCTAssertTrue(principals.contains { $0.hasPrefix("admin:uid=") && $0.hasSuffix(" as person:wang-fang") })
        var all = Gongzhi_Host_V1_ListAuditRequest()
        all.limit = 1000
        let refusedFrontEnd = try await world.host.adminClient.listAudit(all).entries.filter {
            $0.principal == "client:\(frontEnd.info.id)" && $0.outcome == "denied"
        }
        XCTAssertEqual(refusedFrontEnd.count, 1)
    }

    // MARK: The grid's rules with real identities

    func testAHandlerCannotVerifyTheirOwnWorkWhoeverNamesThem() async throws {
        let world = try await startWorld()
        // wang-fang handles grid 1's case, and is also community staff (who may verify).
        try await bind(world.objects, "wang-fang", "community-staff", Self.community)
        let token = try await personToken(world, "wang-fang")
        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: channel(world, token: token.token))
        var start = Gongzhi_Grid_V1_StartRequest()
        start.ref.caseID = world.case1
        _ = try await grid.start(start)
        var handle = Gongzhi_Grid_V1_HandleRequest()
        handle.ref.caseID = world.case1
        handle.notes = "已更换井盖"
        let handled = try await grid.handle(handle)
        XCTAssertEqual(handled.handlerID, "wang-fang")

        var verify = Gongzhi_Grid_V1_VerifyRequest()
        verify.ref.caseID = world.case1
        await expectError(.failedPrecondition, containing: "own") { try await grid.verify(verify) }
        // Named by an administrator: the same person, the same refusal.
        let asWang = Gongzhi_Grid_V1_GridServiceClient(
            channel: world.host.admin.addingMetadata(["gongzhi-act-as": "wang-fang"])
        )
        await expectError(.failedPrecondition, containing: "own") { try await asWang.verify(verify) }
        // A label naming someone else is not taken at all.
        var labelled = verify
        labelled.ref.actor = "周杰"
        await expectError(.invalidArgument, containing: "actor") { try await grid.verify(labelled) }

        let dispatcher = try await personToken(world, "zhou-jie")
        let zhou = Gongzhi_Grid_V1_GridServiceClient(channel: channel(world, token: dispatcher.token))
        let verified = try await zhou.verify(verify)
        XCTAssertEqual(verified.state, Gongzhi_Grid_V1_CaseState.verified)
        XCTAssertEqual(verified.history.last?.actorID, "zhou-jie")
        XCTAssertEqual(verified.history.last?.actor, "周杰")
    }

    /// The call fails with `code`, and its message says `text`.
    private func expectError<T>(
        _ code: StatusCode,
        containing text: String,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> T
    ) async {
        let error = await assertRPCError(code, file: file, line: line, body)
        if let error {
            XCTAssertTrue(error.message.contains(text), "\"\(error.message)\" says \"\(text)\"", file: file, line: line)
        }
    }

    private func nowMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
