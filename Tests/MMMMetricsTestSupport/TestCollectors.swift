import Dispatch
package import MMMMetricsCore

/// A collector whose `record` always throws.
package struct FailingCollector: MetricsCollector {
    package struct Failure: Error, CustomStringConvertible {
        package init() {}
        package var description: String { "disk on fire" }
    }

    package init() {}

    package func record(_ event: MetricEvent) async throws { throw Failure() }
    package func flush() async throws { throw Failure() }
}

/// A collector that blocks its thread (not awaiting: holding it, as a semaphore or a synchronous
/// socket does) in `record` and `flush` until released.
package final class ThreadBlockingCollector: MetricsCollector {
    private let gate = DispatchSemaphore(value: 0)
    private let released = LockedState(false)

    package init() {}

    package func record(_ event: MetricEvent) async throws { block() }
    package func flush() async throws { block() }

    private func block() {
        guard !released.withLock({ $0 }) else { return }
        gate.wait()
        gate.signal()  // wake the next waiter, if any
    }

    package func release() {
        released.withLock { $0 = true }
        gate.signal()
    }
}

/// A collector whose `record` and `flush` never return until released.
package final class HangingCollector: MetricsCollector {
    private let waiters = LockedState<[CheckedContinuation<Void, Never>]>([])
    private let released = LockedState(false)
    package let entered = LockedState(0)

    package init() {}

    package func record(_ event: MetricEvent) async throws { await hang() }
    package func flush() async throws { await hang() }

    private func hang() async {
        entered.withLock { $0 += 1 }
        await withCheckedContinuation { continuation in
            let resumeNow = released.withLock { released in
                if released { return true }
                waiters.withLock { $0.append(continuation) }
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    package func release() {
        released.withLock { $0 = true }
        for waiter in waiters.withLock({ list in defer { list = [] }; return list }) { waiter.resume() }
    }
}

/// A collector that sleeps on every record.
package struct SlowCollector: MetricsCollector {
    package let delay: Duration
    package let memory = MemoryMetricsCollector(capacity: 100_000)

    package init(delay: Duration) { self.delay = delay }

    package func record(_ event: MetricEvent) async throws {
        try await Task.sleep(for: delay)
        try await memory.record(event)
    }

    package func flush() async throws {}
}

/// Collects failures reported to a registry's error handler.
package final class FailureLog: Sendable {
    private let failures = LockedState<[CollectorFailure]>([])

    package init() {}
    package var all: [CollectorFailure] { failures.withLock { $0 } }
    package var handler: MetricsErrorHandler { { failure in self.failures.withLock { $0.append(failure) } } }
}

extension MetricEvent {
    /// The counter's value, or -1 for other kinds.
    package var counterValue: Int64 {
        if case .counter(let value) = value { return value }
        return -1
    }
}
