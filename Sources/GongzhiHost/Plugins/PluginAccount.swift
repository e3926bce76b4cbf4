import CGongzhiSpawn

#if canImport(Glibc)
import Glibc
#endif

/// The system user a plugin runs as when the host runs as root: its own user and group, plus the socket group
/// (so that it can reach host.sock) and nothing else.
struct PluginAccount: Sendable, Equatable {
    var user: String
    var uid: uid_t
    var gid: gid_t
    /// The supplementary groups the plugin gets: its own group, and the socket group when there is one.
    var groups: [gid_t]

    /// The longest user name `useradd` takes.
    static let maximumNameLength = 32

    /// Whether `name` is a user name `useradd` takes without complaint (Debian's default NAME_REGEX, shortened).
    static func isValidUserName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !name.isEmpty, name.utf8.count <= maximumNameLength else { return false }
        guard first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// The user a plugin runs as: `user` in its `[plugins.NAME]` table, else `gongzhi-NAME`.
    static func userName(for plugin: PluginConfiguration) -> String {
        plugin.user ?? "gongzhi-\(plugin.name)"
    }

    /// Looks the plugin's user up and, when it is missing and `create` is set, creates it as a system user with
    /// no home and no login shell. Lookups happen here, in the host, never in a child between fork and exec.
    static func resolve(
        for plugin: PluginConfiguration,
        socketGroup: gid_t?,
        create: Bool
    ) throws(PluginAccountError) -> PluginAccount {
        let name = userName(for: plugin)
        guard !name.isEmpty, name.utf8.count <= maximumNameLength else {
            throw PluginAccountError(
                "the user name \"\(name)\" of plugin \(plugin.name) is longer than \(maximumNameLength) characters; "
                    + "name a shorter one with user = \"…\" in [plugins.\(plugin.name)]"
            )
        }
        var found = lookUpUser(name)
        if found == nil && create {
            try createSystemUser(name)
            found = lookUpUser(name)
        }
        guard let (uid, gid) = found else {
            throw PluginAccountError(
                "user \(name) of plugin \(plugin.name) does not exist; create it with "
                    + "useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "
                    + "--user-group \(name), or restart the host as root to have it created"
            )
        }
        var groups = [gid]
        if let socketGroup, socketGroup != 0, socketGroup != gid { groups.append(socketGroup) }
        return PluginAccount(user: name, uid: uid, gid: gid, groups: groups)
    }

    /// Why these accounts cannot be used together with this host, if they cannot: a plugin user must not be root,
    /// the host's own user, an administrator, or shared with another plugin.
    static func refusal(
        of accounts: [String: PluginAccount],
        hostUID: uid_t,
        adminUIDs: [UInt32],
        configurationPath: String
    ) -> String? {
        var owners: [uid_t: String] = [:]
        for (plugin, account) in accounts.sorted(by: { $0.key < $1.key }) {
            if account.uid == 0 {
                return "plugin \(plugin) would run as \(account.user), which is root (uid 0); give it a user of its own"
            }
            if account.uid == hostUID {
                return "plugin \(plugin) would run as \(account.user) (uid \(account.uid)), the host's own user; "
                    + "give it a user of its own"
            }
            if adminUIDs.contains(account.uid) {
                return "plugin \(plugin) would run as \(account.user) (uid \(account.uid)), which admin_uids in "
                    + "\(configurationPath) lists; plugins are not administrators: remove it from admin_uids"
            }
            if let other = owners[account.uid] {
                return "plugins \(other) and \(plugin) would both run as uid \(account.uid) (\(account.user)); "
                    + "each plugin needs a user of its own so that neither can read the other's data"
            }
            owners[account.uid] = plugin
        }
        return nil
    }
}

/// Why a plugin's account cannot be used: a sentence for the operator.
struct PluginAccountError: Error, Sendable, CustomStringConvertible {
    var message: String
    /// The system's error number when a system call failed (e.g. EMFILE while starting `useradd`), which tells a
    /// host short of a resource for the moment from an account that cannot work.
    var errno: Int32?
    init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }
    var description: String { message }
}

/// Whether plugins run as users of their own: only a host running as root can start them so.
enum PluginIsolation: Sendable, Equatable {
    case isolated
    case notIsolated(reason: String)

