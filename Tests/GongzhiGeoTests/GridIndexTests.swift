import GongzhiGeo
import GongzhiTestSeeds
import XCTest

final class GridIndexTests: XCTestCase {
    func testTwoGridsSharingAnEdge() {
        let west = GridIndex.Entry(code: "110105001001002", polygon: GeoPolygon(outer: rectangle(0, 0, 1, 1)))
        let east = GridIndex.Entry(code: "110105001001001", polygon: GeoPolygon(outer: rectangle(1, 0, 2, 1)))
        for entries in [[west, east], [east, west]] {
            let index = GridIndex(entries)
            XCTAssertEqual(index.locateCode(point(1, 0.5)), east.code)
            XCTAssertEqual(index.locateCode(point(1, 0)), east.code)
            XCTAssertEqual(index.locateCode(point(1, 1)), east.code)
            XCTAssertEqual(index.locateCode(point(0.5, 0.5)), west.code)
            XCTAssertEqual(index.locateCode(point(0, 0)), west.code)
            XCTAssertEqual(index.locateCode(point(1.5, 0.5)), east.code)
            XCTAssertNil(index.locate(point(2.5, 0.5)))
            XCTAssertNil(index.locate(point(.nan, 0.5)))
            XCTAssertEqual(index.locate(point(0.5, 0.5)).map { index.entries[$0].code }, west.code)
            XCTAssertEqual(index.count, 2)
        }
    }

    func testFourGridsSharingAVertexInEveryOrder() {
        // Quadrants around (1, 1); codes chosen so that String order differs from position order.
        let quadrants = [
            GridIndex.Entry(code: "110105001001004", polygon: GeoPolygon(outer: rectangle(0, 0, 1, 1))),
            GridIndex.Entry(code: "110105001001002", polygon: GeoPolygon(outer: rectangle(1, 0, 2, 1))),
            GridIndex.Entry(code: "110105001001003", polygon: GeoPolygon(outer: rectangle(1, 1, 2, 2))),
            GridIndex.Entry(code: "110105001001009", polygon: GeoPolygon(outer: rectangle(0, 1, 1, 2))),
        ]
        for order in permutations(Array(0..<4)) {
            let index = GridIndex(order.map { quadrants[$0] })
            XCTAssertEqual(index.locateCode(point(1, 1)), "110105001001002", "\(order)")
            XCTAssertEqual(index.locateCode(point(0.5, 1)), "110105001001004", "\(order)")
            XCTAssertEqual(index.locateCode(point(1, 1.5)), "110105001001003", "\(order)")
            XCTAssertEqual(index.locateCode(point(0.5, 1.5)), "110105001001009", "\(order)")
            XCTAssertEqual(
                index.locate([point(1, 1), point(0.5, 1.5), point(3, 3)]).map { $0.map { index.entries[$0].code } },
                [
                    "110105001001002", "110105001001009", nil,
                ]
            )
        }
    }

    func testAgreesWithBruteForceOnATilingWithHoles() {
        var generator = seededRandom()
        let entries = tiling(columns: 24, rows: 18, using: &generator)
        let index = GridIndex(entries.shuffled(using: &generator))
        XCTAssertEqual(index.count, entries.count)
        var points = [GeoPoint]()
        for _ in 0..<10_000 {
            points.append(
                point(
                    116 + Double.random(in: -0.002...0.026, using: &generator),
                    39.9 + Double.random(in: -0.002...0.02, using: &generator)
                )
            )
        }
        // Vertices too: on the borders of several grids.
        for entry in entries.prefix(300) {
            points.append(entry.polygon.outer[Int(generator.next() % UInt64(entry.polygon.outer.count))])
        }
        let boxes = index.entries.map { ($0.polygon.boundingBox!, $0) }
        let batch = index.locate(points)
        var found = 0
        var onBorders = 0
        for (position, p) in points.enumerated() {
            let containing = boxes.filter { $0.0.contains(p) && $0.1.polygon.contains(p) }.map(\.1.code)
            let expected = containing.min()
            XCTAssertEqual(index.locateCode(p), expected, "\(p)")
            XCTAssertEqual(batch[position].map { index.entries[$0].code }, expected, "\(p)")
            if expected != nil { found += 1 }
            if containing.count > 1 { onBorders += 1 }
        }
        XCTAssertGreaterThan(found, 6_500)
        XCTAssertGreaterThan(onBorders, 250)
    }

    func testNearest() {
        let a = GridIndex.Entry(
            code: "110105001001001",
            polygon: GeoPolygon(outer: rectangle(116.0, 39.9, 116.01, 39.91))
        )
        let b = GridIndex.Entry(
            code: "110105001001002",
            polygon: GeoPolygon(outer: rectangle(116.03, 39.9, 116.04, 39.91))
        )
        let index = GridIndex([b, a])
        let outside = point(116.0125, 39.905)
        let nearest = index.nearest(to: outside)
        XCTAssertEqual(nearest?.code, a.code)
        let expected = outside.distanceMeters(to: point(116.01, 39.905))
        XCTAssertEqual(nearest?.distanceMeters ?? 0, expected, accuracy: 0.01)
        XCTAssertEqual(expected, 213, accuracy: 1)
        XCTAssertEqual(index.nearest(to: point(116.025, 39.905))?.code, b.code)
        let inside = index.nearest(to: point(116.035, 39.905))
        XCTAssertEqual(inside?.code, b.code)
        XCTAssertEqual(inside?.distanceMeters, 0)
        // Far away, beyond the corner: the distance to the nearest corner.
        let far = point(115.9, 39.8)
        XCTAssertEqual(index.nearest(to: far)?.code, a.code)
        XCTAssertEqual(
            index.nearest(to: far)?.distanceMeters ?? 0,
            far.distanceMeters(to: point(116.0, 39.9)),
            accuracy: 1
        )
        XCTAssertNil(GridIndex([GridIndex.Entry]()).nearest(to: outside))
    }

