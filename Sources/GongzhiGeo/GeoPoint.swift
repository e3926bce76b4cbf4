#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A place on the earth in WGS-84 degrees, as the core schemas carry it (`gongzhi.core.v1.Point`).
public struct GeoPoint: Hashable, Sendable, CustomStringConvertible {
    public var longitude: Double
    public var latitude: Double

    public init(longitude: Double, latitude: Double) {
        self.longitude = longitude
        self.latitude = latitude
    }

    /// True when both coordinates are finite and within ±180° longitude and ±90° latitude.
    public var isValid: Bool {
        longitude.isFinite && latitude.isFinite && abs(longitude) <= 180 && abs(latitude) <= 90
    }

    /// The great-circle distance to `other` in metres (haversine on a sphere of the earth's mean radius);
    /// good to well under a percent at the scale of a city.
    public func distanceMeters(to other: GeoPoint) -> Double {
        let radians = Double.pi / 180
        let phi1 = latitude * radians
        let phi2 = other.latitude * radians
        let deltaPhi = (other.latitude - latitude) * radians
        let deltaLambda = (other.longitude - longitude) * radians
        let h =
            sin(deltaPhi / 2) * sin(deltaPhi / 2) + cos(phi1) * cos(phi2) * sin(deltaLambda / 2) * sin(deltaLambda / 2)
        return 2 * GeoPoint.earthRadiusMeters * asin(min(1, h.squareRoot()))
    }

    /// The earth's mean radius (IUGG).
    public static let earthRadiusMeters = 6_371_008.8

    public var description: String { "(\(longitude), \(latitude))" }
}

/// A polygon: an outer ring and holes, each ring closed (its first point repeated at its end), as the core
/// schemas carry it (`gongzhi.core.v1.Polygon`).
public struct GeoPolygon: Hashable, Sendable {
    public var outer: [GeoPoint]
    public var holes: [[GeoPoint]]

    public init(outer: [GeoPoint], holes: [[GeoPoint]] = []) {
        self.outer = outer
        self.holes = holes
    }
}
