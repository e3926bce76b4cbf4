import XCTest

@testable import GongzhiHost

/// The `[admission]` table: its defaults, scaled to the processors, and its errors.
final class AdmissionSettingsTests: XCTestCase {
    private let path = "/etc/gongzhi/gongzhi.toml"
    private let minimal = """
        runtime_dir = "/run/gongzhi"
        data_dir = "/var/lib/gongzhi"

        """

    func testTheDefaultsScaleWithTheProcessors() throws {
        let settings = try HostConfiguration.parse(minimal, path: path).admission
        XCTAssertEqual(settings, AdmissionSettings())
        XCTAssertTrue(settings.enabled)

        let two = settings.limits(processors: 2)
        XCTAssertEqual(two.admin, LevelLimits(seats: 8, seatsPerFlow: 4, maxSeatsPerCall: 2))
        XCTAssertEqual(two.plugins, LevelLimits(seats: 16, seatsPerFlow: 8, maxSeatsPerCall: 4))
        XCTAssertEqual(two.clients, LevelLimits(seats: 8, seatsPerFlow: 4, maxSeatsPerCall: 2))
        XCTAssertEqual(two.routed, LevelLimits(seats: 16, seatsPerFlow: 8, maxSeatsPerCall: 4))
        XCTAssertEqual(two.clients.queueLengthPerFlow, 256)
        XCTAssertEqual(two.clients.maxWait, .seconds(10))
        XCTAssertEqual(two.maxStreamsPerFlow, 64)

        let eight = settings.limits(processors: 8)
        XCTAssertEqual(eight.clients.seats, 32)
        XCTAssertEqual(eight.plugins.seats, 64)
        // One processor still gets a few seats a level.
        XCTAssertEqual(settings.limits(processors: 1).admin.seats, 4)
    }

    func testALevelTableSetsItsLimits() throws {
        let settings = try HostConfiguration.parse(
            minimal + """
                [admission]
                max_streams_per_flow = 8
                store_reads_per_flow = 3

                [admission.clients]
                seats = 12
                seats_per_flow = 3
                queue_length_per_flow = 20
                max_wait = "2s"
                max_seats_per_call = 2

                [admission.routed]
                seats = 4
                """,
            path: path
        ).admission
        let limits = settings.limits(processors: 2)
        XCTAssertEqual(
            limits.clients,
            LevelLimits(seats: 12, seatsPerFlow: 3, queueLengthPerFlow: 20, maxWait: .seconds(2), maxSeatsPerCall: 2)
        )
        XCTAssertEqual(limits.routed, LevelLimits(seats: 4, seatsPerFlow: 2, maxSeatsPerCall: 1))
        XCTAssertEqual(limits.admin.seats, 8)
        XCTAssertEqual(limits.maxStreamsPerFlow, 8)
        XCTAssertEqual(settings.storeReadsPerFlow(readers: 8), 3)
        // A share larger than the level is the level.
        let wide = try HostConfiguration.parse(
            minimal + "[admission.admin]\nseats = 2\nseats_per_flow = 9\n",
            path: path
        )
        XCTAssertEqual(wide.admission.limits(processors: 2).admin.seatsPerFlow, 2)

        let off = try HostConfiguration.parse(minimal + "[admission]\nenabled = false\n", path: path)
        XCTAssertFalse(off.admission.enabled)
    }

    func testMistakesNameTheirKey() {
        for (text, key) in [
            ("[admission.clients]\nseat = 4\n", "seat"),
            ("[admission]\nqueue = 4\n", "queue"),
            ("[admission.clients]\nmax_wait = \"0s\"\n", "max_wait"),
            ("[admission.plugins]\nseats = -1\n", "seats"),
            ("[admission]\nmax_streams_per_flow = 0\n", "max_streams_per_flow"),
            ("[admission]\nstore_reads_per_flow = -2\n", "store_reads_per_flow"),
        ] {
            do {
                let configuration = try HostConfiguration.parse(minimal + text, path: path)
                XCTFail("accepted \(text): \(configuration.admission)")
            } catch {
                XCTAssertEqual(error.file, path)
                XCTAssertTrue(error.description.contains(key), "\(text): \(error.description)")
            }
        }
    }
}
