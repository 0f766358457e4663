public import MMMMetricsCore
public import MMMMetricsLog

/// Evaluates aggregations over stored sessions, working on decoded block columns: names, tag
/// matchers and group keys are resolved once per block and per distinct tag value, not per event
/// (see ``QueryPlan`` and ``BlockAggregation``).
///
/// `session` is a tag of every event: the id of the stream it was stored in (it wins over an
/// event's own `session` tag). Percentiles are exact (Hyndman–Fan type 7) and keep one `Double`
/// per matched value; every other aggregation keeps constant memory per group. A query with
/// several aggregations replays the log once per distinct aggregation.
public struct QueryEngine: Sendable {
    /// Where sessions are read from.
    public let source: any LogSource
    /// Custom aggregation functions the queries may call.
    public let functions: AggregationRegistry
    /// Whether `count` and `sum` count each event kept by sampling as 1/rate events (the default;
    /// `mmm-analyze query --raw` turns it off). Other aggregations never scale.
    public let scalesSampledEvents: Bool

    /// An engine over `source`.
    public init(source: any LogSource, functions: AggregationRegistry = AggregationRegistry(), scalesSampledEvents: Bool = true) {
        self.source = source
        self.functions = functions
        self.scalesSampledEvents = scalesSampledEvents
    }

    /// Parses and runs a query (see docs/QUERY.md). Damage is handled as
    /// ``aggregate(_:for:sessions:mode:warning:progress:)`` says.
    public func run(
        _ text: String, sessions: [String] = [], mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in },
        progress: ((Int) -> Void)? = nil
    ) throws -> AggregateResult {
        try run(try QueryParser.parse(text, functions: functions), sessions: sessions, mode: mode, warning: warning, progress: progress)
    }

    /// Runs a parsed query: each aggregation, the arithmetic between them row by row, the
    /// comparison, then `top`/`bottom`. Rows come ordered by group (docs/QUERY.md, "Order").
    /// A damaged place is reported once however many aggregations read it.
    public func run(
        _ query: ParsedQuery, sessions: [String] = [], mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in },
        progress: ((Int) -> Void)? = nil
    ) throws -> AggregateResult {
        let first = query.aggregates.first?.groupBy ?? []
        if let other = query.aggregates.first(where: { Set($0.groupBy) != Set(first) || $0.groupBy.count != first.count }) {
            throw MetricsReaderError.groupKeysDiffer(first, other.groupBy)
        }
        let (evaluated, skipped, notes, unit) = try withoutActuallyEscaping(warning) { warning in
            var evaluation = Evaluation(engine: self, query: query, sessions: sessions, mode: mode, warning: warning, progress: progress)
            let evaluated = try evaluation.evaluate(query.expression)
            return (evaluated, evaluation.skipped, evaluation.notes, evaluation.unit(of: query.expression))
        }
        var rows = evaluated.rows.map { group, row in
            AggregateRow(group: Tags(zip(evaluated.keys, group.values)), value: row.value, count: row.count)
        }
        if let comparison = query.comparison { rows.removeAll { !comparison.holds(for: $0.value) } }
        let keys = evaluated.keys
        rows = GroupOrder.sorted(rows) { row in keys.map { row.group[$0] ?? "" } }
        // top and bottom rank by value, NaN last either way (it is neither large nor small), ties in group order.
        func ranked(_ largestFirst: Bool, _ count: Int) -> [AggregateRow] {
            let sorted = rows.enumerated().sorted { lhs, rhs in
                let (a, b) = (lhs.element.value, rhs.element.value)
                if a.isNaN || b.isNaN { return a.isNaN == b.isNaN ? lhs.offset < rhs.offset : b.isNaN }
                if a != b { return largestFirst ? a > b : a < b }
                return lhs.offset < rhs.offset
            }
            return Array(sorted.prefix(count).map(\.element))
        }
        switch query.limit {
        case .top(let count)?: rows = ranked(true, count)
        case .bottom(let count)?: rows = ranked(false, count)
        case nil: break
        }
        return AggregateResult(rows: rows, skipped: skipped, notes: notes, unit: unit)
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
        try aggregate(aggregation, for: query, bucket: nil, sessions: sessions, mode: mode, warning: warning, progress: progress)
    }

    func aggregate(
        _ aggregation: Aggregation, for query: MetricsQuery, bucket: Int64?, sessions: [String], mode: ReadMode,
        warning: (ReadWarning) -> Void, progress: ((Int) -> Void)?
    ) throws -> AggregateResult {
        var plan = try QueryPlan(query, bucket: bucket)
        plan.scalesSampledEvents = scalesSampledEvents
        let keys = query.groupBy + (bucket == nil ? [] : ["time"])
        var aggregator = try GroupedAggregator(aggregation, groupBy: keys, functions: functions)
        let selected = sessions.isEmpty ? try LogReader(source: source).sessions() : sessions
        let reading = SessionReading(
            source: source, plan: plan, mode: mode, keepsTimestamps: aggregator.needsTimestamps, keepsTotals: aggregator.acceptsTotals,
            parts: plan.decodedParts(countsOnly: aggregator.countsOnly, keepsTimestamps: aggregator.needsTimestamps),
            // count, sum, avg, min and max take a block's totals when it has few enough series (see SummaryAggregation).
            summaries: SummaryAggregation.applies(to: plan, aggregator: aggregator))
        var skipped = SkippedData()
        var usage = KeyUsage()
        var processed = 0
        var sessionPlan: QueryPlan?
        // Sessions are read and their blocks decoded on other threads; what they read is folded here,
        // in the order a single thread would (see SessionPool).
        try SessionPool.run(count: selected.count, read: { index, emit in reading.read(selected[index], emit: emit) }) { index, item in
            let session = selected[index]
            switch item {
            case .warning(let issue):
                skipped.add(issue)
                warning(issue)
            case .summary(let summary, let events):
                if sessionPlan == nil { sessionPlan = plan.forSession(session) }
                guard sessionPlan != nil else { return }
                try SummaryAggregation.fold(summary, session: session, plan: &sessionPlan!, usage: &usage, into: &aggregator)
                processed += events
                progress?(processed)
            case .block(let block):
                try block.flush(into: &aggregator, usage: &usage)
                processed += block.eventCount
                progress?(processed)
            case .end(let sessionUsage):
                usage.merge(sessionUsage)
                sessionPlan = nil
            case .failed(let error):
                throw error
            }
        }
        let missing = plan.checkedTagKeys.filter { !usage.carriedTags.contains($0) }
        if !missing.isEmpty, usage.customEventsLackingTags > 0 {
            usage.fieldsNamedLikeTags = fieldsNamedLike(missing, in: selected, plan: plan)
        }
        var result = aggregator.result()
        result.skipped = skipped
        result.notes = usage.notes(for: plan, names: query.metricNames) + result.notes
        result.unit = aggregation != .count && usage.onlyTimers == true ? "s" : nil
        return result
    }
}

