import ArgumentParser
import GongzhiControl
import GongzhiSensorsControl

/// `gongzhictl` with the core verbs and the sensor adapter's command line.
struct SensorsCommandLine: ControlCommandLine {
    static let modules: [any ParsableCommand.Type] = [SensorsCommand.self]

    @OptionGroup var global: GlobalOptions

    init() {}
}
