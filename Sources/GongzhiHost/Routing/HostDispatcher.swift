import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decides every call that reaches the host: who the caller is, whether its grants allow the call,
/// and which handler serves it — one of the host's own services, or a plugin's, forwarded without
/// decoding the payload.
struct HostDispatcher: RPCCallDispatcher {
    enum Socket: Sendable {
        /// admin.sock: callers are identified by uid.
        case admin
        /// host.sock: callers are identified by token.
        case host
    }

    let socket: Socket
    /// The host's own services on this socket.
    let local: ServiceRegistry
    let routes: RoutingTable
    let credentials: Credentials
    let audit: AuditLog
    let configurationPath: String
    /// The object store, served on both sockets with per-method grants.
    let objects: ObjectsService?
    /// Admits each call to its share of the host before it runs; nil runs every call at once.
    var admission: AdmissionController? = nil

    /// A caller as identified, and what it may do before grants are checked.
    private struct Caller {
        var principal: Principal
        /// The scopes of an API client's token.
        var clientGrants: GrantSet?
        /// True for a plugin whose token may only register until the registration binds it to a process
        /// (an external plugin's token, or a ticket whose process the host has not recorded yet).
        var registersOnly = false
        /// For a person: what their roles allow where.
        var access: PersonAccess?
        /// The issued token the caller presented, when it presented one.
        var token: IssuedTokenRecord?
    }

    private var people: PeopleDirectory? { objects?.people }

    /// The grant that lets a client or a plugin name the person it acts for.
    private static let impersonate: GrantPattern = {
        guard let pattern = try? GrantPattern(parsing: PlatformGrants.impersonate) else {
            preconditionFailure("\(PlatformGrants.impersonate) is a grant pattern")
        }
        return pattern
    }()

    func dispatch(_ head: RPCCallHead) -> Result<RPCMethodHandler, RPCError> {
        var principal: Principal?
        let decided = decide(head, &principal)
        guard let admission, let principal, case .success(let handler) = decided else { return decided }
        let level = PriorityLevel.of(
            service: head.service,
            principal: principal,
            onAdminSocket: socket == .admin,
            routedTo: local.serves(head.service) ? nil : routes.lookup(head.service)?.plugin
        )
        return .success(AdmittedHandler.wrap(handler, flow: FlowKey(principal), level: level, controller: admission))
    }

    /// The handler of a call, or its refusal; `decided` is who the caller was found to be.
    private func decide(_ head: RPCCallHead, _ decided: inout Principal?) -> Result<RPCMethodHandler, RPCError> {
        var caller: Caller
        switch identify(head) {
        case .success(let found): caller = found
        case .failure(let error):
            audit.record(
                principal: "unknown:pid=\(head.peer.pid),uid=\(head.peer.uid)",
                action: "\(head.service)/\(head.method)",
                outcome: "denied",
                detail: error.message
            )
            return .failure(error)
        }
        // Connections per principal are capped at the first call that identifies one ([connections]).
        if let refusal = head.connection?.identify(as: caller.principal.description) { return .failure(refusal) }
        let isRegistration = head.service == Gongzhi_Host_V1_Registration.serviceName

        if caller.registersOnly && !isRegistration {
            return deny(caller.principal, head, "\(caller.principal) must register before it calls anything else")
        }
        if let named = head.metadata[CallerMetadataKey.actAs], !named.isEmpty {
            switch actingFor(named, caller: caller, head: head) {
            case .success(let person): caller = person
            case .failure(let error): return .failure(error)
            }
        }
        decided = caller.principal
        let handler = handler(head, caller: caller)
        guard caller.token != nil || caller.access != nil, case .success(let found) = handler,
            case .streaming(let body) = found.body
        else { return handler }
        return .success(endingWithCaller(found.kind, body, caller: caller, head: head))
    }

