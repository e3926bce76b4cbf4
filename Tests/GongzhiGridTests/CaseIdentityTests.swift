import GongzhiGrid
import XCTest

final class CaseIdentityTests: XCTestCase {
    func testAKeyGivesTheSameIDOnEveryRetry() {
        let first = CaseIdentity.caseID(principal: "client:alice", idempotencyKey: "report-1")
        XCTAssertEqual(first, CaseIdentity.caseID(principal: "client:alice", idempotencyKey: "report-1"))
        // "C" + the first 19 hex digits of SHA-256("client:alice\nreport-1").
        XCTAssertEqual(first, "Ce5369686791dddcb21d")
        XCTAssertTrue(CaseIdentity.isWellFormed(first))
    }

    func testAnotherPrincipalOrKeyGivesAnotherID() {
        let alice = CaseIdentity.caseID(principal: "client:alice", idempotencyKey: "report-1")
        XCTAssertEqual(CaseIdentity.caseID(principal: "client:bob", idempotencyKey: "report-1"), "Cad2a8030ab7c66d450a")
        XCTAssertNotEqual(alice, CaseIdentity.caseID(principal: "client:alice", idempotencyKey: "report-2"))
        // The separator keeps "a" + "bc" apart from "ab" + "c".
        XCTAssertNotEqual(
            CaseIdentity.caseID(principal: "a", idempotencyKey: "bc"),
            CaseIdentity.caseID(principal: "ab", idempotencyKey: "c")
        )
    }

    func testWithoutAKeyIDsAreRandom() {
        let ids = (0..<1_000).map { _ in CaseIdentity.caseID(principal: "client:alice", idempotencyKey: "") }
        XCTAssertEqual(Set(ids).count, 1_000)
        XCTAssertTrue(ids.allSatisfy(CaseIdentity.isWellFormed))
    }

    func testWellFormedIDs() {
        XCTAssertFalse(CaseIdentity.isWellFormed("C1"))
        XCTAssertFalse(CaseIdentity.isWellFormed("Ce5369686791dddcb21D"))
        XCTAssertFalse(CaseIdentity.isWellFormed("Xe5369686791dddcb21d"))
        XCTAssertFalse(CaseIdentity.isWellFormed("Ce5369686791dddcb21d0"))
    }
}
