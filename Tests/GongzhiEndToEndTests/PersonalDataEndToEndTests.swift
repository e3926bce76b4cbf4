import GongzhiPluginSDK
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSeeds
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// Personal data of every core kind that holds some — grid workers' phones inside a Grid, a Household's address,
/// an Organization's and a Partner's phones — through the real host: redacted on get, list and watch for a
/// token without the grant, shown and audited for one with it; and what an update without the grant may do.
final class PersonalDataEndToEndTests: XCTestCase {
    static let personalData = "gongzhi.host.v1.PersonalData/Read"

    /// An object as written, the personal data it holds, and which sensitive fields those are.
    struct Sample {
        var object: Gongzhi_Host_V1_Object
        var secrets: [String]
        var paths: [String]
        var kind: String { object.kind }
        var id: String { object.id }
    }

    /// Draws the objects' values, and their personal data: values that appear nowhere else.
    struct Samples {
        var random: SplitMix64

        mutating func phone() -> String {
            "1" + String(UInt64.random(in: 3_000_000_000...9_999_999_999, using: &random))
        }

        mutating func text(_ prefix: String) -> String {
            "\(prefix)\(UInt32.random(in: 0...99_999, using: &random))"
        }

        mutating func maybe(_ always: Bool) -> Bool { always || Bool.random(using: &random) }

        /// A grid with 1 to 3 workers; `phones`: every worker's phone set (true), none (false), or each at random.
        mutating func grid(_ id: String, phones: Bool?) throws -> Sample {
            var grid = Gongzhi_Core_V1_Grid()
            grid.code = id
            grid.name = text("网格")
            grid.communityCode = String(id.prefix(12))
            grid.polygon.outer.points = [(120.1, 30.2), (120.2, 30.2), (120.2, 30.3), (120.1, 30.2)].map { point in
                Gongzhi_Core_V1_Point.with {
                    $0.longitude = point.0
                    $0.latitude = point.1
                }
            }
            var secrets: [String] = []
            for index in 0..<Int.random(in: 1...3, using: &random) {
                var worker = Gongzhi_Core_V1_GridWorker()
                worker.name = text("网格员")
                worker.fullTime = index == 0
                worker.partnerID = text("P-")
                if phones ?? Bool.random(using: &random) {
                    worker.phone = phone()
                    secrets.append(worker.phone)
                }
                grid.workers.append(worker)
            }
            return try sample("Grid", id, grid, secrets, secrets.isEmpty ? [] : ["workers.phone"])
        }

        mutating func household(_ id: String, always: Bool) throws -> Sample {
            var household = Gongzhi_Core_V1_Household()
            household.id = id
            household.buildingID = text("B-")
            household.unit = "2"
            household.room = text("")
            household.headResidentID = text("R-")
            household.memberResidentIds = [text("R-"), text("R-")]
            household.occupancy = "owner-occupied"
            if maybe(always) { household.address = text("浙江省杭州市上城区望江路") + "号" }
            let secrets = household.address.isEmpty ? [] : [household.address]
            return try sample("Household", id, household, secrets, secrets.isEmpty ? [] : ["address"])
        }

        mutating func organization(_ id: String, always: Bool) throws -> Sample {
            var organization = Gongzhi_Core_V1_Organization()
            organization.id = id
            organization.name = text("业主委员会")
            organization.type = .ownersCommittee
            organization.communityCode = "330102001001"
            organization.contactName = text("联系人")
            if maybe(always) { organization.contactPhone = phone() }
            let secrets = organization.contactPhone.isEmpty ? [] : [organization.contactPhone]
            return try sample("Organization", id, organization, secrets, secrets.isEmpty ? [] : ["contact_phone"])
        }

        mutating func partner(_ id: String, always: Bool) throws -> Sample {
            var partner = Gongzhi_Core_V1_Partner()
            partner.id = id
            partner.name = text("邻里合伙人")
            partner.type = .neighbour
            partner.communityCode = "330102001001"
            partner.residentID = text("R-")
            partner.skills = ["维修", text("技能")]
            if maybe(always) { partner.phone = phone() }
            let secrets = partner.phone.isEmpty ? [] : [partner.phone]
            return try sample("Partner", id, partner, secrets, secrets.isEmpty ? [] : ["phone"])
        }

