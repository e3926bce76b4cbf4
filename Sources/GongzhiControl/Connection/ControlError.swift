import GongzhiRPC

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The exit statuses of `gongzhictl`, documented in its help.
public enum ControlExitCode {
    public static let ok: Int32 = 0
    /// The host refused or failed the request.
    public static let failed: Int32 = 1
    /// The command line was wrong (ArgumentParser's usage errors).
    public static let usage: Int32 = 2
    /// The host cannot be reached: no socket, nobody listening, or the connection broke.
    public static let unreachable: Int32 = 3
    /// The host has no such plugin, token or other object (NOT_FOUND).
    public static let notFound: Int32 = 4
    /// The caller may not administer the host (PERMISSION_DENIED, UNAUTHENTICATED, or a socket it cannot open).
    public static let permissionDenied: Int32 = 5
}

/// A failed command: one line for the person at the terminal, and the exit status for their scripts.
public struct ControlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong and what to do about it, without the `error: ` prefix.
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// What is at a socket path, looked at after a connection to it failed, to say why in plain words.
public enum SocketProbe: Hashable, Sendable {
    case missing
    case notASocket
    case notPermitted
    case socket
    case unreadable(String)

    /// Looks at `path` with stat(2) and access(2).
    public static func probe(_ path: String) -> SocketProbe {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR: return .missing
            case EACCES: return .notPermitted
            default: return .unreadable(String(cString: strerror(code)).lowercased())
            }
        }
        // S_IFMT and S_IFSOCK, spelled out: the C macros do not reach Swift everywhere.
        guard (info.st_mode & 0o170000) == 0o140000 else { return .notASocket }
        if access(path, R_OK | W_OK) != 0 && errno == EACCES { return .notPermitted }
        return .socket
    }
}

extension ControlError {
    /// The one line and exit status for an error of a call to the host at `socketPath`.
    ///
    /// - Parameters:
    ///   - uid: the caller's uid, named when the host refuses it.
    ///   - probe: looks at the socket path when the host cannot be reached.
    public init(
        calling socketPath: String,
        failedWith error: any Error,
        uid: UInt32 = getuid(),
        probe: (String) -> SocketProbe = SocketProbe.probe
    ) {
        if let error = error as? ControlError {
            self = error
            return
        }
        let rpc = RPCError(wrapping: error)
        let hostMessage = rpc.message.isEmpty ? "the host answered \(rpc.code)" : rpc.message
        switch rpc.code {
        case .unavailable:
            self = Self.unreachable(socketPath, message: rpc.message, uid: uid, probe: probe(socketPath))
        case .permissionDenied, .unauthenticated:
            self.init(
                "uid \(uid) is not allowed to administer the host: \(hostMessage) "
                    + "(admin_uids in the host config lists who is)",
                exitCode: ControlExitCode.permissionDenied
            )
        case .notFound:
            self.init(hostMessage, exitCode: ControlExitCode.notFound)
        case .deadlineExceeded:
            self.init("the host did not answer in time: \(hostMessage)", exitCode: ControlExitCode.failed)
        case .unimplemented:
            self.init(
                "the host does not serve this command (is it an older version?): \(hostMessage)",
                exitCode: ControlExitCode.failed
            )
        default:
            self.init(hostMessage, exitCode: ControlExitCode.failed)
        }
    }

    private static let connectHint = "(is gongzhi-host running? use --socket or GONGZHI_ADMIN_SOCKET)"

    private static func unreachable(_ path: String, message: String, uid: UInt32, probe: SocketProbe) -> ControlError {
        switch probe {
        case .missing:
            return ControlError(
                "cannot reach the host at \(path): no such file \(connectHint)",
                exitCode: ControlExitCode.unreachable
            )
        case .notASocket:
            return ControlError(
                "cannot reach the host at \(path): not a socket (use --socket or GONGZHI_ADMIN_SOCKET "
                    + "to name the host's admin.sock)",
                exitCode: ControlExitCode.unreachable
            )
        case .notPermitted:
            return ControlError(
                "cannot open the host's socket at \(path): permission denied for uid \(uid) "
                    + "(admin_uids in the host config lists who may administer the host)",
                exitCode: ControlExitCode.permissionDenied
            )
        case .unreadable(let reason):
            return ControlError(
                "cannot reach the host at \(path): \(reason) \(connectHint)",
                exitCode: ControlExitCode.unreachable
            )
        case .socket:
            // RPCClient says "cannot connect to PATH: REASON (is the server running?)" when connecting
            // fails; anything else means an open connection broke.
            let prefix = "cannot connect to \(path): "
            guard message.hasPrefix(prefix) else {
                return ControlError(
                    "lost the connection to the host at \(path): \(message)",
                    exitCode: ControlExitCode.unreachable
                )
            }
            var reason = Substring(message.dropFirst(prefix.count))
            if let hint = reason.firstRange(of: " (is the server running?)") { reason = reason[..<hint.lowerBound] }
            return ControlError(
                "cannot reach the host at \(path): \(reason) \(connectHint)",
                exitCode: ControlExitCode.unreachable
            )
        }
    }
}

extension ControlError {
    /// The one line and exit status for a call on host.sock with your login's token that failed because of
    /// the login or the socket; nil for other failures, which read as on admin.sock.
    public init?(
        callingWithLogin socketPath: String,
        failedWith error: any Error,
        uid: UInt32 = getuid(),
        probe: (String) -> SocketProbe = SocketProbe.probe
    ) {
        let rpc = RPCError(wrapping: error)
        let hostMessage = rpc.message.isEmpty ? "the host answered \(rpc.code)" : rpc.message
        switch rpc.code {
        case .unauthenticated:
            self.init(
                "the host does not accept your login: \(hostMessage) (gongzhictl login with a new token; "
                    + "gongzhictl logout, or --admin, calls admin.sock as yourself)",
                exitCode: ControlExitCode.permissionDenied
            )
        case .permissionDenied:
            self.init("permission denied: \(hostMessage)", exitCode: ControlExitCode.permissionDenied)
        case .unavailable where rpc.message.isEmpty || rpc.message.hasPrefix("cannot connect to "):
            let hint =
                "(is gongzhi-host running? you are logged in: use --host-socket or GONGZHI_HOST_SOCKET, "
                + "or --admin to call admin.sock)"
            switch probe(socketPath) {
            case .missing:
                self.init(
                    "cannot reach the host at \(socketPath): no such file \(hint)",
                    exitCode: ControlExitCode.unreachable
                )
            case .notASocket:
                self.init(
                    "cannot reach the host at \(socketPath): not a socket \(hint)",
                    exitCode: ControlExitCode.unreachable
                )
            case .notPermitted:
                self.init(
                    "cannot open the host's socket at \(socketPath): permission denied for uid \(uid) "
                        + "(the host's runtime folder lets its group in; ask who runs the host)",
                    exitCode: ControlExitCode.permissionDenied
                )
            case .unreadable(let reason):
                self.init(
                    "cannot reach the host at \(socketPath): \(reason) \(hint)",
                    exitCode: ControlExitCode.unreachable
                )
            case .socket:
                var reason = Substring(rpc.message.dropFirst("cannot connect to \(socketPath): ".count))
                if !rpc.message.hasPrefix("cannot connect to \(socketPath): ") { reason = Substring(hostMessage) }
                if let tail = reason.firstRange(of: " (is the server running?)") { reason = reason[..<tail.lowerBound] }
                self.init(
                    "cannot reach the host at \(socketPath): \(reason) \(hint)",
                    exitCode: ControlExitCode.unreachable
                )
            }
        default:
            return nil
        }
    }
}
