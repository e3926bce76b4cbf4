import GongzhiSchemas

/// A point in millionths of a degree (WGS 84): integers, so that the data are exact and the same everywhere.
/// Around latitude 30.28°, a millionth of a degree is about 0.096 m east–west and 0.111 m north–south.
struct MicroPoint: Equatable {
    var longitude: Int
    var latitude: Int

    static let metresPerMicroLongitude = 0.0962
    static let metresPerMicroLatitude = 0.1109

    var message: Gongzhi_Core_V1_Point {
        var point = Gongzhi_Core_V1_Point()
        point.longitude = Double(longitude) / 1_000_000
        point.latitude = Double(latitude) / 1_000_000
        return point
    }
}

/// A polygon without holes, as its vertices in counter-clockwise order (the ring is closed when written).
struct MicroPolygon {
    var vertices: [MicroPoint]

    /// The message: one outer ring whose first and last points are the same.
    var message: Gongzhi_Core_V1_Polygon {
        var ring = Gongzhi_Core_V1_Ring()
        ring.points = (vertices + [vertices[0]]).map(\.message)
        var polygon = Gongzhi_Core_V1_Polygon()
        polygon.outer = ring
        return polygon
    }

    /// Twice the signed area; positive when the vertices run counter-clockwise.
    var doubleSignedArea: Int {
        var sum = 0
        for index in vertices.indices {
            let a = vertices[index]
            let b = vertices[(index + 1) % vertices.count]
            sum += a.longitude * b.latitude - b.longitude * a.latitude
        }
        return sum
    }

    /// Whether `point` is strictly inside (even–odd rule; the generator keeps points well off the edges).
    func contains(_ point: MicroPoint) -> Bool {
        var inside = false
        var previous = vertices[vertices.count - 1]
        for vertex in vertices {
            if (vertex.latitude > point.latitude) != (previous.latitude > point.latitude) {
                // The edge's longitude at the point's latitude, compared without division.
                let lhs = (point.longitude - vertex.longitude) * (previous.latitude - vertex.latitude)
                let rhs = (previous.longitude - vertex.longitude) * (point.latitude - vertex.latitude)
                if (previous.latitude - vertex.latitude > 0) ? lhs < rhs : lhs > rhs {
                    inside.toggle()
                }
            }
            previous = vertex
        }
        return inside
    }
}

/// An axis-aligned rectangle in millionths of a degree.
struct MicroRect {
    var west: Int
    var south: Int
    var east: Int
    var north: Int

    var width: Int { east - west }
    var height: Int { north - south }

    /// Counter-clockwise from the south-west corner.
    var polygon: MicroPolygon {
        MicroPolygon(vertices: [
            MicroPoint(longitude: west, latitude: south),
            MicroPoint(longitude: east, latitude: south),
            MicroPoint(longitude: east, latitude: north),
            MicroPoint(longitude: west, latitude: north),
        ])
    }

    func offset(by origin: MicroPoint) -> MicroRect {
        MicroRect(
            west: west + origin.longitude,
            south: south + origin.latitude,
            east: east + origin.longitude,
            north: north + origin.latitude
        )
    }

    /// The four quarters around (`splitLongitude`, `splitLatitude`), counter-clockwise from the south-west one.
    func quarters(splitLongitude: Int, splitLatitude: Int) -> [MicroRect] {
        precondition(west < splitLongitude && splitLongitude < east && south < splitLatitude && splitLatitude < north)
        return [
            MicroRect(west: west, south: south, east: splitLongitude, north: splitLatitude),
            MicroRect(west: splitLongitude, south: south, east: east, north: splitLatitude),
            MicroRect(west: splitLongitude, south: splitLatitude, east: east, north: north),
            MicroRect(west: west, south: splitLatitude, east: splitLongitude, north: north),
        ]
    }

    /// `count` sites laid out in rows and columns inside the rectangle, each moved a little off its cell's centre,
    /// numbered from the south-west, row by row.
    func sites(_ count: Int, using random: inout SplitMix64) -> [MicroPoint] {
        let widthMetres = Double(width) * MicroPoint.metresPerMicroLongitude
        let heightMetres = Double(height) * MicroPoint.metresPerMicroLatitude
        // A margin of a tenth on every side for the compound's roads and green.
        let inner = MicroRect(
            west: west + width / 10,
            south: south + height / 10,
            east: east - width / 10,
            north: north - height / 10
        )
        let columns = max(1, Int((Double(count) * widthMetres / heightMetres).squareRoot().rounded()))
        let rows = (count + columns - 1) / columns
        let cellWidth = inner.width / columns
        let cellHeight = inner.height / rows
        var sites: [MicroPoint] = []
        for index in 0..<count {
            let row = index / columns
            let column = index % columns
            let jitterEast = random.int(in: -(cellWidth / 5)...(cellWidth / 5))
            let jitterNorth = random.int(in: -(cellHeight / 5)...(cellHeight / 5))
            sites.append(
                MicroPoint(
                    longitude: inner.west + cellWidth * column + cellWidth / 2 + jitterEast,
                    latitude: inner.south + cellHeight * row + cellHeight / 2 + jitterNorth
                )
            )
        }
        return sites
    }
}
