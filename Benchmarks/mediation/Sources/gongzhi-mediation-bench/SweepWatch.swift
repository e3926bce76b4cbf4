import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Synchronization

/// Follows the changes of kind Dispute from a revision on and notes which disputes the plugin rewrote and when:
/// after the clock moves past the early share's deadline, the plugin's alert sweep records an alert on each of
/// them, and nothing else is written.
final class SweepWatch: Sendable {
    private struct State {
        var expectedSeen: Set<String> = []
        var others: Set<String> = []
        var first: UInt64?
        var last: UInt64?
        var ended: String?
    }

    /// The disputes the sweep is expected to write.
    let expected: Set<String>
    private let state = Mutex(State())

    init(expected: Set<String>) {
        self.expected = expected
    }

    /// Expected disputes rewritten so far.
    var seen: Int { state.withLock { $0.expectedSeen.count } }
    /// Other disputes rewritten (none are expected).
    var others: Int { state.withLock { $0.others.count } }
    /// When the first and the last expected rewrite arrived (monotonic nanoseconds).
    var span: (first: UInt64?, last: UInt64?) { state.withLock { ($0.first, $0.last) } }
    /// Why the watch ended, if it did.
    var ended: String? { state.withLock { $0.ended } }

    /// Watches Dispute after `revision` on `client` until the task is cancelled, the client closed or the watch
    /// fails.
    func follow(on client: RPCClient, after revision: Int64) async {
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: client)
        var request = Gongzhi_Host_V1_WatchRequest()
        request.kind = "Dispute"
        request.afterRevision = revision
        do {
            try await objects.watch(request) { events in
                for try await event in events where event.type == .modified {
                    let id = event.object.id
                    let now = monotonicNanos()
                    state.withLock { state in
                        if expected.contains(id) {
                            if state.expectedSeen.insert(id).inserted {
                                if state.first == nil { state.first = now }
                                state.last = now
                            }
                        } else {
                            state.others.insert(id)
                        }
                    }
                }
            }
            state.withLock { $0.ended = "the watch ended" }
        } catch {
            if !Task.isCancelled { state.withLock { $0.ended = "the watch failed: \(error)" } }
        }
    }
}
