import GongzhiHashing

/// Case ids: "C" and 19 lower-case hex characters (76 bits).
public enum CaseIdentity {
    /// The id of the case a report opens. With an idempotency key it is derived from SHA-256(principal + "\n" +
    /// key), so that a retry of the same report by the same caller gets the same id and another caller's key
    /// never collides with it; without one it is random.
    public static func caseID(principal: String, idempotencyKey: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return caseID(principal: principal, idempotencyKey: idempotencyKey, using: &generator)
    }

    /// `caseID(principal:idempotencyKey:)` with the random ids (for reports without a key) from `generator`.
    public static func caseID(
        principal: String,
        idempotencyKey: String,
        using generator: inout some RandomNumberGenerator
    ) -> String {
        let bytes: [UInt8]
        if idempotencyKey.isEmpty {
            bytes = (0..<10).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        } else {
            bytes = SHA256.hash(Array((principal + "\n" + idempotencyKey).utf8))
        }
        return "C" + hexString(bytes).prefix(idLength)
    }

    /// The number of hex characters after the "C".
    public static let idLength = 19

    /// True when `id` has the shape of a case id; for rejecting junk before a lookup.
    public static func isWellFormed(_ id: String) -> Bool {
        let utf8 = Array(id.utf8)
        return utf8.count == idLength + 1 && utf8[0] == UInt8(ascii: "C")
            && utf8.dropFirst().allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }
}
