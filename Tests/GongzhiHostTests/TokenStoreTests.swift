import Foundation
import GongzhiHashing
import GongzhiTestSupport
import XCTest

@testable import GongzhiHost

/// Issued tokens: verification, revocation, expiry, and what is kept on disk.
final class TokenStoreTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var path: String { directory.file("tokens.json") }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory?.remove()
    }

    private func issue(
        _ store: TokenStore,
        kind: IssuedTokenRecord.Kind = .client,
        subject: String = "dashboard",
        scopes: [String] = ["gongzhi.grid.v1.GridService/*"],
        lifetime: Duration = .seconds(3600)
    ) throws -> (record: IssuedTokenRecord, token: String) {
        try store.issue(
            kind: kind,
            subject: subject,
            scopes: scopes.map { try GrantPattern(parsing: $0) },
            lifetime: lifetime,
            description: "test token",
            issuedBy: "admin:uid=0"
        )
    }

    private func rejection(_ result: Result<IssuedTokenRecord, TokenRejection>) -> TokenRejection? {
        if case .failure(let rejection) = result { return rejection }
        return nil
    }

    func testIssueThenVerify() throws {
        let store = try TokenStore(path: path)
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let (record, token) = try issue(store, scopes: ["gongzhi.grid.v1.GridService/*", "gongzhi.test.v1.*/Unary"])

        XCTAssertTrue(token.hasPrefix("gzt_\(record.id)_"), token)
        XCTAssertEqual(record.id.count, 12)
        let secret = token.dropFirst("gzt_\(record.id)_".count)
        XCTAssertEqual(secret.count, 64)
        XCTAssertTrue(secret.allSatisfy(\.isHexDigit))
        XCTAssertEqual(record.kind, .client)
        XCTAssertEqual(record.subject, "dashboard")
        XCTAssertEqual(record.scopes, ["gongzhi.grid.v1.GridService/*", "gongzhi.test.v1.*/Unary"])
        XCTAssertFalse(record.revoked)
        XCTAssertEqual(record.description, "test token")
        XCTAssertEqual(record.issuedBy, "admin:uid=0")
        XCTAssertEqual(record.secretHash, SHA256.hexHash(Array(token.utf8)))
        XCTAssertGreaterThanOrEqual(record.createdAtMilliseconds, before - 1000)
        XCTAssertEqual(record.expiresAtMilliseconds - record.createdAtMilliseconds, 3_600_000)
        XCTAssertTrue(record.grants.allows(service: "gongzhi.grid.v1.GridService", method: "Get"))
        XCTAssertTrue(record.grants.allows(service: "gongzhi.test.v1.Echo", method: "Unary"))
        XCTAssertFalse(record.grants.allows(service: "gongzhi.test.v1.Echo", method: "Stream"))

        XCTAssertEqual(store.verify(token), .success(record))
        XCTAssertEqual(store.list(), [record])
    }

    func testEachTokenIsDifferent() throws {
        let store = try TokenStore(path: path)
        let first = try issue(store)
        let second = try issue(store)
        XCTAssertNotEqual(first.token, second.token)
        XCTAssertNotEqual(first.record.id, second.record.id)
        XCTAssertEqual(store.verify(first.token), .success(first.record))
        XCTAssertEqual(store.verify(second.token), .success(second.record))
        XCTAssertEqual(Set(store.list().map(\.id)), [first.record.id, second.record.id])
    }

    func testWrongSecretIsUnknown() throws {
        let store = try TokenStore(path: path)
        let (record, token) = try issue(store)
        let last = token.last!
        let changed = String(token.dropLast()) + (last == "0" ? "1" : "0")
        XCTAssertEqual(rejection(store.verify(changed)), .unknown)
        XCTAssertEqual(rejection(store.verify("gzt_\(record.id)_" + String(repeating: "0", count: 64))), .unknown)
        XCTAssertEqual(rejection(store.verify("gzt_\(record.id)_short")), .unknown)
        XCTAssertEqual(rejection(store.verify("gzt_000000000000_" + token.suffix(64))), .unknown, "another id")
        XCTAssertEqual(
            rejection(store.verify(token.uppercased().replacingOccurrences(of: "GZT_", with: "gzt_"))),
            .unknown
        )
    }

    func testMalformedTokens() throws {
        let store = try TokenStore(path: path)
        let (_, token) = try issue(store)
        for bad in [
            "", "gzt_", "gzt_abc", "gzt__", "abc_def_ghi", "Bearer " + token, "GZT_" + token.dropFirst(4), token + "_x",
        ] {
            XCTAssertEqual(rejection(store.verify(bad)), .malformed, bad)
        }
    }

    func testRevokedTokenIsRejected() throws {
        let store = try TokenStore(path: path)
        let (record, token) = try issue(store)
        let other = try issue(store)
        let revoked = try store.revoke(id: record.id)
        XCTAssertEqual(revoked?.id, record.id)
        XCTAssertEqual(revoked?.revoked, true)
        XCTAssertEqual(rejection(store.verify(token)), .revoked(id: record.id))
        XCTAssertEqual(store.verify(other.token), .success(other.record), "other tokens still work")
        XCTAssertNil(try store.revoke(id: "000000000000"))

        // The revocation is kept on disk.
        let reloaded = try TokenStore(path: path)
        XCTAssertEqual(rejection(reloaded.verify(token)), .revoked(id: record.id))
    }

    func testWrongSecretOfARevokedTokenIsStillUnknown() throws {
        let store = try TokenStore(path: path)
        let (record, _) = try issue(store)
        _ = try store.revoke(id: record.id)
        XCTAssertEqual(rejection(store.verify("gzt_\(record.id)_" + String(repeating: "a", count: 64))), .unknown)
    }

    func testExpiredToken() throws {
        let store = try TokenStore(path: path)
        let (record, token) = try issue(store, lifetime: .seconds(0))
        XCTAssertEqual(record.expiresAtMilliseconds, record.createdAtMilliseconds)
        XCTAssertEqual(rejection(store.verify(token)), .expired(id: record.id))
    }

    func testSubSecondLifetimeIsKept() throws {
        let store = try TokenStore(path: path)
        let (record, _) = try issue(store, lifetime: .milliseconds(1500))
        let lifetime = record.expiresAtMilliseconds - record.createdAtMilliseconds
        XCTAssertEqual(lifetime, 1500)
    }

    func testTokensPersistAcrossStores() throws {
        let store = try TokenStore(path: path)
        let client = try issue(store)
        let plugin = try issue(store, kind: .plugin, subject: "grid", scopes: [])

        let reloaded = try TokenStore(path: path)
        XCTAssertEqual(reloaded.verify(client.token), .success(client.record))
        XCTAssertEqual(reloaded.verify(plugin.token), .success(plugin.record))
        XCTAssertEqual(Set(reloaded.list().map(\.id)), [client.record.id, plugin.record.id])
        XCTAssertEqual(try reloaded.verify(plugin.token).get().kind, .plugin)
    }

    func testFileHoldsNoSecretAndIsPrivate() throws {
        let store = try TokenStore(path: path)
        let (record, token) = try issue(store)
        let secret = String(token.dropFirst("gzt_\(record.id)_".count))

        let contents = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(contents.contains(token))
        XCTAssertFalse(contents.contains(secret))
        XCTAssertTrue(contents.contains(record.secretHash), "the hash is what is kept")
        XCTAssertTrue(contents.contains(record.id))

        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)

        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(leftovers, ["tokens.json"], "no temporary file is left behind")
    }

    func testMissingFileIsAnEmptyStoreAndACorruptOneFails() throws {
        let store = try TokenStore(path: path)
        XCTAssertEqual(store.list(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing is written until a token is issued")
        XCTAssertEqual(rejection(store.verify("gzt_abc_def")), .unknown)

        try "not json".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TokenStore(path: path))
    }

    func testRejectionMessages() {
        XCTAssertEqual(TokenRejection.malformed.message, "the token is malformed")
        XCTAssertEqual(TokenRejection.unknown.message, "the token is not known to this host")
        XCTAssertTrue(TokenRejection.expired(id: "abc").message.contains("token abc has expired"))
        XCTAssertEqual(TokenRejection.revoked(id: "abc").message, "token abc was revoked")
    }

    func testConstantTimeEqual() {
        XCTAssertTrue(constantTimeEqual("", ""))
        XCTAssertTrue(constantTimeEqual("abc", "abc"))
        XCTAssertFalse(constantTimeEqual("abc", "abd"))
        XCTAssertFalse(constantTimeEqual("abc", "ab"))
        XCTAssertFalse(constantTimeEqual("abc", "xbc"))
    }
}
