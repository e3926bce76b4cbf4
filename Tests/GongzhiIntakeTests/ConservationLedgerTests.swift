import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiTestSeeds
import XCTest

final class ConservationLedgerTests: XCTestCase {
    func testTheEquationAndTheOutcomes() throws {
        var ledger = ConservationLedger()
        for _ in 0..<6 { try ledger.record(.received, source: "hotline") }
        try ledger.record(.accepted(.report), source: "hotline")
        try ledger.record(.accepted(.item), source: "hotline")
        try ledger.record(.duplicate, source: "hotline")
        try ledger.record(.deadLettered, source: "hotline")
        try ledger.record(.refused(reason: "http.429"), source: "hotline")
        let c = ledger.counters(of: "hotline")
        XCTAssertEqual([c.received, c.accepted, c.duplicates, c.deadLettered, c.inFlight], [6, 2, 1, 1, 2])
        XCTAssertEqual([c.reports, c.items, c.refused], [1, 1, 1])
        XCTAssertEqual(c.refusedByReason, ["http.429": 1])
        XCTAssertTrue(ledger.balances("hotline"))
        XCTAssertEqual(
            ledger.line(for: "hotline"),
            "hotline: received 6 = accepted 2 + duplicates 1 + dead-lettered 1 + in flight 2"
        )
    }

    func testAReplayMovesADeadLetterAndADiscardKeepsIt() throws {
        var ledger = ConservationLedger()
        for _ in 0..<3 { try ledger.record(.received, source: "s") }
        for _ in 0..<3 { try ledger.record(.deadLettered, source: "s") }
        try ledger.record(.replayed(.report), source: "s")
        try ledger.record(.replayed(nil), source: "s")
        try ledger.record(.discarded, source: "s")
        let c = ledger.counters(of: "s")
        XCTAssertEqual(
            [c.accepted, c.duplicates, c.deadLettered, c.discarded, c.replayed, c.reports],
            [1, 1, 1, 1, 2, 1]
        )
        XCTAssertTrue(ledger.balances("s"))
        XCTAssertThrowsError(
            try ledger.record(.replayed(.report), source: "s"),
            "the one dead letter left is discarded"
        )
        XCTAssertThrowsError(try ledger.record(.discarded, source: "s"))
    }

    func testEventsForInputsItDoesNotHoldAreRefused() {
        var ledger = ConservationLedger()
        XCTAssertThrowsError(try ledger.record(.accepted(.item), source: "s")) { error in
            XCTAssertEqual((error as? LedgerError)?.description, "s: an input accepted with none in flight")
        }
        XCTAssertThrowsError(try ledger.record(.duplicate, source: "s"))
        XCTAssertThrowsError(try ledger.record(.deadLettered, source: "s"))
        XCTAssertThrowsError(try ledger.record(.replayed(nil), source: "s"))
        XCTAssertTrue(ledger.balances("s"))
        XCTAssertEqual(ledger.counters(of: "s").received, 0)
    }

    /// Inputs of several sources take random paths; after every event the ledger agrees with an independent
    /// count of the states of the source's inputs.
    func testRandomSequencesAgreeWithAnIndependentCount() throws {
        enum State { case inFlight, accepted, duplicate, dead, discarded }
        var random = seededRandom()
        let sources = ["mqtt", "hotline", "dept-csv"]
        for _ in 0..<10 {
            var ledger = ConservationLedger()
            var inputs: [(source: String, state: State)] = []
            var refused: [String: UInt64] = [:]
            for _ in 0..<Int.random(in: 50...400, using: &random) {
                let source = sources.randomElement(using: &random)!
                let choice = Int.random(in: 0..<100, using: &random)
                let inFlight = inputs.indices.filter { inputs[$0].source == source && inputs[$0].state == .inFlight }
                let dead = inputs.indices.filter { inputs[$0].source == source && inputs[$0].state == .dead }
                switch choice {
                case 0..<35:
                    try ledger.record(.received, source: source)
                    inputs.append((source, .inFlight))
                case 35..<75 where !inFlight.isEmpty:
                    let index = inFlight.randomElement(using: &random)!
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0:
                        try ledger.record(.accepted(.report), source: source)
                        inputs[index].state = .accepted
                    case 1:
                        try ledger.record(.duplicate, source: source)
                        inputs[index].state = .duplicate
                    default:
                        try ledger.record(.deadLettered, source: source)
                        inputs[index].state = .dead
                    }
                case 75..<85 where !dead.isEmpty:
                    let index = dead.randomElement(using: &random)!
                    let asDuplicate = Bool.random(using: &random)
                    try ledger.record(.replayed(asDuplicate ? nil : .item), source: source)
                    inputs[index].state = asDuplicate ? .duplicate : .accepted
                case 85..<92 where !dead.isEmpty:
                    try ledger.record(.discarded, source: source)
                    inputs[dead.randomElement(using: &random)!].state = .discarded
                case 92..<100:
                    try ledger.record(.refused(reason: "http.400"), source: source)
                    refused[source, default: 0] += 1
                default:
                    XCTAssertThrowsError(
                        try ledger.record(inFlight.isEmpty ? .duplicate : .replayed(nil), source: source)
                    )
                }
                let mine = inputs.filter { $0.source == source }
                func count(_ states: State...) -> UInt64 { UInt64(mine.filter { states.contains($0.state) }.count) }
                let c = ledger.counters(of: source)
                XCTAssertEqual(c.received, UInt64(mine.count))
                XCTAssertEqual(c.inFlight, count(.inFlight))
                XCTAssertEqual(c.accepted, count(.accepted))
                XCTAssertEqual(c.duplicates, count(.duplicate))
                XCTAssertEqual(c.deadLettered, count(.dead, .discarded))
                XCTAssertEqual(c.discarded, count(.discarded))
                XCTAssertEqual(c.refused, refused[source] ?? 0)
                XCTAssertTrue(ledger.balances(source), ledger.line(for: source))
            }
            for name in sources {
                XCTAssertEqual(ledger.counters(of: name).received, UInt64(inputs.filter { $0.source == name }.count))
                XCTAssertTrue(ledger.balances(name), ledger.line(for: name))
            }
        }
    }
}
