#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The system's wall clock, read without Foundation.
package enum WallClock {
    /// Microseconds since 1970.
    package static func microseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    /// Milliseconds since 1970, rounded down.
    package static func milliseconds() -> Int64 {
        microseconds() / 1000
    }
}
