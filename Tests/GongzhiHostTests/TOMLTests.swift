import XCTest

@testable import GongzhiHost

/// The TOML subset: what it reads, and the line numbers of what it refuses.
final class TOMLTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> TOMLDocument {
        do {
            return try TOMLDocument(parsing: text)
        } catch {
            XCTFail("unexpected error: \(error)", file: file, line: line)
            throw error
        }
    }

    private func syntaxError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> TOMLSyntaxError? {
        do {
            let document = try TOMLDocument(parsing: text)
            XCTFail("parsed without an error: \(document.root)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func lookup(_ document: TOMLDocument, _ path: String) -> TOMLValue? {
        var table = document.root
        let keys = path.split(separator: ".").map(String.init)
        for key in keys.dropLast() {
            guard case .table(let child)? = table[key]?.kind else { return nil }
            table = child
        }
        return table[keys.last!]
    }

    private func kind(_ document: TOMLDocument, _ path: String) -> TOMLValue.Kind? {
        lookup(document, path)?.kind
    }

    // MARK: Keys and tables

    func testBareAndQuotedKeys() throws {
        let document = try parse(
            """
            name = "grid"
            bare-key_2 = 1
            "quoted key" = 2
            "a.b" = 3
            'literal' = 4
            123 = 5
            """
        )
        XCTAssertEqual(document.root["name"]?.kind, .string("grid"))
        XCTAssertEqual(document.root["bare-key_2"]?.kind, .integer(1))
        XCTAssertEqual(document.root["quoted key"]?.kind, .integer(2))
        XCTAssertEqual(document.root["a.b"]?.kind, .integer(3), "a quoted dot is part of the key")
        XCTAssertNil(document.root["a"])
        XCTAssertEqual(document.root["literal"]?.kind, .integer(4))
        XCTAssertEqual(document.root["123"]?.kind, .integer(5))
        XCTAssertEqual(document.root.count, 6)
    }

    func testValueLinesAreRecorded() throws {
        let document = try parse("# header\n\na = 1\n  b = \"x\"\n\n\nc = [\n  1,\n]\nd = true")
        XCTAssertEqual(document.root["a"]?.line, 3)
        XCTAssertEqual(document.root["b"]?.line, 4)
        XCTAssertEqual(document.root["c"]?.line, 7)
        XCTAssertEqual(document.root["d"]?.line, 10)
    }

    func testDottedKeys() throws {
        let document = try parse(
            """
            a.b.c = 1
            a.b.d = "two"
            a . e = true
            site."x.y".z = 3
            """
        )
        XCTAssertEqual(kind(document, "a.b.c"), .integer(1))
        XCTAssertEqual(kind(document, "a.b.d"), .string("two"))
        XCTAssertEqual(kind(document, "a.e"), .boolean(true))
        guard case .table(let site)? = document.root["site"]?.kind, case .table(let xy)? = site["x.y"]?.kind else {
            return XCTFail("site.\"x.y\" is not a table: \(document.root)")
        }
        XCTAssertEqual(xy["z"]?.kind, .integer(3))
        guard case .table(let a)? = document.root["a"]?.kind else { return XCTFail("a is not a table") }
        XCTAssertEqual(Set(a.keys), ["b", "e"])
    }

    func testTables() throws {
        let document = try parse(
            """
            top = 0

            [server]
            host = "localhost"
            port = 8080

            [server.tls]
            enabled = false

            [ plugins . grid ]
            grants = []
            [plugins."note-board"]
            enabled = true
            """
        )
        XCTAssertEqual(kind(document, "top"), .integer(0))
        XCTAssertEqual(kind(document, "server.host"), .string("localhost"))
        XCTAssertEqual(kind(document, "server.port"), .integer(8080))
        XCTAssertEqual(kind(document, "server.tls.enabled"), .boolean(false))
        XCTAssertEqual(kind(document, "plugins.grid.grants"), .array([]))
        XCTAssertEqual(kind(document, "plugins.note-board.enabled"), .boolean(true))
        XCTAssertNil(kind(document, "host"), "keys after a header belong to the table")
    }

    func testEmptyTableAndSubTableBeforeParent() throws {
        let document = try parse("[a.b]\nx = 1\n[a]\ny = 2\n[empty]\n")
        XCTAssertEqual(kind(document, "a.b.x"), .integer(1))
        XCTAssertEqual(kind(document, "a.y"), .integer(2))
        XCTAssertEqual(kind(document, "empty"), .table([:]))
    }

    func testInlineTables() throws {
        let document = try parse(
            """
            point = { x = 1, y = -2, label = "p", nested.deep = 'd' }
            empty = {}
            spaced = {  a = [1, 2]  ,  b = { c = true }  }
            """
        )
        XCTAssertEqual(kind(document, "point.x"), .integer(1))
        XCTAssertEqual(kind(document, "point.y"), .integer(-2))
        XCTAssertEqual(kind(document, "point.label"), .string("p"))
        XCTAssertEqual(kind(document, "point.nested.deep"), .string("d"))
        XCTAssertEqual(kind(document, "empty"), .table([:]))
        guard case .array(let items)? = kind(document, "spaced.a") else { return XCTFail("spaced.a") }
        XCTAssertEqual(items.map(\.kind), [.integer(1), .integer(2)])
        XCTAssertEqual(kind(document, "spaced.b.c"), .boolean(true))
        XCTAssertEqual(document.root["point"]?.line, 1)
        XCTAssertEqual(document.root["spaced"]?.line, 3)
    }

    // MARK: Arrays

    func testArraysAcrossLinesWithCommentsAndTrailingComma() throws {
        let document = try parse(
            """
            list = [
                "a",   # the first
                'b',
                # a line of its own
                3,

                -4,
            ]
            after = "still read"
            nested = [[1, 2], ["x"], []]
            one = [ 1 ]
            trailing = [1,2,]
            """
        )
        guard case .array(let list)? = kind(document, "list") else { return XCTFail("list is not an array") }
        XCTAssertEqual(list.map(\.kind), [.string("a"), .string("b"), .integer(3), .integer(-4)])
        XCTAssertEqual(list.map(\.line), [2, 3, 5, 7])
        XCTAssertEqual(document.root["list"]?.line, 1)
        XCTAssertEqual(document.root["after"]?.kind, .string("still read"))
        XCTAssertEqual(document.root["after"]?.line, 9)
        guard case .array(let nested)? = kind(document, "nested") else { return XCTFail("nested") }
        XCTAssertEqual(nested.count, 3)
        XCTAssertEqual(
            nested[0].kind,
            .array([TOMLValue(kind: .integer(1), line: 10), TOMLValue(kind: .integer(2), line: 10)])
        )
        XCTAssertEqual(nested[2].kind, .array([]))
        guard case .array(let one)? = kind(document, "one") else { return XCTFail("one") }
        XCTAssertEqual(one.map(\.kind), [.integer(1)])
        guard case .array(let trailing)? = kind(document, "trailing") else { return XCTFail("trailing") }
        XCTAssertEqual(trailing.map(\.kind), [.integer(1), .integer(2)])
    }

    func testUnclosedArrayFails() {
        let error = syntaxError("a = [1, 2\n")
        XCTAssertNotNil(error)
        XCTAssertTrue(error?.message.contains("array that starts on line 1") ?? false, "\(String(describing: error))")
        XCTAssertNotNil(syntaxError("a = [1 2]"))
    }

    // MARK: Strings

    func testBasicStringEscapes() throws {
        let document = try parse(
            #"""
            s = "tab\there \"quoted\" back\\slash\nnew \u00e9 \U0001F600 \u4e2d \b\f\r end"
            empty = ""
            hash = "not # a comment"
            """#
        )
        XCTAssertEqual(
            document.root["s"]?.kind,
            .string("tab\there \"quoted\" back\\slash\nnew \u{e9} \u{1F600} \u{4e2d} \u{8}\u{c}\r end")
        )
        XCTAssertEqual(document.root["empty"]?.kind, .string(""))
        XCTAssertEqual(document.root["hash"]?.kind, .string("not # a comment"))
    }

    func testUnicodeTextPassesThrough() throws {
        let document = try parse("name = \"公職 ✓\"\n")
        XCTAssertEqual(document.root["name"]?.kind, .string("公職 ✓"))
    }

    func testLiteralStringsKeepBackslashes() throws {
        let document = try parse(
            #"""
            path = 'C:\Users\n\t'
            quote = 'say "hi"'
            empty = ''
            """#
        )
        XCTAssertEqual(document.root["path"]?.kind, .string(#"C:\Users\n\t"#))
        XCTAssertEqual(document.root["quote"]?.kind, .string(#"say "hi""#))
        XCTAssertEqual(document.root["empty"]?.kind, .string(""))
    }

    func testBadEscapesFail() {
        XCTAssertTrue(syntaxError(#"a = "\q""#)?.message.contains("unknown escape") ?? false)
        XCTAssertTrue(syntaxError(#"a = "\uZZZZ""#)?.message.contains("not a valid code point") ?? false)
        XCTAssertTrue(syntaxError(#"a = "\uD800""#)?.message.contains("not a valid code point") ?? false)
    }

    // MARK: Numbers and booleans

    func testIntegers() throws {
        let document = try parse(
            """
            plain = 42
            zero = 0
            negative = -17
            positive = +5
            grouped = 1_000_000
            negative_grouped = -2_500
            big = 9_223_372_036_854_775_807
            """
        )
        XCTAssertEqual(document.root["plain"]?.kind, .integer(42))
        XCTAssertEqual(document.root["zero"]?.kind, .integer(0))
        XCTAssertEqual(document.root["negative"]?.kind, .integer(-17))
        XCTAssertEqual(document.root["positive"]?.kind, .integer(5))
        XCTAssertEqual(document.root["grouped"]?.kind, .integer(1_000_000))
        XCTAssertEqual(document.root["negative_grouped"]?.kind, .integer(-2500))
        XCTAssertEqual(document.root["big"]?.kind, .integer(Int64.max))
    }

    func testFloatsAndBooleans() throws {
        let document = try parse(
            """
            pi = 3.14159
            negative = -0.5
            grouped = 1_000.25
            yes = true
            no = false
            """
        )
        XCTAssertEqual(document.root["pi"]?.kind, .float(3.14159))
        XCTAssertEqual(document.root["negative"]?.kind, .float(-0.5))
        XCTAssertEqual(document.root["grouped"]?.kind, .float(1000.25))
        XCTAssertEqual(document.root["yes"]?.kind, .boolean(true))
        XCTAssertEqual(document.root["no"]?.kind, .boolean(false))
        XCTAssertEqual(document.root["pi"]?.typeName, "a number")
    }

    func testTypeNames() {
        XCTAssertEqual(TOMLValue(kind: .string(""), line: 1).typeName, "a string")
        XCTAssertEqual(TOMLValue(kind: .integer(1), line: 1).typeName, "an integer")
        XCTAssertEqual(TOMLValue(kind: .boolean(true), line: 1).typeName, "a boolean")
        XCTAssertEqual(TOMLValue(kind: .array([]), line: 1).typeName, "an array")
        XCTAssertEqual(TOMLValue(kind: .table([:]), line: 1).typeName, "a table")
    }

    // MARK: Comments and line endings

    func testCommentsAndCRLF() throws {
        let document = try parse("# top\r\na = 1 # trailing\r\n\r\n[t] # header comment\r\nb = 'x'\r\n")
        XCTAssertEqual(document.root["a"]?.kind, .integer(1))
        XCTAssertEqual(kind(document, "t.b"), .string("x"))
        XCTAssertEqual(lookup(document, "t.b")?.line, 5)
    }

    func testEmptyAndCommentOnlyDocuments() throws {
        XCTAssertTrue(try parse("").root.isEmpty)
        XCTAssertTrue(try parse("# only a comment\n\n   \n").root.isEmpty)
    }

    // MARK: Errors

    func testDuplicateKeyNamesTheSecondLine() {
        let error = syntaxError("a = 1\nb = 2\n\na = 3\n")
        XCTAssertEqual(error?.line, 4)
        XCTAssertTrue(error?.message.contains("the key a is set twice") ?? false, "\(String(describing: error))")
    }

    func testDuplicateKeyInsideATableAndThroughDottedKeys() {
        let inTable = syntaxError("[t]\nx = 1\nx = 2\n")
        XCTAssertEqual(inTable?.line, 3)
        XCTAssertTrue(inTable?.message.contains("set twice") ?? false)

        XCTAssertNoThrow(
            try TOMLDocument(parsing: "[t]\nx = 1\n[v]\nt = 5\n"),
            "t under [v] is v.t, not the table t"
        )

        let viaDots = syntaxError("a.b = 1\nc = 2\na.b = 3\n")
        XCTAssertEqual(viaDots?.line, 3)
        XCTAssertTrue(viaDots?.message.contains("the key b is set twice") ?? false)

        let inline = syntaxError("p = { x = 1, x = 2 }\n")
        XCTAssertEqual(inline?.line, 1)
        XCTAssertTrue(inline?.message.contains("set twice") ?? false)
    }

    func testKeyThatIsAlreadyAValueCannotBecomeATable() {
        let header = syntaxError("a = 1\n[a]\nb = 2\n")
        XCTAssertTrue(
            header?.message.contains("a is already an integer, not a table") ?? false,
            "\(String(describing: header))"
        )
        let dotted = syntaxError("a = \"s\"\na.b = 2\n")
        XCTAssertEqual(dotted?.line, 2)
        XCTAssertTrue(dotted?.message.contains("a is already a string, not a table") ?? false)
    }

    func testDuplicateTableHeaderMessage() {
        // Ends without a newline after the second header, where the line is right either way.
        let error = syntaxError("[a]\nx = 1\n\n[a]")
        XCTAssertEqual(error?.line, 4)
        XCTAssertTrue(error?.message.contains("table [a] is defined twice") ?? false, "\(String(describing: error))")
        let dotted = syntaxError("[a.b]\n[a.b]")
        XCTAssertTrue(dotted?.message.contains("table [a.b] is defined twice") ?? false)
    }

    func testDuplicateTableHeaderNamesItsLine() throws {
        let error = syntaxError("[a]\nx = 1\n[a]\ny = 2\n")
        XCTAssertTrue(error?.message.contains("table [a] is defined twice") ?? false, "\(String(describing: error))")
        XCTAssertEqual(error?.line, 3)
    }

    func testTableHeaderValueRecordsItsLine() throws {
        let document = try parse("x = 1\n[server]\nport = 1\n")
        XCTAssertEqual(lookup(document, "server.port")?.line, 3)
        let line = document.root["server"]?.line
        XCTAssertEqual(line, 2)
    }

    func testUnterminatedString() {
        let basic = syntaxError("a = 1\nb = \"no end\nc = 2\n")
        XCTAssertEqual(basic?.line, 2)
        XCTAssertEqual(basic?.message, "unterminated string")
        let literal = syntaxError("a = 1\n\nb = 'no end\n")
        XCTAssertEqual(literal?.line, 3)
        XCTAssertEqual(literal?.message, "unterminated string")
        let atEnd = syntaxError("a = \"no end")
        XCTAssertEqual(atEnd?.line, 1)
        XCTAssertEqual(atEnd?.message, "unterminated string")
    }

    func testMissingEquals() {
        let error = syntaxError("a = 1\nname \"grid\"\n")
        XCTAssertEqual(error?.line, 2)
        XCTAssertTrue(error?.message.contains("expected = after the key name") ?? false, "\(String(describing: error))")
        let bare = syntaxError("a = 1\n\nlonely\n")
        XCTAssertEqual(bare?.line, 3)
        XCTAssertTrue(bare?.message.contains("expected = after the key lonely") ?? false)
        let dotted = syntaxError("x.y 5")
        XCTAssertTrue(dotted?.message.contains("expected = after the key x.y") ?? false)
    }

    func testMultiLineStringsAreRefused() {
        let basic = syntaxError("a = 1\nb = \"\"\"\ntext\n\"\"\"\n")
        XCTAssertEqual(basic?.line, 2)
        XCTAssertTrue(basic?.message.contains("multi-line strings") ?? false, "\(String(describing: basic))")
        let literal = syntaxError("a = 1\nb = 1\nc = '''\ntext\n'''\n")
        XCTAssertEqual(literal?.line, 3)
        XCTAssertTrue(literal?.message.contains("multi-line strings") ?? false, "\(String(describing: literal))")
    }

    func testArraysOfTablesAreRefused() {
        let error = syntaxError("a = 1\n\n[[plugins]]\nname = \"x\"\n")
        XCTAssertEqual(error?.line, 3)
        XCTAssertTrue(error?.message.contains("arrays of tables") ?? false, "\(String(describing: error))")
    }

    func testBareWordValueNeedsQuotes() {
        let error = syntaxError("a = 1\nlevel = debug\n")
        XCTAssertEqual(error?.line, 2)
        XCTAssertTrue(error?.message.contains("debug is not a value") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("strings need quotes") ?? false)
        XCTAssertTrue(error?.message.contains("\"debug\"") ?? false)
        let date = syntaxError("when = 1979-05-27\n")
        XCTAssertTrue(date?.message.contains("strings need quotes") ?? false, "dates are not read as numbers")
        let inArray = syntaxError("a = [\n1,\nnope,\n]\n")
        XCTAssertEqual(inArray?.line, 3)
        XCTAssertTrue(inArray?.message.contains("nope is not a value") ?? false)
    }

    func testOtherSyntaxErrors() {
        let twoValues = syntaxError("a = 1 2\n")
        XCTAssertEqual(twoValues?.line, 1)
        XCTAssertTrue(twoValues?.message.contains("one key = value per line") ?? false)

        let noValue = syntaxError("a = \n")
        XCTAssertEqual(noValue?.line, 1)
        XCTAssertTrue(noValue?.message.contains("expected a value") ?? false, "\(String(describing: noValue))")

        let endOfFile = syntaxError("a =")
        XCTAssertTrue(endOfFile?.message.contains("expected a value, found the end of the file") ?? false)

        let unclosedHeader = syntaxError("[table\nx = 1\n")
        XCTAssertEqual(unclosedHeader?.line, 1)
        XCTAssertTrue(unclosedHeader?.message.contains("expected ] to close the table header") ?? false)

        let inlineAcrossLines = syntaxError("p = { x = 1,\ny = 2 }\n")
        XCTAssertNotNil(inlineAcrossLines)

        let noKey = syntaxError("= 5\n")
        XCTAssertTrue(noKey?.message.contains("expected a key") ?? false)

        XCTAssertEqual(TOMLSyntaxError(line: 7, message: "m").description, "line 7: m")
    }
}
