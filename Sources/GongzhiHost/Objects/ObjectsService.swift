import GongzhiHashing
import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas
import GongzhiStore
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who calls an Objects method, as the host's dispatcher identified it.
struct ObjectCaller: Sendable {
    var principal: Principal
    /// Holds the personal-data grant: sees sensitive fields, and every read that shows them is audited. For a
    /// person, their roles decide instead, place by place (`access`).
    var readsPersonalData: Bool
    /// What a person's roles allow where; nil for callers that are not people.
    var access: PersonAccess?

    init(principal: Principal, readsPersonalData: Bool, access: PersonAccess? = nil) {
        self.principal = principal
        self.readsPersonalData = readsPersonalData
        self.access = access
    }
}

/// The grants of the object store beyond its methods.
package enum ObjectGrants {
    /// Seeing sensitive fields (ID numbers, phones, notes…): `gongzhi.host.v1.PersonalData/Read`. Without it,
    /// every object a caller reads has those fields removed and listed in `redacted_fields`.
    package static let personalDataService = "gongzhi.host.v1.PersonalData"
    package static let personalDataMethod = "Read"
    package static var personalData: String { "\(personalDataService)/\(personalDataMethod)" }
}

/// The host's object store as a service: checks kinds, ownership and data, redacts personal data for callers
/// without the grant, audits every read that shows it, and follows the store's history for watchers.
final class ObjectsService: Sendable {
    let storage: any ObjectStorage
    let kinds: KindRegistry
    let audit: AuditLog
    let logger: Logger
    /// The people, roles and bindings, for deciding what a person may do.
    let people: PeopleDirectory
    /// Each principal's share of the store's readers; nil lets every read run at once.
    let readShare: StoreReadShare?

    /// The page size of a list that asks for none.
    static let defaultPageSize = 500
    /// How many changes a watcher reads from the history at a time while it catches up.
    static let watchBatch = 1000
    /// How many it reads at a time once it follows the head (the store reads so few at once, quickly).
    static let followingBatch = 32
    /// The most data one object may hold: a frame's worth less room for the object's other fields and the
    /// envelope, so that every object can be read back in one message.
    static let maximumDataSize = Frame.maxDataLength - 64 * 1024
    /// How many bytes of objects one List page or Txn response carries at most.
    static let responseBudget = Frame.maxDataLength - 64 * 1024
    /// How many ids an audit record of a read names (with the count, and a digest of all of them).
    static let auditedIDs = 100

    init(
        storage: any ObjectStorage,
        audit: AuditLog,
        logger: Logger,
        readShare: StoreReadShare? = nil,
        openStreams: OpenStreams? = nil
    ) {
        self.storage = storage
        self.readShare = readShare
        self.kinds = KindRegistry()
        self.audit = audit
        self.logger = logger
        self.people = PeopleDirectory(storage: storage, logger: logger, openStreams: openStreams)
    }

    /// Reads what the store holds that the host keeps in memory: the kinds plugins registered earlier, and the
    /// people, roles and bindings (after bringing the built-in roles up to date).
    func load() async throws(StoreError) {
        try await loadRegisteredKinds()
        try await people.installBuiltInRoles()
        try await people.reload()
    }

    /// Reads the kinds plugins registered earlier from the store.
    private func loadRegisteredKinds() async throws(StoreError) {
        let registrations = try await storage.listAll(kind: KindRegistry.registrationKind)
        for object in registrations {
            if let held = kinds.kind(object.id), held.revision == 0 {
                logger.error(
                    "a plugin's registration of a kind the host now defines is ignored",
                    metadata: ["kind": "\(object.id)", "plugin": "\(object.owner)"]
                )
                continue
            }
            do {
                let request = try Gongzhi_Host_V1_RegisterKindRequest(serializedBytes: object.data)
                kinds.register(try KindRegistry.parse(request, owner: object.owner, revision: object.revision))
            } catch {
                logger.error(
                    """
                    a stored kind registration cannot be read; objects of the kind are unavailable until its \
                    plugin registers it again
                    """,
                    metadata: ["kind": "\(object.id)", "error": "\(error)"]
                )
            }
        }
    }

    /// The service's method names, sorted.
    var methodNames: [String] {
        ObjectsCall(service: self, caller: ObjectCaller(principal: .admin(uid: 0, pid: 0), readsPersonalData: false))
            .methodHandlers.keys.sorted()
    }

