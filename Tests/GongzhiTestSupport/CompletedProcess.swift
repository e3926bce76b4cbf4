import Foundation
import Synchronization

/// A process that ran to its end: its status and everything it wrote.
public struct CompletedProcess: Sendable {
    public var status: Int32
    public var output: Data
    public var errors: String

    public var outputText: String { String(decoding: output, as: UTF8.self) }

    /// Runs `executable` with `arguments` (and `environment`, when given, instead of this process's) and waits
    /// for it to exit. Both outputs are read as they come, so neither pipe can fill up and stall it.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil
    ) throws -> CompletedProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorData = Mutex(Data())
        let errorsRead = DispatchGroup()
        errorsRead.enter()
        DispatchQueue.global().async {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            errorsRead.leave()
        }
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errorsRead.wait()
        return CompletedProcess(
            status: process.terminationStatus,
            output: outData,
            errors: String(decoding: errorData.withLock { $0 }, as: UTF8.self)
        )
    }
}
