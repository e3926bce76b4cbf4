import Foundation
import GongzhiGridSchemas
import GongzhiHost
import GongzhiMediationSchemas
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// The mediation plugin (`gongzhi-mediation`) under the real host, as the mediation module's end-to-end tests start
/// it: on a clock file the test moves, sweeping for clocks that ran out every 50 ms, in the grid world of
/// ``GridEndToEndTests`` (street 330199001, communities 330199001001 with grids …001001 and …001002, and
/// 330199001002 with grid …002001), with the grid plugin (`gongzhi-grid`) beside it when a test needs it.
///
/// The people: 胡伟 (`hu-wei`) and 张军 (`zhang-jun`, who lives in household H1) are mediators of community
/// 330199001001, 孙梅 (`sun-mei`) a mediator of 330199001002, 王芳 (`wang-fang`) the grid worker of grid
/// 330199001001001, 陈静 (`chen-jing`) community staff of 330199001001. The residents: 张桂兰 (R1, household H1, on
/// the third floor of building B7) and 李建国 (R2, household H2, above her), and 张军 (R3, H1, her son). Each test
/// acts as a person through the administrator's connection naming them (`gongzhi-act-as`), as a front end would.
struct MediationWorld {
    static let street = "330199001"
    static let community = "330199001001"
    static let otherCommunity = "330199001002"
    /// The grid where the disputes arise: 王芳's.
    static let grid = "330199001001001"

    static let mediator = "hu-wei"
    static let relatedMediator = "zhang-jun"
    static let otherMediator = "sun-mei"
    static let gridWorker = "wang-fang"
    static let staff = "chen-jing"

    /// 2026-03-02 10:00 in China, a Monday.
    static let start = china(2026, 3, 2, 10)

    static let applicantPhone = "13900001111"
    static let respondentPhone = "13900002222"
    static let applicantAddress = "幸福里小区7幢301室"
    static let facts = "7幢401室卫生间防水层老化，水渗入301室天花板，墙面起皮发霉"
    static let narrative = "张桂兰称漏水已三个月，多次上楼协商无果；李建国称已请人看过，不是他家的问题"
    static let record = "笔录：经现场查看，漏水点在401室卫生间地漏下方。李建国同意修复并赔偿墙面损失。"

    var host: HostUnderTest
    var objects: Gongzhi_Host_V1_ObjectsClient
    /// The mediation service as the administrator calls it as themself: every dispute, with personal data.
    var admin: Gongzhi_Mediation_V1_MediationClient
    var clockFile: String

    static let mediationGrants = [
        "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
        "gongzhi.host.v1.Objects/Create", "gongzhi.host.v1.Objects/Update",
        "gongzhi.host.v1.Objects/RegisterKind", "gongzhi.host.v1.PersonalData/Read",
    ]

    static func mediationPlugin(environment: [String: String]) throws -> TestPlugin {
        TestPlugin(
            name: "mediation",
            executable: try BuiltExecutables.path("gongzhi-mediation"),
            services: ["gongzhi.mediation.v1.Mediation"],
            requestedGrants: mediationGrants,
            environment: environment
        )
    }

