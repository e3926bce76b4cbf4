/// What dedupe decided about an input.
public enum DedupeVerdict: Equatable, Sendable {
    /// Seen for the first time: it goes on.
    case new
    /// The source sent this external id before: a duplicate of that input (its inbox sequence).
    case sameExternalID(firstSequence: UInt64)
    /// The same content came from the source within its window: a duplicate of that input.
    case sameContent(firstSequence: UInt64)

    /// True for either kind of duplicate.
    public var isDuplicate: Bool { self != .new }
}

/// Dedupe for one plugin's sources, as a value: by source and external id for as long as it is kept, and by
/// content fingerprint within each source's window. An input exactly `window` milliseconds from the first (after
/// it, or before it when inputs come out of order) is no longer a duplicate; one a millisecond nearer is. Inputs without an external id are deduped by content
/// alone; a window of 0 turns content dedupe off (readings dedupe by their key only).
public struct DedupeWindow: Sendable {
    struct Key: Hashable, Sendable {
        var source: String
        var value: String
    }

    struct Recent: Sendable {
        var sequence: UInt64
        var atMs: Int64
    }

    private var externalIDs: [Key: UInt64] = [:]
    private var fingerprints: [Key: Recent] = [:]

    public init() {}

    /// Decides about an input and remembers it when it is new. `windowMs` is its source's content window.
    public mutating func admit(
        source: String,
        externalID: String,
        fingerprint: String,
        sequence: UInt64,
        atMs: Int64,
        windowMs: Int64
    ) -> DedupeVerdict {
        let idKey = Key(source: source, value: externalID)
        if !externalID.isEmpty, let first = externalIDs[idKey] {
            return .sameExternalID(firstSequence: first)
        }
        let contentKey = Key(source: source, value: fingerprint)
        if windowMs > 0, let recent = fingerprints[contentKey], abs(atMs - recent.atMs) < windowMs {
            return .sameContent(firstSequence: recent.sequence)
        }
        if !externalID.isEmpty { externalIDs[idKey] = sequence }
        if windowMs > 0 { fingerprints[contentKey] = Recent(sequence: sequence, atMs: atMs) }
        return .new
    }

    /// Forgets a source's fingerprints that are `windowMs` or more old at `nowMs`: they can no longer match.
    /// External ids are kept (the plugin's store holds them for their retention period).
    public mutating func expire(source: String, nowMs: Int64, windowMs: Int64) {
        fingerprints = fingerprints.filter { $0.key.source != source || nowMs - $0.value.atMs < windowMs }
    }

    /// How many fingerprints are held.
    public var fingerprintCount: Int { fingerprints.count }
}
