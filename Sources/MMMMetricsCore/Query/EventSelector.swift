/// A ``TagMatcher`` ready to test values: its regular expression compiled once, and the verdict
/// for each distinct value cached (up to 65,536 values). Meant for one query run, by one task.
package struct CompiledTagMatcher {
    /// The tag's key.
    package let key: String
    /// The comparison.
    package let operation: TagMatcher.Operation
    /// The value or regular expression.
    package let value: String
    private let regex: Regex<AnyRegexOutput>?
    private var verdicts: [String: Bool] = [:]

    /// Compiles a matcher; an invalid regular expression throws ``MetricsReaderError/invalidRegex(_:reason:)``.
    package init(_ matcher: TagMatcher) throws {
        key = matcher.key
        operation = matcher.operation
        value = matcher.value
        if matcher.operation == .matchesRegex || matcher.operation == .notMatchesRegex {
            do { regex = try Regex(matcher.value) } catch {
                throw MetricsReaderError.invalidRegex(matcher.value, reason: "\(error)")
            }
            if let offset = RegexSafety.nestedRepetition(in: matcher.value) {
                throw MetricsReaderError.invalidRegex(matcher.value, reason: "a group that repeats is repeated (character \(offset + 1)): matching can take exponential time")
            }
        } else {
            regex = nil
        }
    }

    /// Whether a tag value satisfies the matcher (a missing tag is the empty string). Regexes match the whole value.
    package mutating func holds(for tagValue: String) -> Bool {
        switch operation {
        case .equal: return tagValue == value
        case .notEqual: return tagValue != value
        case .matchesRegex, .notMatchesRegex:
            let matched: Bool
            if let cached = verdicts[tagValue] {
                matched = cached
            } else {
                matched = (try? regex?.wholeMatch(in: tagValue)) != nil
                if verdicts.count < 65_536 { verdicts[tagValue] = matched }
            }
            return operation == .matchesRegex ? matched : !matched
        }
    }
}

/// A compiled ``MetricsQuery``: name globs, time range and tag conditions, ready to test events.
///
/// Regular expressions are compiled once; their verdict per distinct tag value is cached,
/// so a selector is meant for one query run, by one task.
package struct EventSelector {
    private let names: NameGlobList
    /// The query's time range, if any.
    package let timeRange: TimeRange?
    private let requiredTags: Tags?
    private var matchers: [CompiledTagMatcher]

    /// Compiles a query; an invalid regular expression throws ``MetricsReaderError/invalidRegex(_:reason:)``.
    package init(_ query: MetricsQuery) throws {
        names = NameGlobList(query.metricNames)
        timeRange = query.timeRange
        requiredTags = query.tags
        matchers = try query.matchers.map(CompiledTagMatcher.init)
    }

    /// Whether a metric name is selected.
    package func selects(name: String) -> Bool { names.isEmpty || names.matches(name) }

    /// Whether an event is selected. `extraTags` are tags the event carries implicitly
    /// (a stored log's `session`); the event's own tags win over them.
    package mutating func selects(_ event: MetricEvent, extraTags: Tags? = nil) -> Bool {
        guard selects(name: event.name) else { return false }
        if let timeRange, let timestamp = event.timestamp, !timeRange.contains(timestamp) { return false }
        return selects(tags: event.tags, extraTags: extraTags)
    }

    /// Whether tags satisfy the query's tag conditions.
    package mutating func selects(tags: Tags, extraTags: Tags? = nil) -> Bool {
        if let requiredTags {
            for tag in requiredTags where (tags[tag.key] ?? extraTags?[tag.key]) != tag.value { return false }
        }
        for index in matchers.indices {
            let key = matchers[index].key
            let tagValue = tags[key] ?? extraTags?[key] ?? ""
            if !matchers[index].holds(for: tagValue) { return false }
        }
        return true
    }
}
