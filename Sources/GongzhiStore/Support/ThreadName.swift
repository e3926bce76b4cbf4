#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Names the calling thread the way the kernel shows it (`top -H`, `ps -L`, `perf`), so that an operator can tell
/// the store's writer and the host's other threads of their own from the event loops.
package enum ThreadName {
    /// Sets the calling thread's name; the kernel keeps at most 15 bytes of it. Failing to is not an error.
    package static func setCurrent(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
