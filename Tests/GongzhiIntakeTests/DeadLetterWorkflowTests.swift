import GongzhiIntake
import GongzhiIntakeSchemas
import XCTest

final class DeadLetterWorkflowTests: XCTestCase {
    private let operatorOnDuty = ItemActor(id: "wang-jun", name: "王军", principal: "person:wang-jun")

    private func letter(_ state: Gongzhi_Intake_V1_DeadLetterState = .open) -> Gongzhi_Intake_V1_DeadLetter {
        var letter = Gongzhi_Intake_V1_DeadLetter()
        letter.id = "D0123456789abcdef"
        letter.state = state
        letter.stage = .classify
        letter.reasonCode = "category.unmapped"
        return letter
    }

    private func refusal(
        _ step: DeadLetterStep,
        on state: Gongzhi_Intake_V1_DeadLetterState
    ) -> IntakeWorkflowError? {
        do {
            _ = try DeadLetterWorkflow.apply(step, to: letter(state), by: operatorOnDuty, atMs: 1)
            return nil
        } catch {
            return error
        }
    }

    func testAReplayThatSucceedsEndsIt() throws {
        let replaying = try DeadLetterWorkflow.apply(.beginReplay, to: letter(), by: operatorOnDuty, atMs: 10)
        XCTAssertEqual(replaying.state, .replaying)
        let replayed = try DeadLetterWorkflow.apply(
            .replaySucceeded(outcome: "case C42"),
            to: replaying,
            by: operatorOnDuty,
            atMs: 20
        )
        XCTAssertEqual(replayed.state, .replayed)
        XCTAssertEqual(replayed.outcome, "case C42")
        XCTAssertEqual(replayed.resolvedBy, "wang-jun")
        XCTAssertEqual(replayed.resolvedAtMs, 20)
        XCTAssertEqual(replayed.history.map(\.action), ["replay started", "replayed"])
        XCTAssertEqual(replayed.replays, 0)
    }

    func testAConcurrentReplayIsRefusedNamingWhoIsReplaying() throws {
        let replaying = try DeadLetterWorkflow.apply(
            .beginReplay,
            to: letter(),
            by: operatorOnDuty,
            atMs: 1_796_608_800_000
        )
        XCTAssertThrowsError(
            try DeadLetterWorkflow.apply(.beginReplay, to: replaying, by: ItemActor(principal: "admin:uid=0"), atMs: 2)
        ) { error in
            XCTAssertEqual(
                error as? IntakeWorkflowError,
                IntakeWorkflowError(
                    code: .failedPrecondition,
                    message: "dead letter D0123456789abcdef is already being replayed by 王军 since "
                        + "2026-12-07T10:00:00+08:00"
                )
            )
        }
    }

    func testAReplayThatFailsReopensItWithTheNewReason() throws {
        let replaying = try DeadLetterWorkflow.apply(.beginReplay, to: letter(), by: operatorOnDuty, atMs: 1)
        let again = try DeadLetterWorkflow.apply(
            .replayFailed(
                stage: .locate,
                reasonCode: "locate.outside",
                reason: "the point lies 1.2 km outside every grid"
            ),
            to: replaying,
            by: operatorOnDuty,
            atMs: 2
        )
        XCTAssertEqual(again.state, .open)
        XCTAssertEqual(again.replays, 1)
        XCTAssertEqual(again.stage, .locate)
        XCTAssertEqual(again.reasonCode, "locate.outside")
        XCTAssertEqual(again.outcome, "dead again: the point lies 1.2 km outside every grid")
        XCTAssertEqual(again.resolvedBy, "")
        let twice = try DeadLetterWorkflow.apply(.beginReplay, to: again, by: operatorOnDuty, atMs: 3)
        XCTAssertEqual(twice.state, .replaying)
    }

    func testADiscardNeedsAReasonAndIsFinal() throws {
        XCTAssertEqual(refusal(.discard(reason: " "), on: .open)?.code, .invalidArgument)
        let discarded = try DeadLetterWorkflow.apply(
            .discard(reason: "测试数据"),
            to: letter(),
            by: operatorOnDuty,
            atMs: 5
        )
        XCTAssertEqual(discarded.state, .discarded)
        XCTAssertEqual(discarded.discardReason, "测试数据")
        XCTAssertEqual(discarded.resolvedBy, "wang-jun")
        XCTAssertEqual(
            refusal(.beginReplay, on: .discarded)?.message,
            "dead letter D0123456789abcdef is discarded: it cannot be replayed; the steps it allows: none"
        )
    }

    func testEveryStepAStateDoesNotAllowIsRefused() {
        let steps: [DeadLetterStep] = [
            .beginReplay,
            .replaySucceeded(outcome: "item T1"),
            .replayFailed(stage: .decode, reasonCode: "json.syntax", reason: "line 1: not JSON"),
            .discard(reason: "duplicate of an imported row"),
        ]
        let allowed: [Gongzhi_Intake_V1_DeadLetterState: Set<Int>] = [
            .open: [0, 3], .replaying: [1, 2], .replayed: [], .discarded: [],
        ]
        for (state, indices) in allowed {
            for (index, step) in steps.enumerated() {
                let error = refusal(step, on: state)
                if indices.contains(index) {
                    if state == .replaying, index == 0 { continue }
                    XCTAssertNil(error, "\(state) should allow \(step)")
                } else {
                    XCTAssertEqual(error?.code, .failedPrecondition, "\(state) should refuse \(step)")
                }
            }
        }
    }
}
