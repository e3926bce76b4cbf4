#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable spatial index over grids (网格): finds the grid that contains a point, and the grid nearest to a
/// point that none contains.
///
/// A point on a border shared by several grids (an edge or a vertex) belongs to all of them; the index always
/// answers the one with the smallest code (String order; for equal codes, the earlier entry), whatever the order
/// of the entries. Polygons are tested exactly (see ``GeoPolygon/location(of:)``).
///
/// Built for many lookups: the coordinates of all rings live in one contiguous array, ordered along a Z-order curve
/// so that neighbours are near each other in memory, and a uniform grid of buckets over the extent lists, for each
/// bucket, the polygons whose bounding boxes overlap it, in code order, each with its bounding box and the place of
/// its rings. A lookup reads one bucket, tests bounding boxes, and runs the exact ring test only on polygons whose
/// box holds the point. ``locate(_:)-([GeoPoint])`` looks up many points at once, overlapping their memory accesses.
/// Polygons holding a non-finite coordinate are left out of the index (``GeoValidation`` reports them).
public struct GridIndex: Sendable {
    /// One grid: its code and its area.
    public struct Entry: Hashable, Sendable {
        public var code: String
        public var polygon: GeoPolygon

        public init(code: String, polygon: GeoPolygon) {
            self.code = code
            self.polygon = polygon
        }
    }

    /// The entries, in the order given; ``locate(_:)-(GeoPoint)`` answers an index into this array.
    public let entries: [Entry]

    /// The number of entries.
    public var count: Int { entries.count }

    // Indexed polygons are numbered by rank, their position in code order.

    /// The entry index of each rank.
    private let entryOfRank: [Int32]
    /// Each rank's bounding box and rings.
    private let polygons: [PolygonRecord]
    /// Ring i's points are coordinates[2 * ringStarts[i] ..< 2 * ringStarts[i + 1]], closed (first point repeated).
    private let ringStarts: [Int32]
    /// Longitude and latitude of every point of every ring, interleaved.
    private let coordinates: [Double]
    /// Bucket b lists bucketItems[bucketStarts[b] ..< bucketStarts[b + 1]], in rank order.
    private let bucketStarts: [Int32]
    private let bucketItems: [BucketItem]
    private let layout: BucketLayout

