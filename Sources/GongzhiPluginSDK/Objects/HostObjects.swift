import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The host's object store, typed: reads and writes objects of ``ObjectKind`` messages.
///
/// `context.objects` in a plugin; or `HostObjects(channel:)` over any channel to the host. Errors are the
/// host's `RPCError`s: NOT_FOUND, ALREADY_EXISTS, ABORTED (a stale revision), PERMISSION_DENIED (not the
/// kind's owner, or no grant), INVALID_ARGUMENT (data that does not fit the kind).
public struct HostObjects: Sendable {
    public let client: Gongzhi_Host_V1_ObjectsClient

    public init(channel: any RPCClientChannel) {
        self.client = Gongzhi_Host_V1_ObjectsClient(channel: channel)
    }

    /// The object, or nil when there is none with this id.
    public func get<M: ObjectKind>(_ type: M.Type, id: String) async throws -> TypedObject<M>? {
        var request = Gongzhi_Host_V1_GetRequest()
        request.kind = M.kindName
        request.id = id
        do {
            return try TypedObject<M>(try await client.get(request))
        } catch let error as RPCError where error.code == .notFound {
            return nil
        }
    }

    /// Every object of the kind that matches `selector` (and has `parent`, when given), read page by page.
    ///
    /// `revision` is the store's revision when the first page was read: watch after it to stay current
    /// (changes that later pages already show come again, with revisions no newer than the objects').
    public func list<M: ObjectKind>(
        _ type: M.Type,
        selector: String = "",
        parent: String = "",
        pageSize: UInt32 = 1000
    ) async throws -> (objects: [TypedObject<M>], revision: Int64) {
        let list = try await listObjects(kind: M.kindName, selector: selector, parent: parent, pageSize: pageSize)
        return (try list.objects.map(TypedObject<M>.init), list.revision)
    }

    /// Every object of `kind` as the host sends it, read page by page, and the revision of the first page.
    public func listObjects(
        kind: String,
        selector: String = "",
        parent: String = "",
        pageSize: UInt32 = 1000
    ) async throws -> (objects: [Gongzhi_Host_V1_Object], revision: Int64) {
        var request = Gongzhi_Host_V1_ListRequest()
        request.kind = kind
        request.labelSelector = selector
        request.parent = parent
        request.pageSize = pageSize
        var objects: [Gongzhi_Host_V1_Object] = []
        var revision: Int64?
        repeat {
            let page = try await client.list(request)
            if revision == nil { revision = page.revision }
            objects += page.objects
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return (objects, revision ?? 0)
    }

    /// Creates the object; ALREADY_EXISTS when its id is taken.
    @discardableResult
    public func create<M: ObjectKind>(_ object: TypedObject<M>) async throws -> TypedObject<M> {
        var request = Gongzhi_Host_V1_CreateRequest()
        request.object = try object.wireObject()
        return try TypedObject<M>(try await client.create(request))
    }

    /// Replaces the object; when `object.revision` is set (as it is on an object read from the host), only if
    /// the stored object is still at that revision (ABORTED otherwise: read it again and retry).
    @discardableResult
    public func update<M: ObjectKind>(_ object: TypedObject<M>) async throws -> TypedObject<M> {
        var request = Gongzhi_Host_V1_UpdateRequest()
        request.object = try object.wireObject()
        request.expectedRevision = object.revision
        return try TypedObject<M>(try await client.update(request))
    }

    /// Deletes the object (at `expectedRevision`, when not 0) and returns the revision of the delete.
    @discardableResult
    public func delete<M: ObjectKind>(_ type: M.Type, id: String, expectedRevision: Int64 = 0) async throws -> Int64 {
        var request = Gongzhi_Host_V1_DeleteRequest()
        request.kind = M.kindName
        request.id = id
        request.expectedRevision = expectedRevision
        return try await client.delete(request).revision
    }

    /// The changes of the kind after `revision` (nil: from now on), as they happen, until the stream is dropped.
    ///
    /// Fails with OUT_OF_RANGE when the history after `revision` was compacted: list again, and watch after
    /// the list's revision (``ObjectCache`` does this).
    public func watch<M: ObjectKind>(
        _ type: M.Type,
        after revision: Int64?,
        selector: String = ""
    ) -> AsyncThrowingStream<ObjectEvent<M>, any Error> {
        let client = self.client
        let watchRequest = Self.watchRequest(kind: M.kindName, after: revision, selector: selector)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await client.watch(watchRequest) { events in
                        for try await event in events {
                            continuation.yield(try ObjectEvent<M>(event))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A watch of `kind` after `revision` (nil: from now on).
    static func watchRequest(kind: String, after revision: Int64?, selector: String) -> Gongzhi_Host_V1_WatchRequest {
        var request = Gongzhi_Host_V1_WatchRequest()
        request.kind = kind
        request.afterRevision = revision ?? 0
        request.fromNow = revision == nil
        request.labelSelector = selector
        return request
    }

    /// Registers a kind this plugin owns (or changes its schema): `messageName` must be in
    /// `fileDescriptorSet` (from `protoc --include_imports --descriptor_set_out`) with every message it uses.
    @discardableResult
    public func registerKind(
        _ name: String,
        messageName: String,
        fileDescriptorSet: Data
    ) async throws -> Gongzhi_Host_V1_Kind {
        var request = Gongzhi_Host_V1_RegisterKindRequest()
        request.name = name
        request.messageName = messageName
        request.fileDescriptorSet = fileDescriptorSet
        return try await client.registerKind(request)
    }
}

/// One change of an object, as a watch delivers it.
public struct ObjectEvent<M: ObjectKind>: Sendable {
    public enum Change: Sendable, Hashable {
        case added
        case modified
        /// The object is gone; `object` is how it was, with the delete's revision.
        case deleted
    }

    public var change: Change
    public var object: TypedObject<M>
    /// The revision of the change.
    public var revision: Int64
    /// When the host committed the change, in microseconds since 1970 by the host's clock (see
    /// `Gongzhi_Host_V1_WatchEvent.committedAtUs`): the time of receipt minus this is how far the watch lags.
    public var committedAtMicroseconds: Int64

    public init(_ event: Gongzhi_Host_V1_WatchEvent) throws {
        switch event.type {
        case .added: change = .added
        case .modified: change = .modified
        case .deleted: change = .deleted
        case .unspecified, .UNRECOGNIZED:
            throw RPCError(code: .internal, message: "a watch event without a type (revision \(event.revision))")
        }
        object = try TypedObject<M>(event.object)
        revision = event.revision
        committedAtMicroseconds = event.committedAtUs
    }
}
