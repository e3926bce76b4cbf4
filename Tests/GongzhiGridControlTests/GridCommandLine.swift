import ArgumentParser
import GongzhiControl
import GongzhiGridControl

/// `gongzhictl` with the core verbs and the grid module's command line.
struct GridCommandLine: ControlCommandLine {
    static let modules: [any ParsableCommand.Type] = [GridCommand.self]

    @OptionGroup var global: GlobalOptions

    init() {}
}