    /// Builds the index: sorts the codes, lays out the rings along a Z-order curve and fills the buckets. About
    /// 0.1 s for 100,000 grids.
    public init(_ entries: [Entry]) {
        self.entries = entries
        let order = entries.indices.sorted { a, b in
            entries[a].code != entries[b].code ? entries[a].code < entries[b].code : a < b
        }
        var entryOfRank = [Int32]()
        var polygons = [PolygonRecord]()
        entryOfRank.reserveCapacity(entries.count)
        polygons.reserveCapacity(entries.count)
        for entryIndex in order {
            let polygon = entries[entryIndex].polygon
            guard let box = polygon.boundingBox,
                polygon.holes.allSatisfy({ $0.isEmpty || GeoBoundingBox($0) != nil })
            else { continue }
            polygons.append(PolygonRecord(box: box))
            entryOfRank.append(Int32(entryIndex))
        }
        let layout = BucketLayout(polygons.map(\.box))
        let places = polygons.map { layout.zOrder($0.box) }
        let storageOrder = polygons.indices.sorted { places[$0] != places[$1] ? places[$0] < places[$1] : $0 < $1 }
        var ringStarts: [Int32] = [0]
        var coordinates = [Double]()
        coordinates.reserveCapacity(entries.reduce(0) { $0 + 2 * $1.polygon.outer.count + 2 })
        for rank in storageOrder {
            let polygon = entries[Int(entryOfRank[rank])].polygon
            polygons[rank].firstRing = Int32(ringStarts.count - 1)
            for ring in CollectionOfOne(polygon.outer) + polygon.holes where !ring.isEmpty {
                for point in ring {
                    coordinates.append(point.longitude)
                    coordinates.append(point.latitude)
                }
                if ring.first != ring.last {
                    coordinates.append(ring[0].longitude)
                    coordinates.append(ring[0].latitude)
                }
                ringStarts.append(Int32(coordinates.count / 2))
            }
            polygons[rank].ringEnd = Int32(ringStarts.count - 1)
        }
        var bucketStarts = [Int32](repeating: 0, count: layout.columns * layout.rows + 1)
        for polygon in polygons {
            layout.forEachBucket(polygon.box) { bucketStarts[$0 + 1] += 1 }
        }
        for bucket in 0..<(bucketStarts.count - 1) {
            bucketStarts[bucket + 1] += bucketStarts[bucket]
        }
        var fill = bucketStarts
        let placeholder = BucketItem(minX: 0, minY: 0, maxX: 0, maxY: 0, rank: 0, outerStart: 0, outerEnd: 0, holes: 0)
        var bucketItems = [BucketItem](repeating: placeholder, count: Int(bucketStarts.last!))
        for (rank, polygon) in polygons.enumerated() {
            let ring = Int(polygon.firstRing)
            let item = BucketItem(
                minX: layout.relativeX(polygon.box.minLongitude, rounding: .down),
                minY: layout.relativeY(polygon.box.minLatitude, rounding: .down),
                maxX: layout.relativeX(polygon.box.maxLongitude, rounding: .up),
                maxY: layout.relativeY(polygon.box.maxLatitude, rounding: .up),
                rank: Int32(rank),
                outerStart: ringStarts[ring],
                outerEnd: ringStarts[ring + 1],
                holes: polygon.ringEnd - polygon.firstRing - 1
            )
            layout.forEachBucket(polygon.box) { bucket in
                bucketItems[Int(fill[bucket])] = item
                fill[bucket] += 1
            }
        }
        self.entryOfRank = entryOfRank
        self.polygons = polygons
        self.ringStarts = ringStarts
        self.coordinates = coordinates
        self.bucketStarts = bucketStarts
        self.bucketItems = bucketItems
        self.layout = layout
    }

    /// Builds the index from (code, polygon) pairs.
    public init(_ entries: [(code: String, polygon: GeoPolygon)]) {
        self.init(entries.map { Entry(code: $0.code, polygon: $0.polygon) })
    }

    /// The index in ``entries`` of the grid containing `point` (boundary included), or nil when none does. On a
    /// shared border, the grid with the smallest code.
    public func locate(_ point: GeoPoint) -> Int? {
        guard let bucket = layout.bucket(point.longitude, point.latitude) else { return nil }
        return withBuffers { buffers in
            let start = Int(buffers.bucketStarts[bucket])
            return scan(buffers, start, Int(buffers.bucketStarts[bucket + 1]), point).map { Int(entryOfRank[$0]) }
        }
    }

    /// The answer of ``locate(_:)-(GeoPoint)`` for each of `points`, in order: the same answers, faster for many
    /// points because the lookups of a few dozen points at a time proceed side by side, so that their memory
    /// accesses overlap instead of waiting for each other.
    public func locate(_ points: [GeoPoint]) -> [Int?] {
        var answers = [Int?](repeating: nil, count: points.count)
        let groupSize = 32
        withBuffers { buffers in
            var starts = (0..<groupSize).map { _ in 0 }
            var ends = starts
            var firstX = [Double](repeating: 0, count: groupSize)
            var firstY = firstX
            var groupStart = 0
            while groupStart < points.count {
                let group = groupStart..<min(groupStart + groupSize, points.count)
                // First the buckets' bounds, then the first candidate of each bucket and its first vertex: each
                // step's loads are independent of one another, so the processor issues them together.
                for index in group {
                    let slot = index - groupStart
                    if let bucket = layout.bucket(points[index].longitude, points[index].latitude) {
                        starts[slot] = Int(buffers.bucketStarts[bucket])
                        ends[slot] = Int(buffers.bucketStarts[bucket + 1])
                    } else {
                        starts[slot] = 0
                        ends[slot] = 0
                    }
                }
                for index in group {
                    let slot = index - groupStart
                    let rx = points[index].longitude - layout.originX
                    let ry = points[index].latitude - layout.originY
                    var item = starts[slot]
                    while item < ends[slot] && !buffers.items[item].boxContains(rx, ry) { item += 1 }
                    starts[slot] = item
                    if item < ends[slot] {
                        let vertex = 2 * Int(buffers.items[item].outerStart)
                        firstX[slot] = buffers.coordinates[vertex]
                        firstY[slot] = buffers.coordinates[vertex + 1]
                    }
                }
                for index in group {
                    let slot = index - groupStart
                    let item = starts[slot]
                    guard item < ends[slot] else { continue }
                    let point = points[index]
                    let rank =
                        contains(buffers, buffers.items[item], point, firstX[slot], firstY[slot])
                        ? Int(buffers.items[item].rank) : scan(buffers, item + 1, ends[slot], point)
                    answers[index] = rank.map { Int(entryOfRank[$0]) }
                }
                groupStart = group.upperBound
            }
        }
        return answers
    }

