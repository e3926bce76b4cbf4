import Foundation
import GongzhiGridSchemas
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import Synchronization
import XCTest

@testable import gongzhi_mediation

/// The mediation plugin under an in-process host: its desk opened as `Plugin.main` opens it, with the grants of
/// its manifest, a clock the test sets, and a small world of regions, residents and people written by an
/// administrator. With `grid: true` a stand-in for the grid module registers the kind Case, so that cases can
/// be written for hand-overs.
///
/// The world: street 330106001 with community 330106001001 (grid …001001) and community 330106001002; residents
/// 王军 (R1, household H1) and 李芳 (R2, household H2); people in `people`.
struct MediationWorld {
    static let grid = "330106001001001"
    static let community = "330106001001"
    static let otherCommunity = "330106001002"
    /// 2026-12-07 10:00 in China.
    static let startMs: Int64 = 1_796_608_800_000

    /// A Person of the world, with their role's bindings.
    struct Person: Sendable {
        var id: String
        var name: String
        var role: String
        var places: [String]
        var suspended = false
        var residentID = ""
    }

    /// 陈丽 mediates for the community; 孙华 mediates for the grid; 周强, a street admin, for the street; 赵敏,
    /// the community's staff, holds no mediating role; 钱宇, a mediator, is suspended; 刘洋 mediates for the
    /// other community; 王军 is a mediator and also the party R1.
    static let chenLi = Person(id: "chen-li", name: "陈丽", role: "mediator", places: [community])
    static let sunHua = Person(id: "sun-hua", name: "孙华", role: "mediator", places: [grid])
    static let zhouQiang = Person(id: "zhou-qiang", name: "周强", role: "street-admin", places: ["330106001"])
    static let zhaoMin = Person(id: "zhao-min", name: "赵敏", role: "community-staff", places: [community])
    static let qianYu = Person(
        id: "qian-yu",
        name: "钱宇",
        role: "mediator",
        places: [community],
        suspended: true
    )
    static let liuYang = Person(id: "liu-yang", name: "刘洋", role: "mediator", places: [otherCommunity])
    static let wangJunMediator = Person(
        id: "wang-jun",
        name: "王军",
        role: "mediator",
        places: [community],
        residentID: "R1"
    )
    static let people = [chenLi, sunHua, zhouQiang, zhaoMin, qianYu, liuYang, wangJunMediator]

    let host: InProcessTestHost
    let desk: DisputeDesk
    /// The mediation service as an administrator calls it (through the host, with the personal-data grant).
    let mediation: Gongzhi_Mediation_V1_MediationClient
    /// The object store as an administrator sees it.
    let objects: HostObjects
    let clockFile: String

    /// Moves the plugin's clock.
    func setClock(_ milliseconds: Int64) throws {
        try String(milliseconds).write(toFile: clockFile, atomically: true, encoding: .utf8)
    }

    /// The mediation service as the host routes a call of `person` to it: with the person's id, name, role and
    /// places in the call's metadata, set as the host sets them. The call goes straight to the plugin's
    /// service, which reads the caller from that metadata alone.
    func mediation(as person: Person, seesPersonalData: Bool = true) -> Gongzhi_Mediation_V1_MediationClient {
        let places = PlaceScope(person.places).description
        let metadata: Metadata = [
            CallerMetadataKey.caller: "person:\(person.id)",
            CallerMetadataKey.callerKind: "person",
            CallerMetadataKey.person: person.id,
            CallerMetadataKey.personName: person.name,
            CallerMetadataKey.personRoles: person.role,
            CallerMetadataKey.personPlaces: places,
            CallerMetadataKey.personPersonalDataPlaces: seesPersonalData ? places : "",
            CallerMetadataKey.personalData: seesPersonalData ? "true" : "false",
        ]
        let service = InProcessChannel(services: [MediationService(desk: desk)])
        return Gongzhi_Mediation_V1_MediationClient(channel: MetadataAddingChannel(base: service, metadata: metadata))
    }

    /// An application by 王军 (R1) against 李芳 (R2) about water leaking through his ceiling.
    static func application(key: String = "", place: String = grid) -> Gongzhi_Mediation_V1_ApplyRequest {
        .with {
            $0.type = .neighbour
            $0.source = .application
            $0.placeCode = place
            $0.buildingID = "B3"
            $0.compound = "翠苑一区"
            $0.title = "楼上漏水"
            $0.facts = "601 卫生间漏水至 501 天花板"
            $0.parties = parties()
            $0.idempotencyKey = key
        }
    }

    static func parties() -> [Gongzhi_Mediation_V1_Party] {
        [
            .with {
                $0.kind = .resident
                $0.residentID = "R1"
                $0.name = "王军"
                $0.role = .applicant
                $0.phone = "13800000001"
            },
            .with {
                $0.kind = .resident
                $0.residentID = "R2"
                $0.name = "李芳"
                $0.role = .respondent
                $0.phone = "13800000002"
            },
        ]
    }

    static func accept(_ id: String) -> Gongzhi_Mediation_V1_AcceptRequest {
        .with {
            $0.disputeID = id
            $0.consents = ["p1", "p2"].map { party in
                .with {
                    $0.partyID = party
                    $0.consents = true
                }
            }
        }
    }

    static func assign(_ id: String, _ mediators: String...) -> Gongzhi_Mediation_V1_AssignMediatorsRequest {
        .with {
            $0.disputeID = id
            $0.mediators = mediators.map { person in
                .with {
                    $0.personID = person
                    $0.appointment = .assigned
                }
            }
        }
    }

