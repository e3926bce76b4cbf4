/// The fixed facts of X社区's data intake (数据接入): its sources (the sensors of the sample community over MQTT,
/// the 12345 hotline and a WeChat mini-program over Open311, the street's urban-management export as CSV), the
/// catalogue category each source's categories route to, the devices to place and the department export's
/// columns. Everything random is drawn from these by ``XCommunityIntake``.
enum XCommunityIntakePlan {
    /// The Open311 jurisdiction: the district's code.
    static let jurisdictionID = XCommunityPlan.districtCode
    static let httpAddress = "127.0.0.1:8311"
    static let contact = "示例区大数据局（12345政务服务便民热线数据接入），工作日 9:00–17:00"
    static let keyService = "向示例区大数据局申请接入密钥：管理员用 gongzhictl tokens issue 签发，api_key 即令牌"

    // MARK: - Sensors

    static let sensorSource = "sensors-x"
    /// The broker when none is given: Debian's mosquitto.service listens here.
    static let defaultBroker = "127.0.0.1:1883"
    static let sensorTopics = ["gz/v1/readings/+", "gz/v1/gateways/+/readings", "gz/v1/gateways/+/readings.pb"]

    /// The sensor kinds of the sample, as the sensor adapter (Plugins/sensors) names them in its thresholds.
    enum SensorKind: String, CaseIterable {
        case waterLevel = "water_level"
        case smoke
        case manholeTilt = "manhole_tilt"

        /// The device id's prefix.
        var prefix: String {
            switch self {
            case .waterLevel: "WL"
            case .smoke: "SM"
            case .manholeTilt: "MT"
            }
        }

        /// The sensor adapter's built-in limits, in tenths of the unit (Plugins/sensors/thresholds.c): the
        /// simulator stays under the warning limit except when it is told to go critical.
        var warningTenths: Int {
            switch self {
            case .waterLevel: 150
            case .smoke: 15
            case .manholeTilt: 100
            }
        }

        var criticalTenths: Int {
            switch self {
            case .waterLevel: 300
            case .smoke: 40
            case .manholeTilt: 300
            }
        }
    }

    /// The catalogue category (Sources/GongzhiGrid, `CategoryCatalogue.standard`) a critical alert of each kind
    /// is reported in: 道路积水 and 雨水井盖. The standard catalogue has no fire-safety category, so a critical
    /// smoke alert is not mapped: it waits for a person (`unmappedSensorKind`).
    static let alertCategories: [(kind: SensorKind, category: String)] = [
        (.waterLevel, "E0405"),
        (.manholeTilt, "P0103"),
    ]

    /// Devices per compound: water level at the low points of the compound's gates and garage ramps (下穿通道),
    /// smoke detectors in the stairwells of the buildings where most residents of 60 and over live alone, manhole
    /// covers' tilt on the compound's roads.
    static let devicesPerCompound: [(kind: SensorKind, count: Int)] = [
        (.waterLevel, 2),
        (.smoke, 5),
        (.manholeTilt, 3),
    ]

    /// Where the water-level sensors of each compound stand (two a compound, in the order of the compounds).
    static let underpasses: [[String]] = [
        ["枫林路下穿通道", "枫林新村地下车库入口"],
        ["翠竹路下穿通道", "翠竹苑地下车库入口"],
        ["锦绣路下穿通道", "锦绣华庭地下车库入口"],
        ["春晓路下穿通道", "春晓家园地下车库入口"],
    ]

    static let vendor = "示例物联科技"

    /// The gateway of a compound's devices: `x-c1` …
    static func gateway(ofCompound key: String) -> String { "x-\(key)" }

    // MARK: - Open311

    /// A service of an Open311 source: its code, name, group and keywords, and where its tickets go.
    struct Service {
        var code: String
        var name: String
        var description: String
        var group: String
        var keywords: [String]
        /// complaint, report, consultation, help or suggestion.
        var type: String
        /// The catalogue category of a complaint or report.
        var category: String
    }

    static let hotlineSource = "hotline-12345"
    static let hotlineTicketAttribute = "ticket_no"

