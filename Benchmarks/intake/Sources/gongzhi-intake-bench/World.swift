import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf

/// The benchmark's district: district 330199, street 330199001, and square grids of `size` degrees tiled
/// `columns` × `rows` from (120.00° E, 30.00° N). Each column is a community (330199001CCC) of `rows` grids
/// (330199001CCCRRR), each grid with one worker.
///
/// Reports go to points on a lattice of cells about 110 m apart (8 × 10 cells a grid), one point a cell, at
/// most 25 m from the cell's centre, each cell used once in a shuffled order: no two reports are within 50 m
/// of each other, so the duplicate rule (50 m, 24 h, same category) joins none unless the plugin errs.
struct GridWorld: Sendable {
    static let district = "330199"
    static let street = "330199001"
    static let originLongitude = 120.00
    static let originLatitude = 30.00

    var columns: Int
    var rows: Int
    var size = 0.01
    let cellColumns = 8
    let cellRows = 10
    private var cells: [Int32]

    init(columns: Int, rows: Int, seed: UInt64 = 5) {
        self.columns = columns
        self.rows = rows
        var cells = (0..<Int32(columns * rows * cellColumns * cellRows)).map { $0 }
        var random = SplitMix64(seed: seed)
        cells.shuffle(using: &random)
        self.cells = cells
    }

    var gridCount: Int { columns * rows }
    var cellCount: Int { cells.count }

    static func communityCode(column: Int) -> String { street + digits(column + 1, width: 3) }

    static func gridCode(column: Int, row: Int) -> String { communityCode(column: column) + digits(row + 1, width: 3) }

    /// The point of the `index`-th cell of the shuffled lattice (wrapping round past the last), jittered.
    func point(_ index: Int) -> Gongzhi_Core_V1_Point {
        let cell = Int(cells[index % cells.count])
        let perGrid = cellColumns * cellRows
        let grid = cell / perGrid
        let (column, row) = (grid / rows, grid % rows)
        let inside = cell % perGrid
        let (cellColumn, cellRow) = (inside % cellColumns, inside / cellColumns)
        var random = SplitMix64(seed: UInt64(index) &* 0x9E37_79B9 &+ 17)
        // ±25 m: 0.00026° of longitude and 0.000225° of latitude at 30° N.
        let jitterLongitude = (Double(random.next() % 10_001) / 5_000 - 1) * 0.000_26
        let jitterLatitude = (Double(random.next() % 10_001) / 5_000 - 1) * 0.000_225
        var point = Gongzhi_Core_V1_Point()
        point.longitude =
            Self.originLongitude + Double(column) * size + (Double(cellColumn) + 0.5) * size / Double(cellColumns)
            + jitterLongitude
        point.latitude =
            Self.originLatitude + Double(row) * size + (Double(cellRow) + 0.5) * size / Double(cellRows)
            + jitterLatitude
        return point
    }

    /// The district, the street, the communities and the grids, as objects to create (parents first).
    func objects() throws -> [Gongzhi_Host_V1_Object] {
        func object(
            _ kind: String,
            _ id: String,
            parent: String,
            _ message: some SwiftProtobuf.Message
        ) throws
            -> Gongzhi_Host_V1_Object
        {
            var object = Gongzhi_Host_V1_Object()
            object.kind = kind
            object.id = id
            object.parent = parent
            object.data = try message.serializedBytes()
            return object
        }
        func region(
            _ code: String,
            _ level: Gongzhi_Core_V1_Region.Level,
            parent: String
        ) throws
            -> Gongzhi_Host_V1_Object
        {
            var region = Gongzhi_Core_V1_Region()
            region.code = code
            region.name = "区域 \(code)"
            region.level = level
            region.parentCode = parent
            return try object("Region", code, parent: parent, region)
        }
        var objects = [
            try region(Self.district, .district, parent: ""),
            try region(Self.street, .street, parent: Self.district),
        ]
        for column in 0..<columns {
            objects.append(try region(Self.communityCode(column: column), .community, parent: Self.street))
        }
        for column in 0..<columns {
            for row in 0..<rows {
                var grid = Gongzhi_Core_V1_Grid()
                grid.code = Self.gridCode(column: column, row: row)
                grid.name = "网格 \(digits(column + 1, width: 3))-\(digits(row + 1, width: 3))"
                grid.communityCode = Self.communityCode(column: column)
                let west = Self.originLongitude + Double(column) * size
                let south = Self.originLatitude + Double(row) * size
                grid.polygon.outer.points = [(0.0, 0.0), (size, 0.0), (size, size), (0.0, size), (0.0, 0.0)].map {
                    var point = Gongzhi_Core_V1_Point()
                    point.longitude = west + $0.0
                    point.latitude = south + $0.1
                    return point
                }
                var worker = Gongzhi_Core_V1_GridWorker()
                worker.name = "网格员\(digits(column * rows + row + 1, width: 4))"
                worker.phone = "138" + digits(column * rows + row, width: 8)
                worker.fullTime = true
                grid.workers = [worker]
                objects.append(try object("Grid", grid.code, parent: grid.communityCode, grid))
            }
        }
        return objects
    }

    /// Creates the world through `gongzhi.host.v1.Objects/Txn` on the admin socket, 250 objects a call.
    func create(on objects: Gongzhi_Host_V1_ObjectsClient) async throws {
        let all = try self.objects()
        for start in stride(from: 0, to: all.count, by: 250) {
            var request = Gongzhi_Host_V1_TxnRequest()
            for object in all[start..<min(all.count, start + 250)] {
                var write = Gongzhi_Host_V1_Write()
                write.create = object
                request.writes.append(write)
            }
            _ = try await objects.txn(request, options: CallOptions(timeout: .seconds(60)))
        }
    }
}
