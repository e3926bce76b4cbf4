import GongzhiRPC
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The streams (watches, routed streams) open under issued tokens or for people, so that a token's revocation or
/// expiry, or a change to what a person may do, ends them at once instead of when their caller hangs up. A token
/// and a person are checked when a call starts; a unary call is over within its deadline, but a stream would go on
/// for as long as its caller likes.
package final class OpenStreams: Sendable {
    /// The person a stream acts for, and how it ends when they can no longer act.
    package struct Person: Sendable {
        package var id: String
        /// What a new call of the stream's caller would meet once the person is suspended: UNAUTHENTICATED for
        /// the person's own token, PERMISSION_DENIED for a caller acting for them.
        package var cannotActCode: StatusCode

        package init(id: String, cannotActCode: StatusCode) {
            self.id = id
            self.cannotActCode = cannotActCode
        }
    }

    /// Why a person's streams end.
    package enum PersonChange: Sendable, Equatable {
        /// Suspended or removed: they may not act at all.
        case cannotAct(String)
        /// Their roles, bindings or places changed: what their streams were allowed to see may have.
        case accessChanged(String)
    }

    private struct PersonStream {
        var code: StatusCode
        var end: AsyncStream<RPCError>.Continuation
    }

    private struct State {
        var nextID: UInt64 = 0
        /// The open streams of each token, by registration.
        var byToken: [String: [UInt64: AsyncStream<RPCError>.Continuation]] = [:]
        /// The open streams acting for each person, by registration.
        var byPerson: [String: [UInt64: PersonStream]] = [:]
    }

    private let state = Mutex(State())
    private let ended = Atomic<UInt64>(0)

    package init() {}

    /// Streams open under tokens or for people now.
    package var count: Int {
        state.withLock { state in
            var ids = Set<UInt64>()
            for streams in state.byToken.values { ids.formUnion(streams.keys) }
            for streams in state.byPerson.values { ids.formUnion(streams.keys) }
            return ids.count
        }
    }

    /// The people with streams open for them now.
    package var peopleWithStreams: Set<String> {
        state.withLock { Set($0.byPerson.keys) }
    }

    /// Streams ended so far because their token was revoked or expired, or their person changed.
    package var endedCount: UInt64 { ended.load(ordering: .relaxed) }

    /// Runs `body` (a stream's handler) until it ends by itself, or until the token `record` is revoked or
    /// expires, or `person` is suspended or their access changes: then the body is cancelled, `onEnd` is told why,
    /// and the call fails with the reason (UNAUTHENTICATED for the token). `isRevoked` and `personChanged` are asked
    /// once the stream is registered, for a revocation or a change to the person that came after the call's check.
    package func run<T: Sendable>(
        under record: IssuedTokenRecord?,
        person: Person? = nil,
        personChanged: @Sendable () -> PersonChange? = { nil },
        isRevoked: @Sendable () -> Bool,
        onEnd: @escaping @Sendable (String) -> Void,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (reasons, continuation) = AsyncStream<RPCError>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextID += 1
            if let record { state.byToken[record.id, default: [:]][state.nextID] = continuation }
            if let person {
                state.byPerson[person.id, default: [:]][state.nextID] = PersonStream(
                    code: person.cannotActCode,
                    end: continuation
                )
            }
            return state.nextID
        }
        defer {
            state.withLock { state in
                if let record {
                    state.byToken[record.id]?[id] = nil
                    if state.byToken[record.id]?.isEmpty == true { state.byToken[record.id] = nil }
                }
                if let person {
                    state.byPerson[person.id]?[id] = nil
                    if state.byPerson[person.id]?.isEmpty == true { state.byPerson[person.id] = nil }
                }
            }
        }
        if let record, isRevoked() {
            continuation.yield(RPCError(code: .unauthenticated, message: Self.revokedMessage(record.id)))
        }
        // A change to the person between the call's check and the registration above reached no stream.
        if let person, let change = personChanged() {
            switch change {
            case .cannotAct(let message): continuation.yield(RPCError(code: person.cannotActCode, message: message))
            case .accessChanged(let message): continuation.yield(RPCError(code: .aborted, message: message))
            }
        }
        let expiry = record.map { (Self.expiredMessage($0), $0.expiresAtMilliseconds - wallClockMilliseconds()) }
        let once = EndedOnce()
        let ending: @Sendable (RPCError) -> RPCError = { reason in
            if once.first() {
                self.ended.add(1, ordering: .relaxed)
                onEnd(reason.message)
            }
            return reason
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                for await reason in reasons { throw ending(reason) }
                return nil
            }
            if let (message, remaining) = expiry {
                group.addTask {
                    do {
                        try await Task.sleep(for: .milliseconds(max(0, remaining)))
                    } catch {
                        return nil
                    }
                    throw ending(RPCError(code: .unauthenticated, message: message))
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
            }
            throw CancellationError()
        }
    }

    /// Ends every stream open under the token `id`, which was just revoked.
    package func revoked(tokenID id: String) {
        let streams = state.withLock { $0.byToken[id].map { Array($0.values) } ?? [] }
        for stream in streams { stream.yield(RPCError(code: .unauthenticated, message: Self.revokedMessage(id))) }
    }

    /// Ends every stream acting for each person in `changes`: PERMISSION_DENIED or UNAUTHENTICATED (as the
    /// stream's caller would meet on its next call) for one who can no longer act, ABORTED for one whose access
    /// changed (open the stream again to see what they may see now).
    package func peopleChanged(_ changes: [String: PersonChange]) {
        let ending: [(AsyncStream<RPCError>.Continuation, RPCError)] = state.withLock { state in
            changes.flatMap { id, change in
                (state.byPerson[id]?.values).map { streams in
                    streams.map { stream in
                        switch change {
                        case .cannotAct(let message):
                            (stream.end, RPCError(code: stream.code, message: message))
                        case .accessChanged(let message):
                            (stream.end, RPCError(code: .aborted, message: message))
                        }
                    }
                } ?? []
            }
        }
        for (stream, error) in ending { stream.yield(error) }
    }

    static func revokedMessage(_ id: String) -> String {
        "token \(id) was revoked, which ends its open streams; ask an administrator for a new token"
    }

    static func expiredMessage(_ record: IssuedTokenRecord) -> String {
        let time = Date(timeIntervalSince1970: Double(record.expiresAtMilliseconds) / 1000)
        return "token \(record.id) expired at \(time.formatted(.iso8601)), which ends its open streams; "
            + "ask an administrator for a new token"
    }
}

/// True the first time only: a stream revoked and expired at once is ended, counted and audited once.
private final class EndedOnce: Sendable {
    private let done = Atomic<Bool>(false)

    func first() -> Bool {
        !done.exchange(true, ordering: .relaxed)
    }
}
