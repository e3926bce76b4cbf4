import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

final class CategoryCatalogueTests: XCTestCase {
    func parse(_ json: String) throws(WorkflowError) -> CategoryCatalogue {
        try CategoryCatalogue.parse(json: Array(json.utf8), name: "grid-categories.json")
    }

    func refusal(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let error = workflowError({ () throws(WorkflowError) in try parse(json) }, file: file, line: line)
        XCTAssertEqual(error?.code, .invalidArgument, file: file, line: line)
        return error?.message ?? ""
    }

    func testTheStandardCatalogue() throws {
        let standard = CategoryCatalogue.standard
        XCTAssertEqual(standard.categories.count, 21)
        XCTAssertEqual(standard.categories.map(\.code), standard.categories.map(\.code).sorted())
        XCTAssertEqual(Set(standard.categories.map(\.code)).count, 21)
        XCTAssertEqual(standard.duplicateRadiusMeters, 50)
        XCTAssertEqual(standard.duplicateWindowMinutes, 1_440)
        XCTAssertEqual(standard.escalationDeadline(for: .community), 2_880)
        XCTAssertEqual(standard.escalationDeadline(for: .street), 7_200)
        XCTAssertEqual(standard.escalationDeadline(for: .joint), 14_400)
        for category in standard.categories {
            XCTAssertFalse(category.name.isEmpty)
            XCTAssertTrue([.part, .event].contains(category.type), category.code)
            XCTAssertGreaterThan(category.deadlineMinutes, 0)
            if category.autoDispatch { XCTAssertEqual(category.tier, .grid, category.code) }
        }
        XCTAssertEqual(standard.category("E0405")?.name, "道路积水")
        XCTAssertEqual(standard.category("E0405")?.deadlineMinutes, 120)
        XCTAssertEqual(standard.category("E0701")?.tier, .community)  // 邻里纠纷
        XCTAssertEqual(standard.category("E0702")?.tier, .grid)  // 独居老人帮扶
        XCTAssertEqual(standard.category("E0703")?.tier, .street)  // 违法建设
        XCTAssertEqual(standard.category("E0704")?.tier, .joint)  // 老旧小区改造纠纷
        XCTAssertEqual(standard.category("P0101")?.type, .part)  // 上水井盖
        XCTAssertNil(standard.category("P9999"))
        XCTAssertTrue(standard.categories.contains { $0.autoDispatch })
        XCTAssertTrue(Set(standard.categories.map(\.tier)).isSuperset(of: [.grid, .community, .street, .joint]))

        let listed = standard.listCategoriesResponse
        XCTAssertEqual(listed.categories, standard.categories)
        XCTAssertEqual(listed.duplicateRadiusM, 50)
        XCTAssertEqual(listed.duplicateWindowMinutes, 1_440)
    }

    func testCategoriesStaySortedAndIndexed() {
        var catalogue = CategoryCatalogue(categories: [])
        var b = Gongzhi_Grid_V1_Category()
        b.code = "B"
        var a = Gongzhi_Grid_V1_Category()
        a.code = "A"
        catalogue.categories = [b, a]
        XCTAssertEqual(catalogue.categories.map(\.code), ["A", "B"])
        XCTAssertEqual(catalogue.category("B")?.code, "B")
    }

    func testParsingACatalogue() throws {
        let catalogue = try parse(
            """
            {
              "duplicate_radius_m": 30.5,
              "duplicate_window_minutes": 720,
              "escalation_deadline_minutes": {"street": 4320},
              "categories": [
                {"code": "E0101", "name": "暴露垃圾", "type": "event", "tier": "grid",
                 "deadline_minutes": 1440, "auto_dispatch": true},
                {"code": "P0101", "name": "上水井盖\\u0020\\ud83d\\ude00", "type": "part", "tier": "community",
                 "deadline_minutes": 60}
              ]
            }
            """
        )
        XCTAssertEqual(catalogue.duplicateRadiusMeters, 30.5)
        XCTAssertEqual(catalogue.duplicateWindowMinutes, 720)
        XCTAssertEqual(catalogue.escalationDeadline(for: .street), 4_320)
        XCTAssertEqual(catalogue.escalationDeadline(for: .community), 2_880)  // the default
        XCTAssertEqual(catalogue.categories.map(\.code), ["E0101", "P0101"])
        let rubbish = try XCTUnwrap(catalogue.category("E0101"))
        XCTAssertEqual(rubbish.name, "暴露垃圾")
        XCTAssertEqual(rubbish.type, .event)
        XCTAssertEqual(rubbish.tier, .grid)
        XCTAssertEqual(rubbish.deadlineMinutes, 1_440)
        XCTAssertTrue(rubbish.autoDispatch)
        let cover = try XCTUnwrap(catalogue.category("P0101"))
        XCTAssertEqual(cover.name, "上水井盖 😀")
        XCTAssertFalse(cover.autoDispatch)
    }

    func testTheDefaultsApplyWhenOnlyCategoriesAreGiven() throws {
        let catalogue = try parse(
            #"{"categories": [{"code": "X1", "name": "x", "type": "event", "tier": "street", "deadline_minutes": 1}]}"#
        )
        XCTAssertEqual(catalogue.duplicateRadiusMeters, 50)
        XCTAssertEqual(catalogue.duplicateWindowMinutes, 1_440)
        XCTAssertEqual(catalogue.escalationDeadlineMinutes, CategoryCatalogue.defaultEscalationDeadlineMinutes)
    }

