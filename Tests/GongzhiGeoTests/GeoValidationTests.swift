import GongzhiGeo
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class GeoValidationTests: XCTestCase {
    private func codes(_ polygon: GeoPolygon) -> [GeoValidation.Problem.Code] {
        GeoValidation.problems(in: polygon).map(\.code)
    }

    func testValidPolygons() {
        XCTAssertEqual(GeoValidation.problems(in: GeoPolygon(outer: rectangle(0, 0, 10, 10))), [])
        // Concave, with a repeated point and a hole touching the outer ring at one vertex.
        let concave = ring([(0, 0), (10, 0), (10, 10), (5, 3), (5, 3), (0, 10)])
        XCTAssertEqual(GeoValidation.problems(in: GeoPolygon(outer: concave)), [])
        let touching = GeoPolygon(outer: rectangle(0, 0, 10, 10), holes: [ring([(0, 5), (3, 4), (3, 6)])])
        XCTAssertEqual(GeoValidation.problems(in: touching), [])
        let withHole = GeoPolygon(outer: rectangle(0, 0, 10, 10), holes: [rectangle(4, 4, 6, 6)])
        XCTAssertEqual(GeoValidation.problems(in: withHole), [])
    }

    func testRingNotClosed() {
        let open = Array(rectangle(116, 39, 117, 40).dropLast())
        let problems = GeoValidation.problems(in: GeoPolygon(outer: open))
        XCTAssertEqual(problems.map(\.code), [.ringNotClosed])
        XCTAssertEqual(problems[0].ring, .outer)
        XCTAssertEqual(problems[0].pointIndex, 3)
        XCTAssertEqual(
            problems[0].message,
            "outer ring is not closed: its first point (116.0, 39.0) differs from its last point (116.0, 40.0)"
        )
    }

    func testTooFewPoints() {
        let problems = GeoValidation.problems(in: GeoPolygon(outer: ring([(0, 0), (1, 1)])))
        XCTAssertEqual(problems.map(\.code), [.tooFewPoints])
        XCTAssertTrue(problems[0].message.contains("has 3 points"), problems[0].message)
        XCTAssertEqual(codes(GeoPolygon(outer: [])), [.tooFewPoints])
    }

    func testInvalidCoordinates() {
        let problems = GeoValidation.problems(
            in: GeoPolygon(outer: ring([(0, 0), (181, 0), (1, .nan), (0, 1)]))
        )
        XCTAssertEqual(problems.map(\.code), [.invalidCoordinate, .invalidCoordinate])
        XCTAssertEqual(problems.map(\.pointIndex), [1, 2])
        XCTAssertTrue(problems[0].message.contains("out of range"), problems[0].message)
        XCTAssertTrue(problems[1].message.contains("not a finite number"), problems[1].message)
        let many = GeoPolygon(outer: (0..<30).map { point(200 + Double($0), 0) } + [point(200, 0)])
        XCTAssertEqual(codes(many).count, GeoValidation.maximumProblemsPerKind + 1)
    }

    func testBowtie() {
        let problems = GeoValidation.problems(in: GeoPolygon(outer: ring([(0, 0), (2, 2), (2, 0), (0, 2)])))
        XCTAssertEqual(problems.map(\.code), [.selfIntersection])
        XCTAssertEqual(problems[0].message, "outer ring intersects itself: edges 0 and 2 cross at (1.0, 1.0)")
        XCTAssertEqual(problems[0].pointIndex, 0)
    }

    func testSelfTouchingAndFoldingBack() {
        // The ring passes through (5, 5) twice.
        let pinched = ring([(0, 0), (5, 5), (10, 0), (10, 10), (5, 5), (0, 10)])
        let problems = GeoValidation.problems(in: GeoPolygon(outer: pinched))
        XCTAssertEqual(
            problems.map(\.code),
            [.selfIntersection, .selfIntersection, .selfIntersection, .selfIntersection]
        )
        XCTAssertTrue(problems[0].message.contains("touch at (5.0, 5.0)"), problems[0].message)
        // A spike: adjacent edges going back over each other.
        let spike = ring([(0, 0), (10, 0), (10, 10), (10, 15), (10, 12), (0, 10)])
        let spikeProblems = GeoValidation.problems(in: GeoPolygon(outer: spike))
        XCTAssertEqual(spikeProblems.map(\.code), [.selfIntersection, .selfIntersection])
        XCTAssertTrue(spikeProblems.contains { $0.message.contains("edges 2 and 3 overlap") }, "\(spikeProblems)")
    }

    func testZeroArea() {
        let problems = GeoValidation.problems(in: GeoPolygon(outer: ring([(0, 0), (1, 1), (2, 2), (3, 3)])))
        XCTAssertEqual(problems.map(\.code), [.zeroArea])
        XCTAssertEqual(codes(GeoPolygon(outer: ring([(1, 1), (1, 1), (1, 1), (1, 1)]))), [.zeroArea])
    }

    func testHoleOutsideOuter() {
        let polygon = GeoPolygon(
            outer: rectangle(0, 0, 10, 10),
            holes: [rectangle(4, 4, 6, 6), rectangle(20, 20, 21, 21)]
        )
        let problems = GeoValidation.problems(in: polygon)
        XCTAssertEqual(problems.map(\.code), [.holeOutsideOuter])
        XCTAssertEqual(problems[0].ring, .hole(1))
        XCTAssertTrue(problems[0].message.hasPrefix("hole 2 is outside the outer ring"), problems[0].message)
    }

    func testHoleCrossingOuter() {
        let polygon = GeoPolygon(outer: rectangle(0, 0, 10, 10), holes: [rectangle(5, 5, 15, 15)])
        let problems = GeoValidation.problems(in: polygon)
        XCTAssertEqual(problems.map(\.code), [.holeCrossesOuter, .holeCrossesOuter])
        XCTAssertEqual(
            problems[0].message,
            "hole 1 crosses the outer ring: its edge 0 and the outer ring's edge 1 cross at (10.0, 5.0)"
        )
    }

    func testLargeRingsAreCheckedQuickly() {
        let count = 10_000
        let circle = (0..<count).map { k in
            let angle = 2 * Double.pi * Double(k) / Double(count)
            return point(116.4 + 0.01 * cos(angle), 39.9 + 0.01 * sin(angle))
        }
        let start = ContinuousClock.now
        XCTAssertEqual(GeoValidation.problems(in: GeoPolygon(outer: circle + [circle[0]])), [])
        // Swap two points far apart: the ring now crosses itself.
        var crossed = circle
        crossed.swapAt(100, 5_100)
        let problems = GeoValidation.problems(in: GeoPolygon(outer: crossed + [crossed[0]]))
        XCTAssertFalse(problems.isEmpty)
        XCTAssertTrue(problems.allSatisfy { $0.code == .selfIntersection })
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
    }

    func testGridCodes() {
        XCTAssertNil(GeoValidation.problem(gridCode: "110105001002003"))
        for bad in ["11010500100200", "1101050010020034", "11010500100200A", "１１０１０５００１００２００３", ""] {
            XCTAssertEqual(GeoValidation.problem(gridCode: bad)?.code, .invalidGridCode, bad)
        }
        XCTAssertNil(GeoValidation.problem(communityCode: "110105001002"))
        XCTAssertEqual(GeoValidation.problem(communityCode: "11010500100")?.code, .invalidCommunityCode)
        XCTAssertTrue(GeoValidation.agrees(gridCode: "110105001002003", communityCode: "110105001002"))
        XCTAssertFalse(GeoValidation.agrees(gridCode: "110105001002003", communityCode: "110105001003"))
        XCTAssertFalse(GeoValidation.agrees(gridCode: "11010500100200", communityCode: "110105001002"))
        XCTAssertFalse(GeoValidation.agrees(gridCode: "110105001002003", communityCode: "1101050010020"))
        XCTAssertTrue(GeoValidation.agrees(communityCode: "110105001002", streetCode: "110105001"))
        XCTAssertFalse(GeoValidation.agrees(communityCode: "110105001002", streetCode: "110105002"))
    }
}
