#if canImport(Glibc)
import Glibc
#endif

/// Isolation: when the host runs as root, each plugin it starts runs as a user of its own, in folders only that
/// user (and root) can enter, so that it cannot read the host's store, tokens and audit log or another plugin's data.
extension PluginFleet {
    /// Where and as whom a plugin is about to start.
    struct PluginQuarters: Sendable {
        /// Nil when the host is not root: the plugin runs as the host's user.
        var account: PluginAccount?
        var socketPath: String
        var dataDirectory: String
    }

    /// Looks up (or creates) the plugin's user, checks it may be used, prepares the plugin's socket and data
    /// folders owned by it, and checks that it can reach them and its executable.
    func prepareQuarters(
        for plugin: ManagedPlugin,
        name: String,
        executable: String
    ) throws(PluginAccountError)
        -> PluginQuarters
    {
        let socketFolder = configuration.pluginSocketFolder(name)
        let quarters = PluginQuarters(
            account: nil,
            socketPath: configuration.pluginSocketPath(name),
            dataDirectory: configuration.pluginDataDirectory(name)
        )
        guard case .isolated = PluginIsolation.of(configuration) else {
            try makeFolder(socketFolder, owner: nil)
            try makeFolder(quarters.dataDirectory, owner: nil)
            unlink(quarters.socketPath)
            credentials.setPluginAccount(nil, plugin: name)
            return quarters
        }
        let account = try PluginAccount.resolve(
            for: plugin.configuration,
            socketGroup: try SocketAccess.resolve(configuration).group,
            create: true
        )
        var accounts = credentials.pluginAccounts()
        accounts[name] = account
        if let refusal = PluginAccount.refusal(
            of: accounts,
            hostUID: getuid(),
            adminUIDs: configuration.adminUIDs,
            configurationPath: configuration.path
        ) {
            throw PluginAccountError(refusal)
        }
        credentials.setPluginAccount(account, plugin: name)
        try makeFolder(socketFolder, owner: account)
        try makeFolder(quarters.dataDirectory, owner: account)
        try takeOverContents(of: quarters.dataDirectory, for: account)
        unlink(quarters.socketPath)
        for folder in [socketFolder, quarters.dataDirectory] {
            if let problem = FolderAccess.problem(reaching: folder, as: account, needs: .search) {
                throw PluginAccountError("plugin \(name) cannot run as \(account.user): \(problem)")
            }
        }
        if let problem = FolderAccess.problem(reaching: executable, as: account, needs: .execute) {
            throw PluginAccountError("plugin \(name) cannot run as \(account.user): \(problem)")
        }
        if let problem = FolderAccess.writableProblem(executable, as: account) {
            throw PluginAccountError("plugin \(name) is refused: \(problem)")
        }
        var result = quarters
        result.account = account
        return result
    }

    /// Creates `path` with mode 0700 and gives it to `owner` (nil: leaves it the host's).
    private func makeFolder(_ path: String, owner: PluginAccount?) throws(PluginAccountError) {
        do {
            try makeDirectory(path, mode: 0o700)
        } catch {
            throw PluginAccountError(
                "cannot prepare the folder \(path): \(error)",
                errno: error.errno
            )
        }
        if let owner, chown(path, owner.uid, owner.gid) != 0 {
            let failure = SystemError("chown")
            throw PluginAccountError("cannot give \(path) to \(owner.user): \(failure)", errno: failure.errno)
        }
    }

    /// Gives what a data folder holds to the plugin's user once, when the plugin first runs as that user (its
    /// files were the host's before isolation, or another user's): recorded in `.owner`.
    private func takeOverContents(of folder: String, for account: PluginAccount) throws(PluginAccountError) {
        let marker = folder + "/.owner"
        let expected = "\(account.uid):\(account.gid)\n"
        if let recorded = try? readTextFile(marker), recorded == expected { return }
        if let problem = changeOwner(below: folder, to: account) {
            throw PluginAccountError("cannot give the contents of \(folder) to \(account.user): \(problem)")
        }
        do {
            try writeFileAtomically(marker, Array(expected.utf8), mode: 0o600)
        } catch {
            throw PluginAccountError("cannot write \(marker): \(error)")
        }
        if chown(marker, account.uid, account.gid) != 0 {
            throw PluginAccountError("cannot give \(marker) to \(account.user): \(SystemError("chown"))")
        }
    }
}

