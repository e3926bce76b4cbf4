import GongzhiRPC
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The streams (watches, routed streams) open under issued tokens, so that a token's revocation or expiry
/// ends them at once instead of when their caller hangs up. A token is checked when a call starts; a unary
/// call is over within its deadline, but a stream would go on for as long as its caller likes.
package final class OpenStreams: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        /// The open streams of each token, by registration.
        var byToken: [String: [UInt64: AsyncStream<String>.Continuation]] = [:]
    }

    private let state = Mutex(State())
    private let ended = Atomic<UInt64>(0)

    package init() {}

    /// Streams open under tokens now.
    package var count: Int {
        state.withLock { $0.byToken.values.reduce(0) { $0 + $1.count } }
    }

    /// Streams ended so far because their token was revoked or expired.
    package var endedCount: UInt64 { ended.load(ordering: .relaxed) }

    /// Runs `body` (a stream's handler) until it ends by itself, or until the token `record` is revoked or expires:
    /// then the body is cancelled, `onEnd` is told why, and the call fails with UNAUTHENTICATED and the reason.
    /// `isRevoked` is asked once the stream is registered, for a revocation that came after the call's check.
    package func run<T: Sendable>(
        under record: IssuedTokenRecord,
        isRevoked: @Sendable () -> Bool,
        onEnd: @escaping @Sendable (String) -> Void,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (reasons, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextID += 1
            state.byToken[record.id, default: [:]][state.nextID] = continuation
            return state.nextID
        }
        defer {
            state.withLock { state in
                state.byToken[record.id]?[id] = nil
                if state.byToken[record.id]?.isEmpty == true { state.byToken[record.id] = nil }
            }
        }
        if isRevoked() { continuation.yield(Self.revokedMessage(record.id)) }
        let remaining = record.expiresAtMilliseconds - wallClockMilliseconds()
        let expiry = Self.expiredMessage(record)
        let once = EndedOnce()
        let ending: @Sendable (String) -> RPCError = { reason in
            if once.first() {
                self.ended.add(1, ordering: .relaxed)
                onEnd(reason)
            }
            return RPCError(code: .unauthenticated, message: reason)
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                for await reason in reasons { throw ending(reason) }
                return nil
            }
            group.addTask {
                do {
                    try await Task.sleep(for: .milliseconds(max(0, remaining)))
                } catch {
                    return nil
                }
                throw ending(expiry)
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
        for stream in streams { stream.yield(Self.revokedMessage(id)) }
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
