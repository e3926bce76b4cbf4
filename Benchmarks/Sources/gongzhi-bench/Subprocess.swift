import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a step of the benchmark could not be done; its text ends up in the table's notes.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Collects a child's standard output on a thread of its own, so that the child never blocks on a full pipe.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false
    private let changed = DispatchSemaphore(value: 0)

    init(reading handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                self.lock.withLock {
                    if chunk.isEmpty {
                        self.finished = true
                    } else {
                        self.data.append(chunk)
                    }
                }
                self.changed.signal()
                if chunk.isEmpty { return }
            }
        }
        thread.start()
    }

    var text: String {
        self.lock.withLock { String(decoding: self.data, as: UTF8.self) }
    }

    /// Waits until a whole line equal to `line` has arrived; false on end of output or timeout.
    func waitForLine(_ line: String, timeout: Double) -> Bool {
        let deadline = DispatchTime.now() + timeout
        while true {
            let (text, finished) = self.lock.withLock { (String(decoding: self.data, as: UTF8.self), self.finished) }
            if text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == line
            }) {
                return true
            }
            if finished || self.changed.wait(timeout: deadline) == .timedOut {
                return false
            }
        }
    }

    /// Waits until the child has closed its standard output.
    func waitForEnd(timeout: Double) -> Bool {
        let deadline = DispatchTime.now() + timeout
        while !self.lock.withLock({ self.finished }) {
            if self.changed.wait(timeout: deadline) == .timedOut { return false }
        }
        return true
    }
}

/// A child process with its standard error, and unless its output is collected also its standard output, sent
/// to a log file.
final class Child: @unchecked Sendable {
    let process = Process()
    /// The child's standard output, when collected.
    let output: OutputCollector?
    let logPath: String
    private let exited = DispatchSemaphore(value: 0)

    init(
        _ argv: [String],
        logPath: String,
        collectOutput: Bool = true,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) throws {
        guard let executable = argv.first else { throw BenchFailure("empty command") }
        self.logPath = logPath
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
            let log = FileHandle(forWritingAtPath: logPath)
        else {
            throw BenchFailure("cannot write \(logPath)")
        }
        let stdout = collectOutput ? Pipe() : nil
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = Array(argv.dropFirst())
        self.process.standardInput = FileHandle.nullDevice
        self.process.standardOutput = stdout ?? log
        self.process.standardError = log
        if let environment {
            self.process.environment = environment
        }
        if let directory {
            self.process.currentDirectoryURL = URL(fileURLWithPath: directory)
        }
        let exited = self.exited
        self.process.terminationHandler = { _ in exited.signal() }
        do {
            try self.process.run()
        } catch {
            throw BenchFailure("cannot start \(executable): \(error)")
        }
        try? log.close()
        try? stdout?.fileHandleForWriting.close()
        self.output = stdout.map { OutputCollector(reading: $0.fileHandleForReading) }
    }

    var pid: pid_t { self.process.processIdentifier }

    var isRunning: Bool { self.process.isRunning }

    /// Waits for the child to exit; true if it did within `timeout` seconds.
    func wait(timeout: Double) -> Bool {
        if self.exited.wait(timeout: .now() + timeout) == .timedOut { return false }
        self.exited.signal()
        return true
    }

    /// Sends SIGTERM, and SIGKILL if the child is still there after `grace` seconds.
    func stop(grace: Double = 5) {
        guard self.process.isRunning else { return }
        kill(self.pid, SIGTERM)
        if !self.wait(timeout: grace) {
            kill(self.pid, SIGKILL)
            _ = self.wait(timeout: grace)
        }
    }

    /// What a failure report should quote: the first error the log reports, else its last non-empty line.
    func lastLogLine() -> String? {
        guard let text = try? String(contentsOfFile: self.logPath, encoding: .utf8) else { return nil }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let line = lines.first { $0.contains("error:") } ?? lines.last { !$0.isEmpty }
        return line.map { String($0.prefix(200)) }
    }

    var exitSummary: String {
        guard !self.process.isRunning else { return "still running" }
        switch self.process.terminationReason {
        case .uncaughtSignal: return "killed by signal \(self.process.terminationStatus)"
        case .exit: return "exited with status \(self.process.terminationStatus)"
        @unknown default: return "exited"
        }
    }

    /// A one-line reason for a failed step, naming the log.
    func failureReason(_ what: String) -> String {
        var reason = "\(what) (\(self.exitSummary)"
        if let line = self.lastLogLine() {
            reason += ": \(line)"
        }
        return reason + "; log: \(self.logPath))"
    }
}

/// Runs a command to completion and returns its standard output (or "" when that goes to the log too);
/// throws with the log's first error or last line if it fails or overruns.
@discardableResult
func runToCompletion(
    _ argv: [String],
    logPath: String,
    timeout: Double,
    collectOutput: Bool = true,
    environment: [String: String]? = nil,
    directory: String? = nil
) throws -> String {
    let child = try Child(
        argv,
        logPath: logPath,
        collectOutput: collectOutput,
        environment: environment,
        directory: directory
    )
    guard child.wait(timeout: timeout) else {
        child.stop()
        throw BenchFailure(child.failureReason("timed out after \(Int(timeout)) s"))
    }
    _ = child.output?.waitForEnd(timeout: 5)
    guard child.process.terminationReason == .exit, child.process.terminationStatus == 0 else {
        throw BenchFailure(child.failureReason("\(URL(fileURLWithPath: argv[0]).lastPathComponent) failed"))
    }
    return child.output?.text ?? ""
}

/// Peak resident set size (VmHWM) of a live process, in kibibytes.
func peakResidentKiB(pid: pid_t) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if fields.count >= 2, let value = Int(fields[1]) {
            return value
        }
    }
    return nil
}

/// Searches PATH for an executable.
func findInPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
    }
    return nil
}
