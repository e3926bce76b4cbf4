import XCTest

@testable import gongzhi_mediation

/// Dispute ids: derived where a retry or a second hand-over must find the first, random otherwise.
final class DisputeIdentityTests: XCTestCase {
    func testAnIdIsMDAndTwelveLowerCaseHexDigits() {
        for id in [
            DisputeIdentity.applicationID(principal: "person:zhao-min", idempotencyKey: "k1"),
            DisputeIdentity.applicationID(principal: "person:zhao-min", idempotencyKey: ""),
            DisputeIdentity.handOffID(caseID: "C0123456789abcdef012"),
        ] {
            XCTAssertTrue(id.hasPrefix("MD-"), id)
            XCTAssertEqual(id.count, 15, id)
            XCTAssertTrue(id.dropFirst(3).allSatisfy { "0123456789abcdef".contains($0) }, id)
        }
    }

    func testAKeyGivesTheSameIdToTheSameCallerOnly() {
        let first = DisputeIdentity.applicationID(principal: "person:zhao-min", idempotencyKey: "k1")
        XCTAssertEqual(DisputeIdentity.applicationID(principal: "person:zhao-min", idempotencyKey: "k1"), first)
        XCTAssertNotEqual(DisputeIdentity.applicationID(principal: "person:chen-li", idempotencyKey: "k1"), first)
        XCTAssertNotEqual(DisputeIdentity.applicationID(principal: "person:zhao-min", idempotencyKey: "k2"), first)
        // SHA-256("person:zhao-min\nk1"), from sha256sum: d8efc922af24646317fe…
        XCTAssertEqual(first, "MD-d8efc922af24")
    }

    func testWithoutAKeyEachApplicationGetsAnIdOfItsOwn() {
        var generator = SplitMix64(seed: 7)
        let a = DisputeIdentity.applicationID(principal: "p", idempotencyKey: "", using: &generator)
        let b = DisputeIdentity.applicationID(principal: "p", idempotencyKey: "", using: &generator)
        XCTAssertNotEqual(a, b)
        var again = SplitMix64(seed: 7)
        XCTAssertEqual(DisputeIdentity.applicationID(principal: "p", idempotencyKey: "", using: &again), a)
    }

    func testAHandOffIsFoundByItsCase() {
        let id = DisputeIdentity.handOffID(caseID: "C1")
        XCTAssertEqual(DisputeIdentity.handOffID(caseID: "C1"), id)
        XCTAssertNotEqual(DisputeIdentity.handOffID(caseID: "C2"), id)
        // SHA-256("grid-case:C1"), from sha256sum: 9e7f859ae4b532bd83ce…
        XCTAssertEqual(id, "MD-9e7f859ae4b5")
        // Not the id an application with the case id as its key would get.
        XCTAssertNotEqual(DisputeIdentity.applicationID(principal: "grid-case", idempotencyKey: "C1"), id)
    }

    func testAMissedObligationsCaseIsNamedByTheDisputeAndTheObligation() {
        XCTAssertEqual(
            DisputeIdentity.missedObligationCaseID(disputeID: "MD-0123456789ab", obligationID: "o2"),
            "MD-0123456789ab-o2"
        )
    }
}

/// A seeded generator, so that "random" ids repeat in a test.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
