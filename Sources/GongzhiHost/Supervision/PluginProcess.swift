import CGongzhiSpawn
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Which output stream a plugin wrote a line to.
package enum OutputStream: String, Sendable {
    case stdout
    case stderr
}

/// A plugin process the host started: its pid, its output read line by line, and its end.
///
/// One small thread per process reads the output pipes and reaps the process when it ends, so that
/// an exit is noticed even when a child of the plugin keeps the pipes open.
final class PluginProcess: Sendable {
    let pid: Int32
    /// The start time of the process in clock ticks since boot (from /proc), which tells it apart from
    /// a later process that reuses its pid.
    let startTime: UInt64?

    struct Launch: Sendable {
        var executable: String
        var environment: [String: String]
        /// The user the process runs as; nil: the host's own.
        var account: PluginAccount? = nil
        /// The folder the process starts in; nil: the host's working folder.
        var workingDirectory: String? = nil
    }

    private init(pid: Int32) {
        self.pid = pid
        self.startTime = processStartTime(pid)
    }

    /// Starts the executable (in `workingDirectory`, as `account` when one is given) with exactly `environment`,
    /// no arguments, stdin on /dev/null, stdout and stderr on pipes, default signal handling and an empty signal
    /// mask, in a process group of its own, with no other descriptor of the host. `onLine` receives each line of output; `onExit` the description of
    /// how the process ended, once, after the last line.
    ///
    /// The process is started from the thread that then watches it and lives exactly as long as it:
    /// Linux delivers a plugin's parent-death signal when the *thread* that started it ends, so starting
    /// it from a pool thread that may be retired while idle would stop healthy plugins.
    static func spawn(
        _ launch: Launch,
        onLine: @escaping @Sendable (OutputStream, String) -> Void,
        onExit: @escaping @Sendable (String) -> Void
    ) throws(SystemError) -> PluginProcess {
        let outcome = Mutex<Result<pid_t, SystemError>?>(nil)
        let started = DispatchSemaphore(value: 0)
        startThread {
            let result = start(launch)
            outcome.withLock { $0 = result.map(\.pid) }
            started.signal()
            guard case .success(let spawned) = result else { return }
            watch(pid: spawned.pid, stdout: spawned.stdout, stderr: spawned.stderr, onLine: onLine, onExit: onExit)
        }
        started.wait()
        switch outcome.withLock({ $0 }) {
        case .success(let pid): return PluginProcess(pid: pid)
        case .failure(let error): throw error
        case nil: throw SystemError("start \(launch.executable)", errno: EAGAIN)
        }
    }

    private static func start(_ launch: Launch) -> Result<(pid: pid_t, stdout: Int32, stderr: Int32), SystemError> {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { return .failure(SystemError("create a pipe")) }
        guard pipe(&errPipe) == 0 else {
            let error = SystemError("create a pipe")
            close(outPipe[0])
            close(outPipe[1])
            return .failure(error)
        }
        // Only the dup2'd copies reach the plugin; the originals close on exec.
        for fd in outPipe + errPipe {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }

        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard devNull >= 0 else {
            let error = SystemError("open /dev/null")
            for fd in outPipe + errPipe { close(fd) }
            return .failure(error)
        }
        defer { close(devNull) }

        let environment = launch.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
        defer { for entry in environment { free(entry) } }
        var envp: [UnsafeMutablePointer<CChar>?] = environment + [nil]
        let arg0 = strdup(launch.executable)
        defer { free(arg0) }
        var argv: [UnsafeMutablePointer<CChar>?] = [arg0, nil]
        let groups = launch.account?.groups ?? []
        let workingDirectory = launch.workingDirectory.flatMap { strdup($0) }
        defer { free(workingDirectory) }

        var pid: pid_t = 0
        var step = [CChar](repeating: 0, count: 32)
        let result = argv.withUnsafeMutableBufferPointer { argvBuffer in
            envp.withUnsafeMutableBufferPointer { envpBuffer in
                groups.withUnsafeBufferPointer { groupBuffer in
                    var request = gz_spawn_request()
                    request.path = UnsafePointer(arg0)
                    request.argv = UnsafePointer(argvBuffer.baseAddress)
                    request.envp = UnsafePointer(envpBuffer.baseAddress)
                    request.stdin_fd = devNull
                    request.stdout_fd = outPipe[1]
                    request.stderr_fd = errPipe[1]
                    if let account = launch.account {
                        request.change_ids = 1
                        request.uid = account.uid
                        request.gid = account.gid
                        request.groups = groupBuffer.baseAddress
                        request.group_count = groupBuffer.count
                    }
                    request.working_directory = UnsafePointer(workingDirectory)
                    return gz_spawn(&request, &pid, &step, step.count)
                }
            }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard result == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            let user = launch.account.map { " as \($0.user) (uid \($0.uid))" } ?? ""
            return .failure(
                SystemError("start \(launch.executable)\(user): \(cString(step)) failed", errno: result)
            )
        }
        return .success((pid, outPipe[0], errPipe[0]))
    }

