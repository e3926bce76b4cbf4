import Foundation
import GongzhiRPC
import GongzhiTestSchemas
import GongzhiTestSupport
import Logging
import SwiftProtobuf
import XCTest

@testable import GongzhiHost

/// A plugin's registered descriptors, and what the router does with them to each answer.
final class AnswerPrivacyTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var audit: AuditLog!

    override func setUp() async throws {
        directory = try TemporaryDirectory()
        audit = try AuditLog(path: directory.file("audit.log"), logger: Logger(label: "answer-privacy-test"))
    }

    override func tearDown() async throws {
        await audit?.close()
        directory?.remove()
    }

    private static var probeDescriptors: Data {
        RPCFileDescriptorSet(base64: Gongzhi_Test_V1_Probe.fileDescriptorSetBase64)!.bytes
    }

    private static let probeMethods: [String: RPCKind] = [
        "CallHost": .unary, "Inspect": .unary, "Directory": .unary, "People": .serverStreaming,
    ]

    private func privacy(method: String, seesPersonalData: Bool) throws -> AnswerPrivacy? {
        let schemas = try ServiceSchema.parse(
            fileDescriptorSet: Self.probeDescriptors,
            services: [Gongzhi_Test_V1_Probe.serviceName: Self.probeMethods]
        )
        return AnswerPrivacy(
            plugin: "thirdparty",
            service: Gongzhi_Test_V1_Probe.serviceName,
            method: schemas[Gongzhi_Test_V1_Probe.serviceName]?.methods[method],
            principal: .client(tokenID: "t1", subject: "app", pid: 1, uid: 1000),
            seesPersonalData: seesPersonalData,
            audit: audit
        )
    }

    private func directoryAnswer() throws -> Data {
        var answer = Gongzhi_Test_V1_DirectoryResponse()
        answer.community = "X社区"
        answer.people = [
            .with {
                $0.name = "王阿姨"
                $0.phone = "13900001000"
                $0.idNumber = "330106198001011000"
                $0.note = String(repeating: "长", count: 300)
            },
            .with { $0.name = "李师傅" },
        ]
        return try answer.serializedBytes()
    }

    func testTheSchemaKnowsEachMethodsTypesAndSensitiveOutput() throws {
        let schemas = try ServiceSchema.parse(
            fileDescriptorSet: Self.probeDescriptors,
            services: [Gongzhi_Test_V1_Probe.serviceName: Self.probeMethods]
        )
        let probe = try XCTUnwrap(schemas[Gongzhi_Test_V1_Probe.serviceName])
        XCTAssertEqual(probe.methods["Directory"]?.inputType, "gongzhi.test.v1.PeopleRequest")
        XCTAssertEqual(probe.methods["Directory"]?.outputType, "gongzhi.test.v1.DirectoryResponse")
        XCTAssertEqual(probe.methods["Directory"]?.sensitiveOutput.paths, ["people.id_number", "people.phone"])
        XCTAssertEqual(probe.methods["People"]?.sensitiveOutput.paths, ["id_number", "phone"])
        XCTAssertTrue(probe.methods["Inspect"]?.sensitiveOutput.isEmpty ?? false)
        // A method without personal data in its answers needs no check at all.
        XCTAssertNil(try privacy(method: "Inspect", seesPersonalData: false))
    }

    func testRegistrationsThatDoNotMatchTheirDescriptorsAreRefused() {
        func problem(_ services: [String: [String: RPCKind]], _ bytes: Data = Self.probeDescriptors) -> String {
            do {
                _ = try ServiceSchema.parse(fileDescriptorSet: bytes, services: services)
                return "accepted"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(
            problem(["acme.v1.Other": ["Get": .unary]]),
            "file_descriptor_set does not define the service acme.v1.Other; it defines gongzhi.test.v1.Probe"
        )
        XCTAssertEqual(
            problem([Gongzhi_Test_V1_Probe.serviceName: ["Erase": .unary]]),
            "gongzhi.test.v1.Probe in file_descriptor_set has no method Erase"
        )
        XCTAssertEqual(
            problem([Gongzhi_Test_V1_Probe.serviceName: ["People": .unary]]),
            "gongzhi.test.v1.Probe/People is registered as unary but its descriptor says serverStreaming"
        )
        XCTAssertTrue(problem(["x.v1.S": ["M": .unary]], Data([0xFF, 0xFF])).hasPrefix("file_descriptor_set is "))
    }

    func testASetThatLeavesOutAMessageTheAnswersUseIsRefused() throws {
        // acme.v1.Answer holds an acme.v1.Contact the set does not define (built without one of its imports),
        // so whether the contact holds personal data cannot be known.
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "acme/v1/answers.proto"
        file.package = "acme.v1"
        file.syntax = "proto3"
        var request = Google_Protobuf_DescriptorProto()
        request.name = "Question"
        var answer = Google_Protobuf_DescriptorProto()
        answer.name = "Answer"
        var contact = Google_Protobuf_FieldDescriptorProto()
        contact.name = "contact"
        contact.number = 1
        contact.type = .message
        contact.typeName = ".acme.v1.Contact"
        answer.field = [contact]
        file.messageType = [request, answer]
        var service = Google_Protobuf_ServiceDescriptorProto()
        service.name = "Desk"
        var method = Google_Protobuf_MethodDescriptorProto()
        method.name = "Ask"
        method.inputType = ".acme.v1.Question"
        method.outputType = ".acme.v1.Answer"
        service.method = [method]
        file.service = [service]
        var set = Google_Protobuf_FileDescriptorSet()
        set.file = [file]
        let bytes: Data = try set.serializedBytes()
        XCTAssertThrowsError(
            try ServiceSchema.parse(fileDescriptorSet: bytes, services: ["acme.v1.Desk": ["Ask": .unary]])
        ) {
            XCTAssertEqual(
                "\($0)",
                "acme.v1.Desk/Ask uses acme.v1.Contact, which file_descriptor_set does not define "
                    + "(build it with protoc --include_imports)"
            )
        }
        // A type named relatively (only by hand) is refused too: which message it means is not certain.
        set.file[0].messageType[1].field[0].typeName = "Contact"
        var contactMessage = Google_Protobuf_DescriptorProto()
        contactMessage.name = "Contact"
        set.file[0].messageType.append(contactMessage)
        let relative: Data = try set.serializedBytes()
        XCTAssertThrowsError(
            try ServiceSchema.parse(fileDescriptorSet: relative, services: ["acme.v1.Desk": ["Ask": .unary]])
        ) {
            XCTAssertTrue("\($0)".contains("Contact (field acme.v1.Answer.contact, not a full name)"), "\($0)")
        }
        // Defined by its full name, the set is accepted.
        set.file[0].messageType[1].field[0].typeName = ".acme.v1.Contact"
        let whole: Data = try set.serializedBytes()
        let schemas = try ServiceSchema.parse(fileDescriptorSet: whole, services: ["acme.v1.Desk": ["Ask": .unary]])
        XCTAssertEqual(schemas["acme.v1.Desk"]?.methods["Ask"]?.outputType, "acme.v1.Answer")
    }

    func testWithoutTheGrantSensitiveFieldsAreRemovedAndNothingIsAudited() throws {
        let privacy = try XCTUnwrap(try privacy(method: "Directory", seesPersonalData: false))
        let presented = try privacy.present(try directoryAnswer())
        XCTAssertEqual(presented.removed, ["people.id_number", "people.phone"])
        let seen = try Gongzhi_Test_V1_DirectoryResponse(serializedBytes: presented.payload)
        var expected = try Gongzhi_Test_V1_DirectoryResponse(serializedBytes: try directoryAnswer())
        expected.people[0].phone = ""
        expected.people[0].idNumber = ""
        XCTAssertEqual(seen, expected)
        XCTAssertEqual(audit.recent(10).count, 0)
    }

    func testWithTheGrantTheAnswerIsUnchangedAndAuditedOnlyWhenItShowsPersonalData() throws {
        let privacy = try XCTUnwrap(try privacy(method: "Directory", seesPersonalData: true))
        let answer = try directoryAnswer()
        let presented = try privacy.present(answer)
        XCTAssertEqual(presented.payload, answer)
        XCTAssertEqual(presented.removed, [])
        var empty = Gongzhi_Test_V1_DirectoryResponse()
        empty.people = [.with { $0.name = "无电话" }]
        _ = try privacy.present(try empty.serializedBytes())
        let records = audit.recent(10)
        XCTAssertEqual(records.count, 1, "the answer without a phone is not audited")
        XCTAssertEqual(records.first?.outcome, "personal-data")
        XCTAssertEqual(records.first?.principal, "client:t1")
        XCTAssertEqual(records.first?.action, "gongzhi.test.v1.Probe/Directory")
        XCTAssertEqual(records.first?.target, "plugin:thirdparty")
        XCTAssertEqual(
            records.first?.detail,
            "shown people.id_number, people.phone in a gongzhi.test.v1.DirectoryResponse"
        )
    }

    func testAnAnswerThatIsNotItsMessageIsNotPassedOn() throws {
        for sees in [false, true] {
            let privacy = try XCTUnwrap(try privacy(method: "Directory", seesPersonalData: sees))
            // Field 1 (people) says 50 bytes follow, and there are 3.
            XCTAssertThrowsError(try privacy.present(Data([0x0A, 50, 1, 2, 3]))) { error in
                let rpcError = error as? RPCError
                XCTAssertEqual(rpcError?.code, .internal)
                XCTAssertTrue(
                    rpcError?.message.hasPrefix(
                        "plugin thirdparty answered gongzhi.test.v1.Probe/Directory with bytes that are not a valid "
                            + "gongzhi.test.v1.DirectoryResponse"
                    ) ?? false,
                    rpcError?.message ?? "\(error)"
                )
            }
        }
        XCTAssertEqual(audit.recent(10).map(\.outcome), ["failed", "failed"])
    }
}
