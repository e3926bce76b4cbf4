import GongzhiControl
import Synchronization

/// Runs a `gongzhictl` command line in-process with a fixed clock and environment, keeping what it prints.
package final class TestConsole: Sendable {
    private let printed = Mutex<(output: String, errors: String)>(("", ""))
    /// The root command that parses the arguments: the core verbs, and the modules under test.
    package let commandLine: any ControlCommandLine.Type
    package let environment: [String: String]
    /// Whether standard error looks like a terminal to the command.
    package let terminal: Bool
    /// What the command reads from standard input.
    package let input: [UInt8]
    /// What is typed at the terminal when the command asks for a secret; nil: standard input is not a
    /// terminal.
    package let typed: String?
    private let prompts = Mutex<[String]>([])

    package init(
        _ commandLine: any ControlCommandLine.Type = CoreCommandLine.self,
        environment: [String: String] = [:],
        terminal: Bool = false,
        input: [UInt8] = [],
        typed: String? = nil
    ) {
        self.commandLine = commandLine
        self.environment = environment
        self.terminal = terminal
        self.input = input
        self.typed = typed
    }

    /// The prompts the command showed when it asked for a secret.
    package var secretPrompts: [String] { prompts.withLock { $0 } }

    package var output: String { printed.withLock { $0.output } }
    package var errors: String { printed.withLock { $0.errors } }

    package var context: ControlContext {
        let environment = self.environment
        let input = self.input
        let typed = self.typed
        return ControlContext(
            environment: { environment[$0] },
            time: { Fixtures.time },
            writeOutput: { text in self.printed.withLock { $0.output += text } },
            writeError: { text in self.printed.withLock { $0.errors += text } },
            errorIsTerminal: terminal,
            readStandardInput: { input },
            inputIsTerminal: typed != nil,
            readSecretLine: { prompt in
                self.prompts.withLock { $0.append(prompt) }
                return typed
            }
        )
    }

    /// Runs the command line and returns its exit status.
    package func run(_ arguments: [String]) async -> Int32 {
        let commandLine = self.commandLine
        return await ControlContext.$current.withValue(context) {
            await commandLine.execute(arguments)
        }
    }
}

extension ControlContext {
    /// A context with no environment and the fixtures' clock that prints nowhere.
    package static func testing() -> ControlContext {
        ControlContext(environment: { _ in nil }, time: { Fixtures.time }, writeOutput: { _ in }, writeError: { _ in })
    }
}
