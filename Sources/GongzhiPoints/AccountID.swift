import GongzhiPointsSchemas

/// The id of an account: `<ledger>:<holder kind>:<holder id>`, or `<ledger>:expiry` for a ledger's expiry account.
public struct AccountID: Hashable, Sendable, CustomStringConvertible {
    public var ledger: String
    public var holderKind: Gongzhi_Points_V1_HolderKind
    public var holderID: String

    public init(ledger: String, holderKind: Gongzhi_Points_V1_HolderKind, holderID: String) {
        self.ledger = ledger
        self.holderKind = holderKind
        self.holderID = holderKind == .expiry ? "" : holderID
    }

    /// Reads an account id; nil when it has not the shape `<ledger>:<kind>:<holder id>` (or `<ledger>:expiry`).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts[0].isEmpty, let kind = Self.kind(named: parts[1]) else { return nil }
        if kind == .expiry {
            guard parts.count == 2 else { return nil }
            self.init(ledger: parts[0], holderKind: .expiry, holderID: "")
        } else {
            guard parts.count == 3, !parts[2].isEmpty else { return nil }
            self.init(ledger: parts[0], holderKind: kind, holderID: parts[2])
        }
    }

    public var description: String {
        holderKind == .expiry
            ? "\(ledger):expiry" : "\(ledger):\(Self.word(for: holderKind)):\(holderID)"
    }

    /// True for the accounts of residents, partners and people: they hold lots and may not go below zero.
    public var isHolder: Bool { Self.isHolder(holderKind) }

    public static func isHolder(_ kind: Gongzhi_Points_V1_HolderKind) -> Bool {
        kind == .resident || kind == .partner || kind == .person
    }

    /// The word an account id and the command line use for a holder kind.
    public static func word(for kind: Gongzhi_Points_V1_HolderKind) -> String {
        switch kind {
        case .resident: "resident"
        case .partner: "partner"
        case .person: "person"
        case .issuer: "issuer"
        case .venue: "venue"
        case .expiry: "expiry"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }

    /// The holder kind a word names.
    public static func kind(named word: String) -> Gongzhi_Points_V1_HolderKind? {
        switch word {
        case "resident": .resident
        case "partner": .partner
        case "person": .person
        case "issuer": .issuer
        case "venue": .venue
        case "expiry": .expiry
        default: nil
        }
    }

    /// Checks a client-chosen id of a transfer, record or redemption: letters, digits and ".:_-", 1 to 128
    /// characters. Returns what is wrong, or nil.
    public static func problem(withID id: String, what: String) -> String? {
        if id.isEmpty { return "\(what) has no id; give one (a retry with the same id is answered once)" }
        if id.utf8.count > 128 { return "\(what) id \"\(id.prefix(40))…\" is longer than 128 characters" }
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "_"),
                UInt8(ascii: "-"):
                continue
            default:
                return "\(what) id \"\(id)\" may hold only letters, digits and \".:_-\""
            }
        }
        return nil
    }
}
