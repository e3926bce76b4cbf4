import GongzhiDocuments
import XCTest

/// JSON's string escapes, both ways.
final class JSONStringTests: XCTestCase {
    private func decode(_ text: String) throws(JSONString.DecodingError) -> (String, end: Int) {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(JSONString.DecodingError) in
            var index = 1
            let decoded = try JSONString.decode(buffer, from: &index)
            return (decoded, index)
        }
    }

    func testWritingEscapesWhatMustBe() {
        XCTAssertEqual(JSONString.quoted("plain 网格 🏠"), "\"plain 网格 🏠\"")
        XCTAssertEqual(
            JSONString.quoted("q\"b\\n\nr\rt\tb\u{8}f\u{C}"),
            #""q\"b\\n\nr\rt\tb\bf\f""#
        )
        XCTAssertEqual(
            JSONString.quoted("\u{1}\u{1F}\u{7F}\u{9F}\u{2028}\u{2029}\u{FEFF}/"),
            #""\u0001\u001F\u007F\u009F\u2028\u2029\uFEFF/""#
        )
    }

    func testDecodingReadsBackWhatWritingWrote() throws {
        for text in ["", "a", "quote\"d", "back\\slash", "one\ntwo\tthree\r", "\u{01}\u{1F}", "网格 ✓ 🏠", "\u{2028}"] {
            let written = JSONString.quoted(text)
            let (decoded, end) = try decode(written)
            XCTAssertEqual(decoded, text)
            XCTAssertEqual(end, written.utf8.count, "the index is past the closing quote")
        }
    }

    func testDecodingStopsAtTheClosingQuote() throws {
        let (decoded, end) = try decode(#""a\/b\u00e9\ud83d\ude00","next""#)
        XCTAssertEqual(decoded, "a/bé😀")
        XCTAssertEqual(end, 24)
    }

    func testDecodingErrorsSayWhereAndWhy() {
        let cases: [(String, JSONString.DecodingError)] = [
            ("\"abc", .init(offset: 4, problem: "the text ends inside a string")),
            ("\"ab\\", .init(offset: 4, problem: "the text ends inside a string")),
            ("\"a\\qb\"", .init(offset: 2, problem: "unknown escape '\\q' in a string")),
            ("\"a\nb\"", .init(offset: 2, problem: "a string runs past the end of the line (a missing '\"'?)")),
            ("\"a\u{0}b\"", .init(offset: 2, problem: "a control character in a string must be escaped")),
            ("\"\\u00g0\"", .init(offset: 5, problem: "expected four hex digits after \\u")),
            (
                "\"\\ud83dx\"",
                .init(offset: 7, problem: "a \\u escape of a high surrogate must be followed by a low one")
            ),
            (
                "\"\\ud83d\\u0041\"",
                .init(offset: 13, problem: "a \\u escape of a high surrogate must be followed by a low one")
            ),
            ("\"\\ude00\"", .init(offset: 7, problem: "a \\u escape of a low surrogate must follow a high one")),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try decode(text), text) { error in
                XCTAssertEqual(error as? JSONString.DecodingError, expected, text)
            }
        }
    }
}
