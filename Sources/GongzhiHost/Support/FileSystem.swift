import GongzhiHashing
import GongzhiStore

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, with what was being done and errno's text.
package struct SystemError: Error, Sendable, CustomStringConvertible {
    package var operation: String
    package var errno: Int32

    package init(_ operation: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.errno = errno
    }

    package var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// The whole contents of a file.
func readFile(_ path: String) throws(SystemError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemError("open \(path)") }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SystemError("read \(path)")
        }
        if count == 0 { return out }
        out.append(contentsOf: chunk[0..<count])
    }
}

func readTextFile(_ path: String) throws(SystemError) -> String {
    String(decoding: try readFile(path), as: UTF8.self)
}

/// The hex SHA-256 of a file, read in blocks.
package func sha256OfFile(_ path: String) throws(SystemError) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemError("open \(path)") }
    defer { close(fd) }
    var hasher = SHA256()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SystemError("read \(path)")
        }
        if count == 0 { break }
        chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
    return hexString(hasher.finalize())
}

/// Writes all of `bytes` to `fd`, however many `write` calls that takes; `describing` names the file in the error.
func writeAll(_ bytes: [UInt8], to fd: Int32, describing file: String) throws(SystemError) {
    var written = 0
    while written < bytes.count {
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SystemError("write \(file)")
        }
        written += count
    }
}

/// Writes a file through a temporary file and a rename, so that readers see the old or the new
/// contents, never a part; fsyncs the file and its folder.
func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(SystemError) {
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw SystemError("create \(temporary)") }
    do {
        try writeAll(bytes, to: fd, describing: temporary)
    } catch {
        close(fd)
        unlink(temporary)
        throw error
    }
    if fsync(fd) != 0 {
        let error = SystemError("fsync \(temporary)")
        close(fd)
        unlink(temporary)
        throw error
    }
    close(fd)
    guard rename(temporary, path) == 0 else {
        let error = SystemError("rename \(temporary) to \(path)")
        unlink(temporary)
        throw error
    }
    let directory = open(parentDirectory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory >= 0 {
        fsync(directory)
        close(directory)
    }
}

/// Creates a folder and its parents; sets the mode of the last one.
func makeDirectory(_ path: String, mode: mode_t) throws(SystemError) {
    var partial = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        partial += "/" + component
        if mkdir(partial, 0o755) != 0 && errno != EEXIST {
            throw SystemError("create the folder \(partial)")
        }
    }
    var info = stat()
    guard stat(path, &info) == 0 else { throw SystemError("stat \(path)") }
    guard info.st_mode & S_IFMT == S_IFDIR else {
        throw SystemError("use \(path) as a folder", errno: ENOTDIR)
    }
    if chmod(path, mode) != 0 { throw SystemError("chmod \(path)") }
}

func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}

func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return "." }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? normalize(path) : normalize(currentDirectory() + "/" + path)
}

func resolve(_ path: String, against base: String) -> String {
    path.hasPrefix("/") ? normalize(path) : normalize(base + "/" + path)
}

/// Removes `.` and `..` components and doubled slashes (without following links).
func normalize(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/") {
        if part == "." { continue }
        if part == ".." {
            if !parts.isEmpty { parts.removeLast() }
            continue
        }
        parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
}

func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

/// Wall-clock milliseconds since the Unix epoch.
func wallClockMilliseconds() -> Int64 {
    WallClock.milliseconds()
}

/// Random bytes from the kernel (getrandom), for tokens.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
