public import MMMMetricsCore
import MMMMetricsLog

/// A parsed query of the query language (docs/QUERY.md): an arithmetic expression over
/// aggregations, an optional comparison that keeps rows, and clauses:
/// `count(command.duration{status="error"}) by (command) / count(command.duration) by (command) > 0.1 since -7d`.
public struct ParsedQuery: Sendable, Hashable {
    /// The value computed per group.
    public var expression: QueryExpression
    /// `> 60` and the like: only rows whose value satisfies it are kept.
    public var comparison: QueryComparison?
    /// `since` (inclusive).
    public var since: MetricTimestamp?
    /// `until` (exclusive).
    public var until: MetricTimestamp?
    /// `top N` (largest values first) or `bottom N` (smallest first).
    public var limit: Limit?
    /// `every D`: the width of time buckets in nanoseconds; adds the group key `time`.
    public var bucketNanoseconds: Int64?

    /// A query from its parts (as the parser makes them).
    public init(
        expression: QueryExpression, comparison: QueryComparison? = nil, since: MetricTimestamp? = nil, until: MetricTimestamp? = nil,
        limit: Limit? = nil, bucketNanoseconds: Int64? = nil
    ) {
        self.expression = expression
        self.comparison = comparison
        self.since = since
        self.until = until
        self.limit = limit
        self.bucketNanoseconds = bucketNanoseconds
    }

    /// A `top`/`bottom` clause.
    public enum Limit: Sendable, Hashable {
        case top(Int)
        case bottom(Int)
    }

    /// The aggregations of the expression, left to right (at least one).
    public var aggregates: [AggregateExpression] { expression.aggregates }

    /// The first aggregation's function (the whole query's, in a query of one aggregation).
    public var aggregation: Aggregation { aggregates[0].aggregation }
    /// The first aggregation's metric-name glob.
    public var metric: String { aggregates[0].metric }
    /// The first aggregation's tag matchers.
    public var matchers: [TagMatcher] { aggregates[0].matchers }
    /// The group keys of every row, in order: the `by` keys (the same on every aggregation), then
    /// `time` with `every`.
    public var groupBy: [String] { aggregates[0].groupBy + (bucketNanoseconds == nil ? [] : ["time"]) }

    /// The time range of `since`/`until`, when either is given.
    public var timeRange: TimeRange? {
        since == nil && until == nil ? nil : TimeRange(start: since, end: until)
    }

    /// The first aggregation's selection as a ``MetricsQuery``.
    public var selection: MetricsQuery {
        MetricsQuery(metricNames: [metric], timeRange: timeRange, matchers: matchers, groupBy: aggregates[0].groupBy)
    }
}

/// One aggregation of a query: `p95(command.duration{status="ok"}) by (command)`.
public struct AggregateExpression: Sendable, Hashable {
    /// The function: a built-in aggregation or a registered custom one.
    public var aggregation: Aggregation
    /// The metric-name glob of the selector.
    public var metric: String
    /// The selector's tag matchers.
    public var matchers: [TagMatcher]
    /// The `by` keys: tag names, `__name__` (the metric name) or `data.FIELD` (a field of custom events' data).
    public var groupBy: [String]

    /// Creates an aggregation.
    public init(aggregation: Aggregation, metric: String, matchers: [TagMatcher] = [], groupBy: [String] = []) {
        self.aggregation = aggregation
        self.metric = metric
        self.matchers = matchers
        self.groupBy = groupBy
    }

    /// Whether a group this aggregation has no row for counts as 0 in arithmetic (`count` and `sum`).
    public var absentIsZero: Bool { aggregation == .count || aggregation == .sum }
}

/// The arithmetic of the query language.
public indirect enum QueryExpression: Sendable, Hashable {
    /// A number, applied to every row.
    case number(Double)
    /// An aggregation: one row per group.
    case aggregate(AggregateExpression)
    /// Two expressions combined row by row, matched by group.
    case arithmetic(ArithmeticOperator, QueryExpression, QueryExpression)

    /// The aggregations, left to right.
    public var aggregates: [AggregateExpression] {
        switch self {
        case .number: []
        case .aggregate(let aggregate): [aggregate]
        case .arithmetic(_, let left, let right): left.aggregates + right.aggregates
        }
    }
}