extension QueryEngine {
    /// The hint of the warning about a tag no selected event carries: which of `keys` some selected
    /// custom event has as a data field (`did you mean data.kind?`). Only when that warning is due;
    /// reads the selected custom events in the log's order, one thread, parsing at most 10,000 of
    /// them (damage was reported by the query already, and is skipped here).
    func fieldsNamedLike(_ keys: [String], in sessions: [String], plan: QueryPlan) -> Set<String> {
        var found: Set<String> = []
        var parses = 0
        struct Done: Error {}
        let reader = LogReader(source: source)
        for session in sessions where plan.forSession(session) != nil {
            do {
                try reader.replay(session: session, filter: plan.filter, mode: .lenient, warning: { _ in }, acceptsSummary: nil) { replayed in
                    guard case .decoded(let block, _) = replayed else { return }
                    let selected = block.metrics.map { $0.kind == .custom && (plan.names.isEmpty || plan.names.matches($0.name)) }
                    guard selected.contains(true) else { return }
                    for index in 0..<block.count where selected[Int(block.metricOfEvent[index])] {
                        if let timeRange = plan.timeRange, !timeRange.contains(MetricTimestamp(nanosecondsSinceEpoch: block.timestamps[index])) {
                            continue
                        }
                        parses += 1
                        if case .object(let fields) = block.customData(Int(block.rawValues[index])) {
                            for key in keys where fields[key] != nil { found.insert(key) }
                        }
                        if found.count == keys.count || parses >= 10_000 { throw Done() }
                    }
                }
            } catch {
                break  // done, or the log cannot be read here (the query said so already)
            }
        }
        return found
    }
}

/// Reading one session for a query, on any thread: replays its blocks, takes each block's totals
/// or decodes it and sorts its events into groups, and hands each on in order.
struct SessionReading: @unchecked Sendable {  // read only; `plan` is copied per session
    let source: any LogSource
    let plan: QueryPlan
    let mode: ReadMode
    let keepsTimestamps: Bool
    let keepsTotals: Bool
    /// What to decode of each block the query reads.
    let parts: DecodedParts
    let summaries: Bool

    private struct Stopped: Error {}

    /// Reads `session`, handing every item to `emit`; stops when `emit` answers false.
    func read(_ session: String, emit: (SessionItem) -> Bool) {
        var usage = KeyUsage()
        guard var sessionPlan = plan.forSession(session) else {
            _ = emit(.end(usage))
            return
        }
        let accepts: ((BlockSummary, BlockHeader) -> Bool)? = summaries ? { [sessionPlan] summary, header in
            SummaryAggregation.accepts(summary, minimum: header.minTimestamp, maximum: header.maxTimestamp, plan: sessionPlan)
        } : nil
        var stopped = false
        do {
            try LogReader(source: source).replay(session: session, filter: plan.filter, mode: mode, warning: { issue in
                if !stopped, !emit(.warning(issue)) { stopped = true }
            }, parts: parts, tagKeys: plan.tagKeysRead, valueMetrics: plan.valueMetricsRead, acceptsSummary: accepts) { replayed in
                if stopped { throw Stopped() }
                let block: DecodedBlock
                switch replayed {
                case .summarized(let summary, let header):
                    guard emit(.summary(summary, events: header.eventCount)) else { throw Stopped() }
                    return
                case .decoded(let decoded, let summaryDeclined):
                    block = decoded
                    // A block the index has no summary for is summarised here: the same blocks take the same path
                    // (the reader decoded its values; its timestamps only when a time range needs them).
                    if summaries, !summaryDeclined, block.parts.contains(.values), sessionPlan.timeRange == nil || block.timeRange != nil,
                        let summary = BlockSummary(block)
                    {
                        let range = block.timeRange ?? 0...0  // without a time range, `accepts` reads no times
                        if SummaryAggregation.accepts(summary, minimum: range.lowerBound, maximum: range.upperBound, plan: sessionPlan) {
                            guard emit(.summary(summary, events: block.count)) else { throw Stopped() }
                            return
                        }
                    }
                }
                var aggregation = BlockAggregation(
                    block, session: session, plan: &sessionPlan, keepsTimestamps: keepsTimestamps, keepsTotals: keepsTotals, usage: usage)
                aggregation.run(usage: &usage)
                guard emit(.block(aggregation.groups())) else { throw Stopped() }
            }
            if !stopped { _ = emit(.end(usage)) }
        } catch is Stopped {
        } catch {
            if !stopped { _ = emit(.failed(error)) }
        }
    }
}
