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
    /// The summary of a decoded block.
    package init(_ block: DecodedBlock) {
        self = block.metricOfEvent.withUnsafeBufferPointer { metricOfEvent in
            block.rawValues.withUnsafeBufferPointer { raw in
                Self.summarize(
                    count: block.count, metrics: block.metrics, metricOfEvent: metricOfEvent, tagKeys: block.tagKeys,
                    tagColumns: block.tagColumns, strings: block.strings
                ) { index, kind in
                    let bits = raw[index]
                    switch kind {
                    case .counter: return Double(Int64(bitPattern: bits))
                    case .gauge: return Double(bitPattern: bits)
                    case .timer: return Double(Int64(bitPattern: bits)) / 1e9
                    case .custom: return nil
                    }
                }
            }
        }
    }

    /// Summarises events given in columns: each event's metric, its tag references per key (0: absent,
    /// else the index in `strings` plus one; keys in ascending byte order) and its number, as
    /// ``DecodedBlock/numericValue(at:)`` gives it.
    package static func summarize(
        count: Int, metrics: [BlockMetric], metricOfEvent: UnsafeBufferPointer<UInt32>, tagKeys: [String], tagColumns: [[UInt32]],
        strings: [String], value: (Int, StoredKind) -> Double?
    ) -> BlockSummary {
        var totals = [SummaryTotals](repeating: SummaryTotals(), count: metrics.count)
        var sampled = [Bool](repeating: false, count: metrics.count)
        // Per metric its series (nil once there are too many), each with the event that shows its tags.
        var seriesOfMetric = [[Int]?](repeating: [], count: metrics.count)
        var seriesTotals: [SummaryTotals] = []
        var seriesExample: [Int] = []
        var candidates: [UInt64: [Int]] = [:]
        // Per metric and tag column ("state" = metric × columns + column): the totals per reference.
        let columnCount = tagColumns.count
        let states = metrics.count * columnCount
        var stateSlots = [[UInt32: Int]](repeating: [:], count: states)
        var stateReferences = [[UInt32]](repeating: [], count: states)
        var stateLast = [(reference: UInt32, slot: Int)](repeating: (0, -1), count: states)
        var stateFull = [Bool](repeating: false, count: states)
        var stateCarried = [Bool](repeating: false, count: states)
        var tagTotals: [SummaryTotals] = []
        let sampleColumn = tagKeys.firstIndex { ExactText($0) == ExactText(SampleRate.tag) }
        var previousMetric = -1
        var previousSeries = -1
        for index in 0..<min(count, metricOfEvent.count) {
            let metric = Int(metricOfEvent[index])
            guard metric < metrics.count else { continue }
            let kind = metrics[metric].kind
            let number = value(index, kind)
            totals[metric].add(number)
            if let sampleColumn, tagColumns[sampleColumn][index] != 0 { sampled[metric] = true }
            for column in 0..<columnCount {
                let state = metric * columnCount + column
                guard !stateFull[state] else { continue }
                let reference = tagColumns[column][index]
                var slot = stateLast[state].slot
                if reference != stateLast[state].reference || slot < 0 {
                    if let known = stateSlots[state][reference] {
                        slot = known
                    } else if stateReferences[state].count < maximumSeriesPerMetric {
                        slot = tagTotals.count
                        tagTotals.append(SummaryTotals())
                        stateSlots[state][reference] = slot
                        stateReferences[state].append(reference)
                    } else {
                        stateFull[state] = true
                        continue
                    }
                    stateLast[state] = (reference, slot)
                }
                if reference != 0 { stateCarried[state] = true }
                tagTotals[slot].add(number)
            }
            guard seriesOfMetric[metric] != nil else {
                previousMetric = -1
                continue
            }
            // The previous event's series when the metric and every tag repeat (the common case).
            var series = -1
            if metric == previousMetric, previousSeries >= 0, index > 0 {
                var same = true
                for column in 0..<columnCount where tagColumns[column][index] != tagColumns[column][index - 1] {
                    same = false
                    break
                }
                if same { series = previousSeries }
            }
            if series < 0 {
                var hash = UInt64(metric) &* 0x9E37_79B9_7F4A_7C15
                for column in 0..<columnCount { hash = (hash ^ UInt64(tagColumns[column][index])) &* 0x100_0000_01B3 }
                for candidate in candidates[hash] ?? [] {
                    let example = seriesExample[candidate]
                    guard Int(metricOfEvent[example]) == metric else { continue }
                    if (0..<columnCount).allSatisfy({ tagColumns[$0][index] == tagColumns[$0][example] }) {
                        series = candidate
                        break
                    }
                }
                if series < 0 {
                    guard seriesOfMetric[metric]!.count < maximumSeriesPerMetric else {
                        seriesOfMetric[metric] = nil
                        previousMetric = -1
                        continue
                    }
                    series = seriesTotals.count
                    seriesTotals.append(SummaryTotals())
                    seriesExample.append(index)
                    candidates[hash, default: []].append(series)
                    seriesOfMetric[metric]!.append(series)
                }
            }
            seriesTotals[series].add(number)
            previousMetric = metric
            previousSeries = series
        }
        var summaries: [Metric] = []
        var order: [Int] = []
        var listed = [Bool](repeating: false, count: metrics.count)
        for index in 0..<min(count, metricOfEvent.count) {
            let metric = Int(metricOfEvent[index])
            if metric < metrics.count, !listed[metric] {
                listed[metric] = true
                order.append(metric)
            }
        }
        for metric in order {
            let series = seriesOfMetric[metric].map { list in
                list.map { series -> Series in
                    let example = seriesExample[series]
                    var keys: [String] = []
                    var values: [String] = []
                    for column in 0..<columnCount {
                        let reference = Int(tagColumns[column][example])
                        guard reference > 0, reference <= strings.count else { continue }
                        keys.append(tagKeys[column])
                        values.append(strings[reference - 1])
                    }
                    return Series(keys: keys, values: values, totals: seriesTotals[series])
                }
            }
            var tags: [TagTotals] = []
            for column in 0..<columnCount where stateCarried[metric * columnCount + column] {
                let state = metric * columnCount + column
                let values = stateFull[state] ? nil : stateReferences[state].map { reference in
                    (value: reference == 0 || Int(reference) > strings.count ? nil : strings[Int(reference) - 1],
                     totals: tagTotals[stateSlots[state][reference]!])
                }
                tags.append(TagTotals(key: tagKeys[column], values: values))
            }
            summaries.append(Metric(name: metrics[metric].name, kind: metrics[metric].kind, sampled: sampled[metric],
                                    totals: totals[metric], series: series, tags: tags))
        }
        return BlockSummary(metrics: summaries)
    }
}
