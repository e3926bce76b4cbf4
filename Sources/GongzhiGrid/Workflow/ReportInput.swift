import GongzhiGeo
import GongzhiGridSchemas
import GongzhiSchemas

/// A report of a matter, as `CaseWorkflow.open` and `DuplicateFinder` read it.
public struct ReportInput: Sendable {
    /// Where the report came from (patrol, hotline, sensor, …).
    public var source: Gongzhi_Grid_V1_Source
    /// The catalogue code of the matter, e.g. "E0101" (暴露垃圾).
    public var categoryCode: String
    public var description: String
    /// Where the matter is; nil when only the grid is known.
    public var location: GeoPoint?
    /// References to photos and recordings (URLs or object keys).
    public var media: [String]
    /// Who reports; `principal`, `reported_at_ms` and `source` are filled in when the case is opened.
    public var reporter: Gongzhi_Grid_V1_Reporter
    /// Retries with the same key get the same case; empty when the caller gave none.
    public var idempotencyKey: String

    public init(
        source: Gongzhi_Grid_V1_Source,
        categoryCode: String,
        description: String,
        location: GeoPoint? = nil,
        media: [String] = [],
        reporter: Gongzhi_Grid_V1_Reporter = Gongzhi_Grid_V1_Reporter(),
        idempotencyKey: String = ""
    ) {
        self.source = source
        self.categoryCode = categoryCode
        self.description = description
        self.location = location
        self.media = media
        self.reporter = reporter
        self.idempotencyKey = idempotencyKey
    }

    /// The report a `Report` request carries. Its `grid_code` is the plugin's to resolve into a `GridPlace`; the
    /// `CaseActor` is the caller the host verified (the request's `actor` is no longer accepted).
    public init(_ request: Gongzhi_Grid_V1_ReportRequest) {
        self.init(
            source: request.source,
            categoryCode: request.categoryCode,
            description: request.description_p,
            location: request.hasLocation ? GeoPoint(request.location) : nil,
            media: request.media,
            reporter: request.reporter,
            idempotencyKey: request.idempotencyKey
        )
    }
}

extension GeoPoint {
    init(_ point: Gongzhi_Core_V1_Point) {
        self.init(longitude: point.longitude, latitude: point.latitude)
    }

    var schemaPoint: Gongzhi_Core_V1_Point {
        var point = Gongzhi_Core_V1_Point()
        point.longitude = longitude
        point.latitude = latitude
        return point
    }
}
