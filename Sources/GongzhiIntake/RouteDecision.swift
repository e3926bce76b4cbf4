import GongzhiGridSchemas
import GongzhiIntakeSchemas

/// Where an input goes after dedupe and locating (统一受理、对口办理、归口处理).
public enum RouteDecision: Equatable, Sendable {
    /// A grid report with this source and catalogue category, in the located grid; dispatched to
    /// `departmentID` when one is responsible for the category (对口), else handled in the grid.
    case gridReport(source: Gongzhi_Grid_V1_Source, categoryCode: String, departmentID: String)
    /// A consultation, request for help or suggestion: an `IntakeItem` of its own, OPEN until answered.
    case item(Gongzhi_Intake_V1_ItemType)
    /// No rule routes it: an `IntakeItem` WAITING for a person, counted.
    case waitingForPerson(WaitingReason)
}

/// Why an input waits for a person.
public enum WaitingReason: Equatable, Sendable {
    /// The source's category is not in its mapping.
    case unmappedCategory(String)
    /// A complaint or report with no point, no resolvable address id, or the grid module not deployed.
    case unlocated
    /// A sensor alert of a kind no category is configured for.
    case unmappedSensorKind(String)

    /// For people, as the item's status shows it.
    public var description: String {
        switch self {
        case .unmappedCategory(let category):
            return "the category \"\(category)\" is not in the source's mapping"
        case .unlocated: return "no grid was found for its location"
        case .unmappedSensorKind(let kind): return "no category is configured for sensor kind \"\(kind)\""
        }
    }
}

/// The rules that route inputs: the source mappings' routes, the departments responsible for categories
/// (from `Department.categories`), and the catalogue category of each sensor kind's alerts.
public struct RoutingRules: Equatable, Sendable {
    /// Catalogue category → the department responsible for it in the place, if any.
    public var departmentsByCategory: [String: String]
    /// Sensor kind → the catalogue category its critical alerts are reported in (water_level → E0405).
    public var alertCategories: [String: String]

    public init(departmentsByCategory: [String: String] = [:], alertCategories: [String: String] = [:]) {
        self.departmentsByCategory = departmentsByCategory
        self.alertCategories = alertCategories
    }

    /// A ticket: by its source's mapping, its location (`gridCode`, nil while unlocated) and the departments.
    public func decide(ticket: Ticket, mapping: SourceMapping, gridCode: String?) -> RouteDecision {
        guard let route = mapping.route(forCategory: ticket.sourceCategory) else {
            return .waitingForPerson(.unmappedCategory(ticket.sourceCategory))
        }
        switch route.type {
        case .complaint, .report:
            guard let gridCode, !gridCode.isEmpty else { return .waitingForPerson(.unlocated) }
            let department =
                route.departmentID.isEmpty ? departmentsByCategory[route.categoryCode] ?? "" : route.departmentID
            return .gridReport(source: mapping.gridSource, categoryCode: route.categoryCode, departmentID: department)
        case .consultation, .help, .suggestion:
            return .item(route.type)
        case .unspecified, .UNRECOGNIZED:
            return .waitingForPerson(.unmappedCategory(ticket.sourceCategory))
        }
    }

    /// A critical alert the coalescer says to file: a grid report with source SENSOR in the device's grid, in
    /// its kind's category, dispatched to the category's department when there is one.
    public func decideReport(forAlertOfKind kind: String, gridCode: String?) -> RouteDecision {
        guard let category = alertCategories[kind] else { return .waitingForPerson(.unmappedSensorKind(kind)) }
        guard let gridCode, !gridCode.isEmpty else { return .waitingForPerson(.unlocated) }
        return .gridReport(
            source: .sensor,
            categoryCode: category,
            departmentID: departmentsByCategory[category] ?? ""
        )
    }
}
