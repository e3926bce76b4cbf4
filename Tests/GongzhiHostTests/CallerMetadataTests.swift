import GongzhiRPC
import XCTest

@testable import GongzhiHost

/// What the host forwards to a plugin: the caller's own metadata, never anything `gongzhi-`, and the
/// caller's identity as the host established it.
final class CallerMetadataTests: XCTestCase {
    private func caller() -> Metadata {
        var metadata = Metadata()
        metadata.add("x-request-id", "r-1")
        metadata.add("gongzhi-token", "gzt_0123456789ab_secret")
        metadata.add("gongzhi-caller", "admin:uid=0")
        metadata.add("Gongzhi-Caller-Kind", "admin")
        metadata.add("GONGZHI-CALLER-PID", "1")
        metadata.add("gongzhi-caller-uid", "0")
        metadata.add("gongzhi-anything-else", "x")
        metadata.add("trace", "t1")
        metadata.add("trace", "t2")
        metadata.add("x-gongzhi-token", "kept: not a gongzhi- key")
        metadata.add("gongzhi", "kept: no dash")
        return metadata
    }

    private let callerOwn: [Metadata.Entry] = [
        Metadata.Entry(key: "x-request-id", value: "r-1"),
        Metadata.Entry(key: "trace", value: "t1"),
        Metadata.Entry(key: "trace", value: "t2"),
        Metadata.Entry(key: "x-gongzhi-token", value: "kept: not a gongzhi- key"),
        Metadata.Entry(key: "gongzhi", value: "kept: no dash"),
    ]

    func testForwardedStripsReservedKeysAndAddsTheClient() {
        let principal = Principal.client(tokenID: "0123456789ab", subject: "dashboard", pid: 4321, uid: 1000)
        let forwarded = CallerMetadata.forwarded(caller(), principal: principal, seesPersonalData: false)
        XCTAssertEqual(
            forwarded.entries,
            callerOwn + [
                Metadata.Entry(key: "gongzhi-caller", value: "client:0123456789ab"),
                Metadata.Entry(key: "gongzhi-caller-kind", value: "client"),
                Metadata.Entry(key: "gongzhi-caller-pid", value: "4321"),
                Metadata.Entry(key: "gongzhi-caller-uid", value: "1000"),
                Metadata.Entry(key: "gongzhi-caller-personal-data", value: "false"),
            ]
        )
        XCTAssertNil(forwarded.entries.first { $0.value.contains("gzt_") }, "the token is never forwarded")
        XCTAssertEqual(forwarded.values(for: CallerMetadata.caller), ["client:0123456789ab"], "no forged caller")
        XCTAssertEqual(forwarded.values(for: CallerMetadata.callerKind), ["client"])
        XCTAssertEqual(forwarded.values(for: CallerMetadata.callerPID), ["4321"])
        XCTAssertEqual(forwarded.values(for: CallerMetadata.callerUID), ["1000"])
        XCTAssertEqual(forwarded.values(for: CallerMetadata.token), [])
        XCTAssertEqual(forwarded.values(for: "gongzhi-anything-else"), [])
    }

    func testForwardedForAPluginAndAnAdmin() {
        let plugin = CallerMetadata.forwarded(
            caller(),
            principal: .plugin(name: "grid", pid: 77, uid: 998),
            seesPersonalData: false
        )
        XCTAssertEqual(plugin["gongzhi-caller"], "plugin:grid")
        XCTAssertEqual(plugin["gongzhi-caller-kind"], "plugin")
        XCTAssertEqual(plugin["gongzhi-caller-pid"], "77")
        XCTAssertEqual(plugin["gongzhi-caller-uid"], "998")
        XCTAssertEqual(plugin["gongzhi-caller-personal-data"], "false")
        XCTAssertEqual(plugin.count, callerOwn.count + 5)

        let admin = CallerMetadata.forwarded(caller(), principal: .admin(uid: 0, pid: 12), seesPersonalData: true)
        XCTAssertEqual(admin["gongzhi-caller"], "admin:uid=0")
        XCTAssertEqual(admin["gongzhi-caller-kind"], "admin")
        XCTAssertEqual(admin["gongzhi-caller-pid"], "12")
        XCTAssertEqual(admin["gongzhi-caller-uid"], "0")
        XCTAssertEqual(admin.values(for: "gongzhi-caller"), ["admin:uid=0"])
        XCTAssertEqual(admin["gongzhi-caller-personal-data"], "true")
    }

    func testForwardedOfEmptyMetadataIsOnlyTheIdentity() {
        let forwarded = CallerMetadata.forwarded(
            Metadata(),
            principal: .admin(uid: 1000, pid: 5),
            seesPersonalData: true
        )
        XCTAssertEqual(
            forwarded.entries.map(\.key),
            [
                "gongzhi-caller", "gongzhi-caller-kind", "gongzhi-caller-pid", "gongzhi-caller-uid",
                "gongzhi-caller-personal-data",
            ]
        )
        XCTAssertTrue(forwarded.entries.allSatisfy { $0.key.hasPrefix(CallerMetadata.reservedPrefix) })
    }

    func testForgedIdentityFromADictionaryLiteralIsStripped() {
        let forged: Metadata = ["Gongzhi-Caller": "admin:uid=0", "GONGZHI-TOKEN": "gzt_x_y", "accept": "json"]
        let forwarded = CallerMetadata.forwarded(
            forged,
            principal: .client(tokenID: "id", subject: "s", pid: 1, uid: 2),
            seesPersonalData: false
        )
        XCTAssertEqual(forwarded.values(for: "gongzhi-caller"), ["client:id"])
        XCTAssertEqual(forwarded.values(for: "gongzhi-token"), [])
        XCTAssertEqual(forwarded["accept"], "json")
    }

    func testPrincipalDescriptions() {
        XCTAssertEqual(Principal.admin(uid: 0, pid: 1).description, "admin:uid=0")
        XCTAssertEqual(Principal.plugin(name: "grid", pid: 1, uid: 2).description, "plugin:grid")
        XCTAssertEqual(Principal.client(tokenID: "abc", subject: "s", pid: 1, uid: 2).description, "client:abc")
        XCTAssertEqual(Principal.admin(uid: 0, pid: 1).kind, "admin")
        XCTAssertEqual(Principal.plugin(name: "grid", pid: 1, uid: 2).kind, "plugin")
        XCTAssertEqual(Principal.client(tokenID: "abc", subject: "s", pid: 1, uid: 2).kind, "client")
        XCTAssertEqual(Principal.admin(uid: 5, pid: 6).pid, 6)
        XCTAssertEqual(Principal.admin(uid: 5, pid: 6).uid, 5)
        XCTAssertEqual(Principal.plugin(name: "g", pid: 7, uid: 8).pid, 7)
        XCTAssertEqual(Principal.plugin(name: "g", pid: 7, uid: 8).uid, 8)
        XCTAssertEqual(Principal.client(tokenID: "t", subject: "s", pid: 9, uid: 10).pid, 9)
        XCTAssertEqual(Principal.client(tokenID: "t", subject: "s", pid: 9, uid: 10).uid, 10)
    }
}
