import GongzhiIntake
import XCTest

final class IntakeIdentityTests: XCTestCase {
    func testIdsFollowTheSourceAndTheInboxSequence() {
        let item = IntakeIdentity.itemID(source: "hotline-12345", inboxSequence: 42)
        XCTAssertEqual(item, IntakeIdentity.itemID(source: "hotline-12345", inboxSequence: 42))
        XCTAssertTrue(item.hasPrefix("T"))
        XCTAssertEqual(item.count, 17)
        XCTAssertTrue(item.dropFirst().allSatisfy { $0.isHexDigit && !$0.isUppercase })
        XCTAssertNotEqual(item, IntakeIdentity.itemID(source: "hotline-12345", inboxSequence: 43))
        XCTAssertNotEqual(item, IntakeIdentity.itemID(source: "app", inboxSequence: 42))
        let letter = IntakeIdentity.deadLetterID(source: "hotline-12345", inboxSequence: 42)
        XCTAssertEqual(letter.first, "D")
        XCTAssertEqual(letter.dropFirst(), item.dropFirst(), "an input's item and dead letter share the hash")
        XCTAssertNotEqual(
            IntakeIdentity.itemID(source: "a\n1", inboxSequence: 2),
            IntakeIdentity.itemID(source: "a", inboxSequence: 12)
        )
    }

    func testReportKeys() {
        XCTAssertEqual(
            IntakeIdentity.reportKey(source: "hotline-12345", externalID: "GD2026120700012", inboxSequence: 9),
            "intake:hotline-12345:GD2026120700012"
        )
        XCTAssertEqual(IntakeIdentity.reportKey(source: "app", externalID: "", inboxSequence: 9), "intake:app:#9")
        let long = IntakeIdentity.reportKey(
            source: "dept",
            externalID: String(repeating: "x", count: 200),
            inboxSequence: 1
        )
        XCTAssertLessThanOrEqual(long.count, IntakeIdentity.maximumIdempotencyKeyLength)
        XCTAssertTrue(long.hasPrefix("intake:dept:xxx"))
        XCTAssertEqual(long.count, 125)
        XCTAssertTrue(long.allSatisfy(\.isASCII))
        let other = IntakeIdentity.reportKey(
            source: "dept",
            externalID: String(repeating: "x", count: 199) + "y",
            inboxSequence: 1
        )
        XCTAssertNotEqual(long, other)
        let exactly = "intake:dept:" + String(repeating: "z", count: 116)
        XCTAssertEqual(
            IntakeIdentity.reportKey(source: "dept", externalID: String(repeating: "z", count: 116), inboxSequence: 1),
            exactly
        )
    }
}
