import GongzhiSchemas

/// The roles of community work the host defines: created at start, never changed by hand (a district copies
/// one under another name to change it). Rules name modules' services that may not be deployed; they apply
/// once the module is there.
package enum BuiltInRoles {
    private static let grid = "gongzhi.grid.v1.GridService"
    private static let points = "gongzhi.points.v1.Points"
    private static let mediation = "gongzhi.mediation.v1.Mediation"
    /// What those who follow disputes without taking part in them call: summaries without personal data.
    private static let mediationSummaries = ["GetSummary", "ListSummaries"]
    /// What every role of the points module reads: ledgers, rules, accounts and their history, the honour roll.
    private static let pointsReads = ["ListLedgers", "ListRules", "GetAccount", "History", "HonourRoll", "Status"]
    private static let reads = ["get", "list", "watch"]
    /// The core kinds people in a community write: residents, households, buildings and organisations.
    private static let communityKinds = ["Resident", "Household", "Building", "Organization", "Partner"]

    package static let all: [Gongzhi_Core_V1_Role] = [
        role(
            "grid-worker",
            "网格员",
            "Walks one grid: reports and handles its cases, visits its residents.",
            personalData: true,
            rules: [
                rule(methods: [
                    "Locate", "Report", "Start", "Handle", "GetCase", "ListCases", "Stats", "ListCategories",
                ]),
                rule(mediation: mediationSummaries),
                rule(
                    kinds: [
                        "Case", "Resident", "Household", "Building", "Grid", "Organization", "Partner", "Region",
                        "Department",
                    ],
                    verbs: reads
                ),
                rule(kinds: ["Resident", "Household"], verbs: ["update"]),
            ]
        ),
        role(
            "community-staff",
            "社区工作者",
            "Works for a residents' committee: every step of a case, and the community's records.",
            personalData: true,
            rules: [
                rule(methods: ["*"]),
                rule(mediation: mediationSummaries + ["Stats", "Due", "HandOff"]),
                rule(
                    points: pointsReads + [
                        "ListAccounts", "CreateAccounts", "SetAccountClosed", "Credit", "Correct", "RecordService",
                        "ConfirmService", "RejectService", "ListServiceRecords", "PutVenue", "PutGood", "Catalogue",
                        "Redeem", "ConfirmRedemption", "CancelRedemption", "ListRedemptions", "Expiring", "Report",
                        "Export",
                    ]
                ),
                rule(kinds: ["*"], verbs: reads),
                rule(kinds: communityKinds, verbs: ["create", "update"]),
            ]
        ),
        role(
            "dispatcher",
            "调度员",
            "Registers, dispatches, verifies and closes cases.",
            personalData: true,
            rules: [
                rule(methods: ["*"]),
                rule(mediation: mediationSummaries + ["Stats", "Due", "HandOff"]),
                rule(kinds: ["*"], verbs: reads),
            ]
        ),
        role(
            "call-taker",
            "受理员",
            "Takes reports from the hotline and the counter, registers or rejects them, closes them once verified, "
                + "and takes residents' evaluations.",
            personalData: true,
            rules: [
                rule(methods: [
                    "Locate", "Report", "Register", "Reject", "Close", "Evaluate", "GetCase", "ListCases",
                    "ListCategories",
                ]),
                rule(patterns: ["gongzhi.intake.v1.*"]),
                rule(kinds: ["Case", "Grid", "Region", "Department", "Resident"], verbs: ["get", "list"]),
            ]
        ),
        role(
            "mediator",
            "调解员",
            "Mediates disputes (人民调解) and reads the cases they come from.",
            personalData: true,
            rules: [
                rule(patterns: ["gongzhi.mediation.v1.*"]),
                rule(methods: ["GetCase", "ListCases", "ListCategories"]),
                rule(kinds: ["Case", "Resident", "Household", "Grid", "Region"], verbs: ["get", "list"]),
            ]
        ),
        role(
            "redemption-clerk",
            "积分兑换点",
            "Confirms points redemptions at a redemption point.",
            personalData: false,
            rules: [
                rule(
                    points: pointsReads + [
                        "ListAccounts", "Catalogue", "Redeem", "ConfirmRedemption", "CancelRedemption",
                        "ListRedemptions",
                    ]
                ),
                rule(kinds: ["Resident", "Grid", "Region"], verbs: ["get", "list"]),
            ]
        ),
        role(
            "team-leader",
            "团队负责人",
            "Leads a volunteer or partner team: records its members' service and confirms the service of others.",
            personalData: false,
            rules: [
                rule(
                    points: pointsReads + [
                        "ListAccounts", "RecordService", "ConfirmService", "RejectService", "ListServiceRecords",
                    ]
                ),
                rule(kinds: ["Resident", "Partner", "Grid", "Region"], verbs: ["get", "list"]),
            ]
        ),
        role(
            "resident",
            "居民",
            "A resident or volunteer using their own points: balance, history, the catalogue, redeeming, and "
                + "recording their own service. The points module keeps them to their own accounts.",
            personalData: false,
            rules: [
                rule(
                    points: pointsReads + [
                        "Catalogue", "Redeem", "CancelRedemption", "ListRedemptions", "RecordService",
                        "ListServiceRecords", "Expiring",
                    ]
                ),
                rule(kinds: ["Region", "Grid"], verbs: ["get", "list"]),
            ]
        ),
        role(
            "street-admin",
            "街道管理员",
            "Runs the work of a street: every module's calls and the street's records.",
            personalData: true,
            rules: [
                rule(patterns: [
                    "gongzhi.grid.v1.*", "gongzhi.points.v1.*", "gongzhi.mediation.v1.*", "gongzhi.intake.v1.*",
                ]),
                rule(kinds: ["*"], verbs: reads),
                rule(kinds: communityKinds, verbs: ["create", "update", "delete"]),
            ]
        ),
        role(
            "viewer",
            "只读",
            "Reads cases, statistics and records, without personal data.",
            personalData: false,
            rules: [
                rule(methods: ["GetCase", "ListCases", "Stats", "ListCategories", "Locate"]),
                rule(mediation: mediationSummaries + ["Stats"]),
                rule(kinds: ["*"], verbs: reads),
            ]
        ),
    ]

    /// The names of the built-in roles.
    package static let names: Set<String> = Set(all.map(\.name))

    private static func role(
        _ name: String,
        _ title: String,
        _ description: String,
        personalData: Bool,
        rules: [Gongzhi_Core_V1_RoleRule]
    ) -> Gongzhi_Core_V1_Role {
        var role = Gongzhi_Core_V1_Role()
        role.name = name
        role.title = title
        role.description_p = description
        role.personalData = personalData
        role.builtIn = true
        role.rules = rules
        return role
    }

    /// A rule of methods of the points service.
    private static func rule(points methods: [String]) -> Gongzhi_Core_V1_RoleRule {
        rule(patterns: methods.map { "\(points)/\($0)" })
    }

    /// A rule of methods of the mediation service.
    private static func rule(mediation methods: [String]) -> Gongzhi_Core_V1_RoleRule {
        rule(patterns: methods.map { "\(mediation)/\($0)" })
    }

    /// A rule of methods of the grid service ("*": all of them).
    private static func rule(methods: [String]) -> Gongzhi_Core_V1_RoleRule {
        rule(patterns: methods.map { "\(grid)/\($0)" })
    }

    private static func rule(patterns: [String]) -> Gongzhi_Core_V1_RoleRule {
        var rule = Gongzhi_Core_V1_RoleRule()
        rule.methods = patterns
        return rule
    }

    private static func rule(kinds: [String], verbs: [String]) -> Gongzhi_Core_V1_RoleRule {
        var rule = Gongzhi_Core_V1_RoleRule()
        rule.kinds = kinds
        rule.verbs = verbs
        return rule
    }
}
