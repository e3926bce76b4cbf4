import NIOPosix

/// Figures a mosquitto broker publishes about itself under `$SYS`, read over a short connection of their own (the
/// source's client id with `-stats` appended, and no session kept), so that loss inside the broker is visible.
public enum MQTTBrokerStats {
    static let droppedTopic = "$SYS/broker/publish/messages/dropped"

    /// The messages the broker dropped since it started, for every client together (queues full, or a message too
    /// large for a client), as mosquitto last published it (every `sys_interval`, 10 s by default, retained); nil
    /// when the broker published no such figure within `timeout` (not mosquitto, or `$SYS` turned off). Throws when
    /// the broker cannot be reached or refuses the connection.
    public static func droppedMessages(options: MQTTOptions, timeout: Duration = .seconds(2)) async throws -> UInt64? {
        var statsOptions = options
        statsOptions.clientID = options.clientID + "-stats"
        statsOptions.topicFilters = [droppedTopic]
        statsOptions.sessionExpirySeconds = 0
        statsOptions.receiveMaximum = 10
        statsOptions.maximumPayloadBytes = 64
        let sessionOptions = statsOptions
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }
        let waitMilliseconds = Int(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        )
        return try await pool.runIfActive { () throws(MQTTSessionError) -> UInt64? in
            let session = try MQTTSession(options: sessionOptions)
            defer { session.close() }
            try session.connect(waitMilliseconds: 2000)
            let deadline = ContinuousClock.now + .milliseconds(waitMilliseconds)
            while ContinuousClock.now < deadline {
                let batch = try session.readBatch(max: 10, waitMilliseconds: 20)
                // Acknowledged at once: this session keeps nothing.
                try session.flush(waitMilliseconds: 2000)
                if let figure = batch.last(where: { $0.message.topic == droppedTopic }) {
                    return UInt64(String(decoding: figure.message.payload, as: UTF8.self))
                }
            }
            return nil
        }
    }
}
