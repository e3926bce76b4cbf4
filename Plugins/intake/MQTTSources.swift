import GongzhiIntake
import GongzhiIntakeStore
import GongzhiMQTT
import Logging

/// The MQTT sources' receivers: each reads its broker's messages in batches, appends a batch to the inbox,
/// and only once that commit returned lets the batch's PUBACKs go — so a crash anywhere before makes the
/// broker deliver them again, and nothing acknowledged is lost. A source over its in-flight budget stops
/// reading (the broker holds the rest) until its router has caught up.
struct MQTTSources: Sendable {
    let desk: IntakeDesk
    let logger: Logger

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            var watchedBroker = false
            for source in desk.settings.sources.sources {
                guard case .mqtt(let broker, let clientID, let topics, _) = source.kind else { continue }
                var options = MQTTOptions(
                    broker: broker.mqttBroker,
                    clientID: clientID,
                    topicFilters: topics
                )
                options.maximumPayloadBytes = IntakeLimits.maximumMessageBytes
                let receiver = MQTTReceiver(options: options, logger: logger)
                if !watchedBroker {
                    watchedBroker = true
                    group.addTask { await watchDropped(options) }
                }
                desk.setStatus(source.name) {
                    $0.state = .reconnecting
                    $0.detail = "connecting to \(broker)"
                }
                group.addTask {
                    await receiver.run(
                        admits: { desk.admits(source) },
                        commit: { messages in
                            let at = desk.now
                            let inputs = messages.map { message in
                                InboxInput(
                                    origin: message.topic,
                                    contentType: IntakeContentType.of(message),
                                    payload: message.payload,
                                    receivedAtMs: at
                                )
                            }
                            try desk.append(inputs, to: source.name)
                        },
                        events: { event in desk.record(event, source: source.name) }
                    )
                }
            }
        }
    }
}

extension MQTTSources {
    /// Reads the broker's own count of dropped messages every 30 s, for `Stats`: loss inside the broker that
    /// intake cannot prevent is at least shown.
    func watchDropped(_ options: MQTTOptions) async {
        while !Task.isCancelled {
            if let dropped = try? await MQTTBrokerStats.droppedMessages(options: options) {
                desk.brokerDropped.store(dropped, ordering: .relaxed)
            }
            try? await Task.sleep(for: .seconds(30))
        }
    }
}

extension IntakeContentType {
    /// A message's content type by its topic; a message larger than intake takes is kept cut, with its size.
    static func of(_ message: MQTTMessage) -> String {
        if message.isCut { return truncated(from: message.payloadSize) }
        return message.topic.hasSuffix(".pb") ? protobuf : json
    }
}

extension IntakeSources.Broker {
    var mqttBroker: MQTTBroker {
        switch self {
        case .unixSocket(let path): return .unixSocket(path: path)
        case .tcp(let host, let port): return .tcp(host: host, port: port)
        }
    }
}

extension IntakeDesk {
    /// A receiver's event: the source's state for `ListSources`, and its health counters.
    func record(_ event: MQTTEvent, source: String) {
        switch event {
        case .connected(let sessionPresent):
            let lost = health.withLock { health -> Bool in
                var counters = health[source] ?? SourceHealth()
                let lost = counters.connections > 0 && !sessionPresent
                if counters.connections > 0 { counters.reconnects += 1 }
                if lost { counters.sessionsLost += 1 }
                counters.connections += 1
                health[source] = counters
                return lost
            }
            if lost {
                pipeline.logger.error(
                    "the broker had lost this source's session: messages it queued while we were away are gone",
                    metadata: ["source": "\(source)"]
                )
            }
            setStatus(source) {
                $0.state = .connected
                $0.detail = ""
            }
        case .disconnected(let reason):
            setStatus(source) {
                $0.state = .reconnecting
                $0.detail = reason
            }
        case .paused:
            health.withLock { $0[source, default: SourceHealth()].pauses += 1 }
            setStatus(source) {
                $0.state = .paused
                $0.detail = "as many messages in flight as the source may hold: not reading; the broker keeps the rest"
            }
        case .resumed:
            setStatus(source) {
                $0.state = .connected
                $0.detail = ""
            }
        }
    }
}
