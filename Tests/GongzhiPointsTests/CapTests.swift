import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Caps per holder, rule and calendar period in China time: a credit past the cap is refused, a correction frees
/// room, and each period starts fresh.
final class CapTests: XCTestCase {
    typealias F = PointsFixtures

    // Instants in China, written out.
    let march10thLate: Int64 = 1_773_158_399_999  // 2026-03-10 23:59:59.999
    let march11th: Int64 = 1_773_158_400_000  // 2026-03-11 00:00
    let sundayNight: Int64 = 1_773_586_800_000  // 2026-03-15 23:00
    let nextMonday: Int64 = 1_773_590_400_000  // 2026-03-16 00:00
    let newYearsEve: Int64 = 1_798_732_799_000  // 2026-12-31 23:59:59
    let newYear: Int64 = 1_798_732_800_000  // 2027-01-01 00:00

    /// Credits by a rule and answers the result's code, the cap's figures and the holder's balance after.
    func credit(
        _ book: inout PointsBook,
        _ id: String,
        _ amount: Int64,
        rule: String,
        to holder: String = PointsFixtures.alice,
        at now: Int64
    ) -> TransferResult {
        book.grant(id, to: holder, amount, rule: rule, now: now)
    }

    func assertCapReached(
        _ result: TransferResult,
        cap: Int64,
        period: Gongzhi_Points_V1_Period,
        earned: Int64,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertResult(result, .capReached, file: file, line: line)
        XCTAssertEqual(result.cap, cap, file: file, line: line)
        XCTAssertEqual(result.period, period, file: file, line: line)
        XCTAssertEqual(result.earned, earned, file: file, line: line)
    }

    func testADailyCapCountsTheChinaDay() {
        var book = F.book()
        XCTAssertResult(credit(&book, "d1", 20, rule: "volunteer-hour", at: F.t0), .ok)
        XCTAssertResult(credit(&book, "d2", 10, rule: "volunteer-hour", at: F.t0 + F.hour), .ok)
        assertCapReached(
            credit(&book, "d3", 1, rule: "volunteer-hour", at: march10thLate),
            cap: 30,
            period: .day,
            earned: 30
        )
        // 2026-03-10 16:00 UTC is midnight in China: a new day.
        XCTAssertResult(credit(&book, "d4", 30, rule: "volunteer-hour", at: march11th), .ok)
        assertCapReached(
            credit(&book, "d5", 1, rule: "volunteer-hour", at: march11th + 1),
            cap: 30,
            period: .day,
            earned: 30
        )
        XCTAssertEqual(book.postedBalance(F.alice), 60)
        // Other holders and other rules have caps of their own.
        XCTAssertResult(credit(&book, "d6", 30, rule: "volunteer-hour", to: F.bob, at: march11th), .ok)
        XCTAssertResult(credit(&book, "d7", 500, rule: "deliberation", at: march11th), .ok)
        // A partial fit is refused whole: caps do not cut a credit down.
        XCTAssertResult(credit(&book, "d8", 25, rule: "volunteer-hour", to: F.team, at: march11th), .ok)
        assertCapReached(
            credit(&book, "d9", 6, rule: "volunteer-hour", to: F.team, at: march11th),
            cap: 30,
            period: .day,
            earned: 25
        )
        XCTAssertEqual(book.postedBalance(F.team), 25)
    }

    func testAWeeklyCapRunsMondayToSunday() {
        var book = F.book()
        XCTAssertResult(credit(&book, "w1", 30, rule: "training", at: F.t0), .ok)
        XCTAssertResult(credit(&book, "w2", 20, rule: "training", at: sundayNight), .ok)
        assertCapReached(
            credit(&book, "w3", 1, rule: "training", at: nextMonday - 1),
            cap: 50,
            period: .week,
            earned: 50
        )
        XCTAssertResult(credit(&book, "w4", 50, rule: "training", at: nextMonday), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 100)
    }

