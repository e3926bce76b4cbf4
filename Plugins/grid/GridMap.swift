import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiSchemas
import Logging
import Synchronization

/// Every grid's polygon in memory, kept current by a watch of Grid objects, with a spatial index that
/// answers which grid a point is in. The index is rebuilt on the first lookup after a change.
final class GridMap: Sendable {
    /// What the plugin knows of one grid besides its polygon.
    struct GridInfo: Sendable {
        var code: String
        var name: String
        var place: GridPlace
    }

    private struct Index: Sendable {
        var revision: Int64
        var index: GridIndex
        var infos: [GridInfo]
        var byCode: [String: Int]
    }

    private let cache: ObjectCache<Gongzhi_Core_V1_Grid>
    private let built = Mutex<Index?>(nil)

    init(objects: HostObjects, logger: Logger) {
        cache = ObjectCache(Gongzhi_Core_V1_Grid.self, objects: objects, logger: logger)
    }

    func run() async { await cache.run() }
    func waitUntilSynced() async { await cache.waitUntilSynced() }
    var count: Int { cache.snapshot.count }

    /// The grid containing `point` (on a shared border: the one with the smallest code), or nil.
    func locate(_ point: GeoPoint) -> GridInfo? {
        let index = current()
        return index.index.locate(point).map { index.infos[$0] }
    }

    /// The grid nearest to `point` and how far it is, for saying why a point is in none.
    func nearest(to point: GeoPoint) -> (code: String, distanceMeters: Double)? {
        current().index.nearest(to: point)
    }

    /// The grid with this code.
    func grid(code: String) -> GridInfo? {
        let index = current()
        return index.byCode[code].map { index.infos[$0] }
    }

    /// The index for the cache's current revision, built now if it is out of date.
    private func current() -> Index {
        let revision = cache.revision
        if let index = built.withLock({ $0 }), index.revision == revision { return index }
        let grids = cache.snapshot.values.sorted { $0.message.code < $1.message.code }
        var entries: [(code: String, polygon: GeoPolygon)] = []
        var infos: [GridInfo] = []
        var byCode: [String: Int] = [:]
        for object in grids {
            let grid = object.message
            guard !grid.code.isEmpty, byCode[grid.code] == nil else { continue }
            byCode[grid.code] = infos.count
            entries.append((grid.code, GeoPolygon(grid.polygon)))
            infos.append(GridInfo(code: grid.code, name: grid.name, place: GridPlace(grid)))
        }
        let index = Index(revision: revision, index: GridIndex(entries), infos: infos, byCode: byCode)
        built.withLock { $0 = index }
        return index
    }
}

extension GeoPolygon {
    init(_ polygon: Gongzhi_Core_V1_Polygon) {
        self.init(
            outer: polygon.outer.points.map(GeoPoint.init),
            holes: polygon.holes.map { $0.points.map(GeoPoint.init) }
        )
    }
}

extension GeoPoint {
    init(_ point: Gongzhi_Core_V1_Point) {
        self.init(longitude: point.longitude, latitude: point.latitude)
    }
}

extension GridPlace {
    /// A grid's place in the hierarchy (its community is its code's first 12 digits unless the grid says
    /// otherwise, its street the first 9), and its first worker, to whom small matters go.
    init(_ grid: Gongzhi_Core_V1_Grid) {
        let community = grid.communityCode.isEmpty ? String(grid.code.prefix(12)) : grid.communityCode
        var worker: Gongzhi_Grid_V1_Assignee?
        if let first = grid.workers.first {
            var assignee = Gongzhi_Grid_V1_Assignee()
            assignee.kind = .gridWorker
            // A person, when the grid names one; else the partner or the name, as grids listed them before.
            assignee.id =
                !first.personID.isEmpty ? first.personID : first.partnerID.isEmpty ? first.name : first.partnerID
            assignee.name = first.name
            worker = assignee
        }
        self.init(
            gridCode: grid.code,
            communityCode: community,
            streetCode: String(community.prefix(9)),
            worker: worker
        )
    }
}
