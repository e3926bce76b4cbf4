import Synchronization

/// The newest committed changes, kept in memory by the writer as it commits them, so that a watcher following the
/// head of the history gets them without reading the database: with ten watchers and hundreds of commits a second,
/// those reads were thousands a second on the cores the writer needs.
///
/// It holds every change after ``State/completeAfter`` and up to the newest commit, whole revisions only; older
/// ones are dropped first when it outgrows its count or byte budget, and then come from the `history` table.
final class RecentChanges: Sendable {
    private struct State {
        /// Every change with a revision after this one (and not after `head`) is in `changes`.
        var completeAfter: Int64
        /// The revision of the newest change held (or `completeAfter` when none).
        var head: Int64
        /// Changes in revision and position order; the live ones start at `start`.
        var changes: [Change] = []
        var start = 0
        var bytes = 0
    }

    /// The most changes held.
    let maximumCount: Int
    /// The most bytes of object data held.
    let maximumBytes: Int
    private let state: Mutex<State>

    /// An empty feed that is complete after `revision`, the store's revision when it opened.
    init(after revision: Int64, maximumCount: Int = 4096, maximumBytes: Int = 8 << 20) {
        self.maximumCount = max(1, maximumCount)
        self.maximumBytes = max(1, maximumBytes)
        state = Mutex(State(completeAfter: revision, head: revision))
    }

    /// Adds the changes of one commit (in order; revisions after every change held), dropping the oldest
    /// revisions beyond the budget.
    func append(_ new: [Change]) {
        guard let last = new.last else { return }
        state.withLock { state in
            state.changes.append(contentsOf: new)
            state.bytes += new.reduce(0) { $0 + Self.size(of: $1) }
            state.head = last.revision
            while state.changes.count - state.start > maximumCount || state.bytes > maximumBytes {
                // A revision leaves whole, so that what stays is complete after it.
                let revision = state.changes[state.start].revision
                while state.start < state.changes.count && state.changes[state.start].revision == revision {
                    state.bytes -= Self.size(of: state.changes[state.start])
                    state.start += 1
                }
                state.completeAfter = revision
            }
            // Compact the array once the dropped prefix is as long as what is live.
            if state.start > 0 && state.start * 2 >= state.changes.count {
                state.changes.removeFirst(state.start)
                state.start = 0
            }
        }
    }

    /// Forgets the changes before `revision` (the history before it was compacted).
    func compacted(before revision: Int64) {
        state.withLock { state in
            guard revision - 1 > state.completeAfter else { return }
            while state.start < state.changes.count && state.changes[state.start].revision < revision {
                state.bytes -= Self.size(of: state.changes[state.start])
                state.start += 1
            }
            state.completeAfter = min(revision - 1, state.head)
        }
    }

    /// The changes after `revision` (of `kind` only, when given), at most `limit` but never splitting the last
    /// revision; nil when the feed does not hold all of them, and the history must be read instead.
    func changes(after revision: Int64, kind: String?, limit: Int) -> [Change]? {
        state.withLock { state -> [Change]? in
            guard revision >= state.completeAfter else { return nil }
            if revision >= state.head { return [] }
            // The first change after `revision`, by binary search over the live range.
            var low = state.start
            var high = state.changes.count
            while low < high {
                let middle = (low + high) / 2
                if state.changes[middle].revision <= revision {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            var found: [Change] = []
            var index = low
            while index < state.changes.count {
                let change = state.changes[index]
                if found.count >= limit, let last = found.last, change.revision != last.revision { break }
                if kind == nil || change.object.kind == kind {
                    found.append(change)
                }
                index += 1
            }
            return found
        }
    }

    private static func size(of change: Change) -> Int {
        change.object.data.count + change.object.id.utf8.count + 128
    }
}
