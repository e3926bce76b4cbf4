import GongzhiCalendar
import XCTest

@testable import GongzhiPoints

/// Calendar periods in China Standard Time, against instants written out independently of the code under test.
final class ChinaCalendarTests: XCTestCase {
    typealias Day = ChinaCalendar.Date

    // Midnight in China (UTC+8) at the start of these days, in ms since the epoch.
    let march9th2026: Int64 = 1_772_985_600_000  // a Monday
    let march10th2026: Int64 = 1_773_108_000_000 - 10 * 3_600_000
    let march11th2026: Int64 = 1_773_158_400_000
    let march16th2026: Int64 = 1_773_590_400_000  // the next Monday
    let march1st2026: Int64 = 1_772_294_400_000
    let april1st2026: Int64 = 1_774_972_800_000
    let january1st2026: Int64 = 1_767_196_800_000
    let january1st2027: Int64 = 1_798_732_800_000
    let december1st2025: Int64 = 1_764_518_400_000
    let december28th2026: Int64 = 1_798_387_200_000  // a Monday; its week runs into 2027
    let january4th2027: Int64 = 1_798_992_000_000
    let february1st2024: Int64 = 1_706_716_800_000
    let march1st2024: Int64 = 1_709_222_400_000
    let january1st1970: Int64 = -28_800_000  // a Thursday, 16:00 UTC the day before
    let december29th1969: Int64 = -288_000_000  // a Monday
    let january5th1970: Int64 = 316_800_000
    let december1st1969: Int64 = -2_707_200_000
    let january1st1969: Int64 = -31_564_800_000
    let march1st1900: Int64 = -2_203_920_000_000
    let day: Int64 = 86_400_000

    func testDatesAreChinaDatesNotUTCDates() {
        XCTAssertEqual(ChinaCalendar.date(at: march10th2026), Day(year: 2026, month: 3, day: 10))
        XCTAssertEqual(ChinaCalendar.date(at: march10th2026 - 1), Day(year: 2026, month: 3, day: 9))
        // 2026-03-10 20:00 UTC is already the 11th in China.
        XCTAssertEqual(ChinaCalendar.date(at: march10th2026 + 28 * 3_600_000), Day(year: 2026, month: 3, day: 11))
        XCTAssertEqual(ChinaCalendar.date(at: 0), Day(year: 1970, month: 1, day: 1))
        XCTAssertEqual(ChinaCalendar.date(at: january1st1970 - 1), Day(year: 1969, month: 12, day: 31))
        XCTAssertEqual(ChinaCalendar.date(at: march1st1900), Day(year: 1900, month: 3, day: 1))
        XCTAssertEqual(
            ChinaCalendar.date(at: march1st1900 - 1),
            Day(year: 1900, month: 2, day: 28),
            "1900 is no leap year"
        )
        XCTAssertEqual(ChinaCalendar.date(at: march1st2024 - 1), Day(year: 2024, month: 2, day: 29))
        XCTAssertEqual(ChinaCalendar.start(of: Day(year: 2026, month: 3, day: 10)), march10th2026)
        XCTAssertEqual(ChinaCalendar.start(of: Day(year: 1969, month: 12, day: 29)), december29th1969)
        XCTAssertEqual(ChinaCalendar.start(of: Day(year: 1900, month: 3, day: 1)), march1st1900)
        XCTAssertEqual(Day(year: 2026, month: 3, day: 10).description, "2026-03-10")
        XCTAssertEqual(Day(year: 999, month: 1, day: 2).description, "0999-01-02")
        XCTAssertLessThan(Day(year: 2025, month: 12, day: 31), Day(year: 2026, month: 1, day: 1))
    }

    func testChineseDatesAreWrittenWithoutLeadingZerosForTheDayInChina() {
        XCTAssertEqual(Day(year: 2026, month: 3, day: 9).chineseText, "2026年3月9日")
        XCTAssertEqual(Day(year: 2026, month: 12, day: 31).chineseText, "2026年12月31日")
        XCTAssertEqual(ChinaCalendar.chineseDateText(at: march10th2026), "2026年3月10日")
        XCTAssertEqual(ChinaCalendar.chineseDateText(at: march10th2026 - 1), "2026年3月9日")
        // 2026-12-31T16:30Z is half past midnight on New Year's Day in China; 15:59:59.999Z is still the 31st.
        XCTAssertEqual(ChinaCalendar.chineseDateText(at: january1st2027 + 30 * 60_000), "2027年1月1日")
        XCTAssertEqual(ChinaCalendar.chineseDateText(at: january1st2027 - 1), "2026年12月31日")
        XCTAssertEqual(ChinaCalendar.chineseDateText(at: january1st1970 - 1), "1969年12月31日")
    }

    func testDaysFromMidnightToMidnightInChina() {
        for instant in [march10th2026, march10th2026 + 1, march11th2026 - 1] {
            let bounds = ChinaCalendar.periodBounds(.day, at: instant)
            XCTAssertEqual(bounds.start, march10th2026)
            XCTAssertEqual(bounds.end, march11th2026)
        }
        XCTAssertEqual(ChinaCalendar.periodBounds(.day, at: march11th2026).start, march11th2026)
        let beforeTheEpoch = ChinaCalendar.periodBounds(.day, at: january1st1970 - 1)
        XCTAssertEqual(beforeTheEpoch.start, january1st1970 - day)
        XCTAssertEqual(beforeTheEpoch.end, january1st1970)
    }

