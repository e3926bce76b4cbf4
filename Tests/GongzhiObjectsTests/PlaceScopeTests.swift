import GongzhiSchemas
import GongzhiTestSeeds
import XCTest

/// Places as codes, and the scope of a caller's bindings: which places it covers, how scopes join, and how a
/// routed call carries one.
final class PlaceScopeTests: XCTestCase {
    static let district = "330199"
    static let street = "330199001"
    static let community = "330199001001"
    static let grid = "330199001001001"

    func testLevelsAreReadFromTheCodesLength() {
        XCTAssertEqual(PlaceLevel(code: Self.district), .district)
        XCTAssertEqual(PlaceLevel(code: Self.street), .street)
        XCTAssertEqual(PlaceLevel(code: Self.community), .community)
        XCTAssertEqual(PlaceLevel(code: Self.grid), .grid)
        for code in ["", "33019", "3301990", "33019900100", "3301990010010010", "33019a", "330199 01", "３３０１９９"] {
            XCTAssertNil(PlaceLevel(code: code), code)
        }
        XCTAssertEqual(PlaceLevel.allCases.map(\.chineseName), ["区", "街道", "社区", "网格"])
    }

    func testAPlaceCoversThePlacesInsideItAndNoOthers() {
        let community = PlaceScope([Self.community])
        XCTAssertTrue(community.covers(Self.community))
        XCTAssertTrue(community.covers("330199001001002"), "a community covers its grids")
        XCTAssertFalse(community.covers("330199001002001"), "not the grids of the next community")
        XCTAssertFalse(community.covers(Self.street), "not the street it lies in")
        XCTAssertFalse(community.covers(Self.district))
        XCTAssertFalse(community.covers("330288001001001"), "not another district's")

        let district = PlaceScope([Self.district])
        for inside in [Self.district, Self.street, Self.community, Self.grid, "330199009009009"] {
            XCTAssertTrue(district.covers(inside), inside)
        }
        XCTAssertFalse(district.covers("330288"))
        XCTAssertFalse(district.covers("330288001001001"))

        let grid = PlaceScope([Self.grid])
        XCTAssertTrue(grid.covers(Self.grid))
        XCTAssertFalse(grid.covers("330199001001002"))
        XCTAssertFalse(grid.covers(Self.community))
    }

    func testAnObjectWithNoPlaceLiesOnlyWithinADistrictScope() {
        XCTAssertTrue(PlaceScope([Self.district]).covers(""))
        XCTAssertTrue(PlaceScope(["330288", Self.grid]).covers(""), "any whole district")
        XCTAssertFalse(PlaceScope([Self.street]).covers(""))
        XCTAssertFalse(PlaceScope([Self.community]).covers(""))
        XCTAssertFalse(PlaceScope([Self.grid, Self.street]).covers(""))
        XCTAssertTrue(PlaceScope.everywhere.covers(""))
        XCTAssertFalse(PlaceScope.nowhere.covers(""))
    }

    func testEverywhereAndNowhere() {
        XCTAssertTrue(PlaceScope.everywhere.isEverywhere)
        XCTAssertFalse(PlaceScope.everywhere.isEmpty)
        XCTAssertNil(PlaceScope.everywhere.codes)
        XCTAssertTrue(PlaceScope.everywhere.covers(Self.grid))
        XCTAssertTrue(PlaceScope.everywhere.covers("not even a code"))

        XCTAssertTrue(PlaceScope.nowhere.isEmpty)
        XCTAssertFalse(PlaceScope.nowhere.isEverywhere)
        XCTAssertFalse(PlaceScope.nowhere.covers(Self.grid))
        XCTAssertEqual(PlaceScope([String]()), .nowhere)
    }

    func testAPlaceInsideAnotherIsDroppedAndTheCodesAreSorted() {
        let scope = PlaceScope([Self.grid, "330199002", Self.street, Self.community, Self.street, "330188001001"])
        XCTAssertEqual(scope.codes, ["330188001001", Self.street, "330199002"])
        XCTAssertEqual(PlaceScope([Self.grid, Self.district]).codes, [Self.district])
        // Siblings stay: neither is inside the other.
        XCTAssertEqual(PlaceScope(["330199001001002", Self.grid]).codes, [Self.grid, "330199001001002"])
        XCTAssertEqual(PlaceScope([Self.grid, Self.grid]), PlaceScope([Self.grid]))
    }

