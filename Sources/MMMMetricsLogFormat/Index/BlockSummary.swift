import MMMMetricsCore

/// Count, sum and extremes of some events' numbers, folded in event order (as a query folds them).
///
/// NaN counts as an event but not as a number; custom events count and add no number.
package struct SummaryTotals: Sendable {
    /// Events.
    package var count = 0
    /// Events with a number that is not NaN.
    package var numeric = 0
    /// The numbers' sum, added in event order.
    package var sum = 0.0
    /// The smallest number (+∞ when none); the first of equal ones.
    package var minimum = Double.infinity
    /// The largest number (−∞ when none); the first of equal ones.
    package var maximum = -Double.infinity

    package init() {}

    package init(count: Int, numeric: Int, sum: Double, minimum: Double, maximum: Double) {
        self.count = count
        self.numeric = numeric
        self.sum = sum
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Adds one event's number (`nil` for a custom event).
    @inline(__always)
    package mutating func add(_ value: Double?) {
        count += 1
        guard let value, !value.isNaN else { return }
        numeric += 1
        sum += value
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
    }
}

extension SummaryTotals: Hashable {
    // By bits: a NaN sum equals itself, and −0.0 is not 0.0 (so a stale index cannot hide behind them).
    package static func == (left: SummaryTotals, right: SummaryTotals) -> Bool {
        left.count == right.count && left.numeric == right.numeric && left.sum.bitPattern == right.sum.bitPattern
            && left.minimum.bitPattern == right.minimum.bitPattern && left.maximum.bitPattern == right.maximum.bitPattern
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(numeric)
        hasher.combine(sum.bitPattern)
    }
}

/// What an index keeps about one block's events so that `count`, `sum`, `avg`, `min` and `max` need
/// not decode it (docs/FORMAT.md, "Block summaries"): per metric its totals, and per series (the
/// metric with one set of tags) the series' totals when the metric has at most
/// ``maximumSeriesPerMetric`` of them.
///
/// A summary is a function of the block's events alone: the writer's, `recover`'s and a reader's
/// (from the decoded block) are equal, which `verify` checks.
package struct BlockSummary: Sendable, Hashable {
    /// A metric whose events have more distinct tag sets than this has no series in the summary.
    package static let maximumSeriesPerMetric = 64
    /// A block whose summary would cost more than this (see ``cost``) has none: its metrics are too
    /// many for totals to save much, and an index must stay small.
    package static let maximumCostPerBlock = 4_096
    /// An index whose summaries would cost more than this in all has none (a writer stops keeping them
    /// past it, so its memory stays bounded; a reader refuses an index claiming more).
    package static let maximumCostPerIndex = 1 << 18

    /// What keeping the summary costs, in units of about 40 bytes: one per metric, series, tag key,
    /// tag value and series tag, and one per 32 bytes of their strings (each occurrence counted).
    package var cost: Int {
        var cost = 0
        func text(_ string: String?) { cost += 1 + (string?.utf8.count ?? 0) / 32 }
        for metric in metrics {
            text(metric.name)
            for series in metric.series ?? [] {
                cost += 1
                for (key, value) in zip(series.keys, series.values) {
                    text(key)
                    text(value)
                }
            }
            for tag in metric.tags {
                text(tag.key)
                for value in tag.values ?? [] { text(value.value) }
            }
        }
        return cost
    }

    /// One set of tags of a metric: its totals.
    package struct Series: Sendable {
        /// Tag keys, in ascending byte order, and their values.
        package var keys: [String]
        package var values: [String]
        package var totals: SummaryTotals
    }

    /// One tag key of a metric: the totals per value it takes (`nil`: events without the key).
    package struct TagTotals: Sendable {
        package var key: String
        /// In order of first appearance; `nil` when the key takes more than ``maximumSeriesPerMetric`` values.
        package var values: [(value: String?, totals: SummaryTotals)]?
    }

    /// A metric of the block (a name with a kind): its totals, and its series when they are few.
    package struct Metric: Sendable {
        package var name: String
        package var kind: StoredKind
        /// Whether some event of it carries the sample-rate tag (``SampleRate/tag``).
        package var sampled: Bool
        package var totals: SummaryTotals
        /// In order of first appearance; `nil` when there are more than ``maximumSeriesPerMetric``.
        package var series: [Series]?
        /// For each tag key some event of the metric carries, in ascending byte order: totals per value.
        package var tags: [TagTotals] = []
    }

    /// In order of first appearance.
    package var metrics: [Metric]

    package init(metrics: [Metric]) { self.metrics = metrics }
}

// Strings compare by bytes, as the block stores them (é and e + U+0301 are two).
extension BlockSummary.Series: Hashable {
    package static func == (left: Self, right: Self) -> Bool {
        left.totals == right.totals && left.keys.map(ExactText.init) == right.keys.map(ExactText.init)
            && left.values.map(ExactText.init) == right.values.map(ExactText.init)
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(totals) }
}

extension BlockSummary.TagTotals: Hashable {
    package static func == (left: Self, right: Self) -> Bool {
        guard ExactText(left.key) == ExactText(right.key) else { return false }
        guard let a = left.values, let b = right.values else { return left.values == nil && right.values == nil }
        return a.count == b.count && zip(a, b).allSatisfy { x, y in x.value.map(ExactText.init) == y.value.map(ExactText.init) && x.totals == y.totals }
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(ExactText(key)) }
}

extension BlockSummary.Metric: Hashable {
    package static func == (left: Self, right: Self) -> Bool {
        ExactText(left.name) == ExactText(right.name) && left.kind == right.kind && left.sampled == right.sampled
            && left.totals == right.totals && left.series == right.series && left.tags == right.tags
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(ExactText(name))
        hasher.combine(totals)
    }
}

extension BlockSummary {
    /// The summary of a decoded block; `nil` when it would cost more than ``maximumCostPerBlock``.
    package init?(_ block: DecodedBlock) {
        let columns = block.tagKeys.count
        var summarizer = BlockSummarizer()
        let sampleColumn = block.tagKeys.firstIndex { ExactText($0) == ExactText(SampleRate.tag) }
        var references = [UInt32](repeating: 0, count: columns)
        for index in 0..<block.count {
            for column in 0..<columns { references[column] = block.tagColumns[column][index] }
            let metric = Int(block.metricOfEvent[index])
            summarizer.add(metric: metric, references: references, sampleColumn: sampleColumn, number: block.numericValue(at: index))
        }
        guard let summary = summarizer.finish(metrics: block.metrics, keys: block.tagKeys, keyOrder: Array(0..<columns),
                                                 stringCount: block.stringCount, string: block.string(at:)) else {
            return nil
        }
        self = summary
    }
}

/// Totals a block's events one at a time, as the writer encodes them or a reader decodes them (the
/// same events in the same order give the same ``BlockSummary``).
package struct BlockSummarizer {
    /// The totals per value of one tag key of one metric (a "state").
    private struct TagState {
        var full = false
        var carried = false
        var lastReference: UInt32 = 0
        var lastSlot = -1
        var references: [UInt32] = []
        var totals: [SummaryTotals] = []

        /// A state for a key first met after the metric's earlier events, which all lack it.
        init(earlier: SummaryTotals) {
            guard earlier.count > 0 else { return }
            references = [0]
            totals = [earlier]
            lastSlot = 0
        }

        @inline(__always)
        mutating func add(_ reference: UInt32, _ number: Double?) {
            if full { return }
            var slot = lastSlot
            if reference != lastReference || slot < 0 {
                slot = references.firstIndex(of: reference) ?? -1
                if slot < 0 {
                    guard references.count < BlockSummary.maximumSeriesPerMetric else {
                        full = true
                        references = []
                        totals = []
                        return
                    }
                    slot = references.count
                    references.append(reference)
                    totals.append(SummaryTotals())
                }
                lastReference = reference
                lastSlot = slot
            }
            if reference != 0 { carried = true }
            totals[slot].add(number)
        }
    }

    private struct MetricState {
        var totals = SummaryTotals()
        var sampled = false
        var tags: [TagState] = []
        /// Indices into `series`; `nil` once there are too many.
        var series: [Int]? = []
        var lastSeries = -1
    }

    private var metrics: [MetricState] = []
    private var order: [Int] = []
    /// Set once the block has more metrics than a summary may cost: nothing more is kept.
    private var abandoned = false
    private var seriesReferences: [[UInt32]] = []
    private var seriesTotals: [SummaryTotals] = []

    package init() {}

    /// Adds one event: its metric's index, its tag references per column so far (0: absent, else the
    /// string's index plus one; a column first met later counts as absent for earlier events), the
    /// column of the sample-rate tag if any, and its number as queries take it (`nil` for custom).
    @inline(__always)
    package mutating func add<References: RandomAccessCollection>(
        metric: Int, references: References, sampleColumn: Int?, number: Double?
    ) where References.Element: FixedWidthInteger, References.Index == Int {
        if abandoned { return }
        if metric >= BlockSummary.maximumCostPerBlock {
            abandoned = true
            metrics = []
            seriesReferences = []
            seriesTotals = []
            return
        }
        if metric >= metrics.count { metrics += Array(repeating: MetricState(), count: metric + 1 - metrics.count) }
        if metrics[metric].totals.count == 0 { order.append(metric) }
        let columns = references.count
        if metrics[metric].tags.count < columns {
            let earlier = metrics[metric].totals
            metrics[metric].tags += Array(repeating: TagState(earlier: earlier), count: columns - metrics[metric].tags.count)
        }
        metrics[metric].totals.add(number)
        if let sampleColumn, sampleColumn < columns, references[sampleColumn] != 0 { metrics[metric].sampled = true }
        for column in 0..<columns { metrics[metric].tags[column].add(UInt32(truncatingIfNeeded: references[column]), number) }
        guard metrics[metric].series != nil else { return }
        let series = seriesOf(metric: metric, references: references)
        if series >= 0 { seriesTotals[series].add(number) }
    }

    /// The event's series (made on first use), or -1 once the metric has too many.
    @inline(__always)
    private mutating func seriesOf<References: RandomAccessCollection>(metric: Int, references: References) -> Int
    where References.Element: FixedWidthInteger, References.Index == Int {
        func matches(_ series: Int) -> Bool {
            let stored = seriesReferences[series]
            for column in 0..<max(stored.count, references.count) {
                let mine = column < references.count ? UInt32(truncatingIfNeeded: references[column]) : 0
                let theirs = column < stored.count ? stored[column] : 0
                if mine != theirs { return false }
            }
            return true
        }
        let last = metrics[metric].lastSeries
        if last >= 0, matches(last) { return last }
        for candidate in metrics[metric].series! where candidate != last && matches(candidate) {
            metrics[metric].lastSeries = candidate
            return candidate
        }
        guard metrics[metric].series!.count < BlockSummary.maximumSeriesPerMetric else {
            metrics[metric].series = nil
            return -1
        }
        let series = seriesTotals.count
        seriesReferences.append(references.map { UInt32(truncatingIfNeeded: $0) })
        seriesTotals.append(SummaryTotals())
        metrics[metric].series!.append(series)
        metrics[metric].lastSeries = series
        return series
    }

    /// The summary: `metrics` and `keys` as the block lists them (by index), `keyOrder` the columns
    /// in ascending byte order of their keys; references point at the `stringCount` strings that
    /// `string` gives (asked only for those the summary names).
    /// `nil` when the summary would cost more than ``BlockSummary/maximumCostPerBlock``.
    package func finish(
        metrics blockMetrics: [BlockMetric], keys: [String], keyOrder: [Int], stringCount: Int, string text: (Int) -> String
    ) -> BlockSummary? {
        // Counted before anything is built: a block of 50,000 metrics is not summarised at all.
        guard !abandoned, order.count <= BlockSummary.maximumCostPerBlock else { return nil }
        func string(_ reference: UInt32) -> String? {
            reference == 0 || Int(reference) > stringCount ? nil : text(Int(reference) - 1)
        }
        var summaries: [BlockSummary.Metric] = []
        for metric in order where metric < blockMetrics.count {
            let state = metrics[metric]
            let series = state.series.map { list in
                list.map { series -> BlockSummary.Series in
                    let stored = seriesReferences[series]
                    var tagKeys: [String] = []
                    var values: [String] = []
                    for column in keyOrder where column < stored.count {
                        guard let value = string(stored[column]) else { continue }
                        tagKeys.append(keys[column])
                        values.append(value)
                    }
                    return BlockSummary.Series(keys: tagKeys, values: values, totals: seriesTotals[series])
                }
            }
            var tags: [BlockSummary.TagTotals] = []
            for column in keyOrder where column < state.tags.count && state.tags[column].carried {
                let tag = state.tags[column]
                let values = tag.full ? nil : zip(tag.references, tag.totals).map { (value: string($0), totals: $1) }
                tags.append(BlockSummary.TagTotals(key: keys[column], values: values))
            }
            summaries.append(BlockSummary.Metric(name: blockMetrics[metric].name, kind: blockMetrics[metric].kind, sampled: state.sampled,
                                                 totals: state.totals, series: series, tags: tags))
        }
        let summary = BlockSummary(metrics: summaries)
        return summary.cost <= BlockSummary.maximumCostPerBlock ? summary : nil
    }
}
