import GongzhiHashing

/// A ticket's content fingerprint: hex SHA-256 of its canonical form (the source, the source category, the
/// description with its runs of white space folded and its ends trimmed, the coordinate to 6 decimals, the
/// address, the address id, the reporter's phone), so that the same ticket sent twice — by a retrying app, or
/// entered twice at a hotline — has the same fingerprint whatever its external id.
public enum Fingerprint {
    public static func of(_ ticket: Ticket, source: String) -> String {
        var canonical = "ticket\n\(source)\n\(ticket.sourceCategory)\n\(folded(ticket.description))\n"
        if let coordinate = ticket.coordinate {
            canonical += "\(microdegrees(coordinate.latitude)),\(microdegrees(coordinate.longitude))"
        }
        canonical += "\n\(folded(ticket.address))\n\(ticket.addressID)\n\(ticket.reporterPhone)"
        return SHA256.hexHash(Array(canonical.utf8))
    }

    static func microdegrees(_ degrees: Double) -> Int64 {
        Int64((degrees * 1_000_000).rounded())
    }

    /// The text with every run of white space (spaces, tabs, line breaks, the ideographic space) made one space.
    static func folded(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace {
                result.append(" ")
                pendingSpace = false
            }
            result.append(scalar)
        }
        return String(result)
    }
}
