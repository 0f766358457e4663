import MMMMetricsCore
import MMMMetricsLog

/// A query compiled once: its block push-down filter, its name globs and tag matchers. Conditions on
/// the `session` tag are decided per session, before any block of it is read.
struct QueryPlan {
    let filter: ReadFilter
    let names: NameGlobList
    let groupBy: [String]
    let timeRange: TimeRange?
    private let sessionMatchers: [CompiledTagMatcher]
    /// Matchers on event tags (not `session`).
    var tagMatchers: [CompiledTagMatcher]

    /// Compiles `query`; exact `tags` become `=` matchers. Throws for an invalid regular expression.
    init(_ query: MetricsQuery) throws {
        let matchers = try ((query.tags.map { tags in tags.map { TagMatcher($0.key, .equal, $0.value) } } ?? []) + query.matchers)
            .map(CompiledTagMatcher.init)
        filter = ReadFilter(timeRange: query.timeRange, names: query.metricNames)
        names = NameGlobList(query.metricNames)
        groupBy = query.groupBy
        timeRange = query.timeRange
        sessionMatchers = matchers.filter { $0.key == "session" }
        tagMatchers = matchers.filter { $0.key != "session" }
    }

    /// The plan for one session, or `nil` when a condition on `session` rules it out.
    func forSession(_ session: String) -> QueryPlan? {
        var matchers = sessionMatchers
        return matchers.indices.allSatisfy({ matchers[$0].holds(for: session) }) ? self : nil
    }
}
