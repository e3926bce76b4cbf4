import Foundation
import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import GongzhiHost

/// Who the host takes a caller to be (WhoAmI), and acting for a person (`gongzhi-act-as`): every administrator on
/// admin.sock, a client or plugin with the impersonate grant on host.sock, nobody else; the call then decided by
/// the person's roles and places alone, and audited naming both.
final class ActingForPersonTests: XCTestCase {
    typealias A = Administrator

    private func whoAmI(_ channel: any RPCClientChannel) async throws -> Gongzhi_Host_V1_WhoAmIResponse {
        try await Gongzhi_Host_V1_PeopleClient(channel: channel).whoAmI(Gongzhi_Host_V1_WhoAmIRequest())
    }

    /// 胡伟 (hu-wei), a grid worker of 330199001001001 who also reads the second street; 李娜 (li-na), community
    /// staff of the whole district; a resident of each street.
    private func people(_ admin: A) async throws {
        try await admin.smallDistrict()
        try await admin.person("hu-wei", "胡伟", phone: "13900000001")
        try await admin.bind("hu-wei", "grid-worker", "330199001001001")
        try await admin.bind("hu-wei", "viewer", "330199002")
        try await admin.person("li-na", "李娜", phone: "13900000002")
        try await admin.bind("li-na", "community-staff", "330199")
        for (id, grid) in [("R-1", "330199001001001"), ("R-2", "330199002001001")] {
            var resident = Gongzhi_Core_V1_Resident()
            resident.id = id
            resident.name = "居民 \(id)"
            resident.phone = "1380000000\(id.suffix(1))"
            resident.gridCode = grid
            try await admin.create("Resident", id, resident)
        }
    }

    // MARK: WhoAmI

    func testWhoAmIAnswersEveryKindOfCaller() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await people(admin)

            let administrator = try await whoAmI(host.adminChannel())
            XCTAssertEqual(administrator.principal, A.principal)
            XCTAssertEqual(administrator.kind, "admin")
            XCTAssertFalse(administrator.hasPerson)
            XCTAssertEqual(administrator.grants, [])
            XCTAssertEqual(administrator.tokenID, "")

            let clientToken = try host.issueClientToken(subject: "front-desk", scopes: ["gongzhi.host.v1.Objects/Get"])
            let client = try await whoAmI(host.hostChannel(token: clientToken))
            XCTAssertEqual(client.principal, "client:\(tokenID(clientToken))")
            XCTAssertEqual(client.kind, "client")
            XCTAssertFalse(client.hasPerson)
            XCTAssertEqual(client.tokenID, tokenID(clientToken))
            let clientRecord = try XCTUnwrap(host.tokens.list().first { $0.id == tokenID(clientToken) })
            XCTAssertEqual(client.tokenExpiresAtMs, clientRecord.expiresAtMilliseconds)

            _ = try host.admit(plugin: "hotline", services: [], requestedGrants: [])
            let plugin = try await whoAmI(try host.pluginChannel("hotline"))
            XCTAssertEqual(plugin.principal, "plugin:hotline")
            XCTAssertEqual(plugin.kind, "plugin")
            XCTAssertFalse(plugin.hasPerson)

            let personToken = try host.issuePersonToken(person: "hu-wei")
            let person = try await whoAmI(host.hostChannel(token: personToken))
            XCTAssertEqual(person.principal, "person:hu-wei")
            XCTAssertEqual(person.kind, "person")
            XCTAssertEqual(person.person.id, "hu-wei")
            XCTAssertEqual(person.person.name, "胡伟")
            XCTAssertEqual(person.person.phone, "", "their roles show no personal data of people everywhere")
            XCTAssertEqual(person.tokenID, tokenID(personToken))
            XCTAssertGreaterThan(person.tokenExpiresAtMs, 0)
            XCTAssertEqual(person.grants.map(\.role), ["grid-worker", "viewer"])
            XCTAssertEqual(person.grants.map(\.roleTitle), ["网格员", "只读"])
            XCTAssertEqual(person.grants.map(\.placeCode), ["330199001001001", "330199002"])
            XCTAssertEqual(person.grants.map(\.placeName), ["东一社区第一网格", "西街道"])
            XCTAssertEqual(person.grants.map(\.personalData), [true, false])
            let gridWorker = try XCTUnwrap(BuiltInRoles.all.first { $0.name == "grid-worker" })
            XCTAssertEqual(person.grants.first?.rules, gridWorker.rules)

