import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import MMMWorkload
import Testing

@Suite("Analysis: the query language")
struct QueryTests {
    typealias Row = (group: [String], value: Double)

    /// The expected rows computed independently: plain loops over the generated events.
    func expected(
        _ aggregate: ([Double]) -> Double?, name: (String) -> Bool, groupBy: [String],
        filter: (String, MetricEvent) -> Bool = { _, _ in true }
    ) -> [Row] {
        var groups: [[String]: [Double]] = [:]
        for (session, event) in WorkloadLog.events where name(event.name) && filter(session, event) {
            let value: Double
            switch event.value {
            case .counter(let count): value = Double(count)
            case .gauge(let level): value = level
            case .timer(let duration): value = Double(duration.totalNanoseconds) / 1e9
            case .custom: value = .nan
            }
            let key = groupBy.map { $0 == "session" ? session : (event.tags[$0] ?? "") }
            groups[key, default: []].append(value)
        }
        return groups.compactMap { key, values in aggregate(values).map { (key, $0) } }.sorted { $0.group.lexicographicallyPrecedes($1.group) }
    }

    func run(_ query: String, functions: AggregationRegistry = AggregationRegistry()) throws -> [Row] {
        let result = try QueryEngine(source: WorkloadLog.root, functions: functions).run(query)
        let parsed = try QueryParser.parse(query, functions: functions)
        return result.rows.map { row in (parsed.groupBy.map { row.group[$0] ?? "" }, row.value) }
    }

