import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import Logging
import Synchronization

extension Gongzhi_Mediation_V1_Dispute: ObjectKind {
    public static var kindName: String { "Dispute" }
}

typealias DisputeObject = TypedObject<Gongzhi_Mediation_V1_Dispute>

/// Every dispute in memory, kept by a watch of the kind Dispute and by the writes this plugin makes (which it
/// holds at once, before the watch brings them back). All the plugin's state is in the host: after a restart
/// the book is filled again from a list and the watch that follows it.
final class DisputeBook: Sendable {
    private struct State {
        /// True once the first list has been taken in.
        var synced = false
        var disputes: [String: DisputeObject] = [:]

        /// Keeps `object` if it is newer than what is held.
        mutating func keep(_ object: DisputeObject) {
            if let held = disputes[object.id], held.revision >= object.revision { return }
            disputes[object.id] = object
        }

        /// Drops the dispute when the deletion is newer than what is held.
        mutating func drop(_ id: String, at revision: Int64) {
            guard let held = disputes[id], held.revision < revision else { return }
            disputes[id] = nil
        }
    }

    private let cache: ObjectCache<Gongzhi_Mediation_V1_Dispute>
    private let objects: HostObjects
    private let state = Mutex(State())

    init(objects: HostObjects, logger: Logger) {
        self.objects = objects
        cache = ObjectCache(Gongzhi_Mediation_V1_Dispute.self, objects: objects, logger: logger)
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

    var count: Int { state.withLock { $0.disputes.count } }

    /// The dispute with this id.
    subscript(id: String) -> DisputeObject? {
        state.withLock { $0.disputes[id] }
    }

    /// Every dispute's message.
    func all() -> [Gongzhi_Mediation_V1_Dispute] {
        state.withLock { $0.disputes.values.map(\.message) }
    }

    /// Replaces what is held with a fresh list, keeping this plugin's writes that are newer than it.
    private func resync(_ listed: [String: DisputeObject], revision: Int64) {
        state.withLock { state in
            var fresh = State()
            fresh.synced = state.synced
            for object in listed.values { fresh.keep(object) }
            for object in state.disputes.values where object.revision > revision { fresh.keep(object) }
            state = fresh
        }
    }

    /// Creates a dispute; ALREADY_EXISTS when its id is taken.
    func create(_ value: Gongzhi_Mediation_V1_Dispute) async throws -> DisputeObject {
        let object = try await objects.create(Self.object(value))
        remember(object)
        return object
    }

    /// Writes a new version of a dispute over `revision`; ABORTED when someone wrote it in between.
    func update(_ value: Gongzhi_Mediation_V1_Dispute, over revision: Int64) async throws -> DisputeObject {
        var object = Self.object(value)
        object.revision = revision
        let written = try await objects.update(object)
        remember(written)
        return written
    }

    /// The dispute as the host has it now (after a conflict).
    func fetch(_ id: String) async throws -> DisputeObject? {
        let object = try await objects.get(Gongzhi_Mediation_V1_Dispute.self, id: id)
        if let object { remember(object) }
        return object
    }

    private func remember(_ object: DisputeObject) {
        state.withLock { $0.keep(object) }
    }

    /// The object a dispute is stored as: its id, its place as the parent, and its labels.
    static func object(_ value: Gongzhi_Mediation_V1_Dispute) -> DisputeObject {
        DisputeObject(id: value.id, message: value, labels: DisputeLabels.labels(value), parent: value.placeCode)
    }
}
