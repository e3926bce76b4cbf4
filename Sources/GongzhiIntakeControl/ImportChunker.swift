import GongzhiIntakeSchemas

/// Groups an import's records into the chunks of the `Import` stream, in the file's order: at most
/// ``maximumRecords`` records or ``maximumBytes`` of record text a chunk (a record larger than that goes alone),
/// each with the line of its first record; the first carries the source, the file's name and, for a CSV file,
/// the header as its first record; the last is flagged. A value: records in, chunks out.
struct ImportChunker: Sendable {
    static let maximumRecords = 1000
    static let maximumBytes = 1 << 20

    let source: String
    let fileName: String
    let importID: String
    let maximumRecords: Int
    let maximumBytes: Int

    private var records: [String] = []
    private var firstLine = 0
    private var bytes = 0
    private var chunks = 0

    init(
        source: String,
        fileName: String,
        importID: String,
        maximumRecords: Int = ImportChunker.maximumRecords,
        maximumBytes: Int = ImportChunker.maximumBytes
    ) {
        self.source = source
        self.fileName = fileName
        self.importID = importID
        self.maximumRecords = maximumRecords
        self.maximumBytes = maximumBytes
    }

    /// How many chunks were made so far.
    var chunksMade: Int { chunks }

    /// Adds the next record; returns the chunk it closed when it does not fit in the one being filled (that chunk
    /// is then never the last, since this record follows it).
    mutating func add(_ text: String, line: Int) -> Gongzhi_Intake_V1_ImportChunk? {
        let size = text.utf8.count
        var closed: Gongzhi_Intake_V1_ImportChunk?
        if !records.isEmpty && (records.count >= maximumRecords || bytes + size > maximumBytes) {
            closed = chunk(last: false)
        }
        if records.isEmpty { firstLine = line }
        records.append(text)
        bytes += size
        return closed
    }

    /// The last chunk: what is left, flagged `last` (empty when nothing was added, so that the plugin still hears
    /// the import end).
    mutating func finish() -> Gongzhi_Intake_V1_ImportChunk {
        chunk(last: true)
    }

    private mutating func chunk(last: Bool) -> Gongzhi_Intake_V1_ImportChunk {
        var chunk = Gongzhi_Intake_V1_ImportChunk()
        if chunks == 0 {
            chunk.source = source
            chunk.fileName = fileName
        }
        chunk.importID = importID
        chunk.firstLine = UInt64(firstLine)
        chunk.records = records
        chunk.last = last
        chunks += 1
        records = []
        bytes = 0
        firstLine = 0
        return chunk
    }
}
