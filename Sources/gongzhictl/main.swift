import ArgumentParser
import GongzhiControl
import GongzhiGridControl
import GongzhiIntakeControl
import GongzhiMediationControl
import GongzhiPointsControl
import GongzhiSensorsControl

/// `gongzhictl`: the core verbs, and the commands of the modules this build carries.
struct Gongzhictl: ControlCommandLine {
    static let modules: [any ParsableCommand.Type] = [
        SensorsCommand.self, GridCommand.self, PointsCommand.self, MediationCommand.self, IntakeCommand.self,
    ]

    @OptionGroup var global: GlobalOptions

    init() {}
}

// Everything, including the exit status, is in the library, where tests can run it.
await Gongzhictl.runProcess()
