import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `gongzhictl -o json` prints for scripts: the Admin service's answers with the proto's own
/// snake_case field names, every field present even when empty, keys sorted, pretty printed.
///
/// 64-bit integers are JSON strings, as protobuf's JSON mapping writes them and as every other `-o json` of
/// gongzhictl does (a JSON number loses digits above 2^53 in JavaScript and many JSON readers); times stay
/// milliseconds since the Unix epoch. `plugins logs` prints one compact object a line instead, so that a
/// followed log can be read line by line.
public enum JSONOutput {
    /// `status`.
    public static func status(_ status: Gongzhi_Host_V1_HostStatus) -> String {
        encode(HostStatusJSON(status))
    }

    /// `plugins list`: `{"plugins": [...]}`.
    public static func plugins(_ plugins: [Gongzhi_Host_V1_PluginStatus]) -> String {
        encode(PluginListJSON(plugins: plugins.map(PluginStatusJSON.init)))
    }

    /// `plugins describe|enable|disable|restart`.
    public static func plugin(_ plugin: Gongzhi_Host_V1_PluginStatus) -> String {
        encode(PluginStatusJSON(plugin))
    }

    /// `plugins logs`: one line of compact JSON.
    public static func logLine(_ line: Gongzhi_Host_V1_LogLine) -> String {
        encode(LogLineJSON(line), pretty: false)
    }

    /// `tokens issue`: `{"info": {...}, "token": "gzt_..."}`.
    public static func issuedToken(_ issued: Gongzhi_Host_V1_IssuedToken) -> String {
        encode(IssuedTokenJSON(info: TokenInfoJSON(issued.info), token: issued.token))
    }

    /// `tokens list`: `{"tokens": [...]}`.
    public static func tokens(_ tokens: [Gongzhi_Host_V1_TokenInfo]) -> String {
        encode(TokenListJSON(tokens: tokens.map(TokenInfoJSON.init)))
    }

    /// `tokens revoke`.
    public static func token(_ token: Gongzhi_Host_V1_TokenInfo) -> String {
        encode(TokenInfoJSON(token))
    }

    /// `audit`: `{"entries": [...]}`.
    /// `audit verify`: `{"entries": n, "intact": bool, "path": "...", "problem": "..."}`.
    public static func auditVerification(_ result: Gongzhi_Host_V1_VerifyAuditResponse) -> String {
        encode(
            AuditVerificationJSON(
                entries: String(result.entries),
                intact: result.intact,
                path: result.path,
                problem: result.problem
            )
        )
    }

    public static func audit(_ entries: [Gongzhi_Host_V1_AuditEntry]) -> String {
        encode(AuditListJSON(entries: entries.map(AuditEntryJSON.init)))
    }

    private static func encode(_ value: some Encodable, pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs of strings, numbers and arrays cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        let text = String(decoding: data, as: UTF8.self)
        return (pretty ? closingEmptyArrays(text) : text) + "\n"
    }

    /// JSONEncoder pretty-prints an empty array as `[`, an empty line and `]`; this writes `[]`.
    /// (A line break inside a JSON string is always escaped, so every raw one is layout.)
    private static func closingEmptyArrays(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var index = 0
        while index + 2 < lines.count {
            let closing = lines[index + 2].drop(while: { $0 == " " })
            if lines[index].hasSuffix("[") && lines[index + 1].allSatisfy({ $0 == " " }) && closing.hasPrefix("]") {
                lines[index] += closing
                lines.removeSubrange(index + 1...index + 2)
            } else {
                index += 1
            }
        }
        return lines.joined(separator: "\n")
    }
}

// The mirrors: Codable copies of the messages, with the proto's field names and 64-bit integers as strings.

private struct HostStatusJSON: Encodable {
    var version: String
    var pid: Int32
    var startedAtMs: String
    var configPath: String
    var runtimeDir: String
    var dataDir: String
    var residentBytes: String
    var plugins: [PluginStatusJSON]
    var protocolVersions: [String]
    var limits: [LimitCountJSON]
    var isolation: String

    enum CodingKeys: String, CodingKey {
        case version, pid, plugins, limits, isolation
        case startedAtMs = "started_at_ms"
        case configPath = "config_path"
        case runtimeDir = "runtime_dir"
        case dataDir = "data_dir"
        case residentBytes = "resident_bytes"
        case protocolVersions = "protocol_versions"
    }

    init(_ status: Gongzhi_Host_V1_HostStatus) {
        version = status.version
        pid = status.pid
        startedAtMs = String(status.startedAtMs)
        configPath = status.configPath
        runtimeDir = status.runtimeDir
        dataDir = status.dataDir
        residentBytes = String(status.residentBytes)
        plugins = status.plugins.map(PluginStatusJSON.init)
        protocolVersions = status.protocolVersions
        isolation = status.isolation
        limits = status.limits.map(LimitCountJSON.init)
    }
}