/// Gives everything below `folder` (not following symbolic links) to the account; the first failure, if any.
private func changeOwner(below folder: String, to account: PluginAccount) -> String? {
    for entry in listDirectory(folder) {
        let path = folder + "/" + entry
        var info = stat()
        guard lstat(path, &info) == 0 else { continue }
        if lchown(path, account.uid, account.gid) != 0 { return SystemError("chown \(path)").description }
        if info.st_mode & S_IFMT == S_IFDIR, let problem = changeOwner(below: path, to: account) {
            return problem
        }
    }
    return nil
}

/// The group and modes of the runtime folder and host.sock, from `socket_group`.
struct SocketAccess: Sendable, Equatable {
    /// The group plugin users get to reach host.sock; nil when the sockets' group is root's own.
    var group: gid_t?
    var runtimeDirectoryMode: mode_t
    var hostSocketMode: UInt32

    /// With a socket group (named, or the host's own when it is not root's): the runtime folder is root:group
    /// 2750 (so the sockets bound in it take the group) and host.sock 0660. A root host in root's group has no
    /// group to share with plugins: the runtime folder is 0711 and host.sock 0666 (every call on it still needs
    /// a token).
    static func resolve(_ configuration: HostConfiguration) throws(PluginAccountError) -> SocketAccess {
        var group = getgid()
        if let name = configuration.socketGroup {
            guard let found = lookUpGroup(name) else {
                throw PluginAccountError(
                    "socket_group \"\(name)\" in \(configuration.path) is not a group of this system; "
                        + "create it with groupadd --system \(name)"
                )
            }
            group = found
        }
        guard geteuid() == 0 else {
            return SocketAccess(group: nil, runtimeDirectoryMode: 0o750, hostSocketMode: 0o660)
        }
        if group == 0 {
            return SocketAccess(group: nil, runtimeDirectoryMode: 0o711, hostSocketMode: 0o666)
        }
        return SocketAccess(group: group, runtimeDirectoryMode: 0o2750, hostSocketMode: 0o660)
    }
}

/// Whether a user could reach a path, from the modes and owners of the path and the folders above it.
enum FolderAccess {
    enum Need {
        /// Enter the folder.
        case search
        /// Run the file.
        case execute
    }

    /// Why `account` cannot reach `path` (each folder above it searchable, the last one as `need` says), if it
    /// cannot.
    static func problem(reaching path: String, as account: PluginAccount, needs need: Need) -> String? {
        var partial = ""
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            partial += "/" + component
            var info = stat()
            guard stat(partial, &info) == 0 else {
                return "\(partial): \(String(cString: strerror(errno)))"
            }
            let isLast = index == components.count - 1
            if !allows(info, account, bit: 0o1) {
                let what = isLast && need == .execute ? "run" : "enter"
                return "\(account.user) (uid \(account.uid)) may not \(what) \(partial) "
                    + "(mode \(String(info.st_mode & 0o7777, radix: 8)), owner uid \(info.st_uid), gid \(info.st_gid)); "
                    + "give others the x permission on it (chmod o+x) or move the plugin"
            }
        }
        return nil
    }

    /// Why a plugin is refused if its user could change the executable or a folder above it (and with that what
    /// the host runs as that user or, after a change of manifest, as another).
    static func writableProblem(_ path: String, as account: PluginAccount) -> String? {
        var partial = ""
        var paths: [String] = ["/"]
        for component in path.split(separator: "/") {
            partial += "/" + component
            paths.append(partial)
        }
        for candidate in paths {
            var info = stat()
            guard stat(candidate, &info) == 0 else { continue }
            // A sticky folder (like /tmp) lets a user add files but not replace others'.
            let sticky = info.st_mode & S_ISVTX != 0 && candidate != path
            if !sticky && (info.st_uid == account.uid || allows(info, account, bit: 0o2)) {
                return "its user \(account.user) (uid \(account.uid)) could change \(candidate); "
                    + "the executable and the folders above it must belong to root and not be writable by plugins"
            }
        }
        return nil
    }

    private static func allows(_ info: stat, _ account: PluginAccount, bit: mode_t) -> Bool {
        let mode = info.st_mode
        if info.st_uid == account.uid { return mode & (bit << 6) != 0 }
        if info.st_gid == account.gid || account.groups.contains(info.st_gid) { return mode & (bit << 3) != 0 }
        return mode & bit != 0
    }
}
