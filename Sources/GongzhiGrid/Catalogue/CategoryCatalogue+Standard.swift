import GongzhiGridSchemas
import GongzhiSchemas

extension CategoryCatalogue {
    /// The built-in catalogue: 21 categories coded in the style of GB/T 30428 (digital city management),
    /// "P" for parts (部件) and "E" for events (事件), then a two-digit major class and a two-digit minor class,
    /// plus community-governance matters in the extension class E07. Deadlines follow the tiers — grid 24 h,
    /// community 72 h, street 7 days, joint 15 days — with shorter ones for matters of safety (道路积水 2 h);
    /// a few small grid matters are dispatched to the grid's worker at once. Duplicates: 50 m and 24 h;
    /// escalation deadlines: `defaultEscalationDeadlineMinutes`.
    public static let standard = CategoryCatalogue(categories: standardCategories)

    private static let hour: UInt32 = 60
    private static let day: UInt32 = 1_440

    private static let standardCategories: [Gongzhi_Grid_V1_Category] = [
        // 部件 01 公用设施 (public facilities)
        category("P0101", "上水井盖", .part, .community, day),
        category("P0102", "污水井盖", .part, .community, day),
        category("P0103", "雨水井盖", .part, .community, day),
        category("P0115", "路灯", .part, .community, 3 * day),
        category("P0118", "垃圾箱", .part, .grid, day, autoDispatch: true),
        category("P0124", "消防栓", .part, .street, 2 * day),
        // 部件 02 道路交通 (roads and traffic)
        category("P0201", "交通信号灯", .part, .street, day),
        category("P0210", "道路护栏", .part, .community, 3 * day),
        // 部件 04 园林绿化 (greenery)
        category("P0401", "行道树", .part, .community, 3 * day),
        // 事件 01 市容环境 (city appearance)
        category("E0101", "暴露垃圾", .event, .grid, day, autoDispatch: true),
        category("E0104", "乱堆物堆料", .event, .grid, day, autoDispatch: true),
        // 事件 02 宣传广告 (advertising)
        category("E0201", "非法小广告", .event, .grid, day, autoDispatch: true),
        // 事件 03 施工管理 (construction)
        category("E0303", "施工扰民", .event, .street, 3 * day),
        // 事件 04 突发事件 (emergencies), often from sensors
        category("E0405", "道路积水", .event, .community, 2 * hour),
        // 事件 05 街面秩序 (street order)
        category("E0502", "占道经营", .event, .grid, day),
        category("E0503", "无照经营游商", .event, .community, 3 * day),
        // 事件 07 基层治理 (community governance)
        category("E0701", "邻里纠纷", .event, .community, 3 * day),
        category("E0702", "独居老人帮扶", .event, .grid, day, autoDispatch: true),
        category("E0703", "违法建设", .event, .street, 7 * day),
        category("E0704", "老旧小区改造纠纷", .event, .joint, 15 * day),
        category("E0705", "历史遗留产权纠纷", .event, .joint, 15 * day),
    ]

    private static func category(
        _ code: String,
        _ name: String,
        _ type: Gongzhi_Grid_V1_CategoryType,
        _ tier: Gongzhi_Grid_V1_Tier,
        _ deadlineMinutes: UInt32,
        autoDispatch: Bool = false
    ) -> Gongzhi_Grid_V1_Category {
        var category = Gongzhi_Grid_V1_Category()
        category.code = code
        category.name = name
        category.type = type
        category.tier = tier
        category.deadlineMinutes = deadlineMinutes
        category.autoDispatch = autoDispatch
        return category
    }
}
