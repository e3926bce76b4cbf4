import GongzhiIntakeStore
import GongzhiSensorsSchemas
import GongzhiTestSeeds
import XCTest

final class TelemetryTests: IntakeStoreTestCase {
    private func reading(
        _ device: String,
        kind: String = "water_level",
        _ value: Double,
        at timeMs: Int64
    ) -> Gongzhi_Sensors_V1_Reading {
        var reading = Gongzhi_Sensors_V1_Reading()
        reading.deviceID = device
        reading.kind = kind
        reading.value = value
        reading.timeUnixMs = timeMs
        return reading
    }

    func testReadingsAreStoredOnceByDeviceKindAndTime() throws {
        var withAttributes = reading("WL-1", 12.5, at: 1_000)
        withAttributes.attributes = ["vendor": "acme"]
        withAttributes.location.latitude = 30.25
        let batch = [withAttributes, reading("WL-1", 13, at: 2_000), reading("WL-1", kind: "battery", 3.6, at: 1_000)]
        XCTAssertEqual(try store.storeReadings(batch, seq: 7), 3)
        XCTAssertEqual(try store.storeReadings(batch, seq: 8), 0, "another input with the same readings: duplicates")
        XCTAssertEqual(try store.storeReadings(batch, seq: 7), 3, "the same input again after a crash: still its own")
        XCTAssertEqual(
            try store.storeReadings([reading("WL-1", 99, at: 1_000), reading("WL-1", 14, at: 3_000)], seq: 9),
            1
        )
        let stored = try store.readings(deviceID: "WL-1", kind: "water_level", sinceMs: 0, untilMs: .max, limit: 10)
        XCTAssertEqual(stored.map(\.value), [12.5, 13, 14], "the first value of a key is kept")
        XCTAssertEqual(stored[0], withAttributes, "the whole reading comes back, attributes and location too")
        XCTAssertEqual(
            try store.readings(deviceID: "WL-1", sinceMs: 1_000, untilMs: 3_000, limit: 10).map(\.kind),
            ["battery", "water_level", "water_level"]
        )
        XCTAssertEqual(
            try store.readings(deviceID: "WL-1", kind: "water_level", sinceMs: 0, untilMs: .max, limit: 2).map(\.value),
            [12.5, 13]
        )
        XCTAssertEqual(try store.readings(deviceID: "WL-2", sinceMs: 0, untilMs: .max, limit: 10), [])
        XCTAssertThrowsError(try store.storeReadings([reading("", 1, at: 1)], seq: 1))
        XCTAssertThrowsError(try store.readings(deviceID: "WL-1", sinceMs: 0, untilMs: 1, limit: 0))
    }

    func testLatestIsTheNewestByTheReadingsOwnTimeWhateverTheArrivalOrder() throws {
        var random = seededRandom()
        // 100 devices, each updating every 2 ms for 20 updates; the readings arrive shuffled, in batches.
        var all: [Gongzhi_Sensors_V1_Reading] = []
        for device in 0..<100 {
            for step in 0..<20 {
                let time = Int64(1_000_000 + step * 2 + device % 2)
                all.append(reading("D-\(device)", Double(device * 1_000 + step), at: time))
            }
        }
        all.shuffle(using: &random)
        var offset = 0
        var seq: UInt64 = 1
        while offset < all.count {
            let size = Int.random(in: 1...50, using: &random)
            let batch = Array(all[offset..<min(all.count, offset + size)])
            XCTAssertEqual(try store.storeReadings(batch, seq: seq), batch.count)
            offset += size
            seq += 1
        }
        let latest = try store.latest()
        XCTAssertEqual(latest.count, 100)
        for reading in latest {
            let device = Int(reading.deviceID.dropFirst(2))!
            XCTAssertEqual(reading.value, Double(device * 1_000 + 19), "\(reading.deviceID) ends with its newest value")
            XCTAssertEqual(reading.timeUnixMs, Int64(1_000_000 + 38 + device % 2))
        }
        XCTAssertEqual(try store.latest(deviceIDs: ["D-3", "D-1", "X"]).map(\.deviceID), ["D-1", "D-3"])
        XCTAssertEqual(try store.latest(kind: "battery"), [])
        XCTAssertEqual(try store.latest(deviceIDs: ["D-5"], kind: "water_level").map(\.value), [5_019])
    }

    func testPruningReadingsKeepsTheLatest() throws {
        _ = try store.storeReadings(
            [reading("A", 1, at: 100), reading("A", 2, at: 200), reading("B", 3, at: 150), reading("B", 4, at: 900)],
            seq: 1
        )
        XCTAssertEqual(try store.pruneReadings(olderThanMs: 500), 3)
        XCTAssertEqual(try store.readings(deviceID: "A", sinceMs: 0, untilMs: .max, limit: 10), [])
        XCTAssertEqual(try store.readings(deviceID: "B", sinceMs: 0, untilMs: .max, limit: 10).map(\.value), [4])
        XCTAssertEqual(try store.latest().map(\.value), [2, 4], "each device's latest reading is kept however old")
        XCTAssertEqual(try store.pruneReadings(olderThanMs: 500), 0)
    }
}
