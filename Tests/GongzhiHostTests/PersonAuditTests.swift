import Foundation
import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import GongzhiHost

/// What the audit records of a person's calls say: a refusal names the person and the bindings that decided it,
/// a read of personal data names the role and place that showed it, and the records of one person are found by
/// their id whoever acted for them.
final class PersonAuditTests: XCTestCase {
    typealias A = Administrator

    /// 赵敏 (zhao-min) confirms redemptions in community 330199001001; residents in its first grid, in the second
    /// street and with no place; a household in its first grid.
    private func world(_ admin: A) async throws {
        try await admin.smallDistrict()
        try await admin.person("zhao-min", "赵敏")
        try await admin.bind("zhao-min", "redemption-clerk", "330199001001")
        for (id, grid) in [
            ("R-1", "330199001001001"), ("R-2", "330199002001001"), ("R-3", ""), ("R-4", "330199001001002"),
        ] {
            var resident = Gongzhi_Core_V1_Resident()
            resident.name = "居民 \(id)"
            resident.phone = "1380000000\(id.suffix(1))"
            resident.gridCode = grid
            try await admin.create("Resident", id, resident)
        }
        var household = Gongzhi_Core_V1_Household()
        household.gridCode = "330199001001001"
        household.address = "东一路 1 号"
        try await admin.create("Household", "H-1", household)
    }

    func testARefusalNamesThePersonAndTheirBindings() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await world(admin)
            let clerk = Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("zhao-min"))
            let bindings = "积分兑换点 (redemption-clerk) in 330199001001"
            let start = host.auditSequence

            let kind = await expectRefusal(.permissionDenied) { _ = try await clerk.get("Household", "H-1") }
            let outside = await expectRefusal(.permissionDenied) { _ = try await clerk.get("Resident", "R-2") }
            let nowhere = await expectRefusal(.permissionDenied) { _ = try await clerk.get("Resident", "R-3") }
            let watch = await expectRefusal(.permissionDenied) {
                var request = Gongzhi_Host_V1_WatchRequest()
                request.kind = "Resident"
                try await clerk.watch(request) { events in for try await _ in events { break } }
            }
            let expected = [
                "person zhao-min may not get Household objects: none of their roles allows it (they hold: \(bindings)); "
                    + "an administrator binds them to a role that does",
                "Resident/R-2 lies in 330199002001001, outside the places where person zhao-min may get Resident "
                    + "objects (\(bindings))",
                "Resident/R-3 lies in no place, outside the places where person zhao-min may get Resident objects "
                    + "(\(bindings))",
                "person zhao-min may not call gongzhi.host.v1.Objects/Watch: none of their roles allows it (they hold: "
                    + "\(bindings))",
            ]
            XCTAssertEqual([kind, outside, nowhere, watch].map { $0?.message }, expected)
            let records = host.audit(after: start)
            XCTAssertEqual(records.map(\.principal), Array(repeating: "person:zhao-min", count: 4))
            XCTAssertEqual(records.map(\.outcome), Array(repeating: "denied", count: 4))
            XCTAssertEqual(records.map(\.detail), expected)
            XCTAssertEqual(records.map(\.target), ["Household/H-1", "Resident/R-2", "Resident/R-3", ""])
            XCTAssertEqual(
                records.map(\.action),
                ["Get", "Get", "Get", "Watch"].map { "gongzhi.host.v1.Objects/\($0)" }
            )
        }
    }

    func testAReadOfPersonalDataNamesTheRoleAndPlaceThatShowedIt() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await world(admin)
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "grid-worker", "330199001001001")
            try await admin.bind("hu-wei", "community-staff", "330199002")
            try await admin.bind("hu-wei", "viewer", "330199001001")
            let worker = Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("hu-wei"))
            let clerk = Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("zhao-min"))

            var start = host.auditSequence
            let listed = try await worker.listAll("Resident").objects
            XCTAssertEqual(listed.map(\.id), ["R-1", "R-2", "R-4"])
            XCTAssertEqual(listed.map(\.redactedFields), [[], [], ["phone"]])
            var records = host.audit(after: start)
            XCTAssertEqual(records.map(\.outcome), ["personal-data"])
            XCTAssertEqual(records.map(\.action), ["gongzhi.host.v1.Objects/List"])
            XCTAssertEqual(
                records.first?.detail,
                "shown phone of 2 Resident: R-1 R-2; shown by role 社区工作者 (community-staff) in 330199002; "
                    + "网格员 (grid-worker) in 330199001001001"
            )

            start = host.auditSequence
            let household = try await worker.get("Household", "H-1")
            XCTAssertEqual(try Gongzhi_Core_V1_Household(serializedBytes: household.data).address, "东一路 1 号")
            records = host.audit(after: start)
            XCTAssertEqual(records.map(\.target), ["Household/H-1"])
            XCTAssertEqual(
                records.first?.detail,
                "shown address of 1 Household: H-1; shown by role 网格员 (grid-worker) in 330199001001001"
            )

            // A role that shows no personal data shows none, and nothing is audited.
            start = host.auditSequence
            let hidden = try await clerk.get("Resident", "R-1")
            XCTAssertEqual(hidden.redactedFields, ["phone"])
            XCTAssertEqual(host.audit(after: start), [])
        }
    }

    /// ListAudit's person filter: "person:ID", and "X as person:ID" for whoever acted for them; not another
    /// person whose id ends or starts the same.
    func testTheRecordsOfAPersonAreFoundByTheirID() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await world(admin)
            try await admin.person("min", "敏")
            try await admin.bind("min", "redemption-clerk", "330199001001")
            try await admin.person("zhao-min2", "赵敏二")
            try await admin.bind("zhao-min2", "redemption-clerk", "330199001001")
            let impersonating = try host.issueClientToken(subject: "kiosk", scopes: [PlatformGrants.impersonate])
            let callers: [(String, any RPCClientChannel)] = [
                ("person:zhao-min", try admin.personChannel("zhao-min")),
                ("person:min", try admin.personChannel("min")),
                ("\(A.principal) as person:zhao-min", admin.actingFor("zhao-min")),
                ("person:zhao-min2", try admin.personChannel("zhao-min2")),
                (
                    "client:\(tokenID(impersonating)) as person:zhao-min",
                    host.hostChannel(token: impersonating).addingMetadata([CallerMetadataKey.actAs: "zhao-min"])
                ),
            ]
            for (_, channel) in callers {
                await expectRefusal(.permissionDenied) {
                    _ = try await Gongzhi_Host_V1_ObjectsClient(channel: channel).get("Resident", "R-2")
                }
            }
            let filter = { (id: String) -> (AuditRecord) -> Bool in
                { $0.principal == "person:\(id)" || $0.principal.hasSuffix(" as person:\(id)") }
            }
            let found = host.audit.recent(50, matching: filter("zhao-min"))
            XCTAssertEqual(
                found.map(\.principal),
                [
                    "person:zhao-min", "\(A.principal) as person:zhao-min",
                    "client:\(tokenID(impersonating)) as person:zhao-min",
                ]
            )
            XCTAssertEqual(found.map(\.sequence), found.map(\.sequence).sorted(), "oldest first")
            XCTAssertEqual(host.audit.recent(1, matching: filter("zhao-min")).map(\.principal), [found.last?.principal])
            XCTAssertEqual(host.audit.recent(50, matching: filter("min")).map(\.principal), ["person:min"])
            XCTAssertEqual(host.audit.recent(50, matching: filter("nobody")), [])
        }
    }
}
