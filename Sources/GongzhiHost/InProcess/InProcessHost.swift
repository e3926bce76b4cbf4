import GongzhiRPC
import GongzhiSchemas
import GongzhiStore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The host's handling of calls, assembled in this process with no sockets and no plugin processes: the
/// dispatcher that identifies callers, checks their grants and routes calls; the Objects service with its
/// kinds, ownership, redaction of personal data and audit; tokens; and plugins whose services run in this
/// process. For tests of the host's decisions and of plugins' logic, in milliseconds.
///
/// Callers reach it through ``adminChannel(peer:)`` (as on admin.sock: an administrator by uid) and
/// ``hostChannel(token:peer:)`` (as on host.sock: by token), which are ``InProcessChannel``s to the same
/// dispatchers the sockets use. A plugin is admitted as its manifest and the host's configuration would
/// admit it (``admit(plugin:services:requestedGrants:approvedGrants:peer:)``), calls the host with the token
/// it is given, and takes calls once its services are registered (``register(plugin:services:)``).
/// Supervision, health checks and the Admin service need plugin processes: they are the live host's.
///
/// ```swift
/// let host = try await InProcessHost(directory: folder, logger: logger)
/// let token = try host.admit(plugin: "board", services: ["gongzhi.example.v1.NoticeBoard"], requestedGrants: [])
/// try host.register(plugin: "board", services: [NoticeBoardService(...)])
/// let reader = host.hostChannel(token: try host.issueClientToken(scopes: ["gongzhi.example.v1.NoticeBoard/List"]))
/// ...
/// await host.close()
/// ```
public final class InProcessHost: Sendable {
    private struct AdmittedPlugin {
        var token: String
        var peer: PeerCredentials
        /// The services its manifest lists.
        var services: [String]
        var grants: [GrantPattern]
        var registered = false
    }

    /// The folder holding the store, the tokens and the audit log.
    public let directory: String
    /// The audit log (`audit.log` in ``directory``): denied calls, reads of personal data, tokens issued.
    package let audit: AuditLog
    /// The tokens administrators issued (`tokens.json` in ``directory``).
    package let tokens: TokenStore
    private let store: SQLiteObjectStorage
    private let objects: ObjectsService
    private let credentials: Credentials
    private let routes = RoutingTable()
    private let adminDispatcher: HostDispatcher
    private let hostDispatcher: HostDispatcher
    private let plugins = Mutex<[String: AdmittedPlugin]>([:])
    private let logger: Logger

    /// Opens the host's records in `directory` (created when missing): the object store (`objects.sqlite`),
    /// the tokens and the audit log. `adminUIDs` are the uids that are administrators on
    /// ``adminChannel(peer:)``; `configurationName` is what the host's messages name as its configuration
    /// (where a refused plugin's grants would be approved).
    public init(
        directory: String,
        adminUIDs: [UInt32] = [getuid()],
        configurationName: String = "the in-process host's configuration",
        logger: Logger
    ) async throws {
        do {
            try makeDirectory(directory, mode: 0o700)
        } catch {
            throw HostStartError(message: "cannot prepare the in-process host's folder \(directory): \(error)")
        }
        self.directory = directory
        self.logger = logger
        tokens = try TokenStore(path: directory + "/tokens.json")
        audit = try AuditLog(path: directory + "/audit.log", logger: logger)
        do {
            store = try SQLiteObjectStorage(
                configuration: SQLiteObjectStorage.Configuration(path: directory + "/objects.sqlite"),
                logger: logger
            )
            objects = ObjectsService(storage: store, audit: audit, logger: logger, openStreams: tokens.openStreams)
            try await objects.load()
        } catch {
            await audit.close()
            throw HostStartError(message: "cannot open the object store in \(directory): \(error)")
        }
        credentials = Credentials(tokens: tokens, adminUIDs: adminUIDs)
        adminDispatcher = HostDispatcher(
            socket: .admin,
            local: ServiceRegistry([]),
            routes: routes,
            credentials: credentials,
            audit: audit,
            configurationPath: configurationName,
            objects: objects
        )
        hostDispatcher = HostDispatcher(
            socket: .host,
            local: ServiceRegistry([]),
            routes: routes,
            credentials: credentials,
            audit: audit,
            configurationPath: configurationName,
            objects: objects
        )
    }

    /// The people, roles and bindings the host decides persons' calls by.
    var people: PeopleDirectory { objects.people }

    /// Ends watches, closes the store and writes what the audit log still holds.
    public func close() async {
        for name in pluginNames { routes.withdraw(plugin: name, reason: "the host is stopping") }
        try? await store.close()
        await audit.close()
    }

