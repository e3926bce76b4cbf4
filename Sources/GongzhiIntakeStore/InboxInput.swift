/// One input as it is committed to the inbox: an MQTT message, an Open311 POST, a record of an imported file.
public struct InboxInput: Equatable, Sendable {
    /// Where it came from, for people: a topic, "POST /open311/…/requests.json", "tickets.csv:1234".
    public var origin: String
    /// The source's own id of the input (工单编号, a message id), empty when it has none.
    public var externalID: String
    /// How `payload` is written: application/json, application/x-protobuf, text/csv, ….
    public var contentType: String
    /// The input as received.
    public var payload: [UInt8]
    /// When it was received, in milliseconds since the Unix epoch.
    public var receivedAtMs: Int64
    /// The import it belongs to (chosen by the client), empty for inputs that are not imported.
    public var importID: String
    /// The line of the record in the imported file: with `importID`, what makes a retried chunk recognisable.
    public var importLine: UInt64

    public init(
        origin: String,
        externalID: String = "",
        contentType: String,
        payload: [UInt8],
        receivedAtMs: Int64,
        importID: String = "",
        importLine: UInt64 = 0
    ) {
        self.origin = origin
        self.externalID = externalID
        self.contentType = contentType
        self.payload = payload
        self.receivedAtMs = receivedAtMs
        self.importID = importID
        self.importLine = importLine
    }
}
