import Foundation
import GongzhiTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Devices publishing readings over MQTT at QoS 1 through an ``AcknowledgedPublisher``, for the intake fault
/// tests: on a thread of its own (never on Swift's cooperative pool) until stopped; the publisher records which
/// readings the broker acknowledged.
final class ReadingsLoad: Sendable {
    let publisher: AcknowledgedPublisher
    let devices: [String]
    /// The readings' own times start here; reading n is at `baseMs + n`, so every (device, time) is distinct.
    let baseMs: Int64
    private let count = Atomic(0)
    private let stopping = Atomic(false)
    private let finished = Atomic(false)

    init(publisher: AcknowledgedPublisher, devices: [String], baseMs: Int64) {
        self.publisher = publisher
        self.devices = devices
        self.baseMs = baseMs
    }

    /// The key of a reading as the publisher records it, and as `IntakeWorld.missingReadings` looks for it.
    static func key(device: String, atMs: Int64) -> String { "\(device)/\(atMs)" }

    /// Publishes reading after reading, round robin over the devices, `pause` apart (water levels below the
    /// warning line, so that the load files no cases), until `stop()` or `limit` readings.
    func start(pause: Duration = .milliseconds(2), limit: Int = .max) {
        let thread = Thread { [self] in
            let microseconds =
                useconds_t(pause.components.attoseconds / 1_000_000_000_000)
                + useconds_t(pause.components.seconds * 1_000_000)
            while !stopping.load(ordering: .relaxed) {
                let number = count.load(ordering: .relaxed)
                if number >= limit { break }
                publishReading(number: number)
                count.store(number + 1, ordering: .relaxed)
                if microseconds > 0 { usleep(microseconds) }
            }
            finished.store(true, ordering: .releasing)
        }
        thread.start()
    }

    private func publishReading(number: Int) {
        let device = devices[number % devices.count]
        let atMs = baseMs + Int64(number)
        publisher.publish(
            topic: "gz/v1/readings/\(device)",
            payload: IntakeWorld.reading(kind: "water_level", value: Double(number % 10), atMs: atMs),
            key: Self.key(device: device, atMs: atMs)
        )
    }

    /// Readings handed to the publisher so far.
    var published: Int { count.load(ordering: .relaxed) }

    /// Stops publishing and waits until the thread has ended.
    func stop() async throws {
        stopping.store(true, ordering: .relaxed)
        try await eventually("the readings load stops", timeout: .seconds(10)) { finished.load(ordering: .acquiring) }
    }

    /// Waits until `number` more readings were acknowledged by the broker than now.
    func waitForAcknowledged(_ number: Int, timeout: Duration = .seconds(60)) async throws {
        let target = publisher.acknowledgedCount + number
        try await eventually("\(number) more readings acknowledged", timeout: timeout, poll: .milliseconds(20)) {
            publisher.acknowledgedCount >= target
        }
    }
}
