import GongzhiExampleSchemas
import GongzhiRPC
import GongzhiSchemas
import Logging

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The notices on disk: one JSON object per line, appended as notices are posted. Not thread-safe: the
/// notice board uses it under its lock.
final class NoticeFile {
    /// One line of the file.
    private struct Line: Codable {
        var number: UInt64
        var title: String
        var body: String
        var community: String
        var postedBy: String
        var postedAtMs: Int64

        enum CodingKeys: String, CodingKey {
            case number, title, body, community
            case postedBy = "posted_by"
            case postedAtMs = "posted_at_ms"
        }
    }

    let path: String
    /// The notices the file held when it was opened, oldest first.
    let loaded: [Gongzhi_Example_V1_Notice]
    private let descriptor: Int32
    private let encoder: JSONEncoder

    /// Reads the notices in `path` (creating its folder and the file if needed) and opens it for appending.
    /// Lines that do not decode, such as one cut short by a crash, are skipped with a warning.
    init(path: String, logger: Logger) throws {
        self.path = path
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let contents = FileManager.default.contents(atPath: path) ?? Data()
        var notices: [Gongzhi_Example_V1_Notice] = []
        let decoder = JSONDecoder()
        for (index, line) in contents.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let stored = try? decoder.decode(Line.self, from: Data(line)) else {
                logger.warning("skipping an unreadable line in \(path)", metadata: ["line": "\(index + 1)"])
                continue
            }
            var notice = Gongzhi_Example_V1_Notice()
            notice.number = stored.number
            notice.title = stored.title
            notice.body = stored.body
            notice.community = stored.community
            notice.postedBy = stored.postedBy
            notice.postedAtMs = stored.postedAtMs
            notices.append(notice)
        }
        notices.sort { $0.number < $1.number }
        self.loaded = notices

        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RPCError(code: .internal, message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A last line cut short by a crash must not swallow the next notice.
        if let last = contents.last, last != UInt8(ascii: "\n") {
            try write(Data([UInt8(ascii: "\n")]))
        }
    }

    deinit {
        close(descriptor)
    }

    /// Appends one notice as one line, with a single write so that lines never interleave.
    func append(_ notice: Gongzhi_Example_V1_Notice) throws {
        let line = Line(
            number: notice.number,
            title: notice.title,
            body: notice.body,
            community: notice.community,
            postedBy: notice.postedBy,
            postedAtMs: notice.postedAtMs
        )
        var data = try encoder.encode(line)
        data.append(UInt8(ascii: "\n"))
        try write(data)
    }

    private func write(_ data: Data) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws in
            var rest = bytes
            while !rest.isEmpty {
                let written = Glibc.write(descriptor, rest.baseAddress, rest.count)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw RPCError(
                        code: .internal,
                        message: "cannot save the notice to \(path): \(String(cString: strerror(errno)))"
                    )
                }
                rest = UnsafeRawBufferPointer(rebasing: rest[written...])
            }
        }
    }
}
