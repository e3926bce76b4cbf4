import GongzhiIntake
import XCTest

final class IntakeSourcesTests: XCTestCase {
    static let example = """
        {
          "jurisdiction_id": "330199",
          "http": {"address": "127.0.0.1:8311", "contact": "区大数据局 0571-12345678"},
          "sources": [
            {"name": "sensors-x", "kind": "mqtt", "broker": "unix:/run/gongzhi/mqtt.sock",
             "topics": ["gz/v1/readings/+", "gz/v1/gateways/+/readings"],
             "alert_categories": {"water_level": "E0405"}},
            {"name": "hotline-12345", "kind": "open311", "mapping": "hotline.mapping.json",
             "ticket_number_attribute": "ticket_no",
             "services": [{"code": "E0405", "name": "道路积水", "keywords": ["积水"],
                           "attributes": [{"code": "ticket_no", "datatype": "string", "description": "工单编号"}]},
                          {"code": "Q01", "name": "政策咨询", "type": "batch"}]},
            {"name": "urban-management", "kind": "file", "mapping": "urban.mapping.json", "format": "csv",
             "encoding": "gb18030", "max_in_flight": 500}
          ]
        }
        """

    func testReadsEveryKindOfSource() throws {
        let sources = try IntakeSources.parse(Self.example)
        XCTAssertEqual(sources.jurisdictionID, "330199")
        XCTAssertEqual(sources.httpAddress, "127.0.0.1:8311")
        XCTAssertEqual(sources.contact, "区大数据局 0571-12345678")
        XCTAssertEqual(sources.sources.map(\.name), ["sensors-x", "hotline-12345", "urban-management"])
        XCTAssertEqual(
            sources.source(named: "sensors-x")?.kind,
            .mqtt(
                broker: .unixSocket(path: "/run/gongzhi/mqtt.sock"),
                clientID: "gongzhi-intake-sensors-x",
                topics: ["gz/v1/readings/+", "gz/v1/gateways/+/readings"],
                alertCategories: ["water_level": "E0405"]
            )
        )
        XCTAssertEqual(sources.source(named: "sensors-x")?.maximumInFlight, 100_000)
        guard case .open311(let services, let ticketAttribute)? = sources.source(named: "hotline-12345")?.kind else {
            return XCTFail("hotline-12345 is an Open311 source")
        }
        XCTAssertEqual(ticketAttribute, "ticket_no")
        XCTAssertEqual(services.map(\.code), ["E0405", "Q01"])
        XCTAssertEqual(services[1].type, .batch)
        XCTAssertEqual(services[0].attributes.first?.code, "ticket_no")
        XCTAssertEqual(services[0].attributes.first?.required, false)
        XCTAssertEqual(sources.source(named: "hotline-12345")?.mappingPath, "hotline.mapping.json")
        XCTAssertEqual(sources.source(named: "urban-management")?.kind, .file(format: .csv, encoding: "gb18030"))
        XCTAssertEqual(sources.source(named: "urban-management")?.maximumInFlight, 500)
    }

    func testRefusalsNameTheirPlace() {
        func refusal(_ text: String) -> InputError? {
            do {
                _ = try IntakeSources.parse(text)
                return nil
            } catch {
                return error
            }
        }
        let misspelt = refusal(#"{"jurisdiction_id": "330199", "sources": [], "htp": {}}"#)
        XCTAssertEqual(misspelt?.code, "sources.invalid")
        XCTAssertEqual(misspelt?.column, 46)
        XCTAssertTrue(misspelt?.message.contains("\"htp\"") ?? false)

        let twice = refusal(
            """
            {"jurisdiction_id": "330199", "sources": [
              {"name": "a", "kind": "file", "mapping": "m.json"},
              {"name": "a", "kind": "file", "mapping": "m.json"}]}
            """
        )
        XCTAssertEqual(twice?.line, 3)
        XCTAssertTrue(twice?.message.contains("configured twice") ?? false)

        let broker = refusal(
            #"{"jurisdiction_id": "1", "sources": [{"name": "s", "kind": "mqtt", "broker": "mqtt://x", "topics": ["t"]}]}"#
        )
        XCTAssertTrue(broker?.message.contains("unix:/path/to/socket or HOST:PORT") ?? false)

        let kind = refusal(#"{"jurisdiction_id": "1", "sources": [{"name": "s", "kind": "kafka"}]}"#)
        XCTAssertEqual(kind?.message, "\"kind\" of the source \"s\" must be mqtt, open311 or file")

        let name = refusal(#"{"jurisdiction_id": "1", "sources": [{"name": "热线", "kind": "file", "mapping": "m"}]}"#)
        XCTAssertTrue(name?.message.contains("ASCII") ?? false)

        XCTAssertEqual(refusal("{")?.code, "json.syntax")
    }

    func testBrokerAddresses() {
        XCTAssertEqual(IntakeSources.parseBroker("unix:/tmp/b.sock"), .unixSocket(path: "/tmp/b.sock"))
        XCTAssertEqual(IntakeSources.parseBroker("127.0.0.1:1883"), .tcp(host: "127.0.0.1", port: 1883))
        XCTAssertNil(IntakeSources.parseBroker("unix:"))
        XCTAssertNil(IntakeSources.parseBroker("localhost"))
        XCTAssertNil(IntakeSources.parseBroker("localhost:99999"))
        XCTAssertEqual(HTTPAddress("127.0.0.1:0"), HTTPAddress(host: "127.0.0.1", port: 0))
    }
}
