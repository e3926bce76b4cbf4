import GongzhiRPC
import GongzhiSchemas

#if canImport(Glibc)
import Glibc
#endif

/// `gongzhi.host.v1.Admin` on admin.sock: what `gongzhictl` calls. The dispatcher has already checked
/// that the caller's uid is an administrator's.
struct AdminService: Gongzhi_Host_V1_AdminHandler {
    let fleet: PluginFleet
    let credentials: Credentials
    let audit: AuditLog
    let startedAt: Int64
    let configuration: @Sendable () async -> HostConfiguration
    /// What `ListServices` answers from.
    let services: ServiceCatalogue
    /// The people tokens are issued to; nil when the host has no object store.
    var people: PeopleDirectory? = nil
    /// The hits of the host's limits, shown in `Status`.
    var limits: LimitCounters? = nil

    func admin(_ context: ServerCallContext) -> String {
        Principal.admin(uid: context.peer.uid, pid: context.peer.pid).description
    }

    func status(
        request: Gongzhi_Host_V1_StatusRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_HostStatus {
        let configuration = await configuration()
        var status = Gongzhi_Host_V1_HostStatus()
        status.version = GongzhiHostVersion.current
        status.pid = getpid()
        status.startedAtMs = startedAt
        status.configPath = configuration.path
        status.runtimeDir = configuration.runtimeDirectory
        status.dataDir = configuration.dataDirectory
        status.residentBytes = residentMemoryBytes()
        status.plugins = await fleet.statuses().map { withUser(Self.message($0)) }
        status.protocolVersions = PluginProtocol.supported
        status.limits = ((limits?.snapshot() ?? []) + countsKeptElsewhere()).map { hit in
            var limit = Gongzhi_Host_V1_LimitCount()
            limit.name = hit.name
            limit.count = hit.count
            limit.detail = hit.detail
            return limit
        }
        status.isolation = PluginIsolation.of(configuration).statusText
        return status
    }

    /// What the supervision and the token checks counted, beside the connection and admission limits: the times
    /// the host did not blame a plugin for its own load, and the streams it ended for a revoked or expired token.
    private func countsKeptElsewhere() -> [LimitCounters.Count] {
        let supervision = fleet.counters
        let counts: [(String, UInt64)] = [
            ("supervision.inconclusive_health_checks", supervision.inconclusiveHealthChecks),
            ("supervision.transient_spawn_retries", supervision.transientSpawnRetries),
            ("supervision.start_deadline_extensions", supervision.startDeadlineExtensions),
            ("tokens.streams_ended", credentials.tokens.openStreams.endedCount),
        ]
        return counts.filter { $0.1 > 0 }.map { LimitCounters.Count(name: $0.0, count: $0.1, detail: "") }
    }

    func listPlugins(
        request: Gongzhi_Host_V1_ListPluginsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_ListPluginsResponse {
        var response = Gongzhi_Host_V1_ListPluginsResponse()
        response.plugins = await fleet.statuses().map { withUser(Self.message($0)) }
        return response
    }

    func describePlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        guard let status = await fleet.status(request.name) else { throw await notFound(request.name) }
        return withUser(Self.message(status))
    }

    func enablePlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        try await operate("plugin.enable", request.name, context) { try await fleet.enable(request.name) }
    }

