import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import XCTest

final class ItemWorkflowTests: XCTestCase {
    private let clerk = ItemActor(id: "li-na", name: "李娜", principal: "person:li-na")

    private func item(_ state: Gongzhi_Intake_V1_ItemState) -> Gongzhi_Intake_V1_IntakeItem {
        var item = Gongzhi_Intake_V1_IntakeItem()
        item.id = "T0123456789abcdef"
        item.state = state
        return item
    }

    private func refusal(
        _ step: ItemStep,
        on state: Gongzhi_Intake_V1_ItemState
    ) -> IntakeWorkflowError? {
        do {
            _ = try ItemWorkflow.apply(step, to: item(state), by: clerk, atMs: 1)
            return nil
        } catch {
            return error
        }
    }

    func testAWaitingItemIsRoutedIntoACase() throws {
        let routed = try ItemWorkflow.apply(
            .routeToCase(caseID: "C1", categoryCode: "E0405", agency: "网格 330106001001001", note: "按积水处理"),
            to: item(.waiting),
            by: clerk,
            atMs: 5_000
        )
        XCTAssertEqual(routed.state, .inCase)
        XCTAssertEqual(routed.caseID, "C1")
        XCTAssertEqual(routed.categoryCode, "E0405")
        XCTAssertEqual(routed.caseState, .reported)
        XCTAssertEqual(routed.updatedAtMs, 5_000)
        XCTAssertEqual(routed.history.count, 1)
        XCTAssertEqual(routed.history[0].action, "routed")
        XCTAssertEqual(routed.history[0].actor, "李娜")
        XCTAssertEqual(routed.history[0].actorID, "li-na")
        XCTAssertEqual(routed.history[0].note, "按积水处理")
        XCTAssertEqual(routed.statusNotes, Open311Status.of(caseState: .reported).notes)
        XCTAssertEqual(
            refusal(.routeToCase(caseID: "C1", categoryCode: "积水", agency: "", note: ""), on: .waiting)?.code,
            .invalidArgument
        )
        XCTAssertEqual(
            refusal(.routeToCase(caseID: "", categoryCode: "E0405", agency: "", note: ""), on: .waiting)?.code,
            .invalidArgument
        )
    }

    func testAConsultationIsAnsweredAndClosed() throws {
        let open = try ItemWorkflow.apply(.routeAsItem(.consultation, note: ""), to: item(.waiting), by: clerk, atMs: 1)
        XCTAssertEqual(open.state, .open)
        XCTAssertEqual(open.type, .consultation)
        let answered = try ItemWorkflow.apply(.answer(text: " 可到社区服务中心办理 ", close: false), to: open, by: clerk, atMs: 2)
        XCTAssertEqual(answered.state, .answered)
        XCTAssertEqual(answered.answer, "可到社区服务中心办理")
        XCTAssertEqual(Open311Status.of(item: answered).status, "closed")
        let again = try ItemWorkflow.apply(.answer(text: "补充：周六也可办理", close: true), to: answered, by: clerk, atMs: 3)
        XCTAssertEqual(again.state, .closed)
        XCTAssertEqual(again.closedAtMs, 3)
        XCTAssertEqual(again.history.map(\.action), ["routed", "answered", "answered and closed"])
        XCTAssertEqual(refusal(.routeAsItem(.complaint, note: ""), on: .waiting)?.code, .invalidArgument)
        XCTAssertEqual(refusal(.answer(text: "  ", close: false), on: .open)?.code, .invalidArgument)
        XCTAssertEqual(
            refusal(.answer(text: String(repeating: "答", count: 4_001), close: false), on: .open)?.code,
            .invalidArgument
        )
    }

    func testEveryStepAStateDoesNotAllowIsRefusedNamingWhatItAllows() {
        let steps: [ItemStep] = [
            .routeToCase(caseID: "C1", categoryCode: "E0405", agency: "", note: ""),
            .routeAsItem(.help, note: ""),
            .answer(text: "好的", close: false),
            .close(note: ""),
            .followCase(state: .closed, expectedAtMs: 0, agency: ""),
        ]
        let allowed: [Gongzhi_Intake_V1_ItemState: Set<Int>] = [
            .waiting: [0, 1, 3], .inCase: [4], .open: [2, 3], .answered: [2, 3], .closed: [],
        ]
        for (state, indices) in allowed {
            for (index, step) in steps.enumerated() {
                let error = refusal(step, on: state)
                if indices.contains(index) {
                    XCTAssertNil(error, "\(state) should allow \(step)")
                } else {
                    XCTAssertEqual(error?.code, .failedPrecondition, "\(state) should refuse \(step)")
                }
            }
        }
        XCTAssertEqual(
            refusal(.answer(text: "好的", close: false), on: .waiting)?.message,
            "item T0123456789abcdef is waiting for a person: it cannot be answered; the steps it allows: route, close"
        )
    }

    func testAnItemInACaseFollowsIt() throws {
        var inCase = item(.inCase)
        inCase.caseState = .reported
        let dispatched = try ItemWorkflow.apply(
            .followCase(state: .dispatched, expectedAtMs: 99, agency: "区排水公司"),
            to: inCase,
            by: ItemActor(principal: "plugin:intake"),
            atMs: 10
        )
        XCTAssertEqual(dispatched.caseState, .dispatched)
        XCTAssertEqual(dispatched.expectedAtMs, 99)
        XCTAssertEqual(dispatched.statusNotes, "已派遣至区排水公司 (dispatched to 区排水公司)")
        XCTAssertEqual(dispatched.history.last?.actor, "plugin:intake")
        let closed = try ItemWorkflow.apply(
            .followCase(state: .closed, expectedAtMs: 99, agency: ""),
            to: dispatched,
            by: ItemActor(principal: "plugin:intake"),
            atMs: 20
        )
        XCTAssertEqual(closed.closedAtMs, 20)
        XCTAssertEqual(closed.agency, "区排水公司")
        XCTAssertEqual(closed.state, .inCase)
        let reopened = try ItemWorkflow.apply(
            .followCase(state: .inProgress, expectedAtMs: 120, agency: ""),
            to: closed,
            by: ItemActor(principal: "plugin:intake"),
            atMs: 30
        )
        XCTAssertEqual(reopened.closedAtMs, 0, "a case reopened as not fixed is open again")
    }
}
