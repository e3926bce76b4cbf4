#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a secret from the controlling terminal without showing it, as `ssh` and `sudo` ask for a password.
///
/// Echo is turned off for the one line and turned on again afterwards, also when Ctrl-C ends the process
/// while it waits.
enum TerminalSecret {
    /// Why the terminal could not be read.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `prompt` to the terminal, reads a line with echo off, and ends the line the person could not
    /// see; nil when the input ends before anything is typed.
    static func readLine(prompt: String) throws(Failure) -> String? {
        let terminal = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard terminal >= 0 else { throw Failure(description: "cannot open the terminal: \(lastError())") }
        defer { close(terminal) }
        write(prompt, to: terminal)
        var saved = termios()
        guard tcgetattr(terminal, &saved) == 0 else {
            throw Failure(description: "cannot read the terminal's settings: \(lastError())")
        }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        interruptedTerminal = (terminal, saved)
        let previous = signal(SIGINT, restoreAndInterrupt)
        guard tcsetattr(terminal, TCSAFLUSH, &quiet) == 0 else {
            signal(SIGINT, previous)
            interruptedTerminal = nil
            throw Failure(description: "cannot turn off the terminal's echo: \(lastError())")
        }
        defer {
            _ = tcsetattr(terminal, TCSAFLUSH, &saved)
            signal(SIGINT, previous)
            interruptedTerminal = nil
            write("\n", to: terminal)
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(terminal, &byte, 1)
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read the terminal: \(lastError())")
            }
            if count == 0 {
                if line.isEmpty { return nil }
                break
            }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { buffer in _ = systemWrite(descriptor, buffer.baseAddress, buffer.count) }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}

/// The terminal whose echo is off while a secret is read, for the Ctrl-C handler. Set and cleared by the one
/// thread that reads the secret, before and after the handler is installed.
nonisolated(unsafe) private var interruptedTerminal: (descriptor: Int32, settings: termios)?

/// SIGINT while a secret is read: echo back on, then the default action.
private func restoreAndInterrupt(_ signalNumber: Int32) {
    if var terminal = interruptedTerminal {
        _ = tcsetattr(terminal.descriptor, TCSANOW, &terminal.settings)
    }
    signal(signalNumber, SIG_DFL)
    raise(signalNumber)
}

/// write(2), by a name that the enum's own `write` does not hide.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
