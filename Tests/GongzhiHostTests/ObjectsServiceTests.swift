import Foundation
import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf
import XCTest

/// Personal data on every read path of the Objects service — Get, List, Watch, and the answers of Create,
/// Update and Txn: removed for a caller without the personal-data grant (and listed in `redacted_fields`),
/// shown to one with it, and every read that shows it audited. Run in-process against the real service.
final class ObjectsServiceTests: XCTestCase {
    static let objectsScope = "gongzhi.host.v1.Objects/*"

    /// A resident; `withPersonalData` fills the ID number and the phone.
    static func resident(_ id: String, withPersonalData: Bool) throws -> Gongzhi_Host_V1_Object {
        var resident = Gongzhi_Core_V1_Resident()
        resident.id = id
        resident.name = "居民 \(id)"
        if withPersonalData {
            resident.idCardNumber = "33010219800101\(id.suffix(4))"
            resident.phone = "1390000\(id.suffix(4))"
        }
        var object = Gongzhi_Host_V1_Object()
        object.kind = "Resident"
        object.id = id
        object.labels = ["compound": "c1"]
        object.data = try resident.serializedBytes()
        return object
    }

    static func decode(_ object: Gongzhi_Host_V1_Object) throws -> Gongzhi_Core_V1_Resident {
        try Gongzhi_Core_V1_Resident(serializedBytes: object.data)
    }

    /// R-0001 and R-0003 hold personal data, R-0002 none; written by an administrator.
    func createResidents(_ host: InProcessHost) async throws -> Gongzhi_Host_V1_ObjectsClient {
        let admin = Gongzhi_Host_V1_ObjectsClient(channel: host.adminChannel())
        for (id, personal) in [("R-0001", true), ("R-0002", false), ("R-0003", true)] {
            var request = Gongzhi_Host_V1_CreateRequest()
            request.object = try Self.resident(id, withPersonalData: personal)
            _ = try await admin.create(request)
        }
        return admin
    }

    /// An API client with the Objects methods, and the personal-data grant when `trusted`.
    func client(_ host: InProcessHost, trusted: Bool) throws -> (Gongzhi_Host_V1_ObjectsClient, principal: String) {
        let scopes = trusted ? [Self.objectsScope, ObjectGrants.personalData] : [Self.objectsScope]
        let token = try host.issueClientToken(subject: trusted ? "clerk" : "volunteer", scopes: scopes)
        let id = token.dropFirst(4).prefix { $0 != "_" }
        return (Gongzhi_Host_V1_ObjectsClient(channel: host.hostChannel(token: token)), "client:\(id)")
    }

    func get(_ client: Gongzhi_Host_V1_ObjectsClient, _ id: String) async throws -> Gongzhi_Host_V1_Object {
        var request = Gongzhi_Host_V1_GetRequest()
        request.kind = "Resident"
        request.id = id
        return try await client.get(request)
    }

    /// The audit records of reads that showed personal data, since `sequence`.
    func personalDataReads(_ host: InProcessHost, after sequence: UInt64) -> [AuditRecord] {
        host.audit(after: sequence).filter { $0.outcome == "personal-data" }
    }

    // MARK: Get and List

