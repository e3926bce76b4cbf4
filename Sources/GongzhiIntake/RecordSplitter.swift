/// One record of a file as it was written: its raw text without the line break that ends it, and the line it
/// starts on. A CSV record may span lines inside a quoted field.
public struct RawRecord: Equatable, Sendable {
    /// The record's bytes as the file holds them (UTF-8 for a CSV or JSON lines file read as such).
    public var bytes: [UInt8]
    /// The 1-based line of the record's first byte.
    public var line: Int
    /// True when the file ended inside a quoted field opened in this record: the record is the rest of the file,
    /// sent as it is so that the reader that parses it refuses it with its line (`csv.quote`).
    public var unclosedQuote: Bool

    public init(bytes: [UInt8], line: Int, unclosedQuote: Bool = false) {
        self.bytes = bytes
        self.line = line
        self.unclosedQuote = unclosedQuote
    }
}

/// Splits a file into whole records as it is read, piece by piece, without holding more than the record being
/// read: for CSV after RFC 4180 as ``CSVDocument`` reads it (records end at CRLF, LF or CR outside a quoted field;
/// a quote opens a quoted field only at the start of a field; `""` inside one is a quote), or one record a line
/// for JSON lines. A UTF-8 byte order mark at the start is dropped and blank lines are skipped. It works on bytes:
/// the quote, comma and line breaks are ASCII and never part of another character in UTF-8 (nor in GB18030).
public struct RecordSplitter: Sendable {
    /// How records end.
    public enum Format: Sendable, Equatable {
        /// RFC 4180: a quoted field may hold line breaks.
        case csv
        /// One record a line.
        case lines
    }

    public let format: Format
    private var record: [UInt8] = []
    private var recordLine = 1
    private var line = 1
    private var started = false
    private var atStart = true
    private var bomChecked: [UInt8] = []
    // CSV state: inside a quoted field; a quote just seen inside one (a doubled quote or the closing one);
    // at the first byte of a field.
    private var inQuotes = false
    private var quoteInQuotes = false
    private var atFieldStart = true
    /// A CR just ended a record: an LF right after it belongs to the same line break.
    private var afterCR = false

    public init(format: Format) {
        self.format = format
    }

    /// The records completed by `bytes`, the next piece of the file.
    public mutating func split(_ bytes: some Sequence<UInt8>) -> [RawRecord] {
        var records: [RawRecord] = []
        for byte in bytes {
            if atStart {
                // Hold the first bytes until it is clear whether they are a byte order mark.
                bomChecked.append(byte)
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if bomChecked.count < 3 && bom.starts(with: bomChecked) { continue }
                atStart = false
                let held = bomChecked == bom ? [] : bomChecked
                bomChecked = []
                for held in held { take(held, into: &records) }
                continue
            }
            take(byte, into: &records)
        }
        return records
    }

    /// The last record, when the file does not end with a line break; flagged when it ends inside a quote.
    public mutating func finish() -> [RawRecord] {
        var records: [RawRecord] = []
        if atStart {
            atStart = false
            let held = bomChecked
            bomChecked = []
            for byte in held { take(byte, into: &records) }
        }
        if started && !record.isEmpty {
            records.append(RawRecord(bytes: record, line: recordLine, unclosedQuote: inQuotes && !quoteInQuotes))
        }
        record = []
        started = false
        return records
    }

    private mutating func take(_ byte: UInt8, into records: inout [RawRecord]) {
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        if afterCR {
            afterCR = false
            if byte == lf { return }
        }
        if format == .csv && inQuotes {
            if quoteInQuotes {
                quoteInQuotes = false
                if byte == quote {
                    record.append(byte)
                    return
                }
                inQuotes = false
                // The quote closed the field: this byte is read as outside it, below.
            } else {
                if byte == quote { quoteInQuotes = true }
                // CRLF, LF and CR each end one line.
                if byte == cr || (byte == lf && record.last != cr) { line += 1 }
                append(byte)
                return
            }
        }
        switch byte {
        case lf, cr:
            if started && !record.isEmpty {
                records.append(RawRecord(bytes: record, line: recordLine))
            }
            record = []
            started = false
            atFieldStart = true
            line += 1
            afterCR = byte == cr
        case quote where format == .csv && atFieldStart:
            inQuotes = true
            atFieldStart = false
            append(byte)
        case comma where format == .csv:
            atFieldStart = true
            append(byte)
        default:
            atFieldStart = false
            append(byte)
        }
    }

    private mutating func append(_ byte: UInt8) {
        if !started {
            started = true
            recordLine = line
        }
        record.append(byte)
    }
}
