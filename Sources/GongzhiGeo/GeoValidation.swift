/// Checks of grid polygons and grid codes, answering problems a person can act on.
public enum GeoValidation {
    /// One problem found in a polygon or a code.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        /// What kind of problem, stable for programs to switch on.
        public enum Code: String, Hashable, Sendable {
            case ringNotClosed = "ring_not_closed"
            case tooFewPoints = "too_few_points"
            case invalidCoordinate = "invalid_coordinate"
            case selfIntersection = "self_intersection"
            case zeroArea = "zero_area"
            case holeOutsideOuter = "hole_outside_outer"
            case holeCrossesOuter = "hole_crosses_outer"
            case invalidGridCode = "invalid_grid_code"
            case invalidCommunityCode = "invalid_community_code"
            case codesDisagree = "codes_disagree"
        }

        /// A ring of a polygon: its outer ring, or one of its holes (numbered from 0 in `GeoPolygon.holes`).
        public enum Ring: Hashable, Sendable, CustomStringConvertible {
            case outer
            case hole(Int)

            /// "outer ring" or "hole N", where N counts from 1 as the ring's index in GeoJSON coordinates does.
            public var description: String {
                switch self {
                case .outer: "outer ring"
                case .hole(let index): "hole \(index + 1)"
                }
            }
        }

        public var code: Code
        /// The ring concerned, for problems of a polygon.
        public var ring: Ring?
        /// The index of the point in the ring where the problem is (for an edge, its first point), if there is one.
        public var pointIndex: Int?
        /// What is wrong, with the points and edges involved (indexes count from 0 as in the ring's array).
        public var message: String

        public init(code: Code, ring: Ring? = nil, pointIndex: Int? = nil, message: String) {
            self.code = code
            self.ring = ring
            self.pointIndex = pointIndex
            self.message = message
        }

