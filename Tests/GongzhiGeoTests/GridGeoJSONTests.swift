import Foundation
import GongzhiGeo
import XCTest

final class GridGeoJSONTests: XCTestCase {
    private func parse(_ text: String) throws(GridGeoJSONError) -> [GridFeature] {
        try GridGeoJSON.parse(Array(text.utf8), name: "grids.geojson")
    }

    private func problems(_ text: String) -> [GridGeoJSONError.Problem] {
        do {
            let grids = try parse(text)
            XCTFail("expected problems, parsed \(grids.count) grids")
            return []
        } catch {
            return error.problems
        }
    }

    /// A feature on lines of its own, starting with the line `{`; `geometry` is the geometry's JSON.
    private func feature(_ code: String, _ geometry: String, extra: String = "") -> String {
        """
        {
          "type": "Feature",
          "properties": {"code": "\(code)", "name": "Grid \(code.suffix(3))"\(extra)},
          "geometry": \(geometry)
        }
        """
    }

    private func collection(_ features: [String]) -> String {
        "{\"type\": \"FeatureCollection\", \"features\": [\n" + features.joined(separator: ",\n") + "\n]}\n"
    }

    private let square = """
        {"type": "Polygon", "coordinates": [[
            [116.0, 39.9],
            [116.01, 39.9],
            [116.01, 39.91],
            [116.0, 39.91],
            [116.0, 39.9]
          ]]}
        """

    func testValidFile() throws {
        let multi = """
            {"type": "MultiPolygon", "coordinates": [[[
              [116.01, 39.9, 50], [116.02, 39.9], [116.02, 39.91], [116.01, 39.9]
            ]]]}
            """
        let grids = try parse(
            collection([
                feature("110105001002001", square),
                feature("110105001002002", multi, extra: ", \"community_code\": \"110105001002\""),
            ])
        )
        XCTAssertEqual(grids.map(\.code), ["110105001002001", "110105001002002"])
        XCTAssertEqual(grids.map(\.name), ["Grid 001", "Grid 002"])
        XCTAssertEqual(grids.map(\.communityCode), ["110105001002", "110105001002"])
        XCTAssertEqual(grids.map(\.line), [2, 13])
        XCTAssertEqual(grids[0].polygon.outer.count, 5)
        XCTAssertEqual(grids[0].polygon.outer[1], point(116.01, 39.9))
        XCTAssertEqual(grids[1].polygon.outer[0], point(116.01, 39.9))
        XCTAssertTrue(grids[0].polygon.contains(point(116.005, 39.905)))
    }

    func testMalformedJSON() {
        let text = collection([feature("110105001002001", square)]).replacingOccurrences(
            of: "[116.01, 39.91]",
            with: "[116.01 39.91]"
        )
        let found = problems(text)
        XCTAssertEqual(found.map(\.code), [.malformedJSON])
        XCTAssertEqual(
            found.map(\.description),
            [
                "grids.geojson:8:13: malformed JSON: expected ',' or ']' after a list item"
            ]
        )
    }

    func testNotAFeatureCollection() {
        XCTAssertEqual(
            problems("[]").map(\.description),
            [
                "grids.geojson:1: expected a GeoJSON FeatureCollection object, found an array"
            ]
        )
        XCTAssertEqual(
            problems("{\n\"type\": \"Feature\"}").map(\.description),
            [
                "grids.geojson:2: expected \"type\": \"FeatureCollection\", found \"Feature\""
            ]
        )
        XCTAssertEqual(
            problems("{\"type\": \"FeatureCollection\",\n\"features\": {}}").map(\.description),
            [
                "grids.geojson:2: expected \"features\" to be an array, found an object"
            ]
        )
    }

    func testStructuralErrorsAreCollectedWithTheirLines() {
        let lineString = "{\"type\": \"LineString\", \"coordinates\": [[116.0, 39.9], [116.1, 39.9]]}"
        let stringCoordinate = square.replacingOccurrences(of: "[116.01, 39.91]", with: "[116.01, \"39.91\"]")
        let text = collection([
            feature("110105001002001", lineString),
            feature("110105001002002", stringCoordinate),
            """
            {
              "type": "Feature",
              "properties": {"name": "no code"},
              "geometry": \(square)
            }
            """,
            "42",
        ])
        let found = problems(text)
        XCTAssertEqual(found.map(\.code), [.invalidStructure, .invalidStructure, .invalidStructure, .invalidStructure])
        XCTAssertEqual(
            found.map(\.description),
            [
                "grids.geojson:5: feature 0 (code 110105001002001): expected the geometry to be a Polygon "
                    + "(or a MultiPolygon of one polygon), found \"LineString\"",
                "grids.geojson:13: feature 1 (code 110105001002002): expected a number in a position, found \"39.91\"",
                "grids.geojson:20: feature 2: properties.code is missing: expected a string, found nothing",
                "grids.geojson:29: feature 3: expected a Feature object, found a number",
            ]
        )
    }

    func testDuplicateCodes() {
        let found = problems(collection([feature("110105001002001", square), feature("110105001002001", square)]))
        XCTAssertEqual(
            found.map(\.description),
            [
                "grids.geojson:15: feature 1 (code 110105001002001): "
                    + "duplicate code: feature 0 on line 4 has the same code"
            ]
        )
    }

    func testBowtiePolygon() {
        let bowtie = """
            {"type": "Polygon", "coordinates": [[
                [0, 0],
                [2, 2],
                [2, 0],
                [0, 2],
                [0, 0]
              ]]}
            """
        let found = problems(collection([feature("110105001002001", bowtie)]))
        XCTAssertEqual(found.map(\.code), [.invalidGrid])
        XCTAssertEqual(found.first?.validation?.code, .selfIntersection)
        XCTAssertEqual(
            found.map(\.description),
            [
                "grids.geojson:6: feature 0 (code 110105001002001): "
                    + "outer ring intersects itself: edges 0 and 2 cross at (1.0, 1.0)"
            ]
        )
    }

    func testUnclosedRingAndBadCodes() {
        let open = """
            {"type": "Polygon", "coordinates": [[
                [116.0, 39.9],
                [116.01, 39.9],
                [116.01, 39.91],
                [116.0, 39.91]
              ]]}
            """
        let found = problems(
            collection([
                feature("110105001002001", open),
                feature("1101050010020", square, extra: ", \"community_code\": \"110105009009\""),
            ])
        )
        XCTAssertEqual(found.map(\.validation?.code), [.ringNotClosed, .invalidGridCode])
        guard found.count == 2 else { return }
        XCTAssertEqual(found[0].line, 9)
        XCTAssertTrue(
            found[0].description.hasPrefix(
                "grids.geojson:9: feature 0 (code 110105001002001): outer ring is not closed"
            ),
            found[0].description
        )
        XCTAssertEqual(found[1].line, 14)  // the line of properties.code
        let disagreeing = problems(
            collection([feature("110105001002001", square, extra: ", \"community_code\": \"110105009009\"")])
        )
        XCTAssertEqual(disagreeing.map(\.validation?.code), [.codesDisagree])
    }
}
