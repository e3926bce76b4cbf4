import Foundation
import GongzhiIntakeSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The host killed (SIGKILL) while devices publish readings and a hotline POSTs tickets: intake goes with it, its
/// inbox stays on disk and the broker keeps its session; after the host is started again everything routes —
/// every acknowledged reading in telemetry, every ticket answered 200 in a case — nothing twice, and every
/// source's equation holds.
final class IntakeHostKillFaultEndToEndTests: XCTestCase {
    static let devices = (0..<12).map { String(format: "HK-%02d", $0) }
    static let alerting = ["HK-00", "HK-01", "HK-02"]

    func testAHostKilledUnderLoadLeavesIntakesInboxToBeRoutedOnce() async throws {
        let directory = try TemporaryDirectory(prefix: "gzintakecrash")
        addTeardownBlock { directory.remove() }
        let world = try await IntakeWorld.startOnFixedPort(self, directory: directory)
        try await world.registerDevices(Self.devices)
        let publisher = try AcknowledgedPublisher(socketPath: world.broker.socketPath)
        let base = Int64(Date().timeIntervalSince1970 * 1_000) - 3_600_000
        let readings = ReadingsLoad(publisher: publisher, devices: Self.devices, baseMs: base)
        let tickets = TicketsLoad(endpoint: world.open311, apiKey: world.apiKey, prefix: "HK")
        readings.start(pause: .milliseconds(2))
        tickets.start()
        try await readings.waitForAcknowledged(300)
        try await tickets.waitForAnswered(5)
        for (index, device) in Self.alerting.enumerated() {
            let atMs = base + 10_000_000 + Int64(index)
            publisher.publish(
                topic: "gz/v1/readings/\(device)",
                payload: IntakeWorld.reading(kind: "water_level", value: 45, atMs: atMs),
                key: ReadingsLoad.key(device: device, atMs: atMs)
            )
        }

        let plugin = try await world.host.status("intake")
        world.host.process.signal(SIGKILL)
        _ = await world.host.process.waitForExit()
        await world.host.admin.close()
        let pluginGone = await waitUntilGone(plugin.pid, timeout: .seconds(20))
        XCTAssertTrue(pluginGone, "intake went with its host")
        // Devices go on publishing while the host is down: the broker keeps intake's messages.
        try await readings.waitForAcknowledged(200)

        let host = try await HostUnderTest(plugins: world.host.plugins, directory: directory)
        addTeardownBlock { await host.stop() }
        let restarted = try await world.reattached(to: host)
        try await readings.waitForAcknowledged(300)
        try await tickets.waitForAnswered(5)
        try await readings.stop()
        try await tickets.stop()
        try await publisher.waitUntilAllAcknowledged()

        let acknowledged = publisher.acknowledged
        let counters = try await restarted.drained(received: acknowledged.count)
        XCTAssertEqual(counters.deadLettered, 0, "\(counters)")
        XCTAssertEqual(
            counters.accepted,
            UInt64(acknowledged.count),
            "each acknowledged reading accepted once: \(counters)"
        )
        let missing = try await restarted.missingReadings(acknowledged)
        XCTAssertEqual(missing, [], "of \(acknowledged.count) acknowledged readings, \(missing.count) are lost")

        let answered = tickets.answered
        print(
            "tickets: \(answered.ids.count) answered 200, statuses \(answered.statuses), "
                + "retried \(answered.retried.count)"
        )
        let hotline = try await restarted.settled("hotline-12345")
        let items = try await restarted.hotlineItems()
        XCTAssertGreaterThanOrEqual(items.count, answered.ids.count)
        XCTAssertEqual(hotline.accepted, UInt64(items.count), "one accepted input per ticket number: \(hotline)")
        try await restarted.checkTickets(answered)
        let alertCases = try await restarted.sensorCasesByDevice(Self.devices)
        XCTAssertEqual(
            alertCases,
            Dictionary(uniqueKeysWithValues: Self.alerting.map { ($0, 1) }),
            "one case per alert"
        )
    }
}
