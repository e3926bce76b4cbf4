#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command's world comes from: its environment variables, its clock, and where its output goes.
///
/// The standard context is the process's own; tests run commands in-process with another one
/// (`ControlContext.$current.withValue(...) { await GongzhiControl.execute([...]) }`).
public struct ControlContext: Sendable {
    /// Looks up an environment variable.
    public var environment: @Sendable (String) -> String?
    /// The clock and time zone that human output uses, read once for each answer printed.
    public var time: @Sendable () -> TimeStyle
    /// Writes to standard output.
    public var writeOutput: @Sendable (String) -> Void
    /// Writes to standard error.
    public var writeError: @Sendable (String) -> Void
    /// True when standard error is a terminal: progress is then one line redrawn in place.
    public var errorIsTerminal: Bool
    /// Reads all of standard input (`apply -f -`).
    public var readStandardInput: @Sendable () throws -> [UInt8]
    /// True when standard input is a terminal: `login` then asks for the token instead of reading it.
    public var inputIsTerminal: Bool
    /// Shows the prompt on the terminal and reads one line from it without showing what is typed (a
    /// secret); nil at the end of input.
    public var readSecretLine: @Sendable (_ prompt: String) throws -> String?

    public init(
        environment: @escaping @Sendable (String) -> String?,
        time: @escaping @Sendable () -> TimeStyle,
        writeOutput: @escaping @Sendable (String) -> Void,
        writeError: @escaping @Sendable (String) -> Void,
        errorIsTerminal: Bool = false,
        readStandardInput: @escaping @Sendable () throws -> [UInt8] = { [] },
        inputIsTerminal: Bool = false,
        readSecretLine: @escaping @Sendable (_ prompt: String) throws -> String? = { _ in nil }
    ) {
        self.environment = environment
        self.time = time
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.errorIsTerminal = errorIsTerminal
        self.readStandardInput = readStandardInput
        self.inputIsTerminal = inputIsTerminal
        self.readSecretLine = readSecretLine
    }

    /// The process's environment, the local clock and time zone, and the standard input, output and
    /// error (written unbuffered, so that a followed log reaches a pipe line by line); secrets are read from
    /// the controlling terminal with echo off (``TerminalSecret``).
    public static let standard = ControlContext(
        environment: { name in getenv(name).map { String(cString: $0) } },
        time: { TimeStyle.local() },
        writeOutput: { writeAll($0, to: 1) },
        writeError: { writeAll($0, to: 2) },
        errorIsTerminal: isatty(2) != 0,
        readStandardInput: { try DocumentReader.readAll(0) },
        inputIsTerminal: isatty(0) != 0,
        readSecretLine: { prompt in try TerminalSecret.readLine(prompt: prompt) }
    )

    /// The context commands run in.
    @TaskLocal public static var current = ControlContext.standard

    private static func writeAll(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
