import GongzhiControl
import Synchronization

/// Runs `gongzhictl` in-process with a fixed clock and environment, keeping what it prints.
final class TestConsole: Sendable {
    private let printed = Mutex<(output: String, errors: String)>(("", ""))
    let environment: [String: String]
    /// Whether standard error looks like a terminal to the command.
    let terminal: Bool
    /// What the command reads from standard input.
    let input: [UInt8]

    init(environment: [String: String] = [:], terminal: Bool = false, input: [UInt8] = []) {
        self.environment = environment
        self.terminal = terminal
        self.input = input
    }

    var output: String { printed.withLock { $0.output } }
    var errors: String { printed.withLock { $0.errors } }

    var context: ControlContext {
        let environment = self.environment
        let input = self.input
        return ControlContext(
            environment: { environment[$0] },
            time: { Fixtures.time },
            writeOutput: { text in self.printed.withLock { $0.output += text } },
            writeError: { text in self.printed.withLock { $0.errors += text } },
            errorIsTerminal: terminal,
            readStandardInput: { input }
        )
    }

    /// Runs the command line and returns its exit status.
    func run(_ arguments: [String]) async -> Int32 {
        await ControlContext.$current.withValue(context) {
            await GongzhiControl.execute(arguments)
        }
    }
}

extension ControlContext {
    /// A context with no environment and the fixtures' clock that prints nowhere.
    static func testing() -> ControlContext {
        ControlContext(environment: { _ in nil }, time: { Fixtures.time }, writeOutput: { _ in }, writeError: { _ in })
    }
}
