/// What an `ObjectBook` keeps beside its objects to find them by something other than their id: the book
/// tells it each object it takes in and each it lets go, under the book's lock, and starts again from the
/// index it was given when it takes in a fresh list.
///
/// ```swift
/// /// The grids of each community.
/// struct GridsByCommunity: ObjectBookIndex {
///     typealias Grid = TypedObject<Gongzhi_Core_V1_Grid>
///     var ids: [String: Set<String>] = [:]
///
///     mutating func keep(_ grid: Grid, replacing held: Grid?) {
///         if let held { drop(held) }
///         ids[grid.message.communityCode, default: []].insert(grid.id)
///     }
///
///     mutating func drop(_ held: Grid) {
///         ids[held.message.communityCode]?.remove(held.id)
///     }
/// }
/// ```
public protocol ObjectBookIndex<Message>: Sendable {
    associatedtype Message: ObjectKind

    /// The book now holds `object` in place of `held` (nil when it held none with that id).
    mutating func keep(_ object: TypedObject<Message>, replacing held: TypedObject<Message>?)

    /// The book no longer holds `held`.
    mutating func drop(_ held: TypedObject<Message>)
}

/// The index of a book that finds its objects by id only.
public struct NoObjectIndex<Message: ObjectKind>: ObjectBookIndex {
    public init() {}

    public func keep(_ object: TypedObject<Message>, replacing held: TypedObject<Message>?) {}

    public func drop(_ held: TypedObject<Message>) {}
}
