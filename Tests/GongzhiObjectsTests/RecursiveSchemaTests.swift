import GongzhiObjects
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// Schemas plugins may register: messages that contain themselves, oneofs, and tags at the edges of the wire.
final class RecursiveSchemaTests: XCTestCase {
    /// test.v1.Node { string name = 1; string phone = 2 [sensitive]; repeated Node children = 3;
    ///                oneof contact { string wechat = 4; string mobile = 5 [sensitive]; } }
    func nodeIndex() throws -> DescriptorIndex {
        typealias D = TestDescriptors
        var node = Google_Protobuf_DescriptorProto()
        node.name = "Node"
        node.field = [
            D.field("name", 1, .string), D.field("phone", 2, .string, sensitive: true),
            D.field("children", 3, .message, repeated: true, typeName: ".test.v1.Node"),
            D.field("wechat", 4, .string, oneof: 0), D.field("mobile", 5, .string, sensitive: true, oneof: 0),
        ]
        node.oneofDecl = [Google_Protobuf_OneofDescriptorProto.with { $0.name = "contact" }]
        return try DescriptorIndex(
            fileDescriptorSet: try D.set(file: "test/v1/node.proto", package: "test.v1", messages: [node])
        )
    }

    /// Length-delimited field `number` holding `bytes`.
    func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        [number << 3 | 2, UInt8(bytes.count)] + bytes
    }

    func node(name: String, phone: String, children: [[UInt8]] = []) -> [UInt8] {
        field(1, Array(name.utf8)) + field(2, Array(phone.utf8)) + children.flatMap { field(3, $0) }
    }

    func testSensitiveFieldsAreRemovedAtEveryDepthOfAMessageThatContainsItself() throws {
        let sensitive = try nodeIndex().sensitiveFields(of: "test.v1.Node")
        XCTAssertEqual(sensitive.paths, ["mobile", "phone", "children.…"])
        let tree = node(
            name: "a",
            phone: "P1",
            children: [node(name: "b", phone: "P2", children: [node(name: "c", phone: "P3")])]
        )
        let redacted = try WireRedaction.redact(Data(tree), fields: sensitive)
        let text = String(decoding: redacted.data, as: UTF8.self)
        for secret in ["P1", "P2", "P3"] { XCTAssertFalse(text.contains(secret), "\(secret) leaked") }
        XCTAssertTrue(text.contains("a") && text.contains("b") && text.contains("c"))
        XCTAssertEqual(redacted.removed, ["children.children.phone", "children.phone", "phone"])
        // Validation accepts the tree, and the kept-fields merge sees the nested personal data.
        try WireValidation(index: try nodeIndex()).validate(Data(tree), as: "test.v1.Node")
        let merge = try WireRedaction.keepingSensitiveFields(
            of: Data(tree),
            in: Data(field(1, Array("a2".utf8))),
            fields: sensitive
        )
        XCTAssertEqual(merge.nestedPresent, ["children.children.phone", "children.phone"])
    }

    func testAnUpdateThatSetsAnotherMemberOfAOneofKeepsIt() throws {
        let sensitive = try nodeIndex().sensitiveFields(of: "test.v1.Node")
        let stored = Data(field(1, Array("a".utf8)) + field(5, Array("13800000000".utf8)))
        // The caller set wechat, a member of the oneof of the stored (sensitive) mobile: wechat wins.
        let switched = try WireRedaction.keepingSensitiveFields(
            of: stored,
            in: Data(field(1, Array("a".utf8)) + field(4, Array("wx".utf8))),
            fields: sensitive
        )
        XCTAssertEqual(Array(switched.data), field(1, Array("a".utf8)) + field(4, Array("wx".utf8)))
        // The caller left the oneof alone: the stored mobile is kept.
        let kept = try WireRedaction.keepingSensitiveFields(
            of: stored,
            in: Data(field(1, Array("b".utf8))),
            fields: sensitive
        )
        XCTAssertEqual(Array(kept.data), field(1, Array("b".utf8)) + field(5, Array("13800000000".utf8)))
    }

    func testTagsOutsideTheFieldNumberRangeAndOverlongVarintsAreMalformed() throws {
        let sensitive = try nodeIndex().sensitiveFields(of: "test.v1.Node")
        let validation = WireValidation(index: try nodeIndex())
        // Field 1 + 2^32 with wire type 2 would read as field 1 if the number were truncated.
        let wide: [UInt8] = [0x8A, 0x80, 0x80, 0x80, 0x80, 0x02, 0x01, 0x41]
        XCTAssertThrowsError(try validation.validate(Data(wide), as: "test.v1.Node"))
        XCTAssertThrowsError(try WireRedaction.redact(Data(wide), fields: sensitive))
        // A ten-byte varint whose last byte carries more than the 64th bit.
        let overlong: [UInt8] = [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]
        XCTAssertThrowsError(try WireRedaction.redact(Data(overlong), fields: sensitive))
        XCTAssertThrowsError(try validation.validate(Data(overlong), as: "test.v1.Node"))
    }
}
