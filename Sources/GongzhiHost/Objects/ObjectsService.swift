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
    /// Holds the personal-data grant: sees sensitive fields, and every read that shows them is audited.
    var readsPersonalData: Bool
}

/// The grants of the object store beyond its methods.
public enum ObjectGrants {
    /// Seeing sensitive fields (ID numbers, phones, notes…): `gongzhi.host.v1.PersonalData/Read`. Without it,
    /// every object a caller reads has those fields removed and listed in `redacted_fields`.
    public static let personalDataService = "gongzhi.host.v1.PersonalData"
    public static let personalDataMethod = "Read"
    public static var personalData: String { "\(personalDataService)/\(personalDataMethod)" }
}

/// The host's object store as a service: checks kinds, ownership and data, redacts personal data for callers
/// without the grant, audits every read that shows it, and follows the store's history for watchers.
final class ObjectsService: Sendable {
    let storage: any ObjectStorage
    let kinds: KindRegistry
    let audit: AuditLog
    let logger: Logger

    /// The page size of a list that asks for none.
    static let defaultPageSize = 500
    /// How many changes a watcher reads from the history at a time.
    static let watchBatch = 1000

    init(storage: any ObjectStorage, audit: AuditLog, logger: Logger) {
        self.storage = storage
        self.kinds = KindRegistry()
        self.audit = audit
        self.logger = logger
    }

