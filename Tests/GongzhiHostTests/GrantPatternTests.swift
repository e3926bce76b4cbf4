import XCTest

@testable import GongzhiHost

/// Grant patterns: what parses, what a pattern allows, and which requests an approval covers.
final class GrantPatternTests: XCTestCase {
    private func pattern(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> GrantPattern {
        do {
            return try GrantPattern(parsing: text)
        } catch {
            XCTFail("\(text) did not parse: \(error.message)", file: file, line: line)
            return GrantPattern.all
        }
    }

    private func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            let parsed = try GrantPattern(parsing: text)
            XCTFail("\(text) parsed as \(parsed)", file: file, line: line)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: Parsing

    func testValidPatterns() {
        let exact = pattern("gongzhi.grid.v1.GridService/GetCell")
        XCTAssertEqual(exact.service, "gongzhi.grid.v1.GridService")
        XCTAssertEqual(exact.method, "GetCell")
        XCTAssertEqual(exact.description, "gongzhi.grid.v1.GridService/GetCell")

        let anyMethod = pattern("gongzhi.grid.v1.GridService/*")
        XCTAssertEqual(anyMethod.service, "gongzhi.grid.v1.GridService")
        XCTAssertEqual(anyMethod.method, "*")

        let prefix = pattern("gongzhi.grid.v1.*/*")
        XCTAssertEqual(prefix.service, "gongzhi.grid.v1.*")
        XCTAssertEqual(prefix.description, "gongzhi.grid.v1.*/*")

        let prefixMethod = pattern("gongzhi.*/Health")
        XCTAssertEqual(prefixMethod.service, "gongzhi.*")
        XCTAssertEqual(prefixMethod.method, "Health")

        XCTAssertEqual(pattern("snake_case.v1.Svc_2/Do_It").method, "Do_It")
    }

    func testServiceAloneMeansAllOfItsMethods() {
        let service = pattern("gongzhi.grid.v1.GridService")
        XCTAssertEqual(service, pattern("gongzhi.grid.v1.GridService/*"))
        XCTAssertEqual(service.service, "gongzhi.grid.v1.GridService")
        XCTAssertEqual(service.method, "*")
        XCTAssertEqual(service.description, "gongzhi.grid.v1.GridService/*")
        XCTAssertTrue(service.allows(service: "gongzhi.grid.v1.GridService", method: "Anything"))

        let prefix = pattern("gongzhi.grid.v1.*")
        XCTAssertEqual(prefix, pattern("gongzhi.grid.v1.*/*"))
        XCTAssertTrue(prefix.allows(service: "gongzhi.grid.v1.GridAdmin", method: "Reset"))
        XCTAssertFalse(prefix.allows(service: "gongzhi.grid.v2.GridAdmin", method: "Reset"))
    }

    func testStarAloneIsEverything() {
        let all = pattern("*")
        XCTAssertEqual(all, GrantPattern.all)
        XCTAssertEqual(all.service, "*")
        XCTAssertEqual(all.method, "*")
        XCTAssertEqual(all.description, "*")
        XCTAssertEqual(pattern("*/*"), GrantPattern.all)
        XCTAssertEqual(pattern("*/*").description, "*")
    }

    func testInvalidPatterns() {
        for text in ["", "/Get", "gongzhi.grid.v1.GridService/", "a/b/c", "/", "gongzhi.grid.v1.G/Get/Cell"] {
            XCTAssertTrue(parseError(text)?.contains("is not a grant; write SERVICE/METHOD") ?? false, text)
        }
        XCTAssertTrue(parseError("**")?.contains("* may only end the service name") ?? false)
        XCTAssertTrue(parseError("gongzhi.*.v1")?.contains("* may only end the service name") ?? false)
        XCTAssertTrue(parseError("gongzhi.*.v1/*")?.contains("* may only end the service name") ?? false)
        XCTAssertTrue(parseError("*gongzhi/*")?.contains("* may only end the service name") ?? false)
        XCTAssertTrue(parseError("gongzhi**/*")?.contains("* may only end the service name") ?? false)
        XCTAssertTrue(parseError("gongzhi.grid.v1.Grid/Get*")?.contains("the method is a name or *") ?? false)
        XCTAssertTrue(parseError("gongzhi.grid.v1.Grid/**")?.contains("the method is a name or *") ?? false)
        for text in ["gongzhi grid/Get", "gongzhi-grid.v1.G/Get", "gongzhi.grid.v1.G/Get.Cell", "a/b c", "a;b/c"] {
            XCTAssertTrue(
                parseError(text)?.contains("has characters a service or method name cannot have") ?? false,
                text
            )
        }
    }

    // MARK: allows

    func testExactPatternAllowsOnlyItsMethod() {
        let exact = pattern("gongzhi.grid.v1.GridService/GetCell")
        XCTAssertTrue(exact.allows(service: "gongzhi.grid.v1.GridService", method: "GetCell"))
        XCTAssertFalse(exact.allows(service: "gongzhi.grid.v1.GridService", method: "SetCell"))
        XCTAssertFalse(exact.allows(service: "gongzhi.grid.v1.GridServiceX", method: "GetCell"))
        XCTAssertFalse(exact.allows(service: "gongzhi.grid.v1.Grid", method: "GetCell"))
        XCTAssertFalse(exact.allows(service: "gongzhi.grid.v1.GridService", method: "getcell"))
    }

    func testMethodStarAllowsEveryMethodOfOneService() {
        let service = pattern("gongzhi.grid.v1.GridService/*")
        XCTAssertTrue(service.allows(service: "gongzhi.grid.v1.GridService", method: "GetCell"))
        XCTAssertTrue(service.allows(service: "gongzhi.grid.v1.GridService", method: "SetCell"))
        XCTAssertFalse(service.allows(service: "gongzhi.grid.v1.GridAdmin", method: "GetCell"))
        XCTAssertFalse(service.allows(service: "gongzhi.grid.v2.GridService", method: "GetCell"))
    }

    func testPrefixPattern() {
        let prefix = pattern("gongzhi.grid.v1.*/*")
        XCTAssertTrue(prefix.allows(service: "gongzhi.grid.v1.GridService", method: "GetCell"))
        XCTAssertTrue(prefix.allows(service: "gongzhi.grid.v1.GridAdmin", method: "Reset"))
        XCTAssertFalse(prefix.allows(service: "gongzhi.grid.v2.GridService", method: "GetCell"))
        XCTAssertFalse(prefix.allows(service: "gongzhi.grid.v1", method: "GetCell"), "the dot is part of the prefix")
        XCTAssertFalse(prefix.allows(service: "gongzhi.noticeboard.v1.Board", method: "Post"))

        let prefixMethod = pattern("gongzhi.*/Health")
        XCTAssertTrue(prefixMethod.allows(service: "gongzhi.grid.v1.GridService", method: "Health"))
        XCTAssertFalse(prefixMethod.allows(service: "gongzhi.grid.v1.GridService", method: "GetCell"))
        XCTAssertFalse(prefixMethod.allows(service: "other.v1.S", method: "Health"))
    }

    func testEverythingAllowsEverything() {
        XCTAssertTrue(GrantPattern.all.allows(service: "gongzhi.grid.v1.GridService", method: "GetCell"))
        XCTAssertTrue(GrantPattern.all.allows(service: "x", method: "y"))
        let anyServiceOneMethod = pattern("*/Health")
        XCTAssertTrue(anyServiceOneMethod.allows(service: "a.b.C", method: "Health"))
        XCTAssertFalse(anyServiceOneMethod.allows(service: "a.b.C", method: "Other"))
    }

    // MARK: covers

    func testCovers() {
        let exact = pattern("gongzhi.grid.v1.GridService/GetCell")
        let service = pattern("gongzhi.grid.v1.GridService/*")
        let prefix = pattern("gongzhi.grid.v1.*/*")
        let wider = pattern("gongzhi.*/*")
        let prefixGet = pattern("gongzhi.grid.v1.*/GetCell")

        XCTAssertTrue(exact.covers(exact))
        XCTAssertFalse(exact.covers(service), "one method does not cover every method")
        XCTAssertFalse(exact.covers(pattern("gongzhi.grid.v1.GridService/SetCell")))

        XCTAssertTrue(service.covers(exact))
        XCTAssertTrue(service.covers(service))
        XCTAssertFalse(service.covers(prefix), "a service does not cover a prefix")
        XCTAssertFalse(service.covers(pattern("gongzhi.grid.v1.GridAdmin/*")))

        XCTAssertTrue(prefix.covers(exact))
        XCTAssertTrue(prefix.covers(service))
        XCTAssertTrue(prefix.covers(prefix))
        XCTAssertTrue(prefix.covers(pattern("gongzhi.grid.v1.Grid*/*")), "a narrower prefix")
        XCTAssertFalse(prefix.covers(wider))
        XCTAssertFalse(prefix.covers(pattern("gongzhi.grid.v2.GridService/*")))
        XCTAssertFalse(prefix.covers(GrantPattern.all))

        XCTAssertTrue(wider.covers(prefix))
        XCTAssertTrue(wider.covers(prefixGet))

        XCTAssertTrue(prefixGet.covers(exact))
        XCTAssertFalse(prefixGet.covers(service), "GetCell alone does not cover every method")

        XCTAssertTrue(GrantPattern.all.covers(exact))
        XCTAssertTrue(GrantPattern.all.covers(prefix))
        XCTAssertTrue(GrantPattern.all.covers(GrantPattern.all))
        XCTAssertFalse(pattern("*/GetCell").covers(GrantPattern.all))
    }

    // MARK: GrantSet

    func testEffectiveDropsRequestsNotCovered() {
        let requested = [
            pattern("gongzhi.grid.v1.GridService/*"),
            pattern("gongzhi.noticeboard.v1.Board/Post"),
            pattern("gongzhi.admin.v1.Admin/*"),
            pattern("gongzhi.grid.v1.GridAdmin/Reset"),
        ]
        let approved = [pattern("gongzhi.grid.v1.*/*"), pattern("gongzhi.noticeboard.v1.Board/Post")]
        XCTAssertEqual(
            GrantSet.effective(requested: requested, approved: approved),
            [requested[0], requested[1], requested[3]],
            "in the order requested, without the admin request"
        )
    }

    func testEffectiveNeverWidensARequest() {
        let requested = [pattern("gongzhi.grid.v1.GridService/GetCell")]
        XCTAssertEqual(GrantSet.effective(requested: requested, approved: [GrantPattern.all]), requested)
        XCTAssertEqual(
            GrantSet.effective(requested: [GrantPattern.all], approved: [pattern("gongzhi.*/*")]),
            [],
            "a request for everything needs an approval of everything"
        )
        XCTAssertEqual(GrantSet.effective(requested: [GrantPattern.all], approved: [GrantPattern.all]), [.all])
        XCTAssertEqual(GrantSet.effective(requested: requested, approved: []), [])
        XCTAssertEqual(GrantSet.effective(requested: [], approved: [GrantPattern.all]), [])
        XCTAssertEqual(
            GrantSet.effective(
                requested: [pattern("gongzhi.grid.v1.GridService/*")],
                approved: [pattern("gongzhi.grid.v1.GridService/GetCell")]
            ),
            [],
            "approving one method does not grant a request for all of them"
        )
    }

    func testGrantSetAllows() {
        let set = GrantSet([pattern("gongzhi.grid.v1.GridService/GetCell"), pattern("gongzhi.noticeboard.v1.*/*")])
        XCTAssertTrue(set.allows(service: "gongzhi.grid.v1.GridService", method: "GetCell"))
        XCTAssertTrue(set.allows(service: "gongzhi.noticeboard.v1.Board", method: "Post"))
        XCTAssertFalse(set.allows(service: "gongzhi.grid.v1.GridService", method: "SetCell"))
        XCTAssertFalse(GrantSet.none.allows(service: "a.B", method: "C"))
        XCTAssertTrue(GrantSet.everything.allows(service: "a.B", method: "C"))
    }
}
