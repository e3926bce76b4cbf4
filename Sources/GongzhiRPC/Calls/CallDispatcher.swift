/// What a server knows of a call when its request arrives, before any handler runs.
public struct RPCCallHead: Sendable {
    public var service: String
    public var method: String
    /// The metadata the caller sent.
    public var metadata: Metadata
    /// The process on the other end of the connection, from the kernel.
    public var peer: PeerCredentials
    /// The connection the call arrived on, when a server over a socket received it.
    public var connection: RPCConnection?

    public init(
        service: String,
        method: String,
        metadata: Metadata,
        peer: PeerCredentials,
        connection: RPCConnection? = nil
    ) {
        self.service = service
        self.method = method
        self.metadata = metadata
        self.peer = peer
        self.connection = connection
    }
}

/// Chooses the handler for each call a server receives, or refuses the call.
///
/// A plain server dispatches by service and method name to the services it was given. A host puts its
/// own dispatcher in front: it identifies the caller, checks the caller's grants and routes calls for
/// services that other processes serve. `dispatch` runs on the connection's event loop for every
/// request, so it must not block.
public protocol RPCCallDispatcher: Sendable {
    func dispatch(_ head: RPCCallHead) -> Result<RPCMethodHandler, RPCError>
}
