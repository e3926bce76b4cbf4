import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// One audited event.
public struct AuditRecord: Codable, Sendable, Equatable {
    public var sequence: UInt64
    public var timeMilliseconds: Int64
    public var principal: String
    public var action: String
    public var target: String
    public var outcome: String
    public var detail: String
    /// Hex SHA-256 of the previous record's hash and this record's fields.
    public var hash: String

    /// The bytes the hash covers, after the previous hash.
    var hashedFields: String {
        [String(sequence), String(timeMilliseconds), principal, action, target, outcome, detail]
            .map { $0.replacingNewlines() }
            .joined(separator: "\u{1f}")
    }

    static func chainHash(previous: String, fields: String) -> String {
        SHA256.hexHash(Array((previous + "\n" + fields).utf8))
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}

/// The host's audit log: append-only JSON lines in `<data_dir>/host/audit.log`, each record chained
/// to the one before by its hash, so that a changed or removed record breaks the chain.
///
/// Appending never blocks the caller (it may run on an event loop): records are written and synced
/// by a writer task in the order they were appended.
public final class AuditLog: Sendable {
    public static let genesisHash = String(repeating: "0", count: 64)

    private struct State {
        var sequence: UInt64
        var lastHash: String
        var recent: [AuditRecord]
    }

    private let path: String
    private let state: Mutex<State>
    private let lines: AsyncStream<[UInt8]>.Continuation
    private let writer: Task<Void, Never>
    private let logger: Logger
    private static let recentCapacity = 1000

    public init(path: String, logger: Logger) throws {
        self.path = path
        self.logger = logger
        var sequence: UInt64 = 0
        var lastHash = Self.genesisHash
        var recent: [AuditRecord] = []
        if fileExists(path) {
            let decoder = JSONDecoder()
            for line in try readFile(path).split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                let record = try decoder.decode(AuditRecord.self, from: Data(line))
                sequence = record.sequence
                lastHash = record.hash
                recent.append(record)
                if recent.count > Self.recentCapacity * 2 { recent.removeFirst(recent.count - Self.recentCapacity) }
            }
        }
        self.state = Mutex(
            State(sequence: sequence, lastHash: lastHash, recent: Array(recent.suffix(Self.recentCapacity)))
        )
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open the audit log \(path)") }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        self.lines = continuation
        let writerLogger = logger
        self.writer = Task.detached {
            defer { Glibc.close(fd) }
            for await line in stream {
                var written = 0
                while written < line.count {
                    let count = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                    if count < 0 {
                        if errno == EINTR { continue }
                        writerLogger.critical("cannot write the audit log: \(SystemError("write", errno: errno))")
                        break
                    }
                    written += count
                }
                fdatasync(fd)
            }
        }
    }

    /// Appends a record.
    public func record(principal: String, action: String, target: String = "", outcome: String, detail: String = "") {
        let line: [UInt8]? = state.withLock { state in
            var record = AuditRecord(
                sequence: state.sequence + 1,
                timeMilliseconds: wallClockMilliseconds(),
                principal: principal,
                action: action,
                target: target,
                outcome: outcome,
                detail: detail,
                hash: ""
            )
            record.hash = AuditRecord.chainHash(previous: state.lastHash, fields: record.hashedFields)
            guard let encoded = try? JSONEncoder().encode(record) else { return nil }
            state.sequence = record.sequence
            state.lastHash = record.hash
            state.recent.append(record)
            if state.recent.count > Self.recentCapacity { state.recent.removeFirst() }
            return Array(encoded) + [UInt8(ascii: "\n")]
        }
        if let line { lines.yield(line) }
    }

    /// The most recent records, oldest first.
    public func recent(_ count: Int) -> [AuditRecord] {
        state.withLock { Array($0.recent.suffix(count)) }
    }

    /// Writes what is pending and stops the writer.
    public func close() async {
        lines.finish()
        await writer.value
    }

    /// Checks the chain of the file at `path`: nil when it holds, else where it breaks.
    public static func verify(path: String) throws -> String? {
        var previous = genesisHash
        var expected: UInt64 = 1
        let decoder = JSONDecoder()
        for (index, line) in try readFile(path).split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            guard let record = try? decoder.decode(AuditRecord.self, from: Data(line)) else {
                return "line \(index + 1) is not an audit record"
            }
            guard record.sequence == expected else {
                return "line \(index + 1): record \(record.sequence) where \(expected) was expected (records removed?)"
            }
            guard AuditRecord.chainHash(previous: previous, fields: record.hashedFields) == record.hash else {
                return
                    "line \(index + 1): record \(record.sequence) does not match its hash (changed after it was written)"
            }
            previous = record.hash
            expected += 1
        }
        return nil
    }
}