    /// A stream that ends as soon as the token it was opened with is revoked or expires (UNAUTHENTICATED), or the
    /// person it acts for is suspended or removed (as their next call would be refused) or their access changes
    /// (ABORTED), with the reason.
    private func endingWithCaller(
        _ kind: RPCKind,
        _ body: @escaping RPCMethodHandler.Streaming,
        caller: Caller,
        head: RPCCallHead
    ) -> RPCMethodHandler {
        let tokens = credentials.tokens
        let audit = audit
        let action = "\(head.service)/\(head.method)"
        let token = caller.token
        let principal = caller.principal
        // A person's own token is refused UNAUTHENTICATED once they are suspended; acting for them, PERMISSION_DENIED.
        let person = caller.access.map { access in
            OpenStreams.Person(
                id: access.id,
                cannotActCode: token?.kind == .person && token?.subject == access.id
                    ? .unauthenticated : .permissionDenied
            )
        }
        let people = self.people
        let decidedAccess = caller.access
        return RPCMethodHandler(kind: kind) { requests, responses, context in
            try await tokens.openStreams.run(
                under: token,
                person: person,
                personChanged: { decidedAccess.flatMap { people?.change(since: $0) } },
                isRevoked: { token.map { tokens.isRevoked(id: $0.id) } ?? false },
                onEnd: { reason in
                    audit.record(principal: principal.description, action: action, outcome: "ended", detail: reason)
                }
            ) {
                try await body(requests, responses, context)
            }
        }
    }

    /// The handler of a call from `caller`, once it is identified.
    private func handler(_ head: RPCCallHead, caller: Caller) -> Result<RPCMethodHandler, RPCError> {
        let principal = caller.principal
        if head.service == Gongzhi_Host_V1_People.serviceName {
            let call = IdentityCall(principal: principal, access: caller.access, token: caller.token, objects: objects)
            guard let handler = call.methodHandlers[head.method] else {
                return .failure(
                    RPCError(
                        code: .unimplemented,
                        message: "\(head.service) has no method \(head.method) (it has: WhoAmI)"
                    )
                )
            }
            return .success(handler)
        }
        if head.service == Gongzhi_Host_V1_Objects.serviceName, let objects {
            return dispatchObjects(head, caller: caller, objects: objects)
        }
        if let access = caller.access {
            if local.serves(head.service) {
                return deny(
                    principal,
                    head,
                    "\(head.service) is not called as a person: administration is done by administrators as "
                        + "themselves (drop --as / the gongzhi-act-as entry)"
                )
            }
            guard let grant = access.methodGrant(service: head.service, method: head.method) else {
                return deny(
                    principal,
                    head,
                    "person \(access.id) may not call \(head.service)/\(head.method): none of their roles allows it "
                        + "(they hold: \(access.summary)); an administrator binds them to a role that does"
                )
            }
            let person = RoutedPerson(
                id: access.id,
                name: access.person.name,
                roles: grant.roles,
                places: grant.places,
                personalDataPlaces: grant.personalData
            )
            return route(head, principal: principal, seesPersonalData: !grant.personalData.isEmpty, person: person)
        }
        if local.serves(head.service) {
            if head.service == Gongzhi_Host_V1_Registration.serviceName {
                guard case .plugin = principal else {
                    return deny(principal, head, "only plugins register; \(principal) is not a plugin")
                }
            }
            return local.dispatch(head)
        }
        let granted = caller.clientGrants ?? grants(of: principal)
        guard granted.allows(service: head.service, method: head.method) else {
            return deny(principal, head, notGranted(principal, head))
        }
        let seesPersonalData = granted.allows(
            service: ObjectGrants.personalDataService,
            method: ObjectGrants.personalDataMethod
        )
        return route(head, principal: principal, seesPersonalData: seesPersonalData)
    }

    /// The verbs an Objects method needs some role of a person's to allow (on some kind; the method checks the
    /// kind and the place); nil for a method every person may call.
    private static func verbs(ofObjectsMethod method: String) -> [ObjectVerb]? {
        switch method {
        case Gongzhi_Host_V1_Objects.Method.get: [.get]
        case Gongzhi_Host_V1_Objects.Method.list: [.list]
        case Gongzhi_Host_V1_Objects.Method.watch: [.watch]
        case Gongzhi_Host_V1_Objects.Method.create: [.create]
        case Gongzhi_Host_V1_Objects.Method.update: [.update]
        case Gongzhi_Host_V1_Objects.Method.delete: [.delete]
        case Gongzhi_Host_V1_Objects.Method.txn: [.create, .update, .delete, .get]
        default: nil
        }
    }

