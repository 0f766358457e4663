import MMMMetrics
import Synchronization

/// A collector whose `record` always throws.
struct FailingCollector: MetricsCollector {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    func record(_ event: MetricEvent) async throws { throw Failure() }
    func flush() async throws { throw Failure() }
}

/// A collector whose `record` and `flush` never return until released.
final class HangingCollector: MetricsCollector {
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let released = Mutex(false)
    let entered = Mutex(0)

    func record(_ event: MetricEvent) async throws { await hang() }
    func flush() async throws { await hang() }

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

    func release() {
        released.withLock { $0 = true }
        for waiter in waiters.withLock({ list in defer { list = [] }; return list }) { waiter.resume() }
    }
}

/// A collector that sleeps on every record.
struct SlowCollector: MetricsCollector {
    let delay: Duration
    let memory = MemoryMetricsCollector(capacity: 100_000)

    func record(_ event: MetricEvent) async throws {
        try await Task.sleep(for: delay)
        try await memory.record(event)
    }

    func flush() async throws {}
}

/// Collects failures reported to a registry's error handler.
final class FailureLog: Sendable {
    private let failures = Mutex<[CollectorFailure]>([])
    var all: [CollectorFailure] { failures.withLock { $0 } }
    var handler: MetricsErrorHandler { { failure in self.failures.withLock { $0.append(failure) } } }
}

extension MetricEvent {
    /// The counter's value, or -1 for other kinds.
    var counterValue: Int64 {
        if case .counter(let value) = value { return value }
        return -1
    }
}
