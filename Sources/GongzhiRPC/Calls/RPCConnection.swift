import Synchronization

/// The connection a call arrived on, as its server describes it to the dispatcher and the handler.
public final class RPCConnection: Sendable {
    /// Unique among the connections of one process.
    public let id: UInt64
    /// Open while the connection is under its outbound budget; see
    /// ``ServerCallContext/waitUntilConnectionCanTakeAnswers()``.
    public let outbound: OutboundGate
    private let identifies: (@Sendable (_ connection: UInt64, _ principal: String) -> RPCError?)?
    private let refused = Atomic<Bool>(false)
    /// The principals already accepted on this connection: their later calls are not counted again.
    private let identified = Mutex<[String]>([])

    /// - Parameter identifies: told the principal a dispatcher identified on this connection; answers the error
    ///   that refuses the call when the principal already holds as many connections as the server allows.
    public init(
        id: UInt64,
        outbound: OutboundGate = OutboundGate(),
        identifies: (@Sendable (_ connection: UInt64, _ principal: String) -> RPCError?)? = nil
    ) {
        self.id = id
        self.outbound = outbound
        self.identifies = identifies
    }

    /// Records that a call on this connection was made by `principal`. Returns the error to refuse the call with
    /// (and the server closes the connection) when `principal` is over the server's per-principal connection cap;
    /// nil otherwise.
    public func identify(as principal: String) -> RPCError? {
        guard let identifies, !identified.withLock({ $0.contains(principal) }) else { return nil }
        guard let error = identifies(id, principal) else {
            identified.withLock { $0.append(principal) }
            return nil
        }
        refused.store(true, ordering: .releasing)
        return error
    }

    /// True once ``identify(as:)`` refused a call: the server answers it, then closes the connection.
    public var isRefused: Bool { refused.load(ordering: .acquiring) }
}
