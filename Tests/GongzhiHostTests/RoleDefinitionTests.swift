import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import GongzhiHost

/// Roles as the host checks them before they are written: names, method patterns, kinds and verbs; and what a
/// parsed role allows.
final class RoleDefinitionTests: XCTestCase {
    static func role(_ name: String, _ rules: [Gongzhi_Core_V1_RoleRule]) -> Gongzhi_Core_V1_Role {
        var role = Gongzhi_Core_V1_Role()
        role.name = name
        role.rules = rules
        return role
    }

    static func rule(methods: [String] = [], kinds: [String] = [], verbs: [String] = []) -> Gongzhi_Core_V1_RoleRule {
        var rule = Gongzhi_Core_V1_RoleRule()
        rule.methods = methods
        rule.kinds = kinds
        rule.verbs = verbs
        return rule
    }

    static let isCoreKind: @Sendable (String) -> Bool = { CoreKinds.all[$0] != nil }

    private func refusal(_ role: Gongzhi_Core_V1_Role, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try RoleDefinition.parse(role, isKind: Self.isCoreKind)
            XCTFail("role \(role.name) parsed", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.code, .invalidArgument, file: file, line: line)
            return error.message
        }
    }

    func testABadPatternIsRefusedNamingTheRuleAndThePattern() {
        let good = Self.rule(methods: ["gongzhi.grid.v1.GridService/Report"])
        XCTAssertEqual(
            refusal(Self.role("desk", [good, Self.rule(methods: ["gongzhi.*.v1.GridService/Report"])])),
            "role desk, rule 2: \"gongzhi.*.v1.GridService/Report\": * may only end the service name"
        )
        XCTAssertEqual(
            refusal(Self.role("desk", [Self.rule(methods: ["a/b/c"])])),
            "role desk, rule 1: \"a/b/c\" is not a grant; write SERVICE/METHOD, e.g. \"gongzhi.grid.v1.GridService/*\""
        )
        XCTAssertEqual(
            refusal(Self.role("desk", [Self.rule(methods: ["gongzhi.grid.v1.GridService/Re*"])])),
            "role desk, rule 1: \"gongzhi.grid.v1.GridService/Re*\": the method is a name or *"
        )
    }

    func testAnUnknownKindIsRefused() {
        XCTAssertEqual(
            refusal(Self.role("reader", [Self.rule(kinds: ["Resident", "resident"], verbs: ["get"])])),
            "role reader, rule 1: there is no kind \"resident\" (kinds are case-sensitive; a plugin's kinds exist "
                + "once it registered them)"
        )
    }

    func testAnUnknownVerbIsRefused() {
        XCTAssertEqual(
            refusal(Self.role("reader", [Self.rule(kinds: ["Resident"], verbs: ["get", "read"])])),
            "role reader, rule 1: \"read\" is not a verb; use get, list, watch, create, update, delete or *"
        )
    }

    func testKindsAndVerbsGoTogether() {
        let expected =
            "role reader, rule 1: kinds and verbs go together (e.g. kinds Case,Resident with verbs get,list)"
        XCTAssertEqual(refusal(Self.role("reader", [Self.rule(kinds: ["Resident"])])), expected)
        XCTAssertEqual(
            refusal(Self.role("reader", [Self.rule(methods: ["gongzhi.grid.v1.*"], verbs: ["get"])])),
            expected
        )
        XCTAssertEqual(refusal(Self.role("reader", [Self.rule()])), "role reader, rule 1 names no methods and no kinds")
    }

    func testARoleNameIsLettersDigitsDashesAndUnderscores() {
        for name in ["", "网格员", "grid worker", "a.b", String(repeating: "a", count: 65)] {
            let message = refusal(Self.role(name, [Self.rule(kinds: ["*"], verbs: ["get"])]))
            XCTAssertTrue(message?.hasPrefix("\"\(name)\" is not a role name") ?? false, message ?? name)
        }
        XCTAssertNoThrow(
            try RoleDefinition.parse(
                Self.role(String(repeating: "a", count: 64), [Self.rule(kinds: ["*"], verbs: ["get"])]),
                isKind: Self.isCoreKind
            )
        )
    }

    func testWhatAParsedRoleAllows() throws {
        var message = Self.role(
            "desk",
            [
                Self.rule(methods: ["gongzhi.grid.v1.GridService/Report", "gongzhi.points.v1.*"]),
                Self.rule(kinds: ["Resident", "Household"], verbs: ["get", "list"]),
                Self.rule(kinds: ["*"], verbs: ["watch"]),
                Self.rule(kinds: ["Building"], verbs: ["*"]),
            ]
        )
        message.title = "前台"
        let role = try RoleDefinition.parse(message, isKind: Self.isCoreKind)
        XCTAssertTrue(role.allowsMethod(service: "gongzhi.grid.v1.GridService", method: "Report"))
        XCTAssertFalse(role.allowsMethod(service: "gongzhi.grid.v1.GridService", method: "Close"))
        XCTAssertTrue(role.allowsMethod(service: "gongzhi.points.v1.Ledger", method: "Redeem"))
        XCTAssertTrue(role.allows(.get, kind: "Resident"))
        XCTAssertTrue(role.allows(.list, kind: "Household"))
        XCTAssertFalse(role.allows(.update, kind: "Resident"))
        XCTAssertFalse(role.allows(.get, kind: "Grid"))
        XCTAssertTrue(role.allows(.watch, kind: "Grid"), "* is every kind")
        for verb in ObjectVerb.allCases { XCTAssertTrue(role.allows(verb, kind: "Building"), "* is every verb") }
        XCTAssertTrue(role.allowsOnSomeKind(.delete))
        XCTAssertEqual(role.displayName, "前台 (desk)")
        XCTAssertFalse(role.personalData)

        let methodsOnly = try RoleDefinition.parse(
            Self.role("caller", [Self.rule(methods: ["gongzhi.grid.v1.GridService/*"])]),
            isKind: Self.isCoreKind
        )
        XCTAssertFalse(methodsOnly.allowsOnSomeKind(.get))
        XCTAssertEqual(methodsOnly.displayName, "caller")
    }

    func testTheBuiltInRolesParseAndAreMarkedBuiltIn() throws {
        XCTAssertEqual(
            BuiltInRoles.all.map(\.name),
            [
                "grid-worker", "community-staff", "dispatcher", "call-taker", "mediator", "redemption-clerk",
                "team-leader", "resident", "street-admin", "viewer",
            ]
        )
        XCTAssertEqual(
            BuiltInRoles.all.map(\.title),
            ["网格员", "社区工作者", "调度员", "受理员", "调解员", "积分兑换点", "团队负责人", "居民", "街道管理员", "只读"]
        )
        // Their kinds are the core kinds and the grid module's Case.
        let known: (String) -> Bool = { Self.isCoreKind($0) || $0 == "Case" }
        for message in BuiltInRoles.all {
            XCTAssertTrue(message.builtIn, message.name)
            let role = try RoleDefinition.parse(message, isKind: known)
            XCTAssertTrue(role.allowsOnSomeKind(.get) || role.allowsOnSomeKind(.list), message.name)
        }
        let viewer = try RoleDefinition.parse(try XCTUnwrap(BuiltInRoles.all.last), isKind: known)
        XCTAssertFalse(viewer.personalData)
        XCTAssertFalse(viewer.allowsOnSomeKind(.update))
    }

    /// A person's access: the scope of the bindings whose role allows a verb on a kind, and where personal data
    /// is shown.
    func testAPersonsScopesAreTheUnionOfTheirBindingsThatAllow() throws {
        let known: (String) -> Bool = { Self.isCoreKind($0) || $0 == "Case" }
        let roles = try Dictionary(
            uniqueKeysWithValues: BuiltInRoles.all.map { ($0.name, try RoleDefinition.parse($0, isKind: known)) }
        )
        var person = Gongzhi_Core_V1_Person()
        person.id = "hu-wei"
        let access = PersonAccess(
            person: person,
            bindings: [
                .init(role: try XCTUnwrap(roles["grid-worker"]), place: "330199001001001"),
                .init(role: try XCTUnwrap(roles["viewer"]), place: "330199002"),
                .init(role: try XCTUnwrap(roles["redemption-clerk"]), place: "330199001002"),
            ]
        )
        XCTAssertEqual(
            access.scope(.get, kind: "Resident"),
            PlaceScope(["330199001001001", "330199002", "330199001002"])
        )
        XCTAssertEqual(access.scope(.watch, kind: "Resident"), PlaceScope(["330199001001001", "330199002"]))
        XCTAssertEqual(access.scope(.update, kind: "Resident"), PlaceScope(["330199001001001"]))
        XCTAssertEqual(access.scope(.delete, kind: "Resident"), .nowhere)
        XCTAssertEqual(access.personalDataScope(kind: "Resident"), PlaceScope(["330199001001001"]))
        XCTAssertEqual(access.personalDataScope(kind: "Region"), PlaceScope(["330199001001001"]))
        XCTAssertEqual(
            access.deciding(.get, kind: "Resident", place: "330199002001001").map(\.description),
            ["只读 (viewer) in 330199002"]
        )
        XCTAssertEqual(
            access.summary,
            "网格员 (grid-worker) in 330199001001001; 只读 (viewer) in 330199002; 积分兑换点 (redemption-clerk) in 330199001002"
        )
        XCTAssertEqual(access.summary(.delete, kind: "Resident"), "no role that allows it")
        let report = try XCTUnwrap(access.methodGrant(service: "gongzhi.grid.v1.GridService", method: "Report"))
        XCTAssertEqual(report.roles, ["grid-worker"])
        XCTAssertEqual(report.places, PlaceScope(["330199001001001"]))
        let stats = try XCTUnwrap(access.methodGrant(service: "gongzhi.grid.v1.GridService", method: "Stats"))
        XCTAssertEqual(stats.roles, ["grid-worker", "viewer"])
        XCTAssertNil(access.methodGrant(service: "gongzhi.grid.v1.GridService", method: "Close"))
        XCTAssertEqual(stats.personalData, PlaceScope(["330199001001001"]), "the viewer shows none")
        // Worked out once, the same the second time.
        let again = try XCTUnwrap(access.methodGrant(service: "gongzhi.grid.v1.GridService", method: "Stats"))
        XCTAssertEqual(again.roles, stats.roles)
        XCTAssertEqual(again.places, stats.places)
    }

    /// A confidential kind's personal data is shown only by a role that names the kind: community staff, who read
    /// every kind and see personal data, read a dispute without it; a role that names Dispute sees it.
    func testAConfidentialKindsPersonalDataNeedsARoleThatNamesIt() throws {
        let known: (String) -> Bool = { Self.isCoreKind($0) || $0 == "Dispute" }
        let staff = try RoleDefinition.parse(
            try XCTUnwrap(BuiltInRoles.all.first { $0.name == "community-staff" }),
            isKind: known
        )
        var named = Gongzhi_Core_V1_Role()
        named.name = "mediation-clerk"
        named.personalData = true
        named.rules = [
            .with {
                $0.kinds = ["Dispute"]
                $0.verbs = ["get", "list"]
            }
        ]
        let clerk = try RoleDefinition.parse(named, isKind: known)
        XCTAssertTrue(staff.allows(.get, kind: "Dispute"))
        XCTAssertFalse(staff.allows(.get, kind: "Dispute", byName: true))
        XCTAssertTrue(clerk.allows(.get, kind: "Dispute", byName: true))

        var person = Gongzhi_Core_V1_Person()
        person.id = "li-na"
        let access = PersonAccess(
            person: person,
            bindings: [.init(role: staff, place: "330199001001"), .init(role: clerk, place: "330199001002")]
        )
        XCTAssertEqual(access.scope(.get, kind: "Dispute"), PlaceScope(["330199001001", "330199001002"]))
        XCTAssertEqual(
            access.personalDataScope(kind: "Dispute"),
            PlaceScope(["330199001001", "330199001002"]),
            "an ordinary kind: every role that reads it and shows personal data"
        )
        XCTAssertEqual(access.personalDataScope(kind: "Dispute", confidential: true), PlaceScope(["330199001002"]))
    }
}
