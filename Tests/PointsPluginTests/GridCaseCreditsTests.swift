import GongzhiGridSchemas
import XCTest

@testable import gongzhi_points

/// Which evaluated grid cases earn their assignee a credit.
final class GridCaseCreditsTests: XCTestCase {
    private func evaluated(
        _ satisfaction: Gongzhi_Grid_V1_Satisfaction,
        closedBy action: Gongzhi_Grid_V1_Action = .close
    ) -> Gongzhi_Grid_V1_Case {
        var value = Gongzhi_Grid_V1_Case()
        value.state = .evaluated
        value.satisfaction = satisfaction
        value.history = [
            .with {
                $0.action = .handle
                $0.from = .inProgress
                $0.to = .handled
            },
            .with {
                $0.action = action
                $0.from = action == .close ? .verified : .handled
                $0.to = .closed
            },
            .with {
                $0.action = .evaluate
                $0.from = .closed
                $0.to = .evaluated
            },
        ]
        return value
    }

    func testSatisfiedEarnsAndAcceptableOnlyWhenTheRuleCountsIt() {
        XCTAssertTrue(GridCaseCredits.earns(evaluated(.satisfied), includeAcceptable: false))
        XCTAssertFalse(GridCaseCredits.earns(evaluated(.acceptable), includeAcceptable: false))
        XCTAssertTrue(GridCaseCredits.earns(evaluated(.acceptable), includeAcceptable: true))
        XCTAssertFalse(GridCaseCredits.earns(evaluated(.unsatisfied), includeAcceptable: true))
        var closed = evaluated(.satisfied)
        closed.state = .closed
        XCTAssertFalse(GridCaseCredits.earns(closed, includeAcceptable: true), "not evaluated yet")
    }

    func testACaseClosedByMediationEarnsNothing() {
        let settled = evaluated(.satisfied, closedBy: .mediationConcluded)
        XCTAssertFalse(GridCaseCredits.earns(settled, includeAcceptable: true))
        // Reopened after that, handled and closed again by its worker: the new round earns.
        var again = settled
        again.history += [
            .with {
                $0.action = .reopen
                $0.from = .evaluated
                $0.to = .reported
            },
            .with {
                $0.action = .close
                $0.from = .verified
                $0.to = .closed
            },
            .with {
                $0.action = .evaluate
                $0.from = .closed
                $0.to = .evaluated
            },
        ]
        XCTAssertTrue(GridCaseCredits.earns(again, includeAcceptable: false))
    }
}
