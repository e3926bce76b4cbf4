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
    /// When the change's transaction was committed, in microseconds since 1970 (0 when unknown). A change served
    /// from the writer's memory carries the moment its commit was durable; one read back from the history carries
    /// the commit's recorded time, which is taken as the commit begins and kept to the millisecond.
    public var committedAtMicroseconds: Int64

    public init(revision: Int64, type: ChangeType, object: StoredObject, committedAtMicroseconds: Int64 = 0) {
        self.revision = revision
        self.type = type
        self.object = object
        self.committedAtMicroseconds = committedAtMicroseconds
    }
}
