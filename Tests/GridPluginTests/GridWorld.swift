import Foundation
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import Synchronization
import XCTest

@testable import gongzhi_grid

/// The grid plugin under an in-process host: its desk opened as `Plugin.main` opens it, with the grants of
/// its manifest, a clock the test sets, and a small world of regions, grids and people written by an
/// administrator.
///
/// The world: street 330199001 with communities 330199001001 (grids …001001, …001002, side by side, sharing
/// the border at longitude 120.01) and 330199001002 (grid …002001 further east); the people in `people`.
struct GridWorld {
    static let grids: [(code: String, community: String, west: Double, worker: String)] = [
        ("330199001001001", "330199001001", 120.00, "王芳"),
        ("330199001001002", "330199001001", 120.01, "李强"),
        ("330199001002001", "330199001002", 120.02, "张敏"),
    ]
    static let startMs: Int64 = 1_763_800_000_000

    /// A Person of the world, with the places of their bindings (of the role `grid-patrol`).
    struct Person: Sendable {
        var id: String
        var name: String
        var places: [String]
        var suspended = false
    }

    /// 孙丽 takes calls for the whole street; 陈静 works for the first community; 王芳, 李强 and 张敏 are the
    /// workers of the three grids; 赵磊 (of the first grid) is suspended; 钱宇 holds no role anywhere.
    static let sunLi = Person(id: "sun-li", name: "孙丽", places: ["330199001"])
    static let chenJing = Person(id: "chen-jing", name: "陈静", places: ["330199001001"])
    static let wangFang = Person(id: "wang-fang", name: "王芳", places: [grids[0].code])
    static let liQiang = Person(id: "li-qiang", name: "李强", places: [grids[1].code])
    static let zhangMin = Person(id: "zhang-min", name: "张敏", places: [grids[2].code])
    static let zhaoLei = Person(id: "zhao-lei", name: "赵磊", places: [grids[0].code], suspended: true)
    static let qianYu = Person(id: "qian-yu", name: "钱宇", places: [])
    static let people = [sunLi, chenJing, wangFang, liQiang, zhangMin, zhaoLei, qianYu]
    /// The role the world's people hold.
    static let role = "grid-patrol"

    let host: InProcessTestHost
    let desk: CaseDesk
    /// The grid service as an administrator calls it (through the host, with the personal-data grant).
    let grid: Gongzhi_Grid_V1_GridServiceClient
    /// The object store as an administrator sees it.
    let objects: Gongzhi_Host_V1_ObjectsClient
    let clockFile: String

    /// Moves the plugin's clock.
    func setClock(_ milliseconds: Int64) throws {
        try String(milliseconds).write(toFile: clockFile, atomically: true, encoding: .utf8)
    }

    /// The grid service as an API client with `scopes` calls it.
    func grid(scopes: [String]) async throws -> Gongzhi_Grid_V1_GridServiceClient {
        Gongzhi_Grid_V1_GridServiceClient(channel: try await host.clientChannel(scopes: scopes))
    }

    /// The grid service as the host routes a call of `person` to it: with the person's id, name, role and
    /// places (`places`, else those of their bindings) in the call's metadata, set as the host sets them, and
    /// `actingFor` (an administrator's or a front end's principal) when someone acts as them. The call goes
    /// straight to the plugin's service, which reads the caller from that metadata alone.
    func grid(
        as person: Person,
        places: [String]? = nil,
        actingFor: String? = nil
    ) -> Gongzhi_Grid_V1_GridServiceClient {
        var metadata: Metadata = [
            CallerMetadataKey.caller: actingFor.map { "\($0) as person:\(person.id)" } ?? "person:\(person.id)",
            CallerMetadataKey.callerKind: "person",
            CallerMetadataKey.person: person.id,
            CallerMetadataKey.personName: person.name,
            CallerMetadataKey.personRoles: Self.role,
            CallerMetadataKey.personPlaces: PlaceScope(places ?? person.places).description,
            CallerMetadataKey.personPersonalDataPlaces: "",
            CallerMetadataKey.personalData: "false",
        ]
        if let actingFor { metadata.add(CallerMetadataKey.actingFor, actingFor) }
        let service = InProcessChannel(services: [GridService(desk: desk)])
        return Gongzhi_Grid_V1_GridServiceClient(channel: MetadataAddingChannel(base: service, metadata: metadata))
    }

