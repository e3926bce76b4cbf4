import GongzhiCalendar
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import Logging

extension Gongzhi_Mediation_V1_Dispute: ObjectKind {
    public static var kindName: String { "Dispute" }
}

typealias DisputeObject = TypedObject<Gongzhi_Mediation_V1_Dispute>

/// Every dispute in memory, kept by a watch of the kind Dispute and by the writes this plugin makes (which it
/// holds at once, before the watch brings them back). All the plugin's state is in the host: after a restart
/// the book is filled again from a list and the watch that follows it.
final class DisputeBook: Sendable {
    private let book: ObjectBook<Gongzhi_Mediation_V1_Dispute, DisputeDeadlines>

    init(objects: HostObjects, logger: Logger, restDays: RestDays = .standard) {
        book = ObjectBook(
            Gongzhi_Mediation_V1_Dispute.self,
            objects: objects,
            logger: logger,
            noun: "dispute",
            index: DisputeDeadlines(restDays: restDays),
            storing: DisputeBook.object
        )
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

    /// The dispute with this id.
    subscript(id: String) -> DisputeObject? {
        book[id]
    }

    /// Every dispute's message.
    func all() -> [Gongzhi_Mediation_V1_Dispute] {
        book.all().values.map(\.message)
    }

    /// Every dispute's message, with the first millisecond past the earliest deadline of each one's running
    /// clocks (0: none), as they stand at one moment.
    func allWithDeadlines() -> (disputes: [Gongzhi_Mediation_V1_Dispute], next: [String: Int64]) {
        book.read { index, objects in (objects.values.map(\.message), index.next) }
    }

    /// Creates a dispute; ALREADY_EXISTS when its id is taken.
    func create(_ value: Gongzhi_Mediation_V1_Dispute) async throws -> DisputeObject {
        try await book.create(value)
    }

    /// Writes a new version of a dispute over `revision`; ABORTED when someone wrote it in between.
    func update(_ value: Gongzhi_Mediation_V1_Dispute, over revision: Int64) async throws -> DisputeObject {
        try await book.update(value, over: revision)
    }

    /// The dispute as the host has it now (after a conflict).
    func fetch(_ id: String) async throws -> DisputeObject? {
        try await book.fetch(id)
    }

    /// Reads a dispute, computes its next version (nil: none) and writes it; when someone else wrote it in
    /// between, reads it again and retries (see `ObjectBook.change`).
    func change<Refusal: Error>(
        _ id: String,
        retries: Int,
        _ next: (Gongzhi_Mediation_V1_Dispute) throws(Refusal) -> Gongzhi_Mediation_V1_Dispute?
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try await book.change(id, retries: retries, next)
    }

    /// The object a dispute is stored as: its id, its place as the parent, and its labels.
    static func object(_ value: Gongzhi_Mediation_V1_Dispute) -> DisputeObject {
        DisputeObject(id: value.id, message: value, labels: DisputeLabels.labels(value), parent: value.placeCode)
    }
}