/// `+`, `-`, `*` and `/`.
public enum ArithmeticOperator: String, Sendable, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    /// The result, or `nil` for a division by zero (the row is dropped).
    public func apply(_ left: Double, _ right: Double) -> Double? {
        switch self {
        case .add: left + right
        case .subtract: left - right
        case .multiply: left * right
        case .divide: right == 0 ? nil : left / right
        }
    }
}

/// A trailing comparison: `> 60` keeps the rows whose value is over 60.
public struct QueryComparison: Sendable, Hashable {
    /// How values compare.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "==", notEqual = "!="
    }

    /// The comparison.
    public var operation: Operator
    /// The number compared with.
    public var threshold: Double

    /// Whether `value` satisfies the comparison (NaN satisfies only `!=`).
    public func holds(for value: Double) -> Bool {
        switch operation {
        case .greater: value > threshold
        case .greaterOrEqual: value >= threshold
        case .less: value < threshold
        case .lessOrEqual: value <= threshold
        case .equal: value == threshold
        case .notEqual: value != threshold
        }
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
        /// Parentheses open now, and operators so far: bounded, so that a hostile query is an error, not a stack overflow.
        var depth = 0
        var operators = 0
        static let maximumDepth = 32
        static let maximumOperators = 100

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
            if atEnd { throw fail("expected an aggregation function (\(known.joined(separator: ", ")))") }
            let expressionStart = position
            let expression = try parseExpression()
            guard !expression.aggregates.isEmpty else {
                throw fail("a query needs at least one aggregation, such as count(NAME)", at: expressionStart)
            }
            var parsed = ParsedQuery(expression: expression, comparison: nil, since: nil, until: nil, limit: nil, bucketNanoseconds: nil)
            skipSpace()
            if let operation = comparisonOperator() {
                skipSpace()
                let threshold = try number(or: "expected a number after \(operation.rawValue)")
                parsed.comparison = QueryComparison(operation: operation, threshold: threshold)
            }
            var seen: Set<String> = []
            while true {
                skipSpace()
                if atEnd { return parsed }
                let keywordStart = position
                let keyword = word()
                if ["since", "until", "top", "bottom", "every"].contains(keyword) {
                    let kind = keyword == "bottom" ? "top" : keyword
                    guard seen.insert(kind).inserted else {
                        throw fail(kind == "top" ? "only one of top and bottom, once" : "\(keyword) is given twice", at: keywordStart)
                    }
                }
                switch keyword {
                case "since": parsed.since = try time()
                case "until": parsed.until = try time()
                case "top": parsed.limit = .top(try integer())
                case "bottom": parsed.limit = .bottom(try integer())
                case "every": parsed.bucketNanoseconds = try duration()
                case "by":
                    throw fail("by (…) goes right after its aggregation, before any clause: count(x) by (k) every 1h", at: keywordStart)
                case "" where !seen.isEmpty && peek().map({ "+-*/<>=!".contains($0) }) == true:
                    throw fail("the clauses (since, until, every, top, bottom) come after the whole expression and its comparison", at: keywordStart)
                case let other:
                    let grouped = !expression.aggregates[0].groupBy.isEmpty
                    let expected = "an operator (+ - * /), a comparison (> >= < <= == !=), since, until, every, top, bottom"
                        + (grouped ? "" : ", by")
                    throw fail(other.isEmpty
                        ? "expected \(expected) or the end of the query"
                        : "unknown clause '\(other)'; expected since, until, every, top or bottom" + (grouped ? "" : " (or by)"),
                        at: keywordStart)
                }
            }
        }

        /// `term { ("+" | "-") term }`.
        mutating func parseExpression() throws(QuerySyntaxError) -> QueryExpression {
            var expression = try parseTerm()
            while true {
                skipSpace()
                let operatorStart = position
                let operation: ArithmeticOperator
                if consume("+") { operation = .add } else if consume("-") { operation = .subtract } else { return expression }
                try countOperator(at: operatorStart)
                let right = try parseTerm()
                expression = try combined(operation, expression, right, at: operatorStart)
            }
        }

        /// `unary { ("*" | "/") unary }`.
        mutating func parseTerm() throws(QuerySyntaxError) -> QueryExpression {
            var expression = try parseUnary()
            while true {
                skipSpace()
                let operatorStart = position
                let operation: ArithmeticOperator
                if consume("*") { operation = .multiply } else if consume("/") { operation = .divide } else { return expression }
                try countOperator(at: operatorStart)
                let right = try parseUnary()
                expression = try combined(operation, expression, right, at: operatorStart)
            }
        }

        /// Two sides whose aggregations group by different keys cannot be matched row by row.
        func combined(_ operation: ArithmeticOperator, _ left: QueryExpression, _ right: QueryExpression, at offset: Int)
            throws(QuerySyntaxError) -> QueryExpression
        {
            if let leftKeys = left.aggregates.first?.groupBy, let rightKeys = right.aggregates.first?.groupBy,
                Set(leftKeys) != Set(rightKeys) || leftKeys.count != rightKeys.count
            {
                func spelled(_ keys: [String]) -> String { keys.isEmpty ? "no by" : "by (\(keys.joined(separator: ", ")))" }
                throw fail("both sides of '\(operation.rawValue)' must group by the same keys: the left has \(spelled(leftKeys)), "
                           + "the right \(spelled(rightKeys))", at: offset)
            }
            return .arithmetic(operation, left, right)
        }

        mutating func countOperator(at offset: Int) throws(QuerySyntaxError) {
            operators += 1
            if operators > Self.maximumOperators { throw fail("a query holds at most \(Self.maximumOperators) operators", at: offset) }
        }

        /// `number | aggregate | "(" expr ")"`.
        mutating func parseUnary() throws(QuerySyntaxError) -> QueryExpression {
            skipSpace()
            let parenthesis = position
            if consume("(") {
                depth += 1
                if depth > Self.maximumDepth { throw fail("parentheses nest at most \(Self.maximumDepth) deep", at: parenthesis) }
                let inner = try parseExpression()
                try expect(")", "')' to close the parenthesis")
                depth -= 1
                return inner
            }
            if let first = peek(), first.isNumber || first == "." || (first == "-" && position + 1 < text.count && (text[position + 1].isNumber || text[position + 1] == ".")) {
                return .number(try number(or: "expected a number"))
            }
            return .aggregate(try parseAggregate())
        }

        /// `agg "(" [number ","] selector ")" [by (key, …)]`.
        mutating func parseAggregate() throws(QuerySyntaxError) -> AggregateExpression {
            skipSpace()
            let functionStart = position
            let function = word()
            guard !function.isEmpty else {
                throw fail("expected an aggregation function (\(known.joined(separator: ", "))), a number or '('")
            }
            var aggregation: Aggregation
            switch function {
            case "count": aggregation = .count
            case "sum": aggregation = .sum
            case "avg": aggregation = .average
            case "min": aggregation = .min
            case "max": aggregation = .max
            case "first": aggregation = .first
            case "last": aggregation = .last
            case "stddev": aggregation = .standardDeviation
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
            var aggregate = AggregateExpression(aggregation: aggregation, metric: metric, matchers: matchers)
            skipSpace()
            let clauseStart = position
            if word() == "by" {
                try expect("(", "'(' after by")
                repeat {
                    skipSpace()
                    let keyStart = position
                    let key = tagName()
                    guard !key.isEmpty else { throw fail("expected a tag name, __name__ or data.FIELD", at: keyStart) }
                    if key.hasPrefix("data."), key.count == 5 { throw fail("expected a field name after data.", at: position) }
                    if key == "time" { throw fail("'time' is the key every adds; group by a tag of another name", at: keyStart) }
                    if aggregate.groupBy.contains(key) { throw fail("'\(key)' is already in the by list", at: keyStart) }
                    aggregate.groupBy.append(key)
                    skipSpace()
                } while consume(",")
                try expect(")", "')' or ',' in the by list")
            } else {
                position = clauseStart
            }
            return aggregate
        }

        /// `>`, `>=`, `<`, `<=`, `==` or `!=`, consumed when present.
        mutating func comparisonOperator() -> QueryComparison.Operator? {
            for operation in [QueryComparison.Operator.greaterOrEqual, .lessOrEqual, .equal, .notEqual, .greater, .less]
            where match(operation.rawValue) {
                return operation
            }
            return nil
        }

        /// A number, or the error `message` (or one saying it is out of range) at its start.
        mutating func number(or message: String) throws(QuerySyntaxError) -> Double {
            skipSpace()
            let start = position
            if let value = number() { return value }
            var end = position
            while end < text.count, text[end].isASCII, text[end].isNumber || ".eE+-".contains(text[end]) { end += 1 }
            if let value = Double(String(text[start..<end])), value.isInfinite {
                throw fail("the number is out of range (a double holds at most about 1.8e308)", at: start)
            }
            throw fail(message, at: start)
        }

        /// `integer ("s" | "m" | "h" | "d")`, in nanoseconds.
        mutating func duration() throws(QuerySyntaxError) -> Int64 {
            skipSpace()
            let start = position
            while position < text.count, text[position].isASCII, text[position].isNumber { position += 1 }
            let digits = String(text[start..<position])
            let unit: Int64? = switch peek() {
            case "s": 1_000_000_000
            case "m": 60_000_000_000
            case "h": 3_600_000_000_000
            case "d": 86_400_000_000_000
            default: nil
            }
            guard !digits.isEmpty, let unit, position + 1 >= text.count || !Self.isWordCharacter(text[position + 1]) else {
                position = start
                throw fail("expected a duration: a whole number and s, m, h or d (every 1h)", at: start)
            }
            position += 1
            guard let amount = Int64(digits) else { throw fail("the duration is too long (at most about 292 years)", at: start) }
            guard amount > 0 else { throw fail("the duration must be at least 1", at: start) }
            let (nanoseconds, overflow) = amount.multipliedReportingOverflow(by: unit)
            guard !overflow else { throw fail("the duration is too long (at most about 292 years)", at: start) }
            return nanoseconds
        }

        var known: [String] { (QueryParser.builtIns + (functions?.registeredNames ?? [])).sorted() }

        mutating func consume(_ character: Character) -> Bool {
            skipSpace()
            guard peek() == character else { return false }
            position += 1
            return true
        }

        /// `[-] digits [. digits] [e [+-] digits]` (or `.5`), or `nil` with the position unchanged.
        mutating func number() -> Double? {
            let start = position
            func digits() -> Int {
                let from = position
                while position < text.count, text[position].isASCII, text[position].isNumber { position += 1 }
                return position - from
            }
            if peek() == "-" || peek() == "+" { position += 1 }
            var mantissa = digits()
            if peek() == "." {
                position += 1
                mantissa += digits()
            }
            if mantissa > 0, peek() == "e" || peek() == "E" {
                let exponentStart = position
                position += 1
                if peek() == "-" || peek() == "+" { position += 1 }
                if digits() == 0 { position = exponentStart }
            }
            guard mantissa > 0, let value = Double(String(text[start..<position])), value.isFinite else {
                position = start
                return nil
            }
            return value
        }

        mutating func integer() throws(QuerySyntaxError) -> Int {
            skipSpace()
            let start = position
            while position < text.count, text[position].isNumber { position += 1 }
            guard start < position else { throw fail("expected a non-negative integer", at: start) }
            guard let value = Int(String(text[start..<position])) else { throw fail("the number is too large (at most \(Int.max))", at: start) }
            return value
        }

        mutating func time() throws(QuerySyntaxError) -> MetricTimestamp {
            skipSpace()
            let start = position
            if peek() == "\"" {
                // A quoted time, as on the command line: "2026-11-29 10:00".
                let quoted = try string()
                guard let time = TimeExpression.parse(quoted, now: now) else {
                    throw fail("expected a time: \(TimeExpression.accepted), within \(RFC3339.supportedRange)", at: start)
                }
                return time
            }
            while position < text.count, !text[position].isWhitespace { position += 1 }
            let token = String(text[start..<position])
            // A date, a space and a time (2026-11-29 10:00) is one time, as on the command line.
            if token.count == 10, position < text.count, text[position] == " " {
                let resume = position
                position += 1
                while position < text.count, !text[position].isWhitespace { position += 1 }
                if let time = TimeExpression.parse(token + " " + String(text[(resume + 1)..<position]), now: now) { return time }
                position = resume
            }
            guard !token.isEmpty, let time = TimeExpression.parse(token, now: now) else {
                throw fail("expected a time: \(TimeExpression.accepted), within \(RFC3339.supportedRange)", at: start)
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
