import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The host's folders and the modes of its records.
///
/// | path | mode | why |
/// |---|---|---|
/// | `runtime_dir` | 2750 root:socket group (0711 without one) | admins and plugins reach the sockets |
/// | `runtime_dir/plugins` | 0711 | traverse only: no plugin can list or enter another's folder |
/// | `data_dir`, `data_dir/plugins` | 0711 | the same |
/// | `data_dir/host` | 0700 | the store, the tokens and the audit log: the host's alone |
/// | files in `data_dir/host` | 0600 | also when an older host made them with a looser mode |
///
/// Plugins' own folders (0700, their user's) are prepared as each plugin starts.
enum HostFolders {
    /// Creates the folders with their modes, tightens the modes of the records already there, and checks that
    /// every enabled plugin's user can be used (creating missing users when the host is root).
    static func prepare(_ configuration: HostConfiguration, logger: Logger) throws(HostStartError) {
        let access: SocketAccess
        do {
            access = try SocketAccess.resolve(configuration)
        } catch {
            throw HostStartError(message: error.message)
        }
        let hostFolder = configuration.dataDirectory + "/host"
        do {
            try makeDirectory(configuration.runtimeDirectory, mode: access.runtimeDirectoryMode)
            if let group = access.group, chown(configuration.runtimeDirectory, 0, group) != 0 {
                throw SystemError("chown \(configuration.runtimeDirectory)")
            }
            // chown clears the set-group-ID bit: set the mode again.
            if chmod(configuration.runtimeDirectory, access.runtimeDirectoryMode) != 0 {
                throw SystemError("chmod \(configuration.runtimeDirectory)")
            }
            try makeDirectory(configuration.pluginSocketDirectory, mode: 0o711)
            try makeDirectory(configuration.dataDirectory, mode: 0o711)
            try makeDirectory(hostFolder, mode: 0o700)
            try makeDirectory(configuration.dataDirectory + "/plugins", mode: 0o711)
        } catch {
            throw HostStartError(message: "cannot prepare the host's folders: \(error)")
        }
        for entry in listDirectory(hostFolder) {
            let path = hostFolder + "/" + entry
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0 else {
                continue
            }
            if chmod(path, 0o600) != 0 {
                throw HostStartError(message: "cannot make \(path) readable by the host alone: \(SystemError("chmod"))")
            }
        }
        _ = try checkPluginAccounts(configuration, socketGroup: access.group)
        switch PluginIsolation.of(configuration) {
        case .isolated:
            logger.info("plugins run as users of their own")
        case .notIsolated:
            logger.warning("plugins are \(PluginIsolation.of(configuration).statusText)")
        }
    }

    /// Fails when an enabled plugin's user cannot be used: root, the host's own, an administrator, or shared.
    /// Returns the accounts by plugin (none when the host is not root).
    static func checkPluginAccounts(
        _ configuration: HostConfiguration,
        socketGroup: gid_t?
    ) throws(HostStartError) -> [String: PluginAccount] {
        guard case .isolated = PluginIsolation.of(configuration) else { return [:] }
        var accounts: [String: PluginAccount] = [:]
        for plugin in configuration.plugins where plugin.enabled {
            do {
                accounts[plugin.name] = try PluginAccount.resolve(for: plugin, socketGroup: socketGroup, create: true)
            } catch {
                throw HostStartError(message: error.message)
            }
        }
        if let refusal = PluginAccount.refusal(
            of: accounts,
            hostUID: getuid(),
            adminUIDs: configuration.adminUIDs,
            configurationPath: configuration.path
        ) {
            throw HostStartError(message: refusal)
        }
        return accounts
    }
}

/// The plugins' system users, prepared apart from the host: the systemd unit does it before the host starts
/// (`ExecStartPre=+… --prepare-plugin-users`), outside the unit's read-only /etc.
public enum PluginUsers {
    /// Creates the missing users of the enabled plugins and checks that each may be used; returns one line per
    /// plugin ("NAME: USER (uid N)"). Fails when the process is not root.
    public static func prepare(_ configuration: HostConfiguration) throws(HostStartError) -> [String] {
        guard case .isolated = PluginIsolation.of(configuration) else {
            throw HostStartError(message: "only root can create plugin users; this process runs as uid \(geteuid())")
        }
        let access: SocketAccess
        do {
            access = try SocketAccess.resolve(configuration)
        } catch {
            throw HostStartError(message: error.message)
        }
        let accounts = try HostFolders.checkPluginAccounts(configuration, socketGroup: access.group)
        return accounts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.user) (uid \($0.value.uid))" }
    }

    /// What `--check` says of the enabled plugins' users without creating any: nil when the host would not change
    /// users (not root), else one problem per line (empty when there is none). A missing user is no problem: the
    /// host creates it.
    public static func problems(_ configuration: HostConfiguration) -> [String]? {
        guard case .isolated = PluginIsolation.of(configuration) else { return nil }
        var problems: [String] = []
        var accounts: [String: PluginAccount] = [:]
        let socketGroup: gid_t?
        do {
            socketGroup = try SocketAccess.resolve(configuration).group
        } catch {
            return [error.message]
        }
        for plugin in configuration.plugins where plugin.enabled {
            let name = PluginAccount.userName(for: plugin)
            guard lookUpUser(name) != nil || !PluginAccount.isValidUserName(name) else { continue }
            do {
                accounts[plugin.name] = try PluginAccount.resolve(for: plugin, socketGroup: socketGroup, create: false)
            } catch {
                problems.append(error.message)
            }
        }
        if let refusal = PluginAccount.refusal(
            of: accounts,
            hostUID: getuid(),
            adminUIDs: configuration.adminUIDs,
            configurationPath: configuration.path
        ) {
            problems.append(refusal)
        }
        return problems
    }
}
