import NIOCore
import NIOPosix
import XCTest

@testable import GongzhiHost

/// How the host knows it is busy: the lag record as a value, then measured on a real loop kept busy.
final class EventLoopLagTests: XCTestCase {
    private let base = ContinuousClock.now

    private func at(_ milliseconds: Int) -> ContinuousClock.Instant { base + .milliseconds(milliseconds) }

    func testARunOnTimeIsNotRemembered() {
        var record = LagRecord()
        record.scheduled(due: at(100))
        record.ran(due: at(100), at: at(105))
        XCTAssertEqual(record.lateRuns, [])
        XCTAssertNil(record.due)
        XCTAssertEqual(record.worst(since: base, now: at(200)), .zero)
    }

    func testTheWorstLateRunSinceAnInstant() {
        var record = LagRecord()
        record.ran(due: at(100), at: at(1_500))
        record.ran(due: at(1_600), at: at(1_900))
        record.ran(due: at(2_000), at: at(2_600))
        XCTAssertEqual(record.worst(since: base, now: at(3_000)), .milliseconds(1_400))
        XCTAssertEqual(record.worst(since: at(1_600), now: at(3_000)), .milliseconds(600), "older runs left out")
        XCTAssertEqual(record.worst(since: at(2_700), now: at(3_000)), .zero)
    }

    func testATaskStillWaitingCountsAsLateAsItIsNow() {
        var record = LagRecord()
        record.scheduled(due: at(100))
        XCTAssertEqual(record.worst(since: base, now: at(50)), .zero, "not due yet")
        XCTAssertEqual(record.worst(since: base, now: at(2_100)), .milliseconds(2_000))
        record.ran(due: at(100), at: at(2_300))
        XCTAssertNil(record.due)
        XCTAssertEqual(record.worst(since: base, now: at(5_000)), .milliseconds(2_200))
    }

    func testTheRecordIsBounded() {
        var record = LagRecord()
        for index in 0..<(LagRecord.capacity + 50) {
            record.ran(due: at(index * 1_000), at: at(index * 1_000 + 100))
        }
        XCTAssertEqual(record.lateRuns.count, LagRecord.capacity)
        XCTAssertEqual(record.lateRuns.first?.at, at(50 * 1_000 + 100), "the oldest are dropped")
    }

    func testDurationsAsAPersonReadsThem() {
        XCTAssertEqual(Duration.milliseconds(1_400).seconds, "1.4 s")
        XCTAssertEqual(Duration.milliseconds(1_449).seconds, "1.4 s")
        XCTAssertEqual(Duration.seconds(2).seconds, "2 s")
        XCTAssertEqual(Duration.milliseconds(300).seconds, "0.3 s")
        XCTAssertEqual(Duration.milliseconds(12_340).seconds, "12 s")
    }

    /// A loop whose thread is kept busy for 800 ms runs its measuring task at least 700 ms late (due 100 ms in),
    /// and says so under its name; the other loop, idle, is not the worst.
    func testABusyLoopIsMeasuredLate() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        addTeardownBlock { try? await group.shutdownGracefully() }
        let loops = Array(group.makeIterator())
        let lag = EventLoopLag(loops: [("control loop", loops[0]), ("event loops", loops[1])])
        let started = ContinuousClock.now
        lag.start()
        defer { lag.stop() }
        _ = try await loops[1].submit { usleep(800_000) }.get()
        try await loops[1].submit {}.get()
        let worst = try XCTUnwrap(lag.worst(since: started))
        XCTAssertEqual(worst.loop, "event loops")
        XCTAssertGreaterThanOrEqual(worst.lag, .milliseconds(600), "\(worst)")
        XCTAssertTrue(worst.description.hasPrefix("event loops "), worst.description)
        XCTAssertTrue(worst.description.hasSuffix(" s late"), worst.description)
    }

    /// The control loop's sleep resumes on the loop, not on the global executor, and ends at once when
    /// cancelled.
    func testControlLoopSleepResumesOnTheLoopAndHonoursCancellation() async throws {
        let control = ControlLoop()
        let loop = control.eventLoop
        let onLoop = await Task(executorPreference: control.taskExecutor) {
            try? await control.sleep(for: .milliseconds(10))
            return loop.inEventLoop
        }.value
        XCTAssertTrue(onLoop)

        let sleeper = Task(executorPreference: control.taskExecutor) { () -> Bool in
            do {
                try await control.sleep(for: .seconds(3600))
                return false
            } catch {
                return true
            }
        }
        sleeper.cancel()
        let cancelled = await sleeper.value
        XCTAssertTrue(cancelled)
        await control.shutdown()
    }
}
