import CGongzhiConcurrencyHook
import NIOCore
import NIOPosix

/// Runs Swift concurrency's global executor on NIO's singleton event loops, so that a call resumes on the loop
/// that read its answer instead of hopping to another thread pool.
public enum EventLoopExecutor {
    /// Installs the event loops as the global executor; true when they are. Call first thing in `main`, before any
    /// task starts.
    ///
    /// NIO's own installer finds the runtime's hook with `dlsym`, which fails when the Swift runtime is linked in
    /// statically (`--static-swift-stdlib`, as the host is deployed); this then sets the hook directly.
    public static func install() -> Bool {
        if NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
            return true
        }
        return gz_install_global_job_handler { job in
            guard let job else { return }
            // The runtime's job pointer is what an UnownedJob wraps.
            let unowned = unsafeBitCast(job, to: UnownedJob.self)
            MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(ExecutorJob(unowned))
        } == 1
    }
}
