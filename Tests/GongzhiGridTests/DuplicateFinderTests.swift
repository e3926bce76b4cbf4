import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiSchemas
import XCTest

final class DuplicateFinderTests: XCTestCase {
    typealias F = GridFixtures

    /// `metres` north of the fixtures' point (a degree of latitude is about 111.2 km).
    func north(_ metres: Double) -> GeoPoint {
        GeoPoint(longitude: F.tiananmen.longitude, latitude: F.tiananmen.latitude + metres / 111_195)
    }

    func existing(
        _ id: String,
        metres: Double,
        category: String = "P0115",
        at createdAtMs: Int64 = F.t0
    ) throws -> Gongzhi_Grid_V1_Case {
        try F.open(F.report(category: category, location: north(metres)), id: id, at: createdAtMs)
    }

    func original(
        of report: ReportInput = F.report(),
        at nowMs: Int64 = F.t0 + F.hour,
        among cases: [Gongzhi_Grid_V1_Case]
    ) -> String? {
        DuplicateFinder.original(of: report, at: nowMs, among: cases, catalogue: F.catalogue)?.id
    }

    func testTheNearestOpenCaseWithinTheRadius() throws {
        let cases = [
            try existing("far", metres: 60),
            try existing("thirty", metres: 30),
            try existing("ten", metres: 10),
        ]
        XCTAssertEqual(original(among: cases), "ten")
        XCTAssertEqual(original(among: [cases[0], cases[1]]), "thirty")
        XCTAssertNil(original(among: [cases[0]]))
    }

    func testTheRadiusComesFromTheCatalogue() throws {
        var catalogue = F.catalogue
        catalogue.duplicateRadiusMeters = 100
        let far = try existing("far", metres: 60)
        XCTAssertEqual(
            DuplicateFinder.original(of: F.report(), at: F.t0 + 1, among: [far], catalogue: catalogue)?.id,
            "far"
        )
    }

    func testOnlyTheSameCategory() throws {
        let cases = [
            try existing("light", metres: 5, category: "P0115"), try existing("cover", metres: 1, category: "P0101"),
        ]
        XCTAssertEqual(original(among: cases), "light")
        XCTAssertEqual(original(of: F.report(category: "P0101"), among: cases), "cover")
        XCTAssertNil(original(of: F.report(category: "E0701"), among: cases))
    }

    func testOnlyWithinTheWindow() throws {
        let old = try existing("old", metres: 5, at: F.t0)
        XCTAssertEqual(original(at: F.t0 + F.day, among: [old]), "old")  // exactly 24 h
        XCTAssertNil(original(at: F.t0 + F.day + 1, among: [old]))
        // A case "from the future" (a clock skew) is not one the report repeats.
        XCTAssertNil(original(at: F.t0 - 1, among: [old]))
    }

    func testClosedAndRejectedCasesAreIgnored() throws {
        var closed = try F.caseIn(.closed)
        closed.id = "closed"
        var rejected = try F.caseIn(.rejected)
        rejected.id = "rejected"
        var handled = try F.caseIn(.handled)
        handled.id = "handled"
        XCTAssertNil(original(among: [closed, rejected]))
        XCTAssertEqual(original(among: [closed, rejected, handled]), "handled")
    }

    func testTheOldestOfEquallyNearCases() throws {
        let cases = [
            try existing("newer", metres: 20, at: F.t0 + 30 * F.minute),
            try existing("older", metres: 20, at: F.t0),
            try existing("older-b", metres: 20, at: F.t0),
        ]
        XCTAssertEqual(original(among: cases), "older")
    }

    func testNoLocationNoDuplicate() throws {
        XCTAssertNil(original(of: F.report(location: nil), among: [try existing("here", metres: 0)]))
        // Nor a case without a location.
        let unplaced = try F.open(F.report(location: nil), id: "unplaced")
        XCTAssertNil(original(among: [unplaced]))
    }
}
