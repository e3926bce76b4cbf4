/// Places as the platform codes them: a district (6 digits, GB/T 2260), a street (9), a community (12) or a
/// grid (15). A place's code starts with the code of every place it lies in, so a community covers its grids.
public enum PlaceLevel: String, Sendable, CaseIterable {
    case district, street, community, grid

    /// The level of a code, or nil when it is not 6, 9, 12 or 15 digits.
    public init?(code: String) {
        guard code.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        switch code.utf8.count {
        case 6: self = .district
        case 9: self = .street
        case 12: self = .community
        case 15: self = .grid
        default: return nil
        }
    }

    /// 区, 街道, 社区, 网格.
    public var chineseName: String {
        switch self {
        case .district: "区"
        case .street: "街道"
        case .community: "社区"
        case .grid: "网格"
        }
    }
}

/// The places where a caller may do something: the union of the places of the bindings that allow it.
/// `everywhere` is the scope of callers that are not held to places (administrators, plugins, API clients).
public struct PlaceScope: Sendable, Hashable, CustomStringConvertible {
    /// Nil: everywhere. Otherwise the codes, none of them inside another.
    public let codes: [String]?

    public static let everywhere = PlaceScope(codes: nil)
    public static let nowhere = PlaceScope(codes: [])

    private init(codes: [String]?) {
        self.codes = codes
    }

    /// The scope of these places (a code inside another is dropped: the outer one covers it).
    public init<S: Sequence>(_ codes: S) where S.Element == String {
        let sorted = Set(codes).sorted { $0.utf8.count < $1.utf8.count || ($0.utf8.count == $1.utf8.count && $0 < $1) }
        var kept: [String] = []
        for code in sorted where !kept.contains(where: { code.hasPrefix($0) }) {
            kept.append(code)
        }
        self.codes = kept.sorted()
    }

    public var isEverywhere: Bool { codes == nil }
    public var isEmpty: Bool { codes?.isEmpty ?? false }

    /// True when an object at `place` lies within the scope. An object with no place lies only within a
    /// scope that holds a whole district (or everywhere).
    public func covers(_ place: String) -> Bool {
        guard let codes else { return true }
        if place.isEmpty { return codes.contains { $0.utf8.count == 6 } }
        for code in codes where place.hasPrefix(code) { return true }
        return false
    }

    /// The union of two scopes.
    public func union(_ other: PlaceScope) -> PlaceScope {
        guard let codes, let others = other.codes else { return .everywhere }
        return PlaceScope(codes + others)
    }

    /// The codes joined by commas, or "*" for everywhere (how the routed call's metadata carries it).
    public var description: String { codes.map { $0.joined(separator: ",") } ?? "*" }

    /// Reads ``description``.
    public init(metadataValue value: String) {
        if value == "*" {
            self = .everywhere
        } else {
            self.init(value.split(separator: ",").map(String.init))
        }
    }
}

/// Metadata entries the host sets on every call it routes to a plugin (and removes from what callers send).
public enum CallerMetadataKey {
    /// The caller as the audit names it: `admin:uid=0`, `plugin:grid`, `client:<token id>`, `person:<id>`,
    /// `admin:uid=0 as person:<id>`.
    public static let caller = "gongzhi-caller"
    /// admin, plugin, client or person: for a front end acting for a person, "person".
    public static let callerKind = "gongzhi-caller-kind"
    /// "true" when the caller may see personal data in this call.
    public static let personalData = "gongzhi-caller-personal-data"
    /// The verified person's id, when a person is acting.
    public static let person = "gongzhi-person"
    /// Their name.
    public static let personName = "gongzhi-person-name"
    /// The roles of theirs that allow this method, comma-separated.
    public static let personRoles = "gongzhi-person-roles"
    /// The places where those roles allow it: a ``PlaceScope`` as text.
    public static let personPlaces = "gongzhi-person-places"
    /// The places where the person may see personal data: a ``PlaceScope`` as text.
    public static let personPersonalDataPlaces = "gongzhi-person-personal-data-places"
    /// What acted for the person: `admin:uid=0`, `client:<token id>`, `plugin:hotline`; absent when the
    /// person called with their own token.
    public static let actingFor = "gongzhi-acting-for"
    /// Set by a caller (an administrator, or a front end holding the impersonate grant): the id of the
    /// person the call is made for. The host checks it and replaces it with the entries above.
    public static let actAs = "gongzhi-act-as"
}

/// The grants that are not methods.
public enum PlatformGrants {
    /// Seeing sensitive fields: `gongzhi.host.v1.PersonalData/Read`.
    public static let personalData = "gongzhi.host.v1.PersonalData/Read"
    /// Naming the person a call is made for (``CallerMetadataKey/actAs``): `gongzhi.host.v1.People/Impersonate`.
    public static let impersonate = "gongzhi.host.v1.People/Impersonate"
}
