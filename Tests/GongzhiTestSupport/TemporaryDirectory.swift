import Foundation

/// A fresh directory (under /tmp unless told), short enough for Unix socket paths (at most 107 bytes), removed on
/// `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    /// A folder in memory where the system has one (`/dev/shm`), else `/tmp`: for stores whose every commit
    /// syncs, in tests that do not test the disk.
    public static let memoryBacked: String = {
        var info = stat()
        return stat("/dev/shm", &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR ? "/dev/shm" : "/tmp"
    }()

    /// A fresh directory named `prefix-XXXXXX` in `parent`.
    public init(prefix: String = "gz", in parent: String = "/tmp") throws {
        var template = Array("\(parent)/\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let created else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mkdtemp failed"])
        }
        path = String(cString: created)
        // A host running as root starts each plugin as a user of its own, which must be able to pass through
        // (not list) the folder to reach its own folders inside.
        chmod(path, 0o711)
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
