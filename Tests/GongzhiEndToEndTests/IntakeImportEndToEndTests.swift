import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import XCTest

/// A department's CSV export through the real `gongzhictl intake import` into the running plugin, and what the
/// desk does with the items it made (``IntakeWorld``).
final class IntakeImportEndToEndTests: XCTestCase {
    /// The export of 城管: seven records under the header, with and without coordinates, a row repeated, a
    /// description over two lines, a row with two fields and a category the mapping does not know.
    static func export() -> String {
        let first = GridEndToEndTests.point(inGrid: 0)
        let second = GridEndToEndTests.point(inGrid: 1)
        let stall = GridEndToEndTests.point(inGrid: 0, dx: 0.2, dy: 0.7)
        return """
            工单编号,问题类型,问题描述,纬度,经度,地址
            CG-001,道路积水,学院路口积水约二十厘米,\(first.latitude),\(first.longitude),学院路 12 号
            CG-002,道路积水,文一路积水（无坐标）,,,文一路
            CG-003,政策咨询,咨询老旧小区加装电梯的补贴政策,,,
            CG-001,道路积水,学院路口积水约二十厘米,\(first.latitude),\(first.longitude),学院路 12 号
            CG-004,道路积水,"第一行：地下通道积水
            第二行：车辆无法通行",\(second.latitude),\(second.longitude),"地下通道, 南口"
            CG-005,道路积水
            CG-006,占道经营,夜市摊位占用人行道,\(stall.latitude),\(stall.longitude),夜市

            """
    }

