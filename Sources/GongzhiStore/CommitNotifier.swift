import Synchronization

/// Hands each committed revision to every subscriber's stream, keeping only the newest value per subscriber.
final class CommitNotifier: Sendable {
    private struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<Int64>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())

    /// A new subscriber's stream; already finished when the notifier is.
    func subscribe() -> AsyncStream<Int64> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Yields `revision` to every subscriber.
    func publish(_ revision: Int64) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers {
            subscriber.yield(revision)
        }
    }

    /// Ends every stream, present and future.
    func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers {
            subscriber.finish()
        }
    }
}
