/// Which tickets of a source a GET requests reads: every list filter is "any of", empty means all; the range is
/// on `requestedMs`, both ends included; newest first, in pages counted from 1.
public struct TicketQuery: Equatable, Sendable {
    public var serviceRequestIDs: [String]
    public var serviceCodes: [String]
    public var statuses: [String]
    public var startMs: Int64?
    public var endMs: Int64?
    /// From 1.
    public var page: Int
    /// 1…1,000.
    public var pageSize: Int

    /// The largest page a query may ask for.
    public static let maximumPageSize = 1_000

    public init(
        serviceRequestIDs: [String] = [],
        serviceCodes: [String] = [],
        statuses: [String] = [],
        startMs: Int64? = nil,
        endMs: Int64? = nil,
        page: Int = 1,
        pageSize: Int = 1_000
    ) {
        self.serviceRequestIDs = serviceRequestIDs
        self.serviceCodes = serviceCodes
        self.statuses = statuses
        self.startMs = startMs
        self.endMs = endMs
        self.page = page
        self.pageSize = pageSize
    }
}
