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

    func testAnInputFinishedBeforeItsWaitBeginsAnswersAtOnce() async {
        let waiters = InputWaiters()
        waiters.finish(9, InputFate(result: .retry("routed"), itemID: "T0000000000000009"))
        // Without the fate kept, the wait would end with nothing when its second is up.
        let fate = await waiters.wait(for: 9, milliseconds: 1_000)
        XCTAssertEqual(fate?.itemID, "T0000000000000009", "the fate was kept for the wait that came after it")
        let again = await waiters.wait(for: 9, milliseconds: 0)
        XCTAssertNil(again, "a fate is claimed once")
    }

    func testOnlyTheNewestUnclaimedFatesAreKept() async {
        let waiters = InputWaiters()
        for seq in UInt64(1)...5_000 { waiters.finish(seq, InputFate(result: .retry(""), itemID: "T\(seq)")) }
        let oldest = await waiters.wait(for: 1, milliseconds: 0)
        XCTAssertNil(oldest, "the oldest were let go")
        let newest = await waiters.wait(for: 5_000, milliseconds: 0)
        XCTAssertEqual(newest?.itemID, "T5000")
    }
}
