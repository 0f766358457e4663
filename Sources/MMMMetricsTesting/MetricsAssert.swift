public import MMMMetricsCore
public import Testing

/// Records metrics in memory and checks them in tests, as swift-metrics' `MetricsTestKit` does.
///
/// Register ``collector`` with a registry, run the code under test, `flush()` the registry, then
/// assert. A failed assertion is recorded as a Swift Testing issue (with the expected value, the
/// actual value and every event recorded under that name), never a crash, so a test can use
/// `withKnownIssue` to expect it.
public final class MetricsAssert: Sendable {
    /// The collector to register; it keeps every event (up to `capacity`).
    public let memory: MemoryMetricsCollector

    /// Creates a probe keeping up to `capacity` events.
    public init(capacity: Int = 1_000_000) {
        memory = MemoryMetricsCollector(capacity: capacity)
    }

    /// The collector to register with a ``MetricsRegistry``.
    public var collector: any MetricsCollector { memory }

    /// Every event recorded, oldest first.
    public var events: [MetricEvent] { memory.events }

    /// The events recorded under `name`, oldest first.
    public func events(named name: String) -> [MetricEvent] {
        memory.events.filter { $0.name == name }
    }

    /// Forgets every event.
    public func reset() { memory.reset() }

    // MARK: Assertions

    /// Asserts that the counters recorded under `name` add up to `expected`.
    public func assertCounter(_ name: String, expected: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        let recorded = events(named: name)
        let counters = recorded.compactMap { event -> Int64? in
            if case .counter(let value) = event.value { return value }
            return nil
        }
        guard !counters.isEmpty else {
            fail("expected counter \(name) to total \(expected), but no counter was recorded under that name", recorded, sourceLocation)
            return
        }
        // Totalled exactly: a sum past Int64 fails rather than wrapping round to the expected value.
        let total = counters.reduce(Int128(0)) { $0 + Int128($1) }
        if total != Int128(expected) {
            let overflow = Int128(Int64.min)...Int128(Int64.max) ~= total ? "" : " (past Int64's range)"
            fail("expected counter \(name) to total \(expected), but it totals \(total)\(overflow)", recorded, sourceLocation)
        }
    }

    /// Asserts that the last gauge recorded under `name` is `expected` (within `tolerance`).
    public func assertGauge(
        _ name: String, expected: Double, tolerance: Double = 0, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let recorded = events(named: name)
        let last = recorded.last { if case .gauge = $0.value { true } else { false } }
        guard let last, case .gauge(let value) = last.value else {
            fail("expected gauge \(name) to be \(expected), but no gauge was recorded under that name", recorded, sourceLocation)
            return
        }
        if !(abs(value - expected) <= tolerance) && !(value.isNaN && expected.isNaN) {
            fail("expected gauge \(name) to be \(expected), but its last value is \(value)", recorded, sourceLocation)
        }
    }

    /// Asserts that a timer was recorded under `name` (exactly `times` times, when given).
    public func assertTimerCalled(_ name: String, times: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let recorded = events(named: name)
        let count = recorded.filter { if case .timer = $0.value { true } else { false } }.count
        if let times {
            if count != times {
                fail("expected timer \(name) to be recorded \(times) time(s), but it was recorded \(count) time(s)", recorded, sourceLocation)
            }
        } else if count == 0 {
            fail("expected timer \(name) to be recorded, but it was not", recorded, sourceLocation)
        }
    }

    /// Asserts that some event recorded under `name` carries all of `include` (it may carry more).
    public func assertTags(_ name: String, include: Tags, sourceLocation: SourceLocation = #_sourceLocation) {
        let recorded = events(named: name)
        if !recorded.contains(where: { $0.tags.contains(include) }) {
            fail("expected an event \(name) with tags \(include), but none has them", recorded, sourceLocation)
        }
    }

    /// Asserts that nothing was recorded.
    public func assertNoMetrics(sourceLocation: SourceLocation = #_sourceLocation) {
        let recorded = events
        if !recorded.isEmpty {
            fail("expected no metrics, but \(recorded.count) event(s) were recorded", recorded, sourceLocation)
        }
    }

    private func fail(_ message: String, _ recorded: [MetricEvent], _ sourceLocation: SourceLocation) {
        let listing = recorded.isEmpty
            ? "recorded under that name: nothing"
            : "recorded under that name:\n" + recorded.prefix(20).map { "  \(describe($0))" }.joined(separator: "\n")
                + (recorded.count > 20 ? "\n  … and \(recorded.count - 20) more" : "")
        Issue.record(Comment(rawValue: message + "\n" + listing), sourceLocation: sourceLocation)
    }

    private func describe(_ event: MetricEvent) -> String {
        let value: String
        switch event.value {
        case .counter(let count): value = "counter \(count)"
        case .gauge(let level): value = "gauge \(level)"
        case .timer(let duration): value = "timer \(duration)"
        case .custom(let data): value = "custom \(data)"
        }
        return "\(event.name)\(event.tags) \(value)"
    }
}
