/// The fixed facts of the sample community: codes, numbers, compounds and their buildings, teams, departments.
/// Everything random is drawn from these by ``XCommunity``.
enum XCommunityPlan {
    static let seed: UInt64 = 0x5843_6f6d_6d75_6e69

    static let districtCode = "330199"
    static let districtName = "示例区"
    static let streetCode = "330199001"
    static let streetName = "示例街道"
    static let communityCode = "330199001001"
    static let communityName = "X社区"

    static let households = 7_191
    static let residents = 21_235
    static let volunteers = 1_192

    /// The community's south-west corner; compounds are placed relative to it.
    static let origin = MicroPoint(longitude: 120_144_000, latitude: 30_275_000)

    /// Relative to ``origin``, with a margin around the compounds for the streets between them.
    static let communityBoundary = MicroRect(west: -200, south: -200, east: 12_500, north: 9_300)

    static let streetBoundary = MicroPolygon(vertices: [
        MicroPoint(longitude: 120_128_000, latitude: 30_262_000),
        MicroPoint(longitude: 120_171_000, latitude: 30_259_000),
        MicroPoint(longitude: 120_182_000, latitude: 30_281_000),
        MicroPoint(longitude: 120_168_000, latitude: 30_301_000),
        MicroPoint(longitude: 120_131_000, latitude: 30_298_000),
        MicroPoint(longitude: 120_121_000, latitude: 30_279_000),
    ])

    static let districtBoundary = MicroPolygon(vertices: [
        MicroPoint(longitude: 120_085_000, latitude: 30_232_000),
        MicroPoint(longitude: 120_165_000, latitude: 30_222_000),
        MicroPoint(longitude: 120_215_000, latitude: 30_248_000),
        MicroPoint(longitude: 120_228_000, latitude: 30_295_000),
        MicroPoint(longitude: 120_196_000, latitude: 30_338_000),
        MicroPoint(longitude: 120_121_000, latitude: 30_342_000),
        MicroPoint(longitude: 120_079_000, latitude: 30_310_000),
        MicroPoint(longitude: 120_071_000, latitude: 30_265_000),
    ])

    /// A kind of residential building: every flat of it is one household.
    struct BuildingType {
        var floors: Int
        var units: Int
        var roomsPerFloor: Int
        var flats: Int { floors * units * roomsPerFloor }
    }

    /// A residential compound (小区): its place, its four grids' buildings, and who tends to live there.
    struct Compound {
        /// "c1" … "c4": the compound's key in ids and labels.
        var key: String
        var name: String
        var address: String
        /// Relative to ``origin``.
        var area: MicroRect
        var splitLongitude: Int
        var splitLatitude: Int
        /// The buildings of each grid, counter-clockwise from the south-west quarter.
        var quarters: [[BuildingType]]
        var vacancy: Double
        var tenancy: Double
        /// How much likelier than elsewhere an owner household here is to be old.
        var ageing: Double
        /// How much likelier than elsewhere a registered household here is to receive subsistence allowance.
        var hardship: Double
        var propertyCompany: String
    }

    /// `count` buildings of `common`, with `other` in the places listed.
    private static func buildings(
        _ count: Int,
        _ common: BuildingType,
        other: BuildingType,
        at places: [Int]
    )
        -> [BuildingType]
    {
        (0..<count).map { places.contains($0) ? other : common }
    }

    private static let walkUp3 = BuildingType(floors: 6, units: 3, roomsPerFloor: 2)
    private static let walkUp2 = BuildingType(floors: 6, units: 2, roomsPerFloor: 2)
    private static let sevenStorey = BuildingType(floors: 7, units: 3, roomsPerFloor: 2)
    private static let sevenStoreyWide = BuildingType(floors: 7, units: 3, roomsPerFloor: 3)
    private static let tower = BuildingType(floors: 18, units: 2, roomsPerFloor: 3)
    private static let towerWide = BuildingType(floors: 18, units: 2, roomsPerFloor: 4)
    private static let midRise = BuildingType(floors: 11, units: 2, roomsPerFloor: 3)
    private static let midRiseWide = BuildingType(floors: 11, units: 2, roomsPerFloor: 4)

