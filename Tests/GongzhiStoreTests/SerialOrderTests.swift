import GongzhiTestSupport
import XCTest

/// The check the race tests rely on finds outcomes that no serial order explains.
final class SerialOrderTests: XCTestCase {
    typealias Outcome = SerialOrder.Outcome

    func testOutcomesOfASerialOrderPass() {
        let order = SerialOrder(
            initial: SerialOrder.State(revision: 10),
            outcomes: [
                Outcome(writer: 0, write: .update(expectedRevision: 10), result: .committed(revision: 11)),
                Outcome(writer: 1, write: .update(expectedRevision: 10), result: .conflict(current: 11)),
                Outcome(writer: 2, write: .delete(expectedRevision: nil), result: .committed(revision: 12)),
                Outcome(writer: 3, write: .update(expectedRevision: nil), result: .notFound),
                Outcome(writer: 4, write: .delete(expectedRevision: 10), result: .notFound),
                Outcome(writer: 5, write: .update(expectedRevision: nil), result: .committed(revision: 13)),
            ].reversed()
        )
        XCTAssertEqual(order.problems.count, 1, "the update after the delete: \(order.problems)")
        XCTAssertTrue(order.problems.first?.contains("writer 5") == true, "\(order.problems)")

        var valid = order
        valid.outcomes.removeAll { $0.writer == 5 }
        XCTAssertEqual(valid.problems, [])
        XCTAssertEqual(valid.final, SerialOrder.State(revision: nil))
        XCTAssertEqual(valid.committed.map(\.revision), [11, 12])
    }

    func testTwoWinnersOrAConflictWithTheWrongRevisionAreFound() {
        let twoCreates = SerialOrder(
            initial: SerialOrder.State(revision: nil),
            outcomes: [
                Outcome(writer: 0, write: .create, result: .committed(revision: 5)),
                Outcome(writer: 1, write: .create, result: .committed(revision: 6)),
            ]
        )
        XCTAssertEqual(twoCreates.problems.count, 1, "\(twoCreates.problems)")

        let wrongCurrent = SerialOrder(
            initial: SerialOrder.State(revision: 10),
            outcomes: [
                Outcome(writer: 0, write: .update(expectedRevision: 10), result: .committed(revision: 11)),
                Outcome(writer: 1, write: .update(expectedRevision: 10), result: .conflict(current: 10)),
            ]
        )
        XCTAssertEqual(wrongCurrent.problems.count, 1, "\(wrongCurrent.problems)")

        let sharedRevision = SerialOrder(
            initial: SerialOrder.State(revision: 10),
            outcomes: [
                Outcome(writer: 0, write: .update(expectedRevision: nil), result: .committed(revision: 11)),
                Outcome(writer: 1, write: .update(expectedRevision: nil), result: .committed(revision: 11)),
            ]
        )
        XCTAssertFalse(sharedRevision.problems.isEmpty)

        let existsButNotFound = SerialOrder(
            initial: SerialOrder.State(revision: 10),
            outcomes: [Outcome(writer: 0, write: .update(expectedRevision: nil), result: .notFound)]
        )
        XCTAssertEqual(existsButNotFound.problems.count, 1)
    }
}
