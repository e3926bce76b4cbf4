import GongzhiDocuments
import XCTest

/// Values as read: what they are called in messages, and what YAML's plain scalars become.
final class SourceValueTests: XCTestCase {
    func testPlainScalarsTakeTheirYAMLMeaning() {
        XCTAssertTrue(["", "~", "null", "Null", "NULL"].allSatisfy(PlainScalar.isNull))
        XCTAssertFalse(PlainScalar.isNull("nil"))
        XCTAssertEqual(["yes", "On", "TRUE", "y"].map(PlainScalar.bool), [true, true, true, true])
        XCTAssertEqual(["no", "off", "False", "N"].map(PlainScalar.bool), [false, false, false, false])
        XCTAssertNil(PlainScalar.bool("maybe"))
        XCTAssertTrue(PlainScalar.isNumber("-1.5e3"))
        XCTAssertFalse(PlainScalar.isNumber("1_000"))
        XCTAssertFalse(PlainScalar.isNumber("0x1F"))
        let values = ["~", "yes", "18", "0x1F", "西溪"].map { SourceValue(.plain($0), line: 1).json }
        XCTAssertEqual(JSONText.compact(.array(values)), #"[null,true,18,"0x1F","西溪"]"#)
    }

    func testDescriptionsAndAccessors() {
        let plain = SourceValue(.plain("1101"), line: 4)
        XCTAssertEqual(plain.typeDescription, "`1101`")
        XCTAssertEqual(plain.text, "1101", "a plain scalar is text where text is expected")
        XCTAssertNil(plain.string, "but not a JSON string")
        XCTAssertFalse(plain.isNull)
        XCTAssertTrue(SourceValue(.plain("~"), line: 1).isNull)
        XCTAssertEqual(SourceValue(.array([]), line: 1).typeDescription, "a list")
        XCTAssertEqual(SourceValue(.object([]), line: 1).typeDescription, "an object")
        XCTAssertNil(SourceValue(.string("1"), line: 1).number)
        XCTAssertEqual(SourceValue(.number("2.5"), line: 1).number, 2.5)
    }
}