    /// The code of the grid containing `point`, or nil; see ``locate(_:)-(GeoPoint)``.
    public func locateCode(_ point: GeoPoint) -> String? {
        locate(point).map { entries[$0].code }
    }

    /// The grid nearest to `point` and the distance in metres from the point to its boundary (0 when a grid
    /// contains the point), or nil when the index is empty.
    ///
    /// For messages such as "no grid contains (lon, lat); the nearest is X, 35 m away". Candidates are searched in
    /// widening rings of buckets around the point, on a local flat projection, and the distance reported is the
    /// great-circle distance to the nearest boundary point found. On a tie, the smallest code.
    public func nearest(to point: GeoPoint) -> (code: String, distanceMeters: Double)? {
        if let entry = locate(point) { return (entries[entry].code, 0) }
        guard !bucketItems.isEmpty, point.longitude.isFinite, point.latitude.isFinite else { return nil }
        let metersPerDegree = GeoPoint.earthRadiusMeters * Double.pi / 180
        let metersPerDegreeX = metersPerDegree * max(cos(point.latitude * Double.pi / 180), 1e-9)
        let (centerColumn, centerRow) = layout.clampedCell(point.longitude, point.latitude)
        var seen = Set<Int32>()
        var best: (squaredMeters: Double, rank: Int32, longitude: Double, latitude: Double)?
        var radius = 0
        while true {
            let columns = max(0, centerColumn - radius)...min(layout.columns - 1, centerColumn + radius)
            let rows = max(0, centerRow - radius)...min(layout.rows - 1, centerRow + radius)
            for row in rows {
                let onEdgeRow = row == centerRow - radius || row == centerRow + radius
                for column in columns
                where onEdgeRow || column == centerColumn - radius || column == centerColumn + radius {
                    let bucket = row * layout.columns + column
                    for item in Int(bucketStarts[bucket])..<Int(bucketStarts[bucket + 1]) {
                        let rank = bucketItems[item].rank
                        guard seen.insert(rank).inserted else { continue }
                        let candidate = nearestBoundaryPoint(
                            rank: Int(rank),
                            to: point,
                            metersPerDegreeX,
                            metersPerDegree
                        )
                        if best == nil || candidate.squaredMeters < best!.squaredMeters
                            || (candidate.squaredMeters == best!.squaredMeters && rank < best!.rank)
                        {
                            best = (candidate.squaredMeters, rank, candidate.longitude, candidate.latitude)
                        }
                    }
                }
            }
            // Any polygon not seen yet has its bounding box wholly in buckets outside the searched square.
            var bound = Double.infinity
            if columns.lowerBound > 0 {
                let edge = layout.originX + Double(columns.lowerBound) * layout.cellWidth
                bound = min(bound, max(0, point.longitude - edge) * metersPerDegreeX)
            }
            if columns.upperBound < layout.columns - 1 {
                let edge = layout.originX + Double(columns.upperBound + 1) * layout.cellWidth
                bound = min(bound, max(0, edge - point.longitude) * metersPerDegreeX)
            }
            if rows.lowerBound > 0 {
                let edge = layout.originY + Double(rows.lowerBound) * layout.cellHeight
                bound = min(bound, max(0, point.latitude - edge) * metersPerDegree)
            }
            if rows.upperBound < layout.rows - 1 {
                let edge = layout.originY + Double(rows.upperBound + 1) * layout.cellHeight
                bound = min(bound, max(0, edge - point.latitude) * metersPerDegree)
            }
            if bound == .infinity { break }
            if let best, best.squaredMeters <= bound * bound { break }
            radius += 1
        }
        guard let best else { return nil }
        let entry = entries[Int(entryOfRank[Int(best.rank)])]
        let distance = point.distanceMeters(to: GeoPoint(longitude: best.longitude, latitude: best.latitude))
        return (entry.code, distance)
    }

