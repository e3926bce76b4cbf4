import Synchronization

/// Whether a connection can take more answers: closed while the answers already written to it wait for a
/// client that does not read them (over the connection's outbound budget), open otherwise.
///
/// A server connection closes and opens its gate as its outbound buffer crosses the budget; a call awaits
/// ``waitUntilOpen()`` before it starts work whose answer would add to that buffer, so that a client that does
/// not read holds up its own calls and nobody else's.
public final class OutboundGate: Sendable {
    private struct State {
        var isOpen = true
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        /// Told true when the gate opens, false when it fails.
        var callbacks: [@Sendable (Bool) -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// True while the connection is under its outbound budget.
    public var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Calls waiting for the gate to open now.
    public var waiting: Int { state.withLock { $0.waiters.count + $0.callbacks.count } }

    /// Marks the connection as over its budget: calls that wait from now on are held.
    public func close() {
        state.withLock { $0.isOpen = false }
    }

    /// Marks the connection as under its budget again and lets every waiting call go on.
    public func open() {
        let (waiters, callbacks) = state.withLock { state in
            state.isOpen = true
            defer {
                state.waiters.removeAll()
                state.callbacks.removeAll()
            }
            return (Array(state.waiters.values), state.callbacks)
        }
        for waiter in waiters { waiter.resume() }
        for callback in callbacks { callback(true) }
    }

    /// Ends every wait with `error` (the connection closed), and every later one too.
    public func fail(_ error: any Error) {
        let (waiters, callbacks) = state.withLock { state in
            state.isOpen = true
            defer {
                state.waiters.removeAll()
                state.callbacks.removeAll()
            }
            return (Array(state.waiters.values), state.callbacks)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
        for callback in callbacks { callback(false) }
    }

    /// Calls `body` with true once the connection is under its budget (at once, on the calling thread, when it
    /// already is), or with false when the connection closes first. For code that answers through callbacks and
    /// runs no task.
    public func whenOpen(_ body: @escaping @Sendable (Bool) -> Void) {
        let now = state.withLock { state in
            if state.isOpen { return true }
            state.callbacks.append(body)
            return false
        }
        if now { body(true) }
    }

    /// Returns once the connection is under its budget; at once when it already is. Throws
    /// `CancellationError` when the waiting task is cancelled.
    public func waitUntilOpen() async throws {
        if isOpen { return }
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let waits = state.withLock { state in
                    guard !state.isOpen, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !waits {
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume()
                    }
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