    /// A caller that is not a person, as `CaseDesk` takes it.
    static func caller(_ principal: String, kind: String = "client") -> Caller {
        Caller(principal: principal, kind: kind)
    }

    /// A point inside grid `index`, `dx` and `dy` of the way across.
    static func point(inGrid index: Int, dx: Double = 0.5, dy: Double = 0.5) -> Gongzhi_Core_V1_Point {
        var point = Gongzhi_Core_V1_Point()
        point.longitude = grids[index].west + 0.01 * dx
        point.latitude = 30.00 + 0.01 * dy
        return point
    }

    /// A report of `category` at `point`.
    static func report(
        category: String,
        at point: Gongzhi_Core_V1_Point = GridWorld.point(inGrid: 0),
        reporter: String = "刘阿姨",
        phone: String = "13912345678",
        key: String = ""
    ) -> Gongzhi_Grid_V1_ReportRequest {
        var request = Gongzhi_Grid_V1_ReportRequest()
        request.source = .patrol
        request.categoryCode = category
        request.description_p = "井盖缺失，位于小区东门"
        request.location = point
        request.reporter.name = reporter
        request.reporter.phone = phone
        request.idempotencyKey = key
        return request
    }

    static func ref(_ id: String, expectedRevision: Int64 = 0) -> Gongzhi_Grid_V1_CaseRef {
        var ref = Gongzhi_Grid_V1_CaseRef()
        ref.caseID = id
        ref.expectedRevision = expectedRevision
        return ref
    }

    /// A dispatch of case `id` to the grid worker with Person id `worker`.
    static func dispatch(_ id: String, to worker: String, deadlineMs: Int64 = 0) -> Gongzhi_Grid_V1_DispatchRequest {
        var request = Gongzhi_Grid_V1_DispatchRequest()
        request.ref = ref(id)
        request.assignee.kind = .gridWorker
        request.assignee.id = worker
        request.deadlineMs = deadlineMs
        return request
    }

    /// A category of the catalogue that is not dispatched automatically, for walking the loop by hand.
    var manualCategory: Gongzhi_Grid_V1_Category {
        get throws {
            try XCTUnwrap(desk.catalogue.categories.first { !$0.autoDispatch && $0.tier == .grid })
        }
    }

    /// Another such category.
    var otherManualCategory: Gongzhi_Grid_V1_Category {
        get throws {
            let first = try manualCategory
            return try XCTUnwrap(desk.catalogue.categories.first { !$0.autoDispatch && $0.code != first.code })
        }
    }
}

/// The grid plugin's manifest, as kept beside its sources.
let gridManifest = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Plugins/grid/grid.plugin.toml").path

