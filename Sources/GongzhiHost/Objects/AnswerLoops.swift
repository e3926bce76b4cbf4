import GongzhiRPC
import NIOCore
import NIOPosix
import Synchronization

/// The threads that build the object store's large answers ("gongzhi-answers"): a List page of thousands of
/// objects is read, redacted, audited and encoded here, not on the loops that serve the sockets, so that a heavy
/// reader's pages never hold up another caller's Get or a routed call waiting for its turn on a socket loop.
///
/// Half the host's processors (at least one): the socket loops keep the other half, and the operating system's
/// scheduler, which runs a thread woken by a socket ahead of one that has been busy, does the rest. Made once per
/// process and never shut down, like ``ControlLoop``: a call may outlast the host that started it by a moment.
final class AnswerLoops: Sendable {
    /// The process's answer loops.
    static let shared = AnswerLoops(threads: max(1, AdmissionSettings.processorCount / 2))

    private let executors: [EventLoopTaskExecutor]
    private let turn = Atomic<UInt>(0)

    init(threads: Int) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        executors = group.makeIterator().map { loop in
            loop.execute { nameCurrentThread("gongzhi-answers") }
            return EventLoopTaskExecutor(loop)
        }
    }

    /// The loop for the next answer, in turn.
    func next() -> EventLoopTaskExecutor {
        let index = turn.wrappingAdd(1, ordering: .relaxed).oldValue
        return executors[Int(index % UInt(executors.count))]
    }

    /// `handler` with its unary body run on the next answer loop; other handlers as they are.
    func running(_ handler: RPCMethodHandler) -> RPCMethodHandler {
        guard case .unary(let body) = handler.body else { return handler }
        return RPCMethodHandler { payload, context in
            try await withTaskExecutorPreference(self.next()) { try await body(payload, context) }
        }
    }
}
