import AcmeRepairsSchemas
import GongzhiPluginTesting
import GongzhiRPC
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The module under a real host in the test process, with the real plugin executable, as the testing kit runs it.
final class RepairsTests: XCTestCase {
    /// The plugin that `swift build` put beside this test bundle.
    var plugin: TestPlugin {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return TestPlugin(
            name: "acme-repairs",
            executable: folder.appendingPathComponent("acme-repairs").path,
            services: [Acme_Repairs_V1_Repairs.serviceName]
        )
    }

    func testReportedRepairsAreListedWithoutPhonesForACallerWithoutTheGrant() async throws {
        try await withTestHost(plugins: [plugin]) { host in
            try await host.waitUntilReady("acme-repairs")
            var report = Acme_Repairs_V1_ReportRequest()
            report.building = "B-0001"
            report.problem = "3单元电梯停运"
            report.reporterName = "王阿姨"
            report.reporterPhone = "13900001111"
            // An administrator holds the personal-data grant: the phone is in the answer.
            let filed = try await Acme_Repairs_V1_RepairsClient(channel: host.adminChannel).report(report)
            XCTAssertEqual(filed.number, 1)
            XCTAssertEqual(filed.reporterPhone, "13900001111")
            XCTAssertEqual(filed.reportedBy, "admin:uid=\(getuid())")

            // A client holding only the service's scope gets the rest, without the phone.
            let clerk = try await host.clientChannel(scopes: ["acme.repairs.v1.Repairs/*"])
            let open = try await Acme_Repairs_V1_RepairsClient(channel: clerk).listOpen(
                .with { $0.building = "B-0001" }
            ) { answers in
                var all: [Acme_Repairs_V1_Repair] = []
                for try await repair in answers { all.append(repair) }
                return all
            }
            XCTAssertEqual(open.map(\.problem), ["3单元电梯停运"])
            XCTAssertEqual(open.map(\.reporterName), ["王阿姨"])
            XCTAssertEqual(open.map(\.reporterPhone), [""])
        }
    }

    func testAReportWithoutABuildingIsRefusedSayingWhy() async throws {
        try await withTestHost(plugins: [plugin]) { host in
            try await host.waitUntilReady("acme-repairs")
            do {
                _ = try await Acme_Repairs_V1_RepairsClient(channel: host.adminChannel).report(
                    .with { $0.problem = "漏水" }
                )
                XCTFail("a report without a building is refused")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, .invalidArgument)
                XCTAssertEqual(error.message, "the building is empty; name one, e.g. B-0001")
            }
        }
    }
}