    /// The 12345 hotline's services: complaints in a handful of catalogue categories, by their catalogue codes,
    /// and the three kinds of call that become items of their own.
    static let hotlineServices: [Service] = [
        Service(
            code: "E0405",
            name: "道路积水",
            description: "道路、下穿通道、小区内积水影响通行",
            group: "市容环境",
            keywords: ["积水", "内涝", "下穿"],
            type: "complaint",
            category: "E0405"
        ),
        Service(
            code: "P0103",
            name: "雨水井盖",
            description: "雨水井盖缺失、破损、移位、异响",
            group: "公用设施",
            keywords: ["井盖", "窨井"],
            type: "complaint",
            category: "P0103"
        ),
        Service(
            code: "E0101",
            name: "暴露垃圾",
            description: "垃圾未及时清运、散落、满溢",
            group: "市容环境",
            keywords: ["垃圾", "清运"],
            type: "complaint",
            category: "E0101"
        ),
        Service(
            code: "E0104",
            name: "乱堆物堆料",
            description: "楼道、公共区域、道路上堆放杂物、建材",
            group: "市容环境",
            keywords: ["堆物", "楼道", "杂物"],
            type: "complaint",
            category: "E0104"
        ),
        Service(
            code: "E0502",
            name: "占道经营",
            description: "店外经营、摊点占用人行道或道路",
            group: "街面秩序",
            keywords: ["占道", "摊贩"],
            type: "complaint",
            category: "E0502"
        ),
        Service(
            code: "E0303",
            name: "施工扰民",
            description: "夜间施工、装修噪音、渣土撒漏",
            group: "施工管理",
            keywords: ["施工", "噪音", "装修"],
            type: "complaint",
            category: "E0303"
        ),
        Service(
            code: "E0701",
            name: "邻里纠纷",
            description: "邻里之间的漏水、噪音、占用公共部位等纠纷",
            group: "基层治理",
            keywords: ["邻居", "纠纷", "漏水"],
            type: "complaint",
            category: "E0701"
        ),
        Service(
            code: "ZX01",
            name: "政策咨询",
            description: "社保、医保、养老、住房等政策的咨询",
            group: "咨询求助建议",
            keywords: ["咨询", "政策"],
            type: "consultation",
            category: ""
        ),
        Service(
            code: "QZ01",
            name: "求助",
            description: "生活困难、独居老人、残疾人等的求助",
            group: "咨询求助建议",
            keywords: ["求助", "帮扶"],
            type: "help",
            category: ""
        ),
        Service(
            code: "JY01",
            name: "意见建议",
            description: "对社区治理和公共服务的意见建议",
            group: "咨询求助建议",
            keywords: ["建议", "意见"],
            type: "suggestion",
            category: ""
        ),
    ]

    static let miniProgramSource = "wechat-mini"

    /// The community's WeChat mini-program (随手拍): residents report what they see, and ask for help or suggest.
    static let miniProgramServices: [Service] = [
        Service(
            code: "E0405",
            name: "道路积水",
            description: "拍下积水的位置",
            group: "随手拍",
            keywords: ["积水"],
            type: "report",
            category: "E0405"
        ),
        Service(
            code: "P0103",
            name: "雨水井盖",
            description: "井盖缺失、破损或松动",
            group: "随手拍",
            keywords: ["井盖"],
            type: "report",
            category: "P0103"
        ),
        Service(
            code: "E0101",
            name: "暴露垃圾",
            description: "垃圾满溢、散落",
            group: "随手拍",
            keywords: ["垃圾"],
            type: "report",
            category: "E0101"
        ),
        Service(
            code: "E0201",
            name: "非法小广告",
            description: "楼道、电线杆上的小广告",
            group: "随手拍",
            keywords: ["小广告"],
            type: "report",
            category: "E0201"
        ),
        Service(
            code: "P0115",
            name: "路灯",
            description: "路灯不亮、损坏",
            group: "随手拍",
            keywords: ["路灯"],
            type: "report",
            category: "P0115"
        ),
        Service(
            code: "QZ01",
            name: "求助",
            description: "向社区求助",
            group: "找社区",
            keywords: ["求助"],
            type: "help",
            category: ""
        ),
        Service(
            code: "JY01",
            name: "意见建议",
            description: "给社区提建议",
            group: "找社区",
            keywords: ["建议"],
            type: "suggestion",
            category: ""
        ),
    ]

    // MARK: - The urban-management export

    static let fileSource = "urban-management"
    static let exportFile = "urban-management-2026-11.csv"

    /// The export's columns, as the street's digital urban-management system (数字城管) writes them.
    static let exportColumns = ["案件编号", "上报时间", "问题来源", "问题类别", "问题描述", "所在地址", "经度", "纬度", "上报人", "联系电话", "处置状态"]