    /// The object store's methods: each needs its grant (`gongzhi.host.v1.Objects/METHOD`), and personal data is
    /// shown only to holders of ``ObjectGrants/personalData``. A person's roles grant verbs on kinds instead,
    /// place by place.
    private func dispatchObjects(
        _ head: RPCCallHead,
        caller: Caller,
        objects: ObjectsService
    ) -> Result<RPCMethodHandler, RPCError> {
        let principal = caller.principal
        let grants = caller.clientGrants ?? grants(of: principal)
        let objectCaller = ObjectCaller(
            principal: principal,
            readsPersonalData: grants.allows(
                service: ObjectGrants.personalDataService,
                method: ObjectGrants.personalDataMethod
            ),
            access: caller.access
        )
        guard let handler = objects.handler(method: head.method, caller: objectCaller) else {
            return .failure(
                RPCError(
                    code: .unimplemented,
                    message: "\(head.service) has no method \(head.method) (it has: "
                        + objects.methodNames.joined(separator: ", ") + ")"
                )
            )
        }
        if let access = caller.access {
            if head.method == Gongzhi_Host_V1_Objects.Method.listKinds { return .success(handler) }
            guard let verbs = Self.verbs(ofObjectsMethod: head.method),
                verbs.contains(where: { access.allowsOnSomeKind($0) })
            else {
                return deny(
                    principal,
                    head,
                    "person \(access.id) may not call \(head.service)/\(head.method): none of their roles allows "
                        + "it (they hold: \(access.summary))"
                )
            }
            return .success(handler)
        }
        guard grants.allows(service: head.service, method: head.method) else {
            return deny(principal, head, notGranted(principal, head))
        }
        return .success(handler)
    }

    private func notGranted(_ principal: Principal, _ head: RPCCallHead) -> String {
        "\(principal) may not call \(head.service)/\(head.method); an administrator grants this "
            + (principal.kind == "plugin"
                ? "by approving it in the plugin's grants in \(configurationPath)"
                : "with a token scope that covers it")
    }

    private func deny(
        _ principal: Principal,
        _ head: RPCCallHead,
        _ message: String
    ) -> Result<RPCMethodHandler, RPCError> {
        audit.record(
            principal: principal.description,
            action: "\(head.service)/\(head.method)",
            outcome: "denied",
            detail: message
        )
        return .failure(RPCError(code: .permissionDenied, message: message))
    }

    private func grants(of principal: Principal) -> GrantSet {
        switch principal {
        case .admin: .everything
        case .plugin(let name, _, _): credentials.grants(plugin: name)
        case .client, .person: .none
        }
    }

    /// The person `id` as the caller acting for them: an administrator may name anyone; a client or a plugin
    /// needs the impersonate grant; a person may not name another.
    private func actingFor(_ id: String, caller: Caller, head: RPCCallHead) -> Result<Caller, RPCError> {
        let base = caller.principal
        let allowed: Bool
        switch base {
        case .admin: allowed = true
        case .client, .plugin:
            let granted = caller.clientGrants ?? grants(of: base)
            allowed = granted.patterns.contains { $0.covers(Self.impersonate) }
        case .person: allowed = false
        }
        guard allowed else {
            let message =
                base.kind == "person"
                ? "\(base) names person \(id) to act for, but a person acts only as themselves"
                : "\(base) may not act for a person: it needs the grant \(PlatformGrants.impersonate) "
                    + (base.kind == "plugin"
                        ? "(approved in the plugin's grants in \(configurationPath))"
                        : "(a token scope that covers it)")
            if case .failure(let error) = deny(base, head, message) { return .failure(error) }
            return .failure(RPCError(code: .permissionDenied, message: message))
        }
        guard let people else {
            return .failure(RPCError(code: .unavailable, message: "this host has no object store, and so no people"))
        }
        switch people.access(id) {
        case .failure(let refusal):
            let message = "\(base) cannot act for person \(id): \(refusal.message)"
            audit.record(
                principal: base.description,
                action: "\(head.service)/\(head.method)",
                outcome: "denied",
                detail: message
            )
            return .failure(RPCError(code: .permissionDenied, message: message))
        case .success(let access):
            var person = caller
            person.principal = .person(
                id: id,
                tokenID: nil,
                actingFor: base,
                pid: base.pid,
                uid: base.uid
            )
            person.access = access
            person.clientGrants = GrantSet.none
            return .success(person)
        }
    }

