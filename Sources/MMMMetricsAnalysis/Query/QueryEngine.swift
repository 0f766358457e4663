public import MMMMetricsCore
public import MMMMetricsLog

/// Evaluates aggregations over stored sessions, working on decoded block columns: names, tag
/// matchers and group keys are resolved once per block and per distinct tag value, not per event
/// (see ``QueryPlan`` and ``BlockAggregation``).
///
/// `session` is a tag of every event: the id of the stream it was stored in (it wins over an
/// event's own `session` tag). Percentiles are exact (Hyndman–Fan type 7) and keep one `Double`
/// per matched value; every other aggregation keeps constant memory per group.
public struct QueryEngine: Sendable {
    /// Where sessions are read from.
    public let source: any LogSource
    /// Custom aggregation functions the queries may call.
    public let functions: AggregationRegistry

    /// An engine over `source`.
    public init(source: any LogSource, functions: AggregationRegistry = AggregationRegistry()) {
        self.source = source
        self.functions = functions
    }

    /// Parses and runs a query (see docs/QUERY.md). Damage is handled as
    /// ``aggregate(_:for:sessions:mode:warning:progress:)`` says.
    public func run(
        _ text: String, sessions: [String] = [], mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in },
        progress: ((Int) -> Void)? = nil
    ) throws -> AggregateResult {
        try run(try QueryParser.parse(text, functions: functions), sessions: sessions, mode: mode, warning: warning, progress: progress)
    }

    /// Runs a parsed query: aggregation, then `top`/`bottom`.
    public func run(
        _ query: ParsedQuery, sessions: [String] = [], mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in },
        progress: ((Int) -> Void)? = nil
    ) throws -> AggregateResult {
        let range: TimeRange? = query.since == nil && query.until == nil ? nil : TimeRange(start: query.since, end: query.until)
        let selection = MetricsQuery(metricNames: [query.metric], timeRange: range, matchers: query.matchers, groupBy: query.groupBy)
        var result = try aggregate(query.aggregation, for: selection, sessions: sessions, mode: mode, warning: warning, progress: progress)
        switch query.limit {
        case .top(let count)?:
            result.rows = Array(result.rows.enumerated().sorted { ($1.element.value, $0.offset) < ($0.element.value, $1.offset) }.prefix(count).map(\.element))
        case .bottom(let count)?:
            result.rows = Array(result.rows.enumerated().sorted { ($0.element.value, $0.offset) < ($1.element.value, $1.offset) }.prefix(count).map(\.element))
        case nil:
            break
        }
        return result
    }

    /// Aggregates the values of the events `query` selects in `sessions` (every session when empty).
    ///
    /// In `.strict` mode damaged stored data fails the query; in `.lenient` mode (the default) it is
    /// skipped, each place reported through `warning`, and the result's ``AggregateResult/skipped``
    /// says how much was left out, so an answer over less data than was stored never looks complete.
    public func aggregate(
        _ aggregation: Aggregation, for query: MetricsQuery, sessions: [String] = [], mode: ReadMode = .lenient,
        warning: (ReadWarning) -> Void = { _ in }, progress: ((Int) -> Void)? = nil
    ) throws -> AggregateResult {
        let plan = try QueryPlan(query)
        var aggregator = try GroupedAggregator(aggregation, groupBy: query.groupBy, functions: functions)
        var skipped = SkippedData()
        var processed = 0
        let reader = LogReader(source: source)
        for session in sessions.isEmpty ? try reader.sessions() : sessions {
            guard var sessionPlan = plan.forSession(session) else { continue }
            try reader.replay(session: session, filter: plan.filter, mode: mode, warning: { issue in
                skipped.add(issue)
                warning(issue)
            }) { block in
                var aggregation = BlockAggregation(block, session: session, plan: &sessionPlan)
                aggregation.run()
                try aggregation.flush(into: &aggregator)
                processed += block.count
                progress?(processed)
            }
        }
        var result = aggregator.result()
        result.skipped = skipped
        return result
    }
}