    /// The handler of `method` for one caller. A List runs on the answer loops (``AnswerLoops``): its page may be
    /// thousands of objects to redact and encode.
    func handler(method: String, caller: ObjectCaller) -> RPCMethodHandler? {
        guard let handler = ObjectsCall(service: self, caller: caller).methodHandlers[method] else { return nil }
        return method == Gongzhi_Host_V1_Objects.Method.list ? AnswerLoops.shared.running(handler) : handler
    }
}

/// One caller's view of the Objects service.
struct ObjectsCall: Gongzhi_Host_V1_ObjectsHandler {
    let service: ObjectsService
    let caller: ObjectCaller

    var storage: any ObjectStorage { service.storage }
    var kinds: KindRegistry { service.kinds }

    /// A read of the store, within the caller's share of its readers (``StoreReadShare``).
    func read<T>(_ body: () async throws(StoreError) -> T) async throws(RPCError) -> T {
        guard let share = service.readShare else { return try await storeCall(body) }
        return try await share.reading(FlowKey(caller.principal)) { () async throws(RPCError) in
            try await storeCall(body)
        }
    }

    // MARK: Reads

    func get(request: Gongzhi_Host_V1_GetRequest, context: ServerCallContext) async throws -> Gongzhi_Host_V1_Object {
        let kind = try kinds.require(request.kind)
        let action = Gongzhi_Host_V1_Objects.Method.get
        let scope = try scope(.get, kind, action: action, target: "\(request.kind)/\(request.id)")
        // A point read of one row, on the store's own connection for them: not one of the pool's readers.
        let found = try await storeCall { () async throws(StoreError) in
            try await storage.get(kind: request.kind, id: request.id)
        }
        guard let found else {
            throw RPCError(code: .notFound, message: "\(request.kind)/\(request.id) does not exist")
        }
        try requireWithin(scope, found, kind: kind, verb: .get, action: action)
        return present([found], action: action)[0]
    }