    /// Who the caller is, from the kernel's word on its process and the token it presents.
    private func identify(_ head: RPCCallHead) -> Result<Caller, RPCError> {
        let peer = head.peer
        switch socket {
        case .admin:
            // By uid: a plugin's user is never an administrator, whatever admin_uids says.
            if case let (plugin, user)? = credentials.plugin(runningAs: peer.uid) {
                return .failure(
                    RPCError(
                        code: .permissionDenied,
                        message:
                            "uid \(peer.uid) (\(user)) is the user of plugin \(plugin); plugins are not administrators"
                    )
                )
            }
            guard credentials.isAdmin(uid: peer.uid) else {
                return .failure(
                    RPCError(
                        code: .permissionDenied,
                        message: "uid \(peer.uid) is not an administrator of this host; "
                            + "admin_uids in \(configurationPath) lists who is"
                    )
                )
            }
            // A weak extra that matters only when plugins run as the host's own user (a host that is not root): a
            // plugin leaves its process group with setsid, which is why status then says they are not isolated.
            if credentials.isPluginProcessGroup(getpgid(peer.pid)) {
                return .failure(
                    RPCError(
                        code: .permissionDenied,
                        message: "pid \(peer.pid) is a plugin's process; plugins are not administrators"
                    )
                )
            }
            return .success(Caller(principal: .admin(uid: peer.uid, pid: peer.pid)))
        case .host:
            guard let token = head.metadata[CallerMetadata.token], !token.isEmpty else {
                return .failure(
                    RPCError(
                        code: .unauthenticated,
                        message: "calls on host.sock need a token in the \(CallerMetadata.token) metadata entry"
                    )
                )
            }
            if token.hasPrefix(TokenStore.prefix) {
                switch credentials.tokens.verifyWithGrants(token) {
                case .failure(let rejection):
                    return .failure(RPCError(code: .unauthenticated, message: rejection.message))
                case .success(let (record, grants)):
                    switch record.kind {
                    case .client:
                        let client = Principal.client(
                            tokenID: record.id,
                            subject: record.subject,
                            pid: peer.pid,
                            uid: peer.uid
                        )
                        return .success(Caller(principal: client, clientGrants: grants, token: record))
                    case .plugin:
                        let plugin = Principal.plugin(name: record.subject, pid: peer.pid, uid: peer.uid)
                        // Bound to the process that registered with it; until then it only registers.
                        let bound = peer.pid != 0 && credentials.externalPID(plugin: record.subject) == peer.pid
                        return .success(Caller(principal: plugin, registersOnly: !bound))
                    case .person:
                        guard let people else {
                            return .failure(
                                RPCError(code: .unavailable, message: "this host has no object store, and so no people")
                            )
                        }
                        switch people.access(record.subject) {
                        case .failure(let refusal):
                            return .failure(
                                RPCError(code: .unauthenticated, message: "token \(record.id): \(refusal.message)")
                            )
                        case .success(let access):
                            let person = Principal.person(
                                id: record.subject,
                                tokenID: record.id,
                                actingFor: nil,
                                pid: peer.pid,
                                uid: peer.uid
                            )
                            return .success(
                                Caller(principal: person, clientGrants: GrantSet.none, access: access, token: record)
                            )
                        }
                    }
                }
            }
            guard let ticket = credentials.ticket(token) else {
                return .failure(RPCError(code: .unauthenticated, message: TokenRejection.unknown.message))
            }
            if head.service == Gongzhi_Host_V1_Registration.serviceName {
                // The fleet checks the process when it handles the registration, once the ticket is
                // surely bound to the process it was given to.
                let plugin = Principal.plugin(name: ticket.plugin, pid: peer.pid, uid: peer.uid)
                return .success(Caller(principal: plugin, registersOnly: true))
            }
            do {
                try ticket.check(presentedBy: peer.pid)
            } catch {
                return .failure(error)
            }
            return .success(Caller(principal: .plugin(name: ticket.plugin, pid: peer.pid, uid: peer.uid)))
        }
    }

