/// An external plugin that registered itself with an administrator's token: started outside the host,
/// routed to while its registration lasts. Belongs to the ``PluginFleet`` actor.
final class AttachedPlugin {
    let name: String
    let version: String
    let pid: Int32
    let socketPath: String
    let client: PluginConnections
    let services: [String]
    let grants: [GrantPattern]
    /// The administrator's token it registered with.
    let tokenID: String
    var detached = false
    var reason = ""
    /// When it attached or detached (milliseconds since the Unix epoch).
    var since = wallClockMilliseconds()
    /// Ends its registration stream.
    var lease: AsyncStream<Void>.Continuation?

    init(
        name: String,
        version: String,
        pid: Int32,
        socketPath: String,
        client: PluginConnections,
        services: [String],
        grants: [GrantPattern],
        tokenID: String
    ) {
        self.tokenID = tokenID
        self.name = name
        self.version = version
        self.pid = pid
        self.socketPath = socketPath
        self.client = client
        self.services = services
        self.grants = grants
    }
}
