import ArgumentParser
import GongzhiControl
import GongzhiIntakeControl

/// `gongzhictl` with the core verbs and the intake module's command line.
struct IntakeCommandLine: ControlCommandLine {
    static let modules: [any ParsableCommand.Type] = [IntakeCommand.self]

    @OptionGroup var global: GlobalOptions

    init() {}
}
