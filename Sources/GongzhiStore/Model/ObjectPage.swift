/// One page of a list, in id order.
public struct ObjectPage: Sendable, Hashable {
    /// The objects of the page, ordered by id.
    public var objects: [StoredObject]
    /// What to pass as `after` for the next page, or nil when this page is the last.
    public var nextPageToken: String?
    /// The store revision that the page was read at; read changes after it to follow the list.
    public var revision: Int64

    public init(objects: [StoredObject], nextPageToken: String?, revision: Int64) {
        self.objects = objects
        self.nextPageToken = nextPageToken
        self.revision = revision
    }
}
