import Foundation
import GongzhiIntake
import GongzhiIntakeSchemas
import XCTest

final class Open311DocumentTests: XCTestCase {
    /// The two requests of the spec's GET requests example (times at -08:00, as the example writes them).
    private func specRequests() -> [Open311ServiceRequest] {
        var first = Open311ServiceRequest()
        first.serviceRequestID = "638344"
        first.status = "closed"
        first.statusNotes = "Duplicate request."
        first.serviceName = "Sidewalk and Curb Issues"
        first.serviceCode = "006"
        first.requestedAtMs = RFC3339.unixMilliseconds("2010-04-14T06:37:38-08:00")!
        first.updatedAtMs = first.requestedAtMs
        first.expectedAtMs = RFC3339.unixMilliseconds("2010-04-15T06:37:38-08:00")!
        first.address = "8TH AVE and JUDAH ST"
        first.addressID = "545483"
        first.zipcode = "94122"
        first.coordinate = Coordinate(latitude: 37.762221815, longitude: -122.4651145)
        first.mediaURL = "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"
        var second = first
        second.serviceRequestID = "638349"
        second.status = "open"
        second.statusNotes = ""
        second.requestedAtMs = RFC3339.unixMilliseconds("2010-04-19T06:37:38-08:00")!
        second.updatedAtMs = second.requestedAtMs
        second.expectedAtMs = second.requestedAtMs
        second.mediaURL = "http://city.gov.s3.amazonaws.com/requests/media/638349.jpg"
        return [first, second]
    }

    func testServiceRequestsInJSONHaveTheSpecsMembersInItsOrder() {
        let json = Open311Document.serviceRequests([specRequests()[0]], format: .json)
        let expected =
            #"[{"service_request_id":"638344","status":"closed","status_notes":"Duplicate request.","#
            + #""service_name":"Sidewalk and Curb Issues","service_code":"006","description":null,"#
            + #""agency_responsible":null,"service_notice":null,"#
            + #""requested_datetime":"2010-04-14T22:37:38+08:00","updated_datetime":"2010-04-14T22:37:38+08:00","#
            + #""expected_datetime":"2010-04-15T22:37:38+08:00","address":"8TH AVE and JUDAH ST","#
            + #""address_id":"545483","zipcode":"94122","lat":37.762221815,"long":-122.4651145,"#
            + #""media_url":"http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"}]"#
        XCTAssertEqual(json, expected)
        XCTAssertNoThrow(try JSONDocument.parse(json))
    }