    private func route(
        _ head: RPCCallHead,
        principal: Principal,
        seesPersonalData: Bool,
        person: RoutedPerson? = nil
    ) -> Result<RPCMethodHandler, RPCError> {
        guard let route = routes.lookup(head.service) else {
            var served = Array(routes.servicesByName.keys)
            served.append(contentsOf: local.serviceNames)
            return .failure(
                RPCError(
                    code: .unimplemented,
                    message: "no plugin serves \(head.service.isEmpty ? "(empty service name)" : head.service)"
                        + " (served here: \(served.sorted().joined(separator: ", ")))"
                )
            )
        }
        guard let endpoint = route.endpoint else {
            return .failure(
                RPCError(
                    code: .unavailable,
                    message: "plugin \(route.plugin), which serves \(head.service), is not taking calls: "
                        + route.unavailableReason
                )
            )
        }
        guard let method = endpoint.methods[head.method] else {
            return .failure(
                RPCError(
                    code: .unimplemented,
                    message: "\(head.service) has no method \(head.method) (it has: "
                        + endpoint.methods.keys.sorted().joined(separator: ", ") + ")"
                )
            )
        }
        let privacy = AnswerPrivacy(
            plugin: route.plugin,
            service: head.service,
            method: route.schema?.methods[head.method],
            principal: principal,
            seesPersonalData: seesPersonalData,
            person: person,
            audit: audit
        )
        return .success(
            Forwarding.handler(
                target: endpoint.target,
                plugin: route.plugin,
                service: head.service,
                method: head.method,
                kind: method.kind,
                principal: principal,
                seesPersonalData: seesPersonalData,
                person: person,
                privacy: privacy,
                refusals: person == nil ? nil : audit
            )
        )
    }
}

/// Handlers that pass a call on to a plugin: the payload bytes as they came, the caller's identity
/// in the metadata, and what is left of the caller's deadline. Answers come back as the plugin wrote them,
/// except for personal data, which `privacy` removes or audits.
enum Forwarding {
    static func handler(
        target: RoutingTable.Endpoint.Target,
        plugin: String,
        service: String,
        method: String,
        kind: RPCKind,
        principal: Principal,
        seesPersonalData: Bool,
        person: RoutedPerson? = nil,
        privacy: AnswerPrivacy? = nil,
        refusals: AuditLog? = nil
    ) -> RPCMethodHandler {
        // A plugin's refusal of a person is audited as the host's own are: the plugin's message names why.
        let pluginError: @Sendable (any Error, String) -> any Error = { error, plugin in
            let passed = Self.pluginError(error, plugin: plugin)
            if let refusals, let refused = passed as? RPCError, refused.code == .permissionDenied {
                refusals.record(
                    principal: principal.description,
                    action: "\(service)/\(method)",
                    target: "plugin:\(plugin)",
                    outcome: "denied",
                    detail: refused.message
                )
            }
            return passed
        }
        switch (kind, target) {
        case (.unary, .channel(let channel)):
            return RPCMethodHandler(unary: { payload, context in
                let options = try callOptions(
                    context,
                    principal: principal,
                    seesPersonalData: seesPersonalData,
                    person: person
                )
                let response: RawResponse
                do {
                    response = try await channel.unary(
                        service: service,
                        method: method,
                        payload: payload,
                        options: options
                    )
                } catch {
                    throw pluginError(error, plugin)
                }
                let (answer, metadata) = try present(response, privacy: privacy)
                if !metadata.isEmpty { context.responseMetadata = metadata }
                return answer
            })
        case (.unary, .socket(let connections)):
            // On the event loop, with no task: the call is written to the plugin on this loop's
            // connection, and its answer is passed back from there.
            return RPCMethodHandler(unaryCallback: { payload, context, answer in
                let options: CallOptions
                do {
                    options = try callOptions(
                        context,
                        principal: principal,
                        seesPersonalData: seesPersonalData,
                        person: person
                    )
                } catch {
                    answer(.failure(error))
                    return
                }
                connections.local.unary(service: service, method: method, payload: payload, options: options) {
                    switch $0 {
                    case .success(let response):
                        do {
                            let (payload, metadata) = try present(response, privacy: privacy)
                            if !metadata.isEmpty { context.responseMetadata = metadata }
                            answer(.success(payload))
                        } catch {
                            answer(.failure(error))
                        }
                    case .failure(let error):
                        answer(.failure(pluginError(error, plugin)))
                    }
                }
            })
        case (.serverStreaming, _), (.clientStreaming, _), (.bidirectionalStreaming, _):
            return RPCMethodHandler(
                kind: kind,
                streaming: { requests, responses, context in
                    let client: any RPCClientChannel
                    switch target {
                    case .socket(let connections): client = connections.local
                    case .channel(let channel): client = channel
                    }
                    let options = try callOptions(
                        context,
                        principal: principal,
                        seesPersonalData: seesPersonalData,
                        person: person
                    )
                    do {
                        let first = kind == .serverStreaming ? try await requests.single { $0 } : Data()
                        let stream = try await client.openStream(
                            service: service,
                            method: method,
                            kind: kind,
                            payload: first,
                            options: options
                        )
                        return try await withThrowingTaskGroup(of: Void.self) { group in
                            if kind.clientStreams {
                                group.addTask {
                                    for try await message in requests {
                                        try await stream.send(message)
                                    }
                                    try await stream.closeSend()
                                }
                            }
                            do {
                                // The fields removed from any of the answers, named in the final metadata.
                                var removed: Set<String> = []
                                for try await message in stream.responses {
                                    guard let privacy else {
                                        try await responses.write(message)
                                        continue
                                    }
                                    let presented = try privacy.present(message)
                                    removed.formUnion(presented.removed)
                                    try await responses.write(presented.payload)
                                }
                                let final = try await stream.finalResponse()
                                // The plugin has answered: requests the caller still sends are not wanted.
                                group.cancelAll()
                                var payload = final.payload
                                if let privacy, !payload.isEmpty {
                                    let presented = try privacy.present(payload)
                                    removed.formUnion(presented.removed)
                                    payload = presented.payload
                                }
                                var metadata = final.metadata
                                metadata.remove(AnswerPrivacy.redactedMetadataKey)
                                if !removed.isEmpty {
                                    metadata.add(
                                        AnswerPrivacy.redactedMetadataKey,
                                        removed.sorted().joined(separator: ",")
                                    )
                                }
                                if !metadata.isEmpty { context.responseMetadata = metadata }
                                return payload
                            } catch {
                                stream.cancel()
                                group.cancelAll()
                                throw error
                            }
                        }
                    } catch {
                        throw pluginError(error, plugin)
                    }
                }
            )
        }
    }

