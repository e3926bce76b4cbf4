import Foundation
import GongzhiControl
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Synchronization

/// The Objects service in memory, with the host's semantics as the CLI relies on them: one global
/// revision; create fails with ALREADY_EXISTS, get, update and delete of a missing object with NOT_FOUND,
/// an update or delete at another revision with ABORTED (naming the current one), a transaction
/// atomically or not at all, writes of a plugin's kind with PERMISSION_DENIED, a watch from a compacted
/// revision with OUT_OF_RANGE. Records what it was asked.
package final class FakeObjects: Gongzhi_Host_V1_ObjectsHandler {
    package struct State {
        package var objects: [String: Gongzhi_Host_V1_Object] = [:]
        package var revision: Int64 = 100
        package var events: [Gongzhi_Host_V1_WatchEvent] = []
        /// Watches must start after this revision.
        package var compactedThrough: Int64 = 0
        package var requests: [String] = []
        /// Who made each recorded request, as its metadata says: `token=… as=…` (`-` for an entry not sent).
        package var callers: [String] = []
        package var transactionSizes: [Int] = []
        package var transactionsInFlight = 0
        package var mostTransactionsInFlight = 0
    }

    package let state = Mutex(State())
    package let kinds: [Gongzhi_Host_V1_Kind]
    /// Withhold residents' phone numbers from reads, as the host does for a caller without the grant.
    package let redactingPhones: Bool
    /// How long a transaction takes, so that several are in flight at once.
    package let transactionDelay: Duration?
    /// With a transaction delay, the first transactions wait (up to 5 s) until another one is in flight: a client
    /// that sends several at once is then seen to, however the machine schedules it.
    private let secondTransaction = TestEvent("a second transaction is in flight")
    /// Record every call (false for thousands of objects).
    package let recording: Bool
    /// Ids whose writes the host refuses with INVALID_ARGUMENT, as it does data that does not fit the kind.
    package let refusing: Set<String>

    package init(
        kinds: [Gongzhi_Host_V1_Kind] = Fixtures.kinds,
        redactingPhones: Bool = false,
        transactionDelay: Duration? = nil,
        recording: Bool = true,
        refusing: Set<String> = []
    ) {
        self.refusing = refusing
        self.kinds = kinds
        self.redactingPhones = redactingPhones
        self.transactionDelay = transactionDelay
        self.recording = recording
    }

    package var requests: [String] { state.withLock { $0.requests } }
    /// Who made each of ``requests``: its `gongzhi-token` and `gongzhi-act-as` metadata, `token=… as=…`.
    package var callers: [String] { state.withLock { $0.callers } }

    /// Puts objects in place (with their own revisions), as if written earlier.
    package func seed(_ objects: [Gongzhi_Host_V1_Object]) {
        state.withLock { state in
            for object in objects { state.objects[Self.key(object.kind, object.id)] = object }
        }
    }

    package func object(_ kind: String, _ id: String) -> Gongzhi_Host_V1_Object? {
        state.withLock { $0.objects[Self.key(kind, id)] }
    }

    private static func key(_ kind: String, _ id: String) -> String { "\(kind)/\(id)" }

    private func record(_ request: String, _ context: ServerCallContext) {
        guard recording else { return }
        let caller = FakeCaller.describe(context)
        state.withLock {
            $0.requests.append(request)
            $0.callers.append(caller)
        }
    }

    private func requireKind(_ name: String) throws -> Gongzhi_Host_V1_Kind {
        guard let kind = kinds.first(where: { $0.name == name }) else {
            throw RPCError(
                code: .notFound,
                message: "there is no kind \"\(name)\" (kinds: \(kinds.map(\.name).joined(separator: ", ")))"
            )
        }
        return kind
    }

    private func presented(_ object: Gongzhi_Host_V1_Object) -> Gongzhi_Host_V1_Object {
        guard redactingPhones, object.kind == "Resident",
            var resident = try? Gongzhi_Core_V1_Resident(serializedBytes: object.data), !resident.phone.isEmpty
        else { return object }
        resident.phone = ""
        var copy = object
        copy.data = try! resident.serializedBytes()
        copy.redactedFields = ["phone"]
        return copy
    }

    // MARK: Writes, all through one transaction

    private enum Write {
        case create(Gongzhi_Host_V1_Object)
        case update(Gongzhi_Host_V1_Object, expected: Int64)
        case delete(kind: String, id: String, expected: Int64)
    }

    /// Applies the writes atomically: every one checked against the state before any is made.
    private func commit(_ writes: [Write]) throws -> (revision: Int64, objects: [Gongzhi_Host_V1_Object]) {
        for write in writes {
            let kind: String
            switch write {
            case .create(let object), .update(let object, _): kind = object.kind
            case .delete(let name, _, _): kind = name
            }
            if case .create(let object) = write, refusing.contains(object.id) {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\(object.kind)/\(object.id): field 4 (phone) is not valid UTF-8"
                )
            }
            let known = try requireKind(kind)
            if known.owner != "host" {
                throw RPCError(
                    code: .permissionDenied,
                    message: "\(kind) objects are owned by plugin \(known.owner); only it writes them"
                )
            }
        }
        return try state.withLock { state in
            var objects = state.objects
            let revision = state.revision + 1
            var written: [Gongzhi_Host_V1_Object] = []
            var events: [Gongzhi_Host_V1_WatchEvent] = []
            for write in writes {
                switch write {
                case .create(var object):
                    let key = Self.key(object.kind, object.id)
                    guard objects[key] == nil else {
                        throw RPCError(code: .alreadyExists, message: "\(key) already exists")
                    }
                    object.revision = revision
                    object.owner = "host"
                    object.createdAtMs = Fixtures.nowMs
                    object.updatedAtMs = Fixtures.nowMs
                    objects[key] = object
                    written.append(object)
                    events.append(
                        .with {
                            $0.type = .added
                            $0.object = object
                            $0.revision = revision
                        }
                    )
                case .update(var object, let expected):
                    let key = Self.key(object.kind, object.id)
                    guard let current = objects[key] else {
                        throw RPCError(code: .notFound, message: "\(key) does not exist")
                    }
                    guard expected == 0 || expected == current.revision else {
                        throw RPCError(
                            code: .aborted,
                            message: "\(key) is at revision \(current.revision), not \(expected)"
                        )
                    }
                    object.revision = revision
                    object.owner = current.owner
                    object.createdAtMs = current.createdAtMs
                    object.updatedAtMs = Fixtures.nowMs
                    objects[key] = object
                    written.append(object)
                    events.append(
                        .with {
                            $0.type = .modified
                            $0.object = object
                            $0.revision = revision
                        }
                    )
                case .delete(let kind, let id, let expected):
                    let key = Self.key(kind, id)
                    guard let current = objects[key] else {
                        throw RPCError(code: .notFound, message: "\(key) does not exist")
                    }
                    guard expected == 0 || expected == current.revision else {
                        throw RPCError(
                            code: .aborted,
                            message: "\(key) is at revision \(current.revision), not \(expected)"
                        )
                    }
                    objects[key] = nil
                    written.append(current)
                    events.append(
                        .with {
                            $0.type = .deleted
                            $0.object = current
                            $0.revision = revision
                        }
                    )
                }
            }
            state.objects = objects
            state.revision = revision
            if recording { state.events += events }
            return (revision, written)
        }
    }

    // MARK: The service

    package func get(
        request: Gongzhi_Host_V1_GetRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_Object {
        record("Get \(request.kind)/\(request.id)", context)
        _ = try requireKind(request.kind)
        guard let object = object(request.kind, request.id) else {
            throw RPCError(code: .notFound, message: "\(request.kind)/\(request.id) does not exist")
        }
        return presented(object)
    }

    package func list(
        request: Gongzhi_Host_V1_ListRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_ListResponse {
        record(
            "List \(request.kind) selector=\(request.labelSelector) parent=\(request.parent) "
                + "size=\(request.pageSize) token=\(request.pageToken)",
            context
        )
        _ = try requireKind(request.kind)
        // Only `a=b,c=d` selectors: what the tests use.
        let wanted = request.labelSelector.split(separator: ",").map { term in
            let parts = term.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
        let (matching, revision) = state.withLock { state in
            (
                state.objects.values.filter { object in
                    object.kind == request.kind && (request.parent.isEmpty || object.parent == request.parent)
                        && wanted.allSatisfy { object.labels[$0.0] == $0.1 }
                }.sorted { $0.id < $1.id },
                state.revision
            )
        }
        let start = Int(request.pageToken) ?? 0
        let size = request.pageSize == 0 ? 100 : Int(request.pageSize)
        let end = min(matching.count, start + size)
        return .with {
            $0.objects = matching[start..<end].map(presented)
            $0.nextPageToken = end < matching.count ? String(end) : ""
            $0.revision = revision
        }
    }

    package func create(
        request: Gongzhi_Host_V1_CreateRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_Object {
        record("Create \(request.object.kind)/\(request.object.id)", context)
        return try commit([.create(request.object)]).objects[0]
    }

    package func update(
        request: Gongzhi_Host_V1_UpdateRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_Object {
        record("Update \(request.object.kind)/\(request.object.id) expected=\(request.expectedRevision)", context)
        return try commit([.update(request.object, expected: request.expectedRevision)]).objects[0]
    }

    package func delete(
        request: Gongzhi_Host_V1_DeleteRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_DeleteResponse {
        record("Delete \(request.kind)/\(request.id) expected=\(request.expectedRevision)", context)
        let revision = try commit([.delete(kind: request.kind, id: request.id, expected: request.expectedRevision)])
            .revision
        return .with { $0.revision = revision }
    }

    package func txn(
        request: Gongzhi_Host_V1_TxnRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_TxnResponse {
        record("Txn \(request.writes.count) writes", context)
        let inFlight = state.withLock { state in
            state.transactionSizes.append(request.writes.count)
            state.transactionsInFlight += 1
            state.mostTransactionsInFlight = max(state.mostTransactionsInFlight, state.transactionsInFlight)
            return state.transactionsInFlight
        }
        defer { state.withLock { $0.transactionsInFlight -= 1 } }
        if let transactionDelay {
            if inFlight > 1 { secondTransaction.signal() }
            if (try? await secondTransaction.wait(timeout: .seconds(5))) == nil {
                // None came: the client sends one at a time; let the rest through.
                secondTransaction.signal()
            }
            try await Task.sleep(for: transactionDelay)
        }
        let objects = state.withLock { $0.objects }
        for compare in request.compares {
            let current = objects[Self.key(compare.kind, compare.id)]
            let holds: Bool
            switch compare.condition {
            case .revisionEquals: holds = current?.revision == compare.revision
            case .exists: holds = current != nil
            case .absent: holds = current == nil
            default: throw RPCError(code: .invalidArgument, message: "a compare has no condition")
            }
            guard holds else {
                throw RPCError(code: .failedPrecondition, message: "compare on \(compare.kind)/\(compare.id) failed")
            }
        }
        let writes: [Write] = try request.writes.map { write in
            switch write.write {
            case .create(let object): return .create(object)
            case .update(let update): return .update(update.object, expected: update.expectedRevision)
            case .delete(let delete):
                return .delete(kind: delete.kind, id: delete.id, expected: delete.expectedRevision)
            case nil: throw RPCError(code: .invalidArgument, message: "a write is empty")
            }
        }
        let (revision, written) = try commit(writes)
        return .with {
            $0.revision = revision
            $0.objects = written
        }
    }

    package func watch(
        request: Gongzhi_Host_V1_WatchRequest,
        responses: RPCResponseWriter<Gongzhi_Host_V1_WatchEvent>,
        context: ServerCallContext
    ) async throws {
        record(
            "Watch \(request.kind) "
                + (request.fromNow ? "from now" : "after=\(request.afterRevision)")
                + " selector=\(request.labelSelector)",
            context
        )
        _ = try requireKind(request.kind)
        let (events, compacted) = state.withLock { ($0.events, $0.compactedThrough) }
        // The fake's events stand for changes made after the watch began, so "from now" sees them all.
        if !request.fromNow && request.afterRevision < compacted {
            throw RPCError(
                code: .outOfRange,
                message: "revision \(request.afterRevision) is compacted (history starts after \(compacted)); "
                    + "re-list and watch from the list's revision"
            )
        }
        for event in events where event.object.kind == request.kind && event.revision > request.afterRevision {
            try await responses.write(event)
        }
        // The host would go on; the fake ends the stream.
    }

    package func registerKind(
        request: Gongzhi_Host_V1_RegisterKindRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_Kind {
        throw RPCError(code: .permissionDenied, message: "only plugins register kinds")
    }

    package func listKinds(
        request: Gongzhi_Host_V1_ListKindsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_ListKindsResponse {
        record("ListKinds", context)
        return .with { $0.kinds = kinds }
    }
}

/// Runs `body` with a host that serves `objects` on a real socket, and a function that runs the command line
/// `commandLine` against it.
package func withFakeObjectsHost(
    _ objects: FakeObjects = FakeObjects(),
    commandLine: any ControlCommandLine.Type = CoreCommandLine.self,
    terminal: Bool = false,
    _ body: (_ run: @escaping ([String], [UInt8]) async -> (status: Int32, output: String, errors: String)) async throws
        -> Void
) async throws {
    try await withRPCServer(services: [objects]) { _, directory in
        let socket = directory.file("server.sock")
        try await body { arguments, input in
            let console = TestConsole(
                commandLine,
                environment: ["GONGZHI_ADMIN_SOCKET": socket],
                terminal: terminal,
                input: input
            )
            let status = await console.run(arguments)
            return (status, console.output, console.errors)
        }
    }
}
