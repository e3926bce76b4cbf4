import GongzhiMediationSchemas
import GongzhiRPC
import XCTest

@testable import gongzhi_mediation

/// The plugin's environment: defaults, each variable, and bad values named.
final class MediationSettingsTests: XCTestCase {
    func parse(_ variables: [String: String]) throws(RPCError) -> MediationSettings {
        try MediationSettings.parse { variables[$0] }
    }

    func testWithoutVariablesTheDefaultsHold() throws {
        let settings = try parse([:])
        XCTAssertEqual("\(settings.clock)", "system")
        XCTAssertEqual(settings.alertInterval, .seconds(60))
        XCTAssertEqual(settings.disputeCategories, ["E0701", "E0704", "E0705"])
        XCTAssertNil(settings.committeeName)
        var dispute = Gongzhi_Mediation_V1_Dispute()
        dispute.communityCode = "330106001001"
        XCTAssertEqual(settings.committee(of: dispute), "330106001001人民调解委员会")
    }

    func testEachVariableIsTaken() throws {
        let settings = try parse([
            "MEDIATION_CLOCK_FILE": "/tmp/now",
            "MEDIATION_ALERT_INTERVAL_MS": "10",
            "MEDIATION_DISPUTE_CATEGORIES": " E0701, E0999 ,E0701",
            "MEDIATION_COMMITTEE_NAME": "翠苑一区人民调解委员会",
        ])
        XCTAssertEqual("\(settings.clock)", "file /tmp/now")
        XCTAssertEqual(settings.alertInterval, .milliseconds(10))
        XCTAssertEqual(settings.disputeCategories, ["E0701", "E0999"], "trimmed, each once, in order")
        XCTAssertEqual(settings.committee(of: Gongzhi_Mediation_V1_Dispute()), "翠苑一区人民调解委员会")
    }

    func testEmptyVariablesMeanTheDefaults() throws {
        let settings = try parse(["MEDIATION_ALERT_INTERVAL_MS": "", "MEDIATION_DISPUTE_CATEGORIES": " "])
        XCTAssertEqual(settings.alertInterval, .seconds(60))
        XCTAssertEqual(settings.disputeCategories, ["E0701", "E0704", "E0705"])
    }

    func testABadValueIsRefusedNamingItsVariable() {
        let bad: [(String, String)] = [
            ("MEDIATION_ALERT_INTERVAL_MS", "9"),
            ("MEDIATION_ALERT_INTERVAL_MS", "1m"),
            ("MEDIATION_ALERT_INTERVAL_MS", "-100"),
            ("MEDIATION_DISPUTE_CATEGORIES", "E0701,,E0704"),
            ("MEDIATION_DISPUTE_CATEGORIES", "E07 01"),
            ("MEDIATION_DISPUTE_CATEGORIES", "邻里"),
            ("MEDIATION_COMMITTEE_NAME", String(repeating: "调", count: 101)),
        ]
        for (variable, value) in bad {
            do {
                _ = try parse([variable: value])
                XCTFail("\(variable)=\(value) was taken")
            } catch {
                XCTAssertEqual(error.code, .invalidArgument)
                XCTAssertTrue(error.message.hasPrefix(variable), error.message)
            }
        }
    }
}
