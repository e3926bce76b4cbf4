import GongzhiHashing
import GongzhiRPC
import Synchronization

/// What the host knows to identify callers: the tokens it gave the plugins it started, the grants each
/// plugin holds, the processes of attached external plugins, and the administrators' uids.
final class Credentials: Sendable {
    private struct State {
        var tickets: [String: PluginTicket] = [:]
        var pluginGrants: [String: GrantSet] = [:]
        var externalPIDs: [String: Int32] = [:]
        var pluginProcessGroups: Set<Int32> = []
        var pluginAccounts: [String: PluginAccount] = [:]
        var adminUIDs: Set<UInt32>
    }

    let tokens: TokenStore
    private let state: Mutex<State>

    init(tokens: TokenStore, adminUIDs: [UInt32]) {
        self.tokens = tokens
        self.state = Mutex(State(adminUIDs: Set(adminUIDs)))
    }

    /// A fresh token for a plugin process about to start.
    func issueTicket(plugin: String) -> String {
        let token = "gzp_" + hexString(randomBytes(32))
        state.withLock { $0.tickets[token] = PluginTicket(plugin: plugin, pid: 0) }
        return token
    }

    /// Records the process a ticket was given to: from then on only that process may present it.
    func bind(ticket token: String, pid: Int32) {
        state.withLock { $0.tickets[token]?.pid = pid }
    }

    func revoke(ticket token: String) {
        _ = state.withLock { $0.tickets.removeValue(forKey: token) }
    }

    /// The ticket `token` is, if the host issued it and has not revoked it.
    func ticket(_ token: String) -> PluginTicket? {
        state.withLock { $0.tickets[token] }
    }

    func setGrants(_ grants: GrantSet?, plugin: String) {
        state.withLock { $0.pluginGrants[plugin] = grants }
    }

    func grants(plugin: String) -> GrantSet {
        state.withLock { $0.pluginGrants[plugin] ?? .none }
    }

    func setExternalPID(_ pid: Int32?, plugin: String) {
        state.withLock { $0.externalPIDs[plugin] = pid }
    }

    func externalPID(plugin: String) -> Int32? {
        state.withLock { $0.externalPIDs[plugin] }
    }

    /// Records the process group of a plugin the host started (its pid: plugins lead their own group).
    func addPluginProcessGroup(_ group: Int32) {
        _ = state.withLock { $0.pluginProcessGroups.insert(group) }
    }

    func removePluginProcessGroup(_ group: Int32) {
        _ = state.withLock { $0.pluginProcessGroups.remove(group) }
    }

    func isPluginProcessGroup(_ group: Int32) -> Bool {
        group > 0 && state.withLock { $0.pluginProcessGroups.contains(group) }
    }

    /// Records the user a plugin runs as (nil: the host's own), so that its uid is never taken for an administrator.
    func setPluginAccount(_ account: PluginAccount?, plugin: String) {
        state.withLock { $0.pluginAccounts[plugin] = account }
    }

    /// The users of plugins by plugin name.
    func pluginAccounts() -> [String: PluginAccount] {
        state.withLock { $0.pluginAccounts }
    }

    /// The plugin that runs as `uid`, and its user's name, if one does.
    func plugin(runningAs uid: UInt32) -> (plugin: String, user: String)? {
        state.withLock { state in
            state.pluginAccounts.first { $0.value.uid == uid }.map { ($0.key, $0.value.user) }
        }
    }

    func setAdminUIDs(_ uids: [UInt32]) {
        state.withLock { $0.adminUIDs = Set(uids) }
    }

    func isAdmin(uid: UInt32) -> Bool {
        state.withLock { $0.adminUIDs.contains(uid) }
    }
}
