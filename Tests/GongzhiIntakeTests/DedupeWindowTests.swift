import GongzhiIntake
import GongzhiSensorsSchemas
import XCTest

final class DedupeWindowTests: XCTestCase {
    private func ticket(_ description: String, category: String = "道路积水") -> Ticket {
        var ticket = Ticket()
        ticket.sourceCategory = category
        ticket.description = description
        ticket.coordinate = Coordinate(latitude: 30.2741, longitude: 120.1551)
        return ticket
    }

    func testFingerprintsIgnoreWhiteSpaceAndExternalIdsButNotContent() {
        var first = ticket("下穿隧道 积水\n严重")
        first.externalID = "GD1"
        var second = ticket("  下穿隧道\u{3000}积水 严重 ")
        second.externalID = "GD2"
        XCTAssertEqual(Fingerprint.of(first, source: "hotline"), Fingerprint.of(second, source: "hotline"))
        XCTAssertNotEqual(Fingerprint.of(first, source: "hotline"), Fingerprint.of(first, source: "app"))
        XCTAssertNotEqual(
            Fingerprint.of(first, source: "hotline"),
            Fingerprint.of(ticket("下穿隧道积水严重"), source: "hotline")
        )
        var moved = first
        moved.coordinate = Coordinate(latitude: 30.274101, longitude: 120.1551)
        XCTAssertNotEqual(Fingerprint.of(first, source: "hotline"), Fingerprint.of(moved, source: "hotline"))
        XCTAssertNotEqual(
            Fingerprint.of(first, source: "hotline"),
            Fingerprint.of(ticket("下穿隧道 积水\n严重", category: "噪音"), source: "hotline")
        )
        XCTAssertEqual(Fingerprint.of(first, source: "hotline").count, 64)
    }

    func testTheSameExternalIdIsADuplicateWhateverTheTime() {
        var window = DedupeWindow()
        XCTAssertEqual(
            window.admit(
                source: "hotline",
                externalID: "GD1",
                fingerprint: "f1",
                sequence: 1,
                atMs: 0,
                windowMs: 600_000
            ),
            .new
        )
        XCTAssertEqual(
            window.admit(
                source: "hotline",
                externalID: "GD1",
                fingerprint: "f2",
                sequence: 2,
                atMs: 86_400_000,
                windowMs: 600_000
            ),
            .sameExternalID(firstSequence: 1)
        )
        XCTAssertEqual(
            window.admit(source: "dept", externalID: "GD1", fingerprint: "f3", sequence: 3, atMs: 1, windowMs: 600_000),
            .new,
            "external ids are per source"
        )
    }

    func testTheContentWindowAtItsEdges() {
        var window = DedupeWindow()
        let minutes10: Int64 = 600_000
        XCTAssertEqual(
            window.admit(source: "s", externalID: "", fingerprint: "f", sequence: 1, atMs: 1_000, windowMs: minutes10),
            .new
        )
        XCTAssertEqual(
            window.admit(
                source: "s",
                externalID: "",
                fingerprint: "f",
                sequence: 2,
                atMs: 1_000 + minutes10 - 1,
                windowMs: minutes10
            ),
            .sameContent(firstSequence: 1),
            "a millisecond inside the window"
        )
        XCTAssertEqual(
            window.admit(
                source: "s",
                externalID: "",
                fingerprint: "f",
                sequence: 3,
                atMs: 1_000 + minutes10,
                windowMs: minutes10
            ),
            .new,
            "exactly the window later"
        )
        XCTAssertEqual(
            window.admit(
                source: "s",
                externalID: "",
                fingerprint: "f",
                sequence: 4,
                atMs: 1_000 + minutes10 + 5,
                windowMs: minutes10
            ),
            .sameContent(firstSequence: 3),
            "the window restarts from the input that was new"
        )
        XCTAssertEqual(
            window.admit(source: "s", externalID: "", fingerprint: "f", sequence: 5, atMs: 1_001, windowMs: minutes10),
            .sameContent(firstSequence: 3),
            "out of order: a millisecond less than the window before the input remembered"
        )
        XCTAssertEqual(
            window.admit(source: "s", externalID: "", fingerprint: "f", sequence: 6, atMs: 1_000, windowMs: minutes10),
            .new,
            "out of order: exactly the window before it"
        )
        XCTAssertEqual(
            window.admit(
                source: "other",
                externalID: "",
                fingerprint: "f",
                sequence: 5,
                atMs: 1_001,
                windowMs: minutes10
            ),
            .new
        )
    }

    func testADifferentExternalIdWithTheSameContentInTheWindowIsADuplicate() {
        var window = DedupeWindow()
        _ = window.admit(source: "s", externalID: "GD1", fingerprint: "f", sequence: 1, atMs: 0, windowMs: 600_000)
        let verdict = window.admit(
            source: "s",
            externalID: "GD2",
            fingerprint: "f",
            sequence: 2,
            atMs: 60_000,
            windowMs: 600_000
        )
        XCTAssertEqual(verdict, .sameContent(firstSequence: 1))
        XCTAssertTrue(verdict.isDuplicate)
        // A duplicate is not remembered: GD2 may come again after the window and be new.
        XCTAssertEqual(
            window.admit(
                source: "s",
                externalID: "GD2",
                fingerprint: "f",
                sequence: 3,
                atMs: 700_000,
                windowMs: 600_000
            ),
            .new
        )
    }

    func testAZeroWindowDedupesByExternalIdOnly() {
        var window = DedupeWindow()
        XCTAssertEqual(
            window.admit(source: "mqtt", externalID: "d/k/1", fingerprint: "f", sequence: 1, atMs: 0, windowMs: 0),
            .new
        )
        XCTAssertEqual(
            window.admit(source: "mqtt", externalID: "d/k/2", fingerprint: "f", sequence: 2, atMs: 0, windowMs: 0),
            .new
        )
        XCTAssertEqual(
            window.admit(source: "mqtt", externalID: "d/k/1", fingerprint: "g", sequence: 3, atMs: 0, windowMs: 0),
            .sameExternalID(firstSequence: 1)
        )
        XCTAssertEqual(window.fingerprintCount, 0)
    }

    func testExpiryForgetsOnlyTheSourcesOldFingerprints() {
        var window = DedupeWindow()
        _ = window.admit(source: "a", externalID: "", fingerprint: "old", sequence: 1, atMs: 0, windowMs: 100)
        _ = window.admit(source: "a", externalID: "", fingerprint: "new", sequence: 2, atMs: 50, windowMs: 100)
        _ = window.admit(source: "b", externalID: "", fingerprint: "old", sequence: 3, atMs: 0, windowMs: 100)
        window.expire(source: "a", nowMs: 100, windowMs: 100)
        XCTAssertEqual(window.fingerprintCount, 2)
        XCTAssertEqual(
            window.admit(source: "a", externalID: "", fingerprint: "new", sequence: 4, atMs: 120, windowMs: 100),
            .sameContent(firstSequence: 2)
        )
    }

    func testReadingFingerprintsFollowTheirKeyAndValue() {
        var reading = Gongzhi_Sensors_V1_Reading()
        reading.deviceID = "WL-1"
        reading.kind = "water_level"
        reading.timeUnixMs = 5
        reading.value = 1
        let first = DecodedReading(reading: reading, sequence: nil)
        var other = first
        other.reading.value = 2
        XCTAssertNotEqual(Fingerprint.of(first), Fingerprint.of(other))
        XCTAssertEqual(Fingerprint.of(first), Fingerprint.of(DecodedReading(reading: reading, sequence: nil)))
    }
}
