import Synchronization

/// Something that happens once while a test runs — a handler starting, a watch's first event — signalled by
/// whoever sees it happen and awaited by the test, so that the test acts on the event rather than on a guess
/// of how long it takes.
public final class TestEvent: Sendable {
    private struct State {
        var happened = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())
    /// What the event is, for the message when a wait times out: "the handler started".
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    /// Marks the event as happened and wakes every waiter; later calls change nothing.
    public func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.happened else { return [] }
            state.happened = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    public var hasHappened: Bool { state.withLock { $0.happened } }

    /// Returns once the event has happened; throws when `timeout` passes first (a bound for a test that would
    /// otherwise hang, not a guess of how long the event takes).
    public func wait(timeout: Duration = .seconds(30)) async throws {
        let happened = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitUntilSignalled()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || hasHappened
        }
        guard happened else {
            throw TestSupportError("timed out after \(timeout) waiting until \(name)")
        }
    }

    private func waitUntilSignalled() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.happened || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
