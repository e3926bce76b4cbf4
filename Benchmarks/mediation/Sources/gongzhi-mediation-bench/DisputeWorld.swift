import Foundation
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf

/// The benchmark's district and its disputes: district 330199, street 330199001, 40 communities
/// (330199001001–330199001040) of 25 grids each, one mediator bound at the street, and `count` disputes spread
/// over the 1,000 grids, the seven types, 20 buildings and 4 compounds a community, each between two residents
/// with names, phones, an address and an ID number (personal data, as a real application has).
///
/// The clock is China's (UTC+8). Applications come in over 50 days from 2026-01-05, a fiftieth of them a day; on
/// 2026-03-02 the early share is accepted (every party consenting) and half of it given a mediator; on 2026-03-23 the
/// late share likewise. Then the clock moves to 2026-04-13: the early share's month to mediate (to the end of
/// 2026-04-02) has run out, the late share's (to 2026-04-23) has not, and the rest, still applied, run no clock.
struct DisputeWorld: Sendable {
    static let district = "330199"
    static let street = "330199001"
    static let communities = 40
    static let gridsPerCommunity = 25
    static let mediatorID = "bench-mediator"
    /// The days over which the applications come in, a batch a day.
    static let applicationDays = 50

    /// Disputes stored.
    var count: Int

    // MARK: The clock

