/// A half-open time interval `[start, end)`; a missing bound is unbounded.
public struct TimeRange: Sendable, Hashable {
    /// The first instant included, or `nil` for no lower bound.
    public var start: MetricTimestamp?
    /// The first instant excluded, or `nil` for no upper bound.
    public var end: MetricTimestamp?

    /// Creates a range; `start` is inclusive, `end` exclusive.
    public init(start: MetricTimestamp? = nil, end: MetricTimestamp? = nil) {
        self.start = start
        self.end = end
    }

    /// Whether the instant lies in the range.
    @inlinable
    public func contains(_ instant: MetricTimestamp) -> Bool {
        if let start, instant < start { return false }
        if let end, instant >= end { return false }
        return true
    }

    /// Whether any instant of `[low, high]` lies in the range.
    public func overlaps(low: MetricTimestamp, high: MetricTimestamp) -> Bool {
        if let start, high < start { return false }
        if let end, low >= end { return false }
        return true
    }
}

/// A condition on one tag, as in PromQL label matchers. A missing tag reads as the empty string.
public struct TagMatcher: Sendable, Hashable, CustomStringConvertible {
    /// How a matcher compares.
    public enum Operation: String, Sendable, Hashable {
        /// `=`: equal to the value.
        case equal = "="
        /// `!=`: not equal to the value.
        case notEqual = "!="
        /// `=~`: the whole value matches the regular expression.
        case matchesRegex = "=~"
        /// `!~`: the whole value does not match the regular expression.
        case notMatchesRegex = "!~"
    }

    /// The tag's key.
    public var key: String
    /// The comparison.
    public var operation: Operation
    /// The value or regular expression.
    public var value: String

    /// Creates a matcher. Regular expressions are checked when a query compiles them.
    public init(_ key: String, _ operation: Operation, _ value: String) {
        self.key = key
        self.operation = operation
        self.value = value
    }

    public var description: String {
        var escaped = ""
        for character in value {
            if character == "\\" || character == "\"" { escaped.append("\\") }
            escaped.append(character)
        }
        return "\(key)\(operation.rawValue)\"\(escaped)\""
    }
}

/// What to select from recorded events.
public struct MetricsQuery: Sendable, Hashable {
    /// Name globs (`*` matches any run of characters); empty selects every name.
    public var metricNames: [String]
    /// Only events in this range, when set.
    public var timeRange: TimeRange?
    /// Only events that carry all of these tags with these values, when set.
    public var tags: Tags?
    /// Further tag conditions, all of which must hold.
    public var matchers: [TagMatcher]
    /// Tag keys to group aggregations by; an event without a key groups under the empty string.
    public var groupBy: [String]

    /// Creates a query.
    public init(
        metricNames: [String] = [],
        timeRange: TimeRange? = nil,
        tags: Tags? = nil,
        matchers: [TagMatcher] = [],
        groupBy: [String] = []
    ) {
        self.metricNames = metricNames
        self.timeRange = timeRange
        self.tags = tags
        self.matchers = matchers
        self.groupBy = groupBy
    }
}

/// How to fold the values of selected events into one number per group.
public enum Aggregation: Sendable, Hashable {
    case sum
    case average
    case min
    case max
    case count
    /// The value of the earliest event by timestamp (ties: the first appended).
    case first
    /// The value of the latest event by timestamp (ties: the last appended).
    case last
    /// The sample standard deviation (n − 1); no value for fewer than two values.
    case standardDeviation
    /// The q-th percentile, q in [0, 100], exact (Hyndman–Fan type 7).
    case percentile(Double)
    /// A function registered by name in an ``AggregationRegistry``.
    case custom(String)

    /// The name as the query language spells it.
    public var name: String {
        switch self {
        case .sum: "sum"
        case .average: "avg"
        case .min: "min"
        case .max: "max"
        case .count: "count"
        case .first: "first"
        case .last: "last"
        case .standardDeviation: "stddev"
        case .percentile(let q): "percentile(\(q))"
        case .custom(let name): name
        }
    }
}

/// The events a query selected.
public struct MetricsResult: Sendable, Hashable {
    /// The events, in recording order.
    public var events: [MetricEvent]

    /// Wraps events.
    public init(events: [MetricEvent]) { self.events = events }
}

