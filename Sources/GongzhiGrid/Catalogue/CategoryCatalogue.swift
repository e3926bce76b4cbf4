import GongzhiGridSchemas
import GongzhiSchemas

/// The categories of matters a case can be about (部件 parts and 事件 events), with each one's tier, deadline
/// and auto-dispatch, and the rules that go with them: the duplicate radius and window, and the deadline a
/// case gets when it arrives at a tier by escalation.
public struct CategoryCatalogue: Sendable {
    /// The categories, sorted by code; codes are unique.
    public var categories: [Gongzhi_Grid_V1_Category] {
        didSet { reindex() }
    }
    /// A report within this many metres of an open case of the same category is a duplicate of it.
    public var duplicateRadiusMeters: Double
    /// …when that case was reported at most this many minutes before.
    public var duplicateWindowMinutes: UInt32
    /// The deadline, in minutes from the escalation, that a case gets when it arrives at a tier by escalation.
    /// A tier missing here gets `defaultEscalationDeadlineMinutes`' value.
    public var escalationDeadlineMinutes: [Gongzhi_Grid_V1_Tier: UInt32]

    private var index: [String: Int] = [:]

    /// The default duplicate radius: 50 m.
    public static let defaultDuplicateRadiusMeters: Double = 50
    /// The default duplicate window: 24 h.
    public static let defaultDuplicateWindowMinutes: UInt32 = 1_440
    /// The default escalation deadlines: 48 h at the community, 5 days at the street, 10 days jointly — the
    /// time each level is given once the level below missed its deadline, a little less than a matter that
    /// starts there gets (72 h, 7 and 15 days).
    public static let defaultEscalationDeadlineMinutes: [Gongzhi_Grid_V1_Tier: UInt32] = [
        .grid: 1_440, .community: 2_880, .street: 7_200, .joint: 14_400,
    ]
    /// The deadline of a dispatch when the case's category has gone from the catalogue: 72 h.
    public static let fallbackDeadlineMinutes: UInt32 = 4_320

    /// A catalogue of `categories` (sorted here by code; a later duplicate code replaces an earlier one).
    public init(
        categories: [Gongzhi_Grid_V1_Category],
        duplicateRadiusMeters: Double = CategoryCatalogue.defaultDuplicateRadiusMeters,
        duplicateWindowMinutes: UInt32 = CategoryCatalogue.defaultDuplicateWindowMinutes,
        escalationDeadlineMinutes: [Gongzhi_Grid_V1_Tier: UInt32] = CategoryCatalogue.defaultEscalationDeadlineMinutes
    ) {
        self.categories = categories
        self.duplicateRadiusMeters = duplicateRadiusMeters
        self.duplicateWindowMinutes = duplicateWindowMinutes
        self.escalationDeadlineMinutes = escalationDeadlineMinutes
        reindex()
    }

    private mutating func reindex() {
        var byCode: [String: Gongzhi_Grid_V1_Category] = [:]
        for category in categories {
            byCode[category.code] = category
        }
        let sorted = byCode.values.sorted { $0.code < $1.code }
        if sorted != categories {
            categories = sorted  // does not call didSet again
        }
        index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1.code, $0) })
    }

    /// The category with `code`, or nil.
    public func category(_ code: String) -> Gongzhi_Grid_V1_Category? {
        index[code].map { categories[$0] }
    }

    /// The deadline in minutes a case gets when it arrives at `tier` by escalation.
    public func escalationDeadline(for tier: Gongzhi_Grid_V1_Tier) -> UInt32 {
        escalationDeadlineMinutes[tier] ?? CategoryCatalogue.defaultEscalationDeadlineMinutes[tier]
            ?? CategoryCatalogue.fallbackDeadlineMinutes
    }

    /// The catalogue as `ListCategories` answers it.
    public var listCategoriesResponse: Gongzhi_Grid_V1_ListCategoriesResponse {
        var response = Gongzhi_Grid_V1_ListCategoriesResponse()
        response.categories = categories
        response.duplicateRadiusM = duplicateRadiusMeters
        response.duplicateWindowMinutes = duplicateWindowMinutes
        return response
    }

    /// What to say of a code the catalogue does not have: "unknown category "X"; known codes include E0101
    /// (暴露垃圾), … (ListCategories lists all 21)", naming the codes nearest to it.
    public func unknownCategoryMessage(_ code: String) -> String {
        let shown = nearestCodes(to: code, count: 5).map { "\($0.code) (\($0.name))" }
        if shown.isEmpty {
            return "unknown category \"\(code)\"; the catalogue has no categories"
        }
        return "unknown category \"\(code)\"; known codes include \(shown.joined(separator: ", ")) "
            + "(ListCategories lists all \(categories.count))"
    }

    /// Up to `count` categories whose codes share the longest prefix with `code`, in code order.
    private func nearestCodes(to code: String, count: Int) -> [Gongzhi_Grid_V1_Category] {
        func sharedPrefix(_ a: String) -> Int {
            zip(a.uppercased(), code.uppercased()).prefix { $0 == $1 }.count
        }
        let ranked = categories.enumerated().sorted {
            let (left, right) = (sharedPrefix($0.element.code), sharedPrefix($1.element.code))
            return left != right ? left > right : $0.offset < $1.offset
        }
        return ranked.prefix(count).sorted { $0.offset < $1.offset }.map(\.element)
    }
}
