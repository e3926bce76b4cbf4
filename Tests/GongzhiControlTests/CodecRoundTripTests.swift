import Foundation
import GongzhiDocuments
import GongzhiGridSchemas
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSeeds
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

@testable import GongzhiControl

/// The codec, which knows messages from their descriptors only, against swift-protobuf's generated code for the
/// same messages: what swift-protobuf writes in binary reads as the JSON swift-protobuf writes, and what
/// swift-protobuf writes in JSON encodes to the very bytes swift-protobuf writes (with deterministic ordering).
final class CodecRoundTripTests: XCTestCase {
    private static func deterministicBytes(_ message: some SwiftProtobuf.Message) throws -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return try message.serializedBytes(options: options)
    }

    private static func jsonString(_ message: some SwiftProtobuf.Message, protoNames: Bool) throws -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = protoNames
        return try message.jsonString(options: options)
    }

    /// JSON text as Foundation reads it, so that two texts compare regardless of the order of keys (swift-protobuf
    /// writes maps in no particular order) and of how numbers are spelt.
    private static func parsed(_ text: String) throws -> NSObject {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? NSObject)
    }

    private func assertRoundTrip<M: SwiftProtobuf.Message>(
        _ message: M,
        pool: DescriptorPool,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let name = M.protoMessageName
        let bytes = try Self.deterministicBytes(message)
        for protoNames in [true, false] {
            // Binary to JSON: the JSON swift-protobuf writes, and it reads back to the same message.
            let decoded = try BinaryToJSON(pool: pool, jsonNames: !protoNames).decode(bytes, messageName: name)
            XCTAssertEqual(decoded.notes, [], file: file, line: line)
            let ours = JSONText.compact(decoded.json)
            let theirs = try Self.jsonString(message, protoNames: protoNames)
            XCTAssertEqual(try Self.parsed(ours), try Self.parsed(theirs), "ours: \(ours)", file: file, line: line)
            XCTAssertEqual(try Self.deterministicBytes(try M(jsonString: ours)), bytes, ours, file: file, line: line)

            // JSON to binary: swift-protobuf's JSON, with either kind of names, becomes swift-protobuf's bytes.
            let encoded = try JSONToBinary(pool: pool).encode(try JSONText.value(theirs), messageName: name)
            XCTAssertEqual(encoded, bytes, "from \(theirs)", file: file, line: line)
            // And our own JSON goes back to the same bytes.
            let again = try JSONToBinary(pool: pool).encode(try JSONText.value(ours), messageName: name)
            XCTAssertEqual(again, bytes, "from \(ours)", file: file, line: line)
        }
    }

    func testEveryShapeOfFieldMatchesSwiftProtobuf() throws {
        XCTAssertTrue(CodecFixtures.anyTypesRegistered)
        try assertRoundTrip(try CodecFixtures.everyShape(), pool: CodecFixtures.shapes)
    }

    func testEachOneofMemberAndEachDefaultWithPresenceMatchesSwiftProtobuf() throws {
        var shapes = Gongzhi_Test_V1_Shapes()
        try assertRoundTrip(shapes, pool: CodecFixtures.shapes)
        for choice: Gongzhi_Test_V1_Shapes.OneOf_Choice in [
            .choiceText(""), .choiceText("文字"), .choiceNumber(0), .choiceNumber(-1), .choiceColor(.unspecified),
            .choiceInner(Gongzhi_Test_V1_Shapes.Inner()),
        ] {
            shapes = Gongzhi_Test_V1_Shapes()
            shapes.choice = choice
            try assertRoundTrip(shapes, pool: CodecFixtures.shapes)
        }
        shapes = Gongzhi_Test_V1_Shapes()
        shapes.inner = Gongzhi_Test_V1_Shapes.Inner()
        shapes.fDouble = -0.0
        shapes.wrappedInt64 = Google_Protobuf_Int64Value(0)
        shapes.value = Google_Protobuf_Value(nilLiteral: ())
        shapes.details = Google_Protobuf_Struct()
        shapes.anything = try Google_Protobuf_Any(message: Google_Protobuf_Duration(seconds: 90))
        try assertRoundTrip(shapes, pool: CodecFixtures.shapes)
    }

    func testTheCoreResidentWithItsPersonalDataMatchesSwiftProtobuf() throws {
        try assertRoundTrip(CodecFixtures.resident, pool: CodecFixtures.core)
        try assertRoundTrip(Gongzhi_Core_V1_Resident(), pool: CodecFixtures.core)
    }

    func testAGridCaseMatchesSwiftProtobuf() throws {
        try assertRoundTrip(CodecFixtures.gridCase, pool: CodecFixtures.grid)
        try assertRoundTrip(
            Gongzhi_Grid_V1_ReportResponse.with {
                $0.case = CodecFixtures.gridCase
                $0.duplicate = true
            },
            pool: CodecFixtures.grid
        )
    }

    func testTheObjectsServiceMessagesMatchSwiftProtobuf() throws {
        try assertRoundTrip(CodecFixtures.transaction, pool: CodecFixtures.objects)
        try assertRoundTrip(
            Gongzhi_Host_V1_WatchEvent.with {
                $0.type = .modified
                $0.object = CodecFixtures.transaction.writes[0].create
            },
            pool: CodecFixtures.objects
        )
    }

    func testManyRandomMessagesMatchSwiftProtobuf() throws {
        var random = SplitMix64(seed: 0x6A6F_6E67_7A68_6931)
        for _ in 0..<200 {
            var shapes = Gongzhi_Test_V1_Shapes()
            let double = Double(bitPattern: random.next())
            shapes.fDouble = double.isFinite ? double : 0
            shapes.fFloat = Float(Int32(truncatingIfNeeded: random.next())) / 64
            shapes.fInt64 = Int64(bitPattern: random.next())
            shapes.fUint64 = random.next()
            shapes.fSint32 = Int32(truncatingIfNeeded: random.next())
            shapes.fSfixed64 = Int64(bitPattern: random.next())
            shapes.packedSint64 = (0..<Int(random.next() % 5)).map { _ in Int64(bitPattern: random.next()) }
            shapes.byLong = Dictionary(
                uniqueKeysWithValues: (0..<Int(random.next() % 4)).map { index in
                    (Int64(bitPattern: random.next()), "v\(index)")
                }
            )
            shapes.labels = ["k\(random.next() % 100)": "值\(random.next() % 7)"]
            if random.next() % 2 == 0 { shapes.maybeInt32 = Int32(truncatingIfNeeded: random.next()) }
            if random.next() % 3 == 0 { shapes.choiceNumber = Int64(bitPattern: random.next()) }
            try assertRoundTrip(shapes, pool: CodecFixtures.shapes)
        }
    }

    func testNotANumberAndTheInfinitiesGoBothWays() throws {
        var shapes = Gongzhi_Test_V1_Shapes()
        shapes.fDouble = .nan
        shapes.fFloat = -.infinity
        shapes.packedDouble = [.infinity]
        let bytes = try Self.deterministicBytes(shapes)
        let json = try BinaryToJSON(pool: CodecFixtures.shapes).decode(bytes, messageName: "gongzhi.test.v1.Shapes")
            .json
        XCTAssertEqual(
            JSONText.compact(json),
            #"{"f_double":"NaN","f_float":"-Infinity","packed_double":["Infinity"]}"#
        )
        let back = try JSONToBinary(pool: CodecFixtures.shapes).encode(
            try JSONText.value(JSONText.compact(json)),
            messageName: "gongzhi.test.v1.Shapes"
        )
        XCTAssertEqual(back, bytes)
    }
}