    /// Milliseconds since the epoch of a day at 09:00 in China (UTC+8).
    static func chinaMorning(year: Int, month: Int, day: Int) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3_600)!
        let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 9))!
        return Int64(date.timeIntervalSince1970 * 1_000)
    }

    static let dayMs: Int64 = 86_400_000
    static let firstApplication = chinaMorning(year: 2026, month: 1, day: 5)
    static let earlyAcceptance = chinaMorning(year: 2026, month: 3, day: 2)
    static let lateAcceptance = chinaMorning(year: 2026, month: 3, day: 23)
    static let measuredAt = chinaMorning(year: 2026, month: 4, day: 13)

    /// The clock while batch `batch` of the applications comes in.
    static func applicationTime(batch: Int) -> Int64 { firstApplication + Int64(batch) * dayMs }

    // MARK: Shares

    /// Accepted on 2026-03-02: by 2026-04-13 their month to mediate has run out (two in ten).
    static func isEarly(_ index: Int) -> Bool { index % 10 < 2 }
    /// Accepted on 2026-03-23: their clock runs, not overdue (one in ten).
    static func isLate(_ index: Int) -> Bool { index % 10 == 2 }
    /// Given a mediator after acceptance: half of each accepted share.
    static func isAssigned(_ index: Int) -> Bool { (isEarly(index) || isLate(index)) && index % 20 < 10 }

    var earlyIndices: [Int] { (0..<count).filter(Self.isEarly) }
    var lateIndices: [Int] { (0..<count).filter(Self.isLate) }

    // MARK: Places

    static func communityCode(_ number: Int) -> String { street + digits(number, width: 3) }

    /// The grid of dispute `index`: grids taken in a scattered order, so that neighbouring indices lie apart.
    static func gridCode(of index: Int) -> String {
        let grid = (index &* 7_919) % (communities * gridsPerCommunity)
        return communityCode(grid / gridsPerCommunity + 1) + digits(grid % gridsPerCommunity + 1, width: 3)
    }

    /// The district, the street, the communities, the mediator and their binding as the street's mediator.
    func setupWrites() throws -> [Gongzhi_Host_V1_Write] {
        func write(
            _ kind: String,
            _ id: String,
            parent: String,
            _ message: some SwiftProtobuf.Message
        ) throws
            -> Gongzhi_Host_V1_Write
        {
            var object = Gongzhi_Host_V1_Object()
            object.kind = kind
            object.id = id
            object.parent = parent
            object.data = try message.serializedBytes()
            var write = Gongzhi_Host_V1_Write()
            write.create = object
            return write
        }
        func region(
            _ code: String,
            _ name: String,
            _ level: Gongzhi_Core_V1_Region.Level,
            parent: String
        ) throws
            -> Gongzhi_Host_V1_Write
        {
            var region = Gongzhi_Core_V1_Region()
            region.code = code
            region.name = name
            region.level = level
            region.parentCode = parent
            return try write("Region", code, parent: parent, region)
        }
        var writes = [
            try region(Self.district, "基准区", .district, parent: ""),
            try region(Self.street, "基准街道", .street, parent: Self.district),
        ]
        for number in 1...Self.communities {
            writes.append(try region(Self.communityCode(number), "第\(number)社区", .community, parent: Self.street))
        }
        var person = Gongzhi_Core_V1_Person()
        person.id = Self.mediatorID
        person.name = "王明"
        person.title = "人民调解员"
        person.phone = "13800001234"
        writes.append(try write("Person", Self.mediatorID, parent: "", person))
        var binding = Gongzhi_Core_V1_RoleBinding()
        binding.personID = Self.mediatorID
        binding.role = "mediator"
        binding.placeCode = Self.street
        let bindingID = "\(Self.mediatorID).mediator.\(Self.street)"
        writes.append(try write("RoleBinding", bindingID, parent: "", binding))
        return writes
    }

    /// Creates the places, the mediator and their binding through `Objects/Txn`.
    func create(on objects: Gongzhi_Host_V1_ObjectsClient) async throws {
        var request = Gongzhi_Host_V1_TxnRequest()
        request.writes = try setupWrites()
        _ = try await objects.txn(request, options: CallOptions(timeout: .seconds(60)))
    }

    // MARK: Disputes

    private static let types: [Gongzhi_Mediation_V1_DisputeType] = [
        .neighbour, .neighbour, .propertyService, .renovation, .family, .propertyRights, .labour, .other,
    ]

    private static let titles: [Gongzhi_Mediation_V1_DisputeType: String] = [
        .neighbour: "楼上卫生间漏水致楼下天花板受损",
        .propertyService: "业主委员会与物业公司公共收益分配纠纷",
        .renovation: "装修噪音及施工时间超出规定",
        .family: "赡养老人费用分担纠纷",
        .propertyRights: "相邻通道占用及围墙归属争议",
        .labour: "装修工人劳务费拖欠",
        .other: "宠物伤人赔偿纠纷",
    ]

    /// The application of dispute `index`: from its first party, at its grid, with a retry-safe key.
    func application(_ index: Int) -> Gongzhi_Mediation_V1_ApplyRequest {
        var random = index &* 2_654_435_761 &+ 97
        func draw(_ bound: Int) -> Int {
            random = (random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407) & Int.max
            return (random >> 17) % bound
        }
        let grid = Self.gridCode(of: index)
        let community = String(grid.prefix(12))
        let type = Self.types[index % Self.types.count]
        let building = draw(20) + 1
        let compound = draw(4) + 1
        var request = Gongzhi_Mediation_V1_ApplyRequest()
        request.type = type
        request.source = .application
        request.placeCode = grid
        request.buildingID = "B\(community)-\(digits(building, width: 2))"
        request.compound = "\(community)-小区\(compound)"
        request.level = index % 5 == 0 ? .grid : .community
        request.title = Self.titles[type] ?? "邻里纠纷"
        request.facts =
            "\(2_000 + index % 1_000)号申请：\(building)幢\(draw(30) + 1)01室卫生间防水层老化，"
            + "自去年冬天起多次渗水至楼下\(draw(30) + 1)01室，天花板和墙面霉变脱落，双方协商未果。"
        request.narrative =
            "申请人称楼下住户多次上门反映后，楼上住户以房屋出租、无法联系租客为由拖延维修；"
            + "被申请人称渗水原因尚未查明，可能来自公共管道，应由物业公司负责，并不同意承担全部维修费用。"
            + "双方均同意由社区人民调解委员会调解，并希望在一个月内解决。编号\(index)。"
        request.parties = [
            party(index: index, number: 1, role: .applicant, building: building, draw: draw),
            party(index: index, number: 2, role: .respondent, building: building, draw: draw),
        ]
        request.idempotencyKey = "bench-\(index)"
        return request
    }

    private func party(
        index: Int,
        number: Int,
        role: Gongzhi_Mediation_V1_PartyRole,
        building: Int,
        draw: (Int) -> Int
    ) -> Gongzhi_Mediation_V1_Party {
        let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
        let given = ["建国", "秀英", "桂兰", "志强", "丽华", "伟", "敏", "静", "军", "洋"]
        var party = Gongzhi_Mediation_V1_Party()
        party.id = "p\(number)"
        party.kind = .resident
        party.role = role
        party.name = surnames[draw(surnames.count)] + given[draw(given.count)]
        party.phone = "139" + digits((index * 2 + number) % 100_000_000, width: 8)
        party.address = "幸福里\(building)幢\(draw(6) + 1)单元\(draw(30) + 1)0\(draw(4) + 1)室"
        party.idNumber =
            "330199" + "19\(50 + draw(50))" + digits(draw(12) + 1, width: 2) + digits(draw(28) + 1, width: 2)
            + digits((index * 2 + number) % 10_000, width: 4)
        return party
    }

    /// Acceptance of a dispute with both parties consenting.
    static func acceptance(_ id: String) -> Gongzhi_Mediation_V1_AcceptRequest {
        var request = Gongzhi_Mediation_V1_AcceptRequest()
        request.disputeID = id
        request.consents = ["p1", "p2"].map { party in
            var consent = Gongzhi_Mediation_V1_Consent()
            consent.partyID = party
            consent.consents = true
            return consent
        }
        request.note = "双方同意调解"
        return request
    }

    /// The street's mediator, assigned by the committee.
    static func assignment(_ id: String) -> Gongzhi_Mediation_V1_AssignMediatorsRequest {
        var request = Gongzhi_Mediation_V1_AssignMediatorsRequest()
        request.disputeID = id
        var mediator = Gongzhi_Mediation_V1_Mediator()
        mediator.personID = mediatorID
        mediator.appointment = .assigned
        request.mediators = [mediator]
        return request
    }
}

/// `value` as `width` decimal digits, zero-padded.
func digits(_ value: Int, width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}
