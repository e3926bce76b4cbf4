import Logging
import NIOPosix

/// Receives the messages of one MQTT source and acknowledges each batch only after it was committed.
///
/// Every libmosquitto call is made on one thread of the receiver's own (a `NIOThreadPool` of one thread), so
/// nothing blocks Swift's cooperative pool. The loop reads a batch (its PUBACKs queued in libmosquitto, not
/// written), hands it to `commit`, and writes the PUBACKs once `commit` returned; see `run`.
public struct MQTTReceiver: Sendable {
    public let options: MQTTOptions
    private let logger: Logger

    /// How long a CONNECT may wait for its CONNACK before the receiver gives up on the connection.
    static let connackTimeout = Duration.seconds(10)
    /// How long a read waits for the socket before the loop checks `admits`, keepalive and cancellation.
    static let readWaitMilliseconds: Int32 = 20
    static let writeWaitMilliseconds: Int32 = 5000

    public init(options: MQTTOptions, logger: Logger) {
        self.options = options
        var logger = logger
        logger[metadataKey: "mqtt_broker"] = "\(options.broker)"
        logger[metadataKey: "mqtt_client_id"] = "\(options.clientID)"
        self.logger = logger
    }

    /// Runs until cancelled: connects, reads batches, hands each to `commit`, and acknowledges the batch only after
    /// `commit` returned; if `commit` throws, the connection is dropped without acknowledging (the broker delivers
    /// the batch again) and it reconnects with backoff. It reconnects the same way (0.1 s doubling to 5 s) when the
    /// connection is lost or refused, and subscribes again on every connect. `admits()` false = paused: it stops
    /// reading (the broker holds the messages) and keeps the connection alive; paused for longer than half the
    /// keepalive, it disconnects keeping the session and connects again once `admits()` is true. Cancelled during
    /// `commit`, it acknowledges nothing of that batch; options the shim refuses are reported as an event and
    /// logged, and it then waits to be cancelled.
    public func run(
        admits: @escaping @Sendable () async -> Bool,
        commit: @escaping @Sendable ([MQTTMessage]) async throws -> Void,
        events: @escaping @Sendable (MQTTEvent) -> Void
    ) async {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let version = MQTTSession.libraryVersion
        let versionText = "\(version.major).\(version.minor).\(version.revision)"
        logger.info("MQTT source starting", metadata: ["libmosquitto": "\(versionText)"])
        if version.major != 2 || version.minor > 1 {
            logger.warning(
                "libmosquitto \(versionText) is not a version whose write order was checked (2.0 and 2.1): run the C tests of CGongzhiMQTT (make -C Sources/CGongzhiMQTT check) to check that PUBACKs still wait for the flush"
            )
        }
        let options = self.options
        let session: MQTTSession
        do {
            session = try await Self.uncancelled(pool) { try MQTTSession(options: options) }
        } catch {
            logger.error("MQTT source cannot start", metadata: ["error": "\(error)"])
            events(.disconnected(reason: "\(error)"))
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(60)) }
            try? await pool.shutdownGracefully()
            return
        }
        await receive(session: session, pool: pool, admits: admits, commit: commit, events: events)
        // Cancelled: a clean disconnect when everything read was acknowledged, else an abort.
        _ = try? await Self.uncancelled(pool) { session.close() }
        try? await pool.shutdownGracefully()
        logger.info("MQTT source stopped")
    }

    private func receive(
        session: MQTTSession,
        pool: NIOThreadPool,
        admits: @escaping @Sendable () async -> Bool,
        commit: @escaping @Sendable ([MQTTMessage]) async throws -> Void,
        events: @escaping @Sendable (MQTTEvent) -> Void
    ) async {
        let receiveMaximum = options.receiveMaximum
        let pauseLimit = Duration.seconds(max(options.keepAliveSeconds, 5)) / 2
        var backoff = Backoff()
        var redeliveries = RedeliveryTracker()
        var connacks: UInt32 = 0
        var everConnected = false
        var lastReason: String?
        var paused = false
        var reportedRefusal = false

        connection: while !Task.isCancelled {
            if paused {
                // Disconnected while paused: connect again only when admitted.
                while !Task.isCancelled, !(await admits()) {
                    try? await Task.sleep(for: .milliseconds(50))
                }
                if Task.isCancelled { return }
                paused = false
                events(.resumed)
            }
            do {
                try await pool.runIfActive { try session.connect(waitMilliseconds: Self.writeWaitMilliseconds) }
            } catch {
                if Task.isCancelled { return }
                let reason = "\(error)"
                if reason != lastReason {
                    logger.warning("MQTT connect failed; trying again with backoff", metadata: ["error": "\(reason)"])
                    events(.disconnected(reason: reason))
                    lastReason = reason
                }
                try? await Task.sleep(for: backoff.next())
                continue
            }
            let connectStarted = ContinuousClock.now
            var pausedSince: ContinuousClock.Instant?
            do {
                while !Task.isCancelled {
                    if !(await admits()) {
                        if !paused {
                            paused = true
                            pausedSince = .now
                            events(.paused)
                        }
                        if let since = pausedSince, ContinuousClock.now - since >= pauseLimit {
                            // libmosquitto would drop the connection over an unread PINGRESP: leave cleanly instead.
                            try await pool.runIfActive {
                                try session.disconnect(waitMilliseconds: Self.writeWaitMilliseconds)
                            }
                            logger.info(
                                "MQTT source paused for longer than half the keepalive: disconnected, session kept"
                            )
                            continue connection
                        }
                        try await pool.runIfActive {
                            try session.keepAlive()
                            try session.flush(waitMilliseconds: Self.writeWaitMilliseconds)
                        }
                        try await Task.sleep(for: .milliseconds(20))
                        continue
                    }
                    if paused {
                        paused = false
                        pausedSince = nil
                        events(.resumed)
                    }
                    let (batch, status, errorText) = try await pool.runIfActive {
                        let batch = try session.readBatch(
                            max: receiveMaximum,
                            waitMilliseconds: Self.readWaitMilliseconds
                        )
                        let status = session.status
                        return (batch, status, status.refusedFilters > 0 ? session.lastErrorText : "")
                    }
                    if status.connacks != connacks {
                        connacks = status.connacks
                        if !status.sessionPresent { redeliveries.sessionLost() }
                        if everConnected && !status.sessionPresent {
                            logger.warning("MQTT broker had no session for this client: what it had queued is lost")
                        } else {
                            logger.info("MQTT connected", metadata: ["session_present": "\(status.sessionPresent)"])
                        }
                        everConnected = true
                        backoff.reset()
                        lastReason = nil
                        reportedRefusal = false
                        events(.connected(sessionPresent: status.sessionPresent))
                    } else if !status.connected && ContinuousClock.now - connectStarted > Self.connackTimeout {
                        throw MQTTSessionError(description: "the broker did not answer the CONNECT within 10 s")
                    }
                    if status.refusedFilters > 0 && !reportedRefusal {
                        logger.error("MQTT subscription refused", metadata: ["error": "\(errorText)"])
                        reportedRefusal = true
                    }
                    if batch.isEmpty {
                        // SUBSCRIBE after a CONNACK, PINGREQ: nothing read is waiting for its acknowledgement.
                        try await pool.runIfActive {
                            try session.flush(waitMilliseconds: Self.writeWaitMilliseconds)
                            try session.keepAlive()
                        }
                        continue
                    }
                    let messages = redeliveries.mark(batch)
                    do {
                        try await commit(messages)
                    } catch {
                        redeliveries.unacknowledged(batch.map(\.packetID))
                        _ = try? await Self.uncancelled(pool) { session.abort() }
                        let reason = "a batch of \(messages.count) messages was not committed: \(error)"
                        logger.warning(
                            "MQTT batch not committed: dropped the connection unacknowledged",
                            metadata: ["error": "\(error)"]
                        )
                        events(.disconnected(reason: reason))
                        if Task.isCancelled { return }
                        try? await Task.sleep(for: backoff.next())
                        continue connection
                    }
                    // Committed: acknowledged, even when the receiver was cancelled meanwhile.
                    try await Self.uncancelled(pool) {
                        try session.flush(waitMilliseconds: Self.writeWaitMilliseconds)
                        try session.keepAlive()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                _ = try? await Self.uncancelled(pool) { session.abort() }
                let reason = "\(error)"
                logger.warning("MQTT connection ended; reconnecting with backoff", metadata: ["error": "\(reason)"])
                events(.disconnected(reason: reason))
                lastReason = reason
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Runs `body` on the receiver's thread even when the calling task was cancelled (NIOThreadPool skips the work
    /// of a cancelled task): for acknowledging what was committed and for closing.
    private static func uncancelled<Result: Sendable>(
        _ pool: NIOThreadPool,
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await Task { try await pool.runIfActive(body) }.value
    }
}
