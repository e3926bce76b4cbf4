/// Where a point lies relative to a polygon or a ring.
public enum GeoPointLocation: Hashable, Sendable {
    /// Strictly outside (for a polygon: outside the outer ring or strictly inside a hole).
    case outside
    /// On an edge or a vertex.
    case boundary
    /// Strictly inside.
    case inside
}

/// A rectangle in longitude and latitude, its edges included.
public struct GeoBoundingBox: Hashable, Sendable {
    public var minLongitude: Double
    public var minLatitude: Double
    public var maxLongitude: Double
    public var maxLatitude: Double

    public init(minLongitude: Double, minLatitude: Double, maxLongitude: Double, maxLatitude: Double) {
        self.minLongitude = minLongitude
        self.minLatitude = minLatitude
        self.maxLongitude = maxLongitude
        self.maxLatitude = maxLatitude
    }

    /// The smallest box holding `points`, or nil when there are none or one is not finite.
    public init?(_ points: some Sequence<GeoPoint>) {
        var box = GeoBoundingBox(
            minLongitude: .infinity,
            minLatitude: .infinity,
            maxLongitude: -.infinity,
            maxLatitude: -.infinity
        )
        for point in points {
            guard point.longitude.isFinite && point.latitude.isFinite else { return nil }
            box.minLongitude = min(box.minLongitude, point.longitude)
            box.minLatitude = min(box.minLatitude, point.latitude)
            box.maxLongitude = max(box.maxLongitude, point.longitude)
            box.maxLatitude = max(box.maxLatitude, point.latitude)
        }
        guard box.minLongitude <= box.maxLongitude else { return nil }
        self = box
    }

    /// True when `point` is inside the box or on its edge.
    public func contains(_ point: GeoPoint) -> Bool {
        point.longitude >= minLongitude && point.longitude <= maxLongitude && point.latitude >= minLatitude
            && point.latitude <= maxLatitude
    }
}

extension GeoPolygon {
    /// Where `point` lies: inside, on the boundary (an edge or vertex of the outer ring or of a hole), or outside.
    ///
    /// Exact: the decision uses exact orientation tests, so a point given with the same doubles as a vertex, or
    /// lying exactly on an edge, is on the boundary, and two polygons sharing an edge never both claim (nor both
    /// miss) a point near it. Rings may be given closed or not; the closing edge is implied.
    public func location(of point: GeoPoint) -> GeoPointLocation {
        switch ringLocation(outer, point) {
        case .outside: return .outside
        case .boundary: return .boundary
        case .inside:
            for hole in holes {
                switch ringLocation(hole, point) {
                case .outside: continue
                case .boundary: return .boundary
                case .inside: return .outside
                }
            }
            return .inside
        }
    }

    /// True when `point` is inside the polygon or on its boundary (holes' edges included).
    public func contains(_ point: GeoPoint) -> Bool {
        location(of: point) != .outside
    }

    /// The bounding box of the outer ring, or nil when it is empty or holds a non-finite coordinate.
    public var boundingBox: GeoBoundingBox? {
        GeoBoundingBox(outer)
    }
}

/// Where (x, y) lies relative to `ring` (closed or not; the closing edge is implied).
func ringLocation(_ ring: [GeoPoint], _ point: GeoPoint) -> GeoPointLocation {
    guard let last = ring.last else { return .outside }
    let x = point.longitude
    let y = point.latitude
    var inside = false
    var ax = last.longitude
    var ay = last.latitude
    for vertex in ring {
        let bx = vertex.longitude
        let by = vertex.latitude
        switch edgeStep(ax, ay, bx, by, x, y) {
        case .boundary: return .boundary
        case .crossing: inside.toggle()
        case .none: break
        }
        ax = bx
        ay = by
    }
    return inside ? .inside : .outside
}

/// What one edge a→b of a ring contributes to locating (x, y).
enum EdgeStep {
    case none
    /// The rightward horizontal ray from the point crosses the edge (half-open in y).
    case crossing
    /// The point is on the edge (its start vertex included).
    case boundary
}

/// The crossing-number step for edge a→b and point (x, y), exact: the start vertex a and horizontal edges are
/// checked for the point lying on them, and a straddling edge is tested with an exact orientation.
@inline(__always)
func edgeStep(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ x: Double, _ y: Double) -> EdgeStep {
    if ay == y {
        if ax == x { return .boundary }
        if by == y && min(ax, bx) <= x && x <= max(ax, bx) { return .boundary }
    }
    if (ay > y) != (by > y) {
        let turn = orientation(ax, ay, bx, by, x, y)
        if turn == 0 { return .boundary }
        if (turn > 0) == (by > ay) { return .crossing }
    }
    return .none
}