        public var description: String { message }
    }

    /// At most this many problems of one kind are listed for a ring; a last problem counts the others.
    public static let maximumProblemsPerKind = 10

    /// The problems of `polygon`, in a stable order (ring by ring), or an empty array when it is valid: rings
    /// closed, at least 4 points each, finite coordinates within ±180° and ±90°, no self-intersection (adjacent edges
    /// meeting at their shared vertex are fine; repeated consecutive points are tolerated), no zero-area ring, and
    /// holes inside the outer ring without crossing it (a hole may touch it at a point).
    ///
    /// Self-intersections are found with a sweep over the edges sorted by longitude, so rings of thousands of
    /// points are checked in milliseconds.
    public static func problems(in polygon: GeoPolygon) -> [Problem] {
        var problems = [Problem]()
        var usable = [CleanRing?]()
        let rings = [polygon.outer] + polygon.holes
        for (ringIndex, points) in rings.enumerated() {
            let ring: Problem.Ring = ringIndex == 0 ? .outer : .hole(ringIndex - 1)
            usable.append(checkRing(points, ring, &problems))
        }
        var segments = [Segment]()
        for (ringIndex, ring) in usable.enumerated() {
            guard let ring else { continue }
            for edge in 0..<ring.points.count {
                let a = ring.points[edge]
                let b = ring.points[(edge + 1) % ring.points.count]
                segments.append(
                    Segment(
                        ring: ringIndex,
                        edge: edge,
                        ax: a.longitude,
                        ay: a.latitude,
                        bx: b.longitude,
                        by: b.latitude
                    )
                )
            }
        }
        var selfIntersections = [[(Int, Int, SegmentIntersection)]](repeating: [], count: rings.count)
        var holeCrossings = [[(Int, Int, SegmentIntersection)]](repeating: [], count: rings.count)
        sweep(segments) { s, t in
            if s.ring == t.ring {
                let ring = usable[s.ring]!
                let edgeCount = ring.points.count
                let (first, second) = s.edge < t.edge ? (s, t) : (t, s)
                let adjacent = second.edge == first.edge + 1 || (first.edge == 0 && second.edge == edgeCount - 1)
                let meeting = intersection(
                    first.ax,
                    first.ay,
                    first.bx,
                    first.by,
                    second.ax,
                    second.ay,
                    second.bx,
                    second.by
                )
                switch meeting {
                case .disjoint: return
                case .touching, .crossing: if adjacent { return }
                case .overlapping: break
                }
                selfIntersections[s.ring].append((first.edge, second.edge, meeting))
            } else if s.ring == 0 || t.ring == 0 {
                let (outer, hole) = s.ring == 0 ? (s, t) : (t, s)
                let meeting = intersection(hole.ax, hole.ay, hole.bx, hole.by, outer.ax, outer.ay, outer.bx, outer.by)
                switch meeting {
                case .disjoint, .touching: return
                case .crossing, .overlapping: holeCrossings[hole.ring].append((hole.edge, outer.edge, meeting))
                }
            }
        }
        for (ringIndex, found) in selfIntersections.enumerated() where !found.isEmpty {
            let ring = usable[ringIndex]!
            let name: Problem.Ring = ringIndex == 0 ? .outer : .hole(ringIndex - 1)
            let sorted = found.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for (first, second, meeting) in sorted.prefix(maximumProblemsPerKind) {
                let i = ring.originalIndex[first]
                let j = ring.originalIndex[second]
                problems.append(
                    Problem(
                        code: .selfIntersection,
                        ring: name,
                        pointIndex: i,
                        message: "\(name) intersects itself: edges \(i) and \(j) \(describe(meeting))"
                    )
                )
            }
            appendOverflow(sorted.count, .selfIntersection, name, "self-intersections", &problems)
        }
        for (ringIndex, ring) in usable.enumerated().dropFirst() {
            guard let ring, let outer = usable[0] else { continue }
            let name = Problem.Ring.hole(ringIndex - 1)
            let crossings = holeCrossings[ringIndex].sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for (holeEdge, outerEdge, meeting) in crossings.prefix(maximumProblemsPerKind) {
                let i = ring.originalIndex[holeEdge]
                let j = outer.originalIndex[outerEdge]
                problems.append(
                    Problem(
                        code: .holeCrossesOuter,
                        ring: name,
                        pointIndex: i,
                        message: "\(name) crosses the outer ring: its edge \(i) and the outer ring's edge \(j) "
                            + describe(meeting)
                    )
                )
            }
            appendOverflow(crossings.count, .holeCrossesOuter, name, "crossings of the outer ring", &problems)
            guard crossings.isEmpty else { continue }
            // No crossing: the hole is wholly inside or wholly outside; any point off the outer boundary tells.
            for (index, point) in ring.points.enumerated() {
                let location = ringLocation(outer.points, point)
                if location == .boundary { continue }
                if location == .outside {
                    let original = ring.originalIndex[index]
                    problems.append(
                        Problem(
                            code: .holeOutsideOuter,
                            ring: name,
                            pointIndex: original,
                            message: "\(name) is outside the outer ring: its point \(original) \(point) is outside"
                        )
                    )
                }
                break
            }
        }
        return problems
    }

    /// The problem with `gridCode`, or nil when it is exactly 15 ASCII digits (6 district, 3 street, 3 community,
    /// 3 sequence).
    public static func problem(gridCode: String) -> Problem? {
        if isDigits(gridCode, count: 15) { return nil }
        return Problem(
            code: .invalidGridCode,
            message: "grid code \"\(gridCode)\" is not 15 ASCII digits (6 district, 3 street, 3 community, 3 sequence)"
        )
    }

    /// The problem with `communityCode`, or nil when it is exactly 12 ASCII digits (the first 9 are the street's).
    public static func problem(communityCode: String) -> Problem? {
        if isDigits(communityCode, count: 12) { return nil }
        return Problem(
            code: .invalidCommunityCode,
            message: "community code \"\(communityCode)\" is not 12 ASCII digits (6 district, 3 street, 3 community)"
        )
    }

    /// True when both codes are well formed and the grid code's first 12 digits are the community code.
    public static func agrees(gridCode: String, communityCode: String) -> Bool {
        isDigits(gridCode, count: 15) && isDigits(communityCode, count: 12)
            && gridCode.utf8.prefix(12).elementsEqual(communityCode.utf8)
    }

    /// True when both codes are well formed and the community code's first 9 digits are the street code.
    public static func agrees(communityCode: String, streetCode: String) -> Bool {
        isDigits(communityCode, count: 12) && isDigits(streetCode, count: 9)
            && communityCode.utf8.prefix(9).elementsEqual(streetCode.utf8)
    }

    private static func isDigits(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

/// A ring fit for the geometric checks: finite, with at least three distinct points, consecutive duplicates and
/// the closing point removed.
private struct CleanRing {
    var points: [GeoPoint]
    /// The index in the given ring of each kept point.
    var originalIndex: [Int]
}

/// One edge of a ring, as swept.
private struct Segment {
    var ring: Int
    var edge: Int
    var ax: Double
    var ay: Double
    var bx: Double
    var by: Double
}

/// Checks what concerns one ring alone except self-intersection; answers the ring for the geometric checks when
/// it is fit for them.
private func checkRing(
    _ points: [GeoPoint],
    _ ring: GeoValidation.Problem.Ring,
    _ problems: inout [GeoValidation.Problem]
) -> CleanRing? {
    var fit = true
    if points.count < 4 {
        problems.append(
            GeoValidation.Problem(
                code: .tooFewPoints,
                ring: ring,
                message:
                    "\(ring) has \(points.count) points; a ring needs at least 4 (a triangle and its closing point)"
            )
        )
        fit = false
    }
    if let first = points.first, let last = points.last, first != last {
        problems.append(
            GeoValidation.Problem(
                code: .ringNotClosed,
                ring: ring,
                pointIndex: points.count - 1,
                message: "\(ring) is not closed: its first point \(first) differs from its last point \(last)"
            )
        )
    }
    var invalid = 0
    for (index, point) in points.enumerated() where !point.isValid {
        invalid += 1
        if invalid <= GeoValidation.maximumProblemsPerKind {
            let what = point.longitude.isFinite && point.latitude.isFinite ? "out of range" : "not a finite number"
            problems.append(
                GeoValidation.Problem(
                    code: .invalidCoordinate,
                    ring: ring,
                    pointIndex: index,
                    message: "\(ring) point \(index) \(point) is \(what) "
                        + "(longitude must be within ±180, latitude within ±90)"
                )
            )
        }
    }
    appendOverflow(invalid, .invalidCoordinate, ring, "invalid coordinates", &problems)
    guard fit && invalid == 0 else { return nil }
    var clean = CleanRing(points: [], originalIndex: [])
    for (index, point) in points.enumerated() where point != clean.points.last {
        clean.points.append(point)
        clean.originalIndex.append(index)
    }
    while clean.points.count > 1 && clean.points.last == clean.points.first {
        clean.points.removeLast()
        clean.originalIndex.removeLast()
    }
    let p = clean.points
    let collinear =
        p.count < 3
        || p.dropFirst(2).allSatisfy {
            orientation(p[0].longitude, p[0].latitude, p[1].longitude, p[1].latitude, $0.longitude, $0.latitude) == 0
        }
    if collinear {
        problems.append(
            GeoValidation.Problem(
                code: .zeroArea,
                ring: ring,
                message: "\(ring) has zero area: its \(p.count) distinct points lie on one line"
            )
        )
        return nil
    }
    return clean
}

private func appendOverflow(
    _ total: Int,
    _ code: GeoValidation.Problem.Code,
    _ ring: GeoValidation.Problem.Ring,
    _ what: String,
    _ problems: inout [GeoValidation.Problem]
) {
    let more = total - GeoValidation.maximumProblemsPerKind
    if more > 0 {
        problems.append(GeoValidation.Problem(code: code, ring: ring, message: "\(ring) has \(more) more \(what)"))
    }
}

private func describe(_ meeting: SegmentIntersection) -> String {
    switch meeting {
    case .disjoint: "do not meet"
    case .crossing(let x, let y): "cross at \(GeoPoint(longitude: x, latitude: y))"
    case .touching(let x, let y): "touch at \(GeoPoint(longitude: x, latitude: y))"
    case .overlapping(let x, let y): "overlap from \(GeoPoint(longitude: x, latitude: y))"
    }
}

/// Calls `body` for every pair of segments whose bounding boxes overlap: a sweep over the segments in order of
/// their smallest longitude, keeping those whose longitude range is still open.
private func sweep(_ segments: [Segment], _ body: (Segment, Segment) -> Void) {
    let order = segments.indices.sorted {
        min(segments[$0].ax, segments[$0].bx) < min(segments[$1].ax, segments[$1].bx)
    }
    var active = [Int]()
    for index in order {
        let s = segments[index]
        let minX = min(s.ax, s.bx)
        let minY = min(s.ay, s.by)
        let maxY = max(s.ay, s.by)
        active.removeAll { max(segments[$0].ax, segments[$0].bx) < minX }
        for other in active {
            let t = segments[other]
            if max(t.ay, t.by) < minY || min(t.ay, t.by) > maxY { continue }
            body(t, s)
        }
        active.append(index)
    }
}
