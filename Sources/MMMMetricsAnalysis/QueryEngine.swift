public import MMMMetricsCore
public import MMMMetricsLog

/// What to aggregate: the general form behind both the query language and ``MetricsQuery``.
public struct Selection: Sendable, Hashable {
    /// Metric-name globs; empty selects every name.
    public var metricNames: [String]
    /// Tag conditions, all of which must hold (a missing tag reads as "").
    public var matchers: [TagMatcher]
    /// Tags to group by.
    public var groupBy: [String]
    /// Only events in this range.
    public var timeRange: TimeRange?

    /// A selection.
    public init(metricNames: [String], matchers: [TagMatcher] = [], groupBy: [String] = [], timeRange: TimeRange? = nil) {
        self.metricNames = metricNames
        self.matchers = matchers
        self.groupBy = groupBy
        self.timeRange = timeRange
    }

    /// The selection a ``MetricsQuery`` describes (exact `tags` become `=` matchers).
    public init(_ query: MetricsQuery) {
        self.init(
            metricNames: query.metricNames,
            matchers: (query.tags.map { tags in tags.map { TagMatcher($0.key, .equal, $0.value) } } ?? []) + query.matchers,
            groupBy: query.groupBy, timeRange: query.timeRange)
    }
}

/// Evaluates aggregations over stored sessions, working on decoded block columns: names, tag
/// matchers and group keys are resolved once per block and per distinct tag value, not per event.
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

    /// Parses and runs a query (see docs/QUERY.md). Damage is handled as ``aggregate(_:_:sessions:mode:warning:progress:)`` says.
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
        var result = try aggregate(
            query.aggregation, Selection(metricNames: [query.metric], matchers: query.matchers, groupBy: query.groupBy, timeRange: range),
            sessions: sessions, mode: mode, warning: warning, progress: progress)
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

    /// Up to four tag references: a group key inside one block, hashed without allocating.
    struct LocalKey: Hashable {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        var rest: [UInt32] = []
    }

    /// Aggregates the values of the selected events of `sessions` (every session when empty).
    ///
    /// In `.strict` mode damaged stored data fails the query; in `.lenient` mode (the default) it is
    /// skipped, each place reported through `warning`, and the result's ``AggregateResult/skipped``
    /// says how much was left out, so an answer over less data than was stored never looks complete.
    public func aggregate(
        _ aggregation: Aggregation, _ selection: Selection, sessions: [String] = [], mode: ReadMode = .lenient,
        warning: (ReadWarning) -> Void = { _ in }, progress: ((Int) -> Void)? = nil
    ) throws -> AggregateResult {
        var skipped = SkippedData()
        var aggregator = try GroupedAggregator(aggregation, groupBy: selection.groupBy, functions: functions)
        let names = NameGlobList(selection.metricNames)
        let matchers = try selection.matchers.map(CompiledTagMatcher.init)
        let reader = LogReader(source: source)
        let filter = ReadFilter(timeRange: selection.timeRange, names: selection.metricNames)
        var processed = 0
        for session in sessions.isEmpty ? try reader.sessions() : sessions {
            // Conditions on the session tag are decided once per session.
            var sessionMatchers = matchers.filter { $0.key == "session" }
            guard sessionMatchers.indices.allSatisfy({ sessionMatchers[$0].holds(for: session) }) else { continue }
            var tagMatchers = matchers.filter { $0.key != "session" }
            try reader.replay(session: session, filter: filter, mode: mode, warning: { issue in
                skipped.add(issue)
                warning(issue)
            }) { block in
                try aggregateBlock(block, session: session, names: names, matchers: &tagMatchers, selection: selection, into: &aggregator)
                processed += block.count
                progress?(processed)
            }
        }
        var result = aggregator.result()
        result.skipped = skipped
        return result
    }

    private func aggregateBlock(
        _ block: DecodedBlock, session: String, names: NameGlobList, matchers: inout [CompiledTagMatcher], selection: Selection,
        into aggregator: inout GroupedAggregator
    ) throws {
        // Per metric: selected or not.
        let selected = block.metrics.map { names.isEmpty || names.matches($0.name) }
        guard selected.contains(true) else { return }
        // Per matcher: the tag column it reads, and a verdict per string reference (computed on first use).
        struct MatcherPlan {
            let column: Int?
            var verdicts: [UInt8]  // 0 unknown, 1 false, 2 true; index 0 = tag absent
        }
        var plans = matchers.map { matcher in
            MatcherPlan(column: block.tagKeys.firstIndex(of: matcher.key), verdicts: [UInt8](repeating: 0, count: block.strings.count + 1))
        }
        // Per group key: the tag column it reads (nil: absent in this block), or the session.
        let groupColumns: [Int?] = selection.groupBy.map { $0 == "session" ? -1 : block.tagKeys.firstIndex(of: $0) }
        let range = selection.timeRange
        var slots: [LocalKey: Int] = [:]
        var slotKeys: [LocalKey] = []
        var slotValues: [[Double]] = []
        var slotNonNumeric: [Int] = []
        var slotName: [String] = []
        let noGrouping = groupColumns.isEmpty
        // With exactly one group key, slots are found by the key's tag reference (-1: the session; nil column: absent).
        let singleColumn: Int? = groupColumns.count == 1 ? (groupColumns[0] ?? -1) : nil
        var slotByReference = [Int](repeating: -1, count: singleColumn == nil ? 0 : block.strings.count + 1)

        for index in 0..<block.count {
            let metric = Int(block.metricOfEvent[index])
            guard selected[metric] else { continue }
            if let range, !range.contains(MetricTimestamp(nanosecondsSinceEpoch: block.timestamps[index])) { continue }
            var passes = true
            for planIndex in plans.indices {
                let reference = plans[planIndex].column.map { Int(block.tagColumns[$0][index]) } ?? 0
                var verdict = plans[planIndex].verdicts[reference]
                if verdict == 0 {
                    let value = reference == 0 ? "" : block.strings[reference - 1]
                    verdict = matchers[planIndex].holds(for: value) ? 2 : 1
                    plans[planIndex].verdicts[reference] = verdict
                }
                if verdict == 1 {
                    passes = false
                    break
                }
            }
            guard passes else { continue }
            let slot: Int
            if let singleColumn {
                // One group key: the tag reference itself picks the slot, no hashing.
                let reference = singleColumn < 0 ? 0 : Int(block.tagColumns[singleColumn][index])
                if slotByReference[reference] < 0 {
                    slotByReference[reference] = slotKeys.count
                    slotKeys.append(LocalKey(a: UInt32(reference)))
                    slotValues.append([])
                    slotNonNumeric.append(0)
                    slotName.append(block.metrics[metric].name)
                }
                slot = slotByReference[reference]
            } else {
            var key = LocalKey()
            if !noGrouping {
                for (position, column) in groupColumns.enumerated() {
                    let reference: UInt32 = column.map { $0 < 0 ? 0 : block.tagColumns[$0][index] } ?? 0
                    switch position {
                    case 0: key.a = reference
                    case 1: key.b = reference
                    case 2: key.c = reference
                    case 3: key.d = reference
                    default: key.rest.append(reference)
                    }
                }
            }
            if let known = slots[key] {
                slot = known
            } else {
                slot = slotKeys.count
                slots[key] = slot
                slotKeys.append(key)
                slotValues.append([])
                slotNonNumeric.append(0)
                slotName.append(block.metrics[metric].name)
            }
            }
            if let value = block.numericValue(at: index) {
                slotValues[slot].append(value)
            } else {
                slotNonNumeric[slot] += 1
                slotName[slot] = block.metrics[metric].name
            }
        }
        for (slot, key) in slotKeys.enumerated() {
            var references = [key.a, key.b, key.c, key.d] + key.rest
            references = Array(references.prefix(groupColumns.count))
            let group = zip(groupColumns, references).map { column, reference -> String in
                if column == -1 { return session }
                return reference == 0 ? "" : block.strings[Int(reference) - 1]
            }
            try aggregator.add(contentsOf: slotValues[slot], nonNumeric: slotNonNumeric[slot], name: slotName[slot], group: group)
        }
    }
}
