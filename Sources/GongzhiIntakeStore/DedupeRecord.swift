/// What dedupe remembers of an input when it is finished: its external id (in `seen`, for as long as it is kept)
/// and its content fingerprint (in `recent`, for the source's window). Either may be empty.
public struct DedupeRecord: Equatable, Sendable {
    public var externalID: String
    public var fingerprint: String
    /// The time the fingerprint's window counts from, in milliseconds since the Unix epoch.
    public var atMs: Int64

    public init(externalID: String, fingerprint: String, atMs: Int64) {
        self.externalID = externalID
        self.fingerprint = fingerprint
        self.atMs = atMs
    }
}