    /// The arrays a lookup reads, without bounds checks or reference counting.
    private struct Buffers {
        var bucketStarts: UnsafeBufferPointer<Int32>
        var items: UnsafeBufferPointer<BucketItem>
        var coordinates: UnsafeBufferPointer<Double>
    }

    @inline(__always)
    private func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
        bucketStarts.withUnsafeBufferPointer { bucketStarts in
            bucketItems.withUnsafeBufferPointer { items in
                coordinates.withUnsafeBufferPointer { coordinates in
                    body(Buffers(bucketStarts: bucketStarts, items: items, coordinates: coordinates))
                }
            }
        }
    }

    /// The rank of the first polygon among bucket items start..<end that contains `point`, or nil.
    @inline(__always)
    private func scan(_ buffers: Buffers, _ start: Int, _ end: Int, _ point: GeoPoint) -> Int? {
        let rx = point.longitude - layout.originX
        let ry = point.latitude - layout.originY
        var index = start
        while index < end {
            let item = buffers.items[index]
            index += 1
            guard item.boxContains(rx, ry) else { continue }
            let vertex = 2 * Int(item.outerStart)
            if contains(buffers, item, point, buffers.coordinates[vertex], buffers.coordinates[vertex + 1]) {
                return Int(item.rank)
            }
        }
        return nil
    }

    /// Whether `item`'s polygon contains `point`, boundary included; (firstX, firstY) is its outer ring's first point.
    @inline(__always)
    private func contains(
        _ buffers: Buffers,
        _ item: BucketItem,
        _ point: GeoPoint,
        _ firstX: Double,
        _ firstY: Double
    )
        -> Bool
    {
        let x = point.longitude
        let y = point.latitude
        switch closedRingLocation(buffers.coordinates, Int(item.outerStart), Int(item.outerEnd), firstX, firstY, x, y) {
        case .outside: return false
        case .boundary: return true
        case .inside: return item.holes == 0 || !isInHole(Int(item.rank), x, y)
        }
    }

    /// Whether (x, y), inside the outer ring of the polygon of `rank`, is strictly inside one of its holes.
    @inline(never)
    private func isInHole(_ rank: Int, _ x: Double, _ y: Double) -> Bool {
        coordinates.withUnsafeBufferPointer { coordinates in
            for hole in Int(polygons[rank].firstRing + 1)..<Int(polygons[rank].ringEnd) {
                let start = Int(ringStarts[hole])
                let location = closedRingLocation(
                    coordinates,
                    start,
                    Int(ringStarts[hole + 1]),
                    coordinates[2 * start],
                    coordinates[2 * start + 1],
                    x,
                    y
                )
                switch location {
                case .inside: return true
                case .boundary: return false
                case .outside: continue
                }
            }
            return false
        }
    }

    /// The point of rank's boundary nearest to `point`, on a flat projection centred on `point`.
    private func nearestBoundaryPoint(
        rank: Int,
        to point: GeoPoint,
        _ metersPerDegreeX: Double,
        _ metersPerDegreeY: Double
    ) -> (squaredMeters: Double, longitude: Double, latitude: Double) {
        var best = (squaredMeters: Double.infinity, longitude: 0.0, latitude: 0.0)
        for ring in Int(polygons[rank].firstRing)..<Int(polygons[rank].ringEnd) {
            let start = Int(ringStarts[ring])
            let end = Int(ringStarts[ring + 1])
            for index in start..<(end - 1) {
                let ax = (coordinates[2 * index] - point.longitude) * metersPerDegreeX
                let ay = (coordinates[2 * index + 1] - point.latitude) * metersPerDegreeY
                let bx = (coordinates[2 * index + 2] - point.longitude) * metersPerDegreeX
                let by = (coordinates[2 * index + 3] - point.latitude) * metersPerDegreeY
                let dx = bx - ax
                let dy = by - ay
                let length = dx * dx + dy * dy
                let t = length > 0 ? min(1, max(0, -(ax * dx + ay * dy) / length)) : 0
                let px = ax + t * dx
                let py = ay + t * dy
                let squared = px * px + py * py
                if squared < best.squaredMeters {
                    best = (
                        squared,
                        point.longitude + px / metersPerDegreeX,
                        point.latitude + py / metersPerDegreeY
                    )
                }
            }
        }
        return best
    }
}

