import GongzhiPluginSDK
import GongzhiPoints
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import Logging
import Synchronization

/// The book in memory, and its writes to the host.
///
/// Every change runs on the book one at a time (under a lock): that is what keeps balance limits, caps and
/// stock exact under any concurrency. What a change wrote is queued, and one writer sends everything queued as
/// one host transaction (or a few, for very large batches) while the next changes gather — group commit. A
/// caller is answered only once its change is in the host's store. When a write fails, everything queued after
/// it is failed too (UNAVAILABLE: retry with the same ids), and the book is read again from the host, whose
/// store is the truth.
final class LedgerEngine: Sendable {
    private struct State {
        var book: PointsBook
        /// True while the book is read again after a failed write.
        var reloading = false
        /// What the last load found wrong in the chain, if anything.
        var chainProblem: String?
    }

    private let state: Mutex<State>
    private let queue = CommitQueue()
    private let writer: HostWriter
    let objects: HostObjects
    let logger: Logger
    let clock: PluginClock

    private init(loaded: LoadedBook, objects: HostObjects, clock: PluginClock, logger: Logger) {
        state = Mutex(State(book: loaded.book, chainProblem: loaded.chainProblem))
        writer = HostWriter(objects: objects, revisions: loaded.revisions, logger: logger)
        self.objects = objects
        self.clock = clock
        self.logger = logger
    }

    /// Reads the book from the host and starts writing.
    static func open(objects: HostObjects, clock: PluginClock, logger: Logger) async throws -> LedgerEngine {
        let loaded = try await LoadedBook.read(from: objects, logger: logger)
        return LedgerEngine(loaded: loaded, objects: objects, clock: clock, logger: logger)
    }

    /// Writes what loading found to write: accounts whose stored balances differ from their transfers (a write
    /// cut short). Call once `run()` is going.
    func writeRepairs() async throws {
        _ = try await perform { _, _ in () }
    }

    /// Writes until cancelled.
    func run() async {
        for await _ in queue.signals {
            while true {
                let entries = queue.takeAll()
                guard let last = entries.last else { break }
                do {
                    try await writer.write(entries.map(\.snapshot))
                    queue.resolve(through: last.number, failure: nil)
                } catch {
                    await recover(after: error)
                }
            }
            if Task.isCancelled { return }
        }
    }

    /// Changes the book: `body` runs with the book locked and the time; the answer comes once what it wrote is in
    /// the host's store. A refusal of the book is thrown as the matching RPC status.
    func perform<T: Sendable>(
        _ body: (inout PointsBook, Int64) throws -> T
    ) async throws -> T {
        let now = clock.nowMs()
        let (outcome, number): (Result<T, any Error>, Int64) = try state.withLock { state in
            if state.reloading { throw Self.reloadingError }
            // A step refused halfway may still have changed the book (an account opened for a credit the cap
            // then refused): what it changed is written all the same, before the refusal is told.
            let outcome = Result { try body(&state.book, now) }
            let changes = state.book.takeChanges()
            if changes.isEmpty { return (outcome, queue.lastNumber) }
            return (outcome, queue.enqueue(BookSnapshot(changes, of: state.book)))
        }
        try await queue.wait(through: number)
        return try outcome.get()
    }

    /// Reads the book: the answer comes once every change it may show is in the host's store.
    func read<T: Sendable>(_ body: (PointsBook, Int64) throws -> T) async throws -> T {
        let now = clock.nowMs()
        let (value, number): (T, Int64) = try state.withLock { state in
            if state.reloading { throw Self.reloadingError }
            return (try body(state.book, now), queue.lastNumber)
        }
        try await queue.wait(through: number)
        return value
    }

    /// What the last load of the book found wrong in the hash chain, if anything.
    var chainProblem: String? { state.withLock { $0.chainProblem } }

    private static let reloadingError = RPCError(
        code: .unavailable,
        message: "the points ledger is being read again from the host after a failed write; retry in a moment "
            + "with the same ids (nothing is recorded twice)"
    )

    /// After a failed write: fails everything queued, reads the book again from the host (retrying until it can),
    /// and takes changes again.
    private func recover(after error: any Error) async {
        let through: Int64 = state.withLock { state in
            state.reloading = true
            return queue.lastNumber
        }
        logger.error(
            "a write to the host failed; reading the ledger again",
            metadata: ["error": "\(error)"]
        )
        queue.failAll(
            through: through,
            message: "the points ledger could not write to the host (\(Self.describe(error))); "
                + "retry with the same ids (nothing is recorded twice)"
        )
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let loaded = try await LoadedBook.read(from: objects, logger: logger)
                writer.reset(revisions: loaded.revisions)
                state.withLock { state in
                    state.book = loaded.book
                    state.chainProblem = loaded.chainProblem
                    state.reloading = false
                }
                logger.info("the ledger is read again", metadata: ["transfers": "\(loaded.book.transfers.count)"])
                return
            } catch {
                logger.warning("reading the ledger again failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? RPCError { return "\(error.code): \(error.message)" }
        return "\(error)"
    }
}

/// The book as read from the host's store: every kind, the transfers replayed in their order.
struct LoadedBook {
    var book: PointsBook
    var revisions: [String: Int64]
    var chainProblem: String?

    static func read(from objects: HostObjects, logger: Logger) async throws -> LoadedBook {
        var book = PointsBook()
        var revisions: [String: Int64] = [:]
        func keep<M: ObjectKind>(_ type: M.Type) async throws -> [M] {
            let listed = try await objects.list(type, pageSize: 5000).objects
            for object in listed { revisions[HostWriter.key(M.kindName, object.id)] = object.revision }
            return listed.map(\.message)
        }
        for ledger in try await keep(Ledger.self) { book.put(ledger: ledger) }
        for rule in try await keep(EarningRule.self) { book.put(rule: rule) }
        for venue in try await keep(Venue.self) { book.put(venue: venue) }
        for good in try await keep(Good.self) { book.load(good: good) }
        for redemption in try await keep(Redemption.self) { book.load(redemption: redemption) }
        for record in try await keep(ServiceRecord.self) { book.load(record: record) }
        let stored = try await keep(Account.self)
        for account in stored { book.load(account: account) }
        var problem: String?
        let transfers = try await keep(Transfer.self).sorted { $0.sequence < $1.sequence }
        for transfer in transfers {
            if let found = book.replay(transfer), problem == nil { problem = found }
        }
        _ = book.takeChanges()
        if let problem {
            logger.error("the ledger's hash chain does not verify", metadata: ["problem": "\(problem)"])
        }
        for account in stored {
            guard let replayed = book.accounts[account.id] else { continue }
            if replayed.debitsPosted != account.debitsPosted || replayed.creditsPosted != account.creditsPosted
                || replayed.debitsPending != account.debitsPending || replayed.creditsPending != account.creditsPending
                || replayed.lots != account.lots
            {
                logger.warning(
                    "an account's stored balances differ from its transfers; writing them again",
                    metadata: ["account": "\(account.id)"]
                )
                book.markChanged(account: account.id)
            }
        }
        return LoadedBook(book: book, revisions: revisions, chainProblem: problem)
    }
}
