import GongzhiIntake
import XCTest

final class SourceBudgetTests: XCTestCase {
    func testItPausesAtTheBudgetAndResumesAtTheLowWatermark() {
        var budget = SourceBudget(maximumInFlight: 10)
        XCTAssertEqual(budget.lowWatermark, 8)
        for _ in 0..<9 { XCTAssertEqual(budget.received(), .none) }
        XCTAssertTrue(budget.admits)
        XCTAssertEqual(budget.received(), .paused)
        XCTAssertFalse(budget.admits)
        XCTAssertEqual(budget.pauses, 1)
        XCTAssertEqual(budget.finished(atMs: 0), .none, "9 in flight: still above the low watermark")
        XCTAssertFalse(budget.admits, "paused until the low watermark, not at the first free place")
        XCTAssertEqual(budget.finished(atMs: 0), .resumed, "8 in flight")
        XCTAssertTrue(budget.admits)
        XCTAssertEqual(budget.finished(atMs: 0), .none)
        XCTAssertEqual(budget.received(), .none)
        XCTAssertEqual(budget.received(), .none)
        XCTAssertEqual(budget.received(3), .paused, "a batch that crosses the budget pauses it")
        XCTAssertEqual(budget.inFlight, 12)
        XCTAssertEqual(budget.pauses, 2)
        XCTAssertEqual(budget.received(), .none, "inputs already read still count while paused")
    }

    func testRetryAfterFollowsTheDrainRate() {
        var budget = SourceBudget(maximumInFlight: 1_000)
        _ = budget.received(1_000)
        XCTAssertEqual(budget.retryAfterSeconds(atMs: 0), 60, "nothing drained yet")
        // 50 inputs a second for 2 s: 100 drained, 900 in flight, 100 over the low watermark of 800.
        for tick in 0..<20 { _ = budget.finished(5, atMs: Int64(tick) * 100) }
        XCTAssertEqual(budget.inFlight, 900)
        XCTAssertEqual(budget.retryAfterSeconds(atMs: 2_000), 10, "100 over at 10 a second over the 10 s window")
        XCTAssertEqual(budget.retryAfterSeconds(atMs: 11_000), 23, "only the 45 drained in the last 10 s count")
        XCTAssertEqual(budget.retryAfterSeconds(atMs: 12_000), 60, "the window moved past every drain")
        _ = budget.finished(95, atMs: 12_000)
        XCTAssertEqual(budget.retryAfterSeconds(atMs: 12_000), 1, "at 805, 5 over at 9.5 a second")
        _ = budget.finished(10, atMs: 12_000)
        XCTAssertEqual(budget.retryAfterSeconds(atMs: 12_000), 1, "at the low watermark")
    }
}
