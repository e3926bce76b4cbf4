import Synchronization

/// Makes work on the same key take turns (first come, first served) while work on different keys runs
/// side by side: steps on one dispute never interleave.
final class KeyedTurns: Sendable {
    private struct Queue {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let queues = Mutex<[String: Queue]>([:])

    /// Runs `body` once every earlier turn on `key` has ended.
    func take<T: Sendable>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
        do {
            let result = try await body()
            release(key)
            return result
        } catch {
            release(key)
            throw error
        }
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = queues.withLock { queues -> Bool in
                var queue = queues[key] ?? Queue()
                defer { queues[key] = queue }
                if queue.busy {
                    queue.waiting.append(continuation)
                    return false
                }
                queue.busy = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = queues.withLock { queues -> CheckedContinuation<Void, Never>? in
            guard var queue = queues[key] else { return nil }
            if queue.waiting.isEmpty {
                queues[key] = nil
                return nil
            }
            let next = queue.waiting.removeFirst()
            queues[key] = queue
            return next
        }
        next?.resume()
    }
}
