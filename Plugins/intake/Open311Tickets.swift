import GongzhiHashing
import GongzhiIntake
import GongzhiIntakeSchemas

/// Open311's view of the items: tickets are items of an Open311 source, their service_request_id the inbox
/// sequence; a batch service's token names the sequence with a check so that tokens cannot be guessed from
/// one another.
enum Open311Tickets {
    /// "K" + the sequence in base 36 + "-" + 10 hex digits of SHA-256(source, sequence).
    static func token(source: String, seq: UInt64) -> String {
        "K" + String(seq, radix: 36) + "-" + check(source: source, seq: seq)
    }

    /// The sequence a token names, if it is one of this source's.
    static func seq(ofToken token: String, source: String) -> UInt64? {
        guard token.hasPrefix("K"), let dash = token.firstIndex(of: "-"),
            let seq = UInt64(token[token.index(after: token.startIndex)..<dash], radix: 36),
            token[token.index(after: dash)...] == check(source: source, seq: seq)
        else { return nil }
        return seq
    }

    private static func check(source: String, seq: UInt64) -> String {
        String(SHA256.hexHash(Array("open311-token\n\(source)\n\(seq)".utf8)).prefix(10))
    }

    /// The public view of an item (no key): no description, address or media; the point to 3 decimals
    /// (about 100 m).
    static func publicView(_ item: Gongzhi_Intake_V1_IntakeItem, serviceName: String) -> Open311ServiceRequest {
        var request = Open311ServiceRequest(item: item, serviceName: serviceName, showPersonalData: false)
        request.mediaURL = ""
        if let point = request.coordinate {
            request.coordinate = Coordinate(
                latitude: (point.latitude * 1_000).rounded() / 1_000,
                longitude: (point.longitude * 1_000).rounded() / 1_000
            )
        }
        return request
    }
}