    func testGetAndListRemovePersonalDataWithoutTheGrantAndAuditItsReadsWithTheGrant() async throws {
        try await withInProcessHost { host in
            _ = try await createResidents(host)
            let (volunteer, _) = try client(host, trusted: false)
            let (clerk, clerkName) = try client(host, trusted: true)

            var start = host.auditSequence
            let hidden = try await get(volunteer, "R-0001")
            XCTAssertEqual(hidden.redactedFields, ["id_card_number", "phone"])
            XCTAssertEqual(try Self.decode(hidden).phone, "")
            XCTAssertEqual(try Self.decode(hidden).idCardNumber, "")
            XCTAssertEqual(try Self.decode(hidden).name, "居民 R-0001")
            var listRequest = Gongzhi_Host_V1_ListRequest()
            listRequest.kind = "Resident"
            let hiddenList = try await volunteer.list(listRequest)
            XCTAssertEqual(
                hiddenList.objects.map(\.redactedFields),
                [["id_card_number", "phone"], [], ["id_card_number", "phone"]]
            )
            XCTAssertTrue(try hiddenList.objects.allSatisfy { try Self.decode($0).phone.isEmpty })
            XCTAssertEqual(personalDataReads(host, after: start), [], "nothing personal was shown")

            start = host.auditSequence
            let shown = try await get(clerk, "R-0001")
            XCTAssertEqual(shown.redactedFields, [])
            XCTAssertEqual(try Self.decode(shown).phone, "13900000001")
            // A resident without personal data shows none, and its read is not audited.
            _ = try await get(clerk, "R-0002")
            let shownList = try await clerk.list(listRequest)
            XCTAssertEqual(try shownList.objects.map { try Self.decode($0).phone }, ["13900000001", "", "13900000003"])
            let reads = personalDataReads(host, after: start)
            XCTAssertEqual(reads.map(\.principal), [clerkName, clerkName])
            XCTAssertEqual(reads.map(\.action), ["gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List"])
            XCTAssertEqual(reads.map(\.target), ["Resident/R-0001", "Resident"])
            XCTAssertEqual(
                reads.map(\.detail),
                [
                    "shown id_card_number, phone of 1 Resident: R-0001",
                    "shown id_card_number, phone of 2 Resident: R-0001 R-0003",
                ]
            )
        }
    }

    // MARK: Watch

    func testWatchEventsArePresentedLikeReads() async throws {
        try await withInProcessHost { host in
            _ = try await createResidents(host)
            let (volunteer, _) = try client(host, trusted: false)
            let (clerk, clerkName) = try client(host, trusted: true)
            var request = Gongzhi_Host_V1_WatchRequest()
            request.kind = "Resident"

            func firstThree(_ client: Gongzhi_Host_V1_ObjectsClient) async throws -> [Gongzhi_Host_V1_WatchEvent] {
                try await client.watch(request) { events in
                    var seen: [Gongzhi_Host_V1_WatchEvent] = []
                    for try await event in events {
                        seen.append(event)
                        if seen.count == 3 { break }
                    }
                    return seen
                }
            }

            var start = host.auditSequence
            let hidden = try await firstThree(volunteer)
            XCTAssertEqual(hidden.map(\.object.id), ["R-0001", "R-0002", "R-0003"])
            XCTAssertEqual(hidden.map(\.type), [.added, .added, .added])
            XCTAssertEqual(
                hidden.map(\.object.redactedFields),
                [["id_card_number", "phone"], [], ["id_card_number", "phone"]]
            )
            XCTAssertTrue(try hidden.allSatisfy { try Self.decode($0.object).idCardNumber.isEmpty })
            XCTAssertEqual(personalDataReads(host, after: start), [])

            start = host.auditSequence
            let shown = try await firstThree(clerk)
            XCTAssertEqual(
                try shown.map { try Self.decode($0.object).idCardNumber },
                ["330102198001010001", "", "330102198001010003"]
            )
            let reads = personalDataReads(host, after: start)
            XCTAssertFalse(reads.isEmpty)
            XCTAssertTrue(
                reads.allSatisfy { $0.principal == clerkName && $0.action == "gongzhi.host.v1.Objects/Watch" }
            )
            // Each event the watcher saw with personal data is named in the audit.
            let named = reads.map(\.detail).joined(separator: " ")
            XCTAssertTrue(named.contains("R-0001") && named.contains("R-0003") && !named.contains("R-0002"), named)
        }
    }

    // MARK: Answers of writes

