#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a lock, with a condition threads can wait on until the value satisfies them:
/// the pthread mutex and condition variable, which Swift's `Mutex` lacks.
///
/// Every change made through ``update(_:)`` wakes every waiter, which checks its predicate again.
package final class GuardedState<State>: @unchecked Sendable {  // `state` is only touched under `mutex`
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var state: State

    package init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Changes the state and wakes every waiter (unless `notifying` is false: no waiter cares
    /// about this change, and waking them would only cost each a context switch).
    package func update<Result>(notifying: Bool = true, _ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer {
            if notifying { pthread_cond_broadcast(condition) }
            pthread_mutex_unlock(mutex)
        }
        return try body(&state)
    }

    /// Waits until `ready` gives a result for the state, then returns it, having let `ready` change
    /// the state (waking the other waiters when it gave one).
    package func wait<Result>(until ready: (inout State) -> Result?) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = ready(&state) {
                pthread_cond_broadcast(condition)
                return result
            }
            pthread_cond_wait(condition, mutex)
        }
    }
}
