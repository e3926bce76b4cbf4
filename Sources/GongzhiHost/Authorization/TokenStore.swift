import GongzhiHashing
import GongzhiRPC
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A token an administrator issued, as the host keeps it: a hash of its secret, never the secret.
package struct IssuedTokenRecord: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable {
        /// An API client calling services on host.sock within its scopes.
        case client
        /// An external plugin that registers itself under `subject`.
        case plugin
        /// A person (by id, in `subject`), whose roles decide what the token allows.
        case person
    }

    package var id: String
    package var kind: Kind
    package var subject: String
    package var scopes: [String]
    package var createdAtMilliseconds: Int64
    package var expiresAtMilliseconds: Int64
    package var revoked: Bool
    package var description: String
    package var issuedBy: String
    package var secretHash: String

    package var grants: GrantSet {
        GrantSet(scopes.compactMap { try? GrantPattern(parsing: $0) })
    }
}

/// Why a token was not accepted.
package enum TokenRejection: Error, Sendable, Equatable {
    case malformed
    case unknown
    case expired(id: String)
    case revoked(id: String)

    package var message: String {
        switch self {
        case .malformed: "the token is malformed"
        case .unknown: "the token is not known to this host"
        case .expired(let id): "token \(id) has expired; ask an administrator for a new one"
        case .revoked(let id): "token \(id) was revoked"
        }
    }
}

/// The tokens administrators issue, kept in `<data_dir>/host/tokens.json` (mode 0600).
package final class TokenStore: Sendable {
    private let path: String
    private let records: Mutex<[String: IssuedTokenRecord]>
    /// Held while a change is written to the file.
    private let writing = Mutex(())
    /// Tokens already checked against their hash, by token, with the grants of their scopes: a client
    /// presents its token on every call, and this spares hashing it and parsing its scopes each time.
    private let verified = Mutex<[String: (id: String, grants: GrantSet)]>([:])
    private static let verifiedCapacity = 10_000
    /// The streams open under these tokens, ended when their token is revoked or expires.
    package let openStreams = OpenStreams()

    /// The prefix of issued tokens: `gzt_<id>_<secret>`.
    static let prefix = "gzt_"

    package init(path: String) throws {
        self.path = path
        var loaded: [String: IssuedTokenRecord] = [:]
        if fileExists(path) {
            let bytes = try readFile(path)
            let list = try JSONDecoder().decode([IssuedTokenRecord].self, from: Data(bytes))
            for record in list { loaded[record.id] = record }
        }
        self.records = Mutex(loaded)
    }

    /// Issues a token. The secret is in the answer only.
    package func issue(
        kind: IssuedTokenRecord.Kind,
        subject: String,
        scopes: [GrantPattern],
        lifetime: Duration,
        description: String,
        issuedBy: String
    ) throws -> (record: IssuedTokenRecord, token: String) {
        let id = hexString(randomBytes(6))
        let token = Self.prefix + id + "_" + hexString(randomBytes(32))
        let now = wallClockMilliseconds()
        let record = IssuedTokenRecord(
            id: id,
            kind: kind,
            subject: subject,
            scopes: scopes.map(\.description),
            createdAtMilliseconds: now,
            expiresAtMilliseconds: now + lifetime.saturatingNanoseconds / 1_000_000,
            revoked: false,
            description: description,
            issuedBy: issuedBy,
            secretHash: SHA256.hexHash(Array(token.utf8))
        )
        try update { $0[id] = record }
        return (record, token)
    }

    /// The record of a presented token, if it is known, unexpired and not revoked.
    package func verify(_ token: String) -> Result<IssuedTokenRecord, TokenRejection> {
        verifyWithGrants(token).map(\.record)
    }

    /// The record of a presented token and the grants of its scopes.
    package func verifyWithGrants(
        _ token: String
    ) -> Result<(record: IssuedTokenRecord, grants: GrantSet), TokenRejection> {
        if let known = verified.withLock({ $0[token] }), let record = records.withLock({ $0[known.id] }) {
            return check(record).map { ($0, known.grants) }
        }
        switch verifySlowly(token) {
        case .failure(let rejection): return .failure(rejection)
        case .success(let record):
            let grants = record.grants
            verified.withLock { cache in
                if cache.count >= Self.verifiedCapacity { cache.removeAll() }
                cache[token] = (record.id, grants)
            }
            return .success((record, grants))
        }
    }

    private func check(_ record: IssuedTokenRecord) -> Result<IssuedTokenRecord, TokenRejection> {
        if record.revoked { return .failure(.revoked(id: record.id)) }
        if record.expiresAtMilliseconds <= wallClockMilliseconds() { return .failure(.expired(id: record.id)) }
        return .success(record)
    }

    private func verifySlowly(_ token: String) -> Result<IssuedTokenRecord, TokenRejection> {
        guard token.hasPrefix(Self.prefix) else { return .failure(.malformed) }
        let parts = token.dropFirst(Self.prefix.count).split(separator: "_")
        guard parts.count == 2 else { return .failure(.malformed) }
        let id = String(parts[0])
        guard let record = records.withLock({ $0[id] }) else { return .failure(.unknown) }
        guard constantTimeEqual(SHA256.hexHash(Array(token.utf8)), record.secretHash) else {
            return .failure(.unknown)
        }
        return check(record)
    }

    package func list() -> [IssuedTokenRecord] {
        records.withLock { Array($0.values) }.sorted { $0.createdAtMilliseconds < $1.createdAtMilliseconds }
    }

    /// Revokes a token; nil when there is no token with that id.
    package func revoke(id: String) throws -> IssuedTokenRecord? {
        var revoked: IssuedTokenRecord?
        try update { records in
            guard var record = records[id] else { return }
            record.revoked = true
            records[id] = record
            revoked = record
        }
        if revoked != nil { openStreams.revoked(tokenID: id) }
        return revoked
    }

    /// True when the token `id` is known and revoked.
    package func isRevoked(id: String) -> Bool {
        records.withLock { $0[id]?.revoked == true }
    }

    /// Applies a change: written to the file first (changes one at a time), then visible to checks,
    /// which never wait for the disk.
    private func update(_ change: (inout [String: IssuedTokenRecord]) -> Void) throws {
        try writing.withLock { _ in
            var next = records.withLock { $0 }
            change(&next)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(next.values.sorted { $0.createdAtMilliseconds < $1.createdAtMilliseconds })
            try writeFileAtomically(path, Array(data), mode: 0o600)
            records.withLock { $0 = next }
        }
    }
}

/// Compares two strings in time that does not depend on where they first differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let left = Array(a.utf8)
    let right = Array(b.utf8)
    guard left.count == right.count else { return false }
    var difference: UInt8 = 0
    for index in left.indices { difference |= left[index] ^ right[index] }
    return difference == 0
}