    /// Sends a signal to the plugin's process group (the plugin and anything it started).
    func send(_ signal: Int32) {
        if kill(-pid, signal) != 0 {
            kill(pid, signal)
        }
    }
}

/// Reads both pipes until the process has ended, then reports its exit.
private func watch(
    pid: pid_t,
    stdout: Int32,
    stderr: Int32,
    onLine: @Sendable (OutputStream, String) -> Void,
    onExit: @Sendable (String) -> Void
) {
    var splitters = [LineSplitter(stream: .stdout), LineSplitter(stream: .stderr)]
    var fds = [
        pollfd(fd: stdout, events: Int16(POLLIN), revents: 0), pollfd(fd: stderr, events: Int16(POLLIN), revents: 0),
    ]
    var buffer = [UInt8](repeating: 0, count: 16384)
    var exitDescription: String?

    func drain(_ index: Int) -> Bool {
        let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
        if count > 0 {
            splitters[index].append(buffer[0..<count], emit: onLine)
            return true
        }
        if count < 0 && (errno == EINTR || errno == EAGAIN) { return true }
        splitters[index].finish(emit: onLine)
        close(fds[index].fd)
        fds[index].fd = -1
        return false
    }

    while fds.contains(where: { $0.fd >= 0 }) {
        for index in fds.indices { fds[index].revents = 0 }
        let ready = poll(&fds, nfds_t(fds.count), 250)
        if ready > 0 {
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                _ = drain(index)
            }
        } else if ready < 0 && errno != EINTR {
            break
        }
        if exitDescription == nil, let ended = reap(pid, blocking: false) {
            exitDescription = ended
            // Take what is left in the pipes, then stop reading even if a child still holds them open.
            for index in fds.indices where fds[index].fd >= 0 {
                var flags = fcntl(fds[index].fd, F_GETFL)
                flags |= O_NONBLOCK
                _ = fcntl(fds[index].fd, F_SETFL, flags)
                while fds[index].fd >= 0 {
                    let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        splitters[index].append(buffer[0..<count], emit: onLine)
                    } else {
                        splitters[index].finish(emit: onLine)
                        close(fds[index].fd)
                        fds[index].fd = -1
                    }
                }
            }
        }
    }
    for index in fds.indices where fds[index].fd >= 0 {
        close(fds[index].fd)
    }
    let ended = exitDescription ?? reap(pid, blocking: true) ?? "ended"
    // Whatever the plugin started goes with it: its process group cannot be reused while members live.
    kill(-pid, SIGKILL)
    onExit(ended)
}

/// Waits for the process (or checks, without blocking) and describes how it ended.
private func reap(_ pid: pid_t, blocking: Bool) -> String? {
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        if result == pid { break }
        if result == 0 { return nil }
        if errno == EINTR { continue }
        return "ended (its exit status could not be read: \(String(cString: strerror(errno))))"
    }
    let signal = status & 0x7f
    if signal == 0 {
        let code = (status >> 8) & 0xff
        return "exited with status \(code)"
    }
    return "was killed by signal \(signal) (\(signalName(signal)))"
}

func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGKILL: "SIGKILL"
    case SIGTERM: "SIGTERM"
    case SIGSEGV: "SIGSEGV"
    case SIGABRT: "SIGABRT"
    case SIGINT: "SIGINT"
    case SIGHUP: "SIGHUP"
    case SIGILL: "SIGILL"
    case SIGBUS: "SIGBUS"
    case SIGTRAP: "SIGTRAP"
    case SIGFPE: "SIGFPE"
    case SIGPIPE: "SIGPIPE"
    default: "signal \(signal)"
    }
}

/// Splits a byte stream into lines of at most 8 KiB.
private struct LineSplitter {
    let stream: OutputStream
    var partial: [UInt8] = []
    static let maxLine = 8192

    mutating func append(_ bytes: ArraySlice<UInt8>, emit: (OutputStream, String) -> Void) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                emit(stream, String(decoding: partial, as: UTF8.self))
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(byte)
                if partial.count >= Self.maxLine {
                    emit(stream, String(decoding: partial, as: UTF8.self) + " …(line cut at 8 KiB)")
                    partial.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    mutating func finish(emit: (OutputStream, String) -> Void) {
        if !partial.isEmpty {
            emit(stream, String(decoding: partial, as: UTF8.self))
            partial.removeAll()
        }
    }
}

/// The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat).
func processStartTime(_ pid: Int32) -> UInt64? {
    guard let bytes = try? readFile("/proc/\(pid)/stat") else { return nil }
    let text = String(decoding: bytes, as: UTF8.self)
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    guard let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // After ')': field 3 is fields[0], so field 22 is fields[19].
    guard fields.count > 19 else { return nil }
    return UInt64(fields[19])
}

/// Runs `body` on a new detached thread with a small stack.
func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, 256 * 1024)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread,
        &attributes,
        { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        },
        box
    )
    if result != 0 {
        // No thread to be had: block a task instead rather than never notice the process's exit.
        let body = Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body
        Task.detached { body() }
    }
}
