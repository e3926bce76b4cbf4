import GongzhiRPC
import GongzhiSchemas

/// Who is calling, as the host established it (never as the caller claimed it).
package enum Principal: Sendable, Equatable, CustomStringConvertible {
    /// An administrator on admin.sock, by uid.
    case admin(uid: UInt32, pid: Int32)
    /// A plugin, by the token the host gave it (or an administrator issued it) and its process.
    case plugin(name: String, pid: Int32, uid: UInt32)
    /// An API client, by the token an administrator issued it.
    case client(tokenID: String, subject: String, pid: Int32, uid: UInt32)
    /// A person: by a token issued to them (`tokenID`), or named by `actingFor` (an administrator, or a
    /// front end holding the impersonate grant), which the audit names too.
    indirect case person(id: String, tokenID: String?, actingFor: Principal?, pid: Int32, uid: UInt32)

    package var description: String {
        switch self {
        case .admin(let uid, _): "admin:uid=\(uid)"
        case .plugin(let name, _, _): "plugin:\(name)"
        case .client(let id, _, _, _): "client:\(id)"
        case .person(let id, _, let actingFor, _, _):
            actingFor.map { "\($0) as person:\(id)" } ?? "person:\(id)"
        }
    }

    package var kind: String {
        switch self {
        case .admin: "admin"
        case .plugin: "plugin"
        case .client: "client"
        case .person: "person"
        }
    }

    /// The person acting, when one is.
    package var personID: String? {
        if case .person(let id, _, _, _, _) = self { return id }
        return nil
    }

    var pid: Int32 {
        switch self {
        case .admin(_, let pid), .plugin(_, let pid, _), .client(_, _, let pid, _), .person(_, _, _, let pid, _): pid
        }
    }

    var uid: UInt32 {
        switch self {
        case .admin(let uid, _), .plugin(_, _, let uid), .client(_, _, _, let uid), .person(_, _, _, _, let uid): uid
        }
    }
}

/// Metadata entries the host sets on calls it forwards; callers cannot set them.
package enum CallerMetadata {
    package static let token = "gongzhi-token"
    package static let caller = CallerMetadataKey.caller
    package static let callerKind = CallerMetadataKey.callerKind
    package static let callerPID = "gongzhi-caller-pid"
    package static let callerUID = "gongzhi-caller-uid"
    /// "true" when the caller holds the personal-data grant: a plugin that holds it too shows the caller
    /// sensitive fields only then.
    package static let callerPersonalData = CallerMetadataKey.personalData
    /// Every key with this prefix is the host's: removed from what callers send.
    package static let reservedPrefix = "gongzhi-"

    /// The caller's metadata without reserved entries (and so without its token), plus the caller's identity:
    /// for a person, who they are, their roles that allow the method and where (`grant`).
    static func forwarded(
        _ metadata: Metadata,
        principal: Principal,
        seesPersonalData: Bool,
        person: RoutedPerson? = nil
    ) -> Metadata {
        var out = Metadata()
        for entry in metadata where !entry.key.hasPrefix(reservedPrefix) {
            out.add(entry.key, entry.value)
        }
        out.add(caller, principal.description)
        out.add(callerKind, principal.kind)
        out.add(callerPID, String(principal.pid))
        out.add(callerUID, String(principal.uid))
        out.add(callerPersonalData, seesPersonalData ? "true" : "false")
        if let person {
            out.add(CallerMetadataKey.person, person.id)
            out.add(CallerMetadataKey.personName, person.name)
            out.add(CallerMetadataKey.personRoles, person.roles.joined(separator: ","))
            out.add(CallerMetadataKey.personPlaces, person.places.description)
            out.add(CallerMetadataKey.personPersonalDataPlaces, person.personalDataPlaces.description)
            if case .person(_, _, let actingFor?, _, _) = principal {
                out.add(CallerMetadataKey.actingFor, actingFor.description)
            }
        }
        return out
    }
}

/// The person a routed call is made by, as the plugin is told: their roles that allow the method, and where.
struct RoutedPerson: Sendable {
    var id: String
    var name: String
    var roles: [String]
    var places: PlaceScope
    var personalDataPlaces: PlaceScope
}