    func testTxnAnswersAreRedactedWithoutTheGrantAndDeletedObjectsAuditedWithIt() async throws {
        try await withInProcessHost { host in
            _ = try await createResidents(host)
            let (volunteer, _) = try client(host, trusted: false)
            let (clerk, clerkName) = try client(host, trusted: true)

            // A volunteer's transaction: its own create comes back without the personal data it wrote, and
            // the object it deletes without the personal data it held.
            var start = host.auditSequence
            var txn = Gongzhi_Host_V1_TxnRequest()
            var create = Gongzhi_Host_V1_Write()
            create.create = try Self.resident("R-0004", withPersonalData: true)
            var delete = Gongzhi_Host_V1_Write()
            delete.delete.kind = "Resident"
            delete.delete.id = "R-0001"
            txn.writes = [create, delete]
            let hidden = try await volunteer.txn(txn)
            XCTAssertEqual(hidden.objects.map(\.id), ["R-0004", "R-0001"])
            XCTAssertEqual(
                hidden.objects.map(\.redactedFields),
                [["id_card_number", "phone"], ["id_card_number", "phone"]]
            )
            XCTAssertTrue(try hidden.objects.allSatisfy { try Self.decode($0).phone.isEmpty })
            XCTAssertEqual(personalDataReads(host, after: start), [])
            // What it wrote is stored whole.
            let storedPhone = try Self.decode(try await get(clerk, "R-0004")).phone
            XCTAssertEqual(storedPhone, "13900000004")

            // A clerk's transaction: what it wrote comes back as written and is not a read; the object it
            // deletes shows personal data it did not write, and that is audited.
            start = host.auditSequence
            create.create = try Self.resident("R-0005", withPersonalData: true)
            delete.delete.id = "R-0003"
            txn.writes = [create, delete]
            let shown = try await clerk.txn(txn)
            XCTAssertEqual(try shown.objects.map { try Self.decode($0).phone }, ["13900000005", "13900000003"])
            let reads = personalDataReads(host, after: start)
            XCTAssertEqual(reads.map(\.principal), [clerkName])
            XCTAssertEqual(reads.map(\.action), ["gongzhi.host.v1.Objects/Txn"])
            XCTAssertEqual(reads.map(\.target), ["Resident/R-0003"])
        }
    }

    func testAnUpdateFromARedactedReadKeepsThePersonalDataItCouldNotSee() async throws {
        try await withInProcessHost { host in
            _ = try await createResidents(host)
            let (volunteer, _) = try client(host, trusted: false)
            let (clerk, _) = try client(host, trusted: true)

            var object = try await get(volunteer, "R-0001")
            var resident = try Self.decode(object)
            resident.name = "居民 R-0001（已更名）"
            object.data = try resident.serializedBytes()
            var update = Gongzhi_Host_V1_UpdateRequest()
            update.object = object
            update.expectedRevision = object.revision
            let answered = try await volunteer.update(update)
            XCTAssertEqual(answered.redactedFields, ["id_card_number", "phone"])

            let stored = try Self.decode(try await get(clerk, "R-0001"))
            XCTAssertEqual(stored.name, "居民 R-0001（已更名）")
            XCTAssertEqual(stored.phone, "13900000001")
            XCTAssertEqual(stored.idCardNumber, "330102198001010001")
        }
    }

    func testAPluginWithThePersonalDataGrantIsAuditedByName() async throws {
        try await withInProcessHost { host in
            _ = try await createResidents(host)
            _ = try host.admit(
                plugin: "visits",
                services: [],
                requestedGrants: ["gongzhi.host.v1.Objects/Get", ObjectGrants.personalData]
            )
            _ = try host.admit(plugin: "notices", services: [], requestedGrants: ["gongzhi.host.v1.Objects/Get"])
            let start = host.auditSequence
            let visits = Gongzhi_Host_V1_ObjectsClient(channel: try host.pluginChannel("visits"))
            let shownToVisits = try Self.decode(try await get(visits, "R-0003")).phone
            XCTAssertEqual(shownToVisits, "13900000003")
            let notices = Gongzhi_Host_V1_ObjectsClient(channel: try host.pluginChannel("notices"))
            let hiddenFromNotices = try await get(notices, "R-0003").redactedFields
            XCTAssertEqual(hiddenFromNotices, ["id_card_number", "phone"])
            let reads = personalDataReads(host, after: start)
            XCTAssertEqual(reads.map(\.principal), ["plugin:visits"])
            XCTAssertEqual(reads.map(\.target), ["Resident/R-0003"])
        }
    }
}
