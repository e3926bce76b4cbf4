import GongzhiDocuments
import XCTest

/// The line-aware JSON reader and the writer.
final class JSONTextTests: XCTestCase {
    private func error(_ text: String, maximumDepth: Int = JSONText.defaultMaximumDepth) -> JSONText.SyntaxError? {
        do {
            _ = try JSONText.value(in: Array(text.utf8), maximumDepth: maximumDepth)
            return nil
        } catch {
            return error
        }
    }

    func testValuesAndLines() throws {
        let text = """
            {
              "a": [1, -2.5e3, true, false, null],
              "b": "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 网格",
              "c": {}
            }
            """
        let value = try JSONText.value(text)
        XCTAssertEqual(value.line, 1)
        XCTAssertEqual(value["a"]?.line, 2)
        XCTAssertEqual(
            value["a"]?.array?.map(\.typeDescription),
            ["a number", "a number", "a boolean", "a boolean", "null"]
        )
        XCTAssertEqual(value["a"]?.array?[1].number, -2500)
        XCTAssertEqual(value["b"]?.string, "x\"\\/\u{8}\u{c}\n\r\té😀 网格")
        XCTAssertEqual(value["b"]?.line, 3)
        XCTAssertEqual(value["c"]?.isObject, true)
        XCTAssertNil(value["d"])
        guard case .object(let members) = value.content else { return XCTFail("\(value)") }
        XCTAssertEqual(members.map(\.key), ["a", "b", "c"], "keys keep their order")
        XCTAssertEqual(members.map(\.keyLine), [2, 3, 4])
    }

    func testNumbersKeepEveryDigit() throws {
        let value = try JSONText.value("[9007199254740993, -0.10, 1E+2]")
        XCTAssertEqual(JSONText.compact(value.json), "[9007199254740993,-0.10,1E+2]")
    }

    func testJSONLinesAndAByteOrderMark() throws {
        let values = try JSONText.values(in: [0xEF, 0xBB, 0xBF] + Array("{\"a\": 1}\n{\"a\": 2}\n\n[3]".utf8))
        XCTAssertEqual(values.map { JSONText.compact($0.json) }, [#"{"a":1}"#, #"{"a":2}"#, "[3]"])
        XCTAssertEqual(values.map(\.line), [1, 2, 4])
        XCTAssertEqual(try JSONText.values(in: Array(" \n ".utf8)).count, 0)
        XCTAssertEqual(error("{\"a\": 1}\n{\"a\": 2}")?.problem, "unexpected text after the value")
    }

    func testStringsAndNumbers() throws {
        let value = try JSONText.value(
            #"{"a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "b": -1.5e3, "c": [true, false, null]}"#
        )
        XCTAssertEqual(
            JSONText.compact(value.json),
            #"{"a":"x\"\\/\b\f\n\r\té😀","b":-1.5e3,"c":[true,false,null]}"#
        )
        for (bad, expected) in [
            ("01", JSONText.SyntaxError(line: 1, column: 1, problem: "a number cannot start with 0")),
            ("{\"a\": 1, \"a\": 2}", .init(line: 1, column: 10, problem: "the key \"a\" appears twice")),
            ("\"\\x\"", .init(line: 1, column: 2, problem: "unknown escape '\\x' in a string")),
            ("[1,\n 2,\n", .init(line: 3, column: 1, problem: "the text ends where a value should be")),
            (
                "\"\\udc00\"",
                .init(line: 1, column: 8, problem: "a \\u escape of a low surrogate must follow a high one")
            ),
            (
                "tru",
                .init(
                    line: 1,
                    column: 1,
                    problem: "expected a value (an object, list, string, number, true, false or null)"
                )
            ),
        ] {
            XCTAssertThrowsError(try JSONText.value(bad), bad) { error in
                XCTAssertEqual(error as? JSONText.SyntaxError, expected, bad)
            }
        }
    }

    func testSyntaxErrorsGiveLineAndColumn() {
        XCTAssertEqual(error("{\n  \"a\": 1,\n  \"b\": tru\n}")?.line, 3)
        XCTAssertEqual(error("{\n  \"a\": 1,\n  \"b\": tru\n}")?.column, 8)
        XCTAssertEqual(error("[1, 2,]")?.column, 7)
        XCTAssertEqual(error("{\"网格\": 1 2}")?.column, 10, "columns count characters, not bytes")
        XCTAssertEqual(error("{\"网格\": 1 2}")?.problem, "expected ',' or '}' after the value of \"网格\"")
        XCTAssertEqual(error("[116.01 39.91]")?.description, "1:9: expected ',' or ']' after a list item")
        XCTAssertEqual(error("\"abc")?.problem, "the text ends inside a string")
        XCTAssertEqual(error("{\"a\": \"b\nc\"}")?.problem, "a string runs past the end of the line (a missing '\"'?)")
        XCTAssertEqual(error("\"a\tb\"")?.problem, "a control character in a string must be escaped")
        XCTAssertEqual(error("\"\\u12\"")?.problem, "expected four hex digits after \\u")
        XCTAssertEqual(error("\"\\ud83d\"")?.problem, "a \\u escape of a high surrogate must be followed by a low one")
        XCTAssertEqual(error("[01]")?.problem, "a number cannot start with 0")
        XCTAssertEqual(error("-")?.problem, "expected digits after '-'")
        XCTAssertEqual(error("1.")?.problem, "expected digits after the decimal point")
        XCTAssertEqual(error("1e+")?.problem, "expected digits in the exponent")
        XCTAssertEqual(error("[1] x")?.problem, "unexpected text after the value")
        XCTAssertEqual(error("")?.problem, "the text ends where a value should be")
        XCTAssertEqual(error("{\"a\" 1}")?.problem, "expected ':' after the key \"a\"")
        XCTAssertEqual(error("{\"a\": 1,")?.problem, "the text ends inside an object")
        XCTAssertEqual(error("{1: 2}")?.problem, "expected a key in double quotes")
        XCTAssertEqual(error("[1")?.problem, "the text ends inside a list")
    }

    func testInvalidUTF8InAStringIsRefused() {
        XCTAssertThrowsError(try JSONText.value(in: [0x22, 0xC3, 0x28, 0x22])) { error in
            XCTAssertEqual((error as? JSONText.SyntaxError)?.problem, "a string is not valid UTF-8")
        }
    }

    func testNestingIsLimited() {
        XCTAssertNil(error(String(repeating: "[", count: 200) + String(repeating: "]", count: 200)))
        XCTAssertEqual(
            error(String(repeating: "[", count: 600) + String(repeating: "]", count: 600))?.problem,
            "values are nested deeper than 200 levels"
        )
        XCTAssertEqual(
            error(String(repeating: "[", count: 100), maximumDepth: 64)?.description,
            "1:65: values are nested deeper than 64 levels"
        )
    }

    func testWriting() {
        let value = JSONValue.object([
            ("name", .string("西溪\n\"第三\"\u{1}")), ("list", .array([.integer(3), .null, .bool(true)])),
            ("empty", .object([])), ("none", .array([])),
        ])
        XCTAssertEqual(
            JSONText.compact(value),
            #"{"name":"西溪\n\"第三\"\u0001","list":[3,null,true],"empty":{},"none":[]}"#
        )
        XCTAssertEqual(
            JSONText.pretty(value),
            """
            {
              "name": "西溪\\n\\"第三\\"\\u0001",
              "list": [
                3,
                null,
                true
              ],
              "empty": {},
              "none": []
            }
            """
        )
        XCTAssertEqual(value["list"].map(JSONText.compact), "[3,null,true]")
    }
}
