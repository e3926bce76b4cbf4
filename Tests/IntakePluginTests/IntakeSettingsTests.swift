import Foundation
import GongzhiIntake
import GongzhiRPC
import GongzhiTestSupport
import XCTest

@testable import gongzhi_intake

/// The plugin's environment and files: what starts it, and how a bad setting stops the start with a message
/// naming the variable, or the file, line and column.
final class IntakeSettingsTests: XCTestCase {
    static let mapping = """
        {"source": "hotline-12345", "grid_source": "hotline",
         "fields": {"category": "service_code", "description": "description", "latitude": "lat", "longitude": "long",
                    "external_id": "external_id"},
         "categories": {"E0405": {"type": "complaint", "category": "E0405"}, "Q01": {"type": "consultation"}}}
        """

    static let sources = """
        {"jurisdiction_id": "330199",
         "sources": [
           {"name": "hotline-12345", "kind": "open311", "mapping": "hotline.mapping.json",
            "services": [{"code": "E0405", "name": "道路积水"}, {"code": "Q01", "name": "政策咨询"}]}]}
        """

    private func folder(mapping: String = mapping, sources: String = sources) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "gzintakesettings")
        try sources.write(toFile: directory.file("sources.json"), atomically: true, encoding: .utf8)
        try mapping.write(toFile: directory.file("hotline.mapping.json"), atomically: true, encoding: .utf8)
        return directory
    }

    private func refusal(_ variables: [String: String]) -> String {
        do {
            _ = try IntakeSettings.parse { variables[$0] }
            return ""
        } catch {
            return error.message
        }
    }

    func testTheSourcesFileAndItsMappingsAreRead() throws {
        let directory = try folder()
        let settings = try IntakeSettings.parse {
            [
                "INTAKE_SOURCES": directory.file("sources.json"), "INTAKE_HTTP_ADDRESS": "127.0.0.1:0",
                "INTAKE_READINGS_RETENTION_DAYS": "30",
            ][$0]
        }
        XCTAssertEqual(settings.sources.jurisdictionID, "330199")
        XCTAssertEqual(settings.mappings["hotline-12345"]?.gridSource, .hotline)
        XCTAssertEqual(settings.httpAddress, HTTPAddress(host: "127.0.0.1", port: 0))
        XCTAssertEqual(settings.retentionDays, 30)
        XCTAssertEqual(settings.realtimeWaitMs, 2_000)
        XCTAssertEqual(settings.moduleGraceMs, 30_000)
        let quick = try IntakeSettings.parse {
            ["INTAKE_SOURCES": directory.file("sources.json"), "INTAKE_MODULE_GRACE_MS": "500"][$0]
        }
        XCTAssertEqual(quick.moduleGraceMs, 500)
    }

    func testABadSettingNamesWhatToFix() throws {
        XCTAssertTrue(refusal([:]).contains("INTAKE_SOURCES is not set"))
        XCTAssertTrue(refusal(["INTAKE_SOURCES": "/nonexistent/sources.json"]).contains("cannot be read"))
        let directory = try folder()
        let path = directory.file("sources.json")
        XCTAssertTrue(
            refusal(["INTAKE_SOURCES": path, "INTAKE_HTTP_ADDRESS": "8311"]).contains("give HOST:PORT")
        )
        XCTAssertTrue(
            refusal(["INTAKE_SOURCES": path, "INTAKE_READINGS_RETENTION_DAYS": "0"]).contains("from 1 to 3650")
        )
        XCTAssertTrue(
            refusal(["INTAKE_SOURCES": path, "INTAKE_MODULE_GRACE_MS": "soon"]).contains("from 0 to 3600000")
        )

        let misspelt = try folder(
            mapping: Self.mapping.replacingOccurrences(of: "\"grid_source\"", with: "\"gridsource\"")
        )
        let message = refusal(["INTAKE_SOURCES": misspelt.file("sources.json")])
        XCTAssertTrue(message.contains("hotline.mapping.json: line 1"), message)
        XCTAssertTrue(message.contains("\"gridsource\""), message)

        let otherSource = try folder(mapping: Self.mapping.replacingOccurrences(of: "hotline-12345", with: "wechat"))
        XCTAssertTrue(
            refusal(["INTAKE_SOURCES": otherSource.file("sources.json")]).contains("is the mapping of \"wechat\"")
        )
    }
}