    func testServiceRequestsInXMLHaveTheSpecsElements() {
        let xml = Open311Document.serviceRequests(specRequests(), format: .xml)
        XCTAssertTrue(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests>\n  <request>\n"))
        XCTAssertTrue(xml.hasSuffix("  </request>\n</service_requests>\n"))
        XCTAssertEqual(xml.components(separatedBy: "<request>").count, 3)
        let second = xml.components(separatedBy: "<request>")[2]
        let elements = second.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(
            Array(elements.prefix(17)),
            [
                "<service_request_id>638349</service_request_id>", "<status>open</status>", "<status_notes/>",
                "<service_name>Sidewalk and Curb Issues</service_name>", "<service_code>006</service_code>",
                "<description/>", "<agency_responsible/>", "<service_notice/>",
                "<requested_datetime>2010-04-19T22:37:38+08:00</requested_datetime>",
                "<updated_datetime>2010-04-19T22:37:38+08:00</updated_datetime>",
                "<expected_datetime>2010-04-19T22:37:38+08:00</expected_datetime>",
                "<address>8TH AVE and JUDAH ST</address>", "<address_id>545483</address_id>",
                "<zipcode>94122</zipcode>", "<lat>37.762221815</lat>", "<long>-122.4651145</long>",
                "<media_url>http://city.gov.s3.amazonaws.com/requests/media/638349.jpg</media_url>",
            ]
        )
    }

    func testTheAnswerToAPostGivesTheIdOrTheToken() {
        var response = Gongzhi_Intake_V1_SubmitTicketResponse()
        response.serviceRequestID = "293944"
        response.serviceNotice = "The City will inspect"
        XCTAssertEqual(
            Open311Document.created(response, format: .json),
            #"[{"service_request_id":"293944","service_notice":"The City will inspect","account_id":null}]"#
        )
        XCTAssertEqual(
            Open311Document.created(response, format: .xml),
            """
            <?xml version="1.0" encoding="utf-8"?>
            <service_requests>
              <request>
                <service_request_id>293944</service_request_id>
                <service_notice>The City will inspect</service_notice>
                <account_id/>
              </request>
            </service_requests>

            """
        )
        var batch = Gongzhi_Intake_V1_SubmitTicketResponse()
        batch.token = "12345"
        XCTAssertEqual(
            Open311Document.created(batch, format: .json),
            #"[{"token":"12345","service_notice":null,"account_id":null}]"#
        )
        XCTAssertEqual(
            Open311Document.token(serviceRequestID: "638344", token: "12345", format: .json),
            #"[{"service_request_id":"638344","token":"12345"}]"#
        )
    }

    func testErrorsAsTheSpecWritesThem() {
        let errors = [(code: 403, description: "Invalid api_key received -- can't proceed with create_request.")]
        XCTAssertEqual(
            Open311Document.errors(errors, format: .json),
            #"[{"code":403,"description":"Invalid api_key received -- can't proceed with create_request."}]"#
        )
        XCTAssertEqual(
            Open311Document.errors(errors, format: .xml),
            """
            <?xml version="1.0" encoding="utf-8"?>
            <errors>
              <error>
                <code>403</code>
                <description>Invalid api_key received -- can't proceed with create_request.</description>
              </error>
            </errors>

            """
        )
    }

    func testDiscoveryAsTheSpecWritesIt() {
        let changed = RFC3339.unixMilliseconds("2026-12-07T10:00:00+08:00")!
        let endpoint = Open311Document.DiscoveryEndpoint(
            url: "http://127.0.0.1:8311/open311/hotline-12345/v2",
            changedAtMs: changed
        )
        XCTAssertEqual(
            Open311Document.discovery(
                changedAtMs: changed,
                contact: "热线 <12345>",
                keyService: "gongzhictl tokens issue",
                endpoints: [endpoint],
                format: .json
            ),
            #"{"changeset":"2026-12-07T10:00:00+08:00","contact":"热线 <12345>","#
                + #""key_service":"gongzhictl tokens issue","endpoints":[{"#
                + #""specification":"http://wiki.open311.org/GeoReport_v2","#
                + #""url":"http://127.0.0.1:8311/open311/hotline-12345/v2","#
                + #""changeset":"2026-12-07T10:00:00+08:00","type":"production","#
                + #""formats":["text/xml","application/json"]}]}"#
        )
        XCTAssertEqual(
            Open311Document.discovery(
                changedAtMs: changed,
                contact: "热线 <12345>",
                keyService: "",
                endpoints: [endpoint],
                format: .xml
            ),
            """
            <?xml version="1.0" encoding="utf-8"?>
            <discovery>
              <changeset>2026-12-07T10:00:00+08:00</changeset>
              <contact>热线 &lt;12345&gt;</contact>
              <key_service/>
              <endpoints>
                <endpoint>
                  <specification>http://wiki.open311.org/GeoReport_v2</specification>
                  <url>http://127.0.0.1:8311/open311/hotline-12345/v2</url>
                  <changeset>2026-12-07T10:00:00+08:00</changeset>
                  <type>production</type>
                  <formats>
                    <format>text/xml</format>
                    <format>application/json</format>
                  </formats>
                </endpoint>
              </endpoints>
            </discovery>

            """
        )
    }

    func testEscaping() {
        var request = Open311ServiceRequest()
        request.serviceRequestID = "1"
        request.statusNotes = "a<b & \"c\"\n\u{1}"
        XCTAssertTrue(
            Open311Document.serviceRequests([request], format: .xml).contains(
                "<status_notes>a&lt;b &amp; \"c\"\n</status_notes>"
            )
        )
        XCTAssertTrue(
            Open311Document.serviceRequests([request], format: .json).contains(#""status_notes":"a<b & \"c\"\n\u0001""#)
        )
        XCTAssertEqual(Open311Document.Format.xml.contentType, "text/xml; charset=utf-8")
    }

    func testAnItemShowsItsPersonalDataOnlyWhenAsked() {
        var item = Gongzhi_Intake_V1_IntakeItem()
        item.serviceRequestID = "42"
        item.serviceCode = "E0405"
        item.description_p = "我家楼下积水"
        item.address = "某小区3幢"
        item.state = .inCase
        item.caseState = .dispatched
        item.agency = "网格 330106001001001"
        item.location.latitude = 30.2741
        item.location.longitude = 120.1551
        item.receivedAtMs = 1_796_608_800_000
        item.updatedAtMs = 1_796_612_400_000
        let shown = Open311ServiceRequest(item: item, serviceName: "道路积水", showPersonalData: false)
        XCTAssertEqual(shown.description, "")
        XCTAssertEqual(shown.address, "")
        XCTAssertEqual(shown.status, "open")
        XCTAssertEqual(shown.agencyResponsible, "网格 330106001001001")
        XCTAssertEqual(shown.coordinate, Coordinate(latitude: 30.2741, longitude: 120.1551))
        XCTAssertEqual(shown.updatedAtMs, 1_796_612_400_000)
        let own = Open311ServiceRequest(item: item, serviceName: "道路积水", showPersonalData: true)
        XCTAssertEqual(own.description, "我家楼下积水")
        XCTAssertEqual(own.address, "某小区3幢")
    }
}

final class Open311ServiceDocumentTests: XCTestCase {
    private var underpass: Open311Service {
        Open311Service(
            code: "E0405",
            name: "道路积水",
            description: "道路、下穿隧道积水影响通行",
            keywords: ["积水", "下穿", "隧道"],
            group: "市政设施",
            attributes: [
                .init(
                    code: "depth",
                    datatype: .singlevaluelist,
                    required: true,
                    description: "积水大约多深？",
                    values: [(key: "1", name: "没过脚踝"), (key: "2", name: "没过膝盖")]
                ),
                .init(variable: false, code: "notice", datatype: .text, required: false, description: "请勿涉水"),
            ]
        )
    }

    func testTheServiceListHasTheSpecsMembers() {
        let consultation = Open311Service(code: "Z0001", name: "政策咨询", type: .batch)
        XCTAssertEqual(
            Open311Document.services([underpass, consultation], format: .json),
            #"[{"service_code":"E0405","service_name":"道路积水","description":"道路、下穿隧道积水影响通行","#
                + #""metadata":true,"type":"realtime","keywords":"积水, 下穿, 隧道","group":"市政设施"},"#
                + #"{"service_code":"Z0001","service_name":"政策咨询","description":null,"metadata":false,"#
                + #""type":"batch","keywords":null,"group":null}]"#
        )
        XCTAssertEqual(
            Open311Document.services([consultation], format: .xml),
            """
            <?xml version="1.0" encoding="utf-8"?>
            <services>
              <service>
                <service_code>Z0001</service_code>
                <service_name>政策咨询</service_name>
                <description/>
                <metadata>false</metadata>
                <type>batch</type>
                <keywords/>
                <group/>
              </service>
            </services>

            """
        )
    }

    func testTheServiceDefinitionNestsAttributesAndValuesAsTheSpecDoes() {
        XCTAssertEqual(
            Open311Document.serviceDefinition(underpass, format: .json),
            #"{"service_code":"E0405","attributes":[{"variable":true,"code":"depth","datatype":"singlevaluelist","#
                + #""required":true,"datatype_description":null,"order":1,"description":"积水大约多深？","#
                + #""values":[{"key":"1","name":"没过脚踝"},{"key":"2","name":"没过膝盖"}]},"#
                + #"{"variable":false,"code":"notice","datatype":"text","required":false,"#
                + #""datatype_description":null,"order":2,"description":"请勿涉水"}]}"#
        )
        XCTAssertEqual(
            Open311Document.serviceDefinition(underpass, format: .xml),
            """
            <?xml version="1.0" encoding="utf-8"?>
            <service_definition>
              <service_code>E0405</service_code>
              <attributes>
                <attribute>
                  <variable>true</variable>
                  <code>depth</code>
                  <datatype>singlevaluelist</datatype>
                  <required>true</required>
                  <datatype_description/>
                  <order>1</order>
                  <description>积水大约多深？</description>
                  <values>
                    <value>
                      <key>1</key>
                      <name>没过脚踝</name>
                    </value>
                    <value>
                      <key>2</key>
                      <name>没过膝盖</name>
                    </value>
                  </values>
                </attribute>
                <attribute>
                  <variable>false</variable>
                  <code>notice</code>
                  <datatype>text</datatype>
                  <required>false</required>
                  <datatype_description/>
                  <order>2</order>
                  <description>请勿涉水</description>
                </attribute>
              </attributes>
            </service_definition>

            """
        )
    }
}
