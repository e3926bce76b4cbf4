import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A program started with `posix_spawn`, its standard input from /dev/null and its standard output and error going
/// to files, and waited for with `waitpid`.
///
/// Foundation's `Process` was seen here to miss a child's end while Swift concurrency runs on NIO's event loops: a
/// `runuser` that had exited stayed a zombie and `waitUntilExit` never returned. Waiting with `waitpid` cannot miss it.
final class ChildProcess {
    let pid: pid_t
    private var status: Int32?

    /// Starts `argv[0]` (a path) with the rest as its arguments and this process's environment; with
    /// `newSession`, in a session of its own, as a service is (and as `pg_ctl` starts PostgreSQL): with the
    /// kernel's autogroup scheduling, a session shares the processors with the others as one.
    init(_ argv: [String], standardOutput: String, standardError: String, newSession: Bool = false) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26), which the Glibc module does not export.
        if newSession { posix_spawnattr_setflags(&attributes, 0x80) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if standardError == standardOutput {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        let arguments = argv.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, arguments, environ)
        guard result == 0 else {
            throw BenchFailure("cannot start \(argv[0]): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// Whether the program has not ended yet (reaping it if it has).
    var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status == nil
    }

    /// Waits for the program to end; answers its exit code, or 128 + the signal that ended it.
    @discardableResult
    func wait() -> Int32 {
        while status == nil {
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, 0)
            if result == pid {
                status = raw
            } else if result == -1 && errno != EINTR {
                status = -1
            }
        }
        return Self.exitCode(status ?? -1)
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; waits for the end.
    func stop(grace: Double) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = monotonicNanos() + UInt64(grace * 1e9)
        while isRunning && monotonicNanos() < deadline { usleep(50_000) }
        if isRunning { kill(pid, SIGKILL) }
        wait()
    }

    /// The exit code in a `waitpid` status, or 128 + the signal.
    private static func exitCode(_ status: Int32) -> Int32 {
        guard status >= 0 else { return -1 }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// Runs a program to its end and answers its standard output; its standard error goes to `logPath`.
@discardableResult
func runTool(_ argv: [String], logPath: String) throws -> String {
    let outputPath = logPath + ".out"
    let child = try ChildProcess(argv, standardOutput: outputPath, standardError: logPath)
    let code = child.wait()
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(atPath: outputPath)
    guard code == 0 else {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw BenchFailure(
            "\(URL(fileURLWithPath: argv[0]).lastPathComponent) \(argv.dropFirst().prefix(4).joined(separator: " ")) "
                + "exited with \(code): \(log.suffix(600))"
        )
    }
    return output
}
