import MMMMetricsCore
import MMMMetricsLog

/// Where a group key's value comes from.
enum GroupKey: Hashable {
    /// `session`: the id of the stream the event is stored in.
    case session
    /// A tag of the event ("" when absent).
    case tag(String)
    /// `__name__`: the metric name.
    case name
    /// `data.FIELD`: a top-level field of a custom event's data ("" when absent).
    case data(String)
    /// `time` (from `every`): the start of the event's bucket of this many nanoseconds.
    case time(Int64)

    init(_ key: String) {
        if key == "session" { self = .session }
        else if key == "__name__" { self = .name }
        else if key.hasPrefix("data."), key.count > 5 { self = .data(String(key.dropFirst(5))) }
        else { self = .tag(key) }
    }
}

/// A query compiled once: its block push-down filter, its name globs and tag matchers. Conditions on
/// the `session` tag are decided per session, before any block of it is read.
struct QueryPlan {
    let filter: ReadFilter
    let names: NameGlobList
    let groupKeys: [GroupKey]
    let timeRange: TimeRange?
    private let sessionMatchers: [CompiledTagMatcher]
    /// Matchers on event tags (not `session`).
    var tagMatchers: [CompiledTagMatcher]
    /// Whether `count` and `sum` of sampled events scale by 1/rate.
    var scalesSampledEvents = true

    /// Compiles `query`; exact `tags` become `=` matchers; `bucket` (nanoseconds) adds the `time`
    /// key. Throws for an invalid regular expression or a bucket shorter than 1 ns.
    init(_ query: MetricsQuery, bucket: Int64? = nil) throws {
        if let bucket, bucket < 1 { throw MetricsReaderError.invalidBucket(bucket) }
        let matchers = try ((query.tags.map { tags in tags.map { TagMatcher($0.key, .equal, $0.value) } } ?? []) + query.matchers)
            .map(CompiledTagMatcher.init)
        filter = ReadFilter(timeRange: query.timeRange, names: query.metricNames)
        names = NameGlobList(query.metricNames)
        groupKeys = query.groupBy.map(GroupKey.init) + (bucket.map { [.time($0)] } ?? [])
        timeRange = query.timeRange
        sessionMatchers = matchers.filter { $0.key == "session" }
        tagMatchers = matchers.filter { $0.key != "session" }
    }

    /// The plan for one session, or `nil` when a condition on `session` rules it out.
    func forSession(_ session: String) -> QueryPlan? {
        var matchers = sessionMatchers
        return matchers.indices.allSatisfy({ matchers[$0].holds(for: session) }) ? self : nil
    }

    /// The tag keys whose absence from every selected event is worth a warning: the `by` tags and
    /// the matchers' tags.
    var checkedTagKeys: [String] {
        var keys: [String] = []
        for case .tag(let key) in groupKeys where !keys.contains(key) { keys.append(key) }
        for matcher in tagMatchers where !keys.contains(matcher.key) { keys.append(matcher.key) }
        return keys
    }

    /// The data fields grouped by.
    var checkedDataFields: [String] {
        groupKeys.compactMap { if case .data(let field) = $0 { field } else { nil } }
    }

    /// The tag keys whose columns the query reads: those it groups by or matches, and the sample
    /// rate's when it scales sampled events.
    var tagKeysRead: Set<String> {
        var keys = Set(checkedTagKeys)
        if scalesSampledEvents { keys.insert(SampleRate.tag) }
        return keys
    }

    /// The metrics whose values the query reads, when it names them all (no glob): a block stored
    /// in sections then leaves the value sections of other kinds unread. nil: any metric's.
    var valueMetricsRead: Set<String>? {
        guard !names.isEmpty, names.globs.allSatisfy(\.isLiteral) else { return nil }
        return Set(names.globs.map(\.pattern))
    }

    /// What of each block the query reads beyond its metric and tag columns (``DecodedParts``):
    /// custom data only to group by a data field (which finds an event's data through its value);
    /// values unless the aggregation only counts events (`countsOnly`); timestamps for a time
    /// range, a time bucket or an aggregation over time (`keepsTimestamps`: `first`, `last`).
    func decodedParts(countsOnly: Bool, keepsTimestamps: Bool) -> DecodedParts {
        if !checkedDataFields.isEmpty { return .all }
        var parts: DecodedParts = countsOnly ? [] : .values
        let bucketed = groupKeys.contains { if case .time = $0 { true } else { false } }
        if timeRange != nil || bucketed || keepsTimestamps { parts.insert(.timestamps) }
        return parts
    }
}
