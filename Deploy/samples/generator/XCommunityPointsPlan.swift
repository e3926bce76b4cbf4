/// The fixed facts of X社区's points exchange (积分兑换): its ledgers, earning rules, points supermarket and goods,
/// and what happened in the month before the ledger was opened. Everything random is drawn from these by
/// ``XCommunityPoints``.
enum XCommunityPointsPlan {
    static let volunteerLedger = "volunteer"
    static let partyLedger = "party"

    /// A ledger: a currency of points.
    struct Ledger {
        var code: String
        var name: String
        var lotMonths: Int
    }

    static let ledgers = [
        Ledger(code: volunteerLedger, name: "志愿者积分", lotMonths: 12),
        Ledger(code: partyLedger, name: "党员积分", lotMonths: 0),
    ]

    /// An earning rule, as `gongzhictl points rules put` takes it.
    struct Rule {
        var code: String
        var name: String
        var ledger: String
        /// manual, service-record or grid-case.
        var source: String
        var points: Int
        var perHour = false
        /// At most this many points a month for one holder (0: no cap).
        var monthlyCap = 0
        var evidence = ""
        var description = ""
        var includeAcceptable = false
    }

    static let volunteerHour = "volunteer-hour"
    static let deliberation = "deliberation"
    static let training = "training"
    static let gridCaseSatisfied = "grid-case-satisfied"
    static let partyDuty = "party-duty"
    static let carryOver = "carry-over"

    static let rules = [
        Rule(
            code: volunteerHour,
            name: "志愿服务时长",
            ledger: volunteerLedger,
            source: "service-record",
            points: 10,
            perHour: true,
            monthlyCap: 200,
            evidence: "签到表",
            description: "每小时志愿服务10分，由团队负责人或社区工作者确认，每月最多200分"
        ),
        Rule(
            code: deliberation,
            name: "参加居民议事会",
            ledger: volunteerLedger,
            source: "manual",
            points: 5,
            monthlyCap: 20,
            evidence: "会议签到表",
            description: "参加一次居民议事会5分，每月最多20分"
        ),
        Rule(
            code: training,
            name: "参加志愿者培训",
            ledger: volunteerLedger,
            source: "manual",
            points: 10,
            evidence: "培训签到表",
            description: "参加一次社区组织的志愿者培训10分"
        ),
        Rule(
            code: gridCaseSatisfied,
            name: "网格事件办结满意",
            ledger: volunteerLedger,
            source: "grid-case",
            points: 20,
            description: "网格事件办结后居民评价满意或基本满意，处理的网格员或合伙人团队得20分",
            includeAcceptable: true
        ),
        Rule(
            code: carryOver,
            name: "纸质台账结转",
            ledger: volunteerLedger,
            source: "manual",
            points: 1,
            evidence: "2025年度纸质积分台账",
            description: "启用电子台账前纸质台账上的余额，按原台账的到期日到期"
        ),
        Rule(
            code: partyDuty,
            name: "党员履职",
            ledger: partyLedger,
            source: "manual",
            points: 10,
            monthlyCap: 50,
            evidence: "支部活动记录",
            description: "参加主题党日、联系走访群众等履职一次10分，每月最多50分"
        ),
    ]

    /// The points a rule gives (per hour for volunteer-hour).
    static func points(of code: String) -> Int {
        guard let rule = rules.first(where: { $0.code == code }) else { preconditionFailure("no rule \(code)") }
        return rule.points
    }

    /// The points supermarket of X社区.
    static let venue = (
        id: "xingfu-market",
        name: "幸福积分超市",
        address: "示例区示例街道枫林路88号枫林新村社区服务中心一楼",
        openingHours: "每天 9:00-17:00"
    )

    /// A good of the supermarket's catalogue.
    struct Good {
        var id: String
        var name: String
        var price: Int
        var stock: Int
        var unit: String
        /// The balance a holder needs to redeem it (门槛); 0: the price is enough.
        var minimumBalance = 0
    }

    static let goods = [
        Good(id: "rice-5kg", name: "大米 5kg", price: 150, stock: 20, unit: "袋", minimumBalance: 200),
        Good(id: "cooking-oil", name: "食用油 1.8L", price: 100, stock: 24, unit: "桶"),
        Good(id: "laundry-liquid", name: "洗衣液 2kg", price: 60, stock: 30, unit: "瓶"),
        Good(id: "haircut", name: "理发券", price: 50, stock: 40, unit: "张"),
        Good(id: "eggs", name: "鸡蛋 10枚", price: 40, stock: 36, unit: "盒"),
        Good(id: "soy-sauce", name: "酱油 500ml", price: 30, stock: 30, unit: "瓶"),
        Good(id: "towel", name: "毛巾", price: 25, stock: 50, unit: "条"),
        Good(id: "tissues", name: "抽纸 3包", price: 20, stock: 60, unit: "提"),
        Good(id: "soap", name: "香皂", price: 15, stock: 80, unit: "块"),
    ]

    /// The history runs over this many days before the day the volunteer ledger was opened.
    static let historyDays = 30

    /// The most hours of service one volunteer is credited for in the history: with the service recorded at the
    /// load (at most 5 hours more), this stays below the cap of 200 points a month in any split of the days.
    static let historyHoursPerVolunteer = 15

    /// How many members of each team serve in the month, and how many of them come to one activity.
    static let activeMembersPerTeam = 12
    static let membersPerActivity = 4...7

    /// The residents' deliberation meetings (居民议事会) of the month: the day, and the matter.
    static let deliberations: [(day: Int, topic: String)] = [
        (6, "居民议事会：楼道堆物清理方案"),
        (16, "居民议事会：电动车集中充电点选址"),
        (26, "居民议事会：枫林新村加装电梯意见征集"),
    ]

    /// The volunteers' trainings of the month.
    static let trainings: [(day: Int, topic: String)] = [
        (10, "应急救护培训（心肺复苏与AED）"),
        (21, "垃圾分类骨干志愿者培训"),
    ]

    /// The party members' duties of the month: the day, what, and how many took part.
    static let partyDuties: [(day: Int, what: String, members: Int)] = [
        (3, "主题党日：学习党的二十届四中全会精神", 24),
        (9, "党员联系户走访", 10),
        (14, "在职党员进社区报到服务", 14),
        (19, "党员联系户走访", 10),
        (25, "支部组织生活会", 22),
    ]

    /// How many party members take part in the party ledger's month.
    static let partyMembers = 40

    /// Holders whose points from the paper ledger are carried over on the first day, and the days after the
    /// opening day on which those points expire (the paper ledger's date).
    static let carriedOverHolders = 20
    static let carriedOverExpiryDays = 14

    /// Redemptions at the supermarket in the month.
    static let redemptions = 24

    /// Service records made at the load, by the team leader and the community worker, all of 党员先锋志愿服务队.
    static let serviceTeam = 0
    static let staffMember = "chen-jing"
    static let clerk = "jin-xiaoyan"
}