    /// Reads the kinds plugins registered earlier from the store.
    func loadRegisteredKinds() async throws(StoreError) {
        let registrations = try await storage.listAll(kind: KindRegistry.registrationKind)
        for object in registrations {
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

    /// The handler of `method` for one caller.
    func handler(method: String, caller: ObjectCaller) -> RPCMethodHandler? {
        ObjectsCall(service: self, caller: caller).methodHandlers[method]
    }
}

/// One caller's view of the Objects service.
struct ObjectsCall: Gongzhi_Host_V1_ObjectsHandler {
    let service: ObjectsService
    let caller: ObjectCaller

    private var storage: any ObjectStorage { service.storage }
    private var kinds: KindRegistry { service.kinds }

    // MARK: Reads

    func get(request: Gongzhi_Host_V1_GetRequest, context: ServerCallContext) async throws -> Gongzhi_Host_V1_Object {
        _ = try kinds.require(request.kind)
        let found = try await storeCall { () async throws(StoreError) in
            try await storage.get(kind: request.kind, id: request.id)
        }
        guard let found else {
            throw RPCError(code: .notFound, message: "\(request.kind)/\(request.id) does not exist")
        }
        return present([found], action: Gongzhi_Host_V1_Objects.Method.get)[0]
    }

    func list(
        request: Gongzhi_Host_V1_ListRequest,
        context: ServerCallContext
    ) async throws
        -> Gongzhi_Host_V1_ListResponse
    {
        _ = try kinds.require(request.kind)
        let pageSize = request.pageSize == 0 ? ObjectsService.defaultPageSize : Int(request.pageSize)
        let page = try await storeCall { () async throws(StoreError) in
            let labels = try LabelRequirement.parseSelector(request.labelSelector)
            return try await storage.list(
                kind: request.kind,
                labels: labels,
                parent: request.parent.isEmpty ? nil : request.parent,
                pageSize: pageSize,
                after: request.pageToken.isEmpty ? nil : request.pageToken
            )
        }
        var response = Gongzhi_Host_V1_ListResponse()
        response.objects = present(page.objects, action: Gongzhi_Host_V1_Objects.Method.list)
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
        let write = try await updateWrite(request)
        let result = try await commit(Transaction(writes: [write]))
        return present(result.objects, action: Gongzhi_Host_V1_Objects.Method.update, echoes: { _ in true })[0]
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
        var writes: [Transaction.Write] = []
        for (index, write) in request.writes.enumerated() {
            switch write.write {
            case .create(let object): writes.append(.create(try draft(object)))
            case .update(let update): writes.append(try await updateWrite(update))
            case .delete(let delete): writes.append(try deleteWrite(delete))
            case nil:
                throw RPCError(code: .invalidArgument, message: "write \(index) is empty; set create, update or delete")
            }
        }
        let result = try await commit(Transaction(compares: compares, writes: writes))
        var response = Gongzhi_Host_V1_TxnResponse()
        response.revision = result.revision
        // A created or updated object is what the caller sent; a deleted one is read from the store.
        response.objects = present(
            result.objects,
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
        if let existing = kinds.kind(request.name), existing.owner != plugin || existing.revision == 0 {
            throw RPCError(
                code: .alreadyExists,
                message: "kind \(request.name) is "
                    + (existing.revision == 0 || existing.owner == "host"
                        ? "a core kind of the host" : "registered by plugin \(existing.owner)")
                    + "; choose another name"
            )
        }
        // Checked before it is stored, so that only registrations that parse are kept.
        _ = try KindRegistry.parse(request, owner: plugin, revision: 0)
        let draft = StoredObjectDraft(
            kind: KindRegistry.registrationKind,
            id: request.name,
            owner: plugin,
            data: Array(try request.serializedBytes() as Data)
        )
        let write: Transaction.Write =
            kinds.kind(request.name) == nil ? .create(draft) : .update(draft, expectedRevision: nil)
        let result = try await commit(Transaction(writes: [write]))
        let kind = try KindRegistry.parse(request, owner: plugin, revision: result.revision)
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

    // MARK: Watch

    func watch(
        request: Gongzhi_Host_V1_WatchRequest,
        responses: RPCResponseWriter<Gongzhi_Host_V1_WatchEvent>,
        context: ServerCallContext
    ) async throws {
        _ = try kinds.require(request.kind)
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
        var after = start
        var iterator = commits.makeAsyncIterator()
        while !Task.isCancelled {
            let changes = try await storeCall { () async throws(StoreError) in
                try await storage.changes(after: after, kind: request.kind, limit: ObjectsService.watchBatch)
            }
            if changes.isEmpty {
                guard await iterator.next() != nil else {
                    throw RPCError(code: .unavailable, message: "the host is stopping; watch again once it is back")
                }
                continue
            }
            after = changes[changes.count - 1].revision
            let selected =
                labels.isEmpty
                ? changes : changes.filter { change in labels.allSatisfy { $0.matches(change.object.labels) } }
            if selected.isEmpty { continue }
            let objects = present(selected.map(\.object), action: Gongzhi_Host_V1_Objects.Method.watch)
            for (change, object) in zip(selected, objects) {
                var event = Gongzhi_Host_V1_WatchEvent()
                event.type = .init(change.type)
                event.revision = change.revision
                event.object = object
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
        switch caller.principal {
        case .admin, .client:
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
    /// not set (it read the object without them).
    private func updateWrite(_ request: Gongzhi_Host_V1_UpdateRequest) async throws -> Transaction.Write {
        var draft = try draft(request.object)
        var expected = request.expectedRevision == 0 ? nil : request.expectedRevision
        let kind = try kinds.require(draft.kind)
        if !caller.readsPersonalData && !kind.schema.sensitive.isEmpty {
            let stored = try await storeCall { () async throws(StoreError) in
                try await storage.get(kind: draft.kind, id: draft.id)
            }
            if let stored {
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
                draft.data = Array(merged.data)
                // The data was merged with this revision: a change in between must not be overwritten.
                if expected == nil { expected = stored.revision }
            }
        }
        return .update(draft, expectedRevision: expected)
    }

    private func deleteWrite(_ request: Gongzhi_Host_V1_DeleteRequest) throws(RPCError) -> Transaction.Write {
        try authorizeWrite(try kinds.require(request.kind))
        return .delete(
            kind: request.kind,
            id: request.id,
            expectedRevision: request.expectedRevision == 0 ? nil : request.expectedRevision
        )
    }

    private func commit(_ transaction: Transaction) async throws(RPCError) -> CommitResult {
        try await storeCall { () async throws(StoreError) in try await storage.commit(transaction) }
    }

    // MARK: Personal data

    /// The objects as the caller may see them: without sensitive fields unless it holds the grant, and then
    /// with the read audited — except where `echoes` says an object is only what the caller itself wrote.
    private func present(
        _ objects: [StoredObject],
        action: String,
        echoes: (Int) -> Bool = { _ in false }
    ) -> [Gongzhi_Host_V1_Object] {
        var shown: [String: (ids: [String], fields: Set<String>)] = [:]
        let out = objects.enumerated().map { index, stored -> Gongzhi_Host_V1_Object in
            var object = Gongzhi_Host_V1_Object(stored)
            guard let kind = kinds.kind(stored.kind), !kind.schema.sensitive.isEmpty else { return object }
            if caller.readsPersonalData && echoes(index) { return object }
            do {
                let redacted = try WireRedaction.redact(object.data, fields: kind.schema.sensitive)
                if redacted.removed.isEmpty { return object }
                if caller.readsPersonalData {
                    shown[stored.kind, default: ([], [])].ids.append(stored.id)
                    shown[stored.kind]?.fields.formUnion(redacted.removed)
                } else {
                    object.data = redacted.data
                    object.redactedFields = redacted.removed
                }
            } catch {
                // Data that cannot be read field by field is not shown to a caller without the grant.
                if !caller.readsPersonalData {
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
                detail: "shown \(entry.fields.sorted().joined(separator: ", ")) of \(entry.ids.count) "
                    + "\(kind): \(entry.ids.joined(separator: " "))"
            )
        }
        return out
    }
}