    /// A category of the export: how often it comes up, the catalogue category it maps to, and what its
    /// descriptions say (a place in the compound is put before each).
    struct ExportCategory {
        var name: String
        var category: String
        var weight: Int
        var findings: [String]
    }

    static let exportCategories: [ExportCategory] = [
        ExportCategory(
            name: "占道经营",
            category: "E0502",
            weight: 30,
            findings: ["店外摆放货架占用人行道", "水果摊占道经营，影响通行", "早餐摊点占用盲道", "店外设置烧烤炉占道经营"]
        ),
        ExportCategory(
            name: "无照经营游商",
            category: "E0503",
            weight: 14,
            findings: ["流动摊贩三轮车售卖水果", "游商兜售小商品，无营业执照", "流动修车摊无照经营"]
        ),
        ExportCategory(
            name: "暴露垃圾",
            category: "E0101",
            weight: 24,
            findings: ["垃圾桶满溢未及时清运", "绿化带内散落生活垃圾", "装修垃圾袋装后未清运", "垃圾房外散落垃圾"]
        ),
        ExportCategory(
            name: "乱堆物堆料",
            category: "E0104",
            weight: 24,
            findings: ["楼道内堆放纸箱杂物", "人行道上堆放建筑材料", "废旧家具堆放在公共区域", "绿地上堆放沙石"]
        ),
        ExportCategory(
            name: "非法小广告",
            category: "E0201",
            weight: 20,
            findings: ["单元门上张贴开锁小广告", "电线杆上张贴办证小广告", "墙面喷涂疏通管道广告"]
        ),
        ExportCategory(
            name: "施工扰民",
            category: "E0303",
            weight: 10,
            findings: ["夜间22点后仍在施工", "周末早上7点前装修作业", "施工围挡破损，扬尘较大"]
        ),
        ExportCategory(
            name: "违法建设",
            category: "E0703",
            weight: 8,
            findings: ["底层住户私搭阳光房", "楼顶违规加盖彩钢板房", "围墙外私建简易棚"]
        ),
        ExportCategory(
            name: "道路积水",
            category: "E0405",
            weight: 5,
            findings: ["雨后路面积水约15厘米", "雨水口堵塞导致积水"]
        ),
        ExportCategory(
            name: "雨水井盖破损",
            category: "P0103",
            weight: 6,
            findings: ["雨水井盖破损", "雨水井盖缺失，已临时围挡", "雨水井盖松动有异响"]
        ),
        ExportCategory(
            name: "路灯不亮",
            category: "P0115",
            weight: 6,
            findings: ["路灯不亮", "路灯灯杆倾斜", "路灯白天常亮"]
        ),
        ExportCategory(
            name: "垃圾箱破损",
            category: "P0118",
            weight: 6,
            findings: ["果皮箱破损", "垃圾箱盖缺失"]
        ),
        ExportCategory(
            name: "行道树倒伏",
            category: "P0401",
            weight: 4,
            findings: ["行道树倾斜倒伏", "行道树枯枝有坠落危险"]
        ),
    ]

    /// The one category of the export the mapping does not know: its row waits for a person.
    static let unmappedCategory = (name: "共享单车乱停放", finding: "共享单车大量堆放在人行道上")

    /// Where in a compound a finding is: put before it, with the compound's name and a building.
    static let spots = ["东侧人行道", "西侧围墙外", "南门口", "北门口", "单元门口", "楼前空地", "绿化带旁", "垃圾房旁", "车库出入口", "健身点旁"]

    /// How a row came to the urban-management system.
    static let origins = [(name: "巡查发现", weight: 6), (name: "数字城管", weight: 3), (name: "市民投诉", weight: 2)]

    /// The street's urban-management inspectors (城管队员) who report in X社区. Synthetic names and numbers.
    static let inspectors: [(name: String, phone: String)] = [
        ("钱国栋", "19905710131"),
        ("孔德明", "19905710247"),
        ("严晓峰", "19905710362"),
        ("华建平", "19905710478"),
        ("卫志刚", "19905710593"),
    ]

    /// The rows of the export: so many in all, with these among them.
    static let exportRows = 200
    static let duplicateRows = 3
    static let rowsWithoutCoordinates = 12
    /// The first day of the export (November 2026) and its number of days.
    static let exportYear = 2026
    static let exportMonth = 11
}
