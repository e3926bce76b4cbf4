import GongzhiRPC
import GongzhiSchemas

/// One object to create or update, from a checked document.
struct ApplyItem: Sendable {
    var object: Gongzhi_Host_V1_Object
    var kind: ObjectKind
    /// The document's revision: an update expects the object to be at it. 0: whatever it is at.
    var expectedRevision: Int64
    /// Where the document is, for messages: `residents.jsonl:7`.
    var place: String

    var name: String { "\(object.kind)/\(object.id)" }
}

/// How many objects `apply` created, updated and left as they were.
struct ApplyCounts: Sendable, Equatable {
    var created = 0
    var updated = 0
    var unchanged = 0

    var total: Int { created + updated + unchanged }

    static func + (lhs: ApplyCounts, rhs: ApplyCounts) -> ApplyCounts {
        ApplyCounts(
            created: lhs.created + rhs.created,
            updated: lhs.updated + rhs.updated,
            unchanged: lhs.unchanged + rhs.unchanged
        )
    }
}

/// Writes checked documents to the host: creates in transactions of up to 256 objects, several in flight;
/// a transaction that fails because an object exists is redone object by object (get; skip when equal,
/// else update).
struct Applier: Sendable {
    /// Creates in one transaction, at most.
    static let batchSize = 256
    /// Bytes of objects in one transaction, at most: well under the wire's 4 MiB frame.
    static let batchBytes = 2 << 20
    /// Transactions in flight at once, at most.
    static let batchesInFlight = 8
    /// How long one transaction may take (a batch of creates waits for the store's commit).
    static let batchTimeout: Duration = .seconds(60)

    let objects: Gongzhi_Host_V1_ObjectsClient
    /// The host's socket, named when it cannot be reached.
    let socketPath: String
    var callTimeout: Duration = Invocation.callTimeout

