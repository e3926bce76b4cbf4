import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import XCTest

/// Personal data in plugins' answers, through the real host and a stand-in third-party plugin (the test plugin's
/// Probe answers contact cards with phones and ID numbers marked sensitive in its schema): removed for a
/// caller without the grant, shown and audited once per answer for a caller with it, unary and streamed.
final class RoutedPersonalDataEndToEndTests: XCTestCase {
    static let personalData = "gongzhi.host.v1.PersonalData/Read"

    private func people(_ names: [String]) -> Gongzhi_Test_V1_PeopleRequest {
        var request = Gongzhi_Test_V1_PeopleRequest()
        request.names = names
        return request
    }

    private func personalDataAudits(_ host: HostUnderTest) async throws -> [Gongzhi_Host_V1_AuditEntry] {
        var request = Gongzhi_Host_V1_ListAuditRequest()
        request.limit = 1000
        return try await host.adminClient.listAudit(request).entries.filter { $0.outcome == "personal-data" }
    }

    func testAnswersAreRedactedWithoutTheGrantAndAuditedWithIt() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("thirdparty")])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("thirdparty")

        let plain = host.channel(token: try await host.issueClientToken(scopes: ["gongzhi.test.v1.Probe/*"]).token)
        let trusted = host.channel(
            token: try await host.issueClientToken(scopes: ["gongzhi.test.v1.Probe/*", Self.personalData]).token
        )
        addTeardownBlock {
            await plain.close()
            await trusted.close()
        }
        let names = ["王阿姨", "李师傅", "赵女士"]

        // Without the grant: no phone and no ID number, the rest as the plugin wrote it, and the metadata says
        // what was removed.
        let redacted = try await plain.unary(
            service: Gongzhi_Test_V1_Probe.serviceName,
            method: Gongzhi_Test_V1_Probe.Method.directory,
            request: people(names),
            responseType: Gongzhi_Test_V1_DirectoryResponse.self,
            options: CallOptions(timeout: .seconds(10))
        )
        XCTAssertEqual(redacted.message.people.map(\.name), names)
        XCTAssertEqual(redacted.message.people.map(\.phone), ["", "", ""])
        XCTAssertEqual(redacted.message.people.map(\.idNumber), ["", "", ""])
        XCTAssertEqual(redacted.message.people[1].note, "card 2 of the directory")
        XCTAssertEqual(redacted.message.community, "X社区")
        XCTAssertEqual(redacted.metadata["gongzhi-redacted-fields"], "people.id_number,people.phone")

        // Streamed: every message is redacted.
        let streamed = try await Gongzhi_Test_V1_ProbeClient(channel: plain).people(people(names)) { cards in
            var all: [Gongzhi_Test_V1_ContactCard] = []
            for try await card in cards { all.append(card) }
            return all
        }
        XCTAssertEqual(streamed.map(\.name), names)
        XCTAssertEqual(streamed.map(\.phone), ["", "", ""])
        XCTAssertEqual(streamed.map(\.idNumber), ["", "", ""])
        let auditsWithoutGrant = try await personalDataAudits(host)
        XCTAssertEqual(auditsWithoutGrant.count, 0, "nothing personal was shown: \(auditsWithoutGrant)")

        // With the grant: everything, and one audit entry for each answer that showed it.
        let shown = try await Gongzhi_Test_V1_ProbeClient(channel: trusted).directory(people(names))
        XCTAssertEqual(shown.people.map(\.phone), ["13900001000", "13900001001", "13900001002"])
        XCTAssertEqual(shown.people[2].idNumber, "330106198001011002")
        var audits = try await personalDataAudits(host)
        XCTAssertEqual(audits.count, 1)
        XCTAssertEqual(audits.last?.action, "gongzhi.test.v1.Probe/Directory")
        XCTAssertEqual(audits.last?.target, "plugin:thirdparty")
        XCTAssertTrue(audits.last?.principal.hasPrefix("client:") ?? false)
        XCTAssertEqual(
            audits.last?.detail,
            "shown people.id_number, people.phone in a gongzhi.test.v1.DirectoryResponse"
        )

        let streamedShown = try await Gongzhi_Test_V1_ProbeClient(channel: trusted).people(people(names)) { cards in
            var all: [Gongzhi_Test_V1_ContactCard] = []
            for try await card in cards { all.append(card) }
            return all
        }
        XCTAssertEqual(streamedShown.map(\.phone), ["13900001000", "13900001001", "13900001002"])
        audits = try await personalDataAudits(host)
        XCTAssertEqual(audits.count, 4, "one entry for the directory, one for each streamed card")
        XCTAssertEqual(Set(audits.suffix(3).map(\.action)), ["gongzhi.test.v1.Probe/People"])

        // An answer with no personal data in it is not audited.
        _ = try await Gongzhi_Test_V1_ProbeClient(channel: trusted).directory(people([]))
        let afterEmpty = try await personalDataAudits(host)
        XCTAssertEqual(afterEmpty.count, 4)

        // The host lists the plugin's services with the message types it learned from the descriptors.
        var ask = Gongzhi_Host_V1_ListServicesRequest()
        ask.name = Gongzhi_Test_V1_Probe.serviceName
        let described = try await host.adminClient.listServices(ask).services
        XCTAssertEqual(described.map(\.plugin), ["thirdparty"])
        let directory = described.first?.methods.first { $0.name == "Directory" }
        XCTAssertEqual(directory?.inputType, "gongzhi.test.v1.PeopleRequest")
        XCTAssertEqual(directory?.outputType, "gongzhi.test.v1.DirectoryResponse")
        XCTAssertEqual(described.first?.methods.first { $0.name == "People" }?.kind, .serverStreaming)
        XCTAssertFalse(described.first?.fileDescriptorSet.isEmpty ?? true)
    }
}
