import GongzhiRPC
import Logging
import Synchronization

/// Every object of one kind in memory, kept by an `ObjectCache` and by the writes the plugin makes through
/// the book (which it holds at once, before the watch brings them back), with an index the plugin supplies.
///
/// The book keeps an object only when it is newer than what it holds, and drops one only when the deletion
/// is. When the cache lists again, the book starts again from the list and its empty index, keeping its own
/// writes that are newer than the list.
///
/// ```swift
/// let disputes = ObjectBook(
///     Gongzhi_Mediation_V1_Dispute.self,
///     objects: context.objects,
///     logger: context.logger,
///     noun: "dispute",
///     index: NoObjectIndex()
/// ) { value in TypedObject(id: value.id, message: value, parent: value.placeCode) }
/// let task = Task { await disputes.run() }
/// await disputes.waitUntilSynced()
/// ```
public final class ObjectBook<Message: ObjectKind, Index: ObjectBookIndex>: Sendable where Index.Message == Message {
    private struct State {
        /// True once the first list has been taken in.
        var synced = false
        var objects: [String: TypedObject<Message>] = [:]
        var index: Index

        /// Keeps `object` if it is newer than what is held.
        mutating func keep(_ object: TypedObject<Message>) {
            let held = objects[object.id]
            if let held, held.revision >= object.revision { return }
            index.keep(object, replacing: held)
            objects[object.id] = object
        }

        /// Drops the object when the deletion is newer than what is held.
        mutating func drop(_ id: String, at revision: Int64) {
            guard let held = objects[id], held.revision < revision else { return }
            index.drop(held)
            objects[id] = nil
        }
    }

    private let cache: ObjectCache<Message>
    private let objects: HostObjects
    private let state: Mutex<State>
    private let emptyIndex: Index
    private let noun: String
    private let storing: @Sendable (Message) -> TypedObject<Message>

    /// - Parameters:
    ///   - noun: what an object is called in errors ("case": "there is no case 7").
    ///   - index: the index of an empty book; the book starts again from it when it takes in a fresh list.
    ///   - storing: the object a value is written as: its id, labels and parent.
    public init(
        _ type: Message.Type,
        objects: HostObjects,
        logger: Logger,
        noun: String,
        index: Index,
        storing: @escaping @Sendable (Message) -> TypedObject<Message>
    ) {
        self.objects = objects
        self.noun = noun
        self.storing = storing
        emptyIndex = index
        state = Mutex(State(index: index))
        cache = ObjectCache(type, objects: objects, logger: logger)
    }

    /// Follows the store until cancelled.
    public func run() async {
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
                        if event.change == .deleted {
                            self.drop(event.object.id, at: event.revision)
                        } else {
                            self.remember(event.object)
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
    public func waitUntilSynced() async {
        await cache.waitUntilSynced()
        while !state.withLock({ $0.synced }) && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// How many objects the book holds.
    public var count: Int { state.withLock { $0.objects.count } }

    /// The object with this id.
    public subscript(id: String) -> TypedObject<Message>? {
        state.withLock { $0.objects[id] }
    }

    /// Every object, by id.
    public func all() -> [String: TypedObject<Message>] {
        state.withLock { $0.objects }
    }

    /// Reads the index and the objects together, as they stand at one moment.
    public func read<Result: Sendable>(_ body: (Index, [String: TypedObject<Message>]) -> Result) -> Result {
        state.withLock { body($0.index, $0.objects) }
    }

    /// Creates an object; ALREADY_EXISTS when its id is taken.
    public func create(_ value: Message) async throws -> TypedObject<Message> {
        let object = try await objects.create(storing(value))
        remember(object)
        return object
    }

    /// Writes a new version over `revision`; ABORTED when someone wrote it in between.
    public func update(_ value: Message, over revision: Int64) async throws -> TypedObject<Message> {
        var object = storing(value)
        object.revision = revision
        let written = try await objects.update(object)
        remember(written)
        return written
    }

    /// The object as the host has it now (after a conflict).
    public func fetch(_ id: String) async throws -> TypedObject<Message>? {
        let object = try await objects.get(Message.self, id: id)
        if let object { remember(object) }
        return object
    }

    /// Reads an object, computes its next version (nil: none) and writes it; when someone else wrote it in
    /// between and the caller did not ask for a revision, reads it again and retries, up to `retries` times.
    ///
    /// Errors: NOT_FOUND when the book does not hold the object or it was deleted meanwhile; ABORTED when it
    /// is not at `expectedRevision` (0: any), was written in between with `expectedRevision` given, or kept
    /// changing; whatever `next` throws (the plugin's refusal), as it is.
    public func change<Refusal: Error>(
        _ id: String,
        expectedRevision: Int64 = 0,
        retries: Int,
        _ next: (Message) throws(Refusal) -> Message?
    ) async throws -> Message {
        guard var current = self[id] else {
            throw RPCError(code: .notFound, message: "there is no \(noun) \(id)")
        }
        if expectedRevision != 0 && expectedRevision != current.revision {
            throw RPCError(
                code: .aborted,
                message: "\(noun) \(id) is at revision \(current.revision), not \(expectedRevision): read it again"
            )
        }
        for attempt in 0...retries {
            // nil: nothing to write.
            guard let updated = try next(current.message) else {
                return current.message
            }
            do {
                return try await update(updated, over: current.revision).message
            } catch let error as RPCError where error.code == .aborted && expectedRevision == 0 {
                if attempt == retries { break }
                guard let fresh = try await fetch(id) else {
                    throw RPCError(code: .notFound, message: "\(noun) \(id) was deleted")
                }
                current = fresh
            }
        }
        throw RPCError(code: .aborted, message: "\(noun) \(id) kept changing; try again")
    }

    /// Keeps `object` if it is newer than what is held.
    func remember(_ object: TypedObject<Message>) {
        state.withLock { $0.keep(object) }
    }

    /// Drops the object when the deletion at `revision` is newer than what is held.
    func drop(_ id: String, at revision: Int64) {
        state.withLock { $0.drop(id, at: revision) }
    }

    /// Replaces what is held with a fresh list, keeping this plugin's writes that are newer than it.
    func resync(_ listed: [String: TypedObject<Message>], revision: Int64) {
        state.withLock { state in
            var fresh = State(index: emptyIndex)
            fresh.synced = state.synced
            for object in listed.values { fresh.keep(object) }
            for object in state.objects.values where object.revision > revision { fresh.keep(object) }
            state = fresh
        }
    }
}
