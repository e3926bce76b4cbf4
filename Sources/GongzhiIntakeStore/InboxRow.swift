/// A pending input read back from the inbox, to be taken through the pipeline.
public struct InboxRow: Equatable, Sendable {
    /// Its place in the inbox: global across sources, increasing, never reused.
    public var seq: UInt64
    public var source: String
    public var origin: String
    public var externalID: String
    public var contentType: String
    public var payload: [UInt8]
    public var receivedAtMs: Int64
    /// How many times it was put back for later (``IntakeStore/retryLater(seq:atMs:error:)``).
    public var attempts: Int
    /// The error of the last attempt, empty before any.
    public var lastError: String
    public var importID: String
    public var importLine: UInt64

    public init(
        seq: UInt64,
        source: String,
        origin: String,
        externalID: String,
        contentType: String,
        payload: [UInt8],
        receivedAtMs: Int64,
        attempts: Int = 0,
        lastError: String = "",
        importID: String = "",
        importLine: UInt64 = 0
    ) {
        self.seq = seq
        self.source = source
        self.origin = origin
        self.externalID = externalID
        self.contentType = contentType
        self.payload = payload
        self.receivedAtMs = receivedAtMs
        self.attempts = attempts
        self.lastError = lastError
        self.importID = importID
        self.importLine = importLine
    }
}
