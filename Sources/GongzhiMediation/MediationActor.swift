/// Who takes a step, as the host verified them: the history records both.
public struct MediationActor: Sendable, Hashable {
    /// The person's id, else the caller's principal.
    public var id: String
    /// The name people read in the history.
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}
