#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMMMetricsLogFormat

/// Operating-system threads of their own, for work that blocks (file I/O, `fsync`, waiting on a
/// semaphore) and must neither hold a thread of Swift's cooperative pool nor wait for one of
/// Dispatch's (whose pool is bounded: a blocked queue per collector can exhaust it).
package enum DedicatedThread {
    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new detached thread; `name` says whose (for the error when the system has
    /// no thread to give).
    package static func start(for name: String, _ body: @escaping @Sendable () -> Void) throws(LogError) {
        let argument = Unmanaged.passRetained(Work(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { pointer in
            Unmanaged<Work>.fromOpaque(pointer!).takeRetainedValue().body()
            return nil
        }, argument)
        #else
        var thread: pthread_t?
        let result = pthread_create(&thread, nil, { pointer in
            Unmanaged<Work>.fromOpaque(pointer).takeRetainedValue().body()
            return nil
        }, argument)
        #endif
        guard result == 0 else {
            Unmanaged<Work>.fromOpaque(argument).release()
            throw FileSystem.failure(name, "pthread_create", result)
        }
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        if let thread { pthread_detach(thread) }
        #endif
    }
}