    /// A dispute accepted and given to 陈丽, through the administrator's client.
    func mediatingDispute(key: String = "") async throws -> Gongzhi_Mediation_V1_Dispute {
        let applied = try await mediation.apply(Self.application(key: key))
        _ = try await mediation.accept(Self.accept(applied.id))
        return try await mediation.assignMediators(Self.assign(applied.id, "chen-li"))
    }

    /// Writes a grid case as the grid module would, through the stand-in's channel (needs `grid: true`).
    func writeCase(
        _ id: String,
        category: String = "E0701",
        state: Gongzhi_Grid_V1_CaseState = .registered,
        handedTo disputeID: String = ""
    ) async throws {
        var value = Gongzhi_Grid_V1_Case()
        value.id = id
        value.state = state
        value.categoryCode = category
        value.categoryName = category == "E0701" ? "邻里纠纷" : "占道经营"
        value.description_p = "楼上漏水，邻里争执"
        value.gridCode = Self.grid
        value.communityCode = Self.community
        value.streetCode = "330106001"
        if !disputeID.isEmpty { value.mediation.disputeID = disputeID }
        // Only the kind's owner writes cases: the stand-in for the grid module.
        let grid = HostObjects(channel: try host.pluginChannel("grid"))
        try await grid.create(TypedObject(id: id, message: value, parent: Self.grid))
    }
}

/// The mediation plugin's manifest, as kept beside its sources.
let mediationManifest = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Plugins/mediation/mediation.plugin.toml").path

/// Runs `body` with the mediation plugin in-process (and, with `grid`, a stand-in for the grid module that
/// registers the kind Case).
func withMediationWorld(
    grid: Bool = false,
    categories: [String] = MediationSettings.defaultDisputeCategories,
    _ body: (MediationWorld) async throws -> Void
) async throws {
    let files = try TemporaryDirectory(prefix: "gzmediation")
    defer { files.remove() }
    let clockFile = files.file("now")
    try String(MediationWorld.startMs).write(toFile: clockFile, atomically: true, encoding: .utf8)
    let settings = MediationSettings(
        clock: .file(clockFile),
        alertInterval: .seconds(3600),
        disputeCategories: categories
    )
    let opened = Mutex<DisputeDesk?>(nil)
    let plugin = try TestPlugin(manifest: mediationManifest) { context in
        let desk = try await MediationPlugin.openDesk(context, settings: settings)
        opened.withLock { $0 = desk }
        return [MediationService(desk: desk)]
    }
    var plugins = [plugin]
    if grid {
        plugins.append(
            TestPlugin(
                name: "grid",
                services: [],
                requestedGrants: ["gongzhi.host.v1.Objects/RegisterKind", "gongzhi.host.v1.Objects/Create"]
            ) { context in
                guard let set = RPCFileDescriptorSet(base64: Gongzhi_Grid_V1_GridService.fileDescriptorSetBase64) else {
                    throw RPCError(code: .internal, message: "the grid descriptors do not decode")
                }
                try await context.objects.registerKind(
                    "Case",
                    messageName: Gongzhi_Grid_V1_Case.protoMessageName,
                    fileDescriptorSet: set.bytes
                )
                return []
            }
        )
    }
    try await withInProcessTestHost(plugins: plugins) { host in
        let desk = try XCTUnwrap(opened.withLock { $0 })
        let objects = HostObjects(channel: host.adminChannel)
        try await createWorld(objects)
        let world = MediationWorld(
            host: host,
            desk: desk,
            mediation: Gongzhi_Mediation_V1_MediationClient(channel: host.adminChannel),
            objects: objects,
            clockFile: clockFile
        )
        try await body(world)
    }
}

private func createWorld(_ objects: HostObjects) async throws {
    let regions: [(String, Gongzhi_Core_V1_Region.Level, String)] = [
        ("330106", .district, ""), ("330106001", .street, "330106"),
        (MediationWorld.community, .community, "330106001"), (MediationWorld.otherCommunity, .community, "330106001"),
    ]
    for (code, level, parent) in regions {
        var region = Gongzhi_Core_V1_Region()
        region.code = code
        region.name = "区域 \(code)"
        region.level = level
        region.parentCode = parent
        try await objects.create(TypedObject(id: code, message: region, parent: parent))
    }
    var grid = Gongzhi_Core_V1_Grid()
    grid.code = MediationWorld.grid
    grid.name = "翠苑一区网格"
    grid.communityCode = MediationWorld.community
    grid.polygon.outer.points = [(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)].map {
        var point = Gongzhi_Core_V1_Point()
        point.longitude = 120.10 + $0.0
        point.latitude = 30.27 + $0.1
        return point
    }
    try await objects.create(TypedObject(id: grid.code, message: grid, parent: MediationWorld.community))
    for (id, name, household) in [("R1", "王军", "H1"), ("R2", "李芳", "H2")] {
        var resident = Gongzhi_Core_V1_Resident()
        resident.id = id
        resident.name = name
        resident.householdID = household
        resident.gridCode = MediationWorld.grid
        try await objects.create(TypedObject(id: id, message: resident, parent: MediationWorld.grid))
    }
    for person in MediationWorld.people {
        var message = Gongzhi_Core_V1_Person()
        message.id = person.id
        message.name = person.name
        message.residentID = person.residentID
        message.state = person.suspended ? .suspended : .active
        if person.suspended { message.suspendedReason = "停职" }
        try await objects.create(TypedObject(id: person.id, message: message))
        for place in person.places {
            var binding = Gongzhi_Core_V1_RoleBinding()
            binding.id = "\(person.id).\(person.role).\(place)"
            binding.personID = person.id
            binding.role = person.role
            binding.placeCode = place
            try await objects.create(TypedObject(id: binding.id, message: binding))
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
