import GongzhiIntake
import XCTest

final class CSVDocumentTests: XCTestCase {
    private func refusal(_ text: String) -> InputError? {
        do {
            _ = try CSVDocument.records(text)
            return nil
        } catch {
            return error
        }
    }

    func testQuotesCommasAndDoubledQuotes() throws {
        let records = try CSVDocument.records("a,\"b,c\",\"say \"\"hi\"\"\",\"\"\n1,2,3,4\n")
        XCTAssertEqual(
            records,
            [
                CSVRecord(fields: ["a", "b,c", "say \"hi\"", ""], line: 1),
                CSVRecord(fields: ["1", "2", "3", "4"], line: 2),
            ]
        )
    }

    func testCRLFAndAMultiLineFieldKeepTheLinesOfTheirRecords() throws {
        let records = try CSVDocument.records("工单编号,诉求内容\r\nGD1,\"第一行\r\n第二行\"\r\nGD2,短\r\n")
        XCTAssertEqual(records.map(\.line), [1, 2, 4])
        XCTAssertEqual(records[1].fields, ["GD1", "第一行\r\n第二行"])
        XCTAssertEqual(records[2].fields, ["GD2", "短"])
    }

    func testAByteOrderMarkIsIgnoredAndBlankLinesSkipped() throws {
        let records = try CSVDocument.records("\u{FEFF}id,name\n\n1,x\n\n", firstLine: 10)
        XCTAssertEqual(
            records,
            [CSVRecord(fields: ["id", "name"], line: 10), CSVRecord(fields: ["1", "x"], line: 12)]
        )
        XCTAssertEqual(try CSVDocument.records("a,b"), [CSVRecord(fields: ["a", "b"], line: 1)])
        XCTAssertEqual(try CSVDocument.records("\"\"\n"), [CSVRecord(fields: [""], line: 1)])
    }

    func testAnUnbalancedQuoteNamesTheLineItOpensOn() {
        let error = refusal("id,text\n1,ok\n2,\"never closed\n3,more\n4,still\n")
        XCTAssertEqual(error?.code, "csv.quote")
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.column, 3)
        XCTAssertEqual(
            error?.description,
            "line 3, column 3: a quoted field opened here is never closed; the file ends inside it"
        )
    }

    func testStrayQuotesAreRefused() {
        let inside = refusal("id,text\n1,5\"6\n")
        XCTAssertEqual(inside?.code, "csv.quote")
        XCTAssertEqual(inside?.line, 2)
        XCTAssertEqual(inside?.column, 4)
        let after = refusal("id,text\r\n1,\"a\"b\r\n")
        XCTAssertEqual(after?.line, 2)
        XCTAssertEqual(after?.column, 6)
    }

    func testATableReadsRowsByColumnName() throws {
        let table = try CSVTable.parse("\u{FEFF} 工单编号 ,诉求分类\r\nGD1,道路积水\r\n")
        XCTAssertEqual(table.header, ["工单编号", "诉求分类"])
        XCTAssertEqual(table.fields(of: table.rows[0]), ["工单编号": "GD1", "诉求分类": "道路积水"])
        XCTAssertThrowsError(try CSVTable.parse("a,b\n1,2,3\n")) { error in
            XCTAssertEqual(
                error as? InputError,
                InputError(code: "csv.fields", message: "the record has 3 fields, the header 2", line: 2)
            )
        }
        XCTAssertThrowsError(try CSVTable.parse("a,a\n")) { error in
            XCTAssertEqual((error as? InputError)?.code, "csv.header")
        }
        XCTAssertThrowsError(try CSVTable.parse("")) { error in
            XCTAssertEqual((error as? InputError)?.code, "csv.header")
        }
    }
}
