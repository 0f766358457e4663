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
