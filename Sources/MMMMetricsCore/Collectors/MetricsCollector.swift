// MARK: - Library SPI

/// A destination for metric events: memory, a file log, a remote service, a plugin.
///
/// What an implementation must guarantee:
/// - it is `Sendable` and may be called from any task;
/// - ``record(_:)`` returns promptly: it hands the event to a buffer and does any slow work
///   (I/O, network) elsewhere or in ``flush()``;
/// - failures are thrown, never trapped: the registry catches them, counts them per collector
///   and logs them, and the code that recorded the metric never sees them.
///
/// A registry calls a collector from one task at a time, in the order events were recorded,
/// so an implementation needs no ordering logic of its own.
public protocol MetricsCollector: Sendable {
    /// Accepts one event.
    func record(_ event: MetricEvent) async throws
    /// Accepts a batch of events, in order. The default calls ``record(_:)`` for each;
    /// collectors that write in batches should implement it.
    func record(contentsOf events: [MetricEvent]) async throws
    /// Makes every event accepted so far durable or delivered, as far as the collector can.
    func flush() async throws
    /// Ends the collector: delivers what it holds and releases what it opened (files, locks,
    /// connections). A registry calls it once per registration, from ``MetricsRegistry/shutdown()``
    /// (or when the registry is released), after the last event. The default flushes.
    func close() async throws
}

extension MetricsCollector {
    public func close() async throws { try await flush() }

    public func record(contentsOf events: [MetricEvent]) async throws {
        for event in events { try await record(event) }
    }
}

/// Something that answers questions over recorded events: the memory collector, a stored log.
///
/// Guarantees: ``query(_:)`` returns matching events in recording order; ``aggregate(_:for:)``
/// computes exact results (percentiles by linear interpolation between closest ranks, as numpy's
/// default), and a group without values yields no row.
public protocol MetricsReader: Sendable {
    /// The events that match the query, in recording order.
    func query(_ query: MetricsQuery) async throws -> MetricsResult
    /// Aggregates the values of the matching events, grouped by `query.groupBy`.
    func aggregate(_ aggregation: Aggregation, for query: MetricsQuery) async throws -> AggregateResult
}
