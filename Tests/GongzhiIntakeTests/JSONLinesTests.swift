import GongzhiIntake
import XCTest

final class JSONLinesTests: XCTestCase {
    func testEachLineIsARecordWithItsNumber() throws {
        let records = try JSONLines.records(
            "{\"工单编号\":\"GD1\",\"纬度\":30.27,\"紧急\":true,\"备注\":null}\r\n\n{\"工单编号\":\"GD2\"}\n",
            firstLine: 101
        )
        XCTAssertEqual(records.map(\.line), [101, 103])
        XCTAssertEqual(records[0].fields, ["工单编号": "GD1", "纬度": "30.27", "紧急": "true"])
    }

    func testABadLineIsNamed() {
        XCTAssertThrowsError(try JSONLines.records("{\"a\":1}\n{\"a\":}\n")) { error in
            XCTAssertEqual(
                error as? InputError,
                InputError(code: "json.syntax", message: "expected a value, found '}'", line: 2, column: 6)
            )
        }
        XCTAssertThrowsError(try JSONLines.records("[1]")) { error in
            XCTAssertEqual((error as? InputError)?.code, "json.type")
        }
        XCTAssertThrowsError(try JSONLines.records("{\"a\":{\"b\":1}}")) { error in
            XCTAssertEqual((error as? InputError)?.code, "field.type")
            XCTAssertEqual((error as? InputError)?.column, 6)
        }
    }
}
