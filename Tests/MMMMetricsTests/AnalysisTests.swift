import Foundation
import MMMMetrics
import MMMMetricsAnalysis
@testable import MMMMetricsLog
import MMMWorkload
import Testing

/// A log of the generated cook workload, written once and shared by the query tests.
enum WorkloadLog {
    static let directory = TemporaryDirectory("workload")
    static let events: [(session: String, event: MetricEvent)] = CookWorkload.events(count: 30_000, sessions: 6, seed: 7)
    static let root: LogRoot = {
        let root = directory.root
        var writers: [String: SessionLogWriter] = [:]
        for (session, event) in events {
            if writers[session] == nil { writers[session] = try! SessionLogWriter(root: root, session: session, options: LogWriterOptions(blockMaxEvents: 2000)) }
            try! writers[session]!.append(event)
        }
        for writer in writers.values { try! writer.close() }
        return root
    }()
}

@Suite("Analysis: reducers and reports")
struct ReducerTests {
    func at(_ seconds: Double) -> MetricTimestamp { MetricTimestamp(secondsSinceEpoch: 1_795_860_000 + seconds)! }

    @Test("reports of the fixture match the golden files")
    func goldenReports() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let report = try SessionReport.build(session: "fixture-cook", source: root)
        let golden = FixtureLogs.directory.appendingPathComponent("reports")
        #expect(report.text() == (try String(contentsOf: golden.appendingPathComponent("fixture-cook.text"), encoding: .utf8)))
        #expect(report.markdown() == (try String(contentsOf: golden.appendingPathComponent("fixture-cook.markdown"), encoding: .utf8)))
        #expect(JSONText.encode(report.json()) + "\n" == (try String(contentsOf: golden.appendingPathComponent("fixture-cook.json"), encoding: .utf8)))
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 6)  // durations, 4 quality charts, command distribution
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
    }

    @Test("the fixture's session structure follows the reduction rules, checked field by field")
    func fixtureStructure() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let session = try Replay.run(SessionReducer.self, source: root, sessions: ["fixture-cook"])
        #expect(session.sessionId == "fixture-cook")
        #expect(session.startTime == RFC3339.parse("2026-11-28T10:00:00Z"))
        #expect(session.finalStatus == .completed)
        #expect(session.iterations.map(\.iterationNumber) == [1, 2, 3])
        #expect(session.iterations.map(\.commandsExecuted) == [3, 3, 3])
        #expect(session.iterations.map(\.filesChanged) == [7, 4, 2])
        #expect(session.iterations.map(\.linesAdded) == [120, 64, 12])
        #expect(session.iterations.map(\.linesRemoved) == [30, 12, 4])
        #expect(session.iterations[0].errors == [ErrorMetric(message: "lint failed in iteration 1", kind: "lint", timestamp: session.iterations[0].errors.first?.timestamp)])
        #expect(session.iterations[2].errors.isEmpty)
        #expect(session.quality == QualityMetrics(testCoverage: 78.25, lintWarnings: 5, complexityScore: 12.25, documentationCoverage: 60))
        // iteration 1: build 12.5 s + test 31 s + lint 3.1 s, 1 ms apart each, an error 1 µs, then 0.5 s.
        #expect(abs(session.iterations[0].durationSeconds - 47.103001) < 1e-9)
        let events = FixtureLogs.sourceEvents
        #expect(abs(session.totalDurationSeconds - (events.last!.timestamp!.secondsSinceEpoch - events.first!.timestamp!.secondsSinceEpoch)) < 1e-6)
    }

    @Test("without markers: start is the first event, the end the last, status incomplete; quality is last by timestamp, then sequence")
    func reductionRules() throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        try writeSession(root, "s", [
            .gauge(name: "quality.test_coverage", value: 50, tags: ["iteration": "1"], timestamp: at(10)),
            .timer(name: "iteration.duration", duration: .seconds(2), tags: ["iteration": "2"], timestamp: at(11)),
            .timer(name: "iteration.duration", duration: .seconds(3), tags: ["iteration": "2"], timestamp: at(12)),
            .counter(name: "git.lines_added", value: 5, tags: ["iteration": "x"], timestamp: at(13)),  // not an integer: no iteration
            .gauge(name: "quality.test_coverage", value: 70, tags: ["iteration": "2"], timestamp: at(20)),
            .gauge(name: "quality.test_coverage", value: 60, tags: ["iteration": "2"], timestamp: at(15)),  // recorded later, but earlier in time
            .gauge(name: "quality.lint_warnings", value: 3, timestamp: at(20)),
            .gauge(name: "quality.lint_warnings", value: 4, timestamp: at(20)),  // same time: the later sequence wins
            .custom(name: "error", data: ["message": "first"], tags: ["iteration": "2"], timestamp: at(16)),
            .custom(name: "error", data: ["message": "second", "kind": "k"], tags: ["iteration": "2"], timestamp: at(17)),
            .counter(name: "other", value: 1, timestamp: at(30)),
        ])
        let session = try Replay.run(SessionReducer.self, source: root)
        #expect(session.startTime == at(10))
        #expect(abs(session.totalDurationSeconds - 20) < 1e-9)
        #expect(session.finalStatus == .incomplete)
        #expect(session.iterations.map(\.iterationNumber) == [1, 2])
        #expect(session.iterations[0].durationSeconds == 0)
        #expect(session.iterations[1].durationSeconds == 5)
        #expect(session.iterations[1].errors.map(\.message) == ["first", "second"])
        #expect(session.iterations[1].errors.map(\.kind) == ["", "k"])
        #expect(session.quality.testCoverage == 70)
        #expect(session.quality.lintWarnings == 4)
        #expect(session.quality.complexityScore == nil)
        let report = try SessionReport.build(session: "s", source: root)
        #expect(report.qualityStart.testCoverage == 50)
        #expect(report.status == "incomplete")
        #expect(report.json()["quality"]?["complexity_score"] == .null)
        #expect(report.text().contains("Session s: incomplete"))
    }

    @Test("a session.end status outside the catalog is reported as written")
    func unusualStatus() throws {
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", [
            .custom(name: "session.start", data: nil, timestamp: at(1)),
            .custom(name: "session.end", data: ["status": "cancelled"], timestamp: at(5)),
        ])
        let report = try SessionReport.build(session: "s", source: temporary.root)
        #expect(report.status == "cancelled")
        #expect(report.json()["final_status"] == "cancelled")
        #expect(report.session.totalDurationSeconds == 4)
        #expect(throws: LogError.self) { try SessionReport.build(session: "nope", source: temporary.root) }
    }

    @Test("reducers merge: replaying parts and merging equals replaying the whole, in either order")
    func merge() throws {
        let events = EventGenerator.cookSession(iterations: 12, seed: 4)
        let replayed = events.enumerated().map { ReplayedEvent(session: "s", sequence: UInt64($0.offset), event: $0.element) }
        var whole = SessionReducer()
        replayed.forEach { whole.apply($0) }
        var left = SessionReducer(), right = SessionReducer()
        replayed.prefix(40).forEach { left.apply($0) }
        replayed.dropFirst(40).forEach { right.apply($0) }
        var forward = left
        forward.merge(right)
        var backward = right
        backward.merge(left)
        #expect(forward.result() == whole.result())
        #expect(backward.result() == whole.result())
        var commands = CommandReducer(), commandParts = CommandReducer()
        replayed.forEach { commands.apply($0) }
        var tail = CommandReducer()
        replayed.prefix(30).forEach { commandParts.apply($0) }
        replayed.dropFirst(30).forEach { tail.apply($0) }
        commandParts.merge(tail)
        #expect(commandParts.result().map(\.runs) == commands.result().map(\.runs))
        #expect(commandParts.result().map(\.p95Seconds) == commands.result().map(\.p95Seconds))
    }

    @Test("a user-defined reducer runs through the same replay")
    func customReducer() throws {
        struct SlowestIteration: MetricsReducer {
            var best: (Int, Double)?
            init() {}
            mutating func apply(_ event: ReplayedEvent) {
                guard event.event.name == "iteration.duration", case .timer(let duration) = event.event.value,
                    let iteration = event.event.tags["iteration"].flatMap({ Int($0) })
                else { return }
                if best.map({ duration.secondsAsDouble > $0.1 }) ?? true { best = (iteration, duration.secondsAsDouble) }
            }
            mutating func merge(_ other: SlowestIteration) {
                if let theirs = other.best, best.map({ theirs.1 > $0.1 }) ?? true { best = theirs }
            }
            func result() -> Int? { best?.0 }
        }
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        #expect(try Replay.run(SlowestIteration.self, source: root) == 1)
    }
}

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
        ("median(x)", 0, "unknown function 'median'; known: avg, count, max, min, p50"),
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
        (#"count(x{a="b\n"})"#, 12, #"only \" and \\ escapes"#),
        (#"count(x{a="b)"#, 10, "unterminated string"),
        ("count(x) by command", 12, "expected '(' after by"),
        ("count(x) by ()", 13, "expected a tag name"),
        ("count(x) by (a b)", 15, "expected ')' or ','"),
        ("count(x) since yesterday", 15, "expected a time"),
        ("count(x) top many", 13, "expected a non-negative integer"),
        ("count(x) limit 5", 9, "unknown clause 'limit'"),
        ("count(x) !", 9, "expected since, until, top, bottom, by or the end of the query"),
    ])
    func parseErrors(query: String, position: Int, message: String) {
        do {
            _ = try QueryParser.parse(query)
            Issue.record("parsed \(query)")
        } catch {
            #expect(error.position == position, "\(query): \(error)")
            #expect(error.message.contains(message), "\(query): \(error.message)")
            let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3)
            #expect(lines[1] == "  \(query)")
            #expect(lines[2] == "  " + String(repeating: " ", count: position) + "^")
        }
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

