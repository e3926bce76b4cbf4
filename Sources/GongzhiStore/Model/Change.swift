/// One committed write, as the change history records it: the stream that watchers follow.
public struct Change: Sendable, Hashable {
    /// How the object changed.
    public enum ChangeType: Int, Sendable, Hashable, CustomStringConvertible {
        case added = 1
        case modified = 2
        case deleted = 3

        public var description: String {
            switch self {
            case .added: "added"
            case .modified: "modified"
            case .deleted: "deleted"
            }
        }
    }

    /// The revision of the transaction that made the change (equal to `object.revision`).
    public var revision: Int64
    public var type: ChangeType
    /// The object after the change; for a delete, the object as it was, with the delete's revision.
    public var object: StoredObject

    public init(revision: Int64, type: ChangeType, object: StoredObject) {
        self.revision = revision
        self.type = type
        self.object = object
    }
}
