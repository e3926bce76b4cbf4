import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import XCTest

final class Open311StatusTests: XCTestCase {
    func testEveryCaseStateHasWording() {
        let expected: [(Gongzhi_Grid_V1_CaseState, String)] = [
            (.unspecified, "open"), (.reported, "open"), (.registered, "open"), (.rejected, "closed"),
            (.dispatched, "open"), (.inProgress, "open"), (.handled, "open"), (.verified, "closed"),
            (.closed, "closed"), (.evaluated, "closed"),
        ]
        XCTAssertEqual(expected.count, Gongzhi_Grid_V1_CaseState.allCases.count, "a new case state needs its wording")
        var notes: Set<String> = []
        for (state, status) in expected {
            let wording = Open311Status.of(caseState: state)
            XCTAssertEqual(wording.status, status, "\(state)")
            XCTAssertFalse(wording.notes.isEmpty)
            notes.insert(wording.notes)
        }
        XCTAssertEqual(
            notes.count,
            expected.count - 1,
            "each state but UNSPECIFIED (read as reported) says something of its own"
        )
        XCTAssertEqual(Open311Status.of(caseState: .dispatched, agency: "区城管局").notes, "已派遣至区城管局 (dispatched to 区城管局)")
        XCTAssertEqual(Open311Status.of(caseState: .inProgress).notes, "处置中 (being handled)")
    }

    func testAnItemFollowsItsCaseOrItsOwnState() {
        var item = Gongzhi_Intake_V1_IntakeItem()
        item.state = .inCase
        item.caseState = .closed
        XCTAssertEqual(Open311Status.of(item: item), Open311Status(status: "closed", notes: "已结案 (closed)"))
        item.caseState = .inProgress
        item.joinedOpenCase = true
        XCTAssertEqual(Open311Status.of(item: item).status, "open")
        XCTAssertTrue(Open311Status.of(item: item).notes.hasSuffix("(joined an open case on the same problem)"))
        let own: [(Gongzhi_Intake_V1_ItemState, String)] = [
            (.waiting, "open"), (.open, "open"), (.answered, "closed"), (.closed, "closed"),
        ]
        for (state, status) in own {
            item.state = state
            XCTAssertEqual(Open311Status.of(item: item).status, status, "\(state)")
        }
    }
}
