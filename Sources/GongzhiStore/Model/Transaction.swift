/// Compares and writes that the store applies atomically: when every compare holds and every write succeeds, all
/// writes are committed under one new revision; otherwise nothing is written.
public struct Transaction: Sendable, Hashable {
    /// A condition on one object's current state, checked before any write.
    public struct Compare: Sendable, Hashable {
        /// What must hold for the object.
        public enum Condition: Sendable, Hashable {
            /// The object exists at exactly this revision.
            case revision(Int64)
            /// The object exists.
            case exists
            /// The object does not exist.
            case absent
        }

        public var kind: String
        public var id: String
        public var condition: Condition

        public init(kind: String, id: String, condition: Condition) {
            self.kind = kind
            self.id = id
            self.condition = condition
        }
    }

    /// One change to one object.
    public enum Write: Sendable, Hashable {
        /// Create an object; fails with ``StoreError/Code/alreadyExists`` when it exists.
        case create(StoredObjectDraft)
        /// Replace an existing object's labels, parent, owner and data; fails with ``StoreError/Code/notFound``
        /// when it does not exist, and with ``StoreError/Code/revisionConflict(current:)`` when `expectedRevision`
        /// is given and differs from the stored revision.
        case update(StoredObjectDraft, expectedRevision: Int64?)
        /// Delete an object; fails like ``update(_:expectedRevision:)``.
        case delete(kind: String, id: String, expectedRevision: Int64? = nil)

        /// The object that the write changes.
        public var kind: String {
            switch self {
            case .create(let draft), .update(let draft, _): draft.kind
            case .delete(let kind, _, _): kind
            }
        }

        /// The object that the write changes.
        public var id: String {
            switch self {
            case .create(let draft), .update(let draft, _): draft.id
            case .delete(_, let id, _): id
            }
        }
    }

    /// The most compares, and the most writes, that one transaction may carry (a batch of the points ledger's
    /// transfers and the accounts they change; a request's frame of at most 4 MiB bounds it too).
    public static let maximumOperations = 16_384

    /// Checked first, in order; the first that fails fails the transaction with
    /// ``StoreError/Code/compareFailed(index:)``.
    public var compares: [Compare]
    /// Applied in order when every compare holds; each object may be written at most once.
    public var writes: [Write]

    public init(compares: [Compare] = [], writes: [Write]) {
        self.compares = compares
        self.writes = writes
    }
}

/// What a committed transaction did.
public struct CommitResult: Sendable, Hashable {
    /// The revision of the transaction, shared by all of its writes (the current revision, unchanged, for a
    /// transaction without writes).
    public var revision: Int64
    /// One object per write, in order: the object as created or updated, or for a delete the object as it was,
    /// with the delete's revision.
    public var objects: [StoredObject]

    public init(revision: Int64, objects: [StoredObject]) {
        self.revision = revision
        self.objects = objects
    }
}

extension Transaction {
    /// Throws ``StoreError/Code/invalidArgument`` for a transaction that no storage would accept.
    func validate() throws(StoreError) {
        if compares.count > Self.maximumOperations || writes.count > Self.maximumOperations {
            throw .invalidArgument(
                "a transaction carries at most \(Self.maximumOperations) compares and \(Self.maximumOperations) "
                    + "writes; this one has \(compares.count) and \(writes.count); split it"
            )
        }
        for compare in compares {
            try ObjectNames.validateKind(compare.kind)
            try ObjectNames.validateID(compare.id, kind: compare.kind)
            if case .revision(let revision) = compare.condition, revision < 1 {
                throw .invalidArgument(
                    "compare of \(compare.kind)/\(compare.id): revisions start at 1, not \(revision)"
                )
            }
        }
        var written = Set<ObjectKey>()
        for write in writes {
            switch write {
            case .create(let draft), .update(let draft, expectedRevision: nil):
                try draft.validate()
            case .update(let draft, expectedRevision: .some(let revision)):
                try draft.validate()
                try Self.validateExpected(revision, kind: draft.kind, id: draft.id)
            case .delete(let kind, let id, let expectedRevision):
                try ObjectNames.validateKind(kind)
                try ObjectNames.validateID(id, kind: kind)
                if let expectedRevision {
                    try Self.validateExpected(expectedRevision, kind: kind, id: id)
                }
            }
            if !written.insert(ObjectKey(kind: write.kind, id: write.id)).inserted {
                throw .invalidArgument(
                    "the transaction writes \(write.kind)/\(write.id) more than once; write each object once"
                )
            }
        }
    }

    private static func validateExpected(_ revision: Int64, kind: String, id: String) throws(StoreError) {
        if revision < 1 {
            throw .invalidArgument("expected revision of \(kind)/\(id): revisions start at 1, not \(revision)")
        }
    }
}

/// An object's identity, for sets and messages.
struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    var kind: String
    var id: String

    var description: String { "\(kind)/\(id)" }
}
