
/// Keeps the most recent events in memory and answers queries over them.
///
/// Guarantees: at most `capacity` events are held; when full, the oldest is dropped and
/// ``droppedCount`` grows. `record` never blocks beyond a short lock. Queries see every event
/// recorded before they started.
public final class MemoryMetricsCollector: MetricsCollector, MetricsReader {
    private struct Ring {
        var storage: [MetricEvent] = []
        var head = 0  // index of the oldest event once the ring is full
        var dropped = 0

        mutating func append(_ event: MetricEvent, capacity: Int) {
            if storage.count < capacity {
                storage.append(event)
            } else {
                storage[head] = event
                head = (head + 1) % capacity
                dropped += 1
            }
        }

        var ordered: [MetricEvent] {
            head == 0 ? storage : Array(storage[head...] + storage[..<head])
        }
    }

    /// The most events held at once.
    public let capacity: Int
    private let ring = LockedState(Ring())
    private let functions: AggregationRegistry

    /// Creates a collector holding at most `capacity` events; `functions` supplies custom aggregations.
    public init(capacity: Int = 10_000, functions: AggregationRegistry = AggregationRegistry()) {
        self.capacity = max(1, capacity)
        self.functions = functions
    }

    public func record(_ event: MetricEvent) async throws {
        append(event)
    }

    public func record(contentsOf events: [MetricEvent]) async throws {
        let capacity = capacity
        ring.withLock { ring in
            for event in events { ring.append(event, capacity: capacity) }
        }
    }

    /// Appends an event synchronously.
    public func append(_ event: MetricEvent) {
        let capacity = capacity
        ring.withLock { $0.append(event, capacity: capacity) }
    }

    /// Nothing to flush: events are visible as soon as they are recorded.
    public func flush() async throws {}

    /// Every event held, oldest first.
    public var events: [MetricEvent] { ring.withLock { $0.ordered } }

    /// How many events were dropped because the collector was full.
    public var droppedCount: Int { ring.withLock { $0.dropped } }

    /// Removes every event and resets the dropped count.
    public func reset() { ring.withLock { $0 = Ring() } }

    public func query(_ query: MetricsQuery) async throws -> MetricsResult {
        var selector = try EventSelector(query)
        return MetricsResult(events: events.filter { selector.selects($0) })
    }

    public func aggregate(_ aggregation: Aggregation, for query: MetricsQuery) async throws -> AggregateResult {
        var selector = try EventSelector(query)
        var aggregator = try GroupedAggregator(aggregation, groupBy: query.groupBy, functions: functions)
        for event in events where selector.selects(event) {
            try aggregator.add(value: event.value.numericValue, timestamp: event.timestamp?.nanosecondsSinceEpoch ?? 0,
                               name: event.name, group: aggregator.groupKey(tags: event.tags))
        }
        return aggregator.result()
    }
}

/// Fans every event out to several collectors, as one.
///
/// Each child gets every event even when another throws; the first error is rethrown after all
/// children were called, so the registry counts it.
public struct CompositeMetricsCollector: MetricsCollector {
    /// The children, in call order.
    public let collectors: [any MetricsCollector]

    /// Combines collectors.
    public init(_ collectors: [any MetricsCollector]) {
        self.collectors = collectors
    }

    public func record(_ event: MetricEvent) async throws {
        try await forEach { try await $0.record(event) }
    }

    public func record(contentsOf events: [MetricEvent]) async throws {
        try await forEach { try await $0.record(contentsOf: events) }
    }

    public func flush() async throws {
        try await forEach { try await $0.flush() }
    }

    private func forEach(_ body: (any MetricsCollector) async throws -> Void) async throws {
        var firstError: (any Error)?
        for collector in collectors {
            do { try await body(collector) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }
}
