import NIOCore

/// Runs tasks on one NIO event loop: a task started with it as its executor preference
/// (`Task(executorPreference:)`, `withTaskExecutorPreference`) runs its nonisolated code there, and resumes there
/// after every await, instead of on Swift's global executor (which, in the host, is the loops that serve the
/// sockets and may be saturated by clients).
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
