import Foundation
import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import XCTest

final class SourceMappingTests: XCTestCase {
    static let hotline = """
        {
          "source": "hotline-12345",
          "grid_source": "hotline",
          "datum": "gcj02",
          "dedupe_window_minutes": 30,
          "fields": {
            "external_id": "工单编号",
            "category": "诉求分类",
            "description": "诉求内容",
            "latitude": "纬度",
            "longitude": "经度",
            "address": "地址",
            "reporter_phone": "联系电话"
          },
          "categories": {
            "道路积水": {"type": "complaint", "category": "E0405"},
            "井盖缺失": {"type": "report", "category": "P0103", "department": "D-water"},
            "政策咨询": {"type": "consultation"},
            "生活求助": {"type": "help"},
            "意见建议": {"type": "suggestion"}
          }
        }
        """

    func testAMappingFileIsRead() throws {
        let mapping = try SourceMapping.parse(Self.hotline)
        XCTAssertEqual(mapping.source, "hotline-12345")
        XCTAssertEqual(mapping.gridSource, .hotline)
        XCTAssertEqual(mapping.datum, .gcj02)
        XCTAssertEqual(mapping.dedupeWindowMs, 30 * 60_000)
        XCTAssertEqual(mapping.fields.externalID, "工单编号")
        XCTAssertEqual(mapping.fields.category, "诉求分类")
        XCTAssertEqual(mapping.fields.latitude, "纬度")
        XCTAssertEqual(mapping.fields.reporterPhone, "联系电话")
        XCTAssertNil(mapping.fields.reporterName)
        XCTAssertEqual(mapping.route(forCategory: "道路积水"), SourceMapping.Route(type: .complaint, categoryCode: "E0405"))
        XCTAssertEqual(
            mapping.route(forCategory: " 井盖缺失 "),
            SourceMapping.Route(type: .report, categoryCode: "P0103", departmentID: "D-water")
        )
        XCTAssertEqual(mapping.route(forCategory: "政策咨询")?.type, .consultation)
        XCTAssertEqual(mapping.route(forCategory: "生活求助")?.type, .help)
        XCTAssertEqual(mapping.route(forCategory: "意见建议")?.type, .suggestion)
        XCTAssertNil(mapping.route(forCategory: "噪音扰民"))
    }

    func testDefaultsAreWGS84AndATenMinuteWindow() throws {
        let mapping = try SourceMapping.parse(
            #"{"source":"app","grid_source":"online","fields":{"category":"c"},"categories":{"x":{"type":"help"}}}"#
        )
        XCTAssertEqual(mapping.datum, .wgs84)
        XCTAssertEqual(mapping.dedupeWindowMs, 600_000)
        XCTAssertEqual(mapping.gridSource, .online)
    }

    private func refusal(_ text: String) -> InputError? {
        do {
            _ = try SourceMapping.parse(text)
            return nil
        } catch {
            return error
        }
    }

    func testAMisspeltMemberIsNamedWithItsLine() {
        let text = Self.hotline.replacingOccurrences(of: "\"description\": \"诉求内容\"", with: "\"descripton\": \"诉求内容\"")
        let error = refusal(text)
        XCTAssertEqual(error?.code, "mapping.invalid")
        XCTAssertEqual(error?.line, 9)
        XCTAssertEqual(error?.column, 5)
        XCTAssertTrue(error?.message.contains("\"descripton\"") ?? false, "\(String(describing: error))")
    }

    func testAComplaintWithoutACatalogueCodeIsRefusedAtItsLine() {
        let text = Self.hotline.replacingOccurrences(
            of: #""道路积水": {"type": "complaint", "category": "E0405"}"#,
            with: #""道路积水": {"type": "complaint"}"#
        )
        let error = refusal(text)
        XCTAssertEqual(error?.line, 16)
        XCTAssertEqual(
            error?.message,
            "the category \"道路积水\" is a complaint and becomes a grid report: give its catalogue \"category\""
        )
    }

