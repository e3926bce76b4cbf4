import GongzhiMQTT
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

/// What a receiver under test committed and reported.
final class ReceiverRecord: Sendable {
    private let committedMessages = Mutex<[MQTTMessage]>([])
    private let reportedEvents = Mutex<[MQTTEvent]>([])

    var committed: [MQTTMessage] { committedMessages.withLock { $0 } }
    var events: [MQTTEvent] { reportedEvents.withLock { $0 } }

    /// The payloads committed, as text, probes left out.
    var payloads: [String] {
        committed.filter { !$0.topic.hasSuffix("/probe") }.map { String(decoding: $0.payload, as: UTF8.self) }
    }

    func commit(_ batch: [MQTTMessage]) {
        committedMessages.withLock { $0 += batch }
    }

    func report(_ event: MQTTEvent) {
        reportedEvents.withLock { $0.append(event) }
    }

    var connectedEvents: [Bool] {
        events.compactMap {
            if case .connected(let sessionPresent) = $0 { return sessionPresent }
            return nil
        }
    }

    var disconnectReasons: [String] {
        events.compactMap {
            if case .disconnected(let reason) = $0 { return reason }
            return nil
        }
    }
}

/// A receiver running in a task against a `MosquittoUnderTest`.
struct RunningReceiver {
    let task: Task<Void, Never>
    let record: ReceiverRecord
    let logs: LogRecorder

    static let topics = ["gz/test/+", "gz/test/probe"]

    static func options(_ broker: MosquittoUnderTest, clientID: String) -> MQTTOptions {
        var options = MQTTOptions(
            broker: .unixSocket(path: broker.socketPath),
            clientID: clientID,
            topicFilters: topics
        )
        options.receiveMaximum = 20
        options.sessionExpirySeconds = 3600
        return options
    }

    static func start(
        options: MQTTOptions,
        record: ReceiverRecord = ReceiverRecord(),
        admits: @escaping @Sendable () async -> Bool = { true },
        commit: (@Sendable ([MQTTMessage]) async throws -> Void)? = nil
    ) -> RunningReceiver {
        let logs = LogRecorder()
        let receiver = MQTTReceiver(options: options, logger: logs.logger(label: "mqtt-test"))
        let commitBatch: @Sendable ([MQTTMessage]) async throws -> Void = commit ?? { record.commit($0) }
        let task = Task {
            await receiver.run(admits: admits, commit: commitBatch, events: { record.report($0) })
        }
        return RunningReceiver(task: task, record: record, logs: logs)
    }

    /// Waits until the receiver's subscription is in place: probes are published until one is committed.
    func waitUntilSubscribed(_ broker: MosquittoUnderTest) async throws {
        let before = record.committed.filter { $0.topic.hasSuffix("/probe") }.count
        var probe = 0
        try await eventually("a probe reaches the receiver", poll: .milliseconds(100)) {
            if record.committed.filter({ $0.topic.hasSuffix("/probe") }).count > before { return true }
            probe += 1
            try broker.publish(topic: "gz/test/probe", payload: "probe-\(probe)")
            return false
        }
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}

/// Publishes until the broker takes it (it may be restarting).
func publishRetrying(_ broker: MosquittoUnderTest, topic: String, payload: String) async throws {
    let deadline = ContinuousClock.now + .seconds(20)
    while true {
        do {
            try broker.publish(topic: topic, payload: payload)
            return
        } catch {
            if ContinuousClock.now > deadline { throw error }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

extension XCTestCase {
    /// A broker for this test, removed when the test ends, passed or not.
    func startBroker(persistence: Bool = true, extraConfiguration: String = "") async throws -> MosquittoUnderTest {
        let broker = try await MosquittoUnderTest(persistence: persistence, extraConfiguration: extraConfiguration)
        addTeardownBlock { await broker.remove() }
        return broker
    }

    /// A receiver for this test, stopped when the test ends (before its broker is removed).
    func startReceiver(
        options: MQTTOptions,
        record: ReceiverRecord = ReceiverRecord(),
        admits: @escaping @Sendable () async -> Bool = { true },
        commit: (@Sendable ([MQTTMessage]) async throws -> Void)? = nil
    ) -> RunningReceiver {
        let receiver = RunningReceiver.start(options: options, record: record, admits: admits, commit: commit)
        addTeardownBlock { await receiver.stop() }
        return receiver
    }
}
