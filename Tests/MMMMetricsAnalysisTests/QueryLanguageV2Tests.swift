import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import MMMWorkload
import Testing

/// The query language's second version (docs/QUERY.md), each rule checked against plain loops over
/// the generated events, never against the engine's own parts.
@Suite("Analysis: query language v2")
struct QueryLanguageV2Tests {
    typealias Row = (group: [String], value: Double)

    func run(_ query: String, source: any LogSource = WorkloadLog.root) throws -> [Row] {
        let result = try QueryEngine(source: source).run(query)
        let parsed = try QueryParser.parse(query)
        return result.rows.map { row in (parsed.groupBy.map { row.group[$0] ?? "" }, row.value) }
    }

    func same(_ actual: [Row], _ expected: [Row], tolerance: Double = 1e-9) -> Bool {
        actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
            a.group == e.group && (abs(a.value - e.value) <= tolerance * max(1, abs(e.value)))
        }
    }

    /// Numbers as aggregations see them (timers in seconds, custom events NaN).
    static func number(_ event: MetricEvent) -> Double {
        switch event.value {
        case .counter(let count): Double(count)
        case .gauge(let level): level
        case .timer(let duration): Double(duration.totalNanoseconds) / 1e9
        case .custom: .nan
        }
    }

    /// Groups of `name`'s events by one tag, in the documented order (integers numerically, else code points).
    static func groups(_ name: String, by key: String, where keep: (MetricEvent) -> Bool = { _ in true }) -> [String: [MetricEvent]] {
        var groups: [String: [MetricEvent]] = [:]
        for (_, event) in WorkloadLog.events where event.name == name && keep(event) { groups[event.tags[key] ?? "", default: []].append(event) }
        return groups
    }

    static func ordered(_ rows: [Row]) -> [Row] {
        rows.sorted { lhs, rhs in
            for (a, b) in zip(lhs.group, rhs.group) where a != b {
                switch (Int(a), Int(b)) {
                case (let x?, let y?) where x != y: return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return Array(a.unicodeScalars.map(\.value)).lexicographicallyPrecedes(b.unicodeScalars.map(\.value))
                }
            }
            return false
        }
    }

    @Test("arithmetic matches rows by group: the failure fraction per command, 0 for commands that never failed")
    func failureFraction() throws {
        let all = Self.groups("command.duration", by: "command")
        let expected = Self.ordered(all.map { command, events in
            ([command], Double(events.filter { $0.tags["status"] == "error" }.count) / Double(events.count))
        })
        let actual = try run(#"count(command.duration{status="error"}) by (command) / count(command.duration) by (command)"#)
        #expect(same(actual, expected), "\(actual.prefix(3)) vs \(expected.prefix(3))")
        // Commands that never failed are in the answer with 0, not left out.
        let neverFailed = all.filter { $0.value.allSatisfy { $0.tags["status"] != "error" } }.map(\.key)
        for command in neverFailed { #expect(actual.contains { $0.group == [command] && $0.value == 0 }) }
    }

    @Test("a number applies to every row; precedence and parentheses as in arithmetic")
    func numbers() throws {
        let averages = try run("avg(command.duration) by (command)")
        let milliseconds = try run("avg(command.duration) by (command) * 1000")
        #expect(same(milliseconds, averages.map { ($0.group, $0.value * 1000) }))
        let count = Double(WorkloadLog.events.filter { $0.event.name == "error" }.count)
        #expect(try run("1 + 2 * count(error)").map(\.value) == [1 + 2 * count])
        #expect(try run("(1 + 2) * count(error)").map(\.value) == [3 * count])
        #expect(try run("count(error) - -1").map(\.value) == [count + 1])
        #expect(try run("count(error) / 4 / 2").map(\.value) == [count / 8])
        #expect(try run("10 - count(error) - 1").map(\.value) == [9 - count])
    }

    @Test("a group on one side only: 0 for count and sum, else dropped; a division by zero drops the row")
    func absentGroups() throws {
        // Only failed runs have a max here; max is not count or sum, so commands without failures drop out.
        let failedMax = try run(#"max(command.duration{status="error"}) by (command)"#)
        let sum = try run(#"max(command.duration{status="error"}) by (command) + count(command.duration) by (command)"#)
        #expect(sum.map(\.group) == failedMax.map(\.group))
        let counts = Dictionary(uniqueKeysWithValues: try run("count(command.duration) by (command)").map { ($0.group, $0.value) })
        #expect(same(sum, failedMax.map { ($0.group, $0.value + counts[$0.group]!) }))
        // count of nothing is 0 for every group of the other side: every division is by zero.
        #expect(try run(#"count(command.duration) by (command) / count(command.duration{status="none"}) by (command)"#).isEmpty)
        #expect(try run(#"sum(command.duration{status="none"}) by (command) + count(command.duration) by (command)"#).count == counts.count)
    }

    @Test("first and last: the earliest and latest value by timestamp, ties by append order; stddev is the sample deviation")
    func firstLastStddev() throws {
        let lint = Self.groups("quality.lint_warnings", by: "iteration")
        func earliest(_ events: [MetricEvent]) -> Double {
            Self.number(events.enumerated().min { ($0.element.timestamp!, $0.offset) < ($1.element.timestamp!, $1.offset) }!.element)
        }
        // By session: the appended order is the workload's order within a session.
        var bySession: [String: [MetricEvent]] = [:]
        for (session, event) in WorkloadLog.events where event.name == "quality.lint_warnings" { bySession[session, default: []].append(event) }
        #expect(same(try run("first(quality.lint_warnings) by (session)"), Self.ordered(bySession.map { ([$0.key], earliest($0.value)) })))
        #expect(same(try run("last(quality.lint_warnings) by (session)"), Self.ordered(bySession.map { session, events in
            ([session], Self.number(events.enumerated().max { ($0.element.timestamp!, $0.offset) < ($1.element.timestamp!, $1.offset) }!.element))
        })))
        func deviation(_ values: [Double]) -> Double? {
            guard values.count > 1 else { return nil }
            let mean = values.reduce(0, +) / Double(values.count)
            return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        }
        let expected = Self.ordered(Self.groups("command.duration", by: "command").compactMap { command, events in
            deviation(events.map(Self.number)).map { ([command], $0) }
        })
        #expect(same(try run("stddev(command.duration) by (command)"), expected, tolerance: 1e-9))
        #expect(!lint.isEmpty)

        // Ties and a single value, on a session made for it.
        let directory = TemporaryDirectory()
        let at = { (n: Int64) in MetricTimestamp(nanosecondsSinceEpoch: n) }
        try writeSession(directory.root, "s", [
            .gauge(name: "g", value: 5, timestamp: at(20)), .gauge(name: "g", value: 1, timestamp: at(10)),
            .gauge(name: "g", value: 2, timestamp: at(10)), .gauge(name: "g", value: 9, timestamp: at(30)),
            .gauge(name: "g", value: 7, timestamp: at(30)), .gauge(name: "g", value: .nan, timestamp: at(40)),
            .gauge(name: "one", value: 3, timestamp: at(1)),
        ])
        #expect(try run("first(g)", source: directory.root).map(\.value) == [1])
        #expect(try run("last(g)", source: directory.root).map(\.value) == [7])
        #expect(try run("stddev(one)", source: directory.root).isEmpty)
        #expect(try run("last(one) + first(g)", source: directory.root).map(\.value) == [4])

        // A tag set to "" groups with its absence, and ties still go by append order across the two
        // (last was 2: the "" event had a slot of its own, handed over after the others).
        try writeSession(directory.root, "t", [
            .counter(name: "c", value: 1, timestamp: at(10)), .counter(name: "c", value: 2, tags: ["k": ""], timestamp: at(10)),
            .counter(name: "c", value: 3, timestamp: at(10)), .counter(name: "c", value: 4, tags: ["k": "x"], timestamp: at(10)),
        ])
        #expect(try run(#"last(c{k!="x"}) by (k)"#, source: directory.root).map(\.value) == [3])
        #expect(try run("last(c) by (k)", source: directory.root).map(\.value) == [3, 4])
        #expect(try run("last(c) by (k, session)", source: directory.root).map(\.value) == [3, 4])
        #expect(try run("first(c) by (k)", source: directory.root).map(\.value) == [1, 4])
        #expect(try run("count(c) by (k)", source: directory.root).map(\.value) == [3, 1])
    }

    @Test("by (__name__) groups by metric name; by (data.FIELD) by a field of custom events' data")
    func nameAndDataKeys() throws {
        var perName: [String: Int] = [:]
        for (_, event) in WorkloadLog.events { perName[event.name, default: 0] += 1 }
        #expect(same(try run("count(*) by (__name__)"), Self.ordered(perName.map { ([$0.key], Double($0.value)) })))
        var perKind: [String: Int] = [:]
        for (_, event) in WorkloadLog.events where event.name == "error" {
            guard case .custom(.object(let data)) = event.value, case .string(let kind)? = data["kind"] else { Issue.record("no kind"); continue }
            perKind[kind, default: 0] += 1
        }
        #expect(same(try run("count(error) by (data.kind)"), Self.ordered(perKind.map { ([$0.key], Double($0.value)) })))

        // Other JSON values as compact JSON text, absent as "", counters (no data) as "".
        let directory = TemporaryDirectory()
        let at = MetricTimestamp(nanosecondsSinceEpoch: 1)
        try writeSession(directory.root, "s", [
            .custom(name: "e", data: ["k": .string("a b")], timestamp: at),
            .custom(name: "e", data: ["k": .integer(3)], timestamp: at),
            .custom(name: "e", data: ["k": .object(["x": .array([.bool(true), .null])])], timestamp: at),
            .custom(name: "e", data: ["other": .integer(1)], timestamp: at),
            .custom(name: "e", data: .array([]), timestamp: at),
            .counter(name: "e", value: 1, timestamp: at),
        ])
        let rows = try run("count(e) by (data.k)", source: directory.root)
        #expect(rows.map(\.group) == [["3"], [""], ["a b"], [#"{"x":[true,null]}"#]])
        #expect(rows.map(\.value) == [1, 3, 1, 1])
    }

    @Test("every D adds the time key: buckets aligned to multiples of D since the epoch, RFC 3339 UTC")
    func timeBuckets() throws {
        let width: Int64 = 3_600_000_000_000
        var buckets: [Int64: Int] = [:]
        for (_, event) in WorkloadLog.events where event.name == "error" {
            let t = event.timestamp!.nanosecondsSinceEpoch
            buckets[(t / width - (t % width < 0 ? 1 : 0)) * width, default: 0] += 1
        }
        let expected = buckets.sorted { $0.key < $1.key }.map { start, count -> Row in
            let date = Date(timeIntervalSince1970: Double(start / 1_000_000_000))
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            return ([formatter.string(from: date)], Double(count))
        }
        #expect(same(try run("count(error) every 1h"), expected))
        let bySession = try run("count(error) by (session) every 60m")
        #expect(bySession.reduce(0) { $0 + $1.value } == expected.reduce(0) { $0 + $1.value })
        #expect(bySession.allSatisfy { $0.group.count == 2 && $0.group[1].hasSuffix(":00:00Z") })
        // Before the epoch too: floor, not truncation.
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "s", [.counter(name: "c", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: -1))])
        #expect(try run("count(c) every 1d", source: directory.root).map(\.group) == [["1969-12-31T00:00:00Z"]])
        // The bucket of the earliest instant a log holds starts before it: labelled by its start
        // all the same (it read 1677-09-21T00:12:43.145224192Z, the instant itself).
        try writeSession(directory.root, "early", [
            .counter(name: "e", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: .min)),
            .counter(name: "e", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: .min + 3_600_000_000_000)),
        ])
        #expect(try run("count(e) every 1h", source: directory.root).map(\.group) == [["1677-09-21T00:00:00Z"], ["1677-09-21T01:00:00Z"]])
        #expect(try run("count(e) every 1d", source: directory.root).map(\.group) == [["1677-09-21T00:00:00Z"]])
        #expect(try run("count(e) every 7s", source: directory.root).map(\.group).first == ["1677-09-21T00:12:41Z"])
        // A bucket of no length through the API is refused, not divided by.
        var zero = try QueryParser.parse("count(e) every 1h")
        zero.bucketNanoseconds = 0
        #expect(throws: MetricsReaderError.invalidBucket(0)) { try QueryEngine(source: directory.root).run(zero) }
    }

    @Test("a trailing comparison keeps the rows that satisfy it")
    func comparisons() throws {
        let all = try run("p95(command.duration) by (command)")
        let median = all.map(\.value).sorted()[all.count / 2]
        for (operation, holds) in [(">", { (v: Double) in v > median }), (">=", { $0 >= median }), ("<", { $0 < median }),
                                   ("<=", { $0 <= median }), ("==", { $0 == median }), ("!=", { $0 != median })] {
            let kept = try run("p95(command.duration) by (command) \(operation) \(median)")
            #expect(same(kept, all.filter { holds($0.value) }), "\(operation)")
        }
        #expect(try run("count(error) > 0 top 1").count == 1)
    }

    @Test("rows are ordered by group values, integers numerically, other values by code points")
    func order() throws {
        let rows = try run("count(iteration.duration) by (iteration)")
        let iterations = rows.map { Int($0.group[0])! }
        #expect(iterations == iterations.sorted())
        #expect(iterations.contains { $0 >= 10 })
        let directory = TemporaryDirectory()
        let at = MetricTimestamp(nanosecondsSinceEpoch: 1)
        let values = ["10", "9", "-3", "b", "B", "é", "02", "a10", "a9", "99999999999999999999999", "1a", "2"]
        try writeSession(directory.root, "s", values.map { .counter(name: "c", value: 1, tags: ["k": $0], timestamp: at) })
        #expect(try run("count(c) by (k)", source: directory.root).map { $0.group[0] } == [
            "-3", "02", "2", "9", "10", "99999999999999999999999", "1a", "B", "a10", "a9", "b", "é",
        ])
        // The same order every time: no two groups tie (02 and 2 by their code points), whatever order they come in.
        for _ in 0..<5 { #expect(try run("count(c) by (k)", source: directory.root).map { $0.group[0] }[1...2] == ["02", "2"]) }
    }

    @Test("a by key or matcher tag that no selected event carries is a warning naming it, with a hint for a data field")
    func missingKeyWarnings() throws {
        let result = try QueryEngine(source: WorkloadLog.root).run(#"count(error{severity="high"}) by (kind)"#)
        #expect(result.notes.contains { $0.contains("'kind'") && $0.contains("did you mean data.kind?") })
        #expect(result.notes.contains { $0.contains("'severity'") && !$0.contains("did you mean") })
        #expect(try QueryEngine(source: WorkloadLog.root).run("count(error) by (data.nope)").notes == [
            "no selected custom event has the data field 'nope' (data.nope groups them all under \"\")",
        ])
        #expect(try QueryEngine(source: WorkloadLog.root).run("count(command.duration) by (command, session)").notes.isEmpty)
        #expect(try QueryEngine(source: WorkloadLog.root).run("count(nothing.here) by (kind)").notes == ["no stored event matches the name 'nothing.here'"])
        #expect(try QueryEngine(source: WorkloadLog.root).run("count(error) since 2100-01-01").notes == [
            "no stored event matches the name 'error' in the time range",
        ])
    }

    @Test("parse errors for the new syntax point at the place", arguments: [
        ("count(a) by (x) / count(b)", 16, "both sides of '/' must group by the same keys: the left has by (x), the right no by"),
        ("1 + 2", 0, "a query needs at least one aggregation"),
        ("count(a) every 5x", 15, "expected a duration"),
        ("count(a) every 0s", 15, "the duration must be at least 1"),
        ("count(a) every 9999999999999d", 15, "the duration is too long"),
        ("count(a) >", 10, "expected a number after >"),
        ("count(a) by (time)", 13, "'time' is the key every adds"),
        ("count(a) by (x, x)", 16, "'x' is already in the by list"),
        ("count(a) by (data.)", 18, "expected a field name after data."),
        ("(count(a)", 9, "expected ')' to close the parenthesis"),
        ("count(a) *", 10, "expected an aggregation function"),
        ("count(a) + foo(b)", 11, "unknown function 'foo'"),
        ("count(a) % 2", 9, "expected an operator (+ - * /), a comparison"),
        // Found by a hostile review: each was a crash, a silent last-one-wins or a misleading message.
        (String(repeating: "(", count: 33) + "count(a)" + String(repeating: ")", count: 33), 32, "parentheses nest at most 32 deep"),
        (String(repeating: "(", count: 4000), 32, "parentheses nest at most 32 deep"),
        ("count(a)" + String(repeating: " * 1", count: 101), 409, "a query holds at most 100 operators"),
        ("count(a) top 3 bottom 1", 15, "only one of top and bottom, once"),
        ("count(a) every 1d every 1h", 18, "every is given twice"),
        ("count(a) every 99999999999999999999d", 15, "the duration is too long"),
        ("count(a) top 99999999999999999999", 13, "the number is too large"),
        ("count(a) > 1e400", 11, "the number is out of range"),
        ("count(a) * 2e308", 11, "the number is out of range"),
        ("count(a) by (s) every 1h / count(a) by (s)", 25, "the clauses (since, until, every, top, bottom) come after the whole expression"),
        ("count(a) every 1h by (k)", 18, "by (…) goes right after its aggregation"),
        (#"count(a) since "2026-13-01 00:00""#, 15, "expected a time"),
    ])
    func parseErrors(query: String, position: Int, message: String) {
        expectParseError(query, at: position, message)
    }

    @Test("aggregations combined through the API with different keys are refused, not crashed on")
    func mismatchedKeysThroughTheAPI() throws {
        let left = AggregateExpression(aggregation: .count, metric: "error", groupBy: ["session"])
        let right = AggregateExpression(aggregation: .count, metric: "error", groupBy: ["iteration"])
        let query = ParsedQuery(expression: .arithmetic(.add, .aggregate(left), .aggregate(right)))
        #expect(throws: MetricsReaderError.groupKeysDiffer(["session"], ["iteration"])) { try QueryEngine(source: WorkloadLog.root).run(query) }
    }

    @Test("count and sum of sampled events scale by 1/rate (not with raw); other aggregations and unsampled events do not")
    func sampledEvents() throws {
        let directory = TemporaryDirectory()
        let at = MetricTimestamp(nanosecondsSinceEpoch: 1)
        var events: [MetricEvent] = []
        for value in 1...10 { events.append(.counter(name: "c", value: Int64(value), tags: [SampleRate.tag: "0.25", "k": "a"], timestamp: at)) }
        for value in 1...3 { events.append(.counter(name: "c", value: Int64(value), tags: ["k": "a"], timestamp: at)) }
        events.append(.counter(name: "c", value: 100, tags: [SampleRate.tag: "2", "k": "b"], timestamp: at))
        events.append(.custom(name: "e", data: .null, tags: [SampleRate.tag: "0.5"], timestamp: at))
        try writeSession(directory.root, "s", events)
        let scaled = QueryEngine(source: directory.root)
        #expect(try scaled.run("count(c) by (k)").rows.map(\.value) == [10 * 4 + 3, 1])
        #expect(try scaled.run("sum(c) by (k)").rows.map(\.value) == [55 * 4 + 6, 100])
        #expect(try scaled.run("avg(c{k=\"a\"})").rows.map(\.value) == [61.0 / 13])
        #expect(try scaled.run("count(e)").rows.map(\.value) == [2])
        #expect(try scaled.run("count(c)").notes == ["1 event carries a __sample_rate tag that is not a decimal rate in [1e-12, 1]: counted once each"])
        let raw = QueryEngine(source: directory.root, scalesSampledEvents: false)
        #expect(try raw.run("count(c) by (k)").rows.map(\.value) == [13, 1])
        #expect(try raw.run("sum(c) by (k)").rows.map(\.value) == [61, 100])
        #expect(try raw.run("count(c)").notes.isEmpty)
    }

    @Test("since and until take the command line's time forms: a date, a date and time with T or a space, an offset")
    func timeForms() throws {
        let midnight = RFC3339.parse("2026-11-29T00:00:00Z")
        #expect(try QueryParser.parse("count(a) since 2026-11-29").since == midnight)
        #expect(try QueryParser.parse("count(a) since 2026-11-29 10:00 until 2026-11-30").since == RFC3339.parse("2026-11-29T10:00:00Z"))
        #expect(try QueryParser.parse("count(a) since 2026-11-29 10:00 until 2026-11-30").until == RFC3339.parse("2026-11-30T00:00:00Z"))
        #expect(try QueryParser.parse("count(a) since 2026-11-29T10:00+02:00").since == RFC3339.parse("2026-11-29T08:00:00Z"))
        #expect(try QueryParser.parse("count(a) since 2026-11-29 top 3").limit == .top(3))
        #expect(throws: QuerySyntaxError.self) { try QueryParser.parse("count(a) since 2026-13-29") }
    }

    @Test("tables round to six significant digits without binary artefacts; NaN ranks last in top and bottom; control characters show as escapes")
    func presentation() throws {
        for (value, shown) in [(1.23456789e30, "1.23457e+30"), (1e300, "1e+300"), (7e50, "7e+50"), (1.23456789e-20, "1.23457e-20"),
                               (1.23456789e-300, "1.23457e-300"), (1e15, "1e+15"), (1e15 + 0.5, "1e+15"), (999_999.5, "1000000"),
                               (0.000123456789, "0.000123457"), (1.0 / 3, "0.333333"), (-2.5e-5, "-2.5e-05"), (12.35, "12.35"),
                               (123_456_789.25, "123457000"), (42, "42"), (-0.0, "0"), (Double.leastNonzeroMagnitude, "5e-324")] {
            let result = AggregateResult(rows: [AggregateRow(group: Tags(), value: value, count: 1)])
            #expect(QueryAnswer(result: result, groupBy: []).textTable == "VALUE\n\(shown)", "\(value)")
        }
        let directory = TemporaryDirectory()
        let at = MetricTimestamp(nanosecondsSinceEpoch: 1)
        try writeSession(directory.root, "s", [
            // inf + -inf: the group's sum is NaN.
            .gauge(name: "g", value: .infinity, tags: ["k": "nan"], timestamp: at), .gauge(name: "g", value: -.infinity, tags: ["k": "nan"], timestamp: at),
            .gauge(name: "g", value: 1, tags: ["k": "one"], timestamp: at),
            .gauge(name: "g", value: 2, tags: ["k": "two"], timestamp: at),
            .counter(name: "c", value: 1, tags: ["k": "a\nb\u{1B}[31m"], timestamp: at),
            .counter(name: "r", value: 1, tags: [SampleRate.tag: "0x1p-2"], timestamp: at),
            .counter(name: "r", value: 1, tags: [SampleRate.tag: "1e-320"], timestamp: at),
        ])
        let engine = QueryEngine(source: directory.root)
        #expect(try engine.run("sum(g) by (k) top 1").rows.map { $0.group["k"] } == ["two"])
        #expect(try engine.run("sum(g) by (k) bottom 1").rows.map { $0.group["k"] } == ["one"])
        #expect(try engine.run("sum(g) by (k) top 5").rows.map { $0.group["k"] } == ["two", "one", "nan"])
        let table = QueryAnswer(result: try engine.run("count(c) by (k)"), groupBy: ["k"]).textTable
        #expect(table == "K               VALUE\na\\nb\\u{1B}[31m  1")
        // A hexadecimal or vanishing rate is no rate: counted once each, with a warning.
        let sampled = try engine.run("count(r)")
        #expect(sampled.rows.map(\.value) == [2])
        #expect(sampled.notes.first?.hasPrefix("2 events carry") == true)
        // NaN prints as nan whatever its sign bit (inf + -inf is a negative NaN: it printed "-nan").
        let nan = QueryAnswer(result: try engine.run(#"sum(g{k="nan"}) by (k)"#), groupBy: ["k"])
        #expect(nan.textTable == "K    VALUE\nnan  nan")
        #expect(nan.rows == [["nan", "nan"]])
        // Infinite values were stored: inf and nan are then the answer, and no note says otherwise.
        #expect(try engine.run("sum(g) by (k)").notes.isEmpty)
    }

    @Test("finite values whose sum, average or deviation does not fit a double: said in a note; a deviation of values 1e160 apart is computed scaled; percentiles of values 3.6e308 apart interpolate")
    func overflow() throws {
        let directory = TemporaryDirectory()
        let at = MetricTimestamp(nanosecondsSinceEpoch: 1)
        try writeSession(directory.root, "s", [1e160, 1e160, -1e160, 3].map { .gauge(name: "spread", value: $0, timestamp: at) }
            + [Double.greatestFiniteMagnitude, .greatestFiniteMagnitude].map { .gauge(name: "big", value: $0, timestamp: at) }
            + [-Double.greatestFiniteMagnitude, .greatestFiniteMagnitude].map { .gauge(name: "apart", value: $0, timestamp: at) })
        let engine = QueryEngine(source: directory.root)
        // Values 2e160 apart: their squares overflow, so the deviation is computed scaled (it was inf).
        let deviation = try engine.run("stddev(spread)")
        let small = [1.0, 1, -1, 3e-160], mean = small.reduce(0, +) / 4
        let expected = 1e160 * (small.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(deviation.rows.map { abs($0.value - expected) <= expected * 1e-12 } == [true], "\(deviation.rows)")
        #expect(deviation.notes.isEmpty)
        // A deviation beyond the largest double is inf, and said so.
        let beyond = try engine.run("stddev(apart)")
        #expect(beyond.rows.map(\.value) == [.infinity])
        #expect(beyond.notes == ["stddev: 1 group overflowed double precision: the value reads inf or nan although every value is finite"])
        let average = try engine.run("avg(big)")
        #expect(average.rows.map(\.value) == [.infinity])
        #expect(average.notes.count == 1)
        #expect(try engine.run("max(big)").notes.isEmpty)
        // p50 of -max and max: halfway is 0 (it was inf - inf: nan).
        #expect(try engine.run("p50(apart)").rows.map(\.value) == [0])
        let half = Double.greatestFiniteMagnitude / 2
        #expect(try engine.run("p75(apart)").rows.map { abs($0.value - half) <= half * 1e-15 } == [true])
        #expect(Percentile.of(sorted: [-Double.greatestFiniteMagnitude, .greatestFiniteMagnitude], q: 75).map { abs($0 - half) <= half * 1e-15 } == true)
    }
}
