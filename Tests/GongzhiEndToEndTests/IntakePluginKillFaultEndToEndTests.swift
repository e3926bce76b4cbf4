import Foundation
import GongzhiIntakeSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The intake plugin killed (SIGKILL) while devices publish readings and a hotline POSTs tickets, and restarted by
/// the host: every reading the broker acknowledged is in telemetry, every ticket answered 200 has its item in a
/// case, no ticket or alert opened a case twice, and every source's equation holds.
final class IntakePluginKillFaultEndToEndTests: XCTestCase {
    static let devices = (0..<20).map { String(format: "PK-%02d", $0) }
    /// Devices that go critical around the kill, one in each grid (so that the grid's 50 m rule joins none).
    static let alerting = ["PK-00", "PK-01", "PK-02"]

    func testAnIntakeKilledUnderLoadLosesNothingAcknowledgedAndOpensNoCaseTwice() async throws {
        let world = try await IntakeWorld.startOnFixedPort(self)
        try await world.registerDevices(Self.devices)
        let publisher = try AcknowledgedPublisher(socketPath: world.broker.socketPath)
        let base = Int64(Date().timeIntervalSince1970 * 1_000) - 3_600_000
        let readings = ReadingsLoad(publisher: publisher, devices: Self.devices, baseMs: base)
        let tickets = TicketsLoad(endpoint: world.open311, apiKey: world.apiKey, prefix: "PK")
        readings.start(pause: .milliseconds(2))
        tickets.start()
        try await readings.waitForAcknowledged(300)
        try await tickets.waitForAnswered(5)
        // Critical readings just before the kill: their alerts' cases are filed before or after it, once.
        for (index, device) in Self.alerting.enumerated() {
            let atMs = base + 10_000_000 + Int64(index)
            publisher.publish(
                topic: "gz/v1/readings/\(device)",
                payload: IntakeWorld.reading(kind: "water_level", value: 42, atMs: atMs),
                key: ReadingsLoad.key(device: device, atMs: atMs)
            )
        }

        let running = try await world.host.status("intake")
        kill(running.pid, SIGKILL)
        let restarted = try await world.host.waitUntilRestarted("intake", from: running.pid, timeout: .seconds(60))
        XCTAssertEqual(restarted.restarts, running.restarts + 1, "restarted once, by the host")
        try await world.waitUntilConnected()
        // The loads go on against the restarted plugin, then stop.
        try await readings.waitForAcknowledged(300)
        try await tickets.waitForAnswered(5)
        try await readings.stop()
        try await tickets.stop()
        try await publisher.waitUntilAllAcknowledged()

        let acknowledged = publisher.acknowledged
        let counters = try await world.drained(received: acknowledged.count)
        XCTAssertGreaterThanOrEqual(counters.received, UInt64(acknowledged.count), "\(counters)")
        XCTAssertEqual(counters.deadLettered, 0, "\(counters)")
        XCTAssertEqual(
            counters.accepted,
            UInt64(acknowledged.count),
            "each acknowledged reading accepted once, a redelivered one counted as a duplicate: \(counters)"
        )
        let missing = try await world.missingReadings(acknowledged)
        XCTAssertEqual(missing, [], "of \(acknowledged.count) acknowledged readings, \(missing.count) are lost")

        let answered = tickets.answered
        print(
            "tickets: \(answered.ids.count) answered 200, statuses \(answered.statuses), "
                + "retried \(answered.retried.count)"
        )
        let hotline = try await world.settled("hotline-12345")
        XCTAssertGreaterThanOrEqual(hotline.received, UInt64(answered.ids.count), "\(hotline)")
        let items = try await world.hotlineItems()
        XCTAssertGreaterThanOrEqual(items.count, answered.ids.count)
        XCTAssertEqual(hotline.accepted, UInt64(items.count), "one accepted input per ticket number: \(hotline)")
        try await world.checkTickets(answered)

        let alertCases = try await world.sensorCasesByDevice(Self.devices)
        XCTAssertEqual(
            alertCases,
            Dictionary(uniqueKeysWithValues: Self.alerting.map { ($0, 1) }),
            "one case per alert"
        )
    }
}
