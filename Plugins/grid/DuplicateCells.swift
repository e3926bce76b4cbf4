import GongzhiGeo

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Squares on the map, about one duplicate radius wide, by which the plugin finds the open cases near a
/// report and makes reports that could be duplicates of each other take turns.
struct DuplicateCells: Sendable {
    /// The side of a square in degrees (of latitude; squares are as many degrees wide in longitude).
    let side: Double
    /// The duplicate radius in metres.
    let radius: Double

    /// Metres per degree of latitude on the sphere `GeoPoint.distanceMeters` measures on.
    private static let metresPerDegree = GeoPoint.earthRadiusMeters * .pi / 180
    /// The search reaches a little beyond the radius, so that rounding never leaves a case just inside it out.
    private static let margin = 1.01

    init(radiusMeters: Double) {
        radius = max(radiusMeters, 1)
        side = radius / Self.metresPerDegree
    }

    struct Cell: Hashable, Sendable {
        var x: Int
        var y: Int
    }

    /// The square a point is in.
    func cell(of point: GeoPoint) -> Cell {
        Cell(x: Int((point.longitude / side).rounded(.down)), y: Int((point.latitude / side).rounded(.down)))
    }

    /// Every square the radius around `point` touches.
    func cells(around point: GeoPoint) -> [Cell] {
        let latitudeSpan = radius * Self.margin / Self.metresPerDegree
        let longitudeSpan = radius * Self.margin / (Self.metresPerDegree * max(cos(point.latitude * .pi / 180), 0.01))
        let low = cell(
            of: GeoPoint(longitude: point.longitude - longitudeSpan, latitude: point.latitude - latitudeSpan)
        )
        let high = cell(
            of: GeoPoint(longitude: point.longitude + longitudeSpan, latitude: point.latitude + latitudeSpan)
        )
        var cells: [Cell] = []
        for x in low.x...high.x {
            for y in low.y...high.y { cells.append(Cell(x: x, y: y)) }
        }
        return cells
    }
}
