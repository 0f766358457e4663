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
            AggregateRow(group: Tags(zip(evaluated.keys, group)), value: row.value, count: row.count)
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
        var skipped = SkippedData()
        var usage = KeyUsage()
        var processed = 0
        let reader = LogReader(source: source)
        for session in sessions.isEmpty ? try reader.sessions() : sessions {
            guard var sessionPlan = plan.forSession(session) else { continue }
            try reader.replay(session: session, filter: plan.filter, mode: mode, warning: { issue in
                skipped.add(issue)
                warning(issue)
            }) { block in
                var aggregation = BlockAggregation(
                    block, session: session, plan: &sessionPlan, keepsTimestamps: aggregator.needsTimestamps, usage: usage)
                aggregation.run(usage: &usage)
                try aggregation.flush(into: &aggregator, usage: &usage)
                processed += block.count
                progress?(processed)
            }
        }
        var result = aggregator.result()
        result.skipped = skipped
        result.notes = usage.notes(for: plan, names: query.metricNames)
        result.unit = aggregation != .count && usage.onlyTimers == true ? "s" : nil
        return result
    }
}

/// One query's evaluation: each distinct aggregation run once, damage reported once per place.
private struct Evaluation {
    /// An expression's rows, keyed by group values in `keys` order, and what a group absent from
    /// them counts as (`count`/`sum`: 0; a number: itself; otherwise none: the row is dropped).
    struct Rows {
        var keys: [String]
        var rows: [[String]: (value: Double, count: Int)]
        var absent: Double?
        var grouped: Bool
    }

    let engine: QueryEngine
    let query: ParsedQuery
    let sessions: [String]
    let mode: ReadMode
    let warning: (ReadWarning) -> Void
    let progress: ((Int) -> Void)?
    var skipped = SkippedData()
    var notes: [String] = []
    private var reported: Set<[String]> = []
    private var answers: [AggregateExpression: Rows] = [:]
    private var units: [AggregateExpression: String?] = [:]

    init(engine: QueryEngine, query: ParsedQuery, sessions: [String], mode: ReadMode, warning: @escaping (ReadWarning) -> Void,
         progress: ((Int) -> Void)?) {
        self.engine = engine
        self.query = query
        self.sessions = sessions
        self.mode = mode
        self.warning = warning
        self.progress = progress
    }

    /// The unit of an expression's values: an aggregation's own; kept by `+` and `-` between values
    /// of one unit (or with a number); unknown after `*` and `/` (`* 1000` may mean milliseconds).
    func unit(of expression: QueryExpression) -> String? {
        switch expression {
        case .number: return nil
        case .aggregate(let aggregate): return units[aggregate] ?? nil
        case .arithmetic(let operation, let left, let right):
            guard operation == .add || operation == .subtract else { return nil }
            if case .number = left { return unit(of: right) }
            if case .number = right { return unit(of: left) }
            let unit = self.unit(of: left)
            return unit == self.unit(of: right) ? unit : nil
        }
    }

    mutating func evaluate(_ expression: QueryExpression) throws -> Rows {
        switch expression {
        case .number(let value):
            return Rows(keys: [], rows: [:], absent: value, grouped: false)
        case .aggregate(let aggregate):
            if let known = answers[aggregate] { return known }
            let rows = try run(aggregate)
            answers[aggregate] = rows
            return rows
        case .arithmetic(let operation, let left, let right):
            return combine(operation, try evaluate(left), try evaluate(right))
        }
    }

    /// Row by row: groups matched by their values under the same keys (the parser made sure both
    /// sides group by the same keys), in the left side's key order.
    func combine(_ operation: ArithmeticOperator, _ left: Rows, _ right: Rows) -> Rows {
        let keys = left.grouped ? left.keys : right.keys
        // The right side's groups rearranged into the left side's key order.
        let order = right.keys.isEmpty ? [] : keys.map { key in right.keys.firstIndex(of: key)! }
        var rightRows: [[String]: (value: Double, count: Int)] = [:]
        for (group, row) in right.rows { rightRows[order.map { group[$0] }] = row }
        var combined: [[String]: (value: Double, count: Int)] = [:]
        for group in Set(left.rows.keys).union(rightRows.keys) {
            let l = left.rows[group], r = rightRows[group]
            guard let a = l?.value ?? left.absent, let b = r?.value ?? right.absent, let value = operation.apply(a, b) else { continue }
            combined[group] = (value, (l?.count ?? 0) + (r?.count ?? 0))
        }
        let absent = left.absent.flatMap { a in right.absent.flatMap { b in operation.apply(a, b) } }
        return Rows(keys: keys, rows: combined, absent: absent, grouped: left.grouped || right.grouped)
    }

    private mutating func run(_ aggregate: AggregateExpression) throws -> Rows {
        let selection = MetricsQuery(
            metricNames: [aggregate.metric], timeRange: query.timeRange, matchers: aggregate.matchers, groupBy: aggregate.groupBy)
        var fresh: [ReadWarning] = []
        var reported = self.reported
        let result = try engine.aggregate(
            aggregate.aggregation, for: selection, bucket: query.bucketNanoseconds, sessions: sessions, mode: mode,
            warning: { issue in
                // Each aggregation reads the same damaged places: say each once.
                if reported.insert([issue.session, issue.segment, String(issue.offset), issue.message]).inserted { fresh.append(issue) }
            }, progress: progress)
        self.reported = reported
        for issue in fresh {
            skipped.add(issue)
            warning(issue)
        }
        for note in result.notes where !notes.contains(note) { notes.append(note) }
        units[aggregate] = result.unit
        let keys = aggregate.groupBy + (query.bucketNanoseconds == nil ? [] : ["time"])
        var rows: [[String]: (value: Double, count: Int)] = [:]
        for row in result.rows { rows[keys.map { row.group[$0] ?? "" }] = (row.value, row.count) }
        return Rows(keys: keys, rows: rows, absent: aggregate.absentIsZero ? 0 : nil, grouped: true)
    }
}
