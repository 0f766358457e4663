public import MMMMetricsCore
import MMMMetricsLog

/// A parsed query of the query language (docs/QUERY.md):
/// `p95(command.duration{status="ok"}) by (command) since -7d top 5`.
public struct ParsedQuery: Sendable, Hashable {
    /// The function: a built-in aggregation or a registered custom one.
    public var aggregation: Aggregation
    /// The metric-name glob of the selector.
    public var metric: String
    /// The selector's tag matchers.
    public var matchers: [TagMatcher]
    /// Tags to group by.
    public var groupBy: [String]
    /// `since` (inclusive).
    public var since: MetricTimestamp?
    /// `until` (exclusive).
    public var until: MetricTimestamp?
    /// `top N` (largest values first) or `bottom N` (smallest first).
    public var limit: Limit?

    /// A `top`/`bottom` clause.
    public enum Limit: Sendable, Hashable {
        case top(Int)
        case bottom(Int)
    }

    /// The selection as a ``MetricsQuery``.
    public var selection: MetricsQuery {
        let range: TimeRange? = since == nil && until == nil ? nil : TimeRange(start: since, end: until)
        return MetricsQuery(metricNames: [metric], timeRange: range, matchers: matchers, groupBy: groupBy)
    }
}

/// A query that does not parse: the query, the position and what was expected.
public struct QuerySyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The query text.
    public let query: String
    /// The 0-based character offset of the problem.
    public let position: Int
    /// What was wrong or expected.
    public let message: String

    /// Three lines: the message, the query, a caret under the position.
    public var description: String {
        "error: \(message) at position \(position + 1)\n  \(query)\n  \(String(repeating: " ", count: position))^"
    }
}

/// The query language's parser.
public enum QueryParser {
    /// Names of the built-in functions.
    public static let builtIns = AggregationRegistry.builtInNames

    /// Parses a query. `functions` supplies custom aggregation names; `now` anchors relative times.
    public static func parse(
        _ query: String, functions: AggregationRegistry? = nil, now: MetricTimestamp = .now()
    ) throws(QuerySyntaxError) -> ParsedQuery {
        var parser = Parser(text: Array(query), source: query, functions: functions, now: now)
        return try parser.parseQuery()
    }

    struct Parser {
        let text: [Character]
        let source: String
        let functions: AggregationRegistry?
        let now: MetricTimestamp
        var position = 0

        func fail(_ message: String, at offset: Int? = nil) -> QuerySyntaxError {
            QuerySyntaxError(query: source, position: min(offset ?? position, text.count), message: message)
        }

        mutating func skipSpace() {
            while position < text.count, text[position].isWhitespace { position += 1 }
        }

        var atEnd: Bool { position >= text.count }

        func peek() -> Character? { position < text.count ? text[position] : nil }

        mutating func expect(_ character: Character, _ what: String) throws(QuerySyntaxError) {
            skipSpace()
            guard peek() == character else {
                throw fail("expected \(what)" + (atEnd ? " but the query ended" : ", found '\(text[position])'"))
            }
            position += 1
        }

        static func isWordCharacter(_ character: Character) -> Bool {
            character.isLetter || character.isNumber || character == "_"
        }

        mutating func word() -> String {
            skipSpace()
            let start = position
            while position < text.count, Self.isWordCharacter(text[position]) { position += 1 }
            return String(text[start..<position])
        }

        mutating func parseQuery() throws(QuerySyntaxError) -> ParsedQuery {
            skipSpace()
            let functionStart = position
            let function = word()
            guard !function.isEmpty else {
                throw fail("expected an aggregation function (\(known.joined(separator: ", ")))")
            }
            var aggregation: Aggregation
            switch function {
            case "count": aggregation = .count
            case "sum": aggregation = .sum
            case "avg": aggregation = .average
            case "min": aggregation = .min
            case "max": aggregation = .max
            case "percentile": aggregation = .percentile(0)
            case "p50": aggregation = .percentile(50)
            case "p75": aggregation = .percentile(75)
            case "p90": aggregation = .percentile(90)
            case "p95": aggregation = .percentile(95)
            case "p99": aggregation = .percentile(99)
            case "p999": aggregation = .percentile(99.9)
            default:
                guard functions?.function(named: function) != nil else {
                    throw fail("unknown function '\(function)'; known: \(known.joined(separator: ", "))", at: functionStart)
                }
                aggregation = .custom(function)
            }
            try expect("(", "'(' after \(function)")
            if function == "percentile" {
                skipSpace()
                let numberStart = position
                let q = number()
                guard let q else { throw fail("expected a percentile (a number from 0 to 100)", at: numberStart) }
                guard q >= 0, q <= 100 else { throw fail("percentile must be in [0, 100], got \(q)", at: numberStart) }
                aggregation = .percentile(q)
                try expect(",", "',' after the percentile")
            }
            let (metric, matchers) = try selector()
            try expect(")", "')' after the selector")
            var parsed = ParsedQuery(aggregation: aggregation, metric: metric, matchers: matchers, groupBy: [], since: nil, until: nil, limit: nil)
            skipSpace()
            let clauseStart = position
            if word() == "by" {
                try expect("(", "'(' after by")
                repeat {
                    skipSpace()
                    let tagStart = position
                    let tag = tagName()
                    guard !tag.isEmpty else { throw fail("expected a tag name", at: tagStart) }
                    parsed.groupBy.append(tag)
                    skipSpace()
                } while consume(",")
                try expect(")", "')' or ',' in the by list")
            } else {
                position = clauseStart
            }
            while true {
                skipSpace()
                if atEnd { return parsed }
                let keywordStart = position
                switch word() {
                case "since":
                    parsed.since = try time()
                case "until":
                    parsed.until = try time()
                case "top":
                    parsed.limit = .top(try integer())
                case "bottom":
                    parsed.limit = .bottom(try integer())
                case let other:
                    throw fail(other.isEmpty
                        ? "expected since, until, top, bottom" + (parsed.groupBy.isEmpty ? ", by" : "") + " or the end of the query"
                        : "unknown clause '\(other)'; expected since, until, top or bottom" + (parsed.groupBy.isEmpty ? " (or by)" : ""),
                        at: keywordStart)
                }
            }
        }

