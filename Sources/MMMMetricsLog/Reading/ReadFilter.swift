public import MMMMetricsCore
import MMMMetricsLogFormat

/// Which events a replay wants: pushed down to skip blocks through the index.
public struct ReadFilter: Sendable, Hashable {
    /// Only events in this range.
    public var timeRange: TimeRange?
    /// Only these names (globs); empty for all.
    public var names: [String]

    /// A filter; the default selects everything.
    public init(timeRange: TimeRange? = nil, names: [String] = []) {
        self.timeRange = timeRange
        self.names = names
    }
}

/// A ``ReadFilter`` with its name globs compiled: the one place that decides whether a block may hold
/// selected events and whether an event is selected.
package struct CompiledReadFilter {
    package let names: NameGlobList
    package let timeRange: TimeRange?

    package init(_ filter: ReadFilter) {
        names = NameGlobList(filter.names)
        timeRange = filter.timeRange
    }

    /// Whether a block with this header (and these metric names, when an index knows them) may hold
    /// a selected event.
    package func admits(_ header: BlockHeader, names blockNames: [String]?) -> Bool {
        if let timeRange,
            !timeRange.overlaps(low: MetricTimestamp(nanosecondsSinceEpoch: header.minTimestamp),
                                high: MetricTimestamp(nanosecondsSinceEpoch: header.maxTimestamp))
        {
            return false
        }
        if !names.isEmpty, let blockNames, !blockNames.contains(where: names.matches) { return false }
        return true
    }

    /// Whether event `index` of `block` is selected.
    @inline(__always)
    package func selects(_ block: DecodedBlock, _ index: Int) -> Bool {
        if !names.isEmpty, !names.matches(block.name(at: index)) { return false }
        if let timeRange, !timeRange.contains(MetricTimestamp(nanosecondsSinceEpoch: block.timestamps[index])) { return false }
        return true
    }
}
