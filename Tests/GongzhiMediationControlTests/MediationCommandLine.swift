import ArgumentParser
import GongzhiControl
import GongzhiMediationControl

/// `gongzhictl` with the core verbs and the mediation module's command line.
struct MediationCommandLine: ControlCommandLine {
    static let modules: [any ParsableCommand.Type] = [MediationCommand.self]

    @OptionGroup var global: GlobalOptions

    init() {}
}
