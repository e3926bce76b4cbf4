import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiSchemas
import Logging

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

    /// The open cases by place and the linked reports by caller, as the book keeps and drops cases.
    struct Index: ObjectBookIndex {
        let cells: DuplicateCells
        /// Ids of open cases with a location, by category and square.
        var openNearby: [Place: Set<String>] = [:]
        /// The case each linked report went to, by its caller and idempotency key (`linkKey`).
        var linked: [String: String] = [:]

        mutating func keep(_ object: CaseObject, replacing held: CaseObject?) {
            if let held { drop(held) }
            if let place = place(of: object.message) {
                openNearby[place, default: []].insert(object.id)
            }
            for reporter in object.message.alsoReportedBy where !reporter.idempotencyKey.isEmpty {
                linked[CaseBook.linkKey(reporter.principal, reporter.idempotencyKey)] = object.id
            }
        }

        mutating func drop(_ held: CaseObject) {
            guard let place = place(of: held.message) else { return }
            openNearby[place]?.remove(held.id)
            if openNearby[place]?.isEmpty == true { openNearby[place] = nil }
        }

        /// Where an open case with a location is indexed.
        private func place(of value: Gongzhi_Grid_V1_Case) -> Place? {
            guard CaseWorkflow.isOpen(value.state), value.hasLocation else { return nil }
            return Place(category: value.categoryCode, cell: cells.cell(of: GeoPoint(value.location)))
        }
    }

    private let book: ObjectBook<Gongzhi_Grid_V1_Case, Index>
    /// The squares open cases are indexed by.
    let cells: DuplicateCells

    init(objects: HostObjects, duplicateRadiusMeters: Double, logger: Logger) {
        let cells = DuplicateCells(radiusMeters: duplicateRadiusMeters)
        self.cells = cells
        book = ObjectBook(
            Gongzhi_Grid_V1_Case.self,
            objects: objects,
            logger: logger,
            noun: "case",
            index: Index(cells: cells)
        ) { value in
            CaseObject(id: value.id, message: value, labels: CaseBook.labels(value), parent: value.gridCode)
        }
    }

    /// Follows the store until cancelled.
    func run() async {
        await book.run()
    }

    /// Returns once the book holds the first list.
    func waitUntilSynced() async {
        await book.waitUntilSynced()
    }

    var count: Int { book.count }

    /// The case with this id.
    subscript(id: String) -> CaseObject? {
        book[id]
    }

    /// Every case.
    func all() -> [String: CaseObject] {
        book.all()
    }

    /// The open cases of a category in the squares the duplicate radius around `point` touches.
    func open(category: String, near point: GeoPoint) -> [Gongzhi_Grid_V1_Case] {
        let around = cells.cells(around: point)
        return book.read { index, cases in
            var found: [Gongzhi_Grid_V1_Case] = []
            for cell in around {
                for id in index.openNearby[Place(category: category, cell: cell)] ?? [] {
                    if let value = cases[id]?.message { found.append(value) }
                }
            }
            return found
        }
    }

    /// The case a report linked as a duplicate went to, by its caller and idempotency key.
    func linkedCase(principal: String, idempotencyKey: String) -> String? {
        guard !idempotencyKey.isEmpty else { return nil }
        return book.read { index, _ in index.linked[Self.linkKey(principal, idempotencyKey)] }
    }

    static func linkKey(_ principal: String, _ idempotencyKey: String) -> String {
        principal + "\n" + idempotencyKey
    }

    /// Creates a case; ALREADY_EXISTS when its id is taken.
    func create(_ value: Gongzhi_Grid_V1_Case) async throws -> CaseObject {
        try await book.create(value)
    }

    /// Writes a new version of a case over `revision`; ABORTED when someone wrote it in between.
    func update(_ value: Gongzhi_Grid_V1_Case, over revision: Int64) async throws -> CaseObject {
        try await book.update(value, over: revision)
    }

    /// The case as the host has it now (after a conflict).
    func fetch(_ id: String) async throws -> CaseObject? {
        try await book.fetch(id)
    }

    /// Reads a case, computes its next version (nil: none) and writes it; when someone else wrote the case in
    /// between and the caller did not ask for a revision, reads it again and retries (see `ObjectBook.change`).
    func change<Refusal: Error>(
        _ id: String,
        expectedRevision: Int64,
        retries: Int,
        _ next: (Gongzhi_Grid_V1_Case) throws(Refusal) -> Gongzhi_Grid_V1_Case?
    ) async throws -> Gongzhi_Grid_V1_Case {
        try await book.change(id, expectedRevision: expectedRevision, retries: retries, next)
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