    func same(_ actual: [Row], _ expected: [Row], tolerance: Double = 1e-9) -> Bool {
        actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
            a.group == e.group && (abs(a.value - e.value) <= tolerance * max(1, abs(e.value)))
        }
    }

    @Test("every aggregation by command agrees with an independent computation", arguments: [
        "count", "sum", "avg", "min", "max", "p50", "p75", "p90", "p95", "p99", "p999", "percentile(37.5,",
    ])
    func aggregations(function: String) throws {
        let reference: ([Double]) -> Double? = switch function {
        case "count": { Double($0.count) }
        case "sum": { $0.reduce(0, +) }
        case "avg": { $0.reduce(0, +) / Double($0.count) }
        case "min": { $0.min() }
        case "max": { $0.max() }
        case "p50": { Reference.percentile($0, 50) }
        case "p75": { Reference.percentile($0, 75) }
        case "p90": { Reference.percentile($0, 90) }
        case "p95": { Reference.percentile($0, 95) }
        case "p99": { Reference.percentile($0, 99) }
        case "p999": { Reference.percentile($0, 99.9) }
        default: { Reference.percentile($0, 37.5) }
        }
        let call = function.hasSuffix(",") ? "\(function) command.duration)" : "\(function)(command.duration)"
        let actual = try run("\(call) by (command)")
        let wanted = expected(reference, name: { $0 == "command.duration" }, groupBy: ["command"])
        #expect(wanted.count == 12)
        #expect(same(actual, wanted), "\(call): \(actual.prefix(3)) vs \(wanted.prefix(3))")
    }

    @Test("globs pool names; matchers, session, since/until, top and bottom select as documented")
    func selection() throws {
        #expect(same(try run("sum(git.*) by (session)"),
                     expected({ $0.reduce(0, +) }, name: { $0.hasPrefix("git.") }, groupBy: ["session"])))
        #expect(same(try run(#"count(command.duration{status="error"}) by (session)"#),
                     expected({ Double($0.count) }, name: { $0 == "command.duration" }, groupBy: ["session"]) { $1.tags["status"] == "error" }))
        #expect(same(try run(#"max(command.duration{command=~"te.*|lint", status!="error"})"#),
                     expected({ $0.max() }, name: { $0 == "command.duration" }, groupBy: []) { _, event in
                         (event.tags["command"]!.hasPrefix("te") || event.tags["command"] == "lint") && event.tags["status"] != "error"
                     }))
        #expect(same(try run(#"count(command.duration{command!~"b.*"}) by (command)"#),
                     expected({ Double($0.count) }, name: { $0 == "command.duration" }, groupBy: ["command"]) { !$1.tags["command"]!.hasPrefix("b") }))
        let session = WorkloadLog.events[0].session
        #expect(same(try run(#"count(*{session="\#(session)"})"#),
                     expected({ Double($0.count) }, name: { _ in true }, groupBy: []) { name, _ in name == session }))
        // A regex matches the whole value.
        #expect(try run(#"count(command.duration{command=~"es"})"#).isEmpty)
        // Missing tags group under "".
        let byCommand = try run("count(*) by (command)")
        #expect(byCommand.first?.group == [""])
        // since is inclusive, until exclusive.
        let times = WorkloadLog.events.map { $0.event.timestamp!.nanosecondsSinceEpoch }.sorted()
        let since = times[1000], until = times[20000]
        let windowed = try run("count(*) since \(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: since))) until \(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: until)))")
        #expect(windowed.first?.value == Double(times.filter { $0 >= since && $0 < until }.count))
        // top and bottom keep the N largest or smallest rows.
        let all = try run("p95(command.duration) by (command)")
        let top = try run("p95(command.duration) by (command) top 3")
        #expect(top.map(\.value) == Array(all.map(\.value).sorted(by: >).prefix(3)))
        let bottom = try run("p95(command.duration) by (command) bottom 2")
        #expect(bottom.map(\.value) == Array(all.map(\.value).sorted().prefix(2)))
        #expect(try run("count(nothing.here)").isEmpty)
        #expect(try run("count(command.duration) since 2030-01-01T00:00:00Z").isEmpty)
    }

    @Test("custom events only count; other aggregations are an error saying so")
    func customEvents() throws {
        #expect(same(try run("count(error) by (session)"), expected({ Double($0.count) }, name: { $0 == "error" }, groupBy: ["session"])))
        #expect(throws: MetricsReaderError.aggregationNeedsNumbers(aggregation: "sum", metric: "error")) { try run("sum(error)") }
    }

    @Test("two spellings of one canonical tag key match as one key; of a value, matchers select both and groups keep them apart, by their bytes")
    func canonicalSpellings() throws {
        let directory = TemporaryDirectory()
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let events: [MetricEvent] = [
            .counter(name: "m", value: 1, tags: [composed: composed], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)),
            .counter(name: "m", value: 2, tags: [decomposed: decomposed], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2)),
            .counter(name: "m", value: 4, tags: [decomposed: "other"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 3)),
        ]
        try writeSession(directory.root, "s", events)
        let engine = QueryEngine(source: directory.root)
        #expect(try engine.run("sum(m{\(composed)=\"\(composed)\"})").rows.map(\.value) == [3])
        #expect(try engine.run("sum(m{\(decomposed)=\"\(composed)\"})").rows.map(\.value) == [3])
        let grouped = try engine.run("sum(m) by (\(composed))").rows.map { ($0.group[composed] ?? "-", $0.value) }.sorted { $0.1 < $1.1 }
        #expect(grouped.map(\.1) == [1, 2, 4])
        #expect(grouped.map { Array($0.0.utf8) } == [Array(composed.utf8), Array(decomposed.utf8), Array("other".utf8)])
    }

    @Test("a registered custom aggregation is called by name like the built-ins")
    func customAggregation() throws {
        struct TrimmedMean: AggregationFunction {
            func initialState() -> [Double] { [] }
            func step(_ state: inout [Double], _ value: Double) { state.append(value) }
            func merge(_ state: inout [Double], _ other: [Double]) { state += other }
            func result(_ state: [Double]) -> Double? {
                let sorted = state.sorted()
                let kept = sorted.dropFirst(sorted.count / 10).dropLast(sorted.count / 10)
                return kept.isEmpty ? nil : kept.reduce(0, +) / Double(kept.count)
            }
        }
        let functions = AggregationRegistry()
        functions.register("trimmed_mean", TrimmedMean())
        let actual = try run("trimmed_mean(command.duration) by (command)", functions: functions)
        let wanted = expected({ values in
            let sorted = values.sorted()
            let kept = sorted.dropFirst(sorted.count / 10).dropLast(sorted.count / 10)
            return kept.reduce(0, +) / Double(kept.count)
        }, name: { $0 == "command.duration" }, groupBy: ["command"])
        #expect(same(actual, wanted))
        #expect(throws: QuerySyntaxError.self) { try QueryParser.parse("trimmed_mean(x)") }
    }

    @Test("the engine is a MetricsReader: the same answers through query and aggregate")
    func reader() async throws {
        let reader = LogMetricsReader(source: WorkloadLog.root)
        let result = try await reader.aggregate(.percentile(95), for: MetricsQuery(metricNames: ["command.duration"], groupBy: ["command"]))
        let cli = try QueryEngine(source: WorkloadLog.root).run("p95(command.duration) by (command)")
        #expect(result == cli)
        let session = WorkloadLog.events[0].session
        let events = try await reader.query(MetricsQuery(metricNames: ["error"], tags: ["session": session]))
        #expect(events.events.count == WorkloadLog.events.filter { $0.session == session && $0.event.name == "error" }.count)
        let matched = try await reader.query(MetricsQuery(metricNames: ["git.*"], matchers: [TagMatcher("iteration", .equal, "1")]))
        #expect(matched.events.count == WorkloadLog.events.filter { $0.event.name.hasPrefix("git.") && $0.event.tags["iteration"] == "1" }.count)
        let sum = try await reader.aggregate(.sum, for: MetricsQuery(metricNames: ["git.lines_added"], tags: ["session": session]))
        #expect(sum.value == WorkloadLog.events.filter { $0.session == session && $0.event.name == "git.lines_added" }
            .reduce(0.0) { $0 + ($1.event.value.numericValue ?? 0) })
    }

    @Test("parse errors quote the query, point at the position and say what was expected", arguments: [
        ("", 0, "expected an aggregation function"),
        ("median(x)", 0, "unknown function 'median'; known: avg, count, first, last, max, min, p50"),
        ("p95 command.duration", 4, "expected '(' after p95"),
        ("p95()", 4, "expected a metric name"),
        ("p95(x", 5, "expected ')' after the selector"),
        ("percentile(x)", 11, "expected a percentile"),
        ("percentile(101, x)", 11, "percentile must be in [0, 100]"),
        ("percentile(50 x)", 14, "expected ',' after the percentile"),
        ("count(x{a=1})", 10, "expected a double-quoted string"),
        ("count(x{a})", 9, "expected =, !=, =~ or !~ after a"),
        (#"count(x{a="b")"#, 13, "expected '}' or ','"),
        (#"count(x{a=~"("})"#, 11, "invalid regular expression"),
        (#"count(x{a=~"(a+)+b"})"#, 11, "can take exponential time"),
        (#"count(x{a="b\n"})"#, 12, #"only \" and \\ escapes"#),
        (#"count(x{a="b)"#, 10, "unterminated string"),
        ("count(x) by command", 12, "expected '(' after by"),
        ("count(x) by ()", 13, "expected a tag name"),
        ("count(x) by (a b)", 15, "expected ')' or ','"),
        ("count(x) since yesterday", 15, "expected a time"),
        ("count(x) top many", 13, "expected a non-negative integer"),
        ("count(x) limit 5", 9, "unknown clause 'limit'"),
        ("count(x) !", 9, "expected an operator (+ - * /), a comparison (> >= < <= == !=), since, until, every, top, bottom, by or the end of the query"),
    ])
    func parseErrors(query: String, position: Int, message: String) {
        expectParseError(query, at: position, message)
    }

    @Test("whitespace is free and every clause combines")
    func grammar() throws {
        let parsed = try QueryParser.parse(#"  percentile( 99.5 , command.*{ a = "x\"y" , b!~"z" } )by( session ,command ) since 2026-11-28T10:00:00Z until now bottom 3 "#)
        #expect(parsed.aggregation == .percentile(99.5))
        #expect(parsed.metric == "command.*")
        #expect(parsed.matchers == [TagMatcher("a", .equal, "x\"y"), TagMatcher("b", .notMatchesRegex, "z")])
        #expect(parsed.groupBy == ["session", "command"])
        #expect(parsed.since == RFC3339.parse("2026-11-28T10:00:00Z"))
        #expect(parsed.until != nil)
        #expect(parsed.limit == .bottom(3))
        #expect(parsed.selection.metricNames == ["command.*"])
        #expect(try QueryParser.parse("count(x{})").matchers.isEmpty)
        #expect(try QueryParser.parse("p999(x)").aggregation == .percentile(99.9))
    }
}

/// A query that must not parse: the error points at `position`, says `message`, and prints three
/// lines (message, query, caret under the position). Shared by both versions' parse-error tests.
func expectParseError(_ query: String, at position: Int, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try QueryParser.parse(query)
        Issue.record("parsed \(query)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.position == position, "\(query): \(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(message), "\(query): \(error.message)", sourceLocation: sourceLocation)
        let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3, sourceLocation: sourceLocation)
        #expect(lines.count == 3 && lines[1] == "  \(query)", sourceLocation: sourceLocation)
        #expect(lines.count == 3 && lines[2] == "  " + String(repeating: " ", count: position) + "^", sourceLocation: sourceLocation)
    }
}

extension QueryTests {
    @Test("groups are told apart by their bytes, as sessions, names and export tell them: 'é' and 'e\\u{301}' are two groups")
    func unicodeEquivalentGroups() throws {
        let temporary = TemporaryDirectory()
        let composed = "\u{E9}", decomposed = "e\u{301}"
        #expect(composed == decomposed)  // Swift's String equality: why groups are keyed by bytes.
        for (session, count) in [(composed, 4), (decomposed, 3)] {
            try writeSession(temporary.root, session, (0..<count).map { _ in MetricEvent.counter(name: "n", value: 1, tags: ["k": session]) })
        }
        for key in ["k", "session"] {
            let result = try QueryEngine(source: temporary.root).run("count(n) by (\(key)) + sum(n) by (\(key))")
            let rows = result.rows.map { (Array(($0.group[key] ?? "").utf8), $0.value) }
            #expect(rows.count == 2, "\(key): \(rows)")
            #expect(Set(rows.map(\.0)) == [Array(composed.utf8), Array(decomposed.utf8)], "\(key)")
            #expect(rows.map(\.1).sorted() == [6, 8], "\(key)")
        }
        // A custom event's data field, both spellings in one block.
        let errors = [composed, decomposed, decomposed].map { MetricEvent(name: "error", value: .custom(["kind": .string($0)])) }
        try writeSession(temporary.root, "data", errors)
        let rows = try QueryEngine(source: temporary.root).run("count(error) by (data.kind)").rows
        // Ordered by code points: "e" + U+0301 before U+00E9.
        #expect(rows.map { Array(($0.group["data.kind"] ?? "").utf8) } == [Array(decomposed.utf8), Array(composed.utf8)], "\(rows)")
        #expect(rows.map(\.value) == [2, 1])
    }
}