/// An indexed polygon: its bounding box and its rings firstRing ..< ringEnd (the outer ring first).
private struct PolygonRecord: Sendable {
    var box: GeoBoundingBox
    var firstRing: Int32 = 0
    var ringEnd: Int32 = 0
}

/// A polygon as listed in a bucket, in 32 bytes: all a lookup needs besides the coordinates. The bounding box is
/// relative to the layout's origin, in Floats rounded outwards, so it holds every point the exact box holds.
private struct BucketItem: Sendable {
    var minX: Float
    var minY: Float
    var maxX: Float
    var maxY: Float
    var rank: Int32
    /// The outer ring's points are coordinates[2 * outerStart ..< 2 * outerEnd].
    var outerStart: Int32
    var outerEnd: Int32
    /// The number of holes.
    var holes: Int32

    /// Whether the box holds the point (rx, ry), given relative to the layout's origin.
    @inline(__always)
    func boxContains(_ rx: Double, _ ry: Double) -> Bool {
        rx >= Double(minX) && rx <= Double(maxX) && ry >= Double(minY) && ry <= Double(maxY)
    }
}

/// The uniform grid of buckets over the extent of the polygons' bounding boxes.
private struct BucketLayout: Sendable {
    var originX = 0.0
    var originY = 0.0
    var maxX = -1.0
    var maxY = -1.0
    var cellWidth = 1.0
    var cellHeight = 1.0
    var inverseCellWidth = 1.0
    var inverseCellHeight = 1.0
    var columns = 1
    var rows = 1

    /// Sizes the cells like the median bounding box, so that a bucket lists a few polygons, within a budget of
    /// about four buckets per polygon.
    init(_ boxes: [GeoBoundingBox]) {
        guard !boxes.isEmpty else { return }
        originX = boxes.map(\.minLongitude).min()!
        originY = boxes.map(\.minLatitude).min()!
        maxX = boxes.map(\.maxLongitude).max()!
        maxY = boxes.map(\.maxLatitude).max()!
        let width = maxX - originX
        let height = maxY - originY
        let widths = boxes.map { $0.maxLongitude - $0.minLongitude }.sorted()
        let heights = boxes.map { $0.maxLatitude - $0.minLatitude }.sorted()
        var cellWidth = widths[widths.count / 2] * BucketLayout.cellScale
        var cellHeight = heights[heights.count / 2] * BucketLayout.cellScale
        if !(cellWidth > 0) { cellWidth = width > 0 ? width / Double(boxes.count).squareRoot() : 1 }
        if !(cellHeight > 0) { cellHeight = height > 0 ? height / Double(boxes.count).squareRoot() : 1 }
        let budget = Double(4 * boxes.count + 16)
        let cells = (width / cellWidth + 1) * (height / cellHeight + 1)
        if cells > budget {
            let scale = (cells / budget).squareRoot()
            cellWidth *= scale
            cellHeight *= scale
        }
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        inverseCellWidth = 1 / cellWidth
        inverseCellHeight = 1 / cellHeight
        columns = max(1, min(Int(width * inverseCellWidth) + 1, Int(budget)))
        rows = max(1, min(Int(height * inverseCellHeight) + 1, Int(budget) / columns))
    }