    func testUnion() {
        let street = PlaceScope([Self.street])
        let other = PlaceScope(["330199002001001"])
        XCTAssertEqual(street.union(other).codes, [Self.street, "330199002001001"])
        XCTAssertEqual(street.union(PlaceScope([Self.grid])), street, "a grid of the street adds nothing")
        XCTAssertEqual(street.union(PlaceScope([Self.district])).codes, [Self.district])
        XCTAssertEqual(street.union(.nowhere), street)
        XCTAssertEqual(PlaceScope.nowhere.union(street), street)
        XCTAssertEqual(street.union(.everywhere), .everywhere)
        XCTAssertEqual(PlaceScope.everywhere.union(.nowhere), .everywhere)
    }

    func testTheMetadataTextRoundTrips() {
        XCTAssertEqual(PlaceScope.everywhere.description, "*")
        XCTAssertEqual(PlaceScope(metadataValue: "*"), .everywhere)
        XCTAssertEqual(PlaceScope.nowhere.description, "")
        XCTAssertEqual(PlaceScope(metadataValue: ""), .nowhere)
        let scope = PlaceScope([Self.grid, "330199002"])
        XCTAssertEqual(scope.description, "330199001001001,330199002")
        XCTAssertEqual(PlaceScope(metadataValue: scope.description), scope)
        // Text that names a place twice, or one inside another, reads as the scope it means.
        XCTAssertEqual(PlaceScope(metadataValue: "330199001,330199001001,330199001"), PlaceScope([Self.street]))
    }

    /// Over random sets of codes from a small tree (and outside it): a scope covers exactly the places that lie
    /// in one of its codes (a place lies in the code of each level above it, and in its own), the union covers
    /// what either covers, no kept code lies in another, and the metadata text reads back as the same scope.
    func testScopesOverRandomPlaces() {
        var random = seededRandom()
        let codes = Self.codes()
        /// The codes of the places `place` lies in: itself and each of the levels above it.
        func enclosing(_ place: String) -> Set<String> {
            Set([6, 9, 12, 15].filter { $0 <= place.count }.map { String(place.prefix($0)) })
        }
        func oracle(_ chosen: [String], _ place: String) -> Bool {
            if place.isEmpty { return chosen.contains { $0.count == 6 } }
            return !enclosing(place).isDisjoint(with: chosen)
        }
        for _ in 0..<300 {
            let first = (0..<Int.random(in: 0...4, using: &random)).map { _ in codes.randomElement(using: &random)! }
            let second = (0..<Int.random(in: 0...4, using: &random)).map { _ in codes.randomElement(using: &random)! }
            let scope = PlaceScope(first)
            let other = PlaceScope(second)
            let union = scope.union(other)
            for place in codes + [""] {
                XCTAssertEqual(scope.covers(place), oracle(first, place), "\(first) covering \"\(place)\"")
                XCTAssertEqual(union.covers(place), oracle(first + second, place), "\(first) ∪ \(second)")
            }
            let kept = scope.codes ?? []
            XCTAssertEqual(kept, kept.sorted())
            for code in kept {
                XCTAssertTrue(first.contains(code))
                XCTAssertFalse(kept.contains { $0 != code && code.hasPrefix($0) }, "\(code) lies in another of \(kept)")
            }
            XCTAssertEqual(PlaceScope(metadataValue: scope.description), scope)
            XCTAssertEqual(PlaceScope(metadataValue: union.description), union)
            XCTAssertEqual(union, other.union(scope))
        }
    }

    /// Two districts, each with two streets of two communities of two grids.
    static func codes() -> [String] {
        var codes: [String] = []
        for district in ["330199", "330288"] {
            codes.append(district)
            for street in ["001", "002"] {
                codes.append(district + street)
                for community in ["001", "002"] {
                    codes.append(district + street + community)
                    for grid in ["001", "002"] { codes.append(district + street + community + grid) }
                }
            }
        }
        return codes
    }
}
