/// Where an MQTT broker listens.
public enum MQTTBroker: Sendable, Hashable, CustomStringConvertible {
    /// A Unix-domain socket on this machine (mosquitto's `listener 0 PATH`).
    case unixSocket(path: String)
    /// A host name or address and a TCP port (1...65535).
    case tcp(host: String, port: Int)

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix:\(path)"
        case .tcp(let host, let port): "\(host):\(port)"
        }
    }
}

/// How an MQTT source connects and subscribes. The session is MQTT v5 with clean start off, so the broker
/// keeps it, with everything queued for it, for `sessionExpirySeconds` after a disconnect.
public struct MQTTOptions: Sendable {
    public var broker: MQTTBroker
    /// Stable for a source (the broker keeps the session under it), e.g. `gongzhi-intake-330199-sensors-x`.
    public var clientID: String
    public var username: String?
    public var password: String?
    /// Subscribed at QoS 1 on every connect.
    public var topicFilters: [String]
    /// Seconds, 5...65535. A receiver paused for longer than half of it disconnects, keeping its session.
    public var keepAliveSeconds: Int = 60
    /// The most unacknowledged messages the broker sends at once (MQTT v5 Receive Maximum), 1...65535; also the
    /// largest batch handed to `commit`.
    public var receiveMaximum: Int = 1000
    /// How long the broker keeps the session and its queue while no receiver is connected.
    public var sessionExpirySeconds: UInt32 = 7 * 86_400
    /// Payloads larger than this are handed over cut to this size, with `MQTTMessage.payloadSize` saying how large
    /// they were: never dropped.
    public var maximumPayloadBytes: Int = 256 * 1024

    public init(broker: MQTTBroker, clientID: String, topicFilters: [String]) {
        self.broker = broker
        self.clientID = clientID
        self.topicFilters = topicFilters
    }
}