    /// 枫林新村: 1990s six-storey walk-ups, older and poorer; 翠竹苑: 2000s seven-storey blocks; 锦绣华庭: 2010s
    /// eighteen-storey towers, younger families; 春晓家园: 2000s eleven-storey blocks.
    static let compounds: [Compound] = [
        Compound(
            key: "c1",
            name: "枫林新村",
            address: "枫林路88号",
            area: MicroRect(west: 0, south: 0, east: 6_200, north: 4_500),
            splitLongitude: 3_000,
            splitLatitude: 2_300,
            quarters: [[Int]](repeating: [3, 8, 13], count: 4).map {
                buildings(16, walkUp3, other: walkUp2, at: $0)
            },
            vacancy: 0.02,
            tenancy: 0.30,
            ageing: 1.2,
            hardship: 2.0,
            propertyCompany: "示例区安居物业管理有限公司"
        ),
        Compound(
            key: "c2",
            name: "翠竹苑",
            address: "翠竹路36号",
            area: MicroRect(west: 6_500, south: 0, east: 12_300, north: 4_500),
            splitLongitude: 9_400,
            splitLatitude: 2_200,
            quarters: [[4], [2], [6], [1, 7]].map { buildings(9, sevenStorey, other: sevenStoreyWide, at: $0) },
            vacancy: 0.02,
            tenancy: 0.22,
            ageing: 1.0,
            hardship: 1.0,
            propertyCompany: "示例区翠竹物业服务有限公司"
        ),
        Compound(
            key: "c3",
            name: "锦绣华庭",
            address: "锦绣路199号",
            area: MicroRect(west: 6_500, south: 4_800, east: 12_300, north: 9_000),
            splitLongitude: 9_300,
            splitLatitude: 6_900,
            quarters: [[0], [], [], []].map { buildings(4, tower, other: towerWide, at: $0) },
            vacancy: 0.03,
            tenancy: 0.18,
            ageing: 0.7,
            hardship: 0.3,
            propertyCompany: "示例区锦华物业服务有限公司"
        ),
        Compound(
            key: "c4",
            name: "春晓家园",
            address: "春晓路58号",
            area: MicroRect(west: 0, south: 4_800, east: 6_200, north: 9_000),
            splitLongitude: 3_100,
            splitLatitude: 6_800,
            quarters: [[], [5], [0], [3]].map { buildings(6, midRise, other: midRiseWide, at: $0) },
            vacancy: 0.02,
            tenancy: 0.20,
            ageing: 1.0,
            hardship: 0.8,
            propertyCompany: "示例区春晓物业管理有限公司"
        ),
    ]

    /// The Chinese names of the quarters, in the order of ``MicroRect/quarters(splitLongitude:splitLatitude:)``.
    static let quarterNames = ["西南片", "东南片", "东北片", "西北片"]

    /// A volunteer team: its name, its skills, and who it draws.
    struct Team {
        var name: String
        var skills: [String]
        var appeal: @Sendable (Volunteer) -> Double
    }

    /// What a team's appeal looks at.
    struct Volunteer {
        var age: Int
        var female: Bool
        var partyMember: Bool
        var veteran: Bool
    }

    static let teams: [Team] = [
        Team(name: "党员先锋志愿服务队", skills: ["政策宣传", "矛盾排查", "帮扶走访"]) { $0.partyMember ? 6 : 0.25 },
        Team(name: "银龄互助志愿服务队", skills: ["助老", "陪伴聊天", "代买代办"]) { $0.age >= 55 ? 3 : 0.2 },
        Team(name: "平安巡逻志愿服务队", skills: ["治安巡逻", "消防隐患排查", "电动车充电劝导"]) {
            $0.veteran ? 8 : (!$0.female && (40...70).contains($0.age) ? 2.5 : 0.5)
        },
        Team(name: "垃圾分类志愿服务队", skills: ["垃圾分类指导", "桶边督导"]) { _ in 1.2 },
        Team(name: "邻里守望志愿服务队", skills: ["独居老人探访", "邻里互助"]) { $0.age >= 45 ? 1.4 : 0.8 },
        Team(name: "文明劝导志愿服务队", skills: ["文明劝导", "停车秩序"]) { _ in 0.9 },
        Team(name: "便民维修志愿服务队", skills: ["水电维修", "家电维修", "自行车维修"]) {
            !$0.female && (25...70).contains($0.age) ? 1.6 : 0.15
        },
        Team(name: "青春志愿服务队", skills: ["四点半课堂", "活动组织", "手机教学"]) { $0.age <= 30 ? 6 : 0.1 },
        Team(name: "健康服务志愿服务队", skills: ["健康咨询", "量血压", "急救培训"]) { _ in 0.5 },
        Team(name: "法律服务志愿服务队", skills: ["法律咨询", "矛盾调解"]) { (28...65).contains($0.age) ? 0.8 : 0.05 },
        Team(name: "文体志愿服务队", skills: ["广场舞", "合唱", "书法"]) {
            $0.female && (45...72).contains($0.age) ? 2.2 : 0.3
        },
        Team(name: "应急救援志愿服务队", skills: ["应急救援", "防汛防台", "急救"]) { (20...55).contains($0.age) ? 0.9 : 0.1 },
    ]

    /// The full-time grid workers (专职网格员), one to each grid in the order of the grids' codes: each is a Person
    /// (id, name) bound as grid-worker to their grid, and is listed first in the grid's workers. 胡伟 walks grid 1,
    /// where the README's case falls.
    static let gridWorkers: [(id: String, name: String)] = [
        ("hu-wei", "胡伟"), ("shen-lijuan", "沈丽娟"), ("zhu-haifeng", "朱海峰"), ("xu-xiaoyan", "徐晓燕"),
        ("wu-ting", "吴婷"), ("zhang-junjie", "张俊杰"), ("zhou-xuemei", "周雪梅"), ("yang-jia", "杨佳"),
        ("sun-zhiwei", "孙志伟"), ("jiang-xiaoli", "蒋晓丽"), ("qian-qian", "钱倩"), ("huang-pengfei", "黄鹏飞"),
        ("he-jing", "何静"), ("zheng-dandan", "郑丹丹"), ("fang-xiaodong", "方晓东"), ("ye-ying", "叶颖"),
    ]

