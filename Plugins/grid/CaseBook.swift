import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiSchemas
import Logging
import Synchronization

extension Gongzhi_Grid_V1_Case: ObjectKind {
    public static var kindName: String { "Case" }
}

typealias CaseObject = TypedObject<Gongzhi_Grid_V1_Case>

/// Every case in memory, kept by a watch of the kind Case and by the writes this plugin makes (which it
/// holds at once, before the watch brings them back), with the open cases of each category indexed for
/// the duplicate check.
final class CaseBook: Sendable {
    /// A category in a square.
    struct Place: Hashable, Sendable {
        var category: String
        var cell: DuplicateCells.Cell
    }

    private struct State {
        let cells: DuplicateCells
        /// True once the first list has been taken in.
        var synced = false
        var cases: [String: CaseObject] = [:]
        /// Ids of open cases with a location, by category and square.
        var openNearby: [Place: Set<String>] = [:]
        /// The case each linked report went to, by its caller and idempotency key (`linkKey`).
        var linked: [String: String] = [:]

        /// Keeps `object` if it is newer than what is held.
        mutating func keep(_ object: CaseObject) {
            if let held = cases[object.id], held.revision >= object.revision { return }
            unindex(object.id)
            cases[object.id] = object
            if let place = place(of: object.message) {
                openNearby[place, default: []].insert(object.id)
            }
            for reporter in object.message.alsoReportedBy where !reporter.idempotencyKey.isEmpty {
                linked[CaseBook.linkKey(reporter.principal, reporter.idempotencyKey)] = object.id
            }
        }

        /// Drops the case when the deletion is newer than what is held.
        mutating func drop(_ id: String, at revision: Int64) {
            guard let held = cases[id], held.revision < revision else { return }
            unindex(id)
            cases[id] = nil
        }

        private mutating func unindex(_ id: String) {
            guard let held = cases[id], let place = place(of: held.message) else { return }
            openNearby[place]?.remove(id)
            if openNearby[place]?.isEmpty == true { openNearby[place] = nil }
        }

        /// Where an open case with a location is indexed.
        private func place(of value: Gongzhi_Grid_V1_Case) -> Place? {
            guard CaseWorkflow.isOpen(value.state), value.hasLocation else { return nil }
            return Place(category: value.categoryCode, cell: cells.cell(of: GeoPoint(value.location)))
        }
    }

    private let cache: ObjectCache<Gongzhi_Grid_V1_Case>
    private let objects: HostObjects
    private let state: Mutex<State>
    /// The squares open cases are indexed by.
    let cells: DuplicateCells

    init(objects: HostObjects, duplicateRadiusMeters: Double, logger: Logger) {
        self.objects = objects
        cells = DuplicateCells(radiusMeters: duplicateRadiusMeters)
        state = Mutex(State(cells: cells))
        cache = ObjectCache(Gongzhi_Grid_V1_Case.self, objects: objects, logger: logger)
    }

    /// Follows the store until cancelled.
    func run() async {
        let updates = cache.updates()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.cache.run() }
            group.addTask {
                for await update in updates {
                    switch update {
                    case .synced(_, let revision):
                        self.resync(self.cache.snapshot, revision: revision)
                        self.state.withLock { $0.synced = true }
                    case .changed(let event):
                        self.state.withLock { state in
                            if event.change == .deleted {
                                state.drop(event.object.id, at: event.revision)
                            } else {
                                state.keep(event.object)
                            }
                        }
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once the book holds the first list (taken in from the cache's own update, so that no change
    /// that arrives meanwhile is lost).
    func waitUntilSynced() async {
        await cache.waitUntilSynced()
        while !state.withLock({ $0.synced }) && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    var count: Int { state.withLock { $0.cases.count } }

    /// The case with this id.
    subscript(id: String) -> CaseObject? {
        state.withLock { $0.cases[id] }
    }

    /// Every case.
    func all() -> [String: CaseObject] {
        state.withLock { $0.cases }
    }

    /// The open cases of a category in the squares the duplicate radius around `point` touches.
    func open(category: String, near point: GeoPoint) -> [Gongzhi_Grid_V1_Case] {
        let around = cells.cells(around: point)
        return state.withLock { state in
            var found: [Gongzhi_Grid_V1_Case] = []
            for cell in around {
                for id in state.openNearby[Place(category: category, cell: cell)] ?? [] {
                    if let value = state.cases[id]?.message { found.append(value) }
                }
            }
            return found
        }
    }

    /// Replaces what is held with a fresh list, keeping this plugin's writes that are newer than it.
    private func resync(_ listed: [String: CaseObject], revision: Int64) {
        state.withLock { state in
            var fresh = State(cells: cells)
            fresh.synced = state.synced
            for object in listed.values { fresh.keep(object) }
            for object in state.cases.values where object.revision > revision { fresh.keep(object) }
            state = fresh
        }
    }

    /// The case a report linked as a duplicate went to, by its caller and idempotency key.
    func linkedCase(principal: String, idempotencyKey: String) -> String? {
        guard !idempotencyKey.isEmpty else { return nil }
        return state.withLock { $0.linked[Self.linkKey(principal, idempotencyKey)] }
    }

    static func linkKey(_ principal: String, _ idempotencyKey: String) -> String {
        principal + "\n" + idempotencyKey
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
        state.withLock { $0.keep(object) }
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
