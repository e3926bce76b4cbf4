/// An Open311 service request as intake serves it locally (GET requests, GET tokens): what the public may see.
/// It holds no description, address or reporter's name; the point is rounded to 3 decimals when it is stored.
public struct TicketRow: Equatable, Sendable {
    public var serviceRequestID: String
    /// The Open311 source it came in on.
    public var source: String
    /// The `IntakeItem` made of it.
    public var itemID: String
    /// The token answered to the POST, empty once the request has its id.
    public var token: String
    public var serviceCode: String
    /// `open` or `closed`.
    public var status: String
    public var statusNotes: String
    /// Milliseconds since the Unix epoch; 0 when not known (`expectedMs`).
    public var requestedMs: Int64
    public var updatedMs: Int64
    public var expectedMs: Int64
    public var latitude: Double?
    public var longitude: Double?
    /// Who handles it (the grid or department), when known.
    public var agency: String
    /// The grid case it is in, empty when none.
    public var caseID: String
    /// The verified client that submitted it (the host token's subject).
    public var submittedBy: String

    public init(
        serviceRequestID: String,
        source: String,
        itemID: String = "",
        token: String = "",
        serviceCode: String,
        status: String = "open",
        statusNotes: String = "",
        requestedMs: Int64,
        updatedMs: Int64,
        expectedMs: Int64 = 0,
        latitude: Double? = nil,
        longitude: Double? = nil,
        agency: String = "",
        caseID: String = "",
        submittedBy: String = ""
    ) {
        self.serviceRequestID = serviceRequestID
        self.source = source
        self.itemID = itemID
        self.token = token
        self.serviceCode = serviceCode
        self.status = status
        self.statusNotes = statusNotes
        self.requestedMs = requestedMs
        self.updatedMs = updatedMs
        self.expectedMs = expectedMs
        self.latitude = latitude
        self.longitude = longitude
        self.agency = agency
        self.caseID = caseID
        self.submittedBy = submittedBy
    }
}
