import Foundation
import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import XCTest

/// Writes of people, roles and bindings: checked before they commit, refused naming what is wrong, and nothing of
/// a refused transaction applied. Written by an administrator on admin.sock, as `gongzhictl people` does.
final class PeopleWritesTests: XCTestCase {
    typealias A = Administrator

    func testTheBuiltInRolesAreThereAtStart() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            let roles = try await admin.objects.listAll("Role").objects
                .map { try Gongzhi_Core_V1_Role(serializedBytes: $0.data) }
            XCTAssertEqual(
                roles.map(\.name),
                [
                    "call-taker", "community-staff", "dispatcher", "grid-worker", "mediator", "redemption-clerk",
                    "resident", "street-admin", "team-leader", "viewer",
                ]
            )
            XCTAssertTrue(roles.allSatisfy(\.builtIn))
            XCTAssertEqual(roles.first { $0.name == "grid-worker" }?.title, "网格员")
        }
    }

    func testABindingIsCheckedAndTheHostSaysWhoGrantedItAndWhen() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            var binding = A.binding("hu-wei", "grid-worker", "330199001001001")
            binding.grantedBy = "someone else"
            binding.grantedAtMs = 1
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            try await admin.create("RoleBinding", "hu-wei.grid-worker.330199001001001", binding)
            let stored = try await admin.message(
                Gongzhi_Core_V1_RoleBinding.self,
                "RoleBinding",
                "hu-wei.grid-worker.330199001001001"
            )
            XCTAssertEqual(stored.id, "hu-wei.grid-worker.330199001001001")
            XCTAssertEqual(stored.grantedBy, A.principal)
            XCTAssertGreaterThanOrEqual(stored.grantedAtMs, before)
            // A person's state reads as active when unset.
            let person = try await admin.message(Gongzhi_Core_V1_Person.self, "Person", "hu-wei")
            XCTAssertEqual(person.state, .active)
            XCTAssertEqual(person.id, "hu-wei")
        }
    }

    func testATransactionThatBindsToAnUnknownRoleWritesNothing() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            let writes = [
                A.write(try A.object("Person", "hu-wei", A.person("hu-wei", "胡伟"))),
                A.write(
                    try A.object(
                        "RoleBinding",
                        "hu-wei.night-watch.330199001",
                        A.binding("hu-wei", "night-watch", "330199001")
                    )
                ),
            ]
            await expectRefusal(
                .failedPrecondition,
                "there is no role \"night-watch\" (gongzhictl roles list shows the roles there are)"
            ) {
                try await admin.txn(writes)
            }
            let people = try await admin.ids("Person")
            let bindings = try await admin.ids("RoleBinding")
            XCTAssertEqual(people, [], "the person of the refused transaction was not written")
            XCTAssertEqual(bindings, [])
            // Nor does the host take them to exist.
            await expectRefusal(.notFound) { _ = try host.issuePersonToken(person: "hu-wei") }

            // The same transaction with a role that exists writes both.
            let good = [
                writes[0],
                A.write(
                    try A.object("RoleBinding", "hu-wei.viewer.330199001", A.binding("hu-wei", "viewer", "330199001"))
                ),
            ]
            try await admin.txn(good)
            let written = try await admin.ids("RoleBinding")
            XCTAssertEqual(written, ["hu-wei.viewer.330199001"])
        }
    }

    func testABindingToAPersonOrAPlaceThatDoesNotExistIsRefused() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            await expectRefusal(
                .failedPrecondition,
                "there is no community 330199001009: a binding's place must be a Region object that exists "
                    + "(gongzhictl get Region lists them)"
            ) {
                try await admin.bind("hu-wei", "viewer", "330199001009")
            }
            await expectRefusal(
                .failedPrecondition,
                "there is no grid 330199001001009: a binding's place must be a Grid object that exists "
                    + "(gongzhictl get Grid lists them)"
            ) {
                try await admin.bind("hu-wei", "grid-worker", "330199001001009")
            }
            // A grid code held by a Region is not a grid, and a community's code held by a Grid is not a region.
            try await admin.create("Region", "330199003001001", A.region("330199003001001", "错放的网格"))
            await expectRefusal(.failedPrecondition) {
                try await admin.bind("hu-wei", "grid-worker", "330199003001001")
            }
            await expectRefusal(
                .invalidArgument,
                "\"33019900\" is not a place: a binding's place is a district (6 digits), a street (9), a community "
                    + "(12) or a grid (15)"
            ) {
                try await admin.bind("hu-wei", "viewer", "33019900")
            }
            await expectRefusal(
                .failedPrecondition,
                "there is no person \"li-na\" to bind; add them first (gongzhictl people add li-na --name …)"
            ) {
                try await admin.bind("li-na", "viewer", "330199")
            }
            let bindings = try await admin.ids("RoleBinding")
            XCTAssertEqual(bindings, [])

            // A place created in the same transaction as the binding exists for it.
            try await admin.txn([
                A.write(try A.object("Region", "330199003", A.region("330199003", "南街道"))),
                A.write(try A.object("Person", "li-na", A.person("li-na", "李娜"))),
                A.write(
                    try A.object(
                        "RoleBinding",
                        "li-na.street-admin.330199003",
                        A.binding("li-na", "street-admin", "330199003")
                    )
                ),
            ])
            let written = try await admin.ids("RoleBinding")
            XCTAssertEqual(written, ["li-na.street-admin.330199003"])
        }
    }

    func testABindingsIDIsPersonRolePlaceAndABindingIsNotChanged() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            await expectRefusal(
                .invalidArgument,
                "a role binding's id is <person>.<role>.<place>: this one should be "
                    + "\"hu-wei.viewer.330199001\", not \"hu-wei-viewer\""
            ) {
                try await admin.create("RoleBinding", "hu-wei-viewer", A.binding("hu-wei", "viewer", "330199001"))
            }
            await expectRefusal(.invalidArgument) {
                try await admin.create(
                    "RoleBinding",
                    "hu-wei.viewer.330199002",
                    A.binding("hu-wei", "viewer", "330199001")
                )
            }
            try await admin.bind("hu-wei", "viewer", "330199001")
            await expectRefusal(
                .failedPrecondition,
                "role binding hu-wei.viewer.330199001 cannot be changed: a binding is made or removed "
                    + "(gongzhictl people bind / unbind)"
            ) {
                try await admin.update(
                    "RoleBinding",
                    "hu-wei.viewer.330199001",
                    A.binding("hu-wei", "viewer", "330199001")
                )
            }
        }
    }

    func testAPersonNeedsAGoodIDAndAName() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            await expectRefusal(.invalidArgument, "person hu-wei has no name") {
                try await admin.person("hu-wei", "  ")
            }
            let badID = await expectRefusal(.invalidArgument) { try await admin.person("胡伟", "胡伟") }
            XCTAssertEqual(
                badID?.message,
                "\"胡伟\" is not a person id: 1 to 64 letters, digits, '-' or '_' (e.g. hu-wei; the name may be in "
                    + "any script)"
            )
            await expectRefusal(
                .invalidArgument,
                "Person/hu-wei: the data's id is \"li-na\"; it must be the object's id or empty"
            ) {
                try await admin.create("Person", "hu-wei", A.person("li-na", "李娜"))
            }
            let people = try await admin.ids("Person")
            XCTAssertEqual(people, [])
        }
    }

    func testARoleWithARuleThatDoesNotParseIsRefused() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            func role(_ name: String, _ rules: [Gongzhi_Core_V1_RoleRule]) -> Gongzhi_Core_V1_Role {
                RoleDefinitionTests.role(name, rules)
            }
            await expectRefusal(
                .invalidArgument,
                "role night-watch, rule 1: \"gongzhi.grid.v1.Grid*Service/*\": * may only end the service name"
            ) {
                try await admin.create(
                    "Role",
                    "night-watch",
                    role("night-watch", [RoleDefinitionTests.rule(methods: ["gongzhi.grid.v1.Grid*Service/*"])])
                )
            }
            await expectRefusal(
                .invalidArgument,
                "role night-watch, rule 1: there is no kind \"Cat\" (kinds are case-sensitive; a plugin's kinds exist "
                    + "once it registered them)"
            ) {
                try await admin.create(
                    "Role",
                    "night-watch",
                    role("night-watch", [RoleDefinitionTests.rule(kinds: ["Cat"], verbs: ["get"])])
                )
            }
            // The Kind kind is the host's record of registrations, not a kind a role names.
            await expectRefusal(.invalidArgument) {
                try await admin.create(
                    "Role",
                    "night-watch",
                    role("night-watch", [RoleDefinitionTests.rule(kinds: ["Kind"], verbs: ["get"])])
                )
            }
            await expectRefusal(
                .invalidArgument,
                "Role/night-watch: the data's name is \"day-watch\"; it must be the object's id or empty"
            ) {
                try await admin.create(
                    "Role",
                    "night-watch",
                    role("day-watch", [RoleDefinitionTests.rule(kinds: ["Resident"], verbs: ["get"])])
                )
            }
            var builtIn = role("night-watch", [RoleDefinitionTests.rule(kinds: ["Resident"], verbs: ["get"])])
            builtIn.builtIn = true
            await expectRefusal(
                .invalidArgument,
                "role night-watch: built_in is set by the host on its own roles; leave it unset"
            ) {
                try await admin.create("Role", "night-watch", builtIn)
            }
            let roles = try await admin.ids("Role")
            XCTAssertFalse(roles.contains("night-watch"))

            // A role that parses is written, and a person bound to it acts by it.
            try await admin.create(
                "Role",
                "night-watch",
                role("night-watch", [RoleDefinitionTests.rule(kinds: ["Region"], verbs: ["get", "list"])])
            )
            try await admin.place("330199", "示范区")
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "night-watch", "330199")
            let person = Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("hu-wei"))
            let region = try await person.get("Region", "330199")
            XCTAssertEqual(region.id, "330199")
        }
    }

    func testABuiltInRoleIsNeitherChangedNorDeleted() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            let stored = try await admin.require("Role", "viewer")
            var viewer = try Gongzhi_Core_V1_Role(serializedBytes: stored.data)
            viewer.personalData = true
            await expectRefusal(
                .permissionDenied,
                "role viewer is built in and cannot be changed; add a role under another name with the rules you need "
                    + "(gongzhictl roles show viewer lists its rules)"
            ) {
                try await admin.update("Role", "viewer", viewer)
            }
            await expectRefusal(.permissionDenied, "role viewer is built in and cannot be deleted") {
                try await admin.delete("Role", "viewer")
            }
            let after = try await admin.require("Role", "viewer")
            XCTAssertEqual(after.data, stored.data)
            XCTAssertEqual(after.revision, stored.revision)
        }
    }

    func testABoundRoleOrPersonIsNotDeletedUntilTheirBindingsGo() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.create(
                "Role",
                "night-watch",
                RoleDefinitionTests.role("night-watch", [RoleDefinitionTests.rule(kinds: ["Region"], verbs: ["get"])])
            )
            try await admin.person("hu-wei", "胡伟")
            try await admin.person("li-na", "李娜")
            try await admin.bind("hu-wei", "night-watch", "330199001")
            try await admin.bind("li-na", "night-watch", "330199002")
            await expectRefusal(
                .failedPrecondition,
                "role night-watch is bound 2 times (hu-wei in 330199001, li-na in 330199002); unbind them first"
            ) {
                try await admin.delete("Role", "night-watch")
            }
            await expectRefusal(
                .failedPrecondition,
                "person hu-wei holds 1 role binding; suspend them (gongzhictl people suspend hu-wei) to stop them "
                    + "acting, or unbind first"
            ) {
                try await admin.delete("Person", "hu-wei")
            }
            // Unbinding one of the two in the same transaction is not enough.
            await expectRefusal(.failedPrecondition) {
                try await admin.txn([
                    A.deletion("RoleBinding", "hu-wei.night-watch.330199001"), A.deletion("Role", "night-watch"),
                ])
            }
            let bindings = try await admin.ids("RoleBinding")
            XCTAssertEqual(bindings.count, 2, "the refused transaction unbound no one")

            // With every binding removed in the same transaction, they go.
            try await admin.txn([
                A.deletion("RoleBinding", "hu-wei.night-watch.330199001"),
                A.deletion("RoleBinding", "li-na.night-watch.330199002"),
                A.deletion("Role", "night-watch"),
                A.deletion("Person", "hu-wei"),
            ])
            let roles = try await admin.ids("Role")
            let people = try await admin.ids("Person")
            XCTAssertFalse(roles.contains("night-watch"))
            XCTAssertEqual(people, ["li-na"])
        }
    }

    func testAPlaceWithBindingsIsNotDeletedUntilTheyGo() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "viewer", "330199001")
            await expectRefusal(
                .failedPrecondition,
                "Region 330199001 is the place of 1 role binding (hu-wei as viewer); unbind them first (gongzhictl people unbind)"
            ) {
                try await admin.delete("Region", "330199001")
            }
            let regions = try await admin.ids("Region")
            XCTAssertTrue(regions.contains("330199001"), "the refused delete deleted nothing")
            // Unbound in the same transaction, the place goes.
            try await admin.txn([
                A.deletion("RoleBinding", "hu-wei.viewer.330199001"), A.deletion("Region", "330199001"),
            ])
            let left = try await admin.ids("Region")
            XCTAssertFalse(left.contains("330199001"))
        }
    }

    func testOnlyAdministratorsWritePeopleRolesAndBindings() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("sun-li", "孙丽")
            try await admin.bind("sun-li", "street-admin", "330199")
            let client = Gongzhi_Host_V1_ObjectsClient(
                channel: host.hostChannel(token: try host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*"]))
            )
            let person = Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("sun-li"))
            let actingFor = Gongzhi_Host_V1_ObjectsClient(channel: admin.actingFor("sun-li"))
            let writes: [(String, String, Gongzhi_Host_V1_Write)] = [
                ("Person", "li-na", A.write(try A.object("Person", "li-na", A.person("li-na", "李娜")))),
                (
                    "Role", "night-watch",
                    A.write(
                        try A.object(
                            "Role",
                            "night-watch",
                            RoleDefinitionTests.role(
                                "night-watch",
                                [RoleDefinitionTests.rule(kinds: ["*"], verbs: ["*"])]
                            )
                        )
                    )
                ),
                (
                    "RoleBinding", "sun-li.dispatcher.330199",
                    A.write(
                        try A.object(
                            "RoleBinding",
                            "sun-li.dispatcher.330199",
                            A.binding("sun-li", "dispatcher", "330199")
                        )
                    )
                ),
                ("RoleBinding", "sun-li.street-admin.330199", A.deletion("RoleBinding", "sun-li.street-admin.330199")),
                ("Person", "sun-li", A.deletion("Person", "sun-li")),
            ]
            let callers: [(String, Gongzhi_Host_V1_ObjectsClient)] = [
                ("client:", client), ("person:sun-li", person), ("\(A.principal) as person:sun-li", actingFor),
            ]
            for (principal, caller) in callers {
                for (kind, id, write) in writes {
                    var request = Gongzhi_Host_V1_TxnRequest()
                    request.writes = [write]
                    let error = await expectRefusal(.permissionDenied) { _ = try await caller.txn(request) }
                    let message = error?.message ?? ""
                    XCTAssertTrue(
                        message.hasPrefix(
                            "people, roles and role bindings are written by administrators on admin.sock "
                                + "(gongzhictl people, gongzhictl roles); \(principal)"
                        ),
                        "\(kind)/\(id): \(message)"
                    )
                    XCTAssertTrue(message.hasSuffix("may not write \(kind) objects"), message)
                }
            }
            let people = try await admin.ids("Person")
            let bindings = try await admin.ids("RoleBinding")
            let roles = try await admin.ids("Role")
            XCTAssertEqual(people, ["sun-li"])
            XCTAssertEqual(bindings, ["sun-li.street-admin.330199"])
            XCTAssertFalse(roles.contains("night-watch"))
        }
    }
}