        var known: [String] { (QueryParser.builtIns + (functions?.registeredNames ?? [])).sorted() }

        mutating func consume(_ character: Character) -> Bool {
            skipSpace()
            guard peek() == character else { return false }
            position += 1
            return true
        }

        mutating func number() -> Double? {
            let start = position
            while position < text.count, text[position].isNumber || text[position] == "." || text[position] == "-" || text[position] == "+"
                || text[position] == "e" || text[position] == "E" { position += 1 }
            guard let value = Double(String(text[start..<position])) else {
                position = start
                return nil
            }
            return value
        }

        mutating func integer() throws(QuerySyntaxError) -> Int {
            skipSpace()
            let start = position
            while position < text.count, text[position].isNumber { position += 1 }
            guard let value = Int(String(text[start..<position])), value >= 0 else {
                throw fail("expected a non-negative integer", at: start)
            }
            return value
        }

        mutating func time() throws(QuerySyntaxError) -> MetricTimestamp {
            skipSpace()
            let start = position
            while position < text.count, !text[position].isWhitespace { position += 1 }
            let token = String(text[start..<position])
            guard !token.isEmpty, let time = TimeExpression.parse(token, now: now) else {
                throw fail("expected a time: RFC 3339 (2026-11-28T10:00:00Z) in \(RFC3339.supportedRange), now, or relative like -2h", at: start)
            }
            return time
        }

        mutating func tagName() -> String {
            let start = position
            while position < text.count, Self.isWordCharacter(text[position]) || text[position] == "." || text[position] == "-" { position += 1 }
            return String(text[start..<position])
        }

        mutating func selector() throws(QuerySyntaxError) -> (String, [TagMatcher]) {
            skipSpace()
            let start = position
            while position < text.count, Self.isWordCharacter(text[position]) || ".-*".contains(text[position]) { position += 1 }
            let metric = String(text[start..<position])
            guard !metric.isEmpty else { throw fail("expected a metric name (letters, digits, _ . - and * globs)", at: start) }
            var matchers: [TagMatcher] = []
            if consume("{") {
                if consume("}") { return (metric, matchers) }
                repeat {
                    skipSpace()
                    let tagStart = position
                    let tag = tagName()
                    guard !tag.isEmpty else { throw fail("expected a tag name in the matcher list", at: tagStart) }
                    skipSpace()
                    let operation: TagMatcher.Operation
                    if match("=~") { operation = .matchesRegex } else if match("!~") { operation = .notMatchesRegex }
                    else if match("!=") { operation = .notEqual } else if match("=") { operation = .equal }
                    else { throw fail("expected =, !=, =~ or !~ after \(tag)") }
                    let valueStart = position
                    let value = try string()
                    if operation == .matchesRegex || operation == .notMatchesRegex {
                        do { _ = try Regex(value) } catch {
                            throw fail("invalid regular expression: \(error)", at: valueStart)
                        }
                        if let offset = RegexSafety.nestedRepetition(in: value) {
                            throw fail("regular expression repeats a group that itself repeats (at character \(offset + 1) of the pattern): "
                                       + "matching can take exponential time, so it is refused; repeat the inner part only", at: valueStart)
                        }
                    }
                    matchers.append(TagMatcher(tag, operation, value))
                } while consume(",")
                try expect("}", "'}' or ',' in the matcher list")
            }
            return (metric, matchers)
        }

        mutating func match(_ token: String) -> Bool {
            let characters = Array(token)
            guard position + characters.count <= text.count, Array(text[position..<(position + characters.count)]) == characters else { return false }
            position += characters.count
            return true
        }

        mutating func string() throws(QuerySyntaxError) -> String {
            skipSpace()
            guard peek() == "\"" else { throw fail("expected a double-quoted string") }
            let start = position
            position += 1
            var value = ""
            while position < text.count {
                let character = text[position]
                position += 1
                switch character {
                case "\"": return value
                case "\\":
                    guard position < text.count, text[position] == "\"" || text[position] == "\\" else {
                        throw fail("only \\\" and \\\\ escapes are allowed in strings", at: position - 1)
                    }
                    value.append(text[position])
                    position += 1
                default: value.append(character)
                }
            }
            throw fail("unterminated string", at: start)
        }
    }
}
