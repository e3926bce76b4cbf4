import XCTest

@testable import gongzhi_intake

/// How an Open311 POST waits for its input's routing: woken by the router, or given up on when its time is up,
/// however the two race.
final class InputWaitersTests: XCTestCase {
    func testEveryWaitWhoseTimeIsUpEndsWithNothing() async {
        // Many at once: each ends when its time is up, with nothing to say.
        let waiters = InputWaiters()
        let ended = await withTaskGroup(of: Bool.self) { group in
            for seq in UInt64(1)...2_000 {
                group.addTask { await waiters.wait(for: seq, milliseconds: 0) == nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(ended, 2_000)
    }

    func testAFinishedInputWakesItsWaiterWithItsFate() async {
        let waiters = InputWaiters()
        let waiting = Task { await waiters.wait(for: 7, milliseconds: 60_000) }
        let ringing = Task {
            // The waiter registers at some moment after it starts: finish until it has been woken.
            while !Task.isCancelled {
                waiters.finish(7, InputFate(result: .retry("routed"), itemID: "T0000000000000007"))
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let fate = await waiting.value
        ringing.cancel()
        XCTAssertEqual(fate?.itemID, "T0000000000000007")
    }
}
