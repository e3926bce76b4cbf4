import ArgumentParser
import GongzhiControl
import GongzhiPointsControl

/// `gongzhictl` with the core verbs and the points module's command line.
struct PointsCommandLine: ControlCommandLine {
    static let modules: [any ParsableCommand.Type] = [PointsCommand.self]

    @OptionGroup var global: GlobalOptions

    init() {}
}
