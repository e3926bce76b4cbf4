import GongzhiRPC
import Synchronization

/// Each principal's share of the object store's readers: at most `perFlow` of one flow's reads run at once, and
/// its further reads wait, first in first out, for one of its own to end. Admission bounds a principal's unary
/// calls, but not its streams' reads (a Watch's catch-up) nor a level whose share is as large as the store's
/// pool of readers; this keeps the readers for everyone else whatever one principal sends.
///
/// A read waits without limit in time (each place is held for one short store read) but not past its caller:
/// a cancelled read leaves the queue at once, answered CANCELLED.
final class StoreReadShare: Sendable {
    /// How many reads one flow may run at once.
    let perFlow: Int

    private struct Waiter {
        var id: UInt64
        var resume: @Sendable (Bool) -> Void
    }

    private struct Flow {
        var reading = 0
        var queue: [Waiter] = []
    }

    private struct State {
        var flows: [FlowKey: Flow] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Where waits are counted (`admission.store_reads_per_flow`), for `gongzhictl status`.
    private let counters: LimitCounters?

    /// The name waits are counted under.
    static let limitName = "admission.store_reads_per_flow"

    init(perFlow: Int, counters: LimitCounters? = nil) {
        self.perFlow = max(1, perFlow)
        self.counters = counters
    }

    /// Runs `body` once `flow` has a place among its `perFlow` reads.
    func reading<T>(
        _ flow: FlowKey,
        _ body: () async throws(RPCError) -> T
    ) async throws(RPCError) -> T {
        try await acquire(flow)
        defer { release(flow) }
        return try await body()
    }

    /// How many of `flow`'s reads run and wait now.
    func load(of flow: FlowKey) -> (reading: Int, waiting: Int) {
        state.withLock { state in
            let current = state.flows[flow]
            return (current?.reading ?? 0, current?.queue.count ?? 0)
        }
    }

    private func acquire(_ flow: FlowKey) async throws(RPCError) {
        let id: UInt64? = state.withLock { state in
            var current = state.flows[flow] ?? Flow()
            defer { state.flows[flow] = current }
            if current.queue.isEmpty && current.reading < perFlow {
                current.reading += 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        counters?.count(Self.limitName, detail: flow.description)
        let admitted = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let queued = state.withLock { state in
                    var current = state.flows[flow] ?? Flow()
                    // A place may have come back between the first look and now.
                    if current.queue.isEmpty && current.reading < perFlow {
                        current.reading += 1
                        state.flows[flow] = current
                        return false
                    }
                    current.queue.append(Waiter(id: id, resume: { continuation.resume(returning: $0) }))
                    state.flows[flow] = current
                    return true
                }
                if !queued {
                    continuation.resume(returning: true)
                } else if Task.isCancelled {
                    cancel(id, flow)
                }
            }
        } onCancel: {
            cancel(id, flow)
        }
        guard admitted else {
            throw RPCError(code: .cancelled, message: "the call was cancelled while it waited for the store")
        }
    }

    private func release(_ flow: FlowKey) {
        let next: Waiter? = state.withLock { state in
            guard var current = state.flows[flow] else { return nil }
            if current.queue.isEmpty {
                current.reading -= 1
                state.flows[flow] = current.reading == 0 ? nil : current
                return nil
            }
            // The place passes straight to the flow's next read.
            let next = current.queue.removeFirst()
            state.flows[flow] = current
            return next
        }
        next?.resume(true)
    }

    private func cancel(_ id: UInt64, _ flow: FlowKey) {
        let removed: Waiter? = state.withLock { state in
            guard var current = state.flows[flow], let index = current.queue.firstIndex(where: { $0.id == id })
            else { return nil }
            let removed = current.queue.remove(at: index)
            state.flows[flow] = current
            return removed
        }
        removed?.resume(false)
    }
}
