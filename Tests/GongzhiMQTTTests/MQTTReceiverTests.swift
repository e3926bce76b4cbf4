import GongzhiMQTT
import GongzhiTestSupport
import Synchronization
import XCTest

/// MQTTReceiver against a real mosquitto on a Unix socket: what is acknowledged, and when.
final class MQTTReceiverTests: XCTestCase {
    private func ids(_ range: Range<Int>) -> Set<String> { Set(range.map { "m-\($0)" }) }

    func testCommittedMessagesAreAcknowledgedAndNotDeliveredAgain() async throws {
        let broker = try await startBroker()
        let options = RunningReceiver.options(broker, clientID: "gz-test-acknowledged")
        let first = startReceiver(options: options)
        try await first.waitUntilSubscribed(broker)
        for i in 0..<30 { try broker.publish(topic: "gz/test/a", payload: "m-\(i)") }
        try await eventually("30 messages committed") { Set(first.record.payloads) == ids(0..<30) }
        await first.stop()
        XCTAssertEqual(first.record.connectedEvents, [false])
        XCTAssertTrue(first.logs.lines.contains { $0.contains("MQTT source starting") })

        // The next receiver with the same id resumes the session: nothing of the first 30 comes again.
        let second = startReceiver(options: options)
        try await eventually("the second receiver connects") { second.record.connectedEvents == [true] }
        try broker.publish(topic: "gz/test/a", payload: "m-30")
        try await eventually("the new message is committed") { second.record.payloads.contains("m-30") }
        await second.stop()
        XCTAssertEqual(second.record.payloads, ["m-30"])
    }

    func testCommitThatThrowsIsDeliveredAgainAndNothingIsLost() async throws {
        let broker = try await startBroker()
        let record = ReceiverRecord()
        let failuresLeft = Mutex(2)
        let attempts = Mutex(0)
        struct DiskFull: Error {}
        let receiver = startReceiver(
            options: RunningReceiver.options(broker, clientID: "gz-test-throws"),
            record: record,
            commit: { batch in
                if batch.contains(where: { $0.topic == "gz/test/a" }) {
                    attempts.withLock { $0 += 1 }
                    let fail = failuresLeft.withLock {
                        guard $0 > 0 else { return false }
                        $0 -= 1
                        return true
                    }
                    if fail { throw DiskFull() }
                }
                record.commit(batch)
            }
        )
        try await receiver.waitUntilSubscribed(broker)
        for i in 0..<20 { try broker.publish(topic: "gz/test/a", payload: "m-\(i)") }
        try await eventually("all 20 committed after two failed commits") { Set(record.payloads) == ids(0..<20) }
        await receiver.stop()
        XCTAssertEqual(failuresLeft.withLock { $0 }, 0)
        XCTAssertGreaterThanOrEqual(attempts.withLock { $0 }, 3)
        XCTAssertEqual(record.disconnectReasons.filter { $0.contains("not committed") }.count, 2)
        // Reconnected each time to the same session; what was read before is marked.
        XCTAssertEqual(record.connectedEvents, [false, true, true])
        XCTAssertTrue(record.committed.contains { $0.duplicate })
    }

    func testReceiverCancelledBeforeAcknowledgingLeavesTheBatchToTheNextOne() async throws {
        let broker = try await startBroker()
        let options = RunningReceiver.options(broker, clientID: "gz-test-cancelled")
        let entered = Mutex<[String]>([])
        let firstRecord = ReceiverRecord()
        let first = startReceiver(
            options: options,
            record: firstRecord,
            commit: { batch in
                let payloads = batch.filter { $0.topic == "gz/test/a" }.map {
                    String(decoding: $0.payload, as: UTF8.self)
                }
                if payloads.isEmpty {
                    firstRecord.commit(batch)
                    return
                }
                entered.withLock { $0 += payloads }
                // A commit that never finishes: the receiver is cancelled in the middle of it.
                try await Task.sleep(for: .seconds(3600))
            }
        )
        try await first.waitUntilSubscribed(broker)
        for i in 0..<5 { try broker.publish(topic: "gz/test/a", payload: "m-\(i)") }
        try await eventually("the first receiver is committing") { !entered.withLock { $0 }.isEmpty }
        await first.stop()
        XCTAssertTrue(firstRecord.payloads.isEmpty)

        let second = startReceiver(options: options)
        try await eventually("the next receiver gets all 5") { Set(second.record.payloads) == ids(0..<5) }
        await second.stop()
        XCTAssertEqual(second.record.connectedEvents.first, true)
    }

