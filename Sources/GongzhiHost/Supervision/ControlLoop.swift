import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An event loop of the host's own, one thread. The control loop ("gongzhi-control") runs the plugin fleet (its
/// actor's executor), with the supervision's timers, the health checks and the Shutdown calls on each plugin's
/// supervision connection; the admin loop ("gongzhi-admin") serves admin.sock. Clients' calls on host.sock never
/// run on either, so supervision and operators never wait behind them.
///
/// Both are made once per process and live as long as it, like NIO's singleton loops: a plugin's connections and
/// tasks may outlast the host that made them by a moment, and must never find their loop gone.
final class ControlLoop: Sendable {
    /// The process's control loop.
    static let control = ControlLoop(threadName: "gongzhi-control")
    /// The process's admin loop.
    static let admin = ControlLoop(threadName: "gongzhi-admin")

    private let group: MultiThreadedEventLoopGroup
    /// The loop itself.
    let eventLoop: any EventLoop
    /// For tasks whose nonisolated code (RPC calls, sleeps) must run on the loop, not on the global executor.
    let taskExecutor: EventLoopTaskExecutor

    /// Starts a loop's thread; ``shutdown()`` ends it (never for ``control`` and ``admin``).
    init(threadName: String = "gongzhi-control") {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        taskExecutor = EventLoopTaskExecutor(eventLoop)
        eventLoop.execute { nameCurrentThread(threadName) }
    }

    /// Suspends the calling task for `duration`, timed by the loop rather than by the global executor: it
    /// resumes where it suspended (on the caller's actor, or on the loop under this loop's task executor), never
    /// by way of the client loops. Throws `CancellationError` as soon as the task is cancelled.
    func sleep(
        for duration: Duration,
        isolation: isolated (any Actor)? = #isolation
    ) async throws(CancellationError) {
        let wait = SleepState()
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation(isolation: isolation) {
                    (continuation: CheckedContinuation<Void, any Error>) in
                    let scheduled = eventLoop.scheduleTask(in: .nanoseconds(duration.saturatingNanoseconds)) {
                        wait.finish(.success(()))
                    }
                    wait.start(continuation, scheduled: scheduled)
                }
            } onCancel: {
                wait.finish(.failure(CancellationError()))
            }
        } catch {
            throw CancellationError()
        }
    }

    /// Ends the loop's thread once what is scheduled on it has been cancelled.
    func shutdown() async {
        try? await group.shutdownGracefully()
    }
}

/// One sleep on the loop: whichever comes first, the scheduled task or the cancellation, resumes the waiting
/// task; the other does nothing.
private final class SleepState: Sendable {
    private enum State {
        case waiting
        case started(CheckedContinuation<Void, any Error>, Scheduled<Void>)
        case finished(Result<Void, any Error>)
        case done
    }

    private let state = Mutex<State>(.waiting)

    func start(_ continuation: CheckedContinuation<Void, any Error>, scheduled: Scheduled<Void>) {
        let early = state.withLock { state -> Result<Void, any Error>? in
            switch state {
            case .waiting:
                state = .started(continuation, scheduled)
                return nil
            case .finished(let result):
                state = .done
                return result
            case .started, .done:
                return nil
            }
        }
        if let early {
            scheduled.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<Void, any Error>) {
        let started = state.withLock { state -> (CheckedContinuation<Void, any Error>, Scheduled<Void>)? in
            switch state {
            case .waiting:
                state = .finished(result)
                return nil
            case .started(let continuation, let scheduled):
                state = .done
                return (continuation, scheduled)
            case .finished, .done:
                return nil
            }
        }
        if let (continuation, scheduled) = started {
            if case .failure = result { scheduled.cancel() }
            continuation.resume(with: result)
        }
    }
}

/// Names the calling thread (as `top -H` and `/proc/PID/task/*/comm` show it), at most 15 bytes.
func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}