private struct LimitCountJSON: Encodable {
    var name: String
    var count: String
    var detail: String

    init(_ limit: Gongzhi_Host_V1_LimitCount) {
        name = limit.name
        count = String(limit.count)
        detail = limit.detail
    }
}

private struct PluginListJSON: Encodable {
    var plugins: [PluginStatusJSON]
}

private struct PluginStatusJSON: Encodable {
    var name: String
    var state: String
    var version: String
    var managed: Bool
    var pid: Int32
    var sinceMs: String
    var restarts: UInt32
    var reason: String
    var services: [String]
    var requestedGrants: [String]
    var approvedGrants: [String]
    var effectiveGrants: [String]
    var socketPath: String
    var manifestPath: String
    var executable: String
    var nextStartMs: String
    var recentCrashes: UInt32
    var user: String
    var uid: UInt32

    enum CodingKeys: String, CodingKey {
        case name, state, version, managed, pid, restarts, reason, services, executable, user, uid
        case sinceMs = "since_ms"
        case requestedGrants = "requested_grants"
        case approvedGrants = "approved_grants"
        case effectiveGrants = "effective_grants"
        case socketPath = "socket_path"
        case manifestPath = "manifest_path"
        case nextStartMs = "next_start_ms"
        case recentCrashes = "recent_crashes"
    }

    init(_ plugin: Gongzhi_Host_V1_PluginStatus) {
        name = plugin.name
        state = plugin.state
        version = plugin.version
        managed = plugin.managed
        pid = plugin.pid
        sinceMs = String(plugin.sinceMs)
        restarts = plugin.restarts
        reason = plugin.reason
        services = plugin.services
        requestedGrants = plugin.requestedGrants
        approvedGrants = plugin.approvedGrants
        effectiveGrants = plugin.effectiveGrants
        socketPath = plugin.socketPath
        manifestPath = plugin.manifestPath
        executable = plugin.executable
        nextStartMs = String(plugin.nextStartMs)
        recentCrashes = plugin.recentCrashes
        user = plugin.user
        uid = plugin.uid
    }
}

private struct LogLineJSON: Encodable {
    var timeMs: String
    var level: String
    var stream: String
    var text: String

    enum CodingKeys: String, CodingKey {
        case level, stream, text
        case timeMs = "time_ms"
    }

    init(_ line: Gongzhi_Host_V1_LogLine) {
        timeMs = String(line.timeMs)
        level = line.level
        stream = line.stream
        text = line.text
    }
}

private struct IssuedTokenJSON: Encodable {
    var info: TokenInfoJSON
    var token: String
}

private struct TokenListJSON: Encodable {
    var tokens: [TokenInfoJSON]
}

private struct TokenInfoJSON: Encodable {
    var id: String
    var kind: String
    var subject: String
    var scopes: [String]
    var createdAtMs: String
    var expiresAtMs: String
    var revoked: Bool
    var description: String
    var issuedBy: String

    enum CodingKeys: String, CodingKey {
        case id, kind, subject, scopes, revoked, description
        case createdAtMs = "created_at_ms"
        case expiresAtMs = "expires_at_ms"
        case issuedBy = "issued_by"
    }

    init(_ token: Gongzhi_Host_V1_TokenInfo) {
        id = token.id
        kind = token.kind
        subject = token.subject
        scopes = token.scopes
        createdAtMs = String(token.createdAtMs)
        expiresAtMs = String(token.expiresAtMs)
        revoked = token.revoked
        description = token.description_p
        issuedBy = token.issuedBy
    }
}

private struct AuditListJSON: Encodable {
    var entries: [AuditEntryJSON]
}

private struct AuditEntryJSON: Encodable {
    var sequence: String
    var timeMs: String
    var principal: String
    var action: String
    var target: String
    var outcome: String
    var detail: String
    var hash: String

    enum CodingKeys: String, CodingKey {
        case sequence, principal, action, target, outcome, detail, hash
        case timeMs = "time_ms"
    }

    init(_ entry: Gongzhi_Host_V1_AuditEntry) {
        sequence = String(entry.sequence)
        timeMs = String(entry.timeMs)
        principal = entry.principal
        action = entry.action
        target = entry.target
        outcome = entry.outcome
        detail = entry.detail
        hash = entry.hash
    }
}

struct AuditVerificationJSON: Encodable {
    var entries: String
    var intact: Bool
    var path: String
    var problem: String
}
