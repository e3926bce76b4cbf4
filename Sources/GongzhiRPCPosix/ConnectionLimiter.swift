import GongzhiRPC
import Logging
import Synchronization

/// Caps the connections of one server: in all, per peer uid (known at accept, from the kernel) and per principal
/// (known at a connection's first identified call). Refusals are counted in ``LimitCounters`` and logged at most
/// once per limit and key per 10 s.
public final class ConnectionLimiter: Sendable {
    /// The caps; nil for none.
    public struct Limits: Sendable, Hashable {
        /// Connections open at once.
        public var maxConnections: Int?
        /// Connections open at once from one uid.
        public var maxPerUID: Int?
        /// Connections one principal may have made calls on.
        public var maxPerPrincipal: Int?
        /// How the socket is called in messages ("host.sock").
        public var socketName: String
        /// The configuration keys that set the caps, named in messages and counters.
        public var totalKey = "max_connections"
        public var perUIDKey = "max_per_uid"
        public var perPrincipalKey = "max_per_principal"

        public init(
            socketName: String,
            maxConnections: Int? = nil,
            maxPerUID: Int? = nil,
            maxPerPrincipal: Int? = nil
        ) {
            self.socketName = socketName
            self.maxConnections = maxConnections
            self.maxPerUID = maxPerUID
            self.maxPerPrincipal = maxPerPrincipal
        }
    }

    private struct State {
        var limits: Limits
        var open = 0
        var perUID: [UInt32: Int] = [:]
        var principalsOf: [UInt64: [String]] = [:]
        var connectionsOf: [String: Int] = [:]
    }

    private let state: Mutex<State>
    private let counters: LimitCounters?
    private let log: RateLimitedLog?

    public init(limits: Limits, counters: LimitCounters? = nil, log: RateLimitedLog? = nil) {
        self.state = Mutex(State(limits: limits))
        self.counters = counters
        self.log = log
    }

    /// The caps in force.
    public var limits: Limits {
        get { state.withLock { $0.limits } }
        set { state.withLock { $0.limits = newValue } }
    }

    /// Connections open now, in all.
    public var openConnections: Int { state.withLock { $0.open } }

    /// Admits a new connection of `peer`, or says why not (the caller closes it). An admitted connection is
    /// given back with ``release(_:connection:)`` when it closes.
    public func admit(_ peer: PeerCredentials) -> String? {
        let refusal: (limit: String, key: String, message: String)? = state.withLock { state in
            let limits = state.limits
            if let cap = limits.maxConnections, state.open >= cap {
                return (
                    limits.totalKey, limits.socketName,
                    "refusing a connection of uid \(peer.uid) pid \(peer.pid) to \(limits.socketName): it has "
                        + "\(state.open) connections open, its limit ([connections] \(limits.totalKey) = \(cap))"
                )
            }
            let ofUID = state.perUID[peer.uid, default: 0]
            if let cap = limits.maxPerUID, ofUID >= cap {
                return (
                    limits.perUIDKey, "uid \(peer.uid)",
                    "refusing a connection of uid \(peer.uid) pid \(peer.pid) to \(limits.socketName): uid "
                        + "\(peer.uid) has \(ofUID) connections open, its limit ([connections] "
                        + "\(limits.perUIDKey) = \(cap)); close idle ones or raise the limit"
                )
            }
            state.open += 1
            state.perUID[peer.uid] = ofUID + 1
            return nil
        }
        guard let refusal else { return nil }
        counters?.count("connections.\(refusal.limit)", detail: refusal.key)
        log?.warning(limit: refusal.limit, key: refusal.key, refusal.message)
        return refusal.message
    }

    /// Gives back an admitted connection when it closes.
    public func release(_ peer: PeerCredentials, connection: UInt64) {
        state.withLock { state in
            state.open -= 1
            let left = state.perUID[peer.uid, default: 1] - 1
            state.perUID[peer.uid] = left > 0 ? left : nil
            for principal in state.principalsOf.removeValue(forKey: connection) ?? [] {
                let left = state.connectionsOf[principal, default: 1] - 1
                state.connectionsOf[principal] = left > 0 ? left : nil
            }
        }
    }

    /// Records that `connection` carries calls of `principal`; refuses with RESOURCE_EXHAUSTED when the principal
    /// already has calls on as many other connections as allowed.
    public func identify(connection: UInt64, as principal: String) -> RPCError? {
        let refusal: (message: String, cap: Int)? = state.withLock { state in
            if state.principalsOf[connection]?.contains(principal) == true { return nil }
            let held = state.connectionsOf[principal, default: 0]
            if let cap = state.limits.maxPerPrincipal, held >= cap {
                return (
                    "\(principal) already has calls on \(held) connections to \(state.limits.socketName), its limit "
                        + "([connections] \(state.limits.perPrincipalKey) = \(cap)); this connection is closed: "
                        + "make many calls on one connection, or close others before opening new ones",
                    cap
                )
            }
            state.connectionsOf[principal] = held + 1
            state.principalsOf[connection, default: []].append(principal)
            return nil
        }
        guard let refusal else { return nil }
        counters?.count("connections.\(limits.perPrincipalKey)", detail: principal)
        log?.warning(limit: limits.perPrincipalKey, key: principal, refusal.message)
        return RPCError(code: .resourceExhausted, message: refusal.message)
    }
}
