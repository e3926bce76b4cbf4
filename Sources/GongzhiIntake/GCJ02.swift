#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// China's GCJ-02 datum (火星坐标), which WeChat, Amap and other apps give coordinates in: WGS-84 shifted by a
/// published obfuscation of up to a few hundred metres inside China. A source that declares `datum: gcj02`
/// has its points converted to WGS-84 before they are located in a grid; points outside China are not shifted.
public enum GCJ02 {
    /// Krasovsky 1940's semi-major axis and eccentricity squared, as the transform uses them.
    static let semiMajorAxis = 6_378_245.0
    static let eccentricitySquared = 0.006_693_421_622_965_943_23

    /// True for points in the rough box of mainland China the transform applies to.
    public static func isShifted(_ point: Coordinate) -> Bool {
        point.longitude >= 72.004 && point.longitude <= 137.8347 && point.latitude >= 0.8293
            && point.latitude <= 55.8271
    }

    /// The GCJ-02 point of a WGS-84 point.
    public static func fromWGS84(_ point: Coordinate) -> Coordinate {
        guard isShifted(point) else { return point }
        let (dLatitude, dLongitude) = offset(point)
        return Coordinate(latitude: point.latitude + dLatitude, longitude: point.longitude + dLongitude)
    }

    /// The WGS-84 point of a GCJ-02 point, by fixed-point iteration on the forward transform: within a
    /// millimetre after a few steps.
    public static func toWGS84(_ point: Coordinate) -> Coordinate {
        guard isShifted(point) else { return point }
        var guess = point
        for _ in 0..<10 {
            let forward = fromWGS84(guess)
            let dLatitude = forward.latitude - point.latitude
            let dLongitude = forward.longitude - point.longitude
            guess = Coordinate(latitude: guess.latitude - dLatitude, longitude: guess.longitude - dLongitude)
            if abs(dLatitude) < 1e-9, abs(dLongitude) < 1e-9 { break }
        }
        return guess
    }

    static func offset(_ point: Coordinate) -> (latitude: Double, longitude: Double) {
        let x = point.longitude - 105.0
        let y = point.latitude - 35.0
        var dLatitude = transformLatitude(x, y)
        var dLongitude = transformLongitude(x, y)
        let radians = point.latitude / 180.0 * Double.pi
        var magic = sin(radians)
        magic = 1 - eccentricitySquared * magic * magic
        let sqrtMagic = magic.squareRoot()
        dLatitude =
            (dLatitude * 180.0) / ((semiMajorAxis * (1 - eccentricitySquared)) / (magic * sqrtMagic) * Double.pi)
        dLongitude = (dLongitude * 180.0) / (semiMajorAxis / sqrtMagic * cos(radians) * Double.pi)
        return (dLatitude, dLongitude)
    }

    static func transformLatitude(_ x: Double, _ y: Double) -> Double {
        var result = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot()
        result += (20.0 * sin(6.0 * x * Double.pi) + 20.0 * sin(2.0 * x * Double.pi)) * 2.0 / 3.0
        result += (20.0 * sin(y * Double.pi) + 40.0 * sin(y / 3.0 * Double.pi)) * 2.0 / 3.0
        result += (160.0 * sin(y / 12.0 * Double.pi) + 320 * sin(y * Double.pi / 30.0)) * 2.0 / 3.0
        return result
    }

    static func transformLongitude(_ x: Double, _ y: Double) -> Double {
        var result = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot()
        result += (20.0 * sin(6.0 * x * Double.pi) + 20.0 * sin(2.0 * x * Double.pi)) * 2.0 / 3.0
        result += (20.0 * sin(x * Double.pi) + 40.0 * sin(x / 3.0 * Double.pi)) * 2.0 / 3.0
        result += (150.0 * sin(x / 12.0 * Double.pi) + 300.0 * sin(x / 30.0 * Double.pi)) * 2.0 / 3.0
        return result
    }
}
