import GongzhiHashing

/// The ids intake derives from an input, so that a retry or a replay after a crash makes the same objects and
/// the same grid report rather than new ones.
public enum IntakeIdentity {
    /// The longest idempotency key a grid report takes.
    public static let maximumIdempotencyKeyLength = 128

    /// An item's id: "T" and 16 hex digits of SHA-256(source "\n" inbox sequence).
    public static func itemID(source: String, inboxSequence: UInt64) -> String {
        "T" + hex16("\(source)\n\(inboxSequence)")
    }

    /// A dead letter's id: "D" and 16 hex digits of SHA-256(source "\n" inbox sequence); one per input.
    public static func deadLetterID(source: String, inboxSequence: UInt64) -> String {
        "D" + hex16("\(source)\n\(inboxSequence)")
    }

    /// The idempotency key of the grid report an input files: `intake:<source>:<external id>`, or the inbox
    /// sequence when the source gives no external id; a key longer than 128 characters keeps its first 60, a "~"
    /// and the hex SHA-256 of the whole, so that two long keys stay apart.
    public static func reportKey(source: String, externalID: String, inboxSequence: UInt64) -> String {
        let key = "intake:\(source):" + (externalID.isEmpty ? "#\(inboxSequence)" : externalID)
        guard key.count > maximumIdempotencyKeyLength else { return key }
        return String(key.prefix(60)) + "~" + SHA256.hexHash(Array(key.utf8))
    }

    static func hex16(_ text: String) -> String {
        String(SHA256.hexHash(Array(text.utf8)).prefix(16))
    }
}