    func disablePlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        try await operate("plugin.disable", request.name, context) { try await fleet.disable(request.name) }
    }

    func restartPlugin(
        request: Gongzhi_Host_V1_PluginRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        try await operate("plugin.restart", request.name, context) { try await fleet.restart(request.name) }
    }

    private func operate(
        _ action: String,
        _ name: String,
        _ context: ServerCallContext,
        _ body: () async throws -> PluginStatus
    ) async throws -> Gongzhi_Host_V1_PluginStatus {
        do {
            let status = try await body()
            audit.record(
                principal: admin(context),
                action: action,
                target: name,
                outcome: "ok",
                detail: status.state.description
            )
            return Self.message(status)
        } catch let error as PluginFleet.OperatorError {
            let rpcError: RPCError
            switch error {
            case .notFound: rpcError = await notFound(name)
            case .notManaged(let name):
                rpcError = RPCError(
                    code: .failedPrecondition,
                    message: "plugin \(name) is external: it was started outside the host, so stop or start it there"
                )
            case .refused(let reason):
                rpcError = RPCError(code: .failedPrecondition, message: "plugin \(name) cannot start: \(reason)")
            }
            audit.record(
                principal: admin(context),
                action: action,
                target: name,
                outcome: "failed",
                detail: rpcError.message
            )
            throw rpcError
        }
    }

    private func notFound(_ name: String) async -> RPCError {
        let known = await fleet.statuses().map(\.name)
        return RPCError(
            code: .notFound,
            message: "no plugin named \(name)"
                + (known.isEmpty ? "; none is configured" : " (known: \(known.joined(separator: ", ")))")
        )
    }

    func pluginLogs(
        request: Gongzhi_Host_V1_PluginLogsRequest,
        responses: RPCResponseWriter<Gongzhi_Host_V1_LogLine>,
        context: ServerCallContext
    ) async throws {
        guard let buffer = await fleet.logs(request.name) else {
            if await fleet.status(request.name) != nil {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "plugin \(request.name) is external; its output goes wherever it was started"
                )
            }
            throw await notFound(request.name)
        }
        if request.follow {
            for await line in buffer.follow(tail: Int(request.tail)) {
                try await responses.write(Self.message(line))
            }
        } else {
            for line in buffer.tail(Int(request.tail)) {
                try await responses.write(Self.message(line))
            }
        }
    }

    private static func message(_ status: PluginStatus) -> Gongzhi_Host_V1_PluginStatus {
        var message = Gongzhi_Host_V1_PluginStatus()
        message.name = status.name
        message.state = status.state.description
        message.version = status.version
        message.managed = status.managed
        message.pid = status.pid
        message.sinceMs = status.sinceMilliseconds
        message.restarts = UInt32(clamping: status.restarts)
        message.reason = status.reason
        message.services = status.services
        message.requestedGrants = status.requestedGrants.map(\.description)
        message.approvedGrants = status.approvedGrants.map(\.description)
        message.effectiveGrants = status.effectiveGrants.map(\.description)
        message.socketPath = status.socketPath
        message.manifestPath = status.manifestPath
        message.executable = status.executable
        message.nextStartMs = status.nextStartMilliseconds ?? 0
        message.recentCrashes = UInt32(clamping: status.recentCrashes)
        return message
    }

    private static func message(_ line: PluginLogLine) -> Gongzhi_Host_V1_LogLine {
        var message = Gongzhi_Host_V1_LogLine()
        message.timeMs = line.timeMilliseconds
        message.level = line.level.rawValue
        message.stream = line.stream.rawValue
        message.text = line.text
        return message
    }

    func issueToken(
        request: Gongzhi_Host_V1_IssueTokenRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_IssuedToken {
        let kind: IssuedTokenRecord.Kind
        switch request.kind {
        case .client: kind = .client
        case .plugin: kind = .plugin
        case .person: kind = .person
        default:
            throw RPCError(code: .invalidArgument, message: "say what the token is for: a client, a plugin or a person")
        }
        guard !request.subject.isEmpty else {
            throw RPCError(
                code: .invalidArgument,
                message: "a token needs a subject: the client's or the plugin's name, or the person's id"
            )
        }
        if kind == .person {
            guard request.scopes.isEmpty else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "a person's token takes no scopes: the roles bound to person \(request.subject) decide "
                        + "what it allows (gongzhictl people bind)"
                )
            }
            guard let people else {
                throw RPCError(code: .unavailable, message: "this host has no object store, and so no people")
            }
            try people.requireTokenSubject(request.subject)
        }
        if kind == .plugin && !PluginManifest.isValidName(request.subject) {
            throw RPCError(
                code: .invalidArgument,
                message:
                    "\"\(request.subject)\" is not a plugin name (lower-case letters, digits and '-', at most 63; not \"host\")"
            )
        }
        if kind == .plugin, await fleet.isManaged(request.subject) {
            throw RPCError(
                code: .failedPrecondition,
                message: "plugin \(request.subject) is started by the host from its configuration and gets its own "
                    + "token at each start; an external plugin needs a name the configuration does not use"
            )
        }
        var scopes: [GrantPattern] = []
        for text in request.scopes {
            do {
                scopes.append(try GrantPattern(parsing: text))
            } catch {
                throw RPCError(code: .invalidArgument, message: error.message)
            }
        }
        let configuration = await configuration()
        let lifetime =
            request.ttlSeconds == 0 ? configuration.defaultTokenLifetime : .seconds(Int64(clamping: request.ttlSeconds))
        let (record, token) = try credentials.tokens.issue(
            kind: kind,
            subject: request.subject,
            scopes: scopes,
            lifetime: lifetime,
            description: request.description_p,
            issuedBy: admin(context)
        )
        audit.record(
            principal: admin(context),
            action: "token.issue",
            target: record.id,
            outcome: "ok",
            detail: "\(kind.rawValue) \(record.subject), scopes \(record.scopes.joined(separator: " "))"
        )
        var issued = Gongzhi_Host_V1_IssuedToken()
        issued.info = Self.info(record)
        issued.token = token
        return issued
    }

    func listTokens(
        request: Gongzhi_Host_V1_ListTokensRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_ListTokensResponse {
        var response = Gongzhi_Host_V1_ListTokensResponse()
        response.tokens = credentials.tokens.list().map(Self.info)
        return response
    }

    func revokeToken(
        request: Gongzhi_Host_V1_RevokeTokenRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_TokenInfo {
        guard let record = try credentials.tokens.revoke(id: request.id) else {
            audit.record(
                principal: admin(context),
                action: "token.revoke",
                target: request.id,
                outcome: "failed",
                detail: "no such token"
            )
            throw RPCError(
                code: .notFound,
                message: "no token with id \(request.id) (gongzhictl tokens list shows them)"
            )
        }
        audit.record(principal: admin(context), action: "token.revoke", target: record.id, outcome: "ok")
        await fleet.tokenRevoked(record.id)
        return Self.info(record)
    }

    private static func info(_ record: IssuedTokenRecord) -> Gongzhi_Host_V1_TokenInfo {
        var info = Gongzhi_Host_V1_TokenInfo()
        info.id = record.id
        info.kind = record.kind.rawValue
        info.subject = record.subject
        info.scopes = record.scopes
        info.createdAtMs = record.createdAtMilliseconds
        info.expiresAtMs = record.expiresAtMilliseconds
        info.revoked = record.revoked
        info.description_p = record.description
        info.issuedBy = record.issuedBy
        return info
    }

    func listAudit(
        request: Gongzhi_Host_V1_ListAuditRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_ListAuditResponse {
        var response = Gongzhi_Host_V1_ListAuditResponse()
        let limit = request.limit == 0 ? 50 : Int(min(request.limit, 1000))
        let records: [AuditRecord]
        if request.person.isEmpty {
            records = audit.recent(limit)
        } else {
            // "person:ID" alone, or at the end of "admin:uid=0 as person:ID".
            let name = "person:" + request.person
            records = audit.recent(limit) { $0.principal == name || $0.principal.hasSuffix(" as " + name) }
        }
        response.entries = records.map { record in
            var entry = Gongzhi_Host_V1_AuditEntry()
            entry.sequence = record.sequence
            entry.timeMs = record.timeMilliseconds
            entry.principal = record.principal
            entry.action = record.action
            entry.target = record.target
            entry.outcome = record.outcome
            entry.detail = record.detail
            entry.hash = record.hash
            return entry
        }
        return response
    }
}

extension AdminService {
    func verifyAudit(
        request: Gongzhi_Host_V1_VerifyAuditRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_VerifyAuditResponse {
        var response = Gongzhi_Host_V1_VerifyAuditResponse()
        response.path = audit.filePath
        do {
            let (records, problem) = try AuditLog.check(path: audit.filePath)
            response.entries = records
            response.intact = problem == nil
            response.problem = problem ?? ""
        } catch {
            throw RPCError(code: .internal, message: "cannot read the audit log \(audit.filePath): \(error)")
        }
        audit.record(
            principal: admin(context),
            action: "audit.verify",
            outcome: response.intact ? "ok" : "failed",
            detail: response.intact ? "\(response.entries) records" : response.problem
        )
        return response
    }
}

extension AdminService {
    func listServices(
        request: Gongzhi_Host_V1_ListServicesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_ListServicesResponse {
        var response = Gongzhi_Host_V1_ListServicesResponse()
        response.services = try services.list(name: request.name)
        return response
    }
}

/// Resident memory of this process, from /proc/self/statm.
func residentMemoryBytes() -> UInt64 {
    guard let bytes = try? readFile("/proc/self/statm") else { return 0 }
    let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
    return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
}