    func testWeeksStartOnMonday() {
        for instant in [march9th2026, march10th2026 + 12 * 3_600_000, march16th2026 - 1] {
            let bounds = ChinaCalendar.periodBounds(.week, at: instant)
            XCTAssertEqual(bounds.start, march9th2026, "\(instant)")
            XCTAssertEqual(bounds.end, march16th2026, "\(instant)")
        }
        XCTAssertEqual(ChinaCalendar.periodBounds(.week, at: march16th2026).start, march16th2026)
        // A week across the new year.
        XCTAssertEqual(ChinaCalendar.periodBounds(.week, at: january1st2027).start, december28th2026)
        XCTAssertEqual(ChinaCalendar.periodBounds(.week, at: january1st2027).end, january4th2027)
        // Before 1970: 1970-01-01 was a Thursday, its week began on Monday 1969-12-29.
        for instant in [january1st1970, december29th1969, january5th1970 - 1, january1st1970 - 1] {
            let bounds = ChinaCalendar.periodBounds(.week, at: instant)
            XCTAssertEqual(bounds.start, december29th1969, "\(instant)")
            XCTAssertEqual(bounds.end, january5th1970, "\(instant)")
        }
        XCTAssertEqual(ChinaCalendar.periodBounds(.week, at: december29th1969 - 1).start, december29th1969 - 7 * day)
        // Every week of four centuries starts on a Monday and lasts seven days.
        var monday = ChinaCalendar.periodBounds(.week, at: march1st1900).start
        XCTAssertEqual(monday, ChinaCalendar.start(of: Day(year: 1900, month: 2, day: 26)))
        for _ in 0..<(400 * 53) {
            let bounds = ChinaCalendar.periodBounds(.week, at: monday + 3 * day + 5)
            XCTAssertEqual(bounds.start, monday)
            XCTAssertEqual(bounds.end, monday + 7 * day)
            monday = bounds.end
        }
    }

    func testMonthsAndYears() {
        for instant in [march1st2026, march10th2026, april1st2026 - 1] {
            let bounds = ChinaCalendar.periodBounds(.month, at: instant)
            XCTAssertEqual(bounds.start, march1st2026)
            XCTAssertEqual(bounds.end, april1st2026)
        }
        XCTAssertEqual(ChinaCalendar.periodBounds(.month, at: march1st2024 - 1).start, february1st2024)
        XCTAssertEqual(ChinaCalendar.periodBounds(.month, at: march1st2024 - 1).end, march1st2024)
        XCTAssertEqual(ChinaCalendar.periodBounds(.month, at: january1st1970 - 1).start, december1st1969)
        XCTAssertEqual(ChinaCalendar.periodBounds(.month, at: january1st1970 - 1).end, january1st1970)
        for instant in [january1st2026, march10th2026, january1st2027 - 1] {
            let bounds = ChinaCalendar.periodBounds(.year, at: instant)
            XCTAssertEqual(bounds.start, january1st2026)
            XCTAssertEqual(bounds.end, january1st2027)
        }
        XCTAssertEqual(ChinaCalendar.periodBounds(.year, at: january1st1970 - 1).start, january1st1969)
        XCTAssertEqual(ChinaCalendar.periodBounds(.year, at: january1st1970 - 1).end, january1st1970)

        XCTAssertEqual(ChinaCalendar.startOfMonth(at: march10th2026), march1st2026)
        XCTAssertEqual(ChinaCalendar.startOfMonth(at: march10th2026, adding: 1), april1st2026)
        XCTAssertEqual(ChinaCalendar.startOfMonth(at: march10th2026, adding: -3), december1st2025)
        XCTAssertEqual(ChinaCalendar.startOfMonth(at: march10th2026, adding: 13), PointsFixtures.marchLotsExpire)
        XCTAssertEqual(ChinaCalendar.startOfMonth(at: january1st1970, adding: -1), december1st1969)
    }

    func testEveryDayOfFourCenturiesRoundTrips() {
        var previous = ChinaCalendar.date(at: march1st1900 - 1)
        var start = march1st1900
        var wrong: [String] = []
        for _ in 0..<(400 * 366) {
            let date = ChinaCalendar.date(at: start)
            let dayBefore = ChinaCalendar.date(at: start - 1)
            let follows =
                date.day == 1
                ? dayBefore.month == (date.month + 10) % 12 + 1 && dayBefore.day >= 28
                : dayBefore.day == date.day - 1 && dayBefore.month == date.month
            if !(previous < date) || ChinaCalendar.start(of: date) != start
                || ChinaCalendar.date(at: start + day - 1) != date || !follows || dayBefore != previous
            {
                wrong.append("\(date) at \(start)")
            }
            previous = date
            start += day
        }
        XCTAssertEqual(wrong, [])
        XCTAssertEqual(previous, Day(year: 2300, month: 12, day: 28))
    }
}
