import GongzhiIntake
import XCTest

final class JSONDocumentTests: XCTestCase {
    func testPositionsAndEscapes() throws {
        let node = try JSONDocument.parse("{\n  \"a\": [1, \"\\u00e9\\ud83d\\ude00\\n\"],\n  \"b\": -0.5e2\n}")
        XCTAssertEqual(node["a"]?.line, 2)
        XCTAssertEqual(node["a"]?.column, 8)
        guard case .array(let elements)? = node["a"]?.value else { return XCTFail("not an array") }
        XCTAssertEqual(elements[1].value, .string("é😀\n"))
        XCTAssertEqual(node["b"]?.value, .number(-50, text: "-0.5e2"))
    }

    func testErrors() {
        func code(_ text: String) -> String? {
            do {
                _ = try JSONDocument.parse(text)
                return nil
            } catch {
                return error.code
            }
        }
        XCTAssertEqual(code("{\"a\":1,\"a\":2}"), "json.duplicate_key")
        XCTAssertEqual(code("01"), "json.syntax")
        XCTAssertEqual(code("\"tab\there\""), "json.syntax")
        XCTAssertEqual(code("[1] x"), "json.syntax")
        XCTAssertEqual(code("\"\\ud83d\""), "json.syntax")
        XCTAssertEqual(code(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)), "json.syntax")
        XCTAssertNil(code(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
        XCTAssertEqual(code(""), "json.syntax")
    }
}
