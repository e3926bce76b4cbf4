import GongzhiControl
import GongzhiHashing
import GongzhiIntake

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One record of an import as it is sent: its text, the line it starts on, and whether the file ended inside a
/// quote opened in it.
struct ImportRecord: Equatable, Sendable {
    var text: String
    var line: Int
    var unclosedQuote: Bool
}

/// What reading a file through once found, before anything is sent.
struct ImportSurvey: Equatable, Sendable {
    /// Records, a CSV file's header included.
    var records: Int
    /// The file's size in bytes, as read.
    var bytes: Int
    /// Hex SHA-256 of the source's name, a line break and the file's bytes.
    var sha256: String
    /// The line of the first record whose quote the file never closes.
    var unclosedQuoteLine: Int?
}

/// A department's file read for import piece by piece, never whole (it can be large): converted from GB18030
/// when asked, then split into whole records by ``RecordSplitter`` (a UTF-8 byte order mark dropped, blank lines
/// skipped). Records must be UTF-8 text once converted, and no larger than a chunk can carry.
struct ImportFile: Sendable {
    /// The largest record sent: a chunk's data is at most 4 MiB on the wire.
    static let maximumRecordBytes = 3 << 20
    static let pieceSize = 256 * 1024

    let path: String
    let format: RecordSplitter.Format
    let encoding: ImportEncodingArgument

    /// Reads the file through: its records counted, checked (UTF-8, size), and its content hashed with the
    /// source's name, so that an error stops the import before anything is sent.
    func survey(source: String) throws(ControlError) -> ImportSurvey {
        var hash = SHA256()
        hash.update(Array(source.utf8) + [0x0A])
        var survey = ImportSurvey(records: 0, bytes: 0, sha256: "", unclosedQuoteLine: nil)
        let reader = try PieceReader(self)
        while let (piece, records) = try reader.next() {
            hash.update(piece)
            survey.bytes += piece.count
            survey.records += records.count
            if survey.unclosedQuoteLine == nil, let open = records.first(where: \.unclosedQuote) {
                survey.unclosedQuoteLine = open.line
            }
        }
        survey.sha256 = hexString(hash.finalize())
        return survey
    }

    /// Calls `body` with every record, in the file's order, a piece of the file at a time.
    func forEachRecord(_ body: (ImportRecord) async throws -> Void) async throws {
        let reader = try PieceReader(self)
        while let (_, records) = try reader.next() {
            for record in records { try await body(record) }
        }
    }

    /// Reads the file a piece at a time: each piece as read, and the records it completes, decoded.
    private final class PieceReader {
        private let file: ImportFile
        private let descriptor: Int32
        private var splitter: RecordSplitter
        private let converter: GB18030Converter?
        private var buffer = [UInt8](repeating: 0, count: ImportFile.pieceSize)
        private var ended = false

        init(_ file: ImportFile) throws(ControlError) {
            self.file = file
            self.splitter = RecordSplitter(format: file.format)
            self.converter = file.encoding == .gb18030 ? try GB18030Converter(name: file.path) : nil
            self.descriptor = try file.openFile()
        }

        deinit {
            close(descriptor)
        }

        /// The next piece and its records (the last piece is empty and ends the file's last record); nil after it.
        func next() throws(ControlError) -> (piece: [UInt8], records: [ImportRecord])? {
            guard !ended else { return nil }
            let count = try file.readPiece(descriptor, into: &buffer)
            let piece = Array(buffer[..<count])
            ended = count == 0
            let text = try converter?.convert(piece, final: ended) ?? piece
            var raw = splitter.split(text)
            if ended { raw += splitter.finish() }
            var records: [ImportRecord] = []
            records.reserveCapacity(raw.count)
            for record in raw { records.append(try file.decoded(record)) }
            return (piece, records)
        }
    }

    fileprivate func decoded(_ record: RawRecord) throws(ControlError) -> ImportRecord {
        guard record.bytes.count <= Self.maximumRecordBytes else {
            throw ControlError(
                "\(path) line \(record.line): the record is \(TextLayout.bytes(UInt64(record.bytes.count))), more "
                    + "than an import carries (\(TextLayout.bytes(UInt64(Self.maximumRecordBytes))))"
                    + (record.unclosedQuote ? "; a quote opened on that line is never closed" : ""),
                exitCode: ControlExitCode.failed
            )
        }
        guard let text = String(validating: record.bytes, as: UTF8.self) else {
            throw ControlError(
                "\(path) line \(record.line) is not UTF-8 text"
                    + (encoding == .utf8 ? "; an export in GB18030 (GBK) is read with --encoding gb18030" : ""),
                exitCode: ControlExitCode.failed
            )
        }
        return ImportRecord(text: text, line: record.line, unclosedQuote: record.unclosedQuote)
    }

    fileprivate func openFile() throws(ControlError) -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure() }
        var info = stat()
        if fstat(descriptor, &info) == 0 && (info.st_mode & 0o170000) == 0o040000 {
            close(descriptor)
            throw ControlError(
                "cannot read \(path): it is a folder; name a file in it",
                exitCode: ControlExitCode.failed
            )
        }
        return descriptor
    }

    fileprivate func readPiece(_ descriptor: Int32, into buffer: inout [UInt8]) throws(ControlError) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw failure()
        }
    }

    private func failure() -> ControlError {
        ControlError(
            "cannot read \(path): \(String(cString: strerror(errno)).lowercased())",
            exitCode: ControlExitCode.failed
        )
    }
}
