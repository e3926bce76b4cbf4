#if canImport(Glibc)
import Glibc
#endif

/// The kernel's parent-death signal (`prctl(PR_SET_PDEATHSIG)`), so a plugin does not outlive its host.
enum ParentDeathSignal {
    /// Asks the kernel to send `signal` to this process when its parent exits. Returns an error description
    /// when it cannot (not Linux, or the call failed), nil when set.
    static func set(_ signal: Int32) -> String? {
        #if os(Linux)
        // prctl is variadic in C, so Swift does not import it; glibc's takes its arguments in registers as
        // a plain five-argument function would.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        let setParentDeathSignal: Int32 = 1  // PR_SET_PDEATHSIG
        guard let library = dlopen(nil, RTLD_NOW), let symbol = dlsym(library, "prctl") else {
            return "prctl is not available"
        }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        guard prctl(setParentDeathSignal, UInt(signal), 0, 0, 0) == 0 else {
            return "prctl(PR_SET_PDEATHSIG) failed: \(String(cString: strerror(errno)))"
        }
        return nil
        #else
        return "a parent-death signal is only available on Linux"
        #endif
    }
}
