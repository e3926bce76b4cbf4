import Foundation
import GongzhiIntakeSchemas
import GongzhiTestSupport
import XCTest

/// The broker restarted while devices publish, first cleanly (SIGTERM, which saves its sessions and queues), then
/// crashed (SIGKILL) and started again on the same persistence: intake reconnects by itself (no restart of the
/// plugin), keeps its session, and everything the publishers got a PUBACK for arrives — except what a crash can
/// take, see below — and the equation holds.
///
/// What a broker crash can lose: Mosquitto keeps its sessions and queues in memory and writes them to its
/// persistence file at a clean stop and every `autosave_interval` (10 s here). A message it acknowledged to the
/// publisher after its last save and had not yet delivered to intake (and had intake's PUBACK for) is gone after a
/// SIGKILL; so is the record that it delivered messages after that save, which come again (and are counted as
/// duplicates). The test asserts nothing about the messages acknowledged between intake having caught up after
/// the clean restart and the crash, beyond the equation; it prints how many of them are missing. Intake's own
/// guarantee starts at intake's PUBACK (Docs/intake.md).
final class IntakeBrokerRestartFaultEndToEndTests: XCTestCase {
    static let devices = (0..<10).map { String(format: "BR-%02d", $0) }

    func testABrokerRestartedUnderLoadIsRejoinedAndWhatItAcknowledgedArrives() async throws {
        let world = try await IntakeWorld.start(self)
        try await world.registerDevices(Self.devices)
        let publisher = try AcknowledgedPublisher(socketPath: world.broker.socketPath)
        let base = Int64(Date().timeIntervalSince1970 * 1_000) - 3_600_000
        let readings = ReadingsLoad(publisher: publisher, devices: Self.devices, baseMs: base)
        readings.start(pause: .milliseconds(2))
        try await readings.waitForAcknowledged(300)
        let plugin = try await world.host.status("intake")

        // A clean restart: the broker saves intake's session and what it queued for it.
        await world.broker.stop()
        try await world.broker.start()
        try await readings.waitForAcknowledged(300)
        try await eventually(
            "intake reconnected to the restarted broker",
            timeout: .seconds(60),
            poll: .milliseconds(50)
        ) {
            try await world.stats("sensors-x").reconnects >= 1
        }
        try await world.waitUntilConnected()
        let clean = try await world.stats("sensors-x")
        XCTAssertEqual(clean.sessionsLost, 0, "a clean restart keeps intake's session: \(clean)")
        // Everything acknowledged so far arrives, those the broker queued for intake while it was away included.
        let afterClean = publisher.acknowledged
        var notYet: [String] = []
        do {
            try await eventually(
                "intake has every reading acknowledged before and after the clean restart",
                timeout: .seconds(60),
                poll: .milliseconds(200)
            ) {
                notYet = try await world.missingReadings(afterClean)
                return notYet.isEmpty
            }
        } catch {
            XCTFail(
                "of \(afterClean.count) readings acknowledged around the clean restart, \(notYet.count) never arrived"
            )
            throw error
        }

        // A crash: what was saved (at the clean stop, or by the last autosave) comes back.
        let beforeCrash = publisher.acknowledged
        await world.broker.kill()
        try await world.broker.start()
        let afterCrash = publisher.acknowledged
        try await readings.waitForAcknowledged(300)
        try await readings.stop()
        try await publisher.waitUntilAllAcknowledged()
        try await eventually("intake reconnected to the crashed broker", timeout: .seconds(60), poll: .milliseconds(50))
        {
            try await world.stats("sensors-x").reconnects >= 2
        }
        try await world.waitUntilConnected()

        let acknowledged = publisher.acknowledged
        // Acknowledged before intake caught up after the clean restart, or by the broker started after the crash:
        // these must all be there.
        let kept = afterClean.union(acknowledged.subtracting(afterCrash))
        let atRisk = beforeCrash.subtracting(afterClean)
        let counters = try await world.drained(received: kept.count)
        let missing = Set(try await world.missingReadings(acknowledged))
        XCTAssertEqual(
            missing.intersection(kept).sorted(),
            [],
            "of \(kept.count) readings the broker kept, some are lost"
        )
        print(
            "broker restart: \(acknowledged.count) readings acknowledged, \(atRisk.count) of them between the clean "
                + "restart's catching up and the crash, \(missing.count) of those lost with the crash; "
                + "intake: \(counters)"
        )
        XCTAssertEqual(counters.deadLettered, 0, "\(counters)")
        XCTAssertEqual(
            counters.accepted,
            UInt64(acknowledged.count - missing.count),
            "each reading accepted once: \(counters)"
        )
        XCTAssertGreaterThanOrEqual(counters.reconnects, 2, "\(counters)")
        XCTAssertEqual(
            counters.sessionsLost,
            0,
            "the session saved at the clean stop came back after the crash: \(counters)"
        )

        let after = try await world.host.status("intake")
        XCTAssertEqual(after.pid, plugin.pid, "intake reconnected by itself, without a restart")
        XCTAssertEqual(after.restarts, plugin.restarts)
    }
}