@Suite("mmm-analyze: report and query")
struct AnalyzerAnalysisCommandTests {
    @Test("report prints each format; the JSON has the contract's keys")
    func report() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let text = try runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook"])
        #expect(text.status == 0)
        #expect(text.out.hasPrefix("Session fixture-cook: completed"))
        let json = try runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "--format", "json"])
        let value = try JSONText.parse(json.out.trimmingCharacters(in: .whitespacesAndNewlines))
        for key in ["session_id", "start_time", "total_duration_seconds", "final_status", "iterations", "quality"] {
            #expect(value[key] != nil, "missing \(key)")
        }
        #expect(value["start_time"] == "2026-11-28T10:00:00.000000000Z")
        guard case .array(let iterations)? = value["iterations"], let first = iterations.first else { Issue.record("no iterations"); return }
        for key in ["iteration_number", "duration_seconds", "commands_executed", "files_changed", "lines_added", "lines_removed", "errors"] {
            #expect(first[key] != nil, "missing iterations[].\(key)")
        }
        for key in ["test_coverage", "lint_warnings", "complexity_score", "documentation_coverage"] {
            #expect(value["quality"]?[key] != nil, "missing quality.\(key)")
        }
        let markdown = try runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "--format", "markdown"])
        #expect(markdown.out.contains("| iteration | duration |"))
        let file = temporary.path + "/report.html"
        let html = try runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "--format", "html", "-o", file])
        #expect(html.status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("<svg"))
        let missing = try runAnalyzer(["report", "--log", root.path, "--session", "nope"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("no session nope"))
    }

    @Test("query prints a table, JSON rows or CSV; a parse error prints the caret on stderr and nothing on stdout")
    func query() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let table = try runAnalyzer(["query", "--log", root.path, "max(command.duration) by (command)"])
        #expect(table.out == "COMMAND  VALUE\nbuild    12.5\nlint     3.1\ntest     31\n")
        let json = try runAnalyzer(["query", "--log", root.path, "--format", "json", "count(error) by (iteration)"])
        #expect(json.out == #"{"rows":[{"count":1,"group":{"iteration":"1"},"value":1},{"count":1,"group":{"iteration":"2"},"value":1}],"skipped_events":0,"skipped_places":0}"# + "\n")
        let ungrouped = try runAnalyzer(["query", "--log", root.path, "--session", "fixture-cook", "--format", "json", "sum(git.lines_added)"])
        #expect(ungrouped.out == #"{"rows":[{"count":3,"group":{},"value":196}],"skipped_events":0,"skipped_places":0}"# + "\n")
        let csv = try runAnalyzer(["query", "--log", root.path, "--format", "csv", "p50(command.duration) by (command, status)"])
        #expect(csv.out.hasPrefix("command,status,value\nbuild,ok,11.000000123\n"))
        let bad = try runAnalyzer(["query", "--log", root.path, "p95(command.duration) by (command"])
        #expect(bad.status != 0)
        #expect(bad.out.isEmpty)
        #expect(bad.err.contains("p95(command.duration) by (command\n"))
        #expect(bad.err.contains("^"))
        let notNumeric = try runAnalyzer(["query", "--log", root.path, "avg(error)"])
        #expect(notNumeric.status != 0)
        #expect(notNumeric.err.contains("only count applies to custom events"))
        #expect(try runAnalyzer(["query", "--log", root.path, "count(nothing)"]).out == "no rows\n")
    }
}