    /// The mode of this process under `configuration`: isolated when it runs as root, unless the configuration
    /// turns isolation off (`isolate_plugins = false`, for development).
    static func of(_ configuration: HostConfiguration) -> PluginIsolation {
        let uid = geteuid()
        if uid != 0 {
            return .notIsolated(
                reason: "the host runs as uid \(uid), not root; plugins run as uid \(uid) too and can read the store, "
                    + "the tokens and each other's data"
            )
        }
        if !configuration.isolatePlugins {
            return .notIsolated(
                reason: "isolate_plugins = false in \(configuration.path); plugins run as root, the host's user, and "
                    + "can read the store, the tokens and each other's data (for development only)"
            )
        }
        return .isolated
    }

    /// What `gongzhictl status` shows.
    var statusText: String {
        switch self {
        case .isolated: "isolated: each plugin runs as a user of its own"
        case .notIsolated(let reason): "not isolated: \(reason)"
        }
    }
}

/// The uid and gid of `name` in the user database, if it has one.
func lookUpUser(_ name: String) -> (uid_t, gid_t)? {
    var entry = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 16384)
    let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
    guard status == 0, result != nil else { return nil }
    return (entry.pw_uid, entry.pw_gid)
}

/// The name of `uid` in the user database, if it has one.
func userName(of uid: uid_t) -> String? {
    var entry = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 16384)
    let status = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
    guard status == 0, result != nil, let name = entry.pw_name else { return nil }
    return String(cString: name)
}

/// The gid of the group `name`, if there is one.
func lookUpGroup(_ name: String) -> gid_t? {
    var entry = group()
    var result: UnsafeMutablePointer<group>?
    var buffer = [CChar](repeating: 0, count: 16384)
    let status = getgrnam_r(name, &entry, &buffer, buffer.count, &result)
    guard status == 0, result != nil else { return nil }
    return entry.gr_gid
}

/// Creates `name` as a system user with a group of the same name, no home and no login shell.
private func createSystemUser(_ name: String) throws(PluginAccountError) {
    let arguments = [
        "/usr/sbin/useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
        "/usr/sbin/nologin", "--user-group", name,
    ]
    let (status, output, failure) = runCommand(arguments)
    // Another host (or test) may have created it at the same moment: what counts is that it exists now.
    if status != 0 && lookUpUser(name) == nil {
        throw PluginAccountError(
            "cannot create user \(name): \(arguments.joined(separator: " ")) \(status < 0 ? "could not start" : "exited with status \(status)")"
                + (output.isEmpty ? "" : ": \(output)"),
            errno: failure
        )
    }
}

/// Runs a command to its end with stdin on /dev/null and returns its exit status (-1 when it could not start, with
/// the error number why) and what it wrote, both streams together, trimmed.
func runCommand(_ arguments: [String]) -> (status: Int32, output: String, errno: Int32?) {
    var pipeEnds: [Int32] = [-1, -1]
    guard pipe(&pipeEnds) == 0 else {
        let failure = errno
        return (-1, "cannot create a pipe: \(String(cString: strerror(failure)))", failure)
    }
    for fd in pipeEnds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
    let argv = arguments.map { strdup($0) }
    defer { for argument in argv { free(argument) } }
    var argvList: [UnsafeMutablePointer<CChar>?] = argv + [nil]
    let environment = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), strdup("LANG=C")]
    defer { for entry in environment { free(entry) } }
    var envp: [UnsafeMutablePointer<CChar>?] = environment + [nil]
    var pid: pid_t = 0
    var step = [CChar](repeating: 0, count: 32)
    let result = argvList.withUnsafeMutableBufferPointer { argvBuffer in
        envp.withUnsafeMutableBufferPointer { envpBuffer in
            var request = gz_spawn_request()
            request.path = UnsafePointer(argv[0])
            request.argv = UnsafePointer(argvBuffer.baseAddress)
            request.envp = UnsafePointer(envpBuffer.baseAddress)
            request.stdin_fd = devNull
            request.stdout_fd = pipeEnds[1]
            request.stderr_fd = pipeEnds[1]
            return gz_spawn(&request, &pid, &step, step.count)
        }
    }
    close(pipeEnds[1])
    if devNull >= 0 { close(devNull) }
    guard result == 0 else {
        close(pipeEnds[0])
        return (-1, "\(cString(step)): \(String(cString: strerror(result)))", result)
    }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        output.append(contentsOf: chunk[0..<count])
    }
    close(pipeEnds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let text = String(decoding: output, as: UTF8.self)
    return (code, text.split(separator: "\n").joined(separator: "; "), nil)
}

/// The text of a NUL-terminated C string in a buffer.
func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
