import GongzhiRPC

/// Who is calling, as the host established it (never as the caller claimed it).
package enum Principal: Sendable, Equatable, CustomStringConvertible {
    /// An administrator on admin.sock, by uid.
    case admin(uid: UInt32, pid: Int32)
    /// A plugin, by the token the host gave it (or an administrator issued it) and its process.
    case plugin(name: String, pid: Int32, uid: UInt32)
    /// An API client, by the token an administrator issued it.
    case client(tokenID: String, subject: String, pid: Int32, uid: UInt32)

    package var description: String {
        switch self {
        case .admin(let uid, _): "admin:uid=\(uid)"
        case .plugin(let name, _, _): "plugin:\(name)"
        case .client(let id, _, _, _): "client:\(id)"
        }
    }

    package var kind: String {
        switch self {
        case .admin: "admin"
        case .plugin: "plugin"
        case .client: "client"
        }
    }

    var pid: Int32 {
        switch self {
        case .admin(_, let pid), .plugin(_, let pid, _), .client(_, _, let pid, _): pid
        }
    }

    var uid: UInt32 {
        switch self {
        case .admin(let uid, _), .plugin(_, _, let uid), .client(_, _, _, let uid): uid
        }
    }
}

/// Metadata entries the host sets on calls it forwards; callers cannot set them.
package enum CallerMetadata {
    package static let token = "gongzhi-token"
    package static let caller = "gongzhi-caller"
    package static let callerKind = "gongzhi-caller-kind"
    package static let callerPID = "gongzhi-caller-pid"
    package static let callerUID = "gongzhi-caller-uid"
    /// "true" when the caller holds the personal-data grant: a plugin that holds it too shows the caller
    /// sensitive fields only then.
    package static let callerPersonalData = "gongzhi-caller-personal-data"
    /// Every key with this prefix is the host's: removed from what callers send.
    package static let reservedPrefix = "gongzhi-"

    /// The caller's metadata without reserved entries (and so without its token), plus the caller's identity.
    static func forwarded(_ metadata: Metadata, principal: Principal, seesPersonalData: Bool) -> Metadata {
        var out = Metadata()
        for entry in metadata where !entry.key.hasPrefix(reservedPrefix) {
            out.add(entry.key, entry.value)
        }
        out.add(caller, principal.description)
        out.add(callerKind, principal.kind)
        out.add(callerPID, String(principal.pid))
        out.add(callerUID, String(principal.uid))
        out.add(callerPersonalData, seesPersonalData ? "true" : "false")
        return out
    }
}
