/// One object in the store: an entity of some kind, its labels and parent for selection, and its protobuf bytes.
///
/// The store sets ``revision``, ``createdAt`` and ``updatedAt``; the caller sets everything else through a
/// ``StoredObjectDraft``.
public struct StoredObject: Sendable, Hashable {
    /// The kind of entity, such as `grid` or `resident`.
    public var kind: String
    /// The object's name, unique within its kind.
    public var id: String
    /// The global revision of the transaction that last changed the object (for a deleted object in a ``Change``,
    /// the revision of the delete).
    public var revision: Int64
    /// Labels that selectors match (see ``LabelRequirement``).
    public var labels: [String: String]
    /// The id of the object this one belongs to (for example a grid's community), or "" when none.
    public var parent: String
    /// The plugin that owns the kind, or `host`.
    public var owner: String
    /// When the object was created, in milliseconds since 1970 (set by the store).
    public var createdAt: Int64
    /// When the object was last changed, in milliseconds since 1970 (set by the store).
    public var updatedAt: Int64
    /// The object's message, serialized protobuf bytes that the store does not read.
    public var data: [UInt8]

    public init(
        kind: String,
        id: String,
        revision: Int64,
        labels: [String: String] = [:],
        parent: String = "",
        owner: String,
        createdAt: Int64,
        updatedAt: Int64,
        data: [UInt8]
    ) {
        self.kind = kind
        self.id = id
        self.revision = revision
        self.labels = labels
        self.parent = parent
        self.owner = owner
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.data = data
    }

    /// The fields that a caller can set, as a draft for an update.
    public var draft: StoredObjectDraft {
        StoredObjectDraft(kind: kind, id: id, labels: labels, parent: parent, owner: owner, data: data)
    }

    /// About how many bytes the object takes in a list answer: its data, id, parent and labels, and 64 bytes for
    /// the other fields and the framing. The measure of a page's ``ObjectStorageLimits/maximumPageBytes``.
    public var estimatedListBytes: Int {
        data.count + id.utf8.count + parent.utf8.count + 64
            + labels.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 4 }
    }
}

/// What a caller writes: an object without the fields that the store sets.
public struct StoredObjectDraft: Sendable, Hashable {
    /// The kind of entity (letters, digits, `.`, `_`, `-` and `/`; at most 253 bytes).
    public var kind: String
    /// The object's name within its kind (no spaces or control characters; at most 253 bytes).
    public var id: String
    /// Labels that selectors match; keys and values follow Kubernetes' label syntax.
    public var labels: [String: String]
    /// The id of the object this one belongs to, or "" when none.
    public var parent: String
    /// The plugin that owns the kind, or `host`; must not be empty.
    public var owner: String
    /// The object's message, serialized protobuf bytes (at most ``maximumDataSize`` bytes).
    public var data: [UInt8]

    /// The largest ``data`` the store accepts: 4 MiB, the largest message the wire carries.
    public static let maximumDataSize = 4 * 1024 * 1024

    public init(
        kind: String,
        id: String,
        labels: [String: String] = [:],
        parent: String = "",
        owner: String,
        data: [UInt8] = []
    ) {
        self.kind = kind
        self.id = id
        self.labels = labels
        self.parent = parent
        self.owner = owner
        self.data = data
    }
}

extension StoredObjectDraft {
    /// Throws ``StoreError/Code/invalidArgument`` naming the first field that the store would not accept.
    func validate() throws(StoreError) {
        try ObjectNames.validateKind(kind)
        try ObjectNames.validateID(id, kind: kind)
        if !parent.isEmpty {
            try ObjectNames.validateName(parent, what: "the parent of \(kind)/\(id)")
        }
        if owner.isEmpty {
            throw .invalidArgument("\(kind)/\(id) has no owner; set it to the owning plugin's name or \"host\"")
        }
        try ObjectNames.validateName(owner, what: "the owner of \(kind)/\(id)")
        for (key, value) in labels {
            try LabelSyntax.validateKey(key, context: "label of \(kind)/\(id)")
            try LabelSyntax.validateValue(value, key: key, context: "label of \(kind)/\(id)")
        }
        if data.count > Self.maximumDataSize {
            throw .invalidArgument(
                "\(kind)/\(id) has \(data.count) bytes of data, more than the \(Self.maximumDataSize) allowed; "
                    + "store large content elsewhere and keep a reference"
            )
        }
    }
}