    // MARK: Callers

    /// A channel as admin.sock's caller `peer`: an administrator when its uid is one of the host's
    /// `adminUIDs`, refused otherwise.
    public func adminChannel(peer: PeerCredentials = .currentProcess) -> InProcessChannel {
        InProcessChannel(dispatcher: adminDispatcher, peer: peer, logger: logger)
    }

    /// A channel as host.sock's caller `peer`, presenting `token` on every call (none when nil).
    public func hostChannel(token: String?, peer: PeerCredentials = .currentProcess) -> any RPCClientChannel {
        let channel = InProcessChannel(dispatcher: hostDispatcher, peer: peer, logger: logger)
        guard let token else { return channel }
        return channel.addingMetadata([CallerMetadata.token: token])
    }

    /// Issues an API client token with `scopes` (grant patterns such as `gongzhi.host.v1.Objects/Get`), as
    /// `gongzhictl tokens issue --client` does, and audits it the same way.
    public func issueClientToken(
        subject: String = "test-client",
        scopes: [String],
        lifetime: Duration = .seconds(3600)
    ) throws -> String {
        try issueToken(kind: .client, subject: subject, scopes: scopes, lifetime: lifetime)
    }

    /// Issues a token for an external plugin named `subject` (one the host does not start), as
    /// `gongzhictl tokens issue --plugin` does. Until such a plugin registers, it may only register.
    public func issuePluginToken(
        subject: String,
        scopes: [String],
        lifetime: Duration = .seconds(3600)
    ) throws -> String {
        try issueToken(kind: .plugin, subject: subject, scopes: scopes, lifetime: lifetime)
    }

    /// Issues a person's token, as `gongzhictl tokens issue --person` does: what it allows is what the roles
    /// bound to the person allow, where they are bound.
    /// - Throws: NOT_FOUND for an unknown person, FAILED_PRECONDITION for a suspended one.
    public func issuePersonToken(person id: String, lifetime: Duration = .seconds(3600)) throws -> String {
        try objects.people.requireTokenSubject(id)
        return try issueToken(kind: .person, subject: id, scopes: [], lifetime: lifetime)
    }

    /// Revokes an issued token by its id (the part after `gzt_` and before the next `_`).
    public func revokeToken(id: String) throws {
        _ = try tokens.revoke(id: id)
    }

    private func issueToken(
        kind: IssuedTokenRecord.Kind,
        subject: String,
        scopes: [String],
        lifetime: Duration
    ) throws -> String {
        let patterns = try Self.parse(scopes)
        let issuer = Principal.admin(uid: getuid(), pid: getpid()).description
        let (record, token) = try tokens.issue(
            kind: kind,
            subject: subject,
            scopes: patterns,
            lifetime: lifetime,
            description: "",
            issuedBy: issuer
        )
        audit.record(
            principal: issuer,
            action: "token.issue",
            target: record.id,
            outcome: "ok",
            detail: "\(kind.rawValue) \(record.subject), scopes \(record.scopes.joined(separator: " "))"
        )
        return token
    }

    // MARK: Plugins

    /// Admits the plugin `name` as the host does when it starts it: its grants are those its manifest
    /// requests (`requestedGrants`) that the configuration approves (`approvedGrants`; nil approves them
    /// all), its services are claimed (calls to them answer UNAVAILABLE until it registers), and it gets
    /// a token bound to the process `peer`, which it presents on ``hostChannel(token:peer:)``.
    /// - Returns: the plugin's token.
    /// - Throws: INVALID_ARGUMENT for a bad name or grant, ALREADY_EXISTS for a name or service taken.
    public func admit(
        plugin name: String,
        services: [String],
        requestedGrants: [String],
        approvedGrants: [String]? = nil,
        peer: PeerCredentials = .currentProcess
    ) throws -> String {
        guard PluginManifest.isValidName(name) else {
            throw RPCError(
                code: .invalidArgument,
                message:
                    "\"\(name)\" is not a plugin name (lower-case letters, digits and '-', at most 63; not \"host\")"
            )
        }
        for service in services {
            if let reserved = PluginProtocol.reservedPrefix(of: service) {
                throw RPCError(
                    code: .invalidArgument,
                    message: "plugin \(name): \(service) is in \(reserved), which belongs to the host"
                )
            }
            if let owner = routes.owner(of: service), owner != name {
                throw RPCError(code: .alreadyExists, message: "\(service) is already served by plugin \(owner)")
            }
        }
        let requested = try Self.parse(requestedGrants)
        let approved = try approvedGrants.map { patterns throws(RPCError) in try Self.parse(patterns) } ?? requested
        let grants = GrantSet.effective(requested: requested, approved: approved)
        let token = try plugins.withLock { plugins in
            guard plugins[name] == nil else {
                throw RPCError(code: .alreadyExists, message: "plugin \(name) is already admitted")
            }
            let token = credentials.issueTicket(plugin: name)
            plugins[name] = AdmittedPlugin(token: token, peer: peer, services: services, grants: grants)
            return token
        }
        credentials.bind(ticket: token, pid: peer.pid)
        credentials.setGrants(GrantSet(grants), plugin: name)
        routes.claim(plugin: name, services: services, reason: "it is starting")
        return token
    }

