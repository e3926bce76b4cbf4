import GongzhiCalendar
import XCTest

/// Rest days as the Civil Code (Art 203) counts them: weekends and the State Council's public holidays, less the
/// weekend days it makes working days; a period whose last day is one ends with the first working day after it.
final class RestDaysTests: XCTestCase {
    private func day(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        ChinaCalendar.dayNumber(at: ChinaCalendar.start(of: .init(year: year, month: month, day: day)))
    }

    /// The first millisecond past the given day in China.
    private func endOf(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        ChinaCalendar.start(of: .init(year: year, month: month, day: day)) + ChinaCalendar.dayMs
    }

    func testWeekendsHolidaysAndWorkingWeekendDaysOf2026() {
        let table = RestDays.standard
        XCTAssertTrue(table.knows(year: 2026))
        XCTAssertFalse(table.knows(year: 2027))
        XCTAssertFalse(table.isRestDay(day(2026, 12, 7)), "a Monday")
        XCTAssertTrue(table.isRestDay(day(2026, 12, 12)), "a Saturday")
        XCTAssertTrue(table.isRestDay(day(2026, 12, 13)), "a Sunday")
        XCTAssertTrue(table.isRestDay(day(2026, 10, 7)), "National Day, a Wednesday")
        XCTAssertFalse(table.isRestDay(day(2026, 10, 10)), "a Saturday made a working day")
        XCTAssertFalse(table.isRestDay(day(2026, 2, 14)), "the Saturday before the Spring Festival")
        XCTAssertTrue(table.isRestDay(day(2026, 2, 23)), "the Spring Festival's last day, a Monday")
        XCTAssertTrue(table.isRestDay(day(2027, 1, 2)), "a Saturday of a year not yet announced")
        XCTAssertFalse(table.isRestDay(day(2027, 1, 1)), "a Friday of a year not yet announced")
    }

    func testALastDayOnARestDayMovesToTheNextWorkingDay() {
        let table = RestDays.standard
        XCTAssertEqual(table.moved(endOf(2026, 12, 8)), endOf(2026, 12, 8), "a Tuesday stays")
        XCTAssertEqual(table.moved(endOf(2026, 12, 12)), endOf(2026, 12, 14), "Saturday to Monday")
        XCTAssertEqual(table.moved(endOf(2026, 10, 2)), endOf(2026, 10, 8), "through the National Day holiday")
        XCTAssertEqual(table.moved(endOf(2026, 10, 4)), endOf(2026, 10, 8))
        XCTAssertEqual(table.moved(endOf(2026, 2, 15)), endOf(2026, 2, 24), "through the Spring Festival")
        XCTAssertEqual(table.moved(endOf(2026, 5, 9)), endOf(2026, 5, 9), "a working Saturday stays")
    }

    func testADistrictAddsAYearFromItsFile() throws {
        let file = RestDays.parsing(
            """
            # 2027 as the notice gives it
            year 2027
            holiday 2027-01-01 2027-01-03   # New Year
            working 2027-01-09
            holiday 2027-02-10
            """
        )
        let table = RestDays.standard.adding(try file.get())
        XCTAssertTrue(table.knows(year: 2027))
        XCTAssertTrue(table.isRestDay(day(2027, 1, 1)))
        XCTAssertFalse(table.isRestDay(day(2027, 1, 9)))
        XCTAssertTrue(table.isRestDay(day(2027, 2, 10)))
        XCTAssertTrue(table.isRestDay(day(2026, 10, 1)), "the built-in years stay")
    }

    func testABadFileIsRefusedNamingTheLine() {
        let cases: [(String, String)] = [
            ("year 2027\nholiday 2027-02-30", "line 2: 2027-02-30 is not a day of the calendar"),
            (
                "year 2027\nholidays 2027-01-01",
                "line 2: \"holidays\" is not year, holiday or working (a line each; # starts a comment)"
            ),
            ("holiday 2027-01-01", "line 1: 2027-01-01 lies in 2027, which no \"year\" line names"),
            (
                "year 2027\nholiday 2027-01-05 2027-01-01",
                "line 2: 2027-01-05 to 2027-01-01 is not a holiday of at most 31 days"
            ),
            ("year twenty", "line 1: \"year\" takes one year, e.g. year 2027"),
            ("year 2027\nworking 2027/01/09", "line 2: \"2027/01/09\" is not a date like 2027-01-01"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try RestDays.parsing(text).get(), text) { error in
                XCTAssertEqual((error as? RestDays.FormatError)?.description, expected)
            }
        }
    }
}

extension RestDays {
    /// A parse as a Result, for tests.
    fileprivate static func parsing(_ text: String) -> Result<RestDays, FormatError> {
        Result { () throws(FormatError) in try RestDays.parse(text) }
    }
}
