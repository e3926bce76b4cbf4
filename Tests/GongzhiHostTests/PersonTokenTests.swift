import Foundation
import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import GongzhiHost

/// A person's token on host.sock: issued only to a person who exists and is active, refused from the very next
/// call once they are suspended, once it expires and once it is revoked.
final class PersonTokenTests: XCTestCase {
    typealias A = Administrator

    private func whoAmI(_ channel: any RPCClientChannel) async throws -> Gongzhi_Host_V1_WhoAmIResponse {
        try await Gongzhi_Host_V1_PeopleClient(channel: channel).whoAmI(Gongzhi_Host_V1_WhoAmIRequest())
    }

    func testATokenIsIssuedOnlyToAPersonWhoExistsAndIsActive() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.person("hu-wei", "胡伟")
            await expectRefusal(
                .notFound,
                "there is no person \"li-na\" (gongzhictl people list shows who there is)"
            ) {
                _ = try host.issuePersonToken(person: "li-na")
            }
            try await admin.suspend("hu-wei", reason: "on leave")
            await expectRefusal(
                .failedPrecondition,
                "person hu-wei is suspended (on leave); an administrator resumes them with gongzhictl people resume "
                    + "hu-wei"
            ) {
                _ = try host.issuePersonToken(person: "hu-wei")
            }
        }
    }

    func testASuspendedPersonsTokenIsRefusedOnTheNextCall() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "viewer", "330199001")
            let token = try host.issuePersonToken(person: "hu-wei")
            let channel = host.hostChannel(token: token)
            let objects = Gongzhi_Host_V1_ObjectsClient(channel: channel)
            let before = try await objects.get("Region", "330199001")
            XCTAssertEqual(before.id, "330199001")

            try await admin.suspend("hu-wei", reason: "on leave")
            let refused =
                "token \(tokenID(token)): person hu-wei is suspended (on leave); an administrator resumes "
                + "them with gongzhictl people resume hu-wei"
            await expectRefusal(.unauthenticated, refused) { _ = try await objects.get("Region", "330199001") }
            await expectRefusal(.unauthenticated, refused) { _ = try await self.whoAmI(channel) }
            // Nor may anyone act for them.
            let acting = await expectRefusal(.permissionDenied) {
                _ = try await self.whoAmI(admin.actingFor("hu-wei"))
            }
            XCTAssertEqual(
                acting?.message,
                "\(A.principal) cannot act for person hu-wei: person hu-wei is suspended (on leave); an administrator "
                    + "resumes them with gongzhictl people resume hu-wei"
            )
            XCTAssertEqual(host.lastAudit?.outcome, "denied")
            XCTAssertEqual(host.lastAudit?.principal, A.principal)

            // Resumed, their bindings (kept while they were away) let them act again.
            var person = try await admin.message(Gongzhi_Core_V1_Person.self, "Person", "hu-wei")
            XCTAssertNotEqual(person.suspendedAtMs, 0, "the host recorded when")
            person.state = .active
            try await admin.update("Person", "hu-wei", person)
            let after = try await objects.get("Region", "330199001")
            XCTAssertEqual(after.id, "330199001")
            let resumed = try await admin.message(Gongzhi_Core_V1_Person.self, "Person", "hu-wei")
            XCTAssertEqual(resumed.suspendedReason, "")
            XCTAssertEqual(resumed.suspendedAtMs, 0)
        }
    }

    func testAnExpiredTokenIsRefused() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "viewer", "330199001")
            let token = try host.issuePersonToken(person: "hu-wei", lifetime: .milliseconds(1))
            let record = try XCTUnwrap(host.tokens.list().first { $0.id == tokenID(token) })
            XCTAssertEqual(record.kind, .person)
            XCTAssertEqual(record.subject, "hu-wei")
            XCTAssertEqual(record.scopes, [])
            // Wait for the millisecond after the token's last one.
            while Int64(Date().timeIntervalSince1970 * 1000) <= record.expiresAtMilliseconds {
                try await Task.sleep(for: .milliseconds(1))
            }
            let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.hostChannel(token: token))
            await expectRefusal(
                .unauthenticated,
                "token \(record.id) has expired; ask an administrator for a new one"
            ) {
                _ = try await objects.get("Region", "330199001")
            }
        }
    }

    func testARevokedTokenIsRefusedAndTheOthersStillWork() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "viewer", "330199001")
            let revoked = try host.issuePersonToken(person: "hu-wei")
            let kept = try host.issuePersonToken(person: "hu-wei")
            let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.hostChannel(token: revoked))
            _ = try await objects.get("Region", "330199001")
            try host.revokeToken(id: tokenID(revoked))
            await expectRefusal(.unauthenticated, "token \(tokenID(revoked)) was revoked") {
                _ = try await objects.get("Region", "330199001")
            }
            let other = try await Gongzhi_Host_V1_ObjectsClient(channel: host.hostChannel(token: kept))
                .get("Region", "330199001")
            XCTAssertEqual(other.id, "330199001")
        }
    }

    func testABindingAddedOrRemovedHoldsFromTheNextCall() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            let objects = Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("hu-wei"))
            let none = await expectRefusal(.permissionDenied) { _ = try await objects.get("Region", "330199001") }
            XCTAssertEqual(
                none?.message,
                "person hu-wei may not call gongzhi.host.v1.Objects/Get: none of their roles allows it (they hold: "
                    + "no roles)"
            )
            try await admin.bind("hu-wei", "viewer", "330199001")
            let region = try await objects.get("Region", "330199001")
            XCTAssertEqual(region.id, "330199001")
            try await admin.delete("RoleBinding", "hu-wei.viewer.330199001")
            await expectRefusal(.permissionDenied) { _ = try await objects.get("Region", "330199001") }
        }
    }
}
