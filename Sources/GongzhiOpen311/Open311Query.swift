import GongzhiIntake

/// GET requests' arguments, read and checked: GeoReport v2's filters plus the `page` and `page_size`
/// extension. When `serviceRequestIDs` is not empty it overrides the other filters, as the spec says: the
/// backend answers those requests, whatever their code, status or date.
public struct Open311Query: Equatable, Sendable {
    /// A status GeoReport v2 knows.
    public enum Status: String, Equatable, Sendable {
        case open
        case closed
    }

    /// The longest range of dates one query covers, in days, and the default range ending now.
    public static let maximumDays: Int64 = 90
    /// The most requests one answer carries.
    public static let maximumPageSize = 1_000

    public var serviceRequestIDs: [String]
    public var serviceCodes: [String]
    /// The requests received from `startMs` (inclusive) until `endMs` (inclusive), in milliseconds.
    public var startMs: Int64
    public var endMs: Int64
    /// Empty: both.
    public var statuses: [Status]
    /// 1-based.
    public var page: Int
    public var pageSize: Int

    public init(
        serviceRequestIDs: [String] = [],
        serviceCodes: [String] = [],
        startMs: Int64,
        endMs: Int64,
        statuses: [Status] = [],
        page: Int = 1,
        pageSize: Int = Open311Query.maximumPageSize
    ) {
        self.serviceRequestIDs = serviceRequestIDs
        self.serviceCodes = serviceCodes
        self.startMs = startMs
        self.endMs = endMs
        self.statuses = statuses
        self.page = page
        self.pageSize = pageSize
    }

    /// The parameters GET requests reads.
    static let parameterNames: Set<String> = [
        "service_request_id", "service_code", "start_date", "end_date", "status", "page", "page_size",
    ]

    /// How many matching requests come before the page.
    public var offset: Int { (page - 1) * pageSize }

    /// Reads the query string's parameters (others are ignored, as the spec allows; empty ones count as
    /// absent). Lists are comma-separated. The dates are RFC 3339 with a zone; with only `start_date` the range
    /// runs 90 days from it, with only `end_date` 90 days up to it, with neither the last 90 days to `nowMs`.
    /// A range over 90 days, an end before the start, an unknown status, a page below 1, a page size outside
    /// 1…1,000, more than 1,000 ids or a parameter given twice is a 400 naming the parameter.
    public init(parameters: [(name: String, value: String)], nowMs: Int64) throws(Open311Refusal) {
        var values: [String: String] = [:]
        for (name, value) in parameters {
            guard Self.parameterNames.contains(name) else { continue }
            let value = value.trimmingSpaces()
            if value.isEmpty { continue }
            if values[name] != nil {
                throw .invalid("\"\(name)\" is given twice; give a list as one comma-separated value")
            }
            values[name] = value
        }
        func list(_ name: String) -> [String] {
            (values[name] ?? "").split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        }
        func whole(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws(Open311Refusal) -> Int {
            guard let text = values[name] else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw .invalid(
                    "\"\(name)\" must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\""
                )
            }
            return number
        }
        func time(_ name: String) throws(Open311Refusal) -> Int64? {
            guard let text = values[name] else { return nil }
            guard let ms = RFC3339.unixMilliseconds(text) else {
                throw .invalid(
                    "\"\(name)\" must be a date and time with its zone, such as 2026-12-07T10:00:00+08:00, "
                        + "not \"\(text)\""
                )
            }
            return ms
        }

        let days = Self.maximumDays * 86_400_000
        page = try whole("page", in: 1...Int(Int32.max), default: 1)
        pageSize = try whole("page_size", in: 1...Self.maximumPageSize, default: Self.maximumPageSize)
        serviceRequestIDs = list("service_request_id")
        if serviceRequestIDs.count > Self.maximumPageSize {
            throw .invalid(
                "\"service_request_id\" lists \(serviceRequestIDs.count) ids; ask for at most "
                    + "\(Self.maximumPageSize) at a time"
            )
        }
        serviceCodes = []
        statuses = []
        startMs = nowMs - days
        endMs = nowMs
        if !serviceRequestIDs.isEmpty { return }

        serviceCodes = list("service_code")
        var statuses: [Status] = []
        for text in list("status") {
            guard let status = Status(rawValue: text) else {
                throw .invalid("\"status\" takes open, closed or both (open,closed), not \"\(text)\"")
            }
            if !statuses.contains(status) { statuses.append(status) }
        }
        self.statuses = statuses
        switch (try time("start_date"), try time("end_date")) {
        case (nil, nil):
            break
        case (let start?, nil):
            startMs = start
            endMs = start + days
        case (nil, let end?):
            startMs = end - days
            endMs = end
        case (let start?, let end?):
            guard start <= end else { throw .invalid("\"end_date\" is before \"start_date\"") }
            guard end - start <= days else {
                throw .invalid(
                    "\"start_date\" to \"end_date\" spans more than \(Self.maximumDays) days; ask for a shorter range"
                )
            }
            startMs = start
            endMs = end
        }
    }
}
