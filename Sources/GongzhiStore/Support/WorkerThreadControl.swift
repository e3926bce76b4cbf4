import Foundation
import Synchronization

/// What a worker thread of its own (the store's writer and checkpointer, the host's audit writer) shares with its
/// callers: a condition that wakes it when there is work (or it is closed), and its end, which `close()` waits for.
package final class WorkerThreadControl: Sendable {
    private struct Exit {
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let wake = NSCondition()
    private let exit = Mutex(Exit())

    package init() {}

    /// Wakes the thread if it waits; call after changing what its `ready` test reads.
    package func signal() {
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    /// On the thread: sleeps until `ready()` is true. It is tested under the condition's lock, which `signal()`
    /// takes too, so no signal falls between a test and the sleep.
    package func wait(until ready: () -> Bool) {
        wake.lock()
        while !ready() {
            wake.wait()
        }
        wake.unlock()
    }

    /// On the thread: sleeps for `duration` without waking for signals (a thread that gathers work meanwhile).
    package static func pause(for duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var time = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&time, nil)
    }

    /// On the thread, last: it has ended, and whoever waits in ``finished()`` goes on.
    package func threadEnded() {
        let waiters = exit.withLock { exit in
            exit.finished = true
            defer { exit.waiters = [] }
            return exit.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the thread has ended.
    package func finished() async {
        await withCheckedContinuation { continuation in
            let done = exit.withLock { exit in
                if exit.finished { return true }
                exit.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
