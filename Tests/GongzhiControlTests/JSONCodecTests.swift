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

/// The descriptor-driven JSON codec of `gongzhictl call`: what it accepts, what it refuses and how it names
/// the place, and how it reads bytes it does not fully know.
final class JSONCodecTests: XCTestCase {
    private let shapes = "gongzhi.test.v1.Shapes"
    private let locate = "gongzhi.grid.v1.LocateRequest"

    private func encode(_ json: String, as name: String, pool: DescriptorPool = CodecFixtures.shapes) throws -> [UInt8]
    {
        try JSONToBinary(pool: pool).encode(try JSONText.value(json), messageName: name)
    }

    /// The problem the codec names for `json`, or a failure when it takes it.
    private func problem(
        _ json: String,
        as name: String? = nil,
        pool: DescriptorPool = CodecFixtures.shapes,
        file: StaticString = #filePath,
        line: UInt = #line
    ) -> String {
        do {
            let bytes = try encode(json, as: name ?? shapes, pool: pool)
            XCTFail("\(json) was taken: \(bytes)", file: file, line: line)
            return ""
        } catch let problem as CodecProblem {
            return problem.description
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return ""
        }
    }

    private func decode(_ message: some SwiftProtobuf.Message, jsonNames: Bool = false) throws -> String {
        let bytes: [UInt8] = try message.serializedBytes()
        let decoded = try BinaryToJSON(pool: CodecFixtures.shapes, jsonNames: jsonNames)
            .decode(bytes, messageName: type(of: message).protoMessageName)
        return JSONText.compact(decoded.json)
    }

    // MARK: What it accepts

    func testTheLocateRequestOfTheIssueEncodesAsSwiftProtobufDoes() throws {
        let bytes = try encode(
            #"{"point":{"longitude":120.1455,"latitude":30.276}}"#,
            as: locate,
            pool: CodecFixtures.grid
        )
        let expected: [UInt8] = try Gongzhi_Grid_V1_LocateRequest.with {
            $0.point.longitude = 120.1455
            $0.point.latitude = 30.276
        }.serializedBytes()
        XCTAssertEqual(bytes, expected)
    }

    func testFieldsAreNamedEitherWayAndNumbersTakeTheirJSONForms() throws {
        let message = try Gongzhi_Test_V1_Shapes(
            serializedBytes: try encode(
                """
                {"f_int64": "-12", "fUint64": 18446744073709551615, "f_int32": 1e3, "fSfixed32": "-4",
                 "f_double": "2.5", "fFloat": "Infinity", "color": 2, "colors": ["RED", 0],
                 "f_bytes": "_-8", "blobs": ["AQ==", "AQ"], "alias": 7, "f_bool": false, "maybe_int32": 0}
                """,
                as: shapes
            )
        )
        XCTAssertEqual(message.fInt64, -12)
        XCTAssertEqual(message.fUint64, UInt64.max)
        XCTAssertEqual(message.fInt32, 1000)
        XCTAssertEqual(message.fSfixed32, -4)
        XCTAssertEqual(message.fDouble, 2.5)
        XCTAssertEqual(message.fFloat, .infinity)
        XCTAssertEqual(message.color, .green)
        XCTAssertEqual(message.colors, [.red, .unspecified])
        XCTAssertEqual(message.fBytes, Data([0xFF, 0xEF]), "URL-safe base64 without padding")
        XCTAssertEqual(message.blobs, [Data([1]), Data([1])])
        XCTAssertEqual(message.renamed, 7, "the json_name the proto gives")
        XCTAssertTrue(message.hasMaybeInt32, "an optional set to its default is present")
    }

    func testNullLeavesAFieldUnsetExceptAValueWhereItIsNull() throws {
        let message = try Gongzhi_Test_V1_Shapes(
            serializedBytes: try encode(
                #"{"f_string": null, "inner": null, "strings": null, "labels": null, "value": null, "choice_text": null, "choice_number": 3}"#,
                as: shapes
            )
        )
        XCTAssertFalse(message.hasInner)
        XCTAssertEqual(message.fString, "")
        XCTAssertTrue(message.hasValue)
        XCTAssertEqual(message.value.kind, .nullValue(.nullValue))
        XCTAssertEqual(message.choice, .choiceNumber(3), "a null member of a oneof does not count as set")
    }

