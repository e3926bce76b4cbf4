/// One record of a CSV file: its fields and the line it starts on (a quoted field may span lines).
public struct CSVRecord: Equatable, Sendable {
    public var fields: [String]
    /// The 1-based line of the record's first character.
    public var line: Int

    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}

/// A CSV parser after RFC 4180, as departments' exports write it: fields separated by commas, records by CRLF
/// (a bare LF too), double-quoted fields that hold commas, line breaks and doubled quotes, and a UTF-8 byte
/// order mark at the start (Excel writes one) ignored. A quote left open, or a stray quote, is an error with
/// the line it is on (code `csv.quote`).
public enum CSVDocument {
    /// Every record of `text`, blank lines skipped. `firstLine` numbers the text's first line (a chunk of a
    /// file that starts further down).
    public static func records(_ text: String, firstLine: Int = 1) throws(InputError) -> [CSVRecord] {
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = firstLine
        var column = 1
        var recordLine = line
        var recordStarted = false
        // Where the open quote of the current field is, while it is open.
        var quoteOpened: (line: Int, column: Int)?
        var fieldWasQuoted = false
        var afterClosingQuote = false
        var iterator = scalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()

        func endRecord() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            let blank = fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted
            if !blank { records.append(CSVRecord(fields: fields, line: recordLine)) }
            fields = []
            recordStarted = false
            fieldWasQuoted = false
            afterClosingQuote = false
        }

        while let scalar = pending {
            pending = iterator.next()
            if !recordStarted {
                recordStarted = true
                recordLine = line
            }
            if quoteOpened != nil {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.append("\"")
                        pending = iterator.next()
                        column += 2
                        continue
                    }
                    quoteOpened = nil
                    afterClosingQuote = true
                    column += 1
                    continue
                }
                field.append(scalar)
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(String(field))
                field = String.UnicodeScalarView()
                fieldWasQuoted = false
                afterClosingQuote = false
                column += 1
            case "\r":
                if pending == "\n" { pending = iterator.next() }
                endRecord()
                line += 1
                column = 1
            case "\n":
                endRecord()
                line += 1
                column = 1
            case "\"":
                if afterClosingQuote || !field.isEmpty {
                    throw InputError(
                        code: "csv.quote",
                        message: "a double quote inside a field that is not quoted as a whole; "
                            + "quote the field and double the quote (\"\")",
                        line: line,
                        column: column
                    )
                }
                quoteOpened = (line, column)
                fieldWasQuoted = true
                column += 1
            default:
                if afterClosingQuote {
                    throw InputError(
                        code: "csv.quote",
                        message: "text after the closing quote of a field; a field's quotes must enclose all of it",
                        line: line,
                        column: column
                    )
                }
                field.append(scalar)
                column += 1
            }
        }
        if let opened = quoteOpened {
            throw InputError(
                code: "csv.quote",
                message: "a quoted field opened here is never closed; the file ends inside it",
                line: opened.line,
                column: opened.column
            )
        }
        if recordStarted { endRecord() }
        return records
    }
}

/// A CSV file with a header line: each row read by column name.
public struct CSVTable: Equatable, Sendable {
    /// The column names, as the header line writes them (trimmed of spaces).
    public var header: [String]
    public var rows: [CSVRecord]

    /// Reads a header and its rows; a row with another number of fields than the header is an error
    /// (`csv.fields`) with its line, and so is a repeated or empty column name (`csv.header`).
    public static func parse(_ text: String) throws(InputError) -> CSVTable {
        let records = try CSVDocument.records(text)
        guard let first = records.first else {
            throw InputError(code: "csv.header", message: "the file is empty; it needs a header line", line: 1)
        }
        let header = first.fields.map { $0.trimmingSpaces() }
        var seen: Set<String> = []
        for (position, name) in header.enumerated() {
            if name.isEmpty {
                throw InputError(
                    code: "csv.header",
                    message: "column \(position + 1) of the header has no name",
                    line: first.line
                )
            }
            if !seen.insert(name).inserted {
                throw InputError(code: "csv.header", message: "the column \"\(name)\" appears twice", line: first.line)
            }
        }
        let rows = Array(records.dropFirst())
        for row in rows where row.fields.count != header.count {
            throw InputError(
                code: "csv.fields",
                message: "the record has \(row.fields.count) fields, the header \(header.count)",
                line: row.line
            )
        }
        return CSVTable(header: header, rows: rows)
    }

    /// A row's fields by column name.
    public func fields(of row: CSVRecord) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in zip(header, row.fields) { result[name] = value }
        return result
    }
}
