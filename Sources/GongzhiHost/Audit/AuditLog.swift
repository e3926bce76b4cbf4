import GongzhiHashing
import GongzhiStore
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
package struct AuditRecord: Codable, Sendable, Equatable {
    package var sequence: UInt64
    package var timeMilliseconds: Int64
    package var principal: String
    package var action: String
    package var target: String
    package var outcome: String
    package var detail: String
    /// Hex SHA-256 of the previous record's hash and this record's fields.
    package var hash: String

    /// The bytes the hash covers, after the previous hash: the fields as a JSON array, which keeps
    /// every character of every field and where one field ends.
    var hashedFields: String {
        var bytes: [UInt8] = []
        appendHashedFields(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `hashedFields`: the seven fields as a JSON array of strings, byte for byte what
    /// `JSONEncoder()` gives for `[String(sequence), String(timeMilliseconds), principal, action,
    /// target, outcome, detail]`, which is how every log so far was hashed.
    func appendHashedFields(to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        bytes.append(UInt8(ascii: "\""))
        AuditJSON.appendDecimal(sequence, to: &bytes)
        bytes.append(contentsOf: #"",""#.utf8)
        AuditJSON.appendDecimal(timeMilliseconds, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ","))
        AuditJSON.appendString(principal, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        AuditJSON.appendString(action, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        AuditJSON.appendString(target, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        AuditJSON.appendString(outcome, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        AuditJSON.appendString(detail, to: &bytes)
        bytes.append(UInt8(ascii: "]"))
    }

    /// Appends the record as a line of the log, without its newline: a JSON object of the same
    /// members and bytes as `JSONEncoder()` gives, with the keys in the order they are declared.
    /// (`JSONEncoder` writes them in the order of a `Dictionary`, which differs from one record to
    /// the next; a reader does not care.)
    func appendLine(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: #"{"sequence":"#.utf8)
        AuditJSON.appendDecimal(sequence, to: &bytes)
        bytes.append(contentsOf: #","timeMilliseconds":"#.utf8)
        AuditJSON.appendDecimal(timeMilliseconds, to: &bytes)
        bytes.append(contentsOf: #","principal":"#.utf8)
        AuditJSON.appendString(principal, to: &bytes)
        bytes.append(contentsOf: #","action":"#.utf8)
        AuditJSON.appendString(action, to: &bytes)
        bytes.append(contentsOf: #","target":"#.utf8)
        AuditJSON.appendString(target, to: &bytes)
        bytes.append(contentsOf: #","outcome":"#.utf8)
        AuditJSON.appendString(outcome, to: &bytes)
        bytes.append(contentsOf: #","detail":"#.utf8)
        AuditJSON.appendString(detail, to: &bytes)
        bytes.append(contentsOf: #","hash":"#.utf8)
        AuditJSON.appendString(hash, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    static func chainHash(previous: String, fields: String) -> String {
        chainHash(previous: previous, fieldsJSON: Array(fields.utf8))
    }

    /// The hash of `previous`, a newline and `fieldsJSON` (the bytes of `hashedFields`).
    static func chainHash(previous: String, fieldsJSON: [UInt8]) -> String {
        var hasher = SHA256()
        var previous = previous
        previous.withUTF8 { hasher.update(UnsafeRawBufferPointer($0)) }
        var newline = UInt8(ascii: "\n")
        withUnsafeBytes(of: &newline) { hasher.update($0) }
        fieldsJSON.withUnsafeBytes { hasher.update($0) }
        let digest = hasher.finalize()
        return String(unsafeUninitializedCapacity: digest.count * 2) { hex in
            for (index, byte) in digest.enumerated() {
                hex[2 * index] = AuditJSON.hexDigit(byte >> 4)
                hex[2 * index + 1] = AuditJSON.hexDigit(byte & 0x0f)
            }
            return digest.count * 2
        }
    }
}

/// The JSON of the audit log, written by hand rather than by `JSONEncoder` (which took most of the
/// time of a record). Its bytes are those `JSONEncoder()` writes with its default options, so that
/// the hashes of logs written with it still hold: `"`, `\` and `/` escaped with a backslash; `\b`,
/// `\f`, `\n`, `\r`, `\t`, and `\u00xx` (lower-case hex) for the other control characters below
/// U+0020; everything else, U+007F and all non-ASCII included, as its UTF-8 bytes. Integers in
/// decimal. The tests compare it with `JSONEncoder` on every ASCII character and on random strings.
enum AuditJSON {
    /// Appends `string` as a JSON string, quotes included.
    static func appendString(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { appendEscaped($0, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends UTF-8 `text` escaped for the inside of a JSON string.
    static func appendEscaped(_ text: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        var start = 0
        for index in 0..<text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/")
            else { continue }
            if start < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<index])) }
            start = index + 1
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(byte)
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0c: bytes.append(UInt8(ascii: "f"))
            case 0x0a: bytes.append(UInt8(ascii: "n"))
            case 0x0d: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            default:
                bytes.append(contentsOf: "u00".utf8)
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0f))
            }
        }
        if start < text.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...])) }
    }

    /// Appends `value` in decimal, as `String(value)` writes it.
    static func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
        let start = bytes.count
        var rest = value
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }

    /// Appends `value` in decimal, as `String(value)` writes it.
    static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, to: &bytes)
    }

    /// The lower-case hex digit of `value` (0...15).
    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}

/// The host's audit log: append-only JSON lines in `<data_dir>/host/audit.log`, each record chained
/// to the one before by its hash, so that a changed or removed record breaks the chain.
///
/// Appending never blocks the caller (it may run on an event loop): a record is encoded and hashed
/// in the caller (a few microseconds) and queued; a writer thread of its own writes the queued
/// lines in the order of their sequence, all of them with one `write`, and syncs the file.
///
/// The writer gathers: after writing and syncing, it sleeps for `syncInterval` and then takes
/// everything queued meanwhile at once, so that under load it wakes a couple of hundred times a
/// second rather than once a record (on a small machine, waking a thread per audited read cost the
/// read more than the read itself). Only a record that finds the writer idle wakes it.
///
/// Durability: a crash of the process loses at most the records of the last `syncInterval`, which
/// the host had answered reads for but not yet written; a power loss, those plus the time of a
/// sync. `close()` writes and syncs everything pending.
package final class AuditLog: Sendable {
    package static let genesisHash = String(repeating: "0", count: 64)

    /// How long the writer gathers records after a write before it writes again (see the type's comment).
    static let syncInterval: Duration = .milliseconds(5)

    private struct State {
        var sequence: UInt64
        var lastHash: String
        /// The last records, at most `recentCapacity`; once full, a ring whose oldest is at
        /// `recentOldest`.
        var recent: [AuditRecord]
        var recentOldest = 0
        /// Reused for the hashed fields and the line of each record.
        var fields: [UInt8] = []
        var line: [UInt8] = []
    }

    private let path: String
    private let state: Mutex<State>
    private let queue: LineQueue
    private let logger: Logger
    private static let recentCapacity = 1000

    package init(path: String, logger: Logger) throws {
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
        var state = State(sequence: sequence, lastHash: lastHash, recent: Array(recent.suffix(Self.recentCapacity)))
        state.recent.reserveCapacity(Self.recentCapacity)
        state.fields.reserveCapacity(512)
        state.line.reserveCapacity(1024)
        self.state = Mutex(state)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open the audit log \(path)") }
        let queue = LineQueue()
        self.queue = queue
        // Writes and syncs on a thread of its own: file I/O never blocks an event loop or a task.
        startThread {
            Self.writeLines(from: queue, to: fd, logger: logger)
            Glibc.close(fd)
            queue.finished()
        }
    }

    /// The writer thread's loop: writes and syncs what is queued, then gathers for `syncInterval`;
    /// when the queue is closed, writes and syncs the rest and returns.
    private static func writeLines(from queue: LineQueue, to fd: Int32, logger: Logger) {
        ThreadName.setCurrent("gz-audit-log")
        var buffer: [UInt8] = []
        var open = true
        while open {
            open = queue.take(into: &buffer)
            guard !buffer.isEmpty else { continue }
            do {
                try writeAll(buffer, to: fd, describing: "the audit log")
            } catch {
                logger.critical("cannot \(error)")
            }
            fdatasync(fd)
            // A burst may have grown the buffer far beyond what a usual batch needs.
            if buffer.capacity > 1 << 20 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
            if open { WorkerThreadControl.pause(for: syncInterval) }
        }
    }

    /// Appends a record.
    package func record(principal: String, action: String, target: String = "", outcome: String, detail: String = "") {
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
            state.fields.removeAll(keepingCapacity: true)
            record.appendHashedFields(to: &state.fields)
            record.hash = AuditRecord.chainHash(previous: state.lastHash, fieldsJSON: state.fields)
            state.line.removeAll(keepingCapacity: true)
            record.appendLine(to: &state.line)
            state.line.append(UInt8(ascii: "\n"))
            state.sequence = record.sequence
            state.lastHash = record.hash
            if state.recent.count < Self.recentCapacity {
                state.recent.append(record)
            } else {
                state.recent[state.recentOldest] = record
                state.recentOldest = (state.recentOldest + 1) % state.recent.count
            }
            // Queued under the lock, so that records reach the file in the order of their sequence.
            queue.put(state.line)
        }
    }

    /// The most recent records, oldest first.
    /// The most recent `count` records the log still holds in memory that `matching` accepts, oldest first.
    package func recent(_ count: Int, matching: (AuditRecord) -> Bool) -> [AuditRecord] {
        state.withLock { state in
            var found: [AuditRecord] = []
            var index = state.recent.count - 1
            while index >= 0 && found.count < count {
                let record = state.recent[(state.recentOldest + index) % state.recent.count]
                if matching(record) { found.append(record) }
                index -= 1
            }
            return found.reversed()
        }
    }

    package func recent(_ count: Int) -> [AuditRecord] {
        state.withLock { state in
            let taken = max(0, min(count, state.recent.count))
            let first = state.recentOldest + state.recent.count - taken
            return (0..<taken).map { state.recent[(first + $0) % state.recent.count] }
        }
    }

    /// Writes what is pending and stops the writer.
    package func close() async {
        await queue.close()
    }

    /// Checks the chain of the file at `path`: nil when it holds, else where it breaks.
    package static func verify(path: String) throws -> String? {
        try check(path: path).problem
    }

    /// Checks the chain of the file at `path`: how many records were checked, and where it breaks.
    /// A last line still being written (no newline yet) is left for the next check.
    package static func check(path: String) throws -> (records: UInt64, problem: String?) {
        var previous = genesisHash
        var expected: UInt64 = 1
        let decoder = JSONDecoder()
        var bytes = try readFile(path)
        if let last = bytes.lastIndex(of: UInt8(ascii: "\n")) {
            bytes.removeSubrange((last + 1)...)
        } else {
            bytes.removeAll()
        }
        var fields: [UInt8] = []
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
            fields.removeAll(keepingCapacity: true)
            record.appendHashedFields(to: &fields)
            guard AuditRecord.chainHash(previous: previous, fieldsJSON: fields) == record.hash else {
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
    package var filePath: String { path }
}

/// Lines handed from any thread to the audit writer's thread, gathered in one buffer.
private final class LineQueue: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// Wakes the writer only while it waits for lines: while it writes or gathers, a signal costs no wake-up.
    private let control = WorkerThreadControl()

    func put(_ line: [UInt8]) {
        let queued = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.bytes.append(contentsOf: line)
            return true
        }
        if queued { control.signal() }
    }

    /// Swaps the queued lines into `buffer` (empty, its capacity goes to the queue), waiting for
    /// some when there are none. Returns false once the queue is closed and empty.
    func take(into buffer: inout [UInt8]) -> Bool {
        control.wait { state.withLock { !$0.bytes.isEmpty || $0.closed } }
        return state.withLock { state in
            if state.bytes.isEmpty { return false }
            swap(&state.bytes, &buffer)
            return true
        }
    }

    /// Closes the queue and waits until the writer has written what was queued and ended.
    func close() async {
        state.withLock { $0.closed = true }
        control.signal()
        await control.finished()
    }

    /// Called by the writer thread as it ends.
    func finished() {
        control.threadEnded()
    }
}
