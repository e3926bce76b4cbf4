import GongzhiSchemas

/// A pool of seats that calls are admitted to. Levels do not borrow from each other, so load in one never
/// makes another wait.
enum PriorityLevel: Hashable, Sendable, CustomStringConvertible {
    /// Registration, WhoAmI and the host's own calls: exempt, never queued and never refused.
    case system
    /// Calls on admin.sock.
    case admin
    /// Plugins' calls on host.sock to the host's own services (the object store).
    case plugins
    /// API clients' and persons' calls on host.sock to the host's own services.
    case clients
    /// Calls routed to one plugin, by anyone: a pool per target plugin, so that a plugin serving a routed call
    /// and calling back into the host draws on `plugins`, not on the seat its caller holds.
    case routed(plugin: String)

    /// The configuration table that sets this level's limits.
    var configurationTable: String {
        switch self {
        case .system: "[admission]"
        case .admin: "[admission.admin]"
        case .plugins: "[admission.plugins]"
        case .clients: "[admission.clients]"
        case .routed: "[admission.routed]"
        }
    }

    /// The name in counters and status: `routed:PLUGIN` for a routed pool.
    var description: String {
        switch self {
        case .system: "system"
        case .admin: "admin"
        case .plugins: "plugins"
        case .clients: "clients"
        case .routed(let plugin): "routed:\(plugin)"
        }
    }
}

extension PriorityLevel {
    /// The level of a call to `service` by `principal`: registration and WhoAmI are the host's own business
    /// (exempt); everything on admin.sock is `admin`; on host.sock a call routed to a plugin draws on that
    /// plugin's pool, and the host's own services on `plugins` or `clients` by who calls.
    static func of(service: String, principal: Principal, onAdminSocket: Bool, routedTo plugin: String?) -> Self {
        if service == Gongzhi_Host_V1_Registration.serviceName || service == Gongzhi_Host_V1_People.serviceName {
            return .system
        }
        if onAdminSocket { return .admin }
        if service != Gongzhi_Host_V1_Objects.serviceName, let plugin { return .routed(plugin: plugin) }
        switch principal {
        case .admin: return .admin
        case .plugin: return .plugins
        case .client, .person: return .clients
        }
    }
}