            // Community staff of the whole district see people's personal data where people have no place.
            let staff = try await whoAmI(try admin.personChannel("li-na"))
            XCTAssertEqual(staff.person.phone, "13900000002")
            XCTAssertEqual(staff.grants.map(\.placeName), ["示范区"])

            let acting = try await whoAmI(admin.actingFor("hu-wei"))
            XCTAssertEqual(acting.principal, "\(A.principal) as person:hu-wei")
            XCTAssertEqual(acting.kind, "person")
            XCTAssertEqual(acting.person.id, "hu-wei")
            XCTAssertEqual(acting.grants.count, 2)
            XCTAssertEqual(acting.tokenID, "")
        }
    }

    // MARK: Administrators

    func testAnAdministratorActsForAPersonWithTheirRolesAndPlaces() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await people(admin)
            let acting = Gongzhi_Host_V1_ObjectsClient(channel: admin.actingFor("hu-wei"))
            let start = host.auditSequence
            let inside = try await acting.get("Resident", "R-1")
            XCTAssertEqual(try Gongzhi_Core_V1_Resident(serializedBytes: inside.data).phone, "13800000001")
            // The second street is theirs to read as a viewer: without personal data.
            let viewed = try await acting.get("Resident", "R-2")
            XCTAssertEqual(viewed.redactedFields, ["phone"])
            // An administrator acting for them writes only what their roles allow.
            var resident = Gongzhi_Core_V1_Resident()
            resident.name = "新居民"
            resident.gridCode = "330199001001001"
            var create = Gongzhi_Host_V1_CreateRequest()
            create.object = try A.object("Resident", "R-3", resident)
            let refused = await expectRefusal(.permissionDenied) { _ = try await acting.create(create) }
            XCTAssertEqual(
                refused?.message,
                "person hu-wei may not call gongzhi.host.v1.Objects/Create: none of their roles allows it (they hold: "
                    + "网格员 (grid-worker) in 330199001001001; 只读 (viewer) in 330199002)"
            )
            let records = host.audit(after: start)
            XCTAssertEqual(records.map(\.principal), Array(repeating: "\(A.principal) as person:hu-wei", count: 2))
            XCTAssertEqual(records.map(\.outcome), ["personal-data", "denied"])
            XCTAssertEqual(
                records.first?.detail,
                "shown phone of 1 Resident: R-1; shown by role 网格员 (grid-worker) in 330199001001001"
            )

            let ghost = await expectRefusal(.permissionDenied) { _ = try await self.whoAmI(admin.actingFor("ghost")) }
            XCTAssertEqual(
                ghost?.message,
                "\(A.principal) cannot act for person ghost: there is no person \"ghost\" (gongzhictl people list "
                    + "shows who there is)"
            )
            XCTAssertEqual(host.lastAudit?.detail, ghost?.message)
        }
    }

    // MARK: Clients and persons

    func testAClientWithoutTheImpersonateGrantMayNotNameAPerson() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await people(admin)
            let token = try host.issueClientToken(subject: "front-desk", scopes: ["gongzhi.host.v1.Objects/*"])
            let channel = host.hostChannel(token: token).addingMetadata([CallerMetadataKey.actAs: "hu-wei"])
            let start = host.auditSequence
            let refused = await expectRefusal(.permissionDenied) {
                _ = try await Gongzhi_Host_V1_ObjectsClient(channel: channel).get("Resident", "R-1")
            }
            let expected =
                "client:\(tokenID(token)) may not act for a person: it needs the grant "
                + "gongzhi.host.v1.People/Impersonate (a token scope that covers it)"
            XCTAssertEqual(refused?.message, expected)
            let records = host.audit(after: start)
            XCTAssertEqual(records.map(\.principal), ["client:\(tokenID(token))"])
            XCTAssertEqual(records.map(\.action), ["gongzhi.host.v1.Objects/Get"])
            XCTAssertEqual(records.map(\.outcome), ["denied"])
            XCTAssertEqual(records.map(\.detail), [expected])
        }
    }

    func testAClientWithTheImpersonateGrantActsWithThePersonsRolesNotItsScopes() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await people(admin)
            // Its own scopes would read every resident with personal data.
            let token = try host.issueClientToken(
                subject: "front-desk",
                scopes: [PlatformGrants.impersonate, "gongzhi.host.v1.Objects/*", ObjectGrants.personalData]
            )
            let client = "client:\(tokenID(token))"
            let own = Gongzhi_Host_V1_ObjectsClient(channel: host.hostChannel(token: token))
            let ownRead = try await own.listAll("Resident").objects
            XCTAssertEqual(ownRead.map(\.id), ["R-1", "R-2"])
            XCTAssertTrue(ownRead.allSatisfy(\.redactedFields.isEmpty))

            let channel = host.hostChannel(token: token).addingMetadata([CallerMetadataKey.actAs: "hu-wei"])
            let asPerson = Gongzhi_Host_V1_ObjectsClient(channel: channel)
            let start = host.auditSequence
            let listed = try await asPerson.listAll("Resident").objects
            XCTAssertEqual(listed.map(\.id), ["R-1", "R-2"])
            XCTAssertEqual(listed.map(\.redactedFields), [[], ["phone"]], "personal data only where a role shows it")
            await expectRefusal(.permissionDenied) {
                var update = Gongzhi_Host_V1_UpdateRequest()
                var resident = Gongzhi_Core_V1_Resident()
                resident.name = "改名"
                resident.gridCode = "330199002001001"
                update.object = try A.object("Resident", "R-2", resident)
                _ = try await asPerson.update(update)
            }
            let records = host.audit(after: start)
            XCTAssertEqual(records.map(\.principal), ["\(client) as person:hu-wei", "\(client) as person:hu-wei"])
            XCTAssertEqual(records.map(\.outcome), ["personal-data", "denied"])
            XCTAssertEqual(
                records.last?.detail,
                "Resident/R-2 would lie in 330199002001001, outside the places where person hu-wei may update "
                    + "Resident objects (网格员 (grid-worker) in 330199001001001)"
            )
            let who = try await whoAmI(channel)
            XCTAssertEqual(who.principal, "\(client) as person:hu-wei")
            XCTAssertEqual(who.person.id, "hu-wei")

            // The grant alone is enough to act for a person, who then needs no Objects scope of the client's.
            let onlyImpersonate = try host.issueClientToken(subject: "kiosk", scopes: [PlatformGrants.impersonate])
            let kiosk = Gongzhi_Host_V1_ObjectsClient(
                channel: host.hostChannel(token: onlyImpersonate).addingMetadata([CallerMetadataKey.actAs: "li-na"])
            )
            let read = try await kiosk.get("Resident", "R-2")
            XCTAssertEqual(try Gongzhi_Core_V1_Resident(serializedBytes: read.data).phone, "13800000002")
            XCTAssertEqual(host.lastAudit?.principal, "client:\(tokenID(onlyImpersonate)) as person:li-na")
        }
    }

    func testAPluginActsForAPersonOnlyWithTheImpersonateGrantApproved() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await people(admin)
            _ = try host.admit(plugin: "hotline", services: [], requestedGrants: [PlatformGrants.impersonate])
            _ = try host.admit(
                plugin: "kiosk",
                services: [],
                requestedGrants: [PlatformGrants.impersonate],
                approvedGrants: []
            )
            let hotline = try host.pluginChannel("hotline").addingMetadata([CallerMetadataKey.actAs: "hu-wei"])
            let who = try await whoAmI(hotline)
            XCTAssertEqual(who.principal, "plugin:hotline as person:hu-wei")
            XCTAssertEqual(who.grants.map(\.role), ["grid-worker", "viewer"])
            let read = try await Gongzhi_Host_V1_ObjectsClient(channel: hotline).get("Resident", "R-1")
            XCTAssertEqual(read.id, "R-1")
            XCTAssertEqual(host.lastAudit?.principal, "plugin:hotline as person:hu-wei")

            let kiosk = try host.pluginChannel("kiosk").addingMetadata([CallerMetadataKey.actAs: "hu-wei"])
            let refused = await expectRefusal(.permissionDenied) { _ = try await self.whoAmI(kiosk) }
            XCTAssertEqual(
                refused?.message,
                "plugin:kiosk may not act for a person: it needs the grant gongzhi.host.v1.People/Impersonate "
                    + "(approved in the plugin's grants in the in-process host's configuration)"
            )
        }
    }

    func testAPersonMayNotNameAnother() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await people(admin)
            let channel = try admin.personChannel("hu-wei").addingMetadata([CallerMetadataKey.actAs: "li-na"])
            let start = host.auditSequence
            let refused = await expectRefusal(.permissionDenied) {
                _ = try await Gongzhi_Host_V1_ObjectsClient(channel: channel).get("Resident", "R-2")
            }
            XCTAssertEqual(
                refused?.message,
                "person:hu-wei names person li-na to act for, but a person acts only as themselves"
            )
            let records = host.audit(after: start)
            XCTAssertEqual(records.map(\.principal), ["person:hu-wei"])
            XCTAssertEqual(records.map(\.outcome), ["denied"])
        }
    }
}
