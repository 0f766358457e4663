import Dispatch
import MMMMetricsCore

/// Wakes the one thread waiting, or remembers the signal for its next wait; a wait also ends at its timeout.
///
/// The collector's writer is a thread of its own that blocks in file I/O and `fsync`, so it waits on a
/// semaphore rather than a continuation: blocking the Swift cooperative pool would starve the tasks
/// that record.
final class WakeupSignal: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let pending = LockedState(false)

    func signal() {
        let wake = pending.withLock { pending in
            defer { pending = true }
            return !pending
        }
        if wake { semaphore.signal() }
    }

    /// Blocks until a signal (or returns at once for one already given), at most `timeout`.
    func wait(timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = seconds >= Int64.max / 1_000_000_000 ? Int64.max / 2 : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        _ = semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: max(0, nanoseconds))))
        pending.withLock { $0 = false }
    }
}

/// A gate a task can wait at until a thread opens it once.
final class OneTimeGate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = LockedState(State())

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}