/// One group's aggregated value.
public struct AggregateRow: Sendable, Hashable {
    /// The group: one tag per `groupBy` key (empty without grouping).
    public var group: Tags
    /// The aggregated value.
    public var value: Double
    /// How many events fell into the group.
    public var count: Int

    /// Creates a row.
    public init(group: Tags, value: Double, count: Int) {
        self.group = group
        self.value = value
        self.count = count
    }
}

/// The rows of an aggregation, ordered by group (see the query language's ordering rule, docs/QUERY.md).
public struct AggregateResult: Sendable, Hashable {
    /// One row per non-empty group, ordered by the group's tag values.
    public var rows: [AggregateRow]
    /// What the reader left out because stored data was damaged (empty for in-memory readers).
    public var skipped: SkippedData
    /// Remarks about the query rather than the data, for standard error: a `by` key or matcher tag
    /// that no selected event carries (so every row groups it under ""), with a hint when a data
    /// field has that name.
    public var notes: [String]
    /// The values' unit when known: `"s"` when every value is a time in seconds (an aggregation other
    /// than `count` of timers only, or sums and differences of such), else `nil`.
    public var unit: String?

    /// Wraps rows.
    public init(rows: [AggregateRow], skipped: SkippedData = SkippedData(), notes: [String] = [], unit: String? = nil) {
        self.rows = rows
        self.skipped = skipped
        self.notes = notes
        self.unit = unit
    }

    /// The value of the only row when there is no grouping; `nil` when nothing matched.
    public var value: Double? { rows.first?.value }
}

/// Why a reader could not answer.
public enum MetricsReaderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The aggregation needs numbers and the named metric is a custom event.
    case aggregationNeedsNumbers(aggregation: String, metric: String)
    /// A percentile outside [0, 100].
    case percentileOutOfRange(Double)
    /// No aggregation of that name is registered.
    case unknownAggregation(String, known: [String])
    /// A tag matcher's regular expression does not compile.
    case invalidRegex(String, reason: String)
    /// Two aggregations of one arithmetic expression group by different keys, so their rows cannot be matched.
    case groupKeysDiffer([String], [String])
    /// A time bucket (`every`) of no length or a negative one, in nanoseconds.
    case invalidBucket(Int64)

    public var description: String {
        switch self {
        case .aggregationNeedsNumbers(let aggregation, let metric):
            "\(aggregation) needs numeric values, but \(metric) is a custom event: only count applies to custom events"
        case .percentileOutOfRange(let q):
            "percentile \(q) is outside [0, 100]"
        case .unknownAggregation(let name, let known):
            "unknown aggregation '\(name)'; known: \(known.joined(separator: ", "))"
        case .invalidRegex(let pattern, let reason):
            "invalid regular expression \"\(pattern)\": \(reason)"
        case .groupKeysDiffer(let left, let right):
            "aggregations combined by arithmetic must group by the same keys: by (\(left.joined(separator: ", "))) and by (\(right.joined(separator: ", ")))"
        case .invalidBucket(let nanoseconds):
            "a time bucket must be at least 1 ns long, not \(nanoseconds) ns"
        }
    }
}

/// What a reader left out of an answer because stored data was damaged: each such place was also
/// reported as a warning. An answer with a non-empty `SkippedData` is an answer over less than the
/// data that was stored.
public struct SkippedData: Sendable, Hashable {
    /// Events known to be left out.
    public var events: Int
    /// Damaged places skipped (blocks, regions, segments, gaps).
    public var places: Int
    /// Places whose event count is unknown (then `events` is a lower bound).
    public var placesOfUnknownSize: Int

    /// Nothing skipped.
    public init(events: Int = 0, places: Int = 0, placesOfUnknownSize: Int = 0) {
        self.events = events
        self.places = places
        self.placesOfUnknownSize = placesOfUnknownSize
    }

    /// Whether nothing was skipped.
    public var isEmpty: Bool { places == 0 }

    /// Counts one skipped place holding `events` events (`nil`: unknown).
    public mutating func add(events count: Int?) {
        places += 1
        if let count { events += count } else { placesOfUnknownSize += 1 }
    }

    /// Adds another tally.
    public mutating func add(_ other: SkippedData) {
        events += other.events
        places += other.places
        placesOfUnknownSize += other.placesOfUnknownSize
    }
}
