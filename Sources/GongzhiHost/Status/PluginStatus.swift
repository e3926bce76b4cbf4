/// What the host can say about one plugin: its state and why, its process, and what it serves and may
/// do. ``AdminService`` turns it into the `gongzhi.host.v1.PluginStatus` that `gongzhictl` shows.
struct PluginStatus: Sendable, Equatable {
    /// Where a plugin is in its life, as `gongzhictl` names it.
    enum State: Sendable, Equatable, CustomStringConvertible {
        /// A started plugin, in its supervisor's state.
        case supervised(PluginSupervisor.State)
        /// Disabled by the configuration or an administrator, and stopped.
        case disabled
        /// The host will not start it: its manifest or executable was not accepted.
        case refused
        /// An external plugin whose registration lasts.
        case attached
        /// An external plugin whose registration ended.
        case detached

        var description: String {
            switch self {
            case .supervised(let state): state.rawValue
            case .disabled: "disabled"
            case .refused: "refused"
            case .attached: "attached"
            case .detached: "detached"
            }
        }
    }

    var name: String
    var state: State
    /// Why the plugin is in its state, when there is a reason: the last exit, a refusal, a health failure.
    var reason: String
    /// True for a plugin the host starts and supervises; false for an external one that attached itself.
    var managed: Bool
    var version: String = ""
    /// Its process, or 0.
    var pid: Int32 = 0
    /// When the state last changed (milliseconds since the Unix epoch).
    var sinceMilliseconds: Int64
    var restarts: Int = 0
    /// Crashes inside the supervision's crash window.
    var recentCrashes: Int = 0
    /// When a plugin that backs off starts again (milliseconds since the Unix epoch).
    var nextStartMilliseconds: Int64?
    var services: [String] = []
    var requestedGrants: [GrantPattern] = []
    var approvedGrants: [GrantPattern] = []
    /// The grants it holds: those requested that are also approved.
    var effectiveGrants: [GrantPattern] = []
    var socketPath: String
    var manifestPath: String = ""
    var executable: String = ""
}

extension PluginStatus {
    /// The status of a plugin the host starts, whose socket is `socketPath` and whose manifest, when
    /// plugins have a folder, is `manifestPath`.
    init(_ plugin: ManagedPlugin, name: String, socketPath: String, manifestPath: String?) {
        let supervisor = plugin.supervisor
        let state: State
        let reason: String
        if let refusal = plugin.refusal {
            state = .refused
            reason = refusal
        } else if plugin.disabled && supervisor.state == .stopped {
            state = .disabled
            reason = supervisor.reason
        } else {
            state = .supervised(supervisor.state)
            reason = supervisor.reason
        }
        self.init(
            name: name,
            state: state,
            reason: reason,
            managed: true,
            pid: supervisor.pid ?? 0,
            sinceMilliseconds: plugin.since,
            restarts: supervisor.restarts,
            recentCrashes: supervisor.recentCrashes.count,
            socketPath: socketPath,
            manifestPath: manifestPath ?? ""
        )
        if let next = supervisor.nextStart {
            let remaining = next - .now
            nextStartMilliseconds = wallClockMilliseconds() + max(0, remaining.saturatingNanoseconds / 1_000_000)
        }
        approvedGrants = plugin.configuration.approvedGrants
        if let manifest = plugin.manifest {
            version = manifest.version
            services = manifest.services
            requestedGrants = manifest.requestedGrants
            executable = manifest.executable
            effectiveGrants = GrantSet.effective(
                requested: manifest.requestedGrants,
                approved: plugin.configuration.approvedGrants
            )
        }
    }

    /// The status of an external plugin.
    init(_ plugin: AttachedPlugin) {
        self.init(
            name: plugin.name,
            state: plugin.detached ? .detached : .attached,
            reason: plugin.reason,
            managed: false,
            version: plugin.version,
            pid: plugin.detached ? 0 : plugin.pid,
            sinceMilliseconds: plugin.since,
            services: plugin.services,
            requestedGrants: plugin.grants,
            approvedGrants: plugin.grants,
            effectiveGrants: plugin.grants,
            socketPath: plugin.socketPath
        )
    }
}