    func testErrorsNameTheFileTheLineAndTheEntry() {
        let entry = #"{"code": "E0101", "name": "暴露垃圾", "type": "event", "tier": "grid", "deadline_minutes": 1440}"#
        XCTAssertEqual(
            refusal(
                """
                {
                  "categories": [
                    \(entry),
                    {"code": "E0102", "name": "x", "type": "event",
                     "tier": "county", "deadline_minutes": 10}
                  ]
                }
                """
            ),
            "grid-categories.json:5: categories[1] (\"E0102\"): tier \"county\" is not grid, community, street or joint"
        )
        XCTAssertEqual(
            refusal("{\n\"categories\": [\n\(entry),\n\(entry)\n]}"),
            "grid-categories.json:4: categories[1] (\"E0101\"): the code E0101 is also categories[0]'s (line 3); "
                + "codes are unique"
        )
        XCTAssertEqual(
            refusal(
                #"{"categories": [{"code": "X1", "name": "x", "type": "thing", "tier": "grid", "deadline_minutes": 1}]}"#
            ),
            "grid-categories.json:1: categories[0] (\"X1\"): type \"thing\" is not part or event"
        )
        XCTAssertEqual(
            refusal(#"{"categories": [{"code": "X1", "name": "x", "type": "event", "tier": "grid"}]}"#),
            "grid-categories.json:1: categories[0] (\"X1\"): the member \"deadline_minutes\" is required"
        )
        XCTAssertEqual(
            refusal(
                #"{"categories": [{"code": "X1", "name": "x", "type": "event", "tier": "grid", "deadline_minutes": 1.5}]}"#
            ),
            "grid-categories.json:1: categories[0] (\"X1\"): deadline_minutes is 1.5; it must be a whole number of minutes"
        )
        XCTAssertEqual(
            refusal(
                #"{"categories": [{"code": "X1", "name": "x", "type": "event", "tier": "grid", "deadline_minutes": 0}]}"#
            ),
            "grid-categories.json:1: categories[0] (\"X1\"): deadline_minutes is 0; it must be within 1…525600"
        )
        XCTAssertEqual(
            refusal(
                #"{"categories": [{"code": "X1", "name": "x", "type": "event", "tier": "street", "deadline_minutes": 1, "auto_dispatch": true}]}"#
            ),
            "grid-categories.json:1: categories[0] (\"X1\"): auto_dispatch is for grid-tier categories (it goes to the "
                + "grid's worker), and this one is street"
        )
        XCTAssertEqual(
            refusal(#"{"categories": [{"code": "a b", "name": "x"}]}"#),
            "grid-categories.json:1: categories[0]: the code \"a b\" must be 1–32 letters, digits, '-' or '_'"
        )
        XCTAssertEqual(
            refusal(#"{"categories": [{"code": "X1", "nmae": "x"}]}"#),
            "grid-categories.json:1: categories[0]: unknown member \"nmae\"; the members are code, name, type, tier, "
                + "deadline_minutes, auto_dispatch"
        )
        XCTAssertEqual(
            refusal("{\"duplicate_radius_m\": 50}"),
            "grid-categories.json:1: the member \"categories\" is required: a list of categories"
        )
        XCTAssertEqual(
            refusal("{\"categories\": []}"),
            "grid-categories.json:1: categories is empty; a catalogue needs at least one category"
        )
        XCTAssertEqual(
            refusal("{\"duplicate_radius_m\": \"50\", \"categories\": []}"),
            "grid-categories.json:1: duplicate_radius_m must be a number, not a string"
        )
        XCTAssertEqual(
            refusal("{\"escalation_deadline_minutes\": {\"grid\": 10}, \"categories\": []}"),
            "grid-categories.json:1: escalation_deadline_minutes: unknown member \"grid\"; the members are community, "
                + "street, joint"
        )
        XCTAssertEqual(refusal("[]"), "grid-categories.json:1: expected an object but found an array")
    }

    func testJSONSyntaxErrorsNameTheLineAndColumn() {
        XCTAssertEqual(
            refusal("{\n  \"categories\": [\n    {\"code\": \"X1\",}\n  ]\n}"),
            "grid-categories.json:3:19: not valid JSON: expected a key in double quotes"
        )
        XCTAssertEqual(
            refusal("{\"categories\": [1, 2"),
            "grid-categories.json:1:21: not valid JSON: the text ends inside a list"
        )
        XCTAssertEqual(
            refusal(""),
            "grid-categories.json:1:1: not valid JSON: the text ends where a value should be"
        )
        XCTAssertEqual(
            refusal("{} x"),
            "grid-categories.json:1:4: not valid JSON: unexpected text after the value"
        )
        XCTAssertEqual(
            refusal("{\"a\": \"tab\there\"}"),
            "grid-categories.json:1:11: not valid JSON: a control character in a string must be escaped"
        )
        XCTAssertEqual(refusal("{\"a\": 01}"), "grid-categories.json:1:7: not valid JSON: a number cannot start with 0")
        XCTAssertEqual(
            refusal("{\"a\": tru}"),
            "grid-categories.json:1:7: not valid JSON: expected a value (an object, list, string, number, true, false or null)"
        )
        XCTAssertEqual(
            refusal(String(repeating: "[", count: 100)),
            "grid-categories.json:1:65: not valid JSON: values are nested deeper than 64 levels"
        )
    }
}
