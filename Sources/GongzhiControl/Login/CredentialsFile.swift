#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `gongzhictl login` keeps your login: `$XDG_CONFIG_HOME/gongzhi/credentials.json`, else
/// `~/.config/gongzhi/credentials.json`.
///
/// The file is readable by you alone (0600) in a folder only you may enter (0700), and is replaced
/// atomically: a new file is written and synced beside it, then renamed over it, so that a reader sees the
/// old login or the new one, never part of one.
public struct CredentialsFile: Sendable, Hashable {
    /// The file.
    public let path: String
    /// Its folder, `…/gongzhi`.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
        self.path = directory + "/credentials.json"
    }

    /// The file for this environment; nil when neither `XDG_CONFIG_HOME` (an absolute path) nor `HOME` is set.
    public init?(environment: (String) -> String?) {
        if let config = environment("XDG_CONFIG_HOME"), config.hasPrefix("/") {
            self.init(directory: Self.trimmingSlashes(config) + "/gongzhi")
        } else if let home = environment("HOME"), home.hasPrefix("/") {
            self.init(directory: Self.trimmingSlashes(home) + "/.config/gongzhi")
        } else {
            return nil
        }
    }

    private static func trimmingSlashes(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1 && path.last == "/" { path.removeLast() }
        return path == "/" ? "" : String(path)
    }

    // MARK: Reading

    /// The login kept here, or nil when there is none.
    public func load() throws(ControlError) -> StoredLogin? {
        let bytes: [UInt8]
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw unreadable(Self.lastError())
        }
        defer { close(descriptor) }
        do {
            bytes = try DocumentReader.readAll(descriptor)
        } catch {
            throw unreadable(error.reason)
        }
        let login: StoredLogin
        do {
            login = try JSONDecoder().decode(StoredLogin.self, from: Data(bytes))
        } catch {
            throw unreadable("it is not a login gongzhictl wrote")
        }
        guard !login.token.isEmpty, !login.hostSocket.isEmpty else {
            throw unreadable("it holds no token or no host socket")
        }
        return login
    }

    private func unreadable(_ reason: String) -> ControlError {
        ControlError(
            "cannot read your login at \(path): \(reason) (gongzhictl logout removes it; gongzhictl login again)",
            exitCode: ControlExitCode.failed
        )
    }

    // MARK: Writing

    /// Writes the login: the folder is made (0700) if missing, the file replaced atomically (0600).
    public func save(_ login: StoredLogin) throws(ControlError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // A struct of three strings always encodes.
        let bytes = Array((try? encoder.encode(login)) ?? Data()) + [UInt8(ascii: "\n")]
        try makeDirectory()
        var template = Array((directory + "/.credentials.json.XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw unwritable(Self.lastError()) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            try Self.check(fchmod(descriptor, 0o600))
            try Self.writeAll(bytes, to: descriptor)
            try Self.check(fsync(descriptor))
        } catch {
            close(descriptor)
            unlink(temporary)
            throw unwritable(error.reason)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let reason = Self.lastError()
            unlink(temporary)
            throw unwritable(reason)
        }
        // The rename is durable once the folder is synced.
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// Removes the login; false when there was none.
    public func remove() throws(ControlError) -> Bool {
        guard unlink(path) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return false }
            throw ControlError(
                "cannot remove your login at \(path): \(Self.lastError())",
                exitCode: ControlExitCode.failed
            )
        }
        return true
    }

    /// Makes the folder and any missing parents, each 0700, and makes the folder itself 0700 if it was not.
    private func makeDirectory() throws(ControlError) {
        var built = ""
        for component in directory.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw unwritable("cannot make \(built): \(Self.lastError())")
            }
        }
        var info = stat()
        guard stat(directory, &info) == 0 else { throw unwritable(Self.lastError()) }
        guard (info.st_mode & 0o170000) == 0o040000 else { throw unwritable("\(directory) is not a folder") }
        if info.st_mode & 0o777 != 0o700 && chmod(directory, 0o700) != 0 {
            throw unwritable("cannot make \(directory) private (0700): \(Self.lastError())")
        }
    }

    private func unwritable(_ reason: String) -> ControlError {
        ControlError("cannot save your login in \(path): \(reason)", exitCode: ControlExitCode.failed)
    }

    private struct SystemError: Error {
        var reason: String
    }

    private static func check(_ result: Int32) throws(SystemError) {
        if result != 0 { throw SystemError(reason: lastError()) }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError(reason: lastError())
            }
            offset += written
        }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
