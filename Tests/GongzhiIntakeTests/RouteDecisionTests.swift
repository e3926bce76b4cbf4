import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiSensorsSchemas
import XCTest

final class RouteDecisionTests: XCTestCase {
    private func mapping(gridSource: Gongzhi_Grid_V1_Source = .hotline) throws -> SourceMapping {
        try SourceMapping.parse(
            """
            {"source": "s", "grid_source": "\(gridSource == .online ? "online" : "hotline")",
             "fields": {"category": "c"},
             "categories": {
               "道路积水": {"type": "complaint", "category": "E0405"},
               "占道经营": {"type": "report", "category": "A0101"},
               "井盖缺失": {"type": "report", "category": "P0103", "department": "D-named"},
               "政策咨询": {"type": "consultation"},
               "生活求助": {"type": "help"},
               "意见建议": {"type": "suggestion"}
             }}
            """
        )
    }

    private func ticket(_ category: String) -> Ticket {
        var ticket = Ticket()
        ticket.sourceCategory = category
        return ticket
    }

    private let grid = "330106001001001"

    func testComplaintsAndReportsBecomeGridReportsWithTheSourcesOrigin() throws {
        let rules = RoutingRules()
        XCTAssertEqual(
            rules.decide(ticket: ticket("道路积水"), mapping: try mapping(), gridCode: grid),
            .gridReport(source: .hotline, categoryCode: "E0405", departmentID: "")
        )
        XCTAssertEqual(
            rules.decide(ticket: ticket("占道经营"), mapping: try mapping(gridSource: .online), gridCode: grid),
            .gridReport(source: .online, categoryCode: "A0101", departmentID: "")
        )
    }

    func testACategoryWithAResponsibleDepartmentIsDispatchedToIt() throws {
        let rules = RoutingRules(departmentsByCategory: ["E0405": "D-drainage", "P0103": "D-other"])
        XCTAssertEqual(
            rules.decide(ticket: ticket("道路积水"), mapping: try mapping(), gridCode: grid),
            .gridReport(source: .hotline, categoryCode: "E0405", departmentID: "D-drainage")
        )
        XCTAssertEqual(
            rules.decide(ticket: ticket("井盖缺失"), mapping: try mapping(), gridCode: grid),
            .gridReport(source: .hotline, categoryCode: "P0103", departmentID: "D-named"),
            "the mapping's own department comes first"
        )
    }

    func testConsultationsHelpAndSuggestionsBecomeItemsWithOrWithoutALocation() throws {
        let rules = RoutingRules()
        XCTAssertEqual(
            rules.decide(ticket: ticket("政策咨询"), mapping: try mapping(), gridCode: nil),
            .item(.consultation)
        )
        XCTAssertEqual(rules.decide(ticket: ticket("生活求助"), mapping: try mapping(), gridCode: grid), .item(.help))
        XCTAssertEqual(rules.decide(ticket: ticket("意见建议"), mapping: try mapping(), gridCode: nil), .item(.suggestion))
    }

    func testWhatNoRuleRoutesWaitsForAPerson() throws {
        let rules = RoutingRules()
        let unmapped = rules.decide(ticket: ticket("噪音扰民"), mapping: try mapping(), gridCode: grid)
        XCTAssertEqual(unmapped, .waitingForPerson(.unmappedCategory("噪音扰民")))
        XCTAssertEqual(
            rules.decide(ticket: ticket("道路积水"), mapping: try mapping(), gridCode: nil),
            .waitingForPerson(.unlocated)
        )
        XCTAssertEqual(
            rules.decide(ticket: ticket("道路积水"), mapping: try mapping(), gridCode: ""),
            .waitingForPerson(.unlocated)
        )
        XCTAssertEqual(WaitingReason.unlocated.description, "no grid was found for its location")
    }

    func testACriticalAlertIsAReportWithSourceSensor() {
        let rules = RoutingRules(
            departmentsByCategory: ["P0103": "D-water"],
            alertCategories: ["water_level": "E0405", "manhole_tilt": "P0103"]
        )
        XCTAssertEqual(
            rules.decideReport(forAlertOfKind: "water_level", gridCode: grid),
            .gridReport(source: .sensor, categoryCode: "E0405", departmentID: "")
        )
        XCTAssertEqual(
            rules.decideReport(forAlertOfKind: "manhole_tilt", gridCode: grid),
            .gridReport(source: .sensor, categoryCode: "P0103", departmentID: "D-water")
        )
        XCTAssertEqual(
            rules.decideReport(forAlertOfKind: "noise", gridCode: grid),
            .waitingForPerson(.unmappedSensorKind("noise"))
        )
        XCTAssertEqual(rules.decideReport(forAlertOfKind: "water_level", gridCode: nil), .waitingForPerson(.unlocated))
    }
}
