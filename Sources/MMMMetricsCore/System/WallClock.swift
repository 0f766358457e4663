#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The core's one system call: the wall clock, on Linux and Darwin.
enum WallClock {
    /// `CLOCK_REALTIME` in nanoseconds since the Unix epoch.
    static func nanosecondsSinceEpoch() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}