    func list(
        request: Gongzhi_Host_V1_ListRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_ListResponse
    {
        let kind = try kinds.require(request.kind)
        let scope = try scope(.list, kind, action: Gongzhi_Host_V1_Objects.Method.list, target: request.kind)
        let pageSize = request.pageSize == 0 ? ObjectsService.defaultPageSize : Int(request.pageSize)
        let labels = try await storeCall { () throws(StoreError) in
            try LabelRequirement.parseSelector(request.labelSelector)
        }
        let page: ObjectPage
        // The objects' places, when the list read them to keep to the caller's.
        var places: [String]?
        if scope.isEverywhere || kind.schema.place == nil {
            page = try await read { () async throws(StoreError) in
                try await storage.list(
                    kind: request.kind,
                    labels: labels,
                    parent: request.parent.isEmpty ? nil : request.parent,
                    pageSize: pageSize,
                    after: request.pageToken.isEmpty ? nil : request.pageToken,
                    maxBytes: ObjectsService.responseBudget
                )
            }
        } else {
            guard (1...ObjectStorageLimits.maximumPageSize).contains(pageSize) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "page_size \(pageSize) is outside 1...\(ObjectStorageLimits.maximumPageSize)"
                )
            }
            (page, places) = try await listWithin(
                scope,
                kind: kind,
                labels: labels,
                parent: request.parent.isEmpty ? nil : request.parent,
                pageSize: pageSize,
                after: request.pageToken.isEmpty ? nil : request.pageToken
            )
        }
        // Both paths end a page early rather than outgrow one message (the store's byte budget); the next page
        // starts after its last object.
        var response = Gongzhi_Host_V1_ListResponse()
        response.objects = present(page.objects, action: Gongzhi_Host_V1_Objects.Method.list, places: places)
        response.nextPageToken = page.nextPageToken ?? ""
        response.revision = page.revision
        return response
    }

    func listKinds(
        request: Gongzhi_Host_V1_ListKindsRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_ListKindsResponse
    {
        var response = Gongzhi_Host_V1_ListKindsResponse()
        response.kinds = kinds.all.filter { $0.name != KindRegistry.registrationKind }.map(\.message)
        return response
    }

    // MARK: Writes

    func create(
        request: Gongzhi_Host_V1_CreateRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_Object
    {
        let draft = try draft(request.object)
        let result = try await commit(Transaction(writes: [.create(draft)]))
        return present(result.objects, action: Gongzhi_Host_V1_Objects.Method.create, echoes: { _ in true })[0]
    }

    func update(
        request: Gongzhi_Host_V1_UpdateRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_Object
    {
        // When the host merged kept personal data at a revision it chose, a concurrent change is not the
        // caller's conflict: merge again.
        for attempt in 1...4 {
            let (write, merged) = try await updateWrite(request)
            let outcome = await commitOutcome(Transaction(writes: [write]))
            if case .failure(let error) = outcome, error.code == .aborted, merged, attempt < 4 { continue }
            let result = try outcome.get()
            return present(result.objects, action: Gongzhi_Host_V1_Objects.Method.update, echoes: { _ in true })[0]
        }
        preconditionFailure("the last attempt returns or throws")
    }

    func delete(
        request: Gongzhi_Host_V1_DeleteRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_DeleteResponse
    {
        let write = try deleteWrite(request)
        let result = try await commit(Transaction(writes: [write]))
        var response = Gongzhi_Host_V1_DeleteResponse()
        response.revision = result.revision
        return response
    }

    func txn(
        request: Gongzhi_Host_V1_TxnRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_TxnResponse
    {
        var compares: [Transaction.Compare] = []
        for (index, compare) in request.compares.enumerated() {
            _ = try kinds.require(compare.kind)
            let condition: Transaction.Compare.Condition
            switch compare.condition {
            case .revisionEquals: condition = .revision(compare.revision)
            case .exists: condition = .exists
            case .absent: condition = .absent
            case .unspecified, .UNRECOGNIZED:
                throw RPCError(
                    code: .invalidArgument,
                    message: "compare \(index) (\(compare.kind)/\(compare.id)) has no condition; "
                        + "set REVISION_EQUALS, EXISTS or ABSENT"
                )
            }
            compares.append(Transaction.Compare(kind: compare.kind, id: compare.id, condition: condition))
        }
        try await authorizePersonCompares(compares)
        var writes: [Transaction.Write] = []
        for (index, write) in request.writes.enumerated() {
            switch write.write {
            case .create(let object): writes.append(.create(try draft(object)))
            case .update(let update): writes.append(try await updateWrite(update).write)
            case .delete(let delete): writes.append(try deleteWrite(delete))
            case nil:
                throw RPCError(code: .invalidArgument, message: "write \(index) is empty; set create, update or delete")
            }
        }
        let result = try await commit(Transaction(compares: compares, writes: writes))
        var response = Gongzhi_Host_V1_TxnResponse()
        response.revision = result.revision
        // The transaction is committed: never fail its answer for size. Objects then come without data.
        let size = result.objects.reduce(0) { $0 + $1.data.count + 128 }
        let withData = size <= ObjectsService.responseBudget
        // A created or updated object is what the caller sent; a deleted one is read from the store.
        response.objects = present(
            withData
                ? result.objects
                : result.objects.map { object in
                    var object = object
                    object.data = []
                    return object
                },
            action: Gongzhi_Host_V1_Objects.Method.txn,
            echoes: { index in
                if case .delete = writes[index] { return false }
                return true
            }
        )
        return response
    }

    func registerKind(
        request: Gongzhi_Host_V1_RegisterKindRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_Kind
    {
        guard case .plugin(let plugin, _, _) = caller.principal else {
            throw RPCError(
                code: .permissionDenied,
                message: "only plugins register kinds (a kind is owned by the plugin that registers it); "
                    + "\(caller.principal) is not a plugin"
            )
        }
        if let existing = kinds.kind(request.name), existing.revision == 0 {
            throw RPCError(
                code: .alreadyExists,
                message: "kind \(request.name) is a core kind of the host; choose another name"
            )
        }
        // Checked before it is stored, so that only registrations that parse are kept.
        let parsed = try KindRegistry.parse(request, owner: plugin, revision: 0)
        // The store, not memory, says whether the name is taken (a registration that could not be loaded
        // is still its owner's).
        let stored = try await storeCall { () async throws(StoreError) in
            try await storage.get(kind: KindRegistry.registrationKind, id: request.name)
        }
        if let stored {
            guard stored.owner == plugin else {
                throw RPCError(
                    code: .alreadyExists,
                    message: "kind \(request.name) is registered by plugin \(stored.owner); choose another name"
                )
            }
            try Self.checkSensitiveFieldsKept(stored: stored, next: parsed)
        }
        let draft = StoredObjectDraft(
            kind: KindRegistry.registrationKind,
            id: request.name,
            owner: plugin,
            data: Array(try request.serializedBytes() as Data)
        )
        let write: Transaction.Write =
            stored.map { .update(draft, expectedRevision: $0.revision) } ?? .create(draft)
        let result = try await commit(Transaction(writes: [write]))
        var kind = parsed
        kind.revision = result.revision
        kinds.register(kind)
        service.audit.record(
            principal: caller.principal.description,
            action: "\(Gongzhi_Host_V1_Objects.serviceName)/\(Gongzhi_Host_V1_Objects.Method.registerKind)",
            target: request.name,
            outcome: "ok",
            detail: "message \(request.messageName), sensitive fields: "
                + (kind.schema.sensitive.paths.isEmpty ? "none" : kind.schema.sensitive.paths.joined(separator: ", "))
        )
        return kind.message
    }

    /// A field that was sensitive stays sensitive: stored objects still hold it, and a schema that no longer
    /// marks (or no longer declares) it would show it to everyone.
    private static func checkSensitiveFieldsKept(stored: StoredObject, next: KnownKind) throws(RPCError) {
        guard let request = try? Gongzhi_Host_V1_RegisterKindRequest(serializedBytes: stored.data),
            let previous = try? KindRegistry.parse(request, owner: stored.owner, revision: stored.revision)
        else { return }
        let dropped = Set(previous.schema.sensitive.paths).subtracting(next.schema.sensitive.paths)
        guard dropped.isEmpty else {
            throw RPCError(
                code: .failedPrecondition,
                message: "kind \(next.name): \(dropped.sorted().joined(separator: ", ")) "
                    + (dropped.count == 1 ? "was" : "were")
                    + " sensitive and stored objects may hold it; keep every sensitive field declared and marked "
                    + "[(gongzhi.core.v1.sensitive) = true], or register the new schema as another kind"
            )
        }
    }

    // MARK: Watch

    func watch(
        request: Gongzhi_Host_V1_WatchRequest,
        responses: RPCResponseWriter<Gongzhi_Host_V1_WatchEvent>,
        context: ServerCallContext
    ) async throws {
        let kind = try kinds.require(request.kind)
        let scope = try scope(.watch, kind, action: Gongzhi_Host_V1_Objects.Method.watch, target: request.kind)
        guard request.afterRevision >= 0 else {
            throw RPCError(code: .invalidArgument, message: "after_revision cannot be negative")
        }
        let (labels, commits, start) = try await storeCall {
            () async throws(StoreError) -> ([LabelRequirement], AsyncStream<Int64>, Int64) in
            let labels = try LabelRequirement.parseSelector(request.labelSelector)
            // Subscribed before the start is read, so that no commit falls between them.
            let commits = storage.commits()
            let start = request.fromNow ? try await storage.currentRevision() : request.afterRevision
            return (labels, commits, start)
        }
        let current = try await storeCall { () async throws(StoreError) in try await storage.currentRevision() }
        guard start <= current else {
            throw RPCError(
                code: .outOfRange,
                message: "revision \(start) is newer than the store's \(current) (was the store restored?); "
                    + "list \(request.kind) again and watch from the list's revision"
            )
        }
        // For a person held to places: the ids of the objects within them that the watcher holds (or may hold,
        // from the list it watches after), so that one leaving their places arrives as DELETED — with its kind
        // and id only — and changes outside their places never arrive at all.
        let placeScoped = !scope.isEverywhere && kind.schema.place != nil
        var within: Set<String> = []
        if placeScoped {
            let all = try await read { () async throws(StoreError) in try await storage.listAll(kind: kind.name) }
            for object in all where lies(object.data, kind: kind, within: scope) { within.insert(object.id) }
        }
        var after = start
        var iterator = commits.makeAsyncIterator()
        // Large reads while catching up; once at the head, small ones as each commit arrives.
        var batch = ObjectsService.watchBatch
        while !Task.isCancelled {
            let limit = batch
            let changes = try await read { () async throws(StoreError) in
                try await storage.changes(after: after, kind: request.kind, limit: limit)
            }
            batch = changes.count < limit ? ObjectsService.followingBatch : ObjectsService.watchBatch
            if changes.isEmpty {
                guard await iterator.next() != nil else {
                    if Task.isCancelled { break }
                    throw RPCError(code: .unavailable, message: "the host is stopping; watch again once it is back")
                }
                continue
            }
            after = changes[changes.count - 1].revision
            // With a selector, a change that takes an object out of the selection arrives as DELETED (the
            // watcher may not have seen it before; a cache ignores the ids it does not hold).
            // An object that left a person's places arrives as a DELETED event with its kind and id only.
            var selected: [(type: Change.ChangeType, change: Change, departed: Bool)] = []
            for change in changes {
                if placeScoped {
                    let id = change.object.id
                    guard lies(change.object.data, kind: kind, within: scope) else {
                        if within.remove(id) != nil { selected.append((.deleted, change, true)) }
                        continue
                    }
                    if change.type == .deleted { within.remove(id) } else { within.insert(id) }
                }
                if labels.allSatisfy({ $0.matches(change.object.labels) }) {
                    selected.append((change.type, change, false))
                } else if change.type == .modified {
                    selected.append((.deleted, change, false))
                }
            }
            if selected.isEmpty { continue }
            var objects = present(
                selected.filter { !$0.departed }.map(\.change.object),
                action: Gongzhi_Host_V1_Objects.Method.watch
            )[...]
            for entry in selected {
                var event = Gongzhi_Host_V1_WatchEvent()
                event.type = .init(entry.type)
                event.revision = entry.change.revision
                event.committedAtUs = entry.change.committedAtMicroseconds
                if entry.departed {
                    event.object.kind = entry.change.object.kind
                    event.object.id = entry.change.object.id
                    event.object.revision = entry.change.revision
                } else {
                    event.object = objects.removeFirst()
                }
                try await responses.write(event)
            }
        }
        throw RPCError(code: .cancelled, message: "the watch was cancelled")
    }

    // MARK: Checks

    /// Refuses a write that the caller may not make to objects of `kind`.
    private func authorizeWrite(_ kind: KnownKind) throws(RPCError) {
        if kind.name == KindRegistry.registrationKind {
            throw RPCError(
                code: .permissionDenied,
                message: "objects of kind Kind are written by RegisterKind, not directly"
            )
        }
        if PeopleDirectory.kinds.contains(kind.name) {
            guard case .admin = caller.principal else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "people, roles and role bindings are written by administrators on admin.sock "
                        + "(gongzhictl people, gongzhictl roles); \(caller.principal) may not write \(kind.name) objects"
                )
            }
        }
        switch caller.principal {
        case .admin, .client, .person:
            guard kind.owner == "host" else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "\(kind.name) is owned by plugin \(kind.owner): only it writes \(kind.name) objects "
                        + "(through its own service); \(caller.principal) may read them"
                )
            }
        case .plugin(let name, _, _):
            guard kind.owner == name else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "\(kind.name) is owned by "
                        + (kind.owner == "host" ? "the host" : "plugin \(kind.owner)")
                        + ": only its owner writes \(kind.name) objects; plugin \(name) may read them"
                )
            }
        }
    }

    /// A checked draft of an object the caller writes: its kind exists, the caller owns it, and its data
    /// fits the kind's message.
    private func draft(_ object: Gongzhi_Host_V1_Object) throws(RPCError) -> StoredObjectDraft {
        let kind = try kinds.require(object.kind)
        try authorizeWrite(kind)
        guard object.data.count <= ObjectsService.maximumDataSize else {
            throw RPCError(
                code: .invalidArgument,
                message: "\(object.kind)/\(object.id) has \(object.data.count) bytes of data, more than the "
                    + "\(ObjectsService.maximumDataSize) an object may hold (so that it can be read back in one "
                    + "message); keep large content elsewhere and store a reference"
            )
        }
        do {
            try kind.validation.validate(object.data, as: kind.schema.messageName)
        } catch {
            throw RPCError(
                code: .invalidArgument,
                message: "\(object.kind)/\(object.id): data is not a \(kind.schema.messageName): \(error)"
            )
        }
        return StoredObjectDraft(
            kind: object.kind,
            id: object.id,
            labels: object.labels,
            parent: object.parent,
            owner: kind.owner,
            data: Array(object.data)
        )
    }

    /// An update, which for a caller that may not see personal data keeps the stored sensitive fields it did
    /// not set (it read the object without them). `merged` is true when the host read the stored object to
    /// do that, and expects it unchanged at commit.
    private func updateWrite(
        _ request: Gongzhi_Host_V1_UpdateRequest
    ) async throws -> (write: Transaction.Write, merged: Bool) {
        var draft = try draft(request.object)
        var expected = request.expectedRevision == 0 ? nil : request.expectedRevision
        let kind = try kinds.require(draft.kind)
        var merging = false
        if (caller.access != nil || !caller.readsPersonalData) && !kind.schema.sensitive.isEmpty {
            let stored = try await storeCall { () async throws(StoreError) in
                try await storage.get(kind: draft.kind, id: draft.id)
            }
            guard let stored else {
                throw RPCError(code: .notFound, message: "\(draft.kind)/\(draft.id) does not exist")
            }
            // A person who sees this object's personal data (it lies where a role shows it to them) read it
            // whole: their update is taken as it is.
            if let access = caller.access,
                lies(
                    stored.data,
                    kind: kind,
                    within: access.personalDataScope(kind: kind.name, confidential: kind.schema.confidential)
                )
            {
                return (.update(draft, expectedRevision: expected), false)
            }
            let merged: (data: Data, nestedPresent: [String])
            do {
                merged = try WireRedaction.keepingSensitiveFields(
                    of: Data(stored.data),
                    in: Data(draft.data),
                    fields: kind.schema.sensitive
                )
            } catch {
                throw RPCError(code: .internal, message: "the stored \(draft.kind)/\(draft.id) is \(error)")
            }
            if !merged.nestedPresent.isEmpty {
                throw RPCError(
                    code: .permissionDenied,
                    message: "\(draft.kind)/\(draft.id) holds personal data in "
                        + merged.nestedPresent.joined(separator: ", ")
                        + " that \(caller.principal) may not see, and an update from it would erase that; "
                        + "it needs the \(ObjectGrants.personalData) grant to update this object"
                )
            }
            do {
                try kind.validation.validate(merged.data, as: kind.schema.messageName)
            } catch {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\(draft.kind)/\(draft.id): with its stored personal data kept, the data is not a "
                        + "\(kind.schema.messageName): \(error)"
                )
            }
            draft.data = Array(merged.data)
            // The data was merged with this revision: a change in between must not be overwritten.
            if expected == nil {
                expected = stored.revision
                merging = true
            }
        }
        return (.update(draft, expectedRevision: expected), merging)
    }

    private func deleteWrite(_ request: Gongzhi_Host_V1_DeleteRequest) throws(RPCError) -> Transaction.Write {
        try authorizeWrite(try kinds.require(request.kind))
        return .delete(
            kind: request.kind,
            id: request.id,
            expectedRevision: request.expectedRevision == 0 ? nil : request.expectedRevision
        )
    }

    private func commitOutcome(_ transaction: Transaction) async -> Result<CommitResult, RPCError> {
        do {
            return .success(try await commit(transaction))
        } catch {
            return .failure(error)
        }
    }

    /// Commits a transaction the caller may make: a person's writes within their places, writes of people,
    /// roles and bindings checked (and the host's directory of them read again before the caller hears).
    private func commit(_ transaction: Transaction) async throws(RPCError) -> CommitResult {
        var transaction = transaction
        try await authorizePersonWrites(transaction.writes)
        let touchesPeople = PeopleWrites.touches(transaction.writes)
        if touchesPeople { transaction.writes = try await checkPeopleWrites(transaction.writes) }
        let checked = transaction
        let result = try await storeCall { () async throws(StoreError) in try await storage.commit(checked) }
        if touchesPeople {
            do {
                try await service.people.reload()
            } catch {
                service.logger.error(
                    """
                    people, roles and bindings were written but could not be read back; calls are decided by the \
                    previous ones until the next change
                    """,
                    metadata: ["error": "\(error)"]
                )
            }
        }
        return result
    }

    // MARK: Personal data

    /// Which personal data a read showed: the fields, the count, the first ids, and a digest of every id so
    /// that a record stays small for a list of thousands and still identifies exactly what was read.
    static func auditDetail(kind: String, ids: [String], fields: Set<String>) -> String {
        var detail = "shown \(fields.sorted().joined(separator: ", ")) of \(ids.count) \(kind): "
        detail += ids.prefix(ObjectsService.auditedIDs).joined(separator: " ")
        if ids.count > ObjectsService.auditedIDs {
            let digest = SHA256.hexHash(Array(ids.joined(separator: "\n").utf8))
            detail +=
                " … and \(ids.count - ObjectsService.auditedIDs) more (sha256 of all ids, one a line: "
                + digest + ")"
        }
        return detail
    }

    /// "; shown by role 网格员 (grid-worker) in 330199001001001": the bindings (by index) that showed personal
    /// data to a person, for the audit record; "" for a caller that is not a person.
    private static func shownBy(_ indexes: Set<Int>, of access: PersonAccess?) -> String {
        guard let access, !indexes.isEmpty else { return "" }
        return "; shown by role " + indexes.sorted().map { access.bindings[$0].description }.joined(separator: "; ")
    }

    /// The objects as the caller may see them: without sensitive fields unless it holds the grant (for a person:
    /// unless the object lies where one of their roles shows personal data), and then with the read audited —
    /// except where `echoes` says an object is only what the caller itself wrote. `places`, when given, are the
    /// objects' places as the caller's list already read them.
    func present(
        _ objects: [StoredObject],
        action: String,
        places: [String]? = nil,
        echoes: (Int) -> Bool = { _ in false }
    ) -> [Gongzhi_Host_V1_Object] {
        // By kind: the ids shown, the fields, and (for a person) the indexes of the bindings that showed them.
        var shown: [String: (ids: [String], fields: Set<String>, decidedBy: Set<Int>)] = [:]
        let access = caller.access
        // For a person, by kind: the bindings that show personal data of the kind (their indexes), each with
        // its place.
        var personalDataBindings: [String: [(index: Int, scope: PlaceScope)]] = [:]
        let out = objects.enumerated().map { index, stored -> Gongzhi_Host_V1_Object in
            var object = Gongzhi_Host_V1_Object(stored)
            guard let kind = kinds.kind(stored.kind) else {
                // A kind whose schema is not loaded: its sensitive fields are unknown, so nothing is shown
                // to a caller without the grant.
                if (access != nil || !caller.readsPersonalData) && !object.data.isEmpty {
                    object.data = Data()
                    object.redactedFields = ["*"]
                }
                return object
            }
            guard !kind.schema.sensitive.isEmpty else { return object }
            var readsPersonalData = caller.readsPersonalData
            var decidedBy: Int?
            if let access {
                let bindings =
                    personalDataBindings[kind.name]
                    ?? {
                        let found = access.personalDataBindings(kind: kind.name, confidential: kind.schema.confidential)
                            .map {
                                (index: $0, scope: PlaceScope([access.bindings[$0].place]))
                            }
                        personalDataBindings[kind.name] = found
                        return found
                    }()
                let place = places?[index] ?? place(of: stored.data, kind: kind) ?? ""
                decidedBy = bindings.first { $0.scope.covers(place) }?.index
                readsPersonalData = decidedBy != nil
            }
            if readsPersonalData && echoes(index) { return object }
            do {
                if readsPersonalData {
                    // Shown as stored: only which sensitive fields it holds is needed, for the audit record.
                    let present = try WireRedaction.sensitivePaths(in: object.data, fields: kind.schema.sensitive)
                    if !present.isEmpty {
                        shown[stored.kind, default: ([], [], [])].ids.append(stored.id)
                        shown[stored.kind]?.fields.formUnion(present)
                        if let decidedBy { shown[stored.kind]?.decidedBy.insert(decidedBy) }
                    }
                } else {
                    let redacted = try WireRedaction.redact(object.data, fields: kind.schema.sensitive)
                    if redacted.removed.isEmpty { return object }
                    object.data = redacted.data
                    object.redactedFields = redacted.removed
                }
            } catch {
                // Data that cannot be read field by field is not shown to a caller without the grant, and
                // showing it to one with the grant is audited like any personal data.
                if readsPersonalData {
                    shown[stored.kind, default: ([], [], [])].ids.append(stored.id)
                    shown[stored.kind]?.fields.insert("(unreadable data)")
                    if let decidedBy { shown[stored.kind]?.decidedBy.insert(decidedBy) }
                } else {
                    object.data = Data()
                    object.redactedFields = kind.schema.sensitive.paths
                }
            }
            return object
        }
        for (kind, entry) in shown.sorted(by: { $0.key < $1.key }) {
            service.audit.record(
                principal: caller.principal.description,
                action: "\(Gongzhi_Host_V1_Objects.serviceName)/\(action)",
                target: entry.ids.count == 1 ? "\(kind)/\(entry.ids[0])" : kind,
                outcome: "personal-data",
                detail: Self.auditDetail(kind: kind, ids: entry.ids, fields: entry.fields)
                    + Self.shownBy(entry.decidedBy, of: access)
            )
        }
        return out
    }
}
