import Dispatch
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

    /// The bytes the hash covers, after the previous hash: the fields as a JSON array, which keeps
    /// every character of every field and where one field ends.
    var hashedFields: String {
        let fields = [String(sequence), String(timeMilliseconds), principal, action, target, outcome, detail]
        guard let encoded = try? JSONEncoder().encode(fields) else { return fields.joined(separator: "\u{0}") }
        return String(decoding: encoded, as: UTF8.self)
    }

    static func chainHash(previous: String, fields: String) -> String {
        SHA256.hexHash(Array((previous + "\n" + fields).utf8))
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
    private let queue: LineQueue
    private let logger: Logger
    private static let recentCapacity = 1000

    public init(path: String, logger: Logger) throws {
        self.path = path
        self.logger = logger
        var sequence: UInt64 = 0
        var lastHash = Self.genesisHash
        var recent: [AuditRecord] = []
        if fileExists(path) {
            var bytes = try readFile(path)
            // A last line cut short (the host died while writing it) is dropped, and the chain goes on
            // from the last whole record.
            if let last = bytes.lastIndex(of: UInt8(ascii: "\n")), last + 1 < bytes.count {
                logger.warning("the audit log ends with a partial record; removing it", metadata: ["path": "\(path)"])
                bytes.removeSubrange((last + 1)...)
                truncate(path, off_t(bytes.count))
            } else if !bytes.isEmpty && bytes.last != UInt8(ascii: "\n") {
                logger.warning("the audit log holds only a partial record; removing it", metadata: ["path": "\(path)"])
                bytes.removeAll()
                truncate(path, 0)
            }
            let decoder = JSONDecoder()
            for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
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
        let queue = LineQueue()
        self.queue = queue
        // Writes and syncs on a thread of its own: file I/O never blocks an event loop or a task.
        startThread {
            defer { Glibc.close(fd) }
            while let lines = queue.take() {
                for line in lines {
                    var written = 0
                    while written < line.count {
                        let count = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                        if count < 0 {
                            if errno == EINTR { continue }
                            logger.critical("cannot write the audit log: \(SystemError("write", errno: errno))")
                            break
                        }
                        written += count
                    }
                }
                fdatasync(fd)
            }
            queue.finished()
        }
    }

    /// Appends a record.
    public func record(principal: String, action: String, target: String = "", outcome: String, detail: String = "") {
        state.withLock { state in
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
            guard let encoded = try? JSONEncoder().encode(record) else { return }
            state.sequence = record.sequence
            state.lastHash = record.hash
            state.recent.append(record)
            if state.recent.count > Self.recentCapacity { state.recent.removeFirst() }
            // Queued under the lock, so that records reach the file in the order of their sequence.
            queue.put(Array(encoded) + [UInt8(ascii: "\n")])
        }
    }

    /// The most recent records, oldest first.
    public func recent(_ count: Int) -> [AuditRecord] {
        state.withLock { Array($0.recent.suffix(count)) }
    }

    /// Writes what is pending and stops the writer.
    public func close() async {
        await queue.close()
    }

    /// Checks the chain of the file at `path`: nil when it holds, else where it breaks.
    public static func verify(path: String) throws -> String? {
        try check(path: path).problem
    }

    /// Checks the chain of the file at `path`: how many records were checked, and where it breaks.
    /// A last line still being written (no newline yet) is left for the next check.
    public static func check(path: String) throws -> (records: UInt64, problem: String?) {
        var previous = genesisHash
        var expected: UInt64 = 1
        let decoder = JSONDecoder()
        var bytes = try readFile(path)
        if let last = bytes.lastIndex(of: UInt8(ascii: "\n")) {
            bytes.removeSubrange((last + 1)...)
        } else {
            bytes.removeAll()
        }
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated() where !line.isEmpty
        {
            guard let record = try? decoder.decode(AuditRecord.self, from: Data(line)) else {
                return (expected - 1, "line \(index + 1) is not an audit record")
            }
            guard record.sequence == expected else {
                return (
                    expected - 1,
                    "line \(index + 1): record \(record.sequence) where \(expected) was expected (records removed?)"
                )
            }
            guard AuditRecord.chainHash(previous: previous, fields: record.hashedFields) == record.hash else {
                return (
                    expected - 1,
                    "line \(index + 1): record \(record.sequence) does not match its hash (changed after it was written)"
                )
            }
            previous = record.hash
            expected += 1
        }
        return (expected - 1, nil)
    }

    /// The file the log is written to.
    public var filePath: String { path }
}

/// Lines handed from any thread to the audit writer's thread.
private final class LineQueue: Sendable {
    private struct State {
        var lines: [[UInt8]] = []
        var closed = false
        var whenFinished: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)

    func put(_ line: [UInt8]) {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.lines.append(line)
            return true
        }
        if accepted { available.signal() }
    }

    /// Waits for lines; nil once the queue is closed and empty.
    func take() -> [[UInt8]]? {
        while true {
            available.wait()
            let (lines, closed) = state.withLock { state -> ([[UInt8]], Bool) in
                defer { state.lines.removeAll() }
                return (state.lines, state.closed)
            }
            if !lines.isEmpty { return lines }
            if closed { return nil }
        }
    }

    func close() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                state.closed = true
                if state.finished { return true }
                state.whenFinished = continuation
                return false
            }
            available.signal()
            if done { continuation.resume() }
        }
    }

    func finished() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.whenFinished = nil }
            return state.whenFinished
        }
        continuation?.resume()
    }
}
