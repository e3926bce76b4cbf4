import GongzhiRPC

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file of a listening Unix-domain socket: checks before binding, and the mode set afterwards.
enum UnixSocketFile {
    /// Makes `path` free to bind. A socket file left by a server that is gone is removed; a socket
    /// someone still listens on, or a file that is not a socket, is left alone and reported.
    static func prepare(_ path: String) throws {
        let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
        guard path.utf8.count <= limit else {
            throw RPCError(
                code: .invalidArgument,
                message:
                    "the socket path \(path) is \(path.utf8.count) bytes; Unix socket paths are limited to \(limit)"
            )
        }
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return }
            throw RPCError(code: .unavailable, message: "cannot inspect \(path): \(errnoText())")
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw RPCError(
                code: .failedPrecondition,
                message: "\(path) exists and is not a socket; refusing to replace it (remove it or choose another path)"
            )
        }
        switch probe(path) {
        case .listening:
            throw RPCError(
                code: .alreadyExists,
                message: "another server is already listening on \(path); stop it first or choose another path"
            )
        case .stale:
            if unlink(path) != 0 && errno != ENOENT {
                throw RPCError(code: .unavailable, message: "cannot remove stale socket \(path): \(errnoText())")
            }
        case .unknown(let reason):
            throw RPCError(code: .unavailable, message: "cannot tell whether \(path) is in use: \(reason)")
        }
    }

    enum ProbeResult {
        case listening
        case stale
        case unknown(String)
    }

    /// Connects to the socket to see whether a server is behind it.
    static func probe(_ path: String) -> ProbeResult {
        // Non-blocking, so a hung server with a full backlog answers EAGAIN instead of blocking us.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .unknown(errnoText()) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return .unknown("the path is longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .listening }
        switch errno {
        case ECONNREFUSED: return .stale
        case EAGAIN: return .listening  // the backlog is full: someone is there
        default: return .unknown(errnoText())
        }
    }

    /// Sets the permission bits of the socket file.
    static func setMode(_ path: String, _ mode: UInt32) throws {
        if chmod(path, mode_t(mode)) != 0 {
            throw RPCError(
                code: .unavailable,
                message: "cannot set mode \(String(mode, radix: 8)) on \(path): \(errnoText())"
            )
        }
    }

    /// Gives the freshly bound socket its public path in one step, so clients never see it with the
    /// wrong mode. A hard link, not a rename: if another server published the path meanwhile, this
    /// fails instead of silently taking the path from it.
    static func publish(_ temporary: String, as path: String) throws {
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST {
                throw RPCError(
                    code: .alreadyExists,
                    message:
                        "another server took \(path) while this one was starting; stop it first or choose another path"
                )
            }
            throw RPCError(code: .unavailable, message: "cannot put the socket in place at \(path): \(errnoText())")
        }
    }

    /// The inode of the file at `path`, to remove only our own socket on shutdown.
    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    static func remove(_ path: String, ifInode inode: UInt64?) {
        guard let inode, self.inode(path) == inode else { return }
        unlink(path)
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