    /// Routes calls for the plugin's services to `services`, run in this process, as the host does once
    /// the plugin registered. The services must be the ones its manifest lists.
    /// - Throws: NOT_FOUND for a plugin not admitted, FAILED_PRECONDITION for services that differ from
    ///   the manifest's or a second registration.
    public func register(plugin name: String, services: [any RPCService]) throws {
        let methods = Dictionary(
            services.map { ($0.serviceName, $0.methodHandlers.mapValues(\.kind)) },
            uniquingKeysWith: { first, _ in first }
        )
        // The host calls the plugin from its own process, and knows its messages as from a registration: the
        // SDK sends the descriptors of all the plugin's services, or none when one has none.
        let allDescribed = services.allSatisfy { $0.fileDescriptorSet != nil }
        let routed = try services.map { service throws(RPCError) in
            var described = [
                PluginRegistration.Service(
                    name: service.serviceName,
                    methods: service.methodHandlers.mapValues { PluginRegistration.Method(kind: $0.kind) }
                )
            ]
            if let descriptors = service.fileDescriptorSet, allDescribed {
                try PluginRegistration.Service.describe(&described, plugin: name, fileDescriptorSet: descriptors.bytes)
            }
            return described[0]
        }
        try plugins.withLock { plugins in
            guard var plugin = plugins[name] else {
                throw RPCError(code: .notFound, message: "plugin \(name) was not admitted; admit it first")
            }
            guard !plugin.registered else {
                throw RPCError(code: .failedPrecondition, message: "plugin \(name) has already registered")
            }
            let registered = Set(methods.keys)
            let declared = Set(plugin.services)
            if registered != declared || methods.count != services.count {
                var text = "registration of plugin \(name) does not match its manifest: its services differ"
                let missing = declared.subtracting(registered).sorted()
                let extra = registered.subtracting(declared).sorted()
                if !missing.isEmpty { text += "; missing: \(missing.joined(separator: ", "))" }
                if !extra.isEmpty { text += "; not in the manifest: \(extra.joined(separator: ", "))" }
                if methods.count != services.count { text += "; two of its services have the same name" }
                throw RPCError(code: .failedPrecondition, message: text)
            }
            plugin.registered = true
            plugins[name] = plugin
        }
        let channel = InProcessChannel(services: services, peer: .currentProcess, logger: logger)
        routes.publish(plugin: name, services: routed, target: .channel(channel))
        audit.record(
            principal: "plugin:\(name)",
            action: "plugin.register",
            target: name,
            outcome: "ok",
            detail: "in-process, pid \(getpid())"
        )
    }

    /// The channel the plugin calls the host with: host.sock, with its token, from its process.
    /// - Throws: NOT_FOUND for a plugin not admitted.
    public func pluginChannel(_ name: String) throws -> any RPCClientChannel {
        guard let plugin = plugins.withLock({ $0[name] }) else {
            throw RPCError(code: .notFound, message: "plugin \(name) was not admitted; admit it first")
        }
        return hostChannel(token: plugin.token, peer: plugin.peer)
    }

    /// The grants the plugin holds (requested and approved), or nil for a plugin not admitted.
    public func grants(plugin name: String) -> [String]? {
        plugins.withLock { $0[name]?.grants.map(\.description) }
    }

    /// True once the plugin's services take calls.
    public func isRegistered(plugin name: String) -> Bool {
        plugins.withLock { $0[name]?.registered ?? false }
    }

    /// The names of the admitted plugins, sorted.
    public var pluginNames: [String] {
        plugins.withLock { $0.keys.sorted() }
    }

    private static func parse(_ patterns: [String]) throws(RPCError) -> [GrantPattern] {
        var parsed: [GrantPattern] = []
        for text in patterns {
            do {
                parsed.append(try GrantPattern(parsing: text))
            } catch {
                throw RPCError(code: .invalidArgument, message: error.message)
            }
        }
        return parsed
    }
}