    func testBrokerRestartedUnderPublishingLosesNothing() async throws {
        let broker = try await startBroker(persistence: true)
        let receiver = startReceiver(options: RunningReceiver.options(broker, clientID: "gz-test-restart"))
        try await receiver.waitUntilSubscribed(broker)
        let count = 80
        let publisher = Task {
            for i in 0..<count { try await publishRetrying(broker, topic: "gz/test/a", payload: "m-\(i)") }
        }
        try await eventually("publishing has begun") { receiver.record.payloads.count >= 10 }
        try await broker.restart()
        try await eventually("the receiver is back") { receiver.record.connectedEvents.count >= 2 }
        try await broker.restart()
        try await publisher.value
        try await eventually("every message published is committed") {
            Set(receiver.record.payloads) == ids(0..<count)
        }
        await receiver.stop()
        XCTAssertGreaterThanOrEqual(receiver.record.disconnectReasons.count, 2)
        XCTAssertEqual(receiver.record.connectedEvents.first, false)
        // The broker kept the session (persistence, clean stops): every later connect found it.
        XCTAssertEqual(receiver.record.connectedEvents.dropFirst().filter { !$0 }.count, 0)
        XCTAssertGreaterThanOrEqual(receiver.record.connectedEvents.count, 3)
    }

    func testPausedReceiverLeavesMessagesWithTheBrokerAndResumeDeliversThemAll() async throws {
        let broker = try await startBroker()
        var options = RunningReceiver.options(broker, clientID: "gz-test-paused")
        options.keepAliveSeconds = 5
        let admitting = Mutex(true)
        let receiver = startReceiver(options: options, admits: { admitting.withLock { $0 } })
        try await receiver.waitUntilSubscribed(broker)
        admitting.withLock { $0 = false }
        try await eventually("the receiver pauses") { receiver.record.events.contains(.paused) }
        for i in 0..<40 { try broker.publish(topic: "gz/test/a", payload: "m-\(i)") }
        // Longer than half the keepalive: the receiver disconnects, keeping its session.
        try await eventually("the paused receiver disconnects", timeout: .seconds(10)) {
            receiver.logs.lines.contains { $0.contains("disconnected, session kept") }
        }
        XCTAssertTrue(receiver.record.payloads.isEmpty)
        admitting.withLock { $0 = true }
        try await eventually("all 40 committed after resuming") { Set(receiver.record.payloads) == ids(0..<40) }
        await receiver.stop()
        XCTAssertTrue(receiver.record.events.contains(.resumed))
        XCTAssertEqual(receiver.record.connectedEvents, [false, true])
    }

    func testBrokerThatLostTheSessionIsReportedAndSubscribedAgain() async throws {
        let broker = try await startBroker(persistence: false)
        let receiver = startReceiver(options: RunningReceiver.options(broker, clientID: "gz-test-lost"))
        try await receiver.waitUntilSubscribed(broker)
        try await broker.restart()
        try await eventually("the receiver reconnects") { receiver.record.connectedEvents.count == 2 }
        XCTAssertEqual(receiver.record.connectedEvents, [false, false])
        try await receiver.waitUntilSubscribed(broker)
        try broker.publish(topic: "gz/test/a", payload: "m-0")
        try await eventually("a message after the loss is committed") { receiver.record.payloads == ["m-0"] }
        await receiver.stop()
        XCTAssertTrue(receiver.logs.lines.contains { $0.contains("had no session") })
    }

