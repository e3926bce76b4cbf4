import GongzhiControl

// Everything, including the exit status, is in the library, where tests can run it.
await GongzhiControl.runProcess()