        private func sample(
            _ kind: String,
            _ id: String,
            _ message: some SwiftProtobuf.Message,
            _ secrets: [String],
            _ paths: [String]
        ) throws -> Sample {
            var object = Gongzhi_Host_V1_Object()
            object.kind = kind
            object.id = id
            object.labels = ["community": "330102001001"]
            object.data = try message.serializedBytes()
            return Sample(object: object, secrets: secrets, paths: paths)
        }
    }

    /// The data with the kind's sensitive fields cleared, decoded: what a caller without the grant must get.
    static func withoutPersonalData(_ kind: String, _ data: Data) throws -> any SwiftProtobuf.Message {
        switch kind {
        case "Grid":
            var grid = try Gongzhi_Core_V1_Grid(serializedBytes: data)
            for index in grid.workers.indices { grid.workers[index].phone = "" }
            return grid
        case "Household":
            var household = try Gongzhi_Core_V1_Household(serializedBytes: data)
            household.address = ""
            return household
        case "Organization":
            var organization = try Gongzhi_Core_V1_Organization(serializedBytes: data)
            organization.contactPhone = ""
            return organization
        case "Partner":
            var partner = try Gongzhi_Core_V1_Partner(serializedBytes: data)
            partner.phone = ""
            return partner
        default:
            throw TestSupportError("no personal data known for kind \(kind)")
        }
    }

    func assertRedacted(
        _ object: Gongzhi_Host_V1_Object,
        _ sample: Sample,
        _ how: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let context = "\(how) \(sample.kind)/\(sample.id)"
        XCTAssertEqual(object.id, sample.id, context, file: file, line: line)
        XCTAssertEqual(object.redactedFields, sample.paths, context, file: file, line: line)
        let text = String(decoding: try object.serializedBytes() as [UInt8], as: UTF8.self)
        for secret in sample.secrets {
            XCTAssertFalse(text.contains(secret), "\(context) shows \(secret)", file: file, line: line)
        }
        let expected = try Self.withoutPersonalData(sample.kind, sample.object.data)
        let got = try Self.withoutPersonalData(sample.kind, object.data)
        XCTAssertTrue(expected.isEqualTo(message: got), "\(context): every other field is kept", file: file, line: line)
        XCTAssertEqual(
            try expected.serializedBytes() as [UInt8],
            Array(object.data),
            "\(context): nothing of the personal data is left",
            file: file,
            line: line
        )
    }

    func assertShown(
        _ object: Gongzhi_Host_V1_Object,
        _ sample: Sample,
        _ how: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(object.id, sample.id, how, file: file, line: line)
        XCTAssertEqual(object.redactedFields, [], "\(how) \(sample.kind)/\(sample.id)", file: file, line: line)
        XCTAssertEqual(object.data, sample.object.data, "\(how) \(sample.kind)/\(sample.id)", file: file, line: line)
    }

