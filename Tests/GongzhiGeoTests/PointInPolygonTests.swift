import GongzhiGeo
import GongzhiTestSeeds
import XCTest

/// A closed ring through `corners` given as (longitude, latitude) pairs.
func ring(_ corners: [(Double, Double)]) -> [GeoPoint] {
    let points = corners.map { GeoPoint(longitude: $0.0, latitude: $0.1) }
    return points + [points[0]]
}

/// The axis-aligned rectangle [minX, maxX] × [minY, maxY], counter-clockwise.
func rectangle(_ minX: Double, _ minY: Double, _ maxX: Double, _ maxY: Double) -> [GeoPoint] {
    ring([(minX, minY), (maxX, minY), (maxX, maxY), (minX, maxY)])
}

func point(_ longitude: Double, _ latitude: Double) -> GeoPoint {
    GeoPoint(longitude: longitude, latitude: latitude)
}

final class PointInPolygonTests: XCTestCase {
    let squareWithHole = GeoPolygon(outer: rectangle(0, 0, 10, 10), holes: [rectangle(4, 4, 6, 6)])

    func testInsideAndOutside() {
        XCTAssertEqual(squareWithHole.location(of: point(2, 2)), .inside)
        XCTAssertEqual(squareWithHole.location(of: point(9.999, 0.001)), .inside)
        XCTAssertEqual(squareWithHole.location(of: point(11, 5)), .outside)
        XCTAssertEqual(squareWithHole.location(of: point(-1, -1)), .outside)
        XCTAssertEqual(squareWithHole.location(of: point(5, 10.000_000_000_001)), .outside)
        XCTAssertEqual(squareWithHole.location(of: point(-0.000_000_000_001, 5)), .outside)
        XCTAssertTrue(squareWithHole.contains(point(2, 2)))
        XCTAssertFalse(squareWithHole.contains(point(11, 5)))
    }

    func testOnEdgeAndVertex() {
        for onEdge in [point(10, 5), point(5, 0), point(0, 7.25), point(3, 10)] {
            XCTAssertEqual(squareWithHole.location(of: onEdge), .boundary, "\(onEdge)")
            XCTAssertTrue(squareWithHole.contains(onEdge))
        }
        for vertex in [point(0, 0), point(10, 0), point(10, 10), point(0, 10)] {
            XCTAssertEqual(squareWithHole.location(of: vertex), .boundary, "\(vertex)")
        }
        // A sloped edge, and points exactly on it.
        let triangle = GeoPolygon(outer: ring([(0, 0), (4, 2), (0, 2)]))
        XCTAssertEqual(triangle.location(of: point(2, 1)), .boundary)
        XCTAssertEqual(triangle.location(of: point(1, 0.5)), .boundary)
        XCTAssertEqual(triangle.location(of: point(1, 0.5.nextUp)), .inside)
        XCTAssertEqual(triangle.location(of: point(1, 0.5.nextDown)), .outside)
    }

    func testInHoleAndOnHoleEdge() {
        XCTAssertEqual(squareWithHole.location(of: point(5, 5)), .outside)
        XCTAssertFalse(squareWithHole.contains(point(5, 5)))
        XCTAssertEqual(squareWithHole.location(of: point(4, 5)), .boundary)
        XCTAssertEqual(squareWithHole.location(of: point(6, 6)), .boundary)
        XCTAssertTrue(squareWithHole.contains(point(5, 4)))
    }

    func testUnclosedRingIsClosedImplicitly() {
        let open = GeoPolygon(outer: Array(rectangle(0, 0, 1, 1).dropLast()))
        XCTAssertEqual(open.location(of: point(0.5, 0.5)), .inside)
        XCTAssertEqual(open.location(of: point(0, 0.5)), .boundary)
        XCTAssertEqual(GeoPolygon(outer: []).location(of: point(0, 0)), .outside)
    }

    /// Two polygons sharing a sloped edge with awkward coordinates: every point near the edge is in at least one,
    /// and in both only when it is exactly on the edge (with an exact orientation test, whichever way the edge runs).
    func testSharedEdgeIsConsistentNearTheEdge() {
        let a = (116.123_456_789, 39.987_654_321)
        let b = (116.234_567_890_1, 39.876_543_210_9)
        let left = GeoPolygon(outer: ring([a, (116.0, 39.8), b]))
        let right = GeoPolygon(outer: ring([a, b, (116.3, 40.0)]))
        var generator = seededRandom()
        var leftOnly = 0
        var rightOnly = 0
        for _ in 0..<20_000 {
            let t = Double(generator.next() % 1_000_000) / 1_000_000
            var x = a.0 + t * (b.0 - a.0)
            var y = a.1 + t * (b.1 - a.1)
            // Nudge by a few units in the last place either way.
            for _ in 0..<Int(generator.next() % 3) { x = generator.next() % 2 == 0 ? x.nextUp : x.nextDown }
            for _ in 0..<Int(generator.next() % 3) { y = generator.next() % 2 == 0 ? y.nextUp : y.nextDown }
            let p = point(x, y)
            let inLeft = left.location(of: p)
            let inRight = right.location(of: p)
            XCTAssertTrue(inLeft != .outside || inRight != .outside, "\(p) is in neither")
            XCTAssertFalse(inLeft == .inside && inRight == .inside, "\(p) is inside both")
            XCTAssertEqual(inLeft == .boundary, inRight == .boundary, "\(p)")
            if inLeft == .inside { leftOnly += 1 }
            if inRight == .inside { rightOnly += 1 }
        }
        XCTAssertEqual(left.location(of: point(a.0, a.1)), .boundary)
        XCTAssertEqual(right.location(of: point(b.0, b.1)), .boundary)
        XCTAssertGreaterThan(leftOnly, 1_000)
        XCTAssertGreaterThan(rightOnly, 1_000)
    }

    func testBoundingBox() {
        XCTAssertEqual(
            squareWithHole.boundingBox,
            GeoBoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: 10, maxLatitude: 10)
        )
        XCTAssertNil(GeoPolygon(outer: [point(.nan, 0)]).boundingBox)
        XCTAssertNil(GeoPolygon(outer: []).boundingBox)
    }
}