    func testAnUnknownTypeABadCodeAndAnUnknownGridSourceAreRefused() {
        XCTAssertEqual(
            refusal(Self.hotline.replacingOccurrences(of: "\"type\": \"help\"", with: "\"type\": \"praise\""))?.line,
            19
        )
        let badCode = refusal(Self.hotline.replacingOccurrences(of: "\"E0405\"", with: "\"e405\""))
        XCTAssertEqual(badCode?.line, 16)
        XCTAssertEqual(badCode?.column, 47)
        XCTAssertTrue(badCode?.message.contains("like E0405") ?? false)
        let gridSource = refusal(Self.hotline.replacingOccurrences(of: "\"hotline\",", with: "\"phone\","))
        XCTAssertEqual(gridSource?.line, 3)
        XCTAssertEqual(gridSource?.column, 18)
    }

    func testLatitudeWithoutLongitudeAndMissingPartsAreRefused() {
        XCTAssertEqual(
            refusal(Self.hotline.replacingOccurrences(of: "\"longitude\": \"经度\",", with: ""))?.message,
            "\"fields\" names \"latitude\" without \"longitude\"; name both or neither"
        )
        XCTAssertEqual(
            refusal(#"{"source":"a","grid_source":"online","fields":{"category":"c"},"categories":{}}"#)?.message,
            "\"categories\" maps no category; add at least one"
        )
        XCTAssertEqual(
            refusal(#"{"grid_source":"online","fields":{"category":"c"},"categories":{"x":{"type":"help"}}}"#)?
                .message,
            "the mapping needs the member \"source\""
        )
        XCTAssertEqual(
            refusal(#"{"source":7,"grid_source":"online","fields":{"category":"c"},"categories":{}}"#)?.description,
            "line 1, column 11: \"source\" must be a string, not a number"
        )
        XCTAssertEqual(
            refusal(Self.hotline.replacingOccurrences(of: "30,", with: "-1,"))?.line,
            5
        )
    }

    func testAFileThatIsNotJSONSaysWhere() {
        let error = refusal("{\n  \"source\": \"a\",\n  \"fields\" {}\n}")
        XCTAssertEqual(error?.code, "json.syntax")
        XCTAssertEqual(error?.description, "line 3, column 12: expected ':' after the member name, found '{'")
    }

    func testARecordBecomesATicket() throws {
        let mapping = try SourceMapping.parse(Self.hotline)
        let ticket = try mapping.ticket(
            from: [
                "工单编号": "GD2026120700012", "诉求分类": "道路积水", "诉求内容": "  下穿隧道积水  ", "纬度": "30.2741",
                "经度": "120.1551", "联系电话": "13800000000", "无关": "x",
            ],
            line: 4
        )
        XCTAssertEqual(ticket.externalID, "GD2026120700012")
        XCTAssertEqual(ticket.sourceCategory, "道路积水")
        XCTAssertEqual(ticket.description, "下穿隧道积水")
        XCTAssertEqual(ticket.coordinate, Coordinate(latitude: 30.2741, longitude: 120.1551))
        XCTAssertEqual(ticket.reporterPhone, "13800000000")
        XCTAssertEqual(ticket.address, "")
    }

    func testARecordsFaultsAreNamedWithItsLine() throws {
        let mapping = try SourceMapping.parse(Self.hotline)
        func refusal(_ record: [String: String]) -> InputError? {
            do {
                _ = try mapping.ticket(from: record, line: 12)
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(refusal(["诉求分类": " "])?.code, "field.missing")
        XCTAssertEqual(refusal(["诉求分类": "道路积水", "纬度": "30.2"])?.code, "field.missing")
        XCTAssertEqual(refusal(["诉求分类": "道路积水", "纬度": "北纬30", "经度": "120"])?.code, "field.type")
        XCTAssertEqual(refusal(["诉求分类": "道路积水", "纬度": "95", "经度": "120"])?.code, "value.implausible")
        let long = refusal(["诉求分类": "道路积水", "诉求内容": String(repeating: "水", count: 4_001)])
        XCTAssertEqual(long?.code, "field.too_long")
        XCTAssertEqual(long?.line, 12)
        XCTAssertNil(refusal(["诉求分类": "道路积水", "诉求内容": String(repeating: "水", count: 4_000)]))
    }
}
