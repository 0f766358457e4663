#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// A value that threads share behind a pthread mutex: `withLock` runs one body at a time.
///
/// The package locks with this rather than `Synchronization.Mutex`. On Linux a contended `Mutex`
/// hands the lock over through a futex in the kernel, which ThreadSanitizer cannot see, so every
/// contended critical section was reported as a race and had to be suppressed (hiding real races
/// that touch the same state). A pthread mutex is intercepted by ThreadSanitizer, so its reports
/// are real. Like `Mutex`, the value goes in and results come out as `sending`, which is what makes
/// the box `Sendable` whatever the value is.
package final class LockedState<State>: @unchecked Sendable {  // `value` is only touched under `mutex`
    // Usable from inline code so `withLock` is specialized in the modules that call it: a generic
    // call across modules passes the state and the result through runtime value witnesses.
    @usableFromInline let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    @usableFromInline let value: UnsafeMutablePointer<State>

    package init(_ initial: sending State) {
        value = .allocate(capacity: 1)
        value.initialize(to: initial)
        #if canImport(Darwin)
        // Darwin's default policy hands a contended lock over fairly, in convoys; first-fit is how
        // `os_unfair_lock` (under `Synchronization.Mutex` there) behaves.
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_setpolicy_np(&attributes, PTHREAD_MUTEX_POLICY_FIRSTFIT_NP)
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        #else
        pthread_mutex_init(mutex, nil)
        #endif
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` on the value while no other `withLock` on this box runs, and returns its result.
    @inlinable
    package func withLock<Result, Failure: Error>(
        _ body: (inout sending State) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