    /// The places staff other than grid workers are bound within.
    enum StaffPlace {
        case community
        case street

        var code: String {
            switch self {
            case .community: XCommunityPlan.communityCode
            case .street: XCommunityPlan.streetCode
            }
        }
    }

    /// Someone who works for the community or the street: a Person bound to one of the host's built-in roles.
    struct StaffMember {
        var id: String
        var name: String
        /// What they do, in a few words (Person.title).
        var title: String
        /// A built-in role's name.
        var role: String
        var place: StaffPlace
        /// The name of the partner they act for, when they work for one.
        var partner: String? = nil
    }

    /// The staff besides the grid workers. The dispatcher works in the street's command centre (综合指挥室),
    /// which dispatches the cases of every community of the street; the others work for X社区.
    static let staff: [StaffMember] = [
        StaffMember(id: "chen-jing", name: "陈静", title: "社区专职社工", role: "community-staff", place: .community),
        StaffMember(id: "wang-lihua", name: "王丽华", title: "社区受理员", role: "call-taker", place: .community),
        StaffMember(id: "li-jianjun", name: "李建军", title: "街道综合指挥室调度员", role: "dispatcher", place: .street),
        StaffMember(id: "shi-guoping", name: "施国平", title: "社区人民调解员", role: "mediator", place: .community),
        StaffMember(id: "yu-meiqin", name: "俞美琴", title: "社区人民调解员", role: "mediator", place: .community),
        StaffMember(
            id: "jin-xiaoyan",
            name: "金晓燕",
            title: "积分兑换点店员",
            role: "redemption-clerk",
            place: .community,
            partner: "邻家便利超市"
        ),
    ]

    /// A resident who uses the points module as a person of their own: a Person naming their Resident, bound to a
    /// built-in role within the community.
    struct VolunteerPerson {
        var id: String
        /// The name the resident was drawn with, checked when the data are generated.
        var name: String
        var title: String
        var role: String
        /// Their volunteer team, an index into ``teams``.
        var team: Int
        /// True for the team's leader; false for the first other member who lives in the community's grid 1.
        var leadsTeam: Bool
    }

    /// Two volunteers of 党员先锋志愿服务队 with people of their own, for the README's walk through a volunteer's
    /// points: its leader 郑玲娣, who records and confirms the team's service (团队负责人), and 朱永康, a member
    /// in grid 1, who sees and spends his own points (居民).
    static let volunteerPeople: [VolunteerPerson] = [
        VolunteerPerson(
            id: "zheng-lingdi",
            name: "郑玲娣",
            title: "党员先锋志愿服务队队长",
            role: "team-leader",
            team: 0,
            leadsTeam: true
        ),
        VolunteerPerson(
            id: "zhu-yongkang",
            name: "朱永康",
            title: "党员先锋志愿服务队志愿者",
            role: "resident",
            team: 0,
            leadsTeam: false
        ),
    ]

    /// The skills neighbour partners offer.
    static let neighbourSkills = [
        "水电维修", "家电维修", "助老", "调解", "理发", "心理疏导", "法律咨询", "健康咨询", "垃圾分类指导", "儿童托管",
        "手机教学", "缝补", "书法", "厨艺",
    ]

    /// A street department cases can be dispatched to.
    struct Department {
        var id: String
        var name: String
        var categories: [String]
    }

    static let departments: [Department] = [
        Department(
            id: "D-law-enforcement",
            name: "示例街道综合行政执法队",
            categories: ["city-appearance", "street-vending", "illegal-construction", "outdoor-advertising"]
        ),
        Department(
            id: "D-market-regulation",
            name: "示例区市场监督管理局示例街道市场监管所",
            categories: ["food-safety", "unlicensed-business", "elevator-safety", "consumer-complaint"]
        ),
        Department(
            id: "D-housing",
            name: "示例街道城市建设管理办公室",
            categories: ["building-safety", "property-management", "old-compound-renovation", "drainage"]
        ),
        Department(
            id: "D-fire",
            name: "示例街道消防救援站",
            categories: ["fire-hazard", "blocked-fire-exit", "ebike-charging"]
        ),
        Department(
            id: "D-police",
            name: "示例区公安分局示例派出所",
            categories: ["public-security", "noise-nuisance", "rental-registration", "traffic-order"]
        ),
        Department(
            id: "D-civil-affairs",
            name: "示例街道社会事务办公室",
            categories: ["elderly-care", "subsistence-allowance", "disability-assistance", "child-welfare"]
        ),
        Department(
            id: "D-health",
            name: "示例街道社区卫生服务中心",
            categories: ["public-health", "infectious-disease", "medical-service"]
        ),
        Department(
            id: "D-sanitation",
            name: "示例街道环境卫生管理所",
            categories: ["sanitation", "garbage-sorting", "public-toilet", "pest-control"]
        ),
        Department(
            id: "D-justice",
            name: "示例街道司法所",
            categories: ["dispute", "legal-aid", "community-correction"]
        ),
    ]
}
