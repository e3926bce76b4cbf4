import GongzhiPoints
import GongzhiRPC
import Synchronization

/// What one change of the book wrote, in the order the book made it: the new transfers and the objects as they
/// were right after it.
struct BookSnapshot: Sendable {
    var transfers: [Transfer] = []
    var accounts: [Account] = []
    var goods: [Good] = []
    var redemptions: [Redemption] = []
    var ledgers: [Ledger] = []
    var rules: [EarningRule] = []
    var venues: [Venue] = []
    var records: [ServiceRecord] = []

    /// The snapshot of `changes`, with the objects as `book` holds them now.
    init(_ changes: PointsBook.Changes, of book: PointsBook) {
        transfers = changes.transfers
        accounts = changes.accounts.compactMap { book.accounts[$0] }
        goods = changes.goods.compactMap { book.goods[$0] }
        redemptions = changes.redemptions.compactMap { book.redemptions[$0] }
        ledgers = changes.ledgers.compactMap { book.ledgers[$0] }
        rules = changes.rules.compactMap { book.rules[$0] }
        venues = changes.venues.compactMap { book.venues[$0] }
        records = changes.records.compactMap { book.records[$0] }
    }
}

/// The snapshots waiting to be written, numbered in the order the book made them, and the callers waiting for
/// them. A caller waits until everything up to its snapshot is written (or was lost with a failed write).
final class CommitQueue: Sendable {
    private struct Waiter {
        var through: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var entries: [(number: Int64, snapshot: BookSnapshot)] = []
        var lastNumber: Int64 = 0
        var resolvedThrough: Int64 = 0
        /// Numbers whose write failed, with why.
        var failures: [(range: ClosedRange<Int64>, message: String)] = []
        var waiters: [Waiter] = []
        var signal: AsyncStream<Void>.Continuation?
    }

    private let state = Mutex(State())
    let signals: AsyncStream<Void>

    init() {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        signals = stream
        state.withLock { $0.signal = continuation }
    }

    /// Queues a snapshot (called with the book locked, so that numbers follow the book's order); returns its number.
    func enqueue(_ snapshot: BookSnapshot) -> Int64 {
        state.withLock { state in
            state.lastNumber += 1
            state.entries.append((state.lastNumber, snapshot))
            state.signal?.yield()
            return state.lastNumber
        }
    }

    /// The number of the last snapshot queued.
    var lastNumber: Int64 { state.withLock { $0.lastNumber } }

    /// Takes every queued snapshot, oldest first.
    func takeAll() -> [(number: Int64, snapshot: BookSnapshot)] {
        state.withLock { state in
            defer { state.entries = [] }
            return state.entries
        }
    }

    /// Everything up to `number` is written (`failure` nil) or lost with a failed write.
    func resolve(through number: Int64, failure: String?) {
        let ready: [(Waiter, String?)] = state.withLock { state in
            guard number > state.resolvedThrough else { return [] }
            if let failure {
                state.failures.append((state.resolvedThrough + 1...number, failure))
                if state.failures.count > 64 { state.failures.removeFirst() }
            }
            state.resolvedThrough = number
            var ready: [(Waiter, String?)] = []
            state.waiters.removeAll { waiter in
                guard waiter.through <= number else { return false }
                ready.append((waiter, Self.failure(of: waiter.through, in: state.failures)))
                return true
            }
            return ready
        }
        for (waiter, failure) in ready {
            if let failure {
                waiter.continuation.resume(throwing: RPCError(code: .unavailable, message: failure))
            } else {
                waiter.continuation.resume()
            }
        }
    }

    /// Drops what is queued and fails it with everything up to `number` (after a failed write).
    func failAll(through number: Int64, message: String) {
        state.withLock { $0.entries = [] }
        resolve(through: number, failure: message)
    }

    /// Returns once everything up to `number` is written; throws UNAVAILABLE when its write failed.
    func wait(through number: Int64) async throws {
        if number <= 0 { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: String?? = state.withLock { state in
                if number <= state.resolvedThrough {
                    return .some(Self.failure(of: number, in: state.failures))
                }
                state.waiters.append(Waiter(through: number, continuation: continuation))
                return .none
            }
            switch outcome {
            case .none: break
            case .some(.none): continuation.resume()
            case .some(.some(let failure)):
                continuation.resume(throwing: RPCError(code: .unavailable, message: failure))
            }
        }
    }

    private static func failure(
        of number: Int64,
        in failures: [(range: ClosedRange<Int64>, message: String)]
    )
        -> String?
    {
        failures.last { $0.range.contains(number) }?.message
    }
}
