/// Where the host keeps its objects: versioned by one global revision, written in atomic transactions, with a
/// history of changes that watchers follow (the etcd model).
///
/// Every committed transaction with at least one write gets the next revision (the first is 1), shared by all of
/// its writes. A commit returns only once the transaction is durable. Implementations are safe to call from any
/// number of tasks at once; every error they throw is a ``StoreError``.
public protocol ObjectStorage: Sendable {
    /// The object `kind`/`id`, or nil when it does not exist.
    func get(kind: String, id: String) async throws(StoreError) -> StoredObject?

    /// One page of the objects of `kind` that meet every label requirement, in id order, starting after the id
    /// `after` (the previous page's ``ObjectPage/nextPageToken``; nil or "" for the first page).
    ///
    /// A `parent` limits the page to that parent's children ("" to objects without a parent); nil does not filter.
    ///
    /// Paging is by id, so objects created during paging appear on a later page when their id sorts after the
    /// pages already read, and no object that exists throughout is skipped or repeated.
    ///
    /// A page also ends once its objects' ``StoredObject/estimatedListBytes`` would pass `maxBytes` (it always
    /// holds at least one object); its ``ObjectPage/nextPageToken`` then resumes right after its last object. The
    /// storage stops reading there, so a large page size costs no more than the page it answers.
    /// - Parameter pageSize: 1 to ``ObjectStorageLimits/maximumPageSize``.
    /// - Parameter maxBytes: at least 1; ``ObjectStorageLimits/maximumPageBytes`` fits one answer of the host.
    func list(
        kind: String,
        labels: [LabelRequirement],
        parent: String?,
        pageSize: Int,
        after: String?,
        maxBytes: Int
    ) async throws(StoreError) -> ObjectPage

    /// Checks the compares and applies the writes of `transaction` atomically, durably, under one new revision.
    ///
    /// A transaction without writes only checks its compares and returns the current revision.
    /// - Throws: ``StoreError/Code/compareFailed(index:)``, ``StoreError/Code/alreadyExists``,
    ///   ``StoreError/Code/notFound``, ``StoreError/Code/revisionConflict(current:)`` (nothing was written),
    ///   ``StoreError/Code/invalidArgument``, or ``StoreError/Code/unavailable``.
    @discardableResult
    func commit(_ transaction: Transaction) async throws(StoreError) -> CommitResult

    /// The changes committed after `revision`, in revision order (and write order within a revision), of `kind`
    /// only when it is given.
    ///
    /// At most `limit` changes, except that the changes of the last revision returned are never split, so that
    /// the caller can continue after that revision. An empty result means there is nothing newer yet.
    /// - Throws: ``StoreError/Code/compacted(oldest:)`` when history after `revision` was already compacted: list
    ///   the objects again and follow the changes after the list's revision.
    func changes(after revision: Int64, kind: String?, limit: Int) async throws(StoreError) -> [Change]

    /// The revision of the last committed transaction (0 for an empty store).
    func currentRevision() async throws(StoreError) -> Int64

    /// Drops the history of the revisions before `revision`; `changes(after:)` of an earlier revision then throws
    /// ``StoreError/Code/compacted(oldest:)``. Compacting to an earlier point than before does nothing.
    /// - Parameter revision: at most the current revision plus one (which drops all history).
    func compact(before revision: Int64) async throws(StoreError)

    /// Compacts the history committed before `now` minus the storage's history retention, and returns the
    /// revision before which history is now compacted (unchanged when nothing expired or no retention is set).
    /// - Parameter now: milliseconds since 1970.
    @discardableResult
    func compactExpired(now: Int64) async throws(StoreError) -> Int64

    /// A stream of the newest committed revision, yielded after each commit (once durable).
    ///
    /// It keeps only the newest value while the consumer is busy, so it can skip revisions: read
    /// ``changes(after:kind:limit:)`` from the last revision handled, not from the yielded one. The stream ends
    /// when the storage is closed.
    func commits() -> AsyncStream<Int64>

    /// Stops accepting commits, waits for the commits already submitted, ends the ``commits()`` streams, and
    /// releases the storage. Calls after it throw ``StoreError/Code/unavailable``.
    func close() async throws(StoreError)
}

/// Limits that every storage enforces.
public enum ObjectStorageLimits {
    /// The largest page of a list.
    public static let maximumPageSize = 10_000
    /// The most changes one call of ``ObjectStorage/changes(after:kind:limit:)`` asks for.
    public static let maximumChangeLimit = 10_000
    /// The most bytes of objects (by ``StoredObject/estimatedListBytes``) one list page holds by default: a 4 MiB
    /// frame less 64 KiB for the rest of the answer, so that every page fits one message of the host's wire.
    public static let maximumPageBytes = (4 << 20) - 64 * 1024
}

extension ObjectStorage {
    /// One page of the objects of `kind`, at most ``ObjectStorageLimits/maximumPageBytes`` of them (see
    /// ``list(kind:labels:parent:pageSize:after:maxBytes:)``).
    public func list(
        kind: String,
        labels: [LabelRequirement],
        parent: String?,
        pageSize: Int,
        after: String?
    ) async throws(StoreError) -> ObjectPage {
        try await list(
            kind: kind,
            labels: labels,
            parent: parent,
            pageSize: pageSize,
            after: after,
            maxBytes: ObjectStorageLimits.maximumPageBytes
        )
    }

    /// Creates an object; fails with ``StoreError/Code/alreadyExists`` when it exists.
    /// - Returns: the object as stored, with its revision and timestamps.
    @discardableResult
    public func create(_ draft: StoredObjectDraft) async throws(StoreError) -> StoredObject {
        try await commit(Transaction(writes: [.create(draft)])).objects[0]
    }

    /// Replaces an object's labels, parent, owner and data, when it is at `expectedRevision` (any revision when
    /// nil); fails with ``StoreError/Code/notFound`` or ``StoreError/Code/revisionConflict(current:)``.
    /// - Returns: the object as stored, with its new revision.
    @discardableResult
    public func update(_ draft: StoredObjectDraft, expectedRevision: Int64?) async throws(StoreError) -> StoredObject {
        try await commit(Transaction(writes: [.update(draft, expectedRevision: expectedRevision)])).objects[0]
    }

    /// Deletes an object, when it is at `expectedRevision` (any revision when nil); fails with
    /// ``StoreError/Code/notFound`` or ``StoreError/Code/revisionConflict(current:)``.
    /// - Returns: the object as it was, with the delete's revision.
    @discardableResult
    public func delete(
        kind: String,
        id: String,
        expectedRevision: Int64? = nil
    ) async throws(StoreError)
        -> StoredObject
    {
        try await commit(Transaction(writes: [.delete(kind: kind, id: id, expectedRevision: expectedRevision)]))
            .objects[0]
    }

    /// Every object of `kind` that meets the requirements (and has `parent`, when given), read page by page.
    ///
    /// The pages are read at different revisions; use ``list(kind:labels:parent:pageSize:after:)`` to follow
    /// the list with changes.
    public func listAll(
        kind: String,
        labels: [LabelRequirement] = [],
        parent: String? = nil,
        pageSize: Int = 1000
    ) async throws(StoreError) -> [StoredObject] {
        var objects: [StoredObject] = []
        var after: String?
        repeat {
            let page = try await list(kind: kind, labels: labels, parent: parent, pageSize: pageSize, after: after)
            objects += page.objects
            after = page.nextPageToken
        } while after != nil
        return objects
    }
}
