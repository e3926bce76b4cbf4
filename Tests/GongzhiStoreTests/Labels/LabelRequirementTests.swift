import GongzhiStore
import XCTest

final class LabelRequirementTests: XCTestCase {
    func testParsesEveryOperator() throws {
        let parsed = try LabelRequirement.parseSelector(
            "a=b,c!=d,e,!f,g in (x,y),h notin (z),i==j,gongzhi.org/zone=east,k="
        )
        XCTAssertEqual(
            parsed,
            [
                .equals("a", "b"), .notEquals("c", "d"), .exists("e"), .notExists("f"), .in("g", ["x", "y"]),
                .notIn("h", ["z"]), .equals("i", "j"), .equals("gongzhi.org/zone", "east"), .equals("k", ""),
            ]
        )
    }

    func testSpacesAreAllowedBetweenTokens() throws {
        let parsed = try LabelRequirement.parseSelector("  a = b , c != d ,e, ! f , g in ( x , y ) ")
        XCTAssertEqual(
            parsed,
            [.equals("a", "b"), .notEquals("c", "d"), .exists("e"), .notExists("f"), .in("g", ["x", "y"])]
        )
    }

    func testTheEmptySelectorSelectsEverything() throws {
        XCTAssertEqual(try LabelRequirement.parseSelector(""), [])
        XCTAssertEqual(try LabelRequirement.parseSelector("   "), [])
    }

    func testDescriptionParsesBackToTheSameRequirement() throws {
        let requirements: [LabelRequirement] = [
            .equals("a", "b"), .notEquals("c", "d"), .exists("e"), .notExists("f"), .in("g", ["x", "y"]),
            .notIn("h", ["z"]),
        ]
        let selector = requirements.map(\.description).joined(separator: ",")
        XCTAssertEqual(selector, "a=b,c!=d,e,!f,g in (x,y),h notin (z)")
        XCTAssertEqual(try LabelRequirement.parseSelector(selector), requirements)
    }

    func testErrorsNameTheProblemAndTheColumn() {
        let cases: [(String, String)] = [
            ("a=b,", "column 5: expected a label key, found the end of the selector"),
            (",a", "column 1: expected a label key"),
            ("a=b,,c", "column 5: expected a label key"),
            ("a in x", "column 6: expected '(' after \"a in\""),
            ("a in ()", "\"a in ()\" needs at least one value"),
            ("a in (x", "column 8: expected ',' or ')' in the values of \"a in\", found the end of the selector"),
            ("a in (x y)", "column 9: expected ',' or ')'"),
            ("!a=b", "column 3: '!a' selects objects without the key and takes no operator or value"),
            ("a b", "column 3: expected an operator after \"a\" (=, ==, !=, in, notin) or ','"),
            ("a=b c", "column 5: expected ',' before the next requirement"),
            ("a!b", "column 3: expected '=' after '!'"),
            ("a=$x", "column 3: the value \"$x\" of \"a\" has '$'"),
            ("-a=b", "column 1: the key \"-a\" does not begin and end with a letter or digit"),
            ("Gongzhi.org/a=b", "the key \"Gongzhi.org/a\" has 'G' in its prefix"),
            ("a=\(String(repeating: "v", count: 64))", "is longer than 63 characters"),
            ("a=b)", "column 4: expected ',' before the next requirement, found \")\""),
        ]
        for (selector, fragment) in cases {
            do {
                let parsed = try LabelRequirement.parseSelector(selector)
                XCTFail("\"\(selector)\" parsed as \(parsed)")
            } catch {
                XCTAssertEqual(error.code, .invalidArgument, selector)
                XCTAssertTrue(error.message.contains(fragment), "\(selector): \(error.message)")
                XCTAssertTrue(error.message.hasPrefix("label selector \"\(selector)\""), error.message)
            }
        }
    }

    func testMatchesFollowsKubernetesMeanings() {
        let labels = ["zone": "east", "tier": "gold"]
        XCTAssertTrue(LabelRequirement.equals("zone", "east").matches(labels))
        XCTAssertFalse(LabelRequirement.equals("zone", "west").matches(labels))
        XCTAssertFalse(LabelRequirement.equals("missing", "").matches(labels))
        XCTAssertTrue(LabelRequirement.notEquals("zone", "west").matches(labels))
        XCTAssertTrue(LabelRequirement.notEquals("missing", "x").matches(labels))
        XCTAssertFalse(LabelRequirement.notEquals("zone", "east").matches(labels))
        XCTAssertTrue(LabelRequirement.exists("tier").matches(labels))
        XCTAssertFalse(LabelRequirement.exists("missing").matches(labels))
        XCTAssertTrue(LabelRequirement.notExists("missing").matches(labels))
        XCTAssertFalse(LabelRequirement.notExists("tier").matches(labels))
        XCTAssertTrue(LabelRequirement.in("tier", ["silver", "gold"]).matches(labels))
        XCTAssertFalse(LabelRequirement.in("missing", ["gold"]).matches(labels))
        XCTAssertTrue(LabelRequirement.notIn("tier", ["silver"]).matches(labels))
        XCTAssertTrue(LabelRequirement.notIn("missing", ["silver"]).matches(labels))
        XCTAssertFalse(LabelRequirement.notIn("tier", ["gold"]).matches(labels))
    }
}
