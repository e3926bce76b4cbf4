import GongzhiRPC
import GongzhiSchemas
import Logging
import Synchronization

/// Every object of one kind (that matches a selector), kept current in memory: it lists them, then follows
/// their changes, and lists again when the host says the history it would resume from is gone.
///
/// ```swift
/// let grids = ObjectCache(Gongzhi_Core_V1_Grid.self, objects: context.objects, logger: context.logger)
/// let task = Task { await grids.run() }
/// await grids.waitUntilSynced()
/// let polygon = grids["330199001001001"]?.message.polygon
/// ```
///
/// `run()` keeps going until its task is cancelled; when the host cannot be reached it retries with a backoff
/// and resumes from the last revision it saw, so no change is missed.
public final class ObjectCache<M: ObjectKind>: Sendable {
    /// What subscribers hear.
    public enum Update: Sendable {
        /// The cache was (re)filled from a list: it now holds `count` objects.
        case synced(count: Int, revision: Int64)
        /// One object changed.
        case changed(ObjectEvent<M>)
    }

    private struct State {
        var objects: [String: TypedObject<M>] = [:]
        var revision: Int64 = 0
        var synced = false
        var syncWaiters: [CheckedContinuation<Void, Never>] = []
        var subscribers: [Int: AsyncStream<Update>.Continuation] = [:]
        var nextSubscriber = 0
    }

    private let objects: HostObjects
    private let selector: String
    private let logger: Logger
    private let state = Mutex(State())

    public init(_ type: M.Type, objects: HostObjects, selector: String = "", logger: Logger) {
        self.objects = objects
        self.selector = selector
        self.logger = logger
    }

    /// The object with this id, if the cache holds it.
    public subscript(id: String) -> TypedObject<M>? {
        state.withLock { $0.objects[id] }
    }

    /// Every object the cache holds, by id.
    public var snapshot: [String: TypedObject<M>] {
        state.withLock { $0.objects }
    }

    /// The revision the cache is current to.
    public var revision: Int64 {
        state.withLock { $0.revision }
    }

    /// Returns once the first list has filled the cache (or `run()` ended without one).
    public func waitUntilSynced() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.synced { return true }
                state.syncWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// The cache's updates from now on, until the stream is dropped or `run()` ends.
    public func updates() -> AsyncStream<Update> {
        let (stream, continuation) = AsyncStream.makeStream(of: Update.self)
        let id = state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Lists, then follows the changes, until cancelled.
    public func run() async {
        var backoff = Duration.milliseconds(100)
        var needsList = true
        while !Task.isCancelled {
            do {
                if needsList {
                    let list = try await listSkippingUndecodable()
                    apply(list: list.objects, revision: list.revision)
                    needsList = false
                }
                let request = HostObjects.watchRequest(kind: M.kindName, after: revision, selector: selector)
                try await objects.client.watch(request) { events in
                    for try await wire in events {
                        backoff = .milliseconds(100)
                        do {
                            apply(try ObjectEvent<M>(wire))
                        } catch {
                            // One object that does not decode must not stop the cache at its revision.
                            logger.error(
                                "skipping a \(M.kindName) change that does not decode",
                                metadata: [
                                    "id": "\(wire.object.id)", "revision": "\(wire.revision)", "error": "\(error)",
                                ]
                            )
                            state.withLock { $0.revision = max($0.revision, wire.revision) }
                        }
                    }
                }
            } catch let error as RPCError where error.code == .outOfRange {
                logger.notice(
                    "the history to resume \(M.kindName) from was compacted; listing again",
                    metadata: ["revision": "\(revision)"]
                )
                needsList = true
                continue
            } catch let error as RPCError where error.code == .aborted {
                // What the caller may see changed (a person's roles or places): the objects held are not what a
                // watch from here would correct, so the cache starts again from a list.
                logger.notice(
                    "what may be seen of \(M.kindName) changed; listing again",
                    metadata: ["reason": "\(error.message)"]
                )
                needsList = true
                continue
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "following \(M.kindName) failed; retrying in \(backoff)",
                    metadata: ["error": "\(error)"]
                )
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
        // Whoever waits for a first list that will not come now is released. The streams are finished outside
        // the lock: finishing one runs its termination handler, which takes the lock to unsubscribe.
        let (subscribers, waiters) = state.withLock { state in
            defer {
                state.subscribers = [:]
                state.syncWaiters = []
            }
            return (Array(state.subscribers.values), state.syncWaiters)
        }
        for subscriber in subscribers { subscriber.finish() }
        for waiter in waiters { waiter.resume() }
    }

    /// Every object of the kind, page by page; an object that does not decode is logged and left out.
    private func listSkippingUndecodable() async throws -> (objects: [TypedObject<M>], revision: Int64) {
        let list = try await objects.listObjects(kind: M.kindName, selector: selector)
        let decoded = list.objects.compactMap { object -> TypedObject<M>? in
            do {
                return try TypedObject<M>(object)
            } catch {
                logger.error(
                    "skipping a \(M.kindName) that does not decode",
                    metadata: ["id": "\(object.id)", "error": "\(error)"]
                )
                return nil
            }
        }
        return (decoded, list.revision)
    }

    private func apply(list: [TypedObject<M>], revision: Int64) {
        let (waiters, subscribers) = state.withLock { state in
            state.objects = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
            state.revision = revision
            state.synced = true
            defer { state.syncWaiters = [] }
            return (state.syncWaiters, Array(state.subscribers.values))
        }
        for waiter in waiters { waiter.resume() }
        for subscriber in subscribers { subscriber.yield(.synced(count: list.count, revision: revision)) }
    }

    private func apply(_ event: ObjectEvent<M>) {
        let subscribers: [AsyncStream<Update>.Continuation]? = state.withLock { state in
            state.revision = max(state.revision, event.revision)
            let id = event.object.id
            // A list read page by page may already show a change its watch then delivers.
            if let held = state.objects[id], held.revision >= event.revision { return nil }
            switch event.change {
            case .added, .modified: state.objects[id] = event.object
            case .deleted: state.objects[id] = nil
            }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers ?? [] { subscriber.yield(.changed(event)) }
    }
}