    func testACSVExportThroughTheCLIBalancesAndCountsNothingTwice() async throws {
        let world = try await IntakeWorld.start(self)
        let file = world.files.file("城管导出.csv")
        try Self.export().write(toFile: file, atomically: true, encoding: .utf8)

        let imported = try world.ctl(["intake", "import", file, "--source", "urban-management"])
        XCTAssertEqual(imported.status, 0, imported.errors)
        XCTAssertTrue(
            imported.output.contains(
                "城管导出.csv: received 7 = accepted 5 + duplicates 1 + dead-lettered 1 + in flight 0"
            ),
            imported.output
        )
        XCTAssertTrue(imported.output.contains("dead-letters list --source urban-management"), imported.output)

        var counters = try await world.settled("urban-management")
        XCTAssertEqual(counters.received, 7)
        XCTAssertEqual(counters.accepted, 5)
        XCTAssertEqual(counters.duplicates, 1, "CG-001 a second time")
        XCTAssertEqual(counters.deadLettered, 1, "CG-005 with two fields")
        XCTAssertEqual(counters.reports, 2, "CG-001 and CG-004 became grid reports")
        XCTAssertEqual(counters.items, 1, "CG-003, a consultation")
        XCTAssertEqual(counters.waitingForPerson, 2, "CG-002 without a point, CG-006 of an unmapped category")

        let items = try await world.items("urban-management")
        let byNumber = Dictionary(items.map { ($0.externalID, $0) }) { first, _ in first }
        XCTAssertEqual(items.count, 5, "\(items.map(\.externalID))")
        XCTAssertEqual(Set(byNumber.keys), ["CG-001", "CG-002", "CG-003", "CG-004", "CG-006"])
        let located = try XCTUnwrap(byNumber["CG-001"])
        XCTAssertEqual(located.state, .inCase)
        XCTAssertEqual(located.gridCode, IntakeWorld.grid)
        XCTAssertEqual(located.categoryCode, "E0405")
        let multiLine = try XCTUnwrap(byNumber["CG-004"])
        XCTAssertEqual(multiLine.description_p, "第一行：地下通道积水\n第二行：车辆无法通行")
        XCTAssertEqual(multiLine.address, "地下通道, 南口")
        XCTAssertEqual(multiLine.gridCode, IntakeWorld.otherGrid)
        XCTAssertEqual(multiLine.state, .inCase)
        let unlocated = try XCTUnwrap(byNumber["CG-002"])
        XCTAssertEqual(unlocated.state, .waiting)
        XCTAssertEqual(unlocated.gridCode, "")
        XCTAssertEqual(byNumber["CG-003"]?.state, .open)
        XCTAssertEqual(byNumber["CG-003"]?.type, .consultation)
        XCTAssertEqual(byNumber["CG-006"]?.state, .waiting)
        XCTAssertEqual(byNumber["CG-006"]?.serviceCode, "占道经营")
        XCTAssertEqual(byNumber["CG-006"]?.gridCode, IntakeWorld.grid)

        let letters = try await world.deadLetters("urban-management")
        XCTAssertEqual(letters.count, 1)
        XCTAssertEqual(letters.first?.stage, .decode)
        XCTAssertEqual(letters.first?.reasonCode, "csv.fields")
        XCTAssertEqual(letters.first?.origin, "城管导出.csv:8", "CG-004 spans lines 6 and 7")
        XCTAssertEqual(letters.first?.state, .open)

        var cases = try await world.cases()
        XCTAssertEqual(cases.count, 2, "\(cases.map(\.description_p))")
        XCTAssertEqual(Set(cases.map(\.id)), [located.caseID, multiLine.caseID])

        // The same file again is the same import: nothing is counted or made twice.
        let again = try world.ctl(["intake", "import", file, "--source", "urban-management"])
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(
            again.output.contains("城管导出.csv: received 7 = accepted 5 + duplicates 1 + dead-lettered 1 + in flight 0"),
            again.output
        )
        counters = try await world.settled("urban-management")
        XCTAssertEqual(counters.received, 7)
        XCTAssertEqual(counters.accepted, 5)
        let itemCount = try await world.items("urban-management").count
        XCTAssertEqual(itemCount, 5)
        let letterCount = try await world.deadLetters("urban-management").count
        XCTAssertEqual(letterCount, 1)
        let caseCount = try await world.cases().count
        XCTAssertEqual(caseCount, 2)

        // The consultation is answered and closed; the waiting item is routed by a person into a grid case.
        var answer = Gongzhi_Intake_V1_AnswerItemRequest()
        answer.id = try XCTUnwrap(byNumber["CG-003"]?.id)
        answer.answer = "符合条件的小区可向街道申请加装电梯补贴，详见区住建局公告。"
        answer.close = true
        let answered = try await world.intake.answerItem(answer)
        XCTAssertEqual(answered.state, .closed)
        XCTAssertEqual(answered.answer, answer.answer)
        XCTAssertGreaterThan(answered.closedAtMs, 0)
        XCTAssertEqual(answered.history.last?.action, "answered and closed", "\(answered.history)")

        var route = Gongzhi_Intake_V1_RouteItemRequest()
        route.id = try XCTUnwrap(byNumber["CG-006"]?.id)
        route.categoryCode = "E0502"
        route.note = "占道经营，转网格处理"
        let routed = try await world.intake.routeItem(route)
        XCTAssertEqual(routed.state, .inCase)
        XCTAssertEqual(routed.categoryCode, "E0502")
        XCTAssertFalse(routed.caseID.isEmpty)
        cases = try await world.cases()
        XCTAssertEqual(cases.count, 3)
        let stallCase = try XCTUnwrap(cases.first { $0.id == routed.caseID })
        XCTAssertEqual(stallCase.categoryCode, "E0502")
        XCTAssertEqual(stallCase.gridCode, IntakeWorld.grid)

        // An unlocated item cannot become a grid case: the desk says what to do instead.
        route.id = unlocated.id
        await assertRPCError(.failedPrecondition) { try await world.intake.routeItem(route) }
        counters = try await world.settled("urban-management")
        XCTAssertEqual(counters.received, 7)
        XCTAssertEqual(counters.accepted, 5, "answering and routing are not inputs")
    }
}