    func testAnEmptyRequestIsEmptyBytes() throws {
        XCTAssertEqual(try encode("{}", as: shapes), [])
        XCTAssertEqual(try encode(#"{"f_int32": 0, "f_string": "", "color": "COLOR_UNSPECIFIED"}"#, as: shapes), [])
    }

    // MARK: What it refuses, and where

    func testAFieldThatIsNotANumberIsNamedByItsPath() {
        XCTAssertEqual(
            problem(#"{"point":{"longitude":"abc","latitude":30.276}}"#, as: locate, pool: CodecFixtures.grid),
            #"point.longitude: expected a number, not "abc""#
        )
    }

    func testAnUnknownFieldIsNamedWithTheNearestName() {
        XCTAssertEqual(
            problem(#"{"point":{"lat":30.276}}"#, as: locate, pool: CodecFixtures.grid),
            #"point: unknown field "lat" in gongzhi.core.v1.Point (did you mean latitude?)"#
        )
        XCTAssertEqual(
            problem(#"{"pont":{}}"#, as: locate, pool: CodecFixtures.grid),
            #"unknown field "pont" in gongzhi.grid.v1.LocateRequest (did you mean point?)"#
        )
        XCTAssertEqual(
            problem(#"{"f_strnig": "x"}"#),
            #"unknown field "f_strnig" in gongzhi.test.v1.Shapes (did you mean f_string?)"#
        )
        XCTAssertEqual(
            problem(#"{"inner": {"zzz": 1}}"#),
            #"inner: unknown field "zzz" in gongzhi.test.v1.Shapes.Inner (its fields: name, count, child)"#
        )
    }

    func testProblemsDeepInListsAndMapsNameTheItemAndTheKey() {
        XCTAssertEqual(
            problem(#"{"inners": [{}, {"child": {"count": "many"}}]}"#),
            #"inners[1].child.count: expected a whole number, not "many""#
        )
        XCTAssertEqual(
            problem(#"{"by_number": {"7": {"count": 1.5}}}"#),
            #"by_number["7"].count: expected a whole number, not 1.5"#
        )
        XCTAssertEqual(
            problem(#"{"by_number": {"seven": {}}}"#),
            #"by_number["seven"]: expected a whole number, not "seven""#
        )
        XCTAssertEqual(
            problem(#"{"by_flag": {"yes": "RED"}}"#),
            #"by_flag["yes"]: a key of this map must be "true" or "false""#
        )
        XCTAssertEqual(problem(#"{"labels": {"a": null}}"#), #"labels["a"]: expected a string, not null"#)
        XCTAssertEqual(problem(#"{"strings": ["a", 2]}"#), #"strings[1]: expected a string, not 2"#)
        XCTAssertEqual(problem(#"{"strings": "a"}"#), #"strings: expected a list, not "a""#)
        XCTAssertEqual(
            problem(#"{"labels": ["a"]}"#),
            #"labels: expected an object (a map from string keys), not a list"#
        )
    }

    func testNumbersOutOfTheirTypesRangeAreRefusedWithTheRange() {
        XCTAssertEqual(
            problem(#"{"f_int32": 2147483648}"#),
            "f_int32: expected a whole number from -2147483648 to 2147483647 (int32), not 2147483648"
        )
        XCTAssertEqual(
            problem(#"{"f_uint32": -1}"#),
            "f_uint32: expected a whole number from 0 to 4294967295 (uint32), not -1"
        )
        XCTAssertEqual(
            problem(#"{"f_int64": "9223372036854775808"}"#),
            #"f_int64: expected a whole number from -9223372036854775808 to 9223372036854775807 (int64), not "9223372036854775808""#
        )
        XCTAssertEqual(
            problem(#"{"f_fixed64": 18446744073709551616}"#),
            "f_fixed64: expected a whole number from 0 to 18446744073709551615 (fixed64), not 18446744073709551616"
        )
        XCTAssertEqual(problem(#"{"f_float": 1e39}"#), "f_float: 1e39 is too large for a float")
        XCTAssertEqual(problem(#"{"f_double": 1e999}"#), "f_double: 1e999 is too large for a double")
        XCTAssertEqual(problem(#"{"f_int32": "12abc"}"#), #"f_int32: expected a whole number, not "12abc""#)
    }

    func testOtherScalarsAndEnumsSayWhatTheyExpect() {
        XCTAssertEqual(problem(#"{"f_bool": "true"}"#), #"f_bool: expected true or false, not "true""#)
        XCTAssertEqual(problem(#"{"f_string": 5}"#), "f_string: expected a string, not 5")
        XCTAssertEqual(
            problem(#"{"f_bytes": "not base64!"}"#),
            #"f_bytes: expected bytes in base64 text, not "not base64!""#
        )
        XCTAssertEqual(
            problem(#"{"color": "GREN"}"#),
            #"color: "GREN" is not a value of gongzhi.test.v1.Shapes.Color (did you mean GREEN?)"#
        )
        XCTAssertEqual(
            problem(#"{"color": "BLUE"}"#),
            #"color: "BLUE" is not a value of gongzhi.test.v1.Shapes.Color (its values: COLOR_UNSPECIFIED, RED, GREEN)"#
        )
        XCTAssertEqual(
            problem(#"{"color": true}"#),
            "color: expected one of gongzhi.test.v1.Shapes.Color's value names, not true"
        )
        XCTAssertEqual(problem(#"{"inner": 3}"#), "inner: expected an object (a gongzhi.test.v1.Shapes.Inner), not 3")
        XCTAssertEqual(problem("[]"), "expected an object (a gongzhi.test.v1.Shapes), not a list")
    }

    func testAOneofTakesOneMemberAndAFieldIsGivenOnce() {
        XCTAssertEqual(
            problem(#"{"choice_text": "a", "choiceNumber": 1}"#),
            #""choice_text" and "choiceNumber" are both in the oneof choice of gongzhi.test.v1.Shapes; set one of them"#
        )
        XCTAssertEqual(
            problem(#"{"f_string": "a", "fString": "b"}"#),
            #"fString: the same field as "f_string"; give it once"#
        )
    }

    func testWellKnownTypesAreRefusedWithTheirJSONForm() {
        XCTAssertEqual(
            problem(#"{"at": "yesterday"}"#),
            #"at: expected a time in RFC 3339 form such as "2025-11-21T15:00:00Z" or "2025-11-21T23:00:00+08:00", not "yesterday""#
        )
        XCTAssertEqual(
            problem(#"{"took": 90}"#),
            #"took: expected a duration in seconds such as "90s" or "0.250s", not 90"#
        )
        XCTAssertEqual(
            problem(#"{"nothing": {"a": 1}}"#),
            #"nothing: unknown field "a" in google.protobuf.Empty (it has no fields)"#
        )
        XCTAssertEqual(problem(#"{"wrapped_bool": "no"}"#), #"wrapped_bool: expected true or false, not "no""#)
        XCTAssertEqual(
            problem(#"{"anything": {"name": "x"}}"#),
            #"anything: a google.protobuf.Any needs "@type", the type URL of its message (such as "type.googleapis.com/gongzhi.core.v1.Point")"#
        )
        XCTAssertEqual(
            problem(#"{"anything": {"@type": "type.googleapis.com/acme.Unknown"}}"#),
            #"anything.@type: the service's descriptors do not define acme.Unknown, which "type.googleapis.com/acme.Unknown" names"#
        )
        XCTAssertEqual(
            problem(#"{"anything": {"@type": "type.googleapis.com/gongzhi.test.v1.Shapes.Inner", "nmae": "x"}}"#),
            #"anything: unknown field "nmae" in gongzhi.test.v1.Shapes.Inner (did you mean name?)"#
        )
    }

    func testAProblemKnowsItsLine() throws {
        let value = try JSONText.value("{\n  \"inner\": {\n    \"count\": \"x\"\n  }\n}")
        XCTAssertThrowsError(try JSONToBinary(pool: CodecFixtures.shapes).encode(value, messageName: shapes)) { error in
            XCTAssertEqual((error as? CodecProblem)?.line, 3)
            XCTAssertEqual((error as? CodecProblem)?.path, "inner.count")
        }
    }

    func testAMessageTheDescriptorsDoNotDefineIsNamed() {
        XCTAssertEqual(problem("{}", as: "acme.v1.Missing"), "the service's descriptors do not define acme.v1.Missing")
    }

    // MARK: Reading bytes

    func testDefaultsAreLeftOutUnlessTheFieldHasPresence() throws {
        var message = Gongzhi_Test_V1_Shapes()
        message.fInt32 = 0
        message.maybeText = ""
        message.choiceColor = .unspecified
        message.inner = Gongzhi_Test_V1_Shapes.Inner()
        XCTAssertEqual(
            try decode(message),
            #"{"inner":{},"choice_color":"COLOR_UNSPECIFIED","maybe_text":""}"#
        )
        XCTAssertEqual(
            try decode(message, jsonNames: true),
            #"{"inner":{},"choiceColor":"COLOR_UNSPECIFIED","maybeText":""}"#
        )
    }

    func testFieldsTheDescriptorsDoNotDefineAreLeftOutWithANote() throws {
        var bytes: [UInt8] = try Gongzhi_Test_V1_Shapes.with { $0.fString = "kept" }.serializedBytes()
        var writer = WireWriter()
        writer.field(99, .varint(5))
        writer.field(98, .lengthDelimited([1, 2, 3]))
        // Field 1 (a double) sent as a varint: not its type.
        writer.field(1, .varint(7))
        bytes += writer.bytes
        let decoded = try BinaryToJSON(pool: CodecFixtures.shapes).decode(bytes, messageName: shapes)
        XCTAssertEqual(JSONText.compact(decoded.json), #"{"f_string":"kept"}"#)
        XCTAssertEqual(
            decoded.notes,
            [
                "the answer holds field 99 of gongzhi.test.v1.Shapes, which the service's descriptors do not define "
                    + "(is the plugin newer?); it is left out",
                "the answer holds field 98 of gongzhi.test.v1.Shapes, which the service's descriptors do not define "
                    + "(is the plugin newer?); it is left out",
                "field f_double of gongzhi.test.v1.Shapes came as wire type 0, which is not its type's; it is left out",
            ]
        )
    }

    func testListsAreReadPackedOrNotWhateverTheProtoSays() throws {
        var writer = WireWriter()
        // packed_int32 (20) unpacked, unpacked_int32 (24) packed.
        writer.field(20, .varint(1))
        writer.field(20, .varint(UInt64(bitPattern: -2)))
        var packed = WireWriter()
        packed.varint(3)
        packed.varint(4)
        writer.field(24, .lengthDelimited(packed.bytes[...]))
        writer.field(24, .varint(5))
        let message = try Gongzhi_Test_V1_Shapes(serializedBytes: writer.bytes)
        XCTAssertEqual(message.packedInt32, [1, -2])
        XCTAssertEqual(message.unpackedInt32, [3, 4, 5])
        let decoded = try BinaryToJSON(pool: CodecFixtures.shapes).decode(writer.bytes, messageName: shapes)
        XCTAssertEqual(JSONText.compact(decoded.json), #"{"packed_int32":[1,-2],"unpacked_int32":[3,4,5]}"#)
    }

    func testAMessageThatComesTwiceIsMergedAndTheLastScalarAndOneofMemberWin() throws {
        let named: [UInt8] = try Gongzhi_Test_V1_Shapes.Inner.with { $0.name = "a" }.serializedBytes()
        let counted: [UInt8] = try Gongzhi_Test_V1_Shapes.Inner.with { $0.count = 2 }.serializedBytes()
        var writer = WireWriter()
        writer.field(17, .lengthDelimited(named[...]))
        writer.field(14, .lengthDelimited(ArraySlice("first".utf8)))
        writer.field(17, .lengthDelimited(counted[...]))
        writer.field(14, .lengthDelimited(ArraySlice("second".utf8)))
        writer.field(40, .lengthDelimited(ArraySlice("text".utf8)))
        writer.field(42, .varint(9))
        let decoded = try BinaryToJSON(pool: CodecFixtures.shapes).decode(writer.bytes, messageName: shapes)
        XCTAssertEqual(
            JSONText.compact(decoded.json),
            #"{"f_string":"second","inner":{"name":"a","count":2},"choice_number":"9"}"#
        )
        let reference = try Gongzhi_Test_V1_Shapes(serializedBytes: writer.bytes)
        XCTAssertEqual(reference.choice, .choiceNumber(9))
        XCTAssertEqual(reference.inner.name, "a")
    }

    func testBrokenBytesAreRefusedAndRandomBytesNeverCrash() throws {
        let valid: [UInt8] = try CodecFixtures.everyShape().serializedBytes()
        XCTAssertThrowsError(
            try BinaryToJSON(pool: CodecFixtures.shapes).decode(Array(valid.dropLast(3)), messageName: shapes)
        ) { error in
            XCTAssertTrue(
                (error as? CodecProblem)?.description.contains("are not a valid") == true,
                "\(error)"
            )
        }
        var random = SplitMix64(seed: 20_251_122)
        var decodedSome = 0
        for round in 0..<2000 {
            var bytes = valid
            // Flip, cut or fill: most results are broken, some are other valid messages.
            switch round % 3 {
            case 0: bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: random.next())
            case 1: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            default: bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            if (try? BinaryToJSON(pool: CodecFixtures.shapes).decode(bytes, messageName: shapes)) != nil {
                decodedSome += 1
            }
        }
        XCTAssertGreaterThan(decodedSome, 0)
    }

    func testAnAnyOfATypeTheDescriptorsDoNotDefineIsShownAsBytes() throws {
        var message = Gongzhi_Test_V1_Shapes()
        message.anything.typeURL = "type.googleapis.com/acme.v1.Secret"
        message.anything.value = Data([1, 2, 3])
        let decoded = try BinaryToJSON(pool: CodecFixtures.shapes)
            .decode(try message.serializedBytes(), messageName: shapes)
        XCTAssertEqual(
            JSONText.compact(decoded.json),
            #"{"anything":{"@type":"type.googleapis.com/acme.v1.Secret","@value":"AQID"}}"#
        )
        XCTAssertEqual(
            decoded.notes,
            [
                #"anything is an Any of acme.v1.Secret, which the service's descriptors do not define; shown as "@value" in base64"#
            ]
        )
    }

    // MARK: Descriptors

    func testThePoolKnowsNamesPresencePackingAndSensitiveFields() throws {
        let pool = CodecFixtures.shapes
        let message = try XCTUnwrap(pool.messages[shapes])
        XCTAssertEqual(message.field(named: "posted_by")?.name, nil)
        XCTAssertEqual(message.field(named: "f_string")?.number, 14)
        XCTAssertEqual(message.field(named: "fString")?.number, 14)
        XCTAssertEqual(message.field(named: "alias")?.number, 48)
        XCTAssertEqual(message.field(named: "renamed")?.number, 48)
        XCTAssertEqual(message.fields.map(\.number), message.fields.map(\.number).sorted())
        XCTAssertEqual(message.field(number: 47)?.isSensitive, true)
        XCTAssertEqual(message.field(number: 14)?.isSensitive, false)
        XCTAssertEqual(message.field(number: 20)?.isPacked, true)
        XCTAssertEqual(message.field(number: 24)?.isPacked, false)
        XCTAssertEqual(message.field(number: 44)?.hasPresence, true, "proto3 optional")
        XCTAssertEqual(message.field(number: 44)?.oneof, nil, "its oneof is not a real one")
        XCTAssertEqual(message.field(number: 41)?.oneof, 0)
        XCTAssertEqual(message.field(number: 3)?.hasPresence, false)
        XCTAssertEqual(message.oneofNames, [0: "choice"])
        XCTAssertNotNil(pool.mapEntry(of: try XCTUnwrap(message.field(number: 31))))
        XCTAssertNil(pool.mapEntry(of: try XCTUnwrap(message.field(number: 28))))
        XCTAssertEqual(pool.enums["gongzhi.test.v1.Shapes.Color"]?.name(of: 2), "GREEN")
        XCTAssertEqual(CodecFixtures.grid.messages["gongzhi.grid.v1.Reporter"]?.field(number: 2)?.isSensitive, true)
        XCTAssertThrowsError(try DescriptorPool(fileDescriptorSet: Data([0xFF, 0xFF])))
    }
}