    func testNearestOnATilingMatchesBruteForce() {
        var generator = seededRandom()
        let entries = tiling(columns: 12, rows: 10, using: &generator)
        let index = GridIndex(entries)
        for _ in 0..<100 {
            let p = point(
                116 + Double.random(in: -0.01...0.022, using: &generator),
                39.9 + Double.random(in: -0.01...0.02, using: &generator)
            )
            guard index.locate(p) == nil, let nearest = index.nearest(to: p) else { continue }
            let bruteForce = entries.map { entry in
                (entry.code, ([entry.polygon.outer] + entry.polygon.holes).map { distance(p, $0) }.min()!)
            }.min { $0.1 < $1.1 }!
            XCTAssertEqual(nearest.distanceMeters, bruteForce.1, accuracy: 0.05, "\(p)")
        }
    }

    func testPolygonsWithInvalidCoordinatesAreLeftOut() {
        let index = GridIndex([
            (code: "110105001001001", polygon: GeoPolygon(outer: ring([(0, 0), (.nan, 0), (1, 1)]))),
            (code: "110105001001002", polygon: GeoPolygon(outer: rectangle(0, 0, 1, 1))),
            (code: "110105001001003", polygon: GeoPolygon(outer: [])),
        ])
        XCTAssertEqual(index.count, 3)
        XCTAssertEqual(index.locateCode(point(0.5, 0.5)), "110105001001002")
        XCTAssertNil(GridIndex([GridIndex.Entry]()).locate(point(0, 0)))
    }
}

/// A jittered lattice of grids near (116, 39.9): cells of about 1 × 1 thousandths of a degree whose edges are split
/// by shared points, some with a hole and some of those holes filled by an island grid.
func tiling(columns: Int, rows: Int, using generator: inout SplitMix64) -> [GridIndex.Entry] {
    let size = 0.001
    var corners = [[GeoPoint]]()
    for i in 0...columns {
        corners.append(
            (0...rows).map { j in
                point(
                    116 + (Double(i) + Double.random(in: -0.15...0.15, using: &generator)) * size,
                    39.9 + (Double(j) + Double.random(in: -0.15...0.15, using: &generator)) * size
                )
            }
        )
    }
    func split(_ a: GeoPoint, _ b: GeoPoint) -> [GeoPoint] {
        let count = Int(generator.next() % 3)
        return (0..<count).map { k in
            let t = Double(k + 1) / Double(count + 1)
            let offset = Double.random(in: -0.1...0.1, using: &generator) * size
            return point(
                a.longitude + t * (b.longitude - a.longitude) + offset,
                a.latitude + t * (b.latitude - a.latitude) + offset
            )
        }
    }
    var horizontal = [[[GeoPoint]]]()
    for i in 0..<columns { horizontal.append((0...rows).map { j in split(corners[i][j], corners[i + 1][j]) }) }
    var vertical = [[[GeoPoint]]]()
    for i in 0...columns { vertical.append((0..<rows).map { j in split(corners[i][j], corners[i][j + 1]) }) }
    var entries = [GridIndex.Entry]()
    var number = 0
    func code() -> String {
        number += 1
        let scrambled = (number * 7_919) % 1_000
        return "110105001" + String(String(1_000 + scrambled % 1_000).dropFirst())
            + String(String(1_000 + number).dropFirst())
    }
    for i in 0..<columns {
        for j in 0..<rows {
            var outer = [corners[i][j]] + horizontal[i][j] + [corners[i + 1][j]] + vertical[i + 1][j]
            outer +=
                [corners[i + 1][j + 1]] + horizontal[i][j + 1].reversed() + [corners[i][j + 1]]
                + vertical[i][j].reversed()
            outer.append(outer[0])
            var holes = [[GeoPoint]]()
            if (i + 2 * j) % 7 == 0 {
                let cx = 116 + (Double(i) + 0.5) * size
                let cy = 39.9 + (Double(j) + 0.5) * size
                let hole = ring([
                    (cx - 0.2 * size, cy - 0.2 * size), (cx - 0.2 * size, cy + 0.2 * size), (cx + 0.2 * size, cy),
                ])
                holes.append(hole)
                if i % 2 == 0 {
                    entries.append(GridIndex.Entry(code: code(), polygon: GeoPolygon(outer: hole.reversed())))
                }
            }
            entries.append(GridIndex.Entry(code: code(), polygon: GeoPolygon(outer: outer, holes: holes)))
        }
    }
    return entries
}

/// The distance in metres from `p` to `ring`'s edges: a ternary search along each edge on the great-circle
/// distance (a reference independent of the index's flat projection).
private func distance(_ p: GeoPoint, _ ring: [GeoPoint]) -> Double {
    var best = Double.infinity
    for (a, b) in zip(ring, ring.dropFirst()) {
        func at(_ t: Double) -> Double {
            p.distanceMeters(
                to: point(a.longitude + t * (b.longitude - a.longitude), a.latitude + t * (b.latitude - a.latitude))
            )
        }
        var low = 0.0
        var high = 1.0
        for _ in 0..<60 {
            let first = low + (high - low) / 3
            let second = high - (high - low) / 3
            if at(first) < at(second) { high = second } else { low = first }
        }
        best = min(best, at(low), at(0), at(1))
    }
    return best
}

private func permutations(_ items: [Int]) -> [[Int]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { index in
        var rest = items
        let first = rest.remove(at: index)
        return permutations(rest).map { [first] + $0 }
    }
}
