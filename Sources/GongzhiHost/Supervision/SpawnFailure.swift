#if canImport(Glibc)
import Glibc
#endif

/// How the supervision takes a plugin process that could not be started: a failure for want of a resource the
/// host lacks for the moment (file descriptors, memory, processes) is transient and retried without counting as
/// a crash; any other is the plugin's (a missing or broken executable).
enum SpawnFailure {
    /// The errno values that mean the host is short of a resource, not that the plugin is broken.
    static let transientErrors: Set<Int32> = [EMFILE, ENFILE, EAGAIN, ENOMEM]

    /// The supervisor's event for a spawn that threw `error`.
    static func event(for error: any Error) -> PluginSupervisor.Event {
        let number = (error as? SystemError)?.errno ?? (error as? PluginAccountError)?.errno
        guard let number, transientErrors.contains(number) else {
            return .spawnFailed(reason: "\(error)")
        }
        return .spawnFailed(reason: cause(number), transient: true)
    }

    /// "too many open files".
    static func cause(_ errno: Int32) -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
