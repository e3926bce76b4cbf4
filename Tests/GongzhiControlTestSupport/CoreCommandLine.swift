import ArgumentParser
import GongzhiControl

/// `gongzhictl` with the core verbs alone, as on a build that carries no module's command line.
package struct CoreCommandLine: ControlCommandLine {
    package static let modules: [any ParsableCommand.Type] = []

    @OptionGroup package var global: GlobalOptions

    package init() {}
}
