import Foundation
import GongzhiIntakeSchemas
import GongzhiTestSupport
import XCTest

/// Orion-LD's lost notifications (FIWARE/context.Orion-LD#1650, telefonicaid/fiware-orion#4318): 100 entities
/// updated in quick succession, and some updates never notified. Here 100 registered devices publish rounds of
/// readings 2 ms apart at QoS 1, each device's times out of order in the last rounds: every reading is in
/// telemetry, each device's latest value is its newest by its own time (not the last to arrive), and the
/// equation holds with nothing in flight.
final class IntakeLostNotificationFaultEndToEndTests: XCTestCase {
    static let rounds = 8
    /// Round r's reading is at `base + offsets[r]` of its device's own time: the last round is older than the one
    /// before it, so that arrival order and time order disagree.
    static let offsets: [Int64] = [0, 2, 4, 6, 8, 10, 14, 12]

    func testAHundredDevicesUpdatingTwoMillisecondsApartLoseNothing() async throws {
        let world = try await IntakeWorld.start(self)
        let devices = (0..<100).map { String(format: "OR-%03d", $0) }
        try await world.registerDevices(devices)
        let publisher = try AcknowledgedPublisher(socketPath: world.broker.socketPath)
        let base = Int64(Date().timeIntervalSince1970 * 1_000) - 60_000

        var expectedLatest: [String: Double] = [:]
        var keys: Set<String> = []
        for round in 0..<Self.rounds {
            for (index, device) in devices.enumerated() {
                let atMs = base + Self.offsets[round]
                let value = Double(round) + Double(index) / 1_000
                let key = ReadingsLoad.key(device: device, atMs: atMs)
                XCTAssertTrue(
                    publisher.publish(
                        topic: "gz/v1/readings/\(device)",
                        payload: IntakeWorld.reading(kind: "water_level", value: value, atMs: atMs),
                        key: key
                    )
                )
                keys.insert(key)
                if round == 6 { expectedLatest[device] = value }
                usleep(2_000)
            }
        }
        let published = devices.count * Self.rounds
        try await publisher.waitUntilAllAcknowledged()
        XCTAssertEqual(publisher.acknowledged, keys)

        let counters = try await world.drained(received: published)
        XCTAssertEqual(counters.received, UInt64(published), "\(counters)")
        XCTAssertEqual(counters.accepted, UInt64(published))
        XCTAssertEqual(counters.readingsStored, UInt64(published))
        XCTAssertEqual(counters.duplicates, 0)
        XCTAssertEqual(counters.deadLettered, 0)
        let missing = try await world.missingReadings(keys)
        XCTAssertEqual(missing, [], "of \(published) readings, \(missing.count) are not in telemetry")
        for device in devices.prefix(10) {
            let stored = try await world.storedReadings(device)
            XCTAssertEqual(stored.count, Self.rounds, "\(device) holds each of its readings once")
        }

        var latest = Gongzhi_Intake_V1_LatestReadingsRequest()
        latest.kind = "water_level"
        let newest = try await world.intake.latestReadings(latest).readings
        let byDevice = Dictionary(newest.map { ($0.deviceID, $0) }) { first, _ in first }
        for device in devices {
            XCTAssertEqual(byDevice[device]?.value, expectedLatest[device], "\(device)'s newest by its own time")
            XCTAssertEqual(byDevice[device]?.timeUnixMs, base + 14, "\(device)'s newest by its own time")
        }
        let sensorCases = try await world.cases().filter { $0.reporter.source == .sensor }
        XCTAssertEqual(sensorCases.count, 0, "readings below the warning line file no case")
    }
}
