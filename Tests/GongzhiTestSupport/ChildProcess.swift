import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real process started for a test, with its output kept in a file for when the test fails.
public final class ChildProcess: @unchecked Sendable {
    public let process: Process
    public let outputPath: String
    public let name: String

    public init(
        _ executable: String,
        _ arguments: [String],
        outputPath: String,
        environment: [String: String]? = nil
    ) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        self.outputPath = outputPath
        self.name = URL(fileURLWithPath: executable).lastPathComponent
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// What the process printed so far.
    public var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit, up to `timeout`; returns its exit status, or nil if it still runs.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(10)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// Waits until the output holds `text`, up to `timeout`.
    public func waitForOutput(_ text: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !output.contains(text) {
            if !process.isRunning {
                throw TestSupportError(
                    "\(name) exited (status \(process.terminationStatus)) before printing \(text):\n\(output)"
                )
            }
            if ContinuousClock.now > deadline {
                throw TestSupportError("\(name) did not print \(text) within \(timeout):\n\(output)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL if it is still there after `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await waitForExit(timeout: grace) == nil {
            signal(SIGKILL)
            await waitForExit(timeout: .seconds(5))
        }
    }
}

/// A `gongzhi-echo-server` process on a socket in a temporary directory.
public final class EchoServerProcess: Sendable {
    public let child: ChildProcess
    public let socketPath: String

    public init(socketPath: String, extraArguments: [String] = [], outputPath: String) async throws {
        self.socketPath = socketPath
        child = try ChildProcess(
            try BuiltExecutables.path("gongzhi-echo-server"),
            ["--socket", socketPath, "--log-level", "debug"] + extraArguments,
            outputPath: outputPath
        )
        try await child.waitForOutput("READY")
    }
}