    func testIdleLongerThanTheKeepaliveStaysConnected() async throws {
        let broker = try await startBroker()
        var options = RunningReceiver.options(broker, clientID: "gz-test-idle")
        options.keepAliveSeconds = 5
        let receiver = startReceiver(options: options)
        try await receiver.waitUntilSubscribed(broker)
        // Nothing to read for longer than the broker waits for a packet (1.5 keepalives, checked here to end the
        // connection after about 12 s without PINGREQ): PINGREQ and PINGRESP keep it.
        try await Task.sleep(for: .seconds(15))
        try broker.publish(topic: "gz/test/a", payload: "m-0")
        try await eventually("the message after the idle time is committed") { receiver.record.payloads == ["m-0"] }
        await receiver.stop()
        XCTAssertEqual(receiver.record.disconnectReasons, [])
        XCTAssertEqual(receiver.record.connectedEvents, [false])
    }

    func testLargePayloadIsHandedOverCutWithItsSize() async throws {
        let broker = try await startBroker()
        var options = RunningReceiver.options(broker, clientID: "gz-test-large")
        options.maximumPayloadBytes = 1024
        let receiver = startReceiver(options: options)
        try await receiver.waitUntilSubscribed(broker)
        let large = (0..<5000).map { UInt8($0 % 251) }
        try broker.publish(topic: "gz/test/a", payload: large)
        try await eventually("the large message is committed") {
            receiver.record.committed.contains { $0.topic == "gz/test/a" }
        }
        await receiver.stop()
        let message = try XCTUnwrap(receiver.record.committed.first { $0.topic == "gz/test/a" })
        XCTAssertTrue(message.isCut)
        XCTAssertEqual(message.payloadSize, 5000)
        XCTAssertEqual(message.payload, Array(large.prefix(1024)))
    }

    func testRefusedOptionsAreReported() async throws {
        let broker = try await startBroker()
        var options = RunningReceiver.options(broker, clientID: "gz-test-options")
        options.topicFilters = ["gz/test/#/a"]
        let receiver = startReceiver(options: options)
        try await eventually("the refusal is reported") { !receiver.record.disconnectReasons.isEmpty }
        await receiver.stop()
        XCTAssertEqual(receiver.record.disconnectReasons.count, 1)
        XCTAssertTrue(receiver.record.disconnectReasons[0].contains("('gz/test/#/a') is not a valid MQTT filter"))
        XCTAssertTrue(receiver.record.connectedEvents.isEmpty)
    }
}

/// The broker's own figures under `$SYS`.
final class MQTTBrokerStatsTests: XCTestCase {
    func testDroppedMessagesAreReadFromTheBroker() async throws {
        // A queue of two messages for a client that is away: the broker drops the rest, and counts them.
        let broker = try await startBroker(extraConfiguration: "max_queued_messages 2\nsys_interval 1")
        let options = RunningReceiver.options(broker, clientID: "gz-test-stats")
        let before = try await MQTTBrokerStats.droppedMessages(options: options, timeout: .seconds(5))
        XCTAssertEqual(before, 0)
        let receiver = startReceiver(options: options)
        try await receiver.waitUntilSubscribed(broker)
        await receiver.stop()
        for i in 0..<40 { try broker.publish(topic: "gz/test/a", payload: "m-\(i)") }
        try await eventually("the broker reports drops", poll: .milliseconds(200)) {
            (try await MQTTBrokerStats.droppedMessages(options: options) ?? 0) > 0
        }
        await broker.stop()
        do {
            _ = try await MQTTBrokerStats.droppedMessages(options: options)
            XCTFail("a stopped broker gave figures")
        } catch {
            XCTAssertTrue("\(error)".contains(broker.socketPath), "\(error)")
        }
    }
}
