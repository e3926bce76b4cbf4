import GongzhiHashing

/// Dispute ids: "MD-" and 12 lower-case hex characters (48 bits).
///
/// An application with an idempotency key gets an id derived from SHA-256(principal + "\n" + key), so that a
/// retry by the same caller answers the first dispute and another caller's key never collides with it; a grid
/// case handed over gets one derived from "grid-case:" + the case id, so that a second hand-over finds the
/// first; anything else gets a random one.
enum DisputeIdentity {
    static let prefix = "MD-"
    /// The number of hex characters after the prefix.
    static let hexLength = 12

    /// The id of an application by `principal` with `idempotencyKey` (random without a key).
    static func applicationID(principal: String, idempotencyKey: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return applicationID(principal: principal, idempotencyKey: idempotencyKey, using: &generator)
    }

    /// `applicationID(principal:idempotencyKey:)` with the random ids from `generator`.
    static func applicationID(
        principal: String,
        idempotencyKey: String,
        using generator: inout some RandomNumberGenerator
    ) -> String {
        if idempotencyKey.isEmpty {
            return id((0..<hexLength / 2).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        }
        return id(SHA256.hash(Array((principal + "\n" + idempotencyKey).utf8)))
    }

    /// The id of the dispute grid case `caseID` is handed over as.
    static func handOffID(caseID: String) -> String {
        id(SHA256.hash(Array(("grid-case:" + caseID).utf8)))
    }

    /// The id of the grid case opened for a missed obligation: `<dispute id>-<obligation id>`.
    static func missedObligationCaseID(disputeID: String, obligationID: String) -> String {
        "\(disputeID)-\(obligationID)"
    }

    private static func id(_ bytes: [UInt8]) -> String {
        prefix + hexString(Array(bytes.prefix(hexLength / 2)))
    }
}