/// Runs `body` with the grid plugin in-process and the world's grids loaded into its map. `extraGrants` are
/// approved on top of the manifest's requests (they must be among them to take effect); `alongside` are other
/// plugins under the same host.
func withGridWorld(
    approvedGrants: [String]? = nil,
    extraGrants: [String] = [],
    alongside: [TestPlugin] = [],
    _ body: (GridWorld) async throws -> Void
) async throws {
    let files = try TemporaryDirectory(prefix: "gzgrid")
    defer { files.remove() }
    let clockFile = files.file("now")
    try String(GridWorld.startMs).write(toFile: clockFile, atomically: true, encoding: .utf8)
    let settings = GridSettings(categoriesPath: nil, escalationInterval: .seconds(3600), clock: .file(clockFile))
    let opened = Mutex<CaseDesk?>(nil)
    var plugin = try TestPlugin(manifest: gridManifest, approvedGrants: approvedGrants) { context in
        let desk = try await GridPlugin.openDesk(context, settings: settings)
        opened.withLock { $0 = desk }
        return [GridService(desk: desk)]
    }
    plugin.requestedGrants += extraGrants
    try await withInProcessTestHost(plugins: [plugin] + alongside) { host in
        let desk = try XCTUnwrap(opened.withLock { $0 })
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.adminChannel)
        try await createWorld(objects)
        // The map follows the grids through a watch: wait until it holds all of them.
        try await eventually("the plugin's map holds the grids") {
            GridWorld.grids.indices.allSatisfy { (try? desk.locate(GridWorld.point(inGrid: $0))) != nil }
        }
        let world = GridWorld(
            host: host,
            desk: desk,
            grid: Gongzhi_Grid_V1_GridServiceClient(channel: host.adminChannel),
            objects: objects,
            clockFile: clockFile
        )
        try await body(world)
    }
}

private func createWorld(_ objects: Gongzhi_Host_V1_ObjectsClient) async throws {
    func create(_ kind: String, _ id: String, parent: String, _ message: some SwiftProtobuf.Message) async throws {
        var request = Gongzhi_Host_V1_CreateRequest()
        request.object.kind = kind
        request.object.id = id
        request.object.parent = parent
        request.object.data = try message.serializedBytes()
        _ = try await objects.create(request)
    }
    let regions: [(String, Gongzhi_Core_V1_Region.Level, String)] = [
        ("330199", .district, ""), ("330199001", .street, "330199"),
        ("330199001001", .community, "330199001"), ("330199001002", .community, "330199001"),
    ]
    for (code, level, parent) in regions {
        var region = Gongzhi_Core_V1_Region()
        region.code = code
        region.name = "区域 \(code)"
        region.level = level
        region.parentCode = parent
        try await create("Region", code, parent: parent, region)
    }
    for (code, community, west, worker) in GridWorld.grids {
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = code
        grid.name = "网格 \(code.suffix(3))"
        grid.communityCode = community
        grid.polygon.outer.points = [(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)].map {
            var point = Gongzhi_Core_V1_Point()
            point.longitude = west + $0.0
            point.latitude = 30.00 + $0.1
            return point
        }
        var person = Gongzhi_Core_V1_GridWorker()
        person.name = worker
        person.phone = "13800000000"
        grid.workers = [person]
        try await create("Grid", code, parent: community, grid)
    }
    var role = Gongzhi_Core_V1_Role()
    role.name = GridWorld.role
    role.title = "网格巡查"
    var rule = Gongzhi_Core_V1_RoleRule()
    rule.methods = ["gongzhi.grid.v1.GridService/*"]
    role.rules = [rule]
    try await create("Role", GridWorld.role, parent: "", role)
    for person in GridWorld.people {
        var message = Gongzhi_Core_V1_Person()
        message.id = person.id
        message.name = person.name
        message.state = person.suspended ? .suspended : .active
        if person.suspended { message.suspendedReason = "停职调查" }
        try await create("Person", person.id, parent: "", message)
        for place in person.places {
            var binding = Gongzhi_Core_V1_RoleBinding()
            binding.id = "\(person.id).\(GridWorld.role).\(place)"
            binding.personID = person.id
            binding.role = GridWorld.role
            binding.placeCode = place
            try await create("RoleBinding", binding.id, parent: "", binding)
        }
    }
}

/// Runs `body`, which must fail with an `RPCError` of `code`; returns the error.
@discardableResult
func assertRPCError<T>(
    _ code: StatusCode,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> T
) async -> RPCError? {
    do {
        _ = try await body()
        XCTFail("expected \(code), but the call succeeded", file: file, line: line)
        return nil
    } catch let error as RPCError {
        XCTAssertEqual(error.code, code, "\(error.message)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected RPCError \(code), got \(error)", file: file, line: line)
        return nil
    }
}
