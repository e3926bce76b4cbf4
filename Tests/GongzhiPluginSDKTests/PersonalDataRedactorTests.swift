import GongzhiPluginSDK
import GongzhiRPC
import GongzhiTestSchemas
import XCTest

/// The host's personal-data rule for a plugin's own uses: from the descriptors its stubs carry.
final class PersonalDataRedactorTests: XCTestCase {
    private struct Probe: Gongzhi_Test_V1_ProbeHandler {
        func callHost(
            request: Gongzhi_Test_V1_CallHostRequest,
            context: ServerCallContext
        ) async throws -> Gongzhi_Test_V1_CallHostResponse { .init() }
        func inspect(
            request: Gongzhi_Test_V1_InspectRequest,
            context: ServerCallContext
        ) async throws -> Gongzhi_Test_V1_InspectResponse { .init() }
        func directory(
            request: Gongzhi_Test_V1_PeopleRequest,
            context: ServerCallContext
        ) async throws -> Gongzhi_Test_V1_DirectoryResponse { .init() }
        func people(
            request: Gongzhi_Test_V1_PeopleRequest,
            responses: RPCResponseWriter<Gongzhi_Test_V1_ContactCard>,
            context: ServerCallContext
        ) async throws {}
        func tryEscapes(
            request: Gongzhi_Test_V1_TryEscapesRequest,
            context: ServerCallContext
        ) async throws -> Gongzhi_Test_V1_TryEscapesResponse { .init() }
    }

    func testTheSensitiveFieldsGoAtAnyDepthAndTheRestStays() throws {
        let redactor = try PersonalDataRedactor(service: Probe())
        var directory = Gongzhi_Test_V1_DirectoryResponse()
        directory.community = "X社区"
        directory.people = [
            .with {
                $0.name = "王阿姨"
                $0.phone = "13900001000"
                $0.idNumber = "330106198001011000"
                $0.note = "3号楼"
            },
            .with { $0.name = "李师傅" },
        ]
        var expected = directory
        expected.people[0].phone = ""
        expected.people[0].idNumber = ""
        XCTAssertEqual(try redactor.redact(directory), expected)
        XCTAssertEqual(
            try redactor.sensitivePaths(of: Gongzhi_Test_V1_DirectoryResponse.self),
            [
                "people.id_number", "people.phone",
            ]
        )
        // A message without personal data comes back as it was.
        var request = Gongzhi_Test_V1_PeopleRequest()
        request.names = ["王阿姨"]
        XCTAssertEqual(try redactor.redact(request), request)
    }

    func testAMessageTheDescriptorsDoNotDefineIsRefused() throws {
        let redactor = try PersonalDataRedactor(service: Probe())
        XCTAssertThrowsError(try redactor.redact(Gongzhi_Test_V1_EchoRequest())) {
            XCTAssertEqual("\($0)", "the descriptors do not define gongzhi.test.v1.EchoRequest")
        }
        let assembled = RPCServiceDefinition(serviceName: "acme.v1.Handmade", methodHandlers: [:])
        XCTAssertThrowsError(try PersonalDataRedactor(service: assembled)) {
            XCTAssertEqual("\($0)", "acme.v1.Handmade carries no descriptors (it was not generated from a .proto)")
        }
    }
}