    /// The cells' size relative to the median bounding box.
    static let cellScale = 1.0

    /// The column of longitude x in the extent (monotone in x, so boxes and points agree).
    @inline(__always)
    func column(_ x: Double) -> Int {
        min(Int((x - originX) * inverseCellWidth), columns - 1)
    }

    @inline(__always)
    func row(_ y: Double) -> Int {
        min(Int((y - originY) * inverseCellHeight), rows - 1)
    }

    /// The bucket holding (x, y), or nil when it is outside the extent (or not a number).
    @inline(__always)
    func bucket(_ x: Double, _ y: Double) -> Int? {
        guard x >= originX && x <= maxX && y >= originY && y <= maxY else { return nil }
        return row(y) * columns + column(x)
    }

    /// x − originX as a Float rounded in the given direction. Since x − originX is itself monotone in x, a point
    /// inside a box stays inside the box's Float version.
    func relativeX(_ x: Double, rounding: FloatingPointRoundingRule) -> Float {
        outward(x - originX, rounding)
    }

    func relativeY(_ y: Double, rounding: FloatingPointRoundingRule) -> Float {
        outward(y - originY, rounding)
    }

    private func outward(_ value: Double, _ rounding: FloatingPointRoundingRule) -> Float {
        var single = Float(value)
        if rounding == .down && Double(single) > value { single = single.nextDown }
        if rounding == .up && Double(single) < value { single = single.nextUp }
        return single
    }

    /// The position of the box's centre along a Z-order curve over the buckets.
    func zOrder(_ box: GeoBoundingBox) -> UInt64 {
        let column = UInt64(self.column((box.minLongitude + box.maxLongitude) / 2))
        let row = UInt64(self.row((box.minLatitude + box.maxLatitude) / 2))
        var code: UInt64 = 0
        for bit in 0..<32 {
            code |= (column >> bit & 1) << (2 * bit) | (row >> bit & 1) << (2 * bit + 1)
        }
        return code
    }

    /// The cell of the bucket nearest to (x, y).
    func clampedCell(_ x: Double, _ y: Double) -> (column: Int, row: Int) {
        (column(min(max(x, originX), maxX)), row(min(max(y, originY), maxY)))
    }

    func forEachBucket(_ box: GeoBoundingBox, _ body: (Int) -> Void) {
        for row in row(box.minLatitude)...row(box.maxLatitude) {
            for column in column(box.minLongitude)...column(box.maxLongitude) {
                body(row * columns + column)
            }
        }
    }
}

/// Where (x, y) lies relative to the closed ring of points start..<end in `coordinates`, whose first point
/// (firstX, firstY) the caller has read.
@inline(__always)
private func closedRingLocation(
    _ coordinates: UnsafeBufferPointer<Double>,
    _ start: Int,
    _ end: Int,
    _ firstX: Double,
    _ firstY: Double,
    _ x: Double,
    _ y: Double
) -> GeoPointLocation {
    var inside = false
    var index = 2 * start
    let stop = 2 * (end - 1)
    var ax = firstX
    var ay = firstY
    while index < stop {
        let bx = coordinates[index + 2]
        let by = coordinates[index + 3]
        switch edgeStep(ax, ay, bx, by, x, y) {
        case .boundary: return .boundary
        case .crossing: inside.toggle()
        case .none: break
        }
        ax = bx
        ay = by
        index += 2
    }
    return inside ? .inside : .outside
}