    func testAMonthlyCapRunsToTheEndOfTheChinaMonth() {
        var book = F.book()
        XCTAssertResult(credit(&book, "m1", 60, rule: "grid-case", at: F.t0), .ok)
        XCTAssertResult(credit(&book, "m2", 40, rule: "grid-case", at: F.april - 1), .ok)
        assertCapReached(
            credit(&book, "m3", 40, rule: "grid-case", at: F.april - 1),
            cap: 100,
            period: .month,
            earned: 100
        )
        XCTAssertResult(credit(&book, "m4", 40, rule: "grid-case", at: F.april), .ok)
        assertCapReached(
            credit(&book, "m5", 61, rule: "grid-case", at: F.april + F.day),
            cap: 100,
            period: .month,
            earned: 40
        )
    }

    func testAYearlyCapRunsToNewYearInChina() {
        var book = F.book()
        XCTAssertResult(credit(&book, "y1", 150, rule: "annual-review", at: F.t0), .ok)
        XCTAssertResult(credit(&book, "y2", 50, rule: "annual-review", at: newYearsEve), .ok)
        assertCapReached(
            credit(&book, "y3", 1, rule: "annual-review", at: newYearsEve),
            cap: 200,
            period: .year,
            earned: 200
        )
        XCTAssertResult(credit(&book, "y4", 200, rule: "annual-review", at: newYear), .ok)
    }

    func testACorrectionFreesRoomInThePeriodOfTheCreditItCorrects() {
        var book = F.book()
        let first = credit(&book, "c1", 30, rule: "volunteer-hour", at: F.t0)
        XCTAssertResult(first, .ok)
        assertCapReached(credit(&book, "c2", 10, rule: "volunteer-hour", at: F.t0), cap: 30, period: .day, earned: 30)
        XCTAssertResult(book.submit(F.reversal("fix1", of: first.transfer, 10), now: F.t0 + F.minute), .ok)
        XCTAssertResult(credit(&book, "c3", 10, rule: "volunteer-hour", at: F.t0 + F.minute), .ok)
        assertCapReached(
            credit(&book, "c4", 1, rule: "volunteer-hour", at: F.t0 + F.minute),
            cap: 30,
            period: .day,
            earned: 30
        )
        XCTAssertEqual(book.postedBalance(F.alice), 30)

        // Corrected the next day, the credit frees room on its own day, not on the day of the correction.
        XCTAssertResult(credit(&book, "n1", 30, rule: "volunteer-hour", at: march11th), .ok)
        XCTAssertResult(book.submit(F.reversal("fix2", of: first.transfer, 20), now: march11th + 1), .ok)
        assertCapReached(
            credit(&book, "n2", 1, rule: "volunteer-hour", at: march11th + 2),
            cap: 30,
            period: .day,
            earned: 30
        )
        XCTAssertResult(credit(&book, "o1", 20, rule: "volunteer-hour", at: F.t0 + F.hour), .ok)
        XCTAssertEqual(book.postedBalance(F.alice), 30 - 10 + 10 - 20 + 30 + 20)
    }

    func testTakingBackAGiftFreesNoCapRoom() {
        var book = F.book()
        XCTAssertResult(credit(&book, "h1", 30, rule: "volunteer-hour", at: F.t0), .ok)
        XCTAssertResult(credit(&book, "h2", 30, rule: "volunteer-hour", to: F.bob, at: F.t0), .ok)
        // Bob passes points on under the rule's code: not an earning, so its correction is no earning's either.
        let gift = book.submit(F.transfer("gift", from: F.bob, to: F.alice, 10, code: "volunteer-hour"), now: F.t0)
        XCTAssertResult(gift, .ok)
        XCTAssertResult(book.submit(F.reversal("back", of: gift.transfer, 10), now: F.t0), .ok)
        assertCapReached(credit(&book, "h3", 10, rule: "volunteer-hour", at: F.t0), cap: 30, period: .day, earned: 30)
        XCTAssertEqual(book.postedBalance(F.alice), 30)
    }
}
