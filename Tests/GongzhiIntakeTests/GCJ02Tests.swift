import Foundation
import GongzhiIntake
import XCTest

final class GCJ02Tests: XCTestCase {
    /// Metres between two points (haversine on a sphere of the mean radius).
    private func metres(_ a: Coordinate, _ b: Coordinate) -> Double {
        let radius = 6_371_008.8
        let phi1 = a.latitude * .pi / 180
        let phi2 = b.latitude * .pi / 180
        let dPhi = phi2 - phi1
        let dLambda = (b.longitude - a.longitude) * .pi / 180
        let h = sin(dPhi / 2) * sin(dPhi / 2) + cos(phi1) * cos(phi2) * sin(dLambda / 2) * sin(dLambda / 2)
        return 2 * radius * asin(min(1, h.squareRoot()))
    }

    /// Points across Hangzhou: West Lake, the station, Xiaoshan, Yuhang, Binjiang, and a grid over the city.
    private var hangzhou: [Coordinate] {
        var points = [
            Coordinate(latitude: 30.2590, longitude: 120.1430),
            Coordinate(latitude: 30.2921, longitude: 120.2130),
            Coordinate(latitude: 30.1850, longitude: 120.2640),
            Coordinate(latitude: 30.4190, longitude: 120.3010),
            Coordinate(latitude: 30.2080, longitude: 120.2110),
        ]
        for row in 0..<10 {
            for column in 0..<10 {
                points.append(
                    Coordinate(latitude: 30.05 + Double(row) * 0.05, longitude: 119.90 + Double(column) * 0.06)
                )
            }
        }
        return points
    }

    func testTheRoundTripIsWithinAMetreInHangzhou() {
        for point in hangzhou {
            let shifted = GCJ02.fromWGS84(point)
            let back = GCJ02.toWGS84(shifted)
            XCTAssertLessThan(metres(point, back), 1, "\(point)")
            XCTAssertLessThan(metres(point, back), 0.01, "the iteration converges well under a centimetre")
        }
    }

    func testTheShiftInHangzhouIsHundredsOfMetres() {
        for point in hangzhou {
            let shift = metres(point, GCJ02.fromWGS84(point))
            XCTAssertGreaterThan(shift, 200, "\(point)")
            XCTAssertLessThan(shift, 1_000, "\(point)")
        }
        // GCJ-02 moves points in Hangzhou to the south-east: north of the true point by less than it is east.
        let westLake = Coordinate(latitude: 30.2590, longitude: 120.1430)
        let shifted = GCJ02.fromWGS84(westLake)
        XCTAssertGreaterThan(shifted.longitude, westLake.longitude)
        XCTAssertLessThan(shifted.latitude, westLake.latitude)
    }

    func testPointsOutsideChinaAreNotShifted() {
        let sanFrancisco = Coordinate(latitude: 37.762221815, longitude: -122.4651145)
        XCTAssertEqual(GCJ02.fromWGS84(sanFrancisco), sanFrancisco)
        XCTAssertEqual(GCJ02.toWGS84(sanFrancisco), sanFrancisco)
        XCTAssertFalse(GCJ02.isShifted(Coordinate(latitude: 1.29, longitude: 71.9)))
        XCTAssertTrue(GCJ02.isShifted(Coordinate(latitude: 30.26, longitude: 120.14)))
    }
}
