import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler that writes one line per record to stderr: `<level>: <message> key=value...`.
///
/// The host captures a plugin's output line by line and keeps the level of lines that start with a level
/// word, so records keep their levels in `gongzhictl plugins logs`. Line breaks inside a record are written
/// as `\n`, so that a record never spans two lines; a value with spaces is quoted.
public struct PluginLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let fileDescriptor: Int32

    /// A handler at `level` that writes to `fileDescriptor` (stderr by default).
    public init(
        level: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil,
        fileDescriptor: Int32 = 2
    ) {
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.fileDescriptor = fileDescriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let recorded = event.metadata { merged.merge(recorded) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        var line = Self.format(level: event.level, message: "\(event.message)", metadata: merged)
        line.append("\n")
        line.withUTF8 { bytes in
            var rest = UnsafeRawBufferPointer(bytes)
            while !rest.isEmpty {
                let written = write(fileDescriptor, rest.baseAddress, rest.count)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                rest = UnsafeRawBufferPointer(rebasing: rest[written...])
            }
        }
    }

    /// The line for one record, without its line break.
    static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(level.rawValue): \(escaped(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(quotedIfNeeded(escaped("\(value)")))"
        }
        return line
    }

    private static func escaped(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" }) else { return text }
        return text.replacing("\r\n", with: "\\n").replacing("\n", with: "\\n").replacing("\r", with: "\\r")
    }

    private static func quotedIfNeeded(_ text: String) -> String {
        guard text.isEmpty || text.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" }) else { return text }
        return "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
