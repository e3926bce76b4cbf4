import GongzhiGrid
import GongzhiPluginSDK
import GongzhiSchemas
import Logging
import Synchronization

extension Gongzhi_Grid_V1_Case: ObjectKind {
    public static var kindName: String { "Case" }
}

typealias CaseObject = TypedObject<Gongzhi_Grid_V1_Case>

/// Every case in memory: the objects of kind Case as a watch keeps them, and the writes this plugin made
/// that the watch has not delivered yet, so that a step sees the one before it at once.
final class CaseBook: Sendable {
    private let cache: ObjectCache<Gongzhi_Grid_V1_Case>
    private let objects: HostObjects
    /// Written here, newer than the cache until the watch catches up.
    private let written = Mutex<[String: CaseObject]>([:])
    /// Reports linked to a case as duplicates, by principal and idempotency key, to answer their retries.
    private let linked = Mutex<[String: String]>([:])

    init(objects: HostObjects, logger: Logger) {
        self.objects = objects
        cache = ObjectCache(Gongzhi_Grid_V1_Case.self, objects: objects, logger: logger)
    }

    func run() async { await cache.run() }
    func waitUntilSynced() async { await cache.waitUntilSynced() }
    var count: Int { all().count }

    /// The case with this id, as of the newest of the watch and this plugin's writes.
    subscript(id: String) -> CaseObject? {
        let seen = cache.revision
        let cached = cache[id]
        return written.withLock { written in
            guard let mine = written[id] else { return cached }
            if mine.revision <= seen {
                written[id] = nil
                return cached
            }
            return mine
        }
    }

    /// Every case.
    func all() -> [String: CaseObject] {
        let seen = cache.revision
        var cases = cache.snapshot
        written.withLock { written in
            for (id, mine) in written {
                if mine.revision <= seen {
                    written[id] = nil
                } else {
                    cases[id] = mine
                }
            }
        }
        return cases
    }

    /// The case a linked report with this key went to, if one did.
    func linkedCase(principal: String, idempotencyKey: String) -> String? {
        guard !idempotencyKey.isEmpty else { return nil }
        let key = principal + "\n" + idempotencyKey
        if let id = linked.withLock({ $0[key] }) { return id }
        // After a restart: the keys are on the cases themselves.
        for (id, object) in all()
        where object.message.alsoReportedBy.contains(where: {
            $0.principal == principal && $0.idempotencyKey == idempotencyKey
        }) {
            linked.withLock { $0[key] = id }
            return id
        }
        return nil
    }

    func recordLink(principal: String, idempotencyKey: String, caseID: String) {
        guard !idempotencyKey.isEmpty else { return }
        linked.withLock { $0[principal + "\n" + idempotencyKey] = caseID }
    }

    /// Creates a case; ALREADY_EXISTS when its id is taken.
    func create(_ value: Gongzhi_Grid_V1_Case) async throws -> CaseObject {
        let object = try await objects.create(
            CaseObject(id: value.id, message: value, labels: Self.labels(value), parent: value.gridCode)
        )
        remember(object)
        return object
    }

    /// Writes a new version of a case over `revision`; ABORTED when someone wrote it in between.
    func update(_ value: Gongzhi_Grid_V1_Case, over revision: Int64) async throws -> CaseObject {
        var object = CaseObject(id: value.id, message: value, labels: Self.labels(value), parent: value.gridCode)
        object.revision = revision
        let written = try await objects.update(object)
        remember(written)
        return written
    }

    /// The case as the host has it now (after a conflict).
    func fetch(_ id: String) async throws -> CaseObject? {
        let object = try await objects.get(Gongzhi_Grid_V1_Case.self, id: id)
        if let object { remember(object) }
        return object
    }

    private func remember(_ object: CaseObject) {
        written.withLock { written in
            if let held = written[object.id], held.revision >= object.revision { return }
            written[object.id] = object
        }
    }

    /// Labels for selecting cases with `gongzhictl get cases -l …`.
    static func labels(_ value: Gongzhi_Grid_V1_Case) -> [String: String] {
        [
            "state": value.state.label,
            "category": value.categoryCode,
            "grid": value.gridCode,
            "community": value.communityCode,
            "street": value.streetCode,
            "tier": value.tier.wording,
        ]
    }
}