    /// A unary answer as the caller may see it, with the fields removed from it named in its metadata.
    private static func present(
        _ response: RawResponse,
        privacy: AnswerPrivacy?
    ) throws(RPCError) -> (payload: Data, metadata: Metadata) {
        // The entry is the host's word: a plugin cannot set it.
        var metadata = response.metadata
        metadata.remove(AnswerPrivacy.redactedMetadataKey)
        guard let privacy else { return (response.payload, metadata) }
        let presented = try privacy.present(response.payload)
        if !presented.removed.isEmpty {
            metadata.add(AnswerPrivacy.redactedMetadataKey, presented.removed.joined(separator: ","))
        }
        return (presented.payload, metadata)
    }

    private static func callOptions(
        _ context: ServerCallContext,
        principal: Principal,
        seesPersonalData: Bool,
        person: RoutedPerson?
    ) throws -> CallOptions {
        var timeout: Duration?
        if let deadline = context.deadline {
            let remaining = deadline - .now
            guard remaining > .zero else {
                throw RPCError(
                    code: .deadlineExceeded,
                    message: "the caller's deadline passed before the call was forwarded"
                )
            }
            timeout = remaining
        }
        return CallOptions(
            timeout: timeout,
            metadata: CallerMetadata.forwarded(
                context.requestMetadata,
                principal: principal,
                seesPersonalData: seesPersonalData,
                person: person
            )
        )
    }

    /// The plugin's own errors pass through unchanged; a lost connection says which plugin was lost.
    private static func pluginError(_ error: any Error, plugin: String) -> any Error {
        guard let rpcError = error as? RPCError else { return error }
        if rpcError.code == .unavailable && !rpcError.message.contains("plugin \(plugin)") {
            return RPCError(code: .unavailable, message: "plugin \(plugin): \(rpcError.message)", cause: rpcError)
        }
        return rpcError
    }
}
