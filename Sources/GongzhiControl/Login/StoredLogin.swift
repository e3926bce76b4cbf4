/// A login as `gongzhictl login` keeps it: the token, the host socket it was checked at, and whom the host
/// took it for then.
public struct StoredLogin: Codable, Sendable, Hashable {
    /// The host socket the token was checked at; commands call it while you are logged in.
    public var hostSocket: String
    /// The token's secret, sent as `gongzhi-token` with every call on host.sock.
    public var token: String
    /// Who the host took the token for when you logged in: `person:hu-wei`.
    public var principal: String

    public init(hostSocket: String, token: String, principal: String) {
        self.hostSocket = hostSocket
        self.token = token
        self.principal = principal
    }

    enum CodingKeys: String, CodingKey {
        case hostSocket = "host_socket"
        case token
        case principal
    }
}
