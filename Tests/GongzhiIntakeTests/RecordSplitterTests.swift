import GongzhiIntake
import XCTest

final class RecordSplitterTests: XCTestCase {
    /// The records of `text` fed in pieces of `size` bytes (the whole text at once when nil).
    private func split(_ text: String, format: RecordSplitter.Format = .csv, pieces size: Int? = nil) -> [RawRecord] {
        let bytes = Array(text.utf8)
        var splitter = RecordSplitter(format: format)
        var records: [RawRecord] = []
        var offset = 0
        let step = size ?? max(bytes.count, 1)
        while offset < bytes.count {
            records += splitter.split(bytes[offset..<min(bytes.count, offset + step)])
            offset += step
        }
        return records + splitter.finish()
    }

    private func texts(_ records: [RawRecord]) -> [String] {
        records.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    func testAQuotedFieldKeepsItsLineBreaksAndEachRecordItsFirstLine() {
        let text = "工单编号,诉求内容\r\nGD1,\"第一行\r\n第二行\"\r\nGD2,短\r\nGD3,\"a\nb\nc\"\nGD4,x"
        let records = split(text)
        XCTAssertEqual(
            texts(records),
            ["工单编号,诉求内容", "GD1,\"第一行\r\n第二行\"", "GD2,短", "GD3,\"a\nb\nc\"", "GD4,x"]
        )
        XCTAssertEqual(records.map(\.line), [1, 2, 4, 5, 8])
        XCTAssertEqual(records.map(\.unclosedQuote), [false, false, false, false, false])
    }

    func testPiecesOfAnySizeGiveTheSameRecords() {
        let text = "\u{FEFF}id,\"说明\"\r\n1,\"含,逗号\"\"和引号\"\"\r\n跨行\"\r\n\r\n2,\"\"\n3,末尾"
        let whole = split(text)
        XCTAssertEqual(whole.count, 4)
        for size in [1, 2, 3, 5, 7, 64] {
            XCTAssertEqual(split(text, pieces: size), whole, "pieces of \(size) bytes")
        }
        XCTAssertEqual(texts(whole).first, "id,\"说明\"", "the byte order mark is dropped, even fed a byte at a time")
    }

    func testEachRecordParsesAsTheWholeDocumentsRecordDoes() throws {
        let text = "a,b,c\n\"x\ny\",\"\"\"q\"\"\",z\r\n\n,,\n\"end\",2,3\n"
        let whole = try CSVDocument.records(text)
        let records = split(text)
        XCTAssertEqual(records.count, whole.count)
        for (raw, expected) in zip(records, whole) {
            let parsed = try CSVDocument.records(String(decoding: raw.bytes, as: UTF8.self), firstLine: raw.line)
            XCTAssertEqual(parsed, [expected])
        }
    }

    func testAQuoteNeverClosedMakesTheRestOfTheFileOneFlaggedRecord() {
        let records = split("id,note\n1,ok\n2,\"never closed\n3,x\n4,y\n")
        XCTAssertEqual(texts(records), ["id,note", "1,ok", "2,\"never closed\n3,x\n4,y\n"])
        XCTAssertEqual(records.map(\.line), [1, 2, 3])
        XCTAssertEqual(records.map(\.unclosedQuote), [false, false, true])
        // Closed at the very end of the file: not flagged.
        XCTAssertEqual(split("1,\"a\nb\"").map(\.unclosedQuote), [false])
    }

    func testAQuoteInsideAnUnquotedFieldOpensNothing() {
        // The CSV reader refuses such a record with its line; the splitter keeps the records apart.
        let records = split("1,5\" pipe,x\n2,y\n3,\"ok\"tail\n4,z\n")
        XCTAssertEqual(texts(records), ["1,5\" pipe,x", "2,y", "3,\"ok\"tail", "4,z"])
        XCTAssertEqual(records.map(\.line), [1, 2, 3, 4])
    }

    func testJSONLinesAreOneRecordALineWhateverTheirQuotes() {
        let text = "\u{FEFF}{\"a\": \"x\"}\r\n\n{\"b\": \"unclosed}\n{\"c\": 3}"
        let records = split(text, format: .lines)
        XCTAssertEqual(texts(records), ["{\"a\": \"x\"}", "{\"b\": \"unclosed}", "{\"c\": 3}"])
        XCTAssertEqual(records.map(\.line), [1, 3, 4])
        XCTAssertEqual(split(text, format: .lines, pieces: 1), records)
    }

    func testNothingButABlankOrAByteOrderMarkHoldsNoRecords() {
        XCTAssertEqual(split(""), [])
        XCTAssertEqual(split("\u{FEFF}"), [])
        XCTAssertEqual(split("\n\r\n\r"), [])
        XCTAssertEqual(split("\u{FEFF}", pieces: 1), [])
        // Two bytes that start like a byte order mark but are not one are kept.
        var splitter = RecordSplitter(format: .lines)
        XCTAssertEqual(splitter.split([0xEF, 0xBB, 0x41]), [])
        XCTAssertEqual(splitter.finish(), [RawRecord(bytes: [0xEF, 0xBB, 0x41], line: 1)])
    }

    func testLoneCarriageReturnsEndRecordsAndLines() {
        let records = split("a\rb\r\"c\rd\"\re")
        XCTAssertEqual(texts(records), ["a", "b", "\"c\rd\"", "e"])
        XCTAssertEqual(records.map(\.line), [1, 2, 3, 5])
    }
}
