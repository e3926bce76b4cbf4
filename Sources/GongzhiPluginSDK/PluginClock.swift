#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a plugin takes the time from: the system's clock, or — for tests that move time forward — a file
/// holding milliseconds since the epoch, read whenever the time is asked (the system's clock while the file
/// holds no number).
public enum PluginClock: Sendable, CustomStringConvertible {
    case system
    case file(String)

    /// The clock a plugin's setting names: a file's path, or nil/empty for the system's clock.
    public init(file path: String?) {
        if let path, !path.isEmpty { self = .file(path) } else { self = .system }
    }

    /// The current time in milliseconds since the Unix epoch.
    public func nowMs() -> Int64 {
        switch self {
        case .system:
            return Int64((Date().timeIntervalSince1970 * 1000).rounded())
        case .file(let path):
            if let data = FileManager.default.contents(atPath: path),
                let value = Int64(String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace })
            {
                return value
            }
            return PluginClock.system.nowMs()
        }
    }

    public var description: String {
        switch self {
        case .system: "system"
        case .file(let path): "file \(path)"
        }
    }
}
