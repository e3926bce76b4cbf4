import GongzhiPluginSDK
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas

#if canImport(Glibc)
import Glibc
#endif

/// What a plugin with no grants might try to get at the host's data around the host, for the isolation tests:
/// each attempt is made for real and reported with how it ended.
extension ProbeService {
    func tryEscapes(
        request: Gongzhi_Test_V1_TryEscapesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_TryEscapesResponse {
        var response = Gongzhi_Test_V1_TryEscapesResponse()
        response.uid = getuid()
        response.gid = getgid()
        response.groups = EscapeAttempts.groups()
        response.inheritedDescriptors = InheritedDescriptors.atStart
        var attempts: [Gongzhi_Test_V1_EscapeAttempt] = []
        for path in request.readPaths { attempts.append(EscapeAttempts.read(path)) }
        for path in request.listPaths { attempts.append(EscapeAttempts.list(path)) }
        if let hostPID = PluginEnvironment.processVariable(PluginEnvironment.Variable.hostPID) {
            attempts.append(EscapeAttempts.readHostDescriptors(hostPID))
            attempts.append(EscapeAttempts.read("/proc/\(hostPID)/environ"))
        }
        for path in request.connectPaths { attempts.append(EscapeAttempts.connect(path)) }
        if !request.adminSocket.isEmpty {
            attempts.append(await EscapeAttempts.issueAdminToken(request.adminSocket, from: "the plugin's process"))
            attempts.append(EscapeAttempts.issueAdminTokenInNewSession(request.adminSocket))
        }
        response.attempts = attempts
        return response
    }
}

/// The descriptors the process had before it opened any: read once, first thing in `main`.
enum InheritedDescriptors {
    static let atStart: [String] = {
        guard let directory = opendir("/proc/self/fd") else { return ["cannot list /proc/self/fd"] }
        let listing = dirfd(directory)
        var found: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let fd = Int32(name), fd > 2, fd != listing else { continue }
            var target = [CChar](repeating: 0, count: 4096)
            let count = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
            found.append(
                "\(fd) -> \(count > 0 ? target.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "?")"
            )
        }
        closedir(directory)
        return found
    }()
}

/// Each attempt, made for real.
enum EscapeAttempts {
    /// The admin token request a plugin in a new session makes: `gongzhi-test-plugin --issue-admin-token SOCKET`.
    static let issueTokenArgument = "--issue-admin-token"

    static func groups() -> [UInt32] {
        var groups = [gid_t](repeating: 0, count: 64)
        let count = getgroups(Int32(groups.count), &groups)
        return count > 0 ? Array(groups[0..<Int(count)]) : []
    }

    static func attempt(_ what: String, refused: Bool, _ detail: String) -> Gongzhi_Test_V1_EscapeAttempt {
        var attempt = Gongzhi_Test_V1_EscapeAttempt()
        attempt.attempt = what
        attempt.refused = refused
        attempt.detail = detail
        return attempt
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    static func read(_ path: String) -> Gongzhi_Test_V1_EscapeAttempt {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return attempt("read \(path)", refused: true, errnoText()) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = Glibc.read(fd, &buffer, buffer.count)
        return attempt("read \(path)", refused: false, "opened; read \(count) bytes")
    }

    static func list(_ path: String) -> Gongzhi_Test_V1_EscapeAttempt {
        guard let directory = opendir(path) else { return attempt("list \(path)", refused: true, errnoText()) }
        var names: [String] = []
        while let entry = readdir(directory) {
            names.append(
                withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
            )
        }
        closedir(directory)
        return attempt("list \(path)", refused: false, names.sorted().joined(separator: " "))
    }

    /// Opens the host's descriptors through /proc (its store among them, were it allowed).
    static func readHostDescriptors(_ hostPID: String) -> Gongzhi_Test_V1_EscapeAttempt {
        var opened: [String] = []
        var lastError = ""
        for fd in 0...64 {
            let path = "/proc/\(hostPID)/fd/\(fd)"
            let handle = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            if handle >= 0 {
                opened.append(path)
                close(handle)
            } else if errno != ENOENT {
                lastError = errnoText()
            }
        }
        let what = "open /proc/\(hostPID)/fd/0…64"
        if opened.isEmpty { return attempt(what, refused: true, lastError.isEmpty ? "none open" : lastError) }
        return attempt(what, refused: false, "opened " + opened.joined(separator: " "))
    }

    static func connect(_ path: String) -> Gongzhi_Test_V1_EscapeAttempt {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return attempt("connect \(path)", refused: true, "socket: \(errnoText())") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            return attempt("connect \(path)", refused: true, "path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 { return attempt("connect \(path)", refused: true, errnoText()) }
        return attempt("connect \(path)", refused: false, "connected")
    }

    /// Asks admin.sock for a token that may call everything.
    static func issueAdminToken(_ socket: String, from who: String) async -> Gongzhi_Test_V1_EscapeAttempt {
        let what = "IssueToken * on admin.sock from \(who)"
        let client = RPCClient(socketPath: socket)
        defer { Task { await client.close() } }
        var request = Gongzhi_Host_V1_IssueTokenRequest()
        request.kind = .client
        request.subject = "escape"
        request.scopes = ["*"]
        do {
            let issued = try await Gongzhi_Host_V1_AdminClient(channel: client).issueToken(
                request,
                options: CallOptions(timeout: .seconds(10))
            )
            return attempt(what, refused: false, "got token \(issued.info.id)")
        } catch {
            let failure = RPCError(wrapping: error)
            return attempt(what, refused: true, "\(failure.code): \(failure.message)")
        }
    }

    /// Starts a copy of this executable in a new session (out of the plugin's process group, as `setsid` does)
    /// that asks admin.sock for a token, and reports what that copy printed.
    static func issueAdminTokenInNewSession(_ socket: String) -> Gongzhi_Test_V1_EscapeAttempt {
        let what = "IssueToken * on admin.sock after setsid"
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { return attempt(what, refused: true, "pipe: \(errnoText())") }
        for fd in pipeEnds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26): the child calls setsid() before exec.
        posix_spawnattr_setflags(&attributes, 0x80)
        var executable = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &executable, executable.count - 1)
        guard length > 0 else { return attempt(what, refused: true, "readlink /proc/self/exe: \(errnoText())") }
        let path = executable.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let strings: [String] = [path, issueTokenArgument, socket]
        let arguments = strings.map { strdup($0) }
        defer { for argument in arguments { free(argument) } }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments + [nil]
        var pid: pid_t = 0
        let started = posix_spawn(&pid, path, &actions, &attributes, &argv, environ)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard started == 0 else {
            return attempt(what, refused: true, "posix_spawn: \(String(cString: strerror(started)))")
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(pipeEnds[0], &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output.append(contentsOf: chunk[0..<count])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self).trimmingTrailingNewlines()
        // The copy prints "refused: …" or "issued: …" on its last line.
        return attempt(what, refused: !text.contains("issued:"), text)
    }

    /// The copy's side: runs in a new session, asks for the token, prints how it went, exits.
    static func runIssueTokenCopy(socket: String) async -> Never {
        let sessionLeader = getsid(0) == getpid()
        let result = await issueAdminToken(socket, from: "a new session")
        let line =
            "session leader: \(sessionLeader), process group \(getpgid(0))\n"
            + (result.refused ? "refused: " : "issued: ") + result.detail + "\n"
        line.withCString { _ = write(1, $0, strlen($0)) }
        exit(0)
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