    func testPersonalDataOfEveryKindIsRedactedWithoutTheGrantAndShownAuditedWithIt() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let admin = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let plain = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*"])
        let trusted = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*", Self.personalData])
        let withoutGrant = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: plain.token))
        let withGrant = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: trusted.token))

        // Of each kind: one object with every field of personal data set, one with each set or not at random, and
        // one with none (a grid whose workers have no phone on record).
        var draw = Samples(random: seededRandom())
        let samples: [String: [Sample]] = [
            "Grid": [
                try draw.grid("330102001001001", phones: true), try draw.grid("330102001001002", phones: nil),
                try draw.grid("330102001001003", phones: false),
            ],
            "Household": [
                try draw.household("H-1", always: true), try draw.household("H-2", always: false),
            ],
            "Organization": [
                try draw.organization("O-1", always: true), try draw.organization("O-2", always: false),
            ],
            "Partner": [try draw.partner("P-1", always: true), try draw.partner("P-2", always: false)],
        ]
        let start = try await admin.list(Gongzhi_Host_V1_ListRequest.with { $0.kind = "Grid" }).revision
        for sample in samples.values.joined() {
            _ = try await admin.create(Gongzhi_Host_V1_CreateRequest.with { $0.object = sample.object })
        }

        for (kind, objects) in samples.sorted(by: { $0.key < $1.key }) {
            let byID = Dictionary(uniqueKeysWithValues: objects.map { ($0.id, $0) })
            // Get, list and watch without the grant: redacted, naming what was removed.
            for sample in objects {
                try assertRedacted(try await get(withoutGrant, kind, sample.id), sample, "get")
            }
            let listed = try await withoutGrant.list(Gongzhi_Host_V1_ListRequest.with { $0.kind = kind }).objects
            XCTAssertEqual(listed.map(\.id).sorted(), byID.keys.sorted())
            for object in listed { try assertRedacted(object, try XCTUnwrap(byID[object.id]), "list") }
            for event in try await watch(withoutGrant, kind, after: start, count: objects.count) {
                try assertRedacted(event.object, try XCTUnwrap(byID[event.object.id]), "watch")
            }
            // With it: as written.
            for sample in objects {
                assertShown(try await get(withGrant, kind, sample.id), sample, "get")
            }
            let shown = try await withGrant.list(Gongzhi_Host_V1_ListRequest.with { $0.kind = kind }).objects
            XCTAssertEqual(shown.map(\.id).sorted(), byID.keys.sorted())
            for object in shown { assertShown(object, try XCTUnwrap(byID[object.id]), "list") }
            for event in try await watch(withGrant, kind, after: start, count: objects.count) {
                assertShown(event.object, try XCTUnwrap(byID[event.object.id]), "watch")
            }
        }

        // Every read that showed personal data is audited, naming the fields; no read without the grant is.
        let audit = try await host.adminClient.listAudit(Gongzhi_Host_V1_ListAuditRequest.with { $0.limit = 1000 })
        let reads = audit.entries.filter { $0.outcome == "personal-data" }
        XCTAssertFalse(reads.contains { $0.principal == "client:\(plain.info.id)" }, "\(reads)")
        for (kind, objects) in samples {
            let field = try XCTUnwrap(objects[0].paths.first)
            for method in ["Get", "List", "Watch"] {
                XCTAssertTrue(
                    reads.contains {
                        $0.principal == "client:\(trusted.info.id)" && $0.action == "gongzhi.host.v1.Objects/\(method)"
                            && $0.detail.contains("shown \(field)") && $0.detail.contains(kind)
                    },
                    "\(method) of \(kind) audited: \(reads.map(\.detail))"
                )
            }
            // A get of an object holding none shows none, and is not audited.
            for sample in objects where sample.paths.isEmpty {
                XCTAssertFalse(
                    reads.contains { $0.action.hasSuffix("/Get") && $0.target == "\(kind)/\(sample.id)" },
                    "\(kind)/\(sample.id) holds no personal data"
                )
            }
        }
    }

    /// An update by a caller without the grant cannot erase personal data it never saw: personal data in a nested
    /// message (grid workers' phones) refuses the update, naming the field and the grant; top-level fields are kept
    /// as stored; a grid holding no such data updates; and with the grant the data is changed.
    func testAnUpdateWithoutTheGrantKeepsOrRefusesPersonalDataItCannotSee() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let admin = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let plain = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*"])
        let trusted = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*", Self.personalData])
        let withoutGrant = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: plain.token))
        let withGrant = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: trusted.token))
        var draw = Samples(random: seededRandom())
        let withPhones = try draw.grid("330102001001001", phones: true)
        let withoutPhones = try draw.grid("330102001001002", phones: false)
        let others = [
            try draw.household("H-1", always: true), try draw.organization("O-1", always: true),
            try draw.partner("P-1", always: true),
        ]
        for sample in [withPhones, withoutPhones] + others {
            _ = try await admin.create(Gongzhi_Host_V1_CreateRequest.with { $0.object = sample.object })
        }

        // A grid whose workers' phones the caller cannot see: refused, by update and in a transaction alike.
        let read = try await get(withoutGrant, "Grid", withPhones.id)
        var renamed = try Gongzhi_Core_V1_Grid(serializedBytes: read.data)
        renamed.name = "改名网格"
        var update = Gongzhi_Host_V1_UpdateRequest()
        update.object = read
        update.object.data = try renamed.serializedBytes()
        update.expectedRevision = read.revision
        let refused = await assertRPCError(.permissionDenied) { try await withoutGrant.update(update) }
        XCTAssertTrue(refused?.message.contains("workers.phone") == true, refused?.message ?? "")
        XCTAssertTrue(refused?.message.contains(Self.personalData) == true, refused?.message ?? "")
        let inTransaction = await assertRPCError(.permissionDenied) {
            try await withoutGrant.txn(
                Gongzhi_Host_V1_TxnRequest.with { $0.writes = [Gongzhi_Host_V1_Write.with { $0.update = update }] }
            )
        }
        XCTAssertTrue(inTransaction?.message.contains("workers.phone") == true, inTransaction?.message ?? "")
        let untouched = try await get(admin, "Grid", withPhones.id)
        XCTAssertEqual(untouched.data, withPhones.object.data, "the refused update changed nothing")
        XCTAssertEqual(untouched.revision, read.revision)

        // A grid holding no phones updates.
        let plainGrid = try await get(withoutGrant, "Grid", withoutPhones.id)
        var plainRenamed = try Gongzhi_Core_V1_Grid(serializedBytes: plainGrid.data)
        plainRenamed.name = "二号网格"
        _ = try await withoutGrant.update(
            try Gongzhi_Host_V1_UpdateRequest.with {
                $0.object = plainGrid
                $0.object.data = try plainRenamed.serializedBytes()
            }
        )
        let stored = try Gongzhi_Core_V1_Grid(serializedBytes: try await get(admin, "Grid", withoutPhones.id).data)
        XCTAssertEqual(stored, plainRenamed)

        // Top-level personal data: the update goes through, and the address or phone it could not see is kept.
        for sample in others {
            let redacted = try await get(withoutGrant, sample.kind, sample.id)
            XCTAssertEqual(redacted.redactedFields, sample.paths)
            var changed = redacted
            changed.labels["changed"] = "yes"
            let answer = try await withoutGrant.update(Gongzhi_Host_V1_UpdateRequest.with { $0.object = changed })
            let answerText = String(decoding: try answer.serializedBytes() as [UInt8], as: UTF8.self)
            for secret in sample.secrets { XCTAssertFalse(answerText.contains(secret), "the answer shows \(secret)") }
            let after = try await get(admin, sample.kind, sample.id)
            XCTAssertEqual(after.labels["changed"], "yes")
            XCTAssertTrue(
                try Self.withoutPersonalData(sample.kind, after.data).isEqualTo(
                    message: try Self.withoutPersonalData(sample.kind, sample.object.data)
                )
            )
            let text = String(decoding: after.data, as: UTF8.self)
            for secret in sample.secrets { XCTAssertTrue(text.contains(secret), "\(sample.kind) kept \(secret)") }
        }

        // With the grant, a worker's phone is changed.
        let full = try await get(withGrant, "Grid", withPhones.id)
        var newPhone = try Gongzhi_Core_V1_Grid(serializedBytes: full.data)
        newPhone.workers[0].phone = "13700000000"
        _ = try await withGrant.update(
            try Gongzhi_Host_V1_UpdateRequest.with {
                $0.object = full
                $0.object.data = try newPhone.serializedBytes()
                $0.expectedRevision = full.revision
            }
        )
        let changed = try Gongzhi_Core_V1_Grid(serializedBytes: try await get(admin, "Grid", withPhones.id).data)
        XCTAssertEqual(changed.workers.map(\.phone), newPhone.workers.map(\.phone))
    }

    func get(
        _ objects: Gongzhi_Host_V1_ObjectsClient,
        _ kind: String,
        _ id: String
    ) async throws -> Gongzhi_Host_V1_Object {
        try await objects.get(
            Gongzhi_Host_V1_GetRequest.with {
                $0.kind = kind
                $0.id = id
            }
        )
    }

    /// The first `count` events of a watch of `kind` after `revision`.
    func watch(
        _ objects: Gongzhi_Host_V1_ObjectsClient,
        _ kind: String,
        after revision: Int64,
        count: Int
    ) async throws -> [Gongzhi_Host_V1_WatchEvent] {
        try await objects.watch(
            Gongzhi_Host_V1_WatchRequest.with {
                $0.kind = kind
                $0.afterRevision = revision
            }
        ) { events in
            var seen: [Gongzhi_Host_V1_WatchEvent] = []
            for try await event in events {
                seen.append(event)
                if seen.count == count { break }
            }
            return seen
        }
    }
}