    /// The batches: consecutive runs of at most `batchSize` items and about `batchBytes` bytes.
    static func batches(_ items: [ApplyItem]) -> [Range<Int>] {
        var batches: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, item) in items.enumerated() {
            let size =
                item.object.data.count + item.object.id.utf8.count + item.object.parent.utf8.count + 64
                + item.object.labels.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 4 }
            if index > start && (index - start == batchSize || bytes + size > batchBytes) {
                batches.append(start..<index)
                start = index
                bytes = 0
            }
            bytes += size
        }
        if start < items.count { batches.append(start..<items.count) }
        return batches
    }

    /// Applies every item, reporting how many are done after each batch. On the first failure the batches
    /// in flight are cancelled and the error names the document and how far apply got.
    func apply(_ items: [ApplyItem], progress: (_ done: Int) -> Void) async throws -> ApplyCounts {
        let batches = Self.batches(items)
        var counts = ApplyCounts()
        do {
            try await withThrowingTaskGroup(of: ApplyCounts.self) { group in
                var next = 0
                while next < batches.count && next < Self.batchesInFlight {
                    let batch = Array(items[batches[next]])
                    group.addTask { try await self.applyBatch(batch) }
                    next += 1
                }
                while let done = try await group.next() {
                    counts = counts + done
                    progress(counts.total)
                    if next < batches.count {
                        let batch = Array(items[batches[next]])
                        group.addTask { try await self.applyBatch(batch) }
                        next += 1
                    }
                }
            }
        } catch let error as ControlError where error.exitCode != ControlExitCode.unreachable && counts.total > 0 {
            throw ControlError(
                error.message + " (at least \(TextLayout.grouped(counts.total)) of "
                    + "\(TextLayout.grouped(items.count)) objects were applied before this; apply again to finish)",
                exitCode: error.exitCode
            )
        }
        return counts
    }

    /// Creates the batch in one transaction; when an object exists, applies it object by object.
    func applyBatch(_ batch: [ApplyItem]) async throws -> ApplyCounts {
        var request = Gongzhi_Host_V1_TxnRequest()
        request.writes = batch.map { item in Gongzhi_Host_V1_Write.with { $0.create = item.object } }
        do {
            _ = try await objects.txn(request, options: CallOptions(timeout: Self.batchTimeout))
            return ApplyCounts(created: batch.count)
        } catch {
            let rpc = RPCError(wrapping: error)
            guard rpc.code == .alreadyExists else { throw failure(error, in: batch) }
        }
        var counts = ApplyCounts()
        for item in batch {
            counts = counts + (try await applyOne(item))
        }
        return counts
    }

    /// Gets the object: creates it when absent, leaves it when its labels, parent and data are the
    /// document's, else updates it.
    func applyOne(_ item: ApplyItem) async throws -> ApplyCounts {
        let options = CallOptions(timeout: callTimeout)
        let current: Gongzhi_Host_V1_Object
        do {
            current = try await objects.get(
                .with {
                    $0.kind = item.object.kind
                    $0.id = item.object.id
                },
                options: options
            )
        } catch {
            guard RPCError(wrapping: error).code == .notFound else { throw failure(error, for: item) }
            do {
                _ = try await objects.create(.with { $0.object = item.object }, options: options)
                return ApplyCounts(created: 1)
            } catch {
                throw failure(error, for: item)
            }
        }
        if current.labels == item.object.labels && current.parent == item.object.parent
            && item.kind.sameData(current.data, item.object.data)
        {
            return ApplyCounts(unchanged: 1)
        }
        let expected = item.expectedRevision > 0 ? item.expectedRevision : current.revision
        do {
            _ = try await objects.update(
                .with {
                    $0.object = item.object
                    $0.expectedRevision = expected
                },
                options: options
            )
            return ApplyCounts(updated: 1)
        } catch {
            guard RPCError(wrapping: error).code == .aborted else { throw failure(error, for: item) }
            let hint =
                item.expectedRevision > 0
                ? "the document expects revision \(expected): get the object again and make the change to that, "
                    + "or leave revision out of the document to overwrite it"
                : "it changed while it was being applied; apply again"
            throw ControlError(
                "\(item.place): \(item.name): \(RPCError(wrapping: error).message) (\(hint))",
                exitCode: ControlExitCode.failed
            )
        }
    }

    private func failure(_ error: any Error, for item: ApplyItem) -> ControlError {
        ControlError(objectCall: socketPath, failedWith: error).at("\(item.place): \(item.name)")
    }

    /// A failed transaction: named by the object the host's message names, else by the batch's extent.
    private func failure(_ error: any Error, in batch: [ApplyItem]) -> ControlError {
        let rpc = RPCError(wrapping: error)
        if let item = batch.first(where: { rpc.message.contains($0.name) }) {
            return ControlError(objectCall: socketPath, failedWith: error).at(item.place)
        }
        let extent =
            batch.count == 1
            ? batch[0].place : "the \(batch.count) objects from \(batch[0].place) to \(batch[batch.count - 1].place)"
        return ControlError(objectCall: socketPath, failedWith: error).at(extent)
    }
}

/// `applying: 12,000/30,000 (40%)` on standard error: redrawn in place on a terminal, else a line at
/// every tenth of the way.
struct ApplyProgress {
    let total: Int
    let terminal: Bool
    let write: @Sendable (String) -> Void
    private var lastTenth = 0
    private var drawn = false

    init(total: Int, terminal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.total = total
        self.terminal = terminal
        self.write = write
    }

    mutating func start() {
        guard terminal else { return }
        write("\r" + ObjectOutput.progress(done: 0, total: total))
        drawn = true
    }

    mutating func update(done: Int) {
        if terminal {
            write("\r" + ObjectOutput.progress(done: done, total: total))
            drawn = true
            return
        }
        let tenth = total == 0 ? 10 : done * 10 / total
        guard tenth > lastTenth else { return }
        lastTenth = tenth
        write(ObjectOutput.progress(done: done, total: total) + "\n")
    }

    /// Ends the redrawn line, so that what follows starts on a line of its own.
    mutating func finish() {
        guard drawn else { return }
        write("\n")
        drawn = false
    }
}