    /// Milliseconds since the epoch of a moment in China time (UTC+8), computed by Foundation's calendar.
    static func china(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3_600)!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)
        return Int64(calendar.date(from: components)!.timeIntervalSince1970 * 1_000)
    }

    /// Starts a host with the mediation plugin, its world and people, in `directory` when given; with `grid`, the
    /// grid plugin too, once the mediation plugin has registered its kind (so that the grid plugin follows the
    /// disputes from its start), on the same clock file. `environment` adds to the mediation plugin's. The host
    /// stops at the end of `test`.
    static func start(
        _ test: XCTestCase,
        clockMs: Int64 = MediationWorld.start,
        grid: Bool = false,
        environment: [String: String] = [:],
        directory: TemporaryDirectory? = nil
    ) async throws -> MediationWorld {
        let files = try TemporaryDirectory(prefix: "gzmediationclock")
        let clockFile = files.file("now")
        try String(clockMs).write(toFile: clockFile, atomically: true, encoding: .utf8)
        let plugin = try mediationPlugin(
            environment: environment.merging([
                "MEDIATION_CLOCK_FILE": clockFile, "MEDIATION_ALERT_INTERVAL_MS": "50",
            ]) { given, _ in given }
        )
        let host = try await HostUnderTest(plugins: [plugin], directory: directory)
        test.addTeardownBlock {
            await host.stop()
            _ = files
        }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        try await GridEndToEndTests.createWorld(objects)
        try await createPeople(objects)
        try await host.waitUntil("mediation")
        if grid {
            let gridPlugin = try GridEndToEndTests.gridPlugin(environment: [
                "GRID_CLOCK_FILE": clockFile, "GRID_ESCALATION_INTERVAL_MS": "100",
            ])
            try host.reconfigure([plugin, gridPlugin])
            try await host.waitUntil("grid")
            let cases = Gongzhi_Grid_V1_GridServiceClient(channel: host.admin)
            try await eventually("the grid plugin sees the grids") {
                var request = Gongzhi_Grid_V1_LocateRequest()
                request.point = GridEndToEndTests.point(inGrid: 0)
                return (try? await cases.locate(request))?.gridCode == Self.grid
            }
        }
        return MediationWorld(
            host: host,
            objects: objects,
            admin: Gongzhi_Mediation_V1_MediationClient(channel: host.admin),
            clockFile: clockFile
        )
    }

    static func createPeople(_ objects: Gongzhi_Host_V1_ObjectsClient) async throws {
        for (id, household, name) in [("H1", "R1", "301"), ("H2", "R2", "401")] {
            var value = Gongzhi_Core_V1_Household()
            value.id = id
            value.buildingID = "B7"
            value.room = name
            value.headResidentID = household
            value.gridCode = grid
            try await PointsWorld.create(objects, "Household", id, value)
        }
        for (id, name, household) in [("R1", "张桂兰", "H1"), ("R2", "李建国", "H2"), ("R3", "张军", "H1")] {
            var resident = Gongzhi_Core_V1_Resident()
            resident.id = id
            resident.name = name
            resident.householdID = household
            try await PointsWorld.create(objects, "Resident", id, resident)
        }
        let people: [(id: String, name: String, resident: String, role: String, place: String)] = [
            (mediator, "胡伟", "", "mediator", community),
            (relatedMediator, "张军", "R3", "mediator", community),
            (otherMediator, "孙梅", "", "mediator", otherCommunity),
            (gridWorker, "王芳", "", "grid-worker", grid),
            (staff, "陈静", "", "community-staff", community),
        ]
        for person in people {
            var value = Gongzhi_Core_V1_Person()
            value.id = person.id
            value.name = person.name
            value.residentID = person.resident
            try await PointsWorld.create(objects, "Person", person.id, value)
            var binding = Gongzhi_Core_V1_RoleBinding()
            binding.personID = person.id
            binding.role = person.role
            binding.placeCode = person.place
            let bindingID = "\(person.id).\(person.role).\(person.place)"
            try await PointsWorld.create(objects, "RoleBinding", bindingID, binding)
        }
    }

    func setClock(_ ms: Int64) throws {
        try String(ms).write(toFile: clockFile, atomically: true, encoding: .utf8)
    }

    /// The mediation service as `person` calls it: the administrator's connection naming them, so that the host
    /// verifies the person and holds them to their roles and places.
    func mediation(as person: String) -> Gongzhi_Mediation_V1_MediationClient {
        Gongzhi_Mediation_V1_MediationClient(channel: host.admin.addingMetadata(["gongzhi-act-as": person]))
    }

    /// The object store as `person` reads it.
    func objects(as person: String) -> Gongzhi_Host_V1_ObjectsClient {
        Gongzhi_Host_V1_ObjectsClient(channel: host.admin.addingMetadata(["gongzhi-act-as": person]))
    }

    /// The audit entries naming `person`.
    func audit(person: String) async throws -> [Gongzhi_Host_V1_AuditEntry] {
        var request = Gongzhi_Host_V1_ListAuditRequest()
        request.limit = 1_000
        request.person = person
        return try await host.adminClient.listAudit(request).entries
    }

    // MARK: Requests

    static func party(
        _ id: String,
        _ name: String,
        _ role: Gongzhi_Mediation_V1_PartyRole,
        resident: String,
        phone: String,
        address: String = ""
    ) -> Gongzhi_Mediation_V1_Party {
        var party = Gongzhi_Mediation_V1_Party()
        party.id = id
        party.kind = .resident
        party.residentID = resident
        party.name = name
        party.role = role
        party.phone = phone
        party.address = address
        return party
    }

    /// 张桂兰 (p1, applicant) and 李建国 (p2, respondent), with their phones.
    static var parties: [Gongzhi_Mediation_V1_Party] {
        [
            party("p1", "张桂兰", .applicant, resident: "R1", phone: applicantPhone, address: applicantAddress),
            party("p2", "李建国", .respondent, resident: "R2", phone: respondentPhone),
        ]
    }

    /// 张桂兰's application about the water leaking through her ceiling, in `place` (the grid by default).
    static func application(
        place: String = MediationWorld.grid,
        title: String = "楼上漏水",
        key: String = ""
    ) -> Gongzhi_Mediation_V1_ApplyRequest {
        var request = Gongzhi_Mediation_V1_ApplyRequest()
        request.type = .neighbour
        request.source = .application
        request.placeCode = place
        request.buildingID = "B7"
        request.compound = "幸福里小区"
        request.title = title
        request.facts = facts
        request.narrative = narrative
        request.parties = parties
        request.idempotencyKey = key
        return request
    }

    /// The agreement: 李建国 repairs the waterproofing (o1) and pays 800 yuan for the wall (o2), by the deadlines.
    static func agreement(repairBy: Int64, payBy: Int64) -> Gongzhi_Mediation_V1_Agreement {
        var agreement = Gongzhi_Mediation_V1_Agreement()
        agreement.partyIds = ["p1", "p2"]
        agreement.facts = facts
        var matter = Gongzhi_Mediation_V1_Matter()
        matter.summary = "漏水的修复和墙面损失的赔偿"
        matter.kind = .civil
        agreement.matters = [matter]
        agreement.responsibilities = "漏水由401室防水层老化所致，李建国承担修复和赔偿责任"
        agreement.terms = "李建国修复卫生间防水层，并赔偿张桂兰墙面修补费用800元"
        var repair = Gongzhi_Mediation_V1_Obligation()
        repair.id = "o1"
        repair.partyID = "p2"
        repair.content = "修复401室卫生间防水层"
        repair.method = "委托物业维修班组施工，张桂兰验收"
        repair.deadlineMs = repairBy
        var payment = Gongzhi_Mediation_V1_Obligation()
        payment.id = "o2"
        payment.partyID = "p2"
        payment.content = "赔偿墙面修补费用800元"
        payment.method = "微信转账"
        payment.deadlineMs = payBy
        agreement.obligations = [repair, payment]
        return agreement
    }

    // MARK: Steps

    func apply(
        by client: Gongzhi_Mediation_V1_MediationClient? = nil,
        _ request: Gongzhi_Mediation_V1_ApplyRequest = MediationWorld.application()
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try await (client ?? mediation(as: Self.mediator)).apply(request)
    }

    func accept(
        _ id: String,
        refusing: String? = nil,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_AcceptRequest()
        request.disputeID = id
        request.consents = ["p1", "p2"].map { party in
            var consent = Gongzhi_Mediation_V1_Consent()
            consent.partyID = party
            consent.consents = party != refusing
            if party == refusing { consent.note = "不同意调解，要去法院起诉" }
            return consent
        }
        return try await (client ?? mediation(as: Self.mediator)).accept(request)
    }

    func assign(
        _ id: String,
        mediator: String = MediationWorld.mediator,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_AssignMediatorsRequest()
        request.disputeID = id
        var chosen = Gongzhi_Mediation_V1_Mediator()
        chosen.personID = mediator
        chosen.appointment = .assigned
        request.mediators = [chosen]
        return try await (client ?? self.mediation(as: Self.mediator)).assignMediators(request)
    }

    func session(
        _ id: String,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_RecordSessionRequest()
        request.disputeID = id
        request.session.mediatorIds = [Self.mediator]
        request.session.partyIds = ["p1", "p2"]
        request.session.location = "社区调解室"
        request.session.record = Self.record
        request.session.recorderID = Self.mediator
        return try await (client ?? mediation(as: Self.mediator)).recordSession(request)
    }

    func draft(
        _ id: String,
        _ agreement: Gongzhi_Mediation_V1_Agreement,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_DraftAgreementRequest()
        request.disputeID = id
        request.agreement = agreement
        return try await (client ?? mediation(as: Self.mediator)).draftAgreement(request)
    }

    func sign(
        _ id: String,
        _ role: Gongzhi_Mediation_V1_Signature.Role,
        _ signer: String,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_SignRequest()
        request.disputeID = id
        request.role = role
        request.signerID = signer
        return try await (client ?? mediation(as: Self.mediator)).sign(request)
    }

    func seal(
        _ id: String,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_SealRequest()
        request.disputeID = id
        request.number = "（2026）幸调字第7号"
        return try await (client ?? mediation(as: Self.mediator)).seal(request)
    }

    func fail(
        _ id: String,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_FailRequest()
        request.disputeID = id
        request.reason = "双方对赔偿金额分歧过大"
        request.routes = [.judicial, .administrative]
        request.toldPartyIds = ["p1", "p2"]
        return try await (client ?? mediation(as: Self.mediator)).fail(request)
    }

    func perform(
        _ id: String,
        _ obligation: String,
        _ outcome: Gongzhi_Mediation_V1_Performance.Outcome = .performed,
        by client: Gongzhi_Mediation_V1_MediationClient? = nil
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_RecordPerformanceRequest()
        request.disputeID = id
        request.performance.obligationID = obligation
        request.performance.outcome = outcome
        request.performance.note = outcome == .missed ? "李建国未按期修复" : "张桂兰确认已完成"
        return try await (client ?? mediation(as: Self.mediator)).recordPerformance(request)
    }

    /// A dispute from the application to `state` (mediating: with a session), every step by 胡伟.
    func dispute(
        in state: Gongzhi_Mediation_V1_DisputeState,
        _ request: Gongzhi_Mediation_V1_ApplyRequest = MediationWorld.application(),
        repairBy: Int64 = MediationWorld.china(2026, 3, 10),
        payBy: Int64 = MediationWorld.china(2026, 3, 20)
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        var value = try await apply(request)
        let id = value.id
        switch state {
        case .applied: return value
        case .declined:
            var decline = Gongzhi_Mediation_V1_DeclineRequest()
            decline.disputeID = id
            decline.reason = "已由法院受理，不属于人民调解的范围"
            return try await mediation(as: Self.mediator).decline(decline)
        case .refused: return try await accept(id, refusing: "p2")
        default: break
        }
        value = try await accept(id)
        if state == .accepted { return value }
        if state == .failed { return try await fail(id) }
        _ = try await assign(id)
        value = try await session(id)
        if state == .mediating { return value }
        value = try await draft(id, Self.agreement(repairBy: repairBy, payBy: payBy))
        if state == .agreementDrafted { return value }
        _ = try await sign(id, .party, "p1")
        _ = try await sign(id, .party, "p2")
        _ = try await sign(id, .mediator, Self.mediator)
        value = try await seal(id)
        if state == .agreed { return value }
        _ = try await perform(id, "o1")
        return try await perform(id, "o2")
    }

    /// The dispute as the administrator reads it.
    func get(_ id: String) async throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_GetDisputeRequest()
        request.disputeID = id
        return try await admin.getDispute(request)
    }

    /// The ids of the disputes with a clock overdue now, as the administrator lists them.
    func overdue() async throws -> [String] {
        var request = Gongzhi_Mediation_V1_ListDisputesRequest()
        request.overdueOnly = true
        return try await admin.listDisputes(request).disputes.map(\.id)
    }

    /// The clocks due within `hours`, as the administrator asks.
    func due(within hours: UInt32 = 72) async throws -> [Gongzhi_Mediation_V1_Clock] {
        var request = Gongzhi_Mediation_V1_DueRequest()
        request.withinHours = hours
        return try await admin.due(request).clocks
    }
}

/// Asserts that `body` fails with `code` and a message holding every one of `texts`; returns the message.
@discardableResult
func assertRPCError<T>(
    _ code: StatusCode,
    saying texts: [String],
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> T
) async -> String {
    guard let error = await assertRPCError(code, file: file, line: line, body) else { return "" }
    for text in texts {
        XCTAssertTrue(error.message.contains(text), "\"\(error.message)\" says \"\(text)\"", file: file, line: line)
    }
    return error.message
}
