import MMMMetricsCore
import MMMMetricsLog

/// One block's part of a `count`, `sum`, `avg`, `min` or `max` query taken from the block's summary
/// (its totals per metric and per series, docs/FORMAT.md "Block summaries") instead of its events.
///
/// Whether a block is answered from its summary depends on the query and the summary alone, never on
/// where the summary came from: a block without one in the index is decoded and summarised the same
/// way, so an answer is the same bit for bit with or without an index (sums are added series by
/// series, block by block, in stored order).
struct SummaryAggregation {
    /// Whether the query can be answered from summaries at all: its aggregation folds totals, and it
    /// groups only by `session`, `__name__` and tags.
    static func applies(to plan: QueryPlan, aggregator: GroupedAggregator) -> Bool {
        aggregator.acceptsTotals && plan.groupKeys.allSatisfy { key in
            switch key {
            case .session, .name, .tag: true
            case .data, .time: false
            }
        }
    }

    /// Whether `summary` answers the query for a block whose events lie in `minimum...maximum`: the
    /// block lies wholly in the time range, and every selected metric has the totals the query needs.
    static func accepts(_ summary: BlockSummary, minimum: Int64, maximum: Int64, plan: QueryPlan) -> Bool {
        if let range = plan.timeRange {
            guard range.contains(MetricTimestamp(nanosecondsSinceEpoch: minimum)), range.contains(MetricTimestamp(nanosecondsSinceEpoch: maximum)) else {
                return false
            }
        }
        for metric in summary.metrics where plan.names.isEmpty || plan.names.matches(metric.name) {
            guard parts(of: metric, plan: plan) != nil else { return false }
        }
        return true
    }

    /// Part of a metric's events: the tags they share that the query looks at, and their totals.
    private struct Part {
        var tags: [(key: String, value: String)]
        var totals: SummaryTotals

        func tag(_ key: String) -> String? { tags.first { $0.key == key }?.value }
    }

    /// A metric's events split as finely as the query needs: all as one (no tags looked at), by the
    /// values of the one tag key it looks at, or by series; `nil` when the summary is too coarse.
    private static func parts(of metric: BlockSummary.Metric, plan: QueryPlan) -> [Part]? {
        let keys = plan.checkedTagKeys
        // A custom event lacking a checked tag may be parsed for the warning's hint (see BlockAggregation).
        if metric.kind == .custom, !keys.isEmpty { return nil }
        // Sampled events scale by their own rate: only series say which rate each event has.
        let sampled = plan.scalesSampledEvents && metric.sampled
        if keys.isEmpty, !sampled { return [Part(tags: [], totals: metric.totals)] }
        if keys.count == 1, !sampled {
            // Keys compare as Swift strings, as the query language compares them.
            let matching = metric.tags.filter { $0.key == keys[0] }
            if matching.isEmpty { return [Part(tags: [], totals: metric.totals)] }
            if matching.count == 1, let values = matching[0].values {
                return values.map { value, totals in Part(tags: value.map { [(keys[0], $0)] } ?? [], totals: totals) }
            }
        }
        return metric.series?.map { series in Part(tags: zip(series.keys, series.values).map { ($0, $1) }, totals: series.totals) }
    }

    /// Adds the block's selected metrics (their parts that pass the matchers) to `aggregator`.
    static func fold(
        _ summary: BlockSummary, session: String, plan: inout QueryPlan, usage: inout KeyUsage, into aggregator: inout GroupedAggregator
    ) throws {
        for metric in summary.metrics where plan.names.isEmpty || plan.names.matches(metric.name) {
            usage.selectedEvents += metric.totals.count
            guard let parts = parts(of: metric, plan: plan) else { continue }  // accepts(…) said otherwise
            for part in parts {
                for key in plan.checkedTagKeys where !usage.carriedTags.contains(key) && part.tag(key) != nil { usage.carriedTags.insert(key) }
                var passes = true
                for position in plan.tagMatchers.indices where !plan.tagMatchers[position].holds(for: part.tag(plan.tagMatchers[position].key) ?? "") {
                    passes = false
                    break
                }
                guard passes, part.totals.count > 0 else { continue }
                let isTimer = metric.kind == .timer
                if usage.onlyTimers != false, usage.onlyTimers != isTimer { usage.onlyTimers = usage.onlyTimers == nil ? isTimer : false }
                let totals = part.totals
                var extraCount = 0.0
                var extraSum = 0.0
                if plan.scalesSampledEvents, let rate = part.tag(SampleRate.tag) {
                    if let weight = SampleRate.weight(rate) {
                        extraCount = Double(totals.count) * (weight - 1)
                        extraSum = totals.numeric > 0 ? totals.sum * (weight - 1) : 0
                    } else {
                        usage.invalidRates += totals.count
                    }
                }
                let group = plan.groupKeys.map { key -> String in
                    switch key {
                    case .name: metric.name
                    case .tag(let name): part.tag(name) ?? ""
                    default: session
                    }
                }
                try aggregator.add(count: totals.count, numeric: totals.numeric, sum: totals.sum, minimum: totals.minimum, maximum: totals.maximum,
                                   nonNumeric: metric.kind == .custom, extraCount: extraCount, extraSum: extraSum, name: metric.name, group: group)
            }
        }
    }
}
