public import MMMMetricsCore
public import MMMMetricsLog

/// A log root or an archive as a ``MetricsReader``: the questions a person asks with
/// `mmm-analyze query`, asked from Swift, with the same types the memory collector serves.
///
/// Every event carries its session as the tag `session` (the stream's id wins over an event's own).
public struct LogMetricsReader: MetricsReader {
    /// The query engine (and through it, the source).
    public let engine: QueryEngine

    /// A reader over `source`; `functions` adds custom aggregations.
    public init(source: any LogSource, functions: AggregationRegistry = AggregationRegistry()) {
        engine = QueryEngine(source: source, functions: functions)
    }

    /// The matching events of every session, session by session (by id), each in sequence order.
    public func query(_ query: MetricsQuery) async throws -> MetricsResult {
        let reader = LogReader(source: engine.source)
        var selector = try EventSelector(MetricsQuery(metricNames: query.metricNames, timeRange: query.timeRange, tags: query.tags, matchers: query.matchers))
        var events: [MetricEvent] = []
        for session in try reader.sessions() {
            let sessionTag: Tags = ["session": session]
            for (_, event) in try reader.events(session: session, filter: ReadFilter(timeRange: query.timeRange, names: query.metricNames)) {
                var tagged = event
                tagged.tags = event.tags.merging(sessionTag)
                if selector.selects(tagged) { events.append(event) }
            }
        }
        return MetricsResult(events: events)
    }

    /// Aggregates over every session, exactly as the query language does.
    public func aggregate(_ aggregation: Aggregation, for query: MetricsQuery) async throws -> AggregateResult {
        try engine.aggregate(aggregation, for: query)
    }
}
